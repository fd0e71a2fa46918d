//! The clock every deadline is checked against: the real one, one started at a chosen moment (for
//! rehearsals and demos of past rounds), or one the tests move by hand.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// A source of "now".
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
    /// Whether this is not the real time (shown loudly on `/health` and in the log).
    fn simulated(&self) -> bool;
}

/// The machine's clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
    fn simulated(&self) -> bool {
        false
    }
}

/// A clock that started at a chosen instant and runs at normal speed from there.
#[derive(Debug)]
pub struct ShiftedClock {
    offset: SignedDuration,
}

impl ShiftedClock {
    pub fn starting_at(start: Timestamp) -> Self {
        ShiftedClock {
            offset: start.duration_since(Timestamp::now()),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
            .checked_add(self.offset)
            .unwrap_or(Timestamp::MAX)
    }
    fn simulated(&self) -> bool {
        true
    }
}

/// A clock that only moves when told to (tests walk a whole round's calendar in milliseconds).
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut t = self.0.lock().expect("clock lock");
        *t = t.checked_add(by).expect("in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
    fn simulated(&self) -> bool {
        true
    }
}

/// Parses `--now`: an ISO instant (`2021-04-10T09:00:00Z`), an ISO local date-time in Tehran
/// (`2021-04-10T09:00`), or a Jalali date with optional time (`1400/01/20 09:00`, Tehran time).
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let t = crate::domain::digits::to_ascii_digits(text.trim());
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    let tehran = crate::domain::tehran();
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(tehran.clone())
    {
        return Ok(z.timestamp());
    }
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, tm)) => (d, Some(tm)),
        None => (t.as_str(), None),
    };
    let jalali = crate::domain::JalaliDate::parse(date).map_err(|e| {
        format!("`{text}` is not a time: write 2021-04-10T09:00:00Z, 2021-04-10T09:00 or 1400/01/20 09:00 ({e})")
    })?;
    let time = match time {
        Some(tm) => tm
            .parse::<jiff::civil::Time>()
            .map_err(|e| format!("`{tm}` is not a time of day: {e}"))?,
        None => jiff::civil::Time::midnight(),
    };
    jalali
        .to_gregorian()
        .to_datetime(time)
        .to_zoned(tehran)
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_accepts_iso_and_jalali_in_tehran_time() {
        let a = parse_instant("1400/01/20 09:00").unwrap();
        assert_eq!(a.to_string(), "2021-04-09T04:30:00Z");
        assert_eq!(parse_instant("2021-04-09T09:00").unwrap(), a);
        assert_eq!(parse_instant("2021-04-09T04:30:00Z").unwrap(), a);
        assert_eq!(parse_instant("۱۴۰۰/۰۱/۲۰ ۰۹:۰۰").unwrap(), a);
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn a_shifted_clock_starts_where_asked_and_runs() {
        let start = parse_instant("1400/01/17").unwrap();
        let c = ShiftedClock::starting_at(start);
        let d = c.now().duration_since(start);
        assert!(d >= SignedDuration::ZERO && d < SignedDuration::from_secs(5));
        assert!(c.simulated());
    }
}
