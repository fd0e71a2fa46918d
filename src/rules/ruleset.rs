//! A compiled rule set: a round's rules checked, resolved and ready for the engine.
//!
//! Names are resolved to indexes (inputs to slots, penalties to kinds), declarative criteria keep a
//! native form, and Rhai formulas are either lowered to a native expression or kept as ASTs.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::model::{GradingMethod, NonFilerPolicy, Scope, Supplier};
use super::script::{Program, Scripts};
use super::value::Value;
use crate::domain::{Fixed, JalaliDate, Label, OfficeKind, RoundId, RoundingMode};

/// Everything the engine needs to score and rank one round.
#[derive(Debug)]
pub struct RuleSet {
    pub round: RoundId,
    pub title: Label,
    pub version: String,
    pub office_kinds: Vec<OfficeKind>,
    pub legal_references: Vec<LegalReference>,
    pub notice: Option<Label>,
    pub freeze_after_publication: bool,
    pub calendar: Calendar,
    pub inputs: Vec<InputDef>,
    pub criteria: Vec<Criterion>,
    pub penalties: Vec<Penalty>,
    pub grading: Grading,
    pub ranking: Ranking,
    /// Review triage flags (`review:`); none when the round declares none.
    pub review: super::review::Review,
    pub scripts: Arc<Scripts>,
    pub tests: Vec<TestCase>,
    pub source: Source,
}

impl RuleSet {
    /// The slot of an input by name.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|i| i.name == name)
    }

    pub fn criterion_index(&self, id: &str) -> Option<usize> {
        self.criteria.iter().position(|c| c.id == id)
    }

    pub fn penalty_index(&self, id: &str) -> Option<usize> {
        self.penalties.iter().position(|p| p.id == id)
    }

    /// The short content hash (first 16 hex digits of SHA-256 over all source files).
    pub fn hash(&self) -> &str {
        &self.source.hash
    }
}

/// A legal basis cited in explanations.
#[derive(Debug, Clone, Serialize)]
pub struct LegalReference {
    pub id: String,
    pub label: Label,
}

/// The files a rule set was compiled from, and their content hash.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub dir: PathBuf,
    /// Paths relative to `dir`, sorted, with their full text.
    pub files: Vec<SourceFile>,
    /// SHA-256 over every file's relative path and text, in hex.
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// The round's phases as inclusive Jalali date ranges.
#[derive(Debug, Clone, Serialize)]
pub struct Calendar {
    pub time_zone: String,
    pub self_declaration: Period,
    pub regional_review: Period,
    pub correction: Correction,
    pub publication: Period,
    pub objection: Period,
    #[serde(rename = "final")]
    pub final_review: Period,
}

/// First and last day of a phase, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub first_day: JalaliDate,
    pub last_day: JalaliDate,
}

impl Period {
    pub fn days(&self) -> i64 {
        self.first_day.days_until(self.last_day) + 1
    }

    pub fn contains(&self, day: JalaliDate) -> bool {
        self.first_day <= day && day <= self.last_day
    }
}

/// The correction window counted from each referral.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Correction {
    pub days: i64,
    pub max_referrals: u32,
}

/// A declared input.
#[derive(Debug, Clone)]
pub struct InputDef {
    pub name: String,
    pub label: Label,
    pub kind: InputKind,
    pub unit: Option<Label>,
    pub range: Option<Bounds>,
    pub supplied_by: Supplier,
    pub when_missing: Missing,
    pub help: Option<Label>,
    /// For `violations` inputs: the penalty ids a record may name.
    pub violation_kinds: Vec<String>,
}

/// The allowed values of a number input, both ends included; one end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bounds {
    Between(Fixed, Fixed),
    AtLeast(Fixed),
    AtMost(Fixed),
}

impl Bounds {
    pub fn min(self) -> Option<Fixed> {
        match self {
            Bounds::Between(lo, _) | Bounds::AtLeast(lo) => Some(lo),
            Bounds::AtMost(_) => None,
        }
    }

    pub fn max(self) -> Option<Fixed> {
        match self {
            Bounds::Between(_, hi) | Bounds::AtMost(hi) => Some(hi),
            Bounds::AtLeast(_) => None,
        }
    }

    pub fn contains(self, n: Fixed) -> bool {
        self.min().is_none_or(|lo| n >= lo) && self.max().is_none_or(|hi| n <= hi)
    }
}

impl std::fmt::Display for Bounds {
    /// "0 to 100", "at least 0", "at most 100".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bounds::Between(lo, hi) => write!(f, "{lo} to {hi}"),
            Bounds::AtLeast(lo) => write!(f, "at least {lo}"),
            Bounds::AtMost(hi) => write!(f, "at most {hi}"),
        }
    }
}

/// The type of an input, with its allowed values for choices.
#[derive(Debug, Clone, PartialEq)]
pub enum InputKind {
    Integer,
    Decimal,
    Boolean,
    Choice(Vec<ChoiceValue>),
    Date,
    Violations,
}

impl InputKind {
    pub fn name(&self) -> &'static str {
        match self {
            InputKind::Integer => "integer",
            InputKind::Decimal => "decimal",
            InputKind::Boolean => "boolean",
            InputKind::Choice(_) => "choice",
            InputKind::Date => "date",
            InputKind::Violations => "violations",
        }
    }

    /// The type's name in Persian, for diagnostics.
    pub fn name_fa(&self) -> &'static str {
        match self {
            InputKind::Integer => "عدد صحیح",
            InputKind::Decimal => "عدد اعشاری",
            InputKind::Boolean => "بله/خیر",
            InputKind::Choice(_) => "گزینه‌ای",
            InputKind::Date => "تاریخ",
            InputKind::Violations => "فهرست تخلف‌ها",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceValue {
    pub name: String,
    pub label: Label,
}

/// What a missing value becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Missing {
    Error,
    ZeroPoints,
    CarryOver,
    Default(Value),
}

/// A set of office kinds as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u8);

impl KindSet {
    pub fn of(kinds: &[OfficeKind]) -> Self {
        KindSet(kinds.iter().fold(0, |m, k| m | 1 << k.index()))
    }

    pub fn contains(self, kind: OfficeKind) -> bool {
        self.0 & (1 << kind.index()) != 0
    }

    pub fn kinds(self) -> Vec<OfficeKind> {
        OfficeKind::ALL
            .into_iter()
            .filter(|k| self.contains(*k))
            .collect()
    }
}

/// A scored criterion.
#[derive(Debug)]
pub struct Criterion {
    pub id: String,
    pub label: Label,
    pub clause: Option<String>,
    pub weight: Fixed,
    pub max_points: Fixed,
    pub applies_to: KindSet,
    pub rule: Rule,
    /// Input slots the criterion reads, in the order they are shown.
    pub reads: Vec<usize>,
}

/// How a criterion turns inputs into raw points.
#[derive(Debug)]
pub enum Rule {
    Bands {
        input: usize,
        bands: Vec<Band>,
    },
    Linear {
        input: usize,
        from: Fixed,
        per_unit: Fixed,
        cap: Fixed,
    },
    Lookup {
        input: usize,
        /// Points per choice index (for yes/no: index 0 = false, 1 = true); `None` = not listed.
        points: Vec<Option<Fixed>>,
        otherwise: Option<Fixed>,
    },
    /// A Rhai formula or function: lowered to native code when possible, else interpreted.
    Program(Program),
}

impl Rule {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Rule::Bands { .. } => "bands",
            Rule::Linear { .. } => "linear",
            Rule::Lookup { .. } => "lookup",
            Rule::Program(p) if p.is_formula() => "formula",
            Rule::Program(_) => "script",
        }
    }
}

/// `at_least` ≤ value < `below`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Band {
    pub at_least: Option<Fixed>,
    pub below: Option<Fixed>,
    pub points: Fixed,
}

impl Band {
    pub fn matches(&self, v: Fixed) -> bool {
        self.at_least.is_none_or(|lo| v >= lo) && self.below.is_none_or(|hi| v < hi)
    }
}

/// Negative points for one kind of violation.
#[derive(Debug, Clone)]
pub struct Penalty {
    pub id: String,
    pub label: Label,
    pub clause: Option<String>,
    pub points: Fixed,
    pub repeat_points: Vec<Fixed>,
    pub cap: Option<Fixed>,
    pub applies_to: KindSet,
}

impl Penalty {
    /// Points for the n-th occurrence (0-based).
    pub fn points_for(&self, n: usize) -> Fixed {
        match n {
            0 => self.points,
            _ if self.repeat_points.is_empty() => self.points,
            _ => self.repeat_points[(n - 1).min(self.repeat_points.len() - 1)],
        }
    }
}

/// How grades are given, and what each grade allows.
#[derive(Debug, Clone, Serialize)]
pub struct Grading {
    pub scope: Scope,
    pub method: GradeMethod,
    /// Percent of available services, for grades 1, 2, 3.
    pub service_share: [Fixed; 3],
    pub non_filers: NonFilerPolicy,
    pub fragile_margin: Fixed,
}

/// Cut points (minimum totals) or population shares (percent) for grades 1 and 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum GradeMethod {
    CutPoints { grade_1: Fixed, grade_2: Fixed },
    Shares { grade_1: Fixed, grade_2: Fixed },
}

impl GradeMethod {
    pub fn kind(&self) -> GradingMethod {
        match self {
            GradeMethod::CutPoints { .. } => GradingMethod::CutPoints,
            GradeMethod::Shares { .. } => GradingMethod::Shares,
        }
    }
}

/// Where positions are reported, how ties are broken, how totals are rounded.
#[derive(Debug, Clone)]
pub struct Ranking {
    pub scopes: Vec<Scope>,
    pub tie_break: Vec<TieBreak>,
    pub decimals: u32,
    pub rounding: RoundingMode,
}

/// One link of the tie-break chain. `descending` = higher comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    Total { descending: bool },
    Criterion { index: usize, descending: bool },
    Input { index: usize, descending: bool },
    OfficeId { descending: bool },
}

/// A rule-test case, checked against the compiled rules by `arzyab test` and on every reload.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub file: PathBuf,
    pub line: u32,
    pub name: String,
    pub kind: OfficeKind,
    pub filed: bool,
    pub inputs: Vec<(String, serde_json::Value)>,
    pub previous: Vec<(String, serde_json::Value)>,
    /// Peer statistics `(input, median, mad, mean absolute deviation)` for `outlier` flags.
    pub peers: Vec<(String, Fixed, Fixed, Fixed)>,
    pub expect: Expectation,
}

/// What a rule-test case expects; only what is given is checked.
#[derive(Debug, Clone, Default)]
pub struct Expectation {
    pub points: Vec<(String, Fixed)>,
    pub contributions: Vec<(String, Fixed)>,
    pub penalties: Vec<(String, Fixed)>,
    pub total: Option<Fixed>,
    pub grade: Option<u8>,
    pub error: Option<String>,
    /// Exactly the review flags raised, by id.
    pub flags: Option<Vec<String>>,
    /// The sum of the raised flags' weights.
    pub risk: Option<Fixed>,
}
