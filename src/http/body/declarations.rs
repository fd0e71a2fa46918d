//! Bodies of an office's own declaration (`/v1/rounds/{round}/declaration`).

use jiff::Timestamp;
use serde::Serialize;

use super::InputValue;
use crate::domain::Label;
use crate::workflow::calendar::PhaseWindow;

/// An office's declaration for a round, with last round's values as the starting point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Declaration {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The office's license number.
    #[schema(example = "P-ESF-000001")]
    pub office: String,
    /// `not_started`, `draft`, `submitted` or `referred`.
    #[schema(example = "draft")]
    pub status: &'static str,
    /// Send it back with a save; 0 before the first save.
    #[schema(example = 2)]
    pub version: i64,
    /// The office's values, input name → value.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Inputs whose value was taken from the previous round at submission.
    #[schema(example = json!(["area_m2"]))]
    pub carried_over: Vec<String>,
    /// When it was submitted; `null` before.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub submitted_at: Option<Timestamp>,
    /// `submitted_at` in Tehran time, Jalali.
    #[schema(example = "1400/01/20 09:00")]
    pub submitted_at_jalali: Option<String>,
    /// The previous round's values, for inputs carried over.
    pub previous_round: PreviousRound,
    /// The self-declaration window, and whether it is open now.
    pub window: DeclarationWindow,
    /// The inputs the office fills in.
    pub inputs: Vec<DeclarationInput>,
    /// The open referral of a referred file: what to correct, and by when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral: Option<ReferralNotice>,
}

/// Last round's values, offered as the starting point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PreviousRound {
    /// The previous round.
    #[schema(example = "1400-1")]
    pub round: String,
    /// Its values, for inputs carried over.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub values: serde_json::Map<String, serde_json::Value>,
    /// What happens to values left unchanged.
    pub note: Label,
}

/// The self-declaration window, and whether it is open now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeclarationWindow {
    #[serde(flatten)]
    pub window: PhaseWindow,
    /// Whether the window is open at this moment.
    #[schema(example = true)]
    pub open_now: bool,
}

/// An input the office fills in.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeclarationInput {
    /// The input's name, the key of `values`.
    #[schema(example = "area_m2")]
    pub name: String,
    /// What the form shows.
    pub label: Label,
    /// `integer`, `decimal`, `boolean`, `choice`, `date` or `violations`.
    #[serde(rename = "type")]
    #[schema(example = "decimal")]
    pub kind: &'static str,
    /// The unit the value is in, if any.
    pub unit: Option<Label>,
}

/// What a referral asks the office to correct, and the deadline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReferralNotice {
    /// Input name → why it must be corrected.
    #[schema(value_type = BTreeMap<String, String>, example = json!({"area_m2": "سند اجاره با مساحت اعلام‌شده همخوانی ندارد"}))]
    pub reasons: serde_json::Map<String, serde_json::Value>,
    #[serde(flatten)]
    pub deadline: super::review::Deadline,
}
