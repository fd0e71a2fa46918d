//! The Iranian national code (کد ملی): an office holder's initial username.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A national code that passed the checksum: always ten ASCII digits.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(example = "0076229645")]
pub struct NationalCode(String);

/// Why a text is not a valid national code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NationalCodeError {
    #[error("a national code has 10 digits, `{0}` has {1}")]
    WrongLength(String, usize),
    #[error("`{0}` contains a character that is not a digit")]
    NotDigits(String),
    #[error("`{0}` is not a national code: all ten digits are the same")]
    AllSame(String),
    #[error("`{0}` fails the national-code checksum")]
    Checksum(String),
}

impl NationalCodeError {
    /// The same problem, in Persian.
    pub fn fa(&self) -> String {
        use super::label::quoted;
        match self {
            NationalCodeError::WrongLength(t, n) => format!(
                "کد ملی ۱۰ رقم دارد و {} {} رقم دارد",
                quoted(t),
                super::digits::to_persian_digits(&n.to_string())
            ),
            NationalCodeError::NotDigits(t) => {
                format!("{} نویسه‌ای دارد که رقم نیست", quoted(t))
            }
            NationalCodeError::AllSame(t) => {
                format!("{} کد ملی نیست: هر ده رقم آن یکسان است", quoted(t))
            }
            NationalCodeError::Checksum(t) => {
                format!("رقم کنترل کد ملی {} درست نیست", quoted(t))
            }
        }
    }
}

impl NationalCode {
    /// Parses a national code typed by a person: Persian/Arabic-Indic digits, spaces and dashes are
    /// accepted; the checksum and the all-same-digit rule are enforced.
    pub fn parse(text: &str) -> Result<Self, NationalCodeError> {
        let ascii = super::digits::to_ascii_digits(text);
        let digits: String = ascii
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(NationalCodeError::NotDigits(text.to_string()));
        }
        if digits.len() != 10 {
            return Err(NationalCodeError::WrongLength(
                text.to_string(),
                digits.len(),
            ));
        }
        let d: Vec<u32> = digits.bytes().map(|b| (b - b'0') as u32).collect();
        if d.iter().all(|&x| x == d[0]) {
            return Err(NationalCodeError::AllSame(text.to_string()));
        }
        let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
        let r = s % 11;
        let check = if r < 2 { r } else { 11 - r };
        if d[9] != check {
            return Err(NationalCodeError::Checksum(text.to_string()));
        }
        Ok(NationalCode(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Builds a valid code from nine leading digits by computing the check digit (for demo data).
    pub fn from_prefix(prefix: u32) -> Option<Self> {
        let body = format!("{:09}", prefix % 1_000_000_000);
        let d: Vec<u32> = body.bytes().map(|b| (b - b'0') as u32).collect();
        let s: u32 = (0..9).map(|i| d[i] * (10 - i as u32)).sum();
        let r = s % 11;
        let check = if r < 2 { r } else { 11 - r };
        Self::parse(&format!("{body}{check}")).ok()
    }
}

impl fmt::Display for NationalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NationalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalCode({})", self.0)
    }
}

impl<'de> Deserialize<'de> for NationalCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NationalCode::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_codes_from_the_domain_notes_pass() {
        for code in ["0076229645", "1583250689", "0499370899", "4032152314"] {
            assert_eq!(NationalCode::parse(code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn invalid_codes_are_rejected_with_the_reason() {
        assert!(matches!(
            NationalCode::parse("0684159415"),
            Err(NationalCodeError::Checksum(_))
        ));
        assert!(matches!(
            NationalCode::parse("1111111111"),
            Err(NationalCodeError::AllSame(_))
        ));
        assert!(matches!(
            NationalCode::parse("12345"),
            Err(NationalCodeError::WrongLength(_, 5))
        ));
        assert!(matches!(
            NationalCode::parse("12345abcde"),
            Err(NationalCodeError::NotDigits(_))
        ));
    }

    #[test]
    fn persian_digits_spaces_and_dashes_are_accepted() {
        let code = NationalCode::parse("۰۰۷-۶۲۲۹ ۶۴۵").unwrap();
        assert_eq!(code.as_str(), "0076229645");
        let arabic = NationalCode::parse("٠٠٧٦٢٢٩٦٤٥").unwrap();
        assert_eq!(arabic, code);
    }

    #[test]
    fn generated_codes_are_valid() {
        for p in [0, 7622964, 158325068, 999_999_999] {
            let code = NationalCode::from_prefix(p);
            if let Some(code) = code {
                assert!(NationalCode::parse(code.as_str()).is_ok());
            }
        }
        assert_eq!(
            NationalCode::from_prefix(7622964).unwrap().as_str(),
            "0076229645"
        );
    }
}
