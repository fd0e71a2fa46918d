//! The rule files as written: serde types that mirror the YAML a policy officer edits.
//!
//! Nothing here is checked beyond its shape; `validate` and `compile` turn it into a `RuleSet`.
//! See `docs/rules.md` for the reference a policy officer reads.

use serde::Deserialize;

use super::yaml::{Item, Located, OrderedMap};
use crate::domain::{Fixed, Label, OfficeKind, RoundingMode};

/// One YAML file of a round: any of the top-level sections. `inputs`, `criteria` and `penalties`
/// may be split over several files; the others appear once per round.
#[derive(Debug, Default, Deserialize)]
#[serde(rename = "RuleFile")]
pub struct RuleFile {
    pub round: Option<Located<Item<RoundSpec>>>,
    pub calendar: Option<Located<Item<CalendarSpec>>>,
    pub inputs: Option<OrderedMap<Item<InputSpec>>>,
    pub criteria: Option<Vec<Item<CriterionSpec>>>,
    pub penalties: Option<Vec<Item<PenaltySpec>>>,
    pub grading: Option<Located<Item<GradingSpec>>>,
    pub ranking: Option<Located<Item<RankingSpec>>>,
    /// Review triage: what makes a file suspicious (see `ReviewSpec`).
    pub review: Option<Located<Item<ReviewSpec>>>,
}

/// `round:` — what this rule set is.
#[derive(Debug, Deserialize)]
#[serde(rename = "RoundSpec")]
pub struct RoundSpec {
    pub id: Located<String>,
    pub title: Label,
    pub version: Located<String>,
    #[serde(default)]
    pub office_kinds: Option<Located<Vec<OfficeKind>>>,
    #[serde(default)]
    pub legal_references: Vec<LegalReferenceSpec>,
    /// Shown with every explanation, e.g. that the point values are illustrative.
    #[serde(default)]
    pub notice: Option<Label>,
    /// Refuse to change scoring once results are published (hot reload honours it).
    #[serde(default)]
    pub freeze_after_publication: bool,
}

/// A legal basis cited by criteria and penalties.
#[derive(Debug, Deserialize)]
#[serde(rename = "LegalReferenceSpec")]
pub struct LegalReferenceSpec {
    pub id: Located<String>,
    pub label: Label,
}

/// `calendar:` — the phases of the round, in Solar Hijri dates and/or days.
#[derive(Debug, Deserialize)]
#[serde(rename = "CalendarSpec")]
pub struct CalendarSpec {
    #[serde(default = "default_time_zone")]
    pub time_zone: Located<String>,
    pub self_declaration: Located<Item<PhaseSpec>>,
    pub regional_review: Located<Item<PhaseSpec>>,
    pub correction: Located<Item<CorrectionSpec>>,
    pub publication: Located<Item<PhaseSpec>>,
    pub objection: Located<Item<PhaseSpec>>,
    #[serde(rename = "final")]
    pub final_review: Located<Item<PhaseSpec>>,
}

fn default_time_zone() -> Located<String> {
    Located {
        value: crate::domain::TEHRAN.to_string(),
        line: 0,
        column: 0,
    }
}

/// A phase: starts on a date or after another phase, and lasts a number of days or to a date.
#[derive(Debug, Deserialize)]
#[serde(rename = "PhaseSpec")]
pub struct PhaseSpec {
    pub start: Option<Located<String>>,
    pub after: Option<Located<String>>,
    #[serde(default)]
    pub gap_days: Option<Located<i64>>,
    pub days: Option<Located<i64>>,
    pub end: Option<Located<String>>,
}

/// The correction referral: counted from each referral, not from a fixed date.
#[derive(Debug, Deserialize)]
#[serde(rename = "CorrectionSpec")]
pub struct CorrectionSpec {
    pub days: Located<i64>,
    #[serde(default = "one")]
    pub max_referrals: Located<i64>,
}

fn one() -> Located<i64> {
    Located {
        value: 1,
        line: 0,
        column: 0,
    }
}

/// The type of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", rename = "input type")]
pub enum InputType {
    Integer,
    Decimal,
    Boolean,
    Choice,
    Date,
    Violations,
}

/// Who may supply an input's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", rename = "supplier")]
pub enum Supplier {
    Office,
    Region,
    Inspection,
}

/// What happens when an office's file has no value for an input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case", rename = "missing-value policy")]
pub enum MissingSpec {
    /// The file cannot be scored until the value is given.
    Error,
    /// Criteria reading the input give zero points.
    ZeroPoints,
    /// The value of the previous round is used (it counts as confirmed).
    CarryOver,
    /// A stated value is used.
    Default(Located<serde_json::Value>),
}

/// `inputs: <name>:` — a value criteria may read.
#[derive(Debug, Deserialize)]
#[serde(rename = "InputSpec")]
pub struct InputSpec {
    pub label: Label,
    #[serde(rename = "type")]
    pub kind: Located<InputType>,
    pub unit: Option<Label>,
    /// `[smallest, largest]`, both allowed. A list, so that a wrong length gets our own message.
    pub range: Option<Located<Vec<Located<Fixed>>>>,
    /// The smallest allowed value, for a range open above (or instead of `range:`, with `max:`).
    pub min: Option<Located<Fixed>>,
    /// The largest allowed value, for a range open below.
    pub max: Option<Located<Fixed>>,
    /// For `choice`: the allowed values and their labels.
    pub values: Option<OrderedMap<Label>>,
    pub supplied_by: Supplier,
    pub when_missing: Located<MissingSpec>,
    pub help: Option<Label>,
}

/// `criteria: -` — one scored criterion.
#[derive(Debug, Deserialize)]
#[serde(rename = "CriterionSpec")]
pub struct CriterionSpec {
    pub id: Located<String>,
    pub label: Label,
    pub clause: Option<Located<String>>,
    pub weight: Located<Fixed>,
    pub max_points: Located<Fixed>,
    pub applies_to: Option<Located<Vec<OfficeKind>>>,
    pub bands: Option<Located<BandsSpec>>,
    pub linear: Option<Located<LinearSpec>>,
    pub lookup: Option<Located<LookupSpec>>,
    pub formula: Option<Located<String>>,
    pub script: Option<Located<ScriptSpec>>,
}

/// Points by ranges of a number: `at_least` ≤ value < `below`.
#[derive(Debug, Deserialize)]
#[serde(rename = "BandsSpec")]
pub struct BandsSpec {
    pub input: Located<String>,
    pub bands: Vec<Item<BandSpec>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "BandSpec")]
pub struct BandSpec {
    pub at_least: Option<Located<Fixed>>,
    pub below: Option<Located<Fixed>>,
    pub points: Located<Fixed>,
}

/// Points growing linearly with a number, from a start, up to a cap.
#[derive(Debug, Deserialize)]
#[serde(rename = "LinearSpec")]
pub struct LinearSpec {
    pub input: Located<String>,
    #[serde(default)]
    pub from: Option<Located<Fixed>>,
    pub points_per_unit: Located<Fixed>,
    pub cap: Option<Located<Fixed>>,
}

/// Points by the value of a choice or yes/no input.
#[derive(Debug, Deserialize)]
#[serde(rename = "LookupSpec")]
pub struct LookupSpec {
    pub input: Located<String>,
    pub points: OrderedMap<Located<Fixed>>,
    pub otherwise: Option<Located<Fixed>>,
}

/// A Rhai function in a `.rhai` file of the round, called with the listed inputs.
#[derive(Debug, Deserialize)]
#[serde(rename = "ScriptSpec")]
pub struct ScriptSpec {
    pub file: Located<String>,
    pub function: Located<String>,
    pub inputs: Vec<Located<String>>,
}

/// `penalties: -` — negative points for one kind of violation.
#[derive(Debug, Deserialize)]
#[serde(rename = "PenaltySpec")]
pub struct PenaltySpec {
    pub id: Located<String>,
    pub label: Label,
    pub clause: Option<Located<String>>,
    /// Points per occurrence (negative).
    pub points: Located<Fixed>,
    /// Points for the 2nd, 3rd, … occurrence; the last repeats.
    #[serde(default)]
    pub repeat_points: Option<Located<Vec<Fixed>>>,
    /// The most that can be taken off in one round (negative).
    pub cap: Option<Located<Fixed>>,
    pub applies_to: Option<Located<Vec<OfficeKind>>>,
}

/// Scopes in which offices are ranked against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", rename = "scope")]
pub enum Scope {
    Nationwide,
    Region,
    OfficeKind,
    RegionAndKind,
}

impl Scope {
    /// Every scope, widest first.
    pub const ALL: [Scope; 4] = [
        Scope::Nationwide,
        Scope::Region,
        Scope::OfficeKind,
        Scope::RegionAndKind,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Nationwide => "nationwide",
            Scope::Region => "region",
            Scope::OfficeKind => "office_kind",
            Scope::RegionAndKind => "region_and_kind",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How grades are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", rename = "grading method")]
pub enum GradingMethod {
    CutPoints,
    Shares,
}

/// What an office that filed nothing gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", rename = "non-filer policy")]
pub enum NonFilerPolicy {
    /// The lowest grade, ranked after every office that filed.
    LowestGrade,
    /// Scored on its carried-over data, which counts as confirmed.
    ScoreCarriedOver,
}

/// `grading:` — grades 1–3 and the service share each allows.
#[derive(Debug, Deserialize)]
#[serde(rename = "GradingSpec")]
pub struct GradingSpec {
    pub scope: Located<Scope>,
    pub method: Located<GradingMethod>,
    pub cut_points: Option<Located<GradeBoundsSpec>>,
    pub shares: Option<Located<GradeBoundsSpec>>,
    pub service_share: Located<ServiceShareSpec>,
    pub non_filers: NonFilerPolicy,
    /// Offices this close to a grade boundary are reported as fragile by simulations.
    #[serde(default)]
    pub fragile_margin: Option<Located<Fixed>>,
}

/// Minimum total (cut points) or population share in percent (shares) for grades 1 and 2.
#[derive(Debug, Deserialize)]
#[serde(rename = "GradeBoundsSpec")]
pub struct GradeBoundsSpec {
    pub grade_1: Located<Fixed>,
    pub grade_2: Located<Fixed>,
}

/// Percent of the services available in the office's area that each grade may offer.
#[derive(Debug, Deserialize)]
#[serde(rename = "ServiceShareSpec")]
pub struct ServiceShareSpec {
    pub grade_1: Located<Fixed>,
    pub grade_2: Located<Fixed>,
    pub grade_3: Located<Fixed>,
}

/// `ranking:` — where positions are reported, the tie-break chain and the rounding of totals.
#[derive(Debug, Deserialize)]
#[serde(rename = "RankingSpec")]
pub struct RankingSpec {
    pub scopes: Located<Vec<Scope>>,
    pub tie_break: Vec<Located<String>>,
    pub rounding: RoundingSpec,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "RoundingSpec")]
pub struct RoundingSpec {
    pub decimals: Located<u32>,
    pub mode: RoundingMode,
}

/// `review:` — the flags that order the reviewer's queue: each raised flag adds its weight to the
/// file's risk, and the riskiest files are reviewed first.
#[derive(Debug, Deserialize)]
#[serde(rename = "ReviewSpec")]
pub struct ReviewSpec {
    pub flags: Vec<Item<FlagSpec>>,
}

/// `review: flags: -` — one flag: an id, a label, a weight and exactly one way of raising it.
#[derive(Debug, Deserialize)]
#[serde(rename = "FlagSpec")]
pub struct FlagSpec {
    pub id: Located<String>,
    pub label: Label,
    pub weight: Located<Fixed>,
    pub jump: Option<Located<JumpSpec>>,
    pub near_boundary: Option<Located<NearBoundarySpec>>,
    pub outlier: Option<Located<OutlierSpec>>,
    pub missing: Option<Located<MissingFlagSpec>>,
    pub formula: Option<Located<String>>,
}

/// A number changed since the office's previous round by at least a percent and/or an amount.
#[derive(Debug, Deserialize)]
#[serde(rename = "JumpSpec")]
pub struct JumpSpec {
    pub input: Located<String>,
    pub percent: Option<Located<Fixed>>,
    pub amount: Option<Located<Fixed>>,
}

/// The total is within `margin` points of a grade cut point (default: `grading.fragile_margin`).
#[derive(Debug, Deserialize)]
#[serde(rename = "NearBoundarySpec")]
pub struct NearBoundarySpec {
    pub margin: Option<Located<Fixed>>,
}

/// A number at least `k` median absolute deviations from the median of its peers (same region
/// and office kind).
#[derive(Debug, Deserialize)]
#[serde(rename = "OutlierSpec")]
pub struct OutlierSpec {
    pub input: Located<String>,
    pub k: Located<Fixed>,
}

/// An input the office left empty.
#[derive(Debug, Deserialize)]
#[serde(rename = "MissingFlagSpec")]
pub struct MissingFlagSpec {
    pub input: Located<String>,
}

/// A rule-test file under `tests/`: cases policy staff write to check their own edits.
#[derive(Debug, Deserialize)]
#[serde(rename = "TestFile")]
pub struct TestFile {
    pub cases: Vec<Item<TestCaseSpec>>,
}

/// One rule-test case: an office's inputs and what the rules must make of them.
#[derive(Debug, Deserialize)]
#[serde(rename = "TestCaseSpec")]
pub struct TestCaseSpec {
    pub name: Located<String>,
    #[serde(default = "default_kind")]
    pub kind: OfficeKind,
    #[serde(default)]
    pub filed: Option<bool>,
    #[serde(default)]
    pub inputs: OrderedMap<serde_json::Value>,
    #[serde(default)]
    pub previous: OrderedMap<serde_json::Value>,
    /// Peer statistics per input for `outlier` flags: `{ median, mad, mean_ad }`.
    #[serde(default)]
    pub peers: OrderedMap<Located<PeerSpec>>,
    pub expect: Located<ExpectSpec>,
}

fn default_kind() -> OfficeKind {
    OfficeKind::Pishkhan
}

/// What a rule-test case expects; everything is optional, only what is given is checked.
#[derive(Debug, Deserialize)]
#[serde(rename = "ExpectSpec")]
pub struct ExpectSpec {
    /// Raw points per criterion, before the weight.
    #[serde(default)]
    pub points: OrderedMap<Located<Fixed>>,
    /// Points times weight per criterion.
    #[serde(default)]
    pub contributions: OrderedMap<Located<Fixed>>,
    #[serde(default)]
    pub penalties: OrderedMap<Located<Fixed>>,
    pub total: Option<Located<Fixed>>,
    pub grade: Option<Located<u8>>,
    /// The case must be refused; the text must appear in one of the errors.
    pub error: Option<Located<String>>,
    /// Exactly the review flags raised, by id (`[]`: none).
    pub flags: Option<Vec<Located<String>>>,
    /// The file's review risk: the sum of its raised flags' weights.
    pub risk: Option<Located<Fixed>>,
}

/// A rule test's peer statistics for one input.
#[derive(Debug, Deserialize)]
#[serde(rename = "PeerSpec")]
pub struct PeerSpec {
    pub median: Fixed,
    pub mad: Fixed,
    /// The mean absolute deviation from the median (the scale when `mad` is 0); default 0.
    #[serde(default)]
    pub mean_ad: Fixed,
}
