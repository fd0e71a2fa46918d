//! Solar Hijri (Jalali) dates, the calendar every deadline of a round is written in.
//!
//! Conversion uses `icu_calendar`'s Persian calendar, which follows the official 33-year leap cycle
//! (1399 and 1403 are leap years). Instants use a real time-zone database for `Asia/Tehran`, whose
//! offset was +03:30 with daylight saving (+04:30) until 2022.

use std::fmt;

use icu_calendar::{Date, cal::Persian, types::RataDie};
use serde::{Deserialize, Serialize};

/// A valid day of the Solar Hijri calendar.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JalaliDate {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a text is not a Jalali date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JalaliError {
    #[error("`{0}` is not a date: write it as year/month/day, e.g. 1400/01/17")]
    Format(String),
    #[error("{0} does not exist in the Solar Hijri calendar (month {1} of {2} has {3} days)")]
    NoSuchDay(String, u8, i32, u8),
    #[error("{0} does not exist in the Solar Hijri calendar: months run from 1 to 12")]
    NoSuchMonth(String),
}

impl JalaliError {
    /// The same facts in Persian, with Persian digits (what was written inside «»).
    pub fn fa(&self) -> String {
        use super::digits::to_persian_digits as p;
        match self {
            JalaliError::Format(text) => format!(
                "{} تاریخ نیست: آن را به شکل سال/ماه/روز بنویسید، مانند ۱۴۰۰/۰۱/۱۷",
                super::quoted(text)
            ),
            JalaliError::NoSuchDay(text, month, year, days) => format!(
                "{} در تقویم هجری خورشیدی نیست (ماه {} سال {} {} روز دارد)",
                p(text),
                p(&month.to_string()),
                p(&year.to_string()),
                p(&days.to_string())
            ),
            JalaliError::NoSuchMonth(text) => format!(
                "{} در تقویم هجری خورشیدی نیست: ماه‌ها از ۱ تا ۱۲ اند",
                p(text)
            ),
        }
    }
}

const MONTHS_FA: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];
const MONTHS_EN: [&str; 12] = [
    "Farvardin",
    "Ordibehesht",
    "Khordad",
    "Tir",
    "Mordad",
    "Shahrivar",
    "Mehr",
    "Aban",
    "Azar",
    "Dey",
    "Bahman",
    "Esfand",
];

/// The civil time zone of every deadline.
pub const TEHRAN: &str = "Asia/Tehran";

impl JalaliDate {
    /// A date from its parts, if it exists (e.g. 1403/12/30 does, 1402/12/30 does not).
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, JalaliError> {
        let text = format!("{year:04}/{month:02}/{day:02}");
        if !(1..=12).contains(&month) {
            return Err(JalaliError::NoSuchMonth(text));
        }
        let first =
            Date::try_new_persian(year, month, 1).map_err(|_| JalaliError::Format(text.clone()))?;
        let days = first.days_in_month();
        if day == 0 || day > days {
            return Err(JalaliError::NoSuchDay(text, month, year, days));
        }
        Ok(JalaliDate { year, month, day })
    }

    /// Parses `1400/01/17`, `1400-1-17` or `۱۴۰۰/۰۱/۱۷`.
    pub fn parse(text: &str) -> Result<Self, JalaliError> {
        let ascii = super::digits::to_ascii_digits(text.trim());
        let parts: Vec<&str> = ascii.split(['/', '-']).collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(JalaliError::Format(text.to_string()));
        };
        let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
            return Err(JalaliError::Format(text.to_string()));
        };
        if !(1..=9999).contains(&y) {
            return Err(JalaliError::Format(text.to_string()));
        }
        Self::new(y, m, d)
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    fn icu(self) -> Date<Persian> {
        Date::try_new_persian(self.year, self.month, self.day).expect("validated at construction")
    }

    /// Days since the calendar's fixed epoch (only differences are meaningful).
    pub fn day_number(self) -> i64 {
        self.icu().to_rata_die().to_i64_date()
    }

    fn from_day_number(n: i64) -> Self {
        let date = Date::from_rata_die(RataDie::new(n), Persian);
        JalaliDate {
            year: date.year().extended_year(),
            month: date.month().ordinal,
            day: date.day_of_month().0,
        }
    }

    /// The date `days` days later (or earlier, if negative).
    pub fn add_days(self, days: i64) -> Self {
        Self::from_day_number(self.day_number() + days)
    }

    /// Days from `self` to `other` (positive if `other` is later).
    pub fn days_until(self, other: JalaliDate) -> i64 {
        other.day_number() - self.day_number()
    }

    /// The same day in the Gregorian calendar.
    pub fn to_gregorian(self) -> jiff::civil::Date {
        let iso = self.icu().to_calendar(icu_calendar::Iso);
        jiff::civil::date(
            iso.year().extended_year() as i16,
            iso.month().ordinal as i8,
            iso.day_of_month().0 as i8,
        )
    }

    /// The Jalali date of a Gregorian day.
    pub fn from_gregorian(date: jiff::civil::Date) -> Self {
        let iso = Date::try_new_iso(date.year() as i32, date.month() as u8, date.day() as u8)
            .expect("jiff dates are valid ISO dates");
        Self::from_day_number(iso.to_rata_die().to_i64_date())
    }

    /// Midnight at the start of this day in Tehran.
    pub fn start_in_tehran(self) -> jiff::Timestamp {
        self.to_gregorian()
            .to_zoned(tehran())
            .expect("Tehran midnight exists")
            .timestamp()
    }

    /// The Jalali date of an instant, in Tehran.
    pub fn of_instant(ts: jiff::Timestamp) -> Self {
        Self::from_gregorian(ts.to_zoned(tehran()).date())
    }

    /// An instant as a person in Tehran reads it, `1400/02/05 10:00` (Latin digits): the
    /// `*_jalali` companion of the API's RFC 3339 instants.
    pub fn date_time_of(ts: jiff::Timestamp) -> String {
        let local = ts.to_zoned(tehran());
        format!(
            "{} {:02}:{:02}",
            Self::from_gregorian(local.date()),
            local.hour(),
            local.minute()
        )
    }

    pub fn is_leap_year(self) -> bool {
        self.icu().is_in_leap_year()
    }

    /// `17 فروردین 1400`.
    pub fn long_fa(self) -> String {
        super::digits::to_persian_digits(&format!(
            "{} {} {}",
            self.day,
            MONTHS_FA[self.month as usize - 1],
            self.year
        ))
    }

    /// `17 Farvardin 1400`.
    pub fn long_en(self) -> String {
        format!(
            "{} {} {}",
            self.day,
            MONTHS_EN[self.month as usize - 1],
            self.year
        )
    }
}

/// The `Asia/Tehran` zone from the bundled time-zone database.
pub fn tehran() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(TEHRAN).expect("the bundled tz database has Asia/Tehran")
}

impl fmt::Display for JalaliDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}/{:02}/{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for JalaliDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JalaliDate({self})")
    }
}

impl Serialize for JalaliDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for JalaliDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        JalaliDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_reads_as_the_jalali_day_and_minute_in_tehran() {
        // 2021-04-25T19:30Z is midnight of 6 Ordibehesht 1400 in Tehran (+04:30 that spring).
        let end: jiff::Timestamp = "2021-04-25T19:29:00Z".parse().unwrap();
        assert_eq!(JalaliDate::date_time_of(end), "1400/02/05 23:59");
        let next: jiff::Timestamp = "2021-04-25T19:30:00Z".parse().unwrap();
        assert_eq!(JalaliDate::date_time_of(next), "1400/02/06 00:00");
    }

    #[test]
    fn round_1400_2_self_declaration_window_matches_the_published_dates() {
        let start = JalaliDate::parse("1400/01/17").unwrap();
        assert_eq!(start.to_gregorian(), jiff::civil::date(2021, 4, 6));
        let end = start.add_days(19);
        assert_eq!(end, JalaliDate::parse("1400/02/05").unwrap());
        assert_eq!(end.to_gregorian(), jiff::civil::date(2021, 4, 25));
    }

    #[test]
    fn leap_years_follow_the_33_year_cycle() {
        assert!(JalaliDate::parse("1399/12/30").is_ok());
        assert!(JalaliDate::parse("1403/12/30").is_ok());
        assert!(matches!(
            JalaliDate::parse("1402/12/30"),
            Err(JalaliError::NoSuchDay(..))
        ));
        assert!(JalaliDate::parse("1403/01/01").unwrap().is_leap_year());
        assert_eq!(
            JalaliDate::parse("1403/12/30").unwrap().to_gregorian(),
            jiff::civil::date(2025, 3, 20)
        );
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert!(matches!(
            JalaliDate::parse("1400/07/31"),
            Err(JalaliError::NoSuchDay(..))
        ));
        assert!(matches!(
            JalaliDate::parse("1400/13/01"),
            Err(JalaliError::NoSuchMonth(_))
        ));
        assert!(matches!(
            JalaliDate::parse("1400-01"),
            Err(JalaliError::Format(_))
        ));
        assert!(JalaliDate::parse("1400/06/31").is_ok());
    }

    #[test]
    fn gregorian_round_trip_over_decades() {
        let mut d = JalaliDate::parse("1380/01/01").unwrap();
        for _ in 0..(40 * 365 / 7) {
            assert_eq!(JalaliDate::from_gregorian(d.to_gregorian()), d);
            d = d.add_days(7);
        }
    }

    #[test]
    fn tehran_midnight_uses_daylight_saving_before_2022() {
        // 1400/01/17 = 2021-04-06, daylight saving in force: +04:30.
        let ts = JalaliDate::parse("1400/01/17").unwrap().start_in_tehran();
        assert_eq!(ts.to_string(), "2021-04-05T19:30:00Z");
        // 1403/01/17 = 2024-04-05, no daylight saving any more: +03:30.
        let ts = JalaliDate::parse("1403/01/17").unwrap().start_in_tehran();
        assert_eq!(ts.to_string(), "2024-04-04T20:30:00Z");
    }

    #[test]
    fn persian_digits_and_labels() {
        let d = JalaliDate::parse("۱۴۰۰/۰۲/۰۵").unwrap();
        assert_eq!(d.to_string(), "1400/02/05");
        assert_eq!(d.long_en(), "5 Ordibehesht 1400");
        assert_eq!(d.long_fa(), "۵ اردیبهشت ۱۴۰۰");
    }
}
