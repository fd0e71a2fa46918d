//! Bodies of `/v1/rounds`, `/v1/rounds/{round}` and the stateless score endpoints.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::InputValue;
use crate::domain::{Fixed, Grade, Label, OfficeKind, RoundingMode};
use crate::engine::explain::Explanation;
use crate::workflow::Phase;
use crate::workflow::calendar::PhaseWindow;

/// Every live round.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundList {
    pub rounds: Vec<RoundSummary>,
}

/// A round's identity and its calendar as enforced now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundSummary {
    #[schema(example = "1400-2")]
    pub round: String,
    pub title: Label,
    pub version: String,
    /// The content hash of the live rule files (64 hex digits).
    pub hash: String,
    /// When this version went live on this server.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub loaded_at: Option<Timestamp>,
    pub office_kinds: Vec<OfficeKind>,
    #[schema(example = "Asia/Tehran")]
    pub time_zone: String,
    /// Every phase's window, moved by what has happened (publication, finalization).
    pub phases: Vec<PhaseWindow>,
    pub correction: Correction,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub published_at: Option<Timestamp>,
    pub published_at_jalali: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub finalized_at: Option<Timestamp>,
    pub finalized_at_jalali: Option<String>,
    /// The phase open now, if any.
    pub current_phase: Option<Phase>,
}

/// How referred files are corrected.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Correction {
    /// Days an office has to correct a referred file.
    pub days: i64,
    /// Referrals one file may get.
    pub max_referrals: u32,
}

/// A round in full: a form can be built from its inputs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub summary: RoundSummary,
    pub notice: Option<Label>,
    pub legal_references: Vec<LegalReference>,
    pub inputs: Vec<Input>,
    pub criteria: Vec<Criterion>,
    pub penalties: Vec<Penalty>,
    pub grading: Grading,
    pub ranking: Ranking,
}

/// A law or regulation the round cites.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LegalReference {
    pub id: String,
    pub label: Label,
}

/// One input of the round: what is asked, of whom, and in what range.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Input {
    pub name: String,
    pub label: Label,
    /// `integer`, `decimal`, `boolean`, `choice`, `date` or `violations`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `office`, `region` or `inspection`.
    pub supplied_by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Label>,
    /// Both ends, when the input has both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<[Fixed; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Fixed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Fixed>,
    /// A choice's allowed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Choice>>,
    /// For `violations`: the penalty ids a record may name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation_kinds: Option<Vec<String>>,
    pub when_missing: WhenMissing,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
}

/// One allowed value of a choice.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub name: String,
    pub label: Label,
}

/// What a missing value becomes: `error`, `zero_points`, `carry_over`, or `{"default": value}`.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum WhenMissing {
    Policy(&'static str),
    Default {
        #[schema(schema_with = <InputValue as utoipa::PartialSchema>::schema)]
        default: serde_json::Value,
    },
}

/// One criterion and how it scores.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Criterion {
    pub id: String,
    pub label: Label,
    pub clause: Option<String>,
    pub weight: Fixed,
    pub max_points: Fixed,
    /// `bands`, `table`, `linear`, `formula`, `script` …
    pub kind: &'static str,
    pub applies_to: Vec<OfficeKind>,
    /// The inputs it reads.
    pub reads: Vec<String>,
    /// `native` or `interpreted`.
    pub runs: &'static str,
}

/// One penalty.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Penalty {
    pub id: String,
    pub label: Label,
    pub clause: Option<String>,
    pub points: Fixed,
    pub repeat_points: Vec<Fixed>,
    pub cap: Option<Fixed>,
    pub applies_to: Vec<OfficeKind>,
}

/// How grades are given.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Grading {
    /// `nationwide`, `region`, `office_kind` or `region_and_kind`.
    pub scope: &'static str,
    pub method: GradeMethod,
    /// Percent of services grades 1, 2 and 3 may offer.
    pub service_share_percent: [Fixed; 3],
    /// `lowest_grade` or `score_carried_over`.
    pub non_filers: &'static str,
    pub fragile_margin: Fixed,
}

/// Cut points (minimum totals) or population shares (percent) for grades 1 and 2.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GradeMethod {
    /// `cut_points` or `shares`.
    pub method: &'static str,
    pub grade_1: Fixed,
    pub grade_2: Fixed,
}

/// How offices are ranked.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Ranking {
    pub scopes: Vec<&'static str>,
    /// The tie-break chain in words, e.g. `total descending`, `office_id ascending`.
    pub tie_break: Vec<String>,
    /// Decimals totals are rounded to.
    pub decimals: u32,
    #[schema(value_type = String, example = "half_up")]
    pub rounding: RoundingMode,
}

/// One office scored statelessly, with the full explanation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Scored {
    pub round: String,
    pub rules_version: String,
    pub rules_hash: String,
    pub explanation: Explanation,
}

/// A batch scored and ranked together.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchScored {
    pub round: String,
    pub rules_version: String,
    pub rules_hash: String,
    pub results: Vec<BatchResult>,
}

/// One office of a batch.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub office: String,
    /// `null` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    pub grade: Grade,
    pub service_share_percent: Fixed,
    pub to_next_grade: Option<Fixed>,
    /// Ranking scope → position.
    pub positions: BTreeMap<String, u32>,
    /// Criterion id → points.
    pub points: BTreeMap<String, Fixed>,
    /// Penalty id → points.
    pub penalties: BTreeMap<String, Fixed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}
