//! Persian (۰–۹) and Arabic-Indic (٠–٩) digits, as people type them, turned into ASCII.

/// Replaces Persian and Arabic-Indic digits with ASCII ones, and the Arabic decimal separator `٫`
/// with `.`; everything else is kept.
pub fn to_ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            '٫' => '.',
            // The minus sign Persian text writes (see `to_persian_number`).
            '−' => '-',
            _ => c,
        })
        .collect()
}

/// Writes ASCII digits as Persian ones, for Persian-facing labels.
pub fn to_persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Writes a number or date for Persian text: Persian digits, `٫` as the decimal point, `−` as the
/// minus sign (so `-12.5` reads `−۱۲٫۵`).
pub fn to_persian_number(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('۰' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            '.' => '٫',
            '-' => '−',
            _ => c,
        })
        .collect()
}

/// A count in Persian digits with Persian thousands separators: `۲۰۰٬۰۰۰`.
pub fn to_persian_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('٬');
        }
        out.push(c);
    }
    to_persian_digits(&out)
}

/// A duration in Persian: `۱ ثانیه`, `۱٫۵ ثانیه`, `۲۰۰ میلی‌ثانیه`.
pub fn to_persian_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis() as u64;
    if ms < 1000 {
        format!("{} میلی‌ثانیه", to_persian_count(ms))
    } else if ms.is_multiple_of(1000) {
        format!("{} ثانیه", to_persian_count(ms / 1000))
    } else {
        let tenths = format!("{}٫{}", ms / 1000, (ms % 1000) / 100);
        format!("{} ثانیه", to_persian_digits(&tenths))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_arabic_digits_become_ascii() {
        assert_eq!(to_ascii_digits("۱۴۰۰-۲"), "1400-2");
        assert_eq!(to_ascii_digits("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(to_ascii_digits("۱۲٫۵"), "12.5");
        assert_eq!(to_persian_digits("1400/01/17"), "۱۴۰۰/۰۱/۱۷");
        assert_eq!(to_persian_number("-12.5"), "−۱۲٫۵");
        assert_eq!(to_ascii_digits(&to_persian_number("125.75")), "125.75");
        assert_eq!(to_ascii_digits(&to_persian_number("-30")), "-30");
    }

    #[test]
    fn counts_and_durations_are_wholly_persian() {
        assert_eq!(to_persian_count(200_000), "۲۰۰٬۰۰۰");
        assert_eq!(to_persian_count(7), "۷");
        let ms = std::time::Duration::from_millis;
        assert_eq!(to_persian_duration(ms(1500)), "۱٫۵ ثانیه");
        assert_eq!(to_persian_duration(ms(30_000)), "۳۰ ثانیه");
        assert_eq!(to_persian_duration(ms(250)), "۲۵۰ میلی‌ثانیه");
    }
}
