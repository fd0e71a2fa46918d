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
    /// Every live round, in id order.
    pub rounds: Vec<RoundSummary>,
}

/// A round's identity and its calendar as enforced now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundSummary {
    /// The round's id.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The round's title.
    pub title: Label,
    /// The live rules' version, as the rule files name it.
    #[schema(example = "1400-2.1")]
    pub version: String,
    /// The content hash of the live rule files (64 hex digits).
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub hash: String,
    /// When this version went live on this server.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub loaded_at: Option<Timestamp>,
    /// The kinds of office the round evaluates.
    pub office_kinds: Vec<OfficeKind>,
    /// The time zone the round's days are counted in.
    #[schema(example = "Asia/Tehran")]
    pub time_zone: String,
    /// Every phase's window, moved by what has happened (publication, finalization).
    pub phases: Vec<PhaseWindow>,
    /// How referred files are corrected.
    pub correction: Correction,
    /// When the first results were published; `null` before.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub published_at: Option<Timestamp>,
    /// `published_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/16 10:00")]
    pub published_at_jalali: Option<String>,
    /// When the final ranks were published; `null` before.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub finalized_at: Option<Timestamp>,
    /// `finalized_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/25 12:00")]
    pub finalized_at_jalali: Option<String>,
    /// The phase open now, if any.
    pub current_phase: Option<Phase>,
}

/// How referred files are corrected.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Correction {
    /// Days an office has to correct a referred file.
    #[schema(example = 5)]
    pub days: i64,
    /// Referrals one file may get.
    #[schema(example = 1)]
    pub max_referrals: u32,
}

/// A round in full: a form can be built from its inputs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundDetail {
    #[serde(flatten)]
    pub summary: RoundSummary,
    /// A notice to every office, if the round has one.
    pub notice: Option<Label>,
    /// The laws and regulations the round cites.
    pub legal_references: Vec<LegalReference>,
    /// What offices, regions and inspectors supply.
    pub inputs: Vec<Input>,
    /// How the inputs score.
    pub criteria: Vec<Criterion>,
    /// What violations cost.
    pub penalties: Vec<Penalty>,
    /// How grades are given.
    pub grading: Grading,
    /// How offices are ranked.
    pub ranking: Ranking,
}

/// A law or regulation the round cites.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LegalReference {
    /// The reference's id, as criteria cite it.
    #[schema(example = "cabinet-6611")]
    pub id: String,
    /// Its title.
    pub label: Label,
}

/// One input of the round: what is asked, of whom, and in what range.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Input {
    /// The input's name, the key of declared values.
    #[schema(example = "area_m2")]
    pub name: String,
    /// What the form shows.
    pub label: Label,
    /// `integer`, `decimal`, `boolean`, `choice`, `date` or `violations`.
    #[serde(rename = "type")]
    #[schema(example = "decimal")]
    pub kind: &'static str,
    /// `office`, `region` or `inspection`.
    #[schema(example = "office")]
    pub supplied_by: &'static str,
    /// The unit the value is in, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Label>,
    /// Both ends, when the input has both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<[Fixed; 2]>,
    /// The smallest allowed value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Fixed>,
    /// The largest allowed value, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Fixed>,
    /// A choice's allowed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Choice>>,
    /// For `violations`: the penalty ids a record may name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["overcharging", "unapproved_relocation"]))]
    pub violation_kinds: Option<Vec<String>>,
    /// What a missing value becomes.
    pub when_missing: WhenMissing,
    /// A hint shown under the label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Label>,
}

/// One allowed value of a choice.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Choice {
    /// The value's name, as declared.
    #[schema(example = "city_center")]
    pub name: String,
    /// What the form shows.
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
    /// The criterion's id.
    #[schema(example = "area")]
    pub id: String,
    /// Its name.
    pub label: Label,
    /// The clause of the regulation it implements.
    #[schema(example = "Table 5-1, row 1")]
    pub clause: Option<String>,
    /// What its points are multiplied by.
    pub weight: Fixed,
    /// The most points it gives before weighting.
    pub max_points: Fixed,
    /// `bands`, `table`, `linear`, `formula`, `script` …
    #[schema(example = "bands")]
    pub kind: &'static str,
    /// The kinds of office it scores.
    pub applies_to: Vec<OfficeKind>,
    /// The inputs it reads.
    #[schema(example = json!(["area_m2"]))]
    pub reads: Vec<String>,
    /// `native` or `interpreted`.
    #[schema(example = "native")]
    pub runs: &'static str,
}

/// One penalty.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Penalty {
    /// The penalty's id, the `kind` of a violation record.
    #[schema(example = "overcharging")]
    pub id: String,
    /// Its name.
    pub label: Label,
    /// The clause of the regulation it implements.
    #[schema(example = "Table 5-1, negative points, row 1")]
    pub clause: Option<String>,
    /// Points deducted for the first violation.
    pub points: Fixed,
    /// Points deducted for the second, third … violation (the last repeats).
    pub repeat_points: Vec<Fixed>,
    /// The most it may deduct in a round, if capped.
    pub cap: Option<Fixed>,
    /// The kinds of office it applies to.
    pub applies_to: Vec<OfficeKind>,
}

/// How grades are given.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Grading {
    /// `nationwide`, `region`, `office_kind` or `region_and_kind`.
    #[schema(example = "nationwide")]
    pub scope: &'static str,
    /// Cut points or shares.
    pub method: GradeMethod,
    /// Percent of services grades 1, 2 and 3 may offer.
    pub service_share_percent: [Fixed; 3],
    /// `lowest_grade` or `score_carried_over`.
    #[schema(example = "lowest_grade")]
    pub non_filers: &'static str,
    /// A total this close to a grade's cut point makes the grade fragile.
    pub fragile_margin: Fixed,
}

/// Cut points (minimum totals) or population shares (percent) for grades 1 and 2.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GradeMethod {
    /// `cut_points` or `shares`.
    #[schema(example = "cut_points")]
    pub method: &'static str,
    /// The cut point or share of grade 1.
    pub grade_1: Fixed,
    /// The cut point or share of grade 2.
    pub grade_2: Fixed,
}

/// How offices are ranked.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Ranking {
    /// The scopes offices get a position in.
    #[schema(example = json!(["nationwide", "office_kind", "region"]))]
    pub scopes: Vec<&'static str>,
    /// The tie-break chain in words, e.g. `total descending`, `office_id ascending`.
    #[schema(example = json!(["total descending", "office_id ascending"]))]
    pub tie_break: Vec<String>,
    /// Decimals totals are rounded to.
    #[schema(example = 2)]
    pub decimals: u32,
    /// How totals are rounded to `decimals`.
    #[schema(value_type = String, example = "half_up")]
    pub rounding: RoundingMode,
}

/// One office scored statelessly, with the full explanation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Scored {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The live rules' version.
    #[schema(example = "1400-2.1")]
    pub rules_version: String,
    /// The content hash of the live rules.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub rules_hash: String,
    /// How the office scored, criterion by criterion.
    pub explanation: Explanation,
}

/// A batch scored and ranked together.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchScored {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The live rules' version.
    #[schema(example = "1400-2.1")]
    pub rules_version: String,
    /// The content hash of the live rules.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub rules_hash: String,
    /// Every office of the batch, nationwide position first.
    pub results: Vec<BatchResult>,
}

/// One office of a batch.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    /// The office's id, as sent.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// `null` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    /// The office's grade.
    pub grade: Grade,
    /// Percent of the services available in its area it may offer.
    pub service_share_percent: Fixed,
    /// Points short of the next better grade; `null` in grade 1 or for a non-filer.
    pub to_next_grade: Option<Fixed>,
    /// Ranking scope → position.
    #[schema(example = json!({"nationwide": 5, "office_kind": 1, "region": 3}))]
    pub positions: BTreeMap<String, u32>,
    /// Criterion id → points.
    pub points: BTreeMap<String, Fixed>,
    /// Penalty id → points.
    pub penalties: BTreeMap<String, Fixed>,
    /// The full explanation, when asked for with `explain`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}
