//! `RoundId`: which half-year evaluation, e.g. `1400-2` (year 1400, second stage).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A round: a Solar Hijri year and its stage (1 or 2).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundId {
    year: u16,
    stage: u8,
}

/// Why a text is not a round id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a round: write year-stage, e.g. 1400-2 (stage 1 or 2)")]
pub struct RoundIdError(pub String);

impl RoundId {
    pub fn new(year: u16, stage: u8) -> Result<Self, RoundIdError> {
        if !(1300..=1700).contains(&year) || !(1..=2).contains(&stage) {
            return Err(RoundIdError(format!("{year}-{stage}")));
        }
        Ok(RoundId { year, stage })
    }

    pub fn parse(text: &str) -> Result<Self, RoundIdError> {
        let ascii = super::digits::to_ascii_digits(text.trim());
        let err = || RoundIdError(text.to_string());
        let (y, s) = ascii.split_once('-').ok_or_else(err)?;
        let year = y.parse().map_err(|_| err())?;
        let stage = s.parse().map_err(|_| err())?;
        Self::new(year, stage).map_err(|_| err())
    }

    pub fn year(self) -> u16 {
        self.year
    }
    pub fn stage(self) -> u8 {
        self.stage
    }

    /// The round before this one (1400-1 for 1400-2, 1399-2 for 1400-1).
    pub fn previous(self) -> RoundId {
        if self.stage == 2 {
            RoundId {
                year: self.year,
                stage: 1,
            }
        } else {
            RoundId {
                year: self.year - 1,
                stage: 2,
            }
        }
    }
}

impl FromStr for RoundId {
    type Err = RoundIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.year, self.stage)
    }
}

impl fmt::Debug for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoundId({self})")
    }
}

impl Serialize for RoundId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RoundId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        RoundId::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_year_and_stage() {
        let r = RoundId::parse("1400-2").unwrap();
        assert_eq!((r.year(), r.stage()), (1400, 2));
        assert_eq!(RoundId::parse("۱۴۰۱-۱").unwrap().to_string(), "1401-1");
        assert_eq!(r.previous().to_string(), "1400-1");
        assert_eq!(r.previous().previous().to_string(), "1399-2");
    }

    #[test]
    fn rejects_stage_three_and_garbage() {
        assert!(RoundId::parse("1400-3").is_err());
        assert!(RoundId::parse("1400").is_err());
        assert!(RoundId::parse("abcd-1").is_err());
    }
}
