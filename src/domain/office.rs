//! Offices and where they sit: kind, region, province, and their identifiers.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The three kinds of licensed office the regulator evaluates.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OfficeKind {
    /// دفتر پیشخوان خدمات دولت — government-service counter.
    Pishkhan,
    /// دفتر بخش عمومی غیر دولتی — non-governmental public-sector counter.
    NonGovernmental,
    /// دفتر ارتباطات و فناوری اطلاعات روستایی — rural ICT office.
    RuralIct,
}

impl OfficeKind {
    pub const ALL: [OfficeKind; 3] = [
        OfficeKind::Pishkhan,
        OfficeKind::NonGovernmental,
        OfficeKind::RuralIct,
    ];

    /// The name used in files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficeKind::Pishkhan => "pishkhan",
            OfficeKind::NonGovernmental => "non_governmental",
            OfficeKind::RuralIct => "rural_ict",
        }
    }

    pub fn label_fa(self) -> &'static str {
        match self {
            OfficeKind::Pishkhan => "پیشخوان خدمات دولت",
            OfficeKind::NonGovernmental => "بخش عمومی غیر دولتی",
            OfficeKind::RuralIct => "ارتباطات و فناوری اطلاعات روستایی",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            OfficeKind::Pishkhan => "Government-service counter",
            OfficeKind::NonGovernmental => "Non-governmental public-sector counter",
            OfficeKind::RuralIct => "Rural ICT office",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text.trim())
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for OfficeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An office's license number: unique, stable, and the last link of every tie-break chain.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(example = "P-THR-000001")]
pub struct OfficeId(String);

/// Why a text is not an office id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an office id: use 1–40 letters, digits, `-` or `_`")]
pub struct OfficeIdError(pub String);

impl OfficeIdError {
    /// The same problem, in Persian.
    pub fn fa(&self) -> String {
        format!(
            "{} شناسه دفتر نیست: ۱ تا ۴۰ نویسه از حروف لاتین، رقم، «-» یا «_» به کار ببرید",
            super::label::quoted(&self.0)
        )
    }
}

impl OfficeId {
    pub fn parse(text: &str) -> Result<Self, OfficeIdError> {
        let ascii = super::digits::to_ascii_digits(text.trim());
        let ok = !ascii.is_empty()
            && ascii.len() <= 40
            && ascii
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(OfficeId(ascii))
        } else {
            Err(OfficeIdError(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfficeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OfficeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OfficeId({})", self.0)
    }
}

/// One of the nine regulatory regions (مناطق), numbered 1–9.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "u8", into = "u8")]
#[schema(example = 1)]
pub struct RegionId(u8);

/// Why a number is not a region.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("region {0} does not exist: regions are numbered 1 to 9")]
pub struct RegionIdError(pub i64);

impl RegionIdError {
    /// The same problem, in Persian.
    pub fn fa(&self) -> String {
        super::digits::to_persian_number(&format!(
            "منطقه {} وجود ندارد: مناطق از ۱ تا ۹ شماره‌گذاری شده‌اند",
            self.0
        ))
    }
}

impl RegionId {
    pub const COUNT: usize = 9;

    pub fn new(n: i64) -> Result<Self, RegionIdError> {
        if (1..=9).contains(&n) {
            Ok(RegionId(n as u8))
        } else {
            Err(RegionIdError(n))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for RegionId {
    type Error = RegionIdError;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        RegionId::new(n as i64)
    }
}

impl From<RegionId> for u8 {
    fn from(r: RegionId) -> u8 {
        r.0
    }
}

impl fmt::Display for RegionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A grade (رتبه): 1 is best, 3 is lowest.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Debug,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(try_from = "u8", into = "u8")]
#[schema(example = 2)]
pub struct Grade(u8);

impl Grade {
    pub const BEST: Grade = Grade(1);
    pub const LOWEST: Grade = Grade(3);
    pub const ALL: [Grade; 3] = [Grade(1), Grade(2), Grade(3)];

    pub fn new(n: u8) -> Option<Self> {
        (1..=3).contains(&n).then_some(Grade(n))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Zero-based index (grade 1 → 0).
    pub fn index(self) -> usize {
        self.0 as usize - 1
    }

    /// The next better grade, if any.
    pub fn better(self) -> Option<Grade> {
        Grade::new(self.0 - 1)
    }
}

impl TryFrom<u8> for Grade {
    type Error = String;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Grade::new(n).ok_or_else(|| format!("grade {n} does not exist: grades are 1, 2 and 3"))
    }
}

impl From<Grade> for u8 {
    fn from(g: Grade) -> u8 {
        g.0
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_ids_accept_persian_digits_and_reject_spaces() {
        assert_eq!(OfficeId::parse("P-۰۱۲").unwrap().as_str(), "P-012");
        assert!(OfficeId::parse("a b").is_err());
        assert!(OfficeId::parse("").is_err());
    }

    #[test]
    fn regions_and_grades_have_fixed_ranges() {
        assert!(RegionId::new(0).is_err());
        assert!(RegionId::new(10).is_err());
        assert_eq!(RegionId::new(9).unwrap().get(), 9);
        assert!(Grade::new(4).is_none());
        assert_eq!(Grade::LOWEST.better(), Grade::new(2));
        assert_eq!(Grade::BEST.better(), None);
    }
}
