//! Bodies of the regional review: files, referrals and objections.

use jiff::Timestamp;
use serde::Serialize;

use super::{InputValue, Office, instant, jalali};
use crate::domain::records::DeclarationRow;
use crate::domain::records::Objection as ObjectionRow;
use crate::domain::records::Referral as ReferralRow;
use crate::domain::{OfficeKind, RegionId};
use crate::workflow::Window;

/// A page of a region's files.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileList {
    pub round: String,
    /// Files matching the query, on every page.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub files: Vec<FileListItem>,
}

/// One office and its declaration's status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileListItem {
    pub office: String,
    pub name: String,
    pub kind: OfficeKind,
    pub region: RegionId,
    pub province: String,
    /// `not_started`, `draft`, `submitted` or `referred`.
    pub status: &'static str,
    pub version: i64,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub submitted_at: Option<Timestamp>,
    pub submitted_at_jalali: Option<String>,
    /// The file's review flags, risk and deadline (the queue's order: `sort=risk`).
    pub triage: super::triage::FileTriage,
}

/// One file in full.
#[derive(Serialize, utoipa::ToSchema)]
pub struct File {
    pub office: Office,
    /// `null` when the office has not started its declaration.
    pub declaration: Option<StoredDeclaration>,
    pub referrals: Vec<Referral>,
    pub objection: Option<Objection>,
    /// The file's review flags, risk and deadline; `null` for the office's own holder.
    pub triage: Option<super::triage::FileTriage>,
}

/// A declaration as stored: the office's and the region's values.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StoredDeclaration {
    pub round: String,
    pub office_id: String,
    /// `draft`, `submitted` or `referred`.
    pub status: &'static str,
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub office_values: serde_json::Map<String, serde_json::Value>,
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub region_values: serde_json::Map<String, serde_json::Value>,
    pub carried_over: Vec<String>,
    pub version: i64,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub updated_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub submitted_at: Option<Timestamp>,
    pub submitted_at_jalali: Option<String>,
}

impl From<DeclarationRow> for StoredDeclaration {
    fn from(d: DeclarationRow) -> Self {
        let submitted_at = d.submitted_at.map(instant);
        StoredDeclaration {
            round: d.round.to_string(),
            office_id: d.office_id.to_string(),
            status: d.status.as_str(),
            office_values: d.office_values,
            region_values: d.region_values,
            carried_over: d.carried_over,
            version: d.version,
            updated_at: instant(d.updated_at),
            submitted_at,
            submitted_at_jalali: submitted_at.map(jalali),
        }
    }
}

/// A referral: a file sent back to its office for correction.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: i64,
    pub round: String,
    pub office_id: String,
    /// Input name → why it must be corrected.
    #[schema(value_type = BTreeMap<String, String>)]
    pub reasons: serde_json::Map<String, serde_json::Value>,
    /// The referred inputs' values when referred.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub original_values: serde_json::Map<String, serde_json::Value>,
    pub referred_by: String,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub referred_at: Timestamp,
    pub referred_at_jalali: String,
    /// The correction deadline.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub deadline_at: Timestamp,
    pub deadline_at_jalali: String,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub resolved_at: Option<Timestamp>,
    pub resolved_at_jalali: Option<String>,
    /// `open`, `resubmitted` or `expired`.
    pub status: String,
}

impl From<ReferralRow> for Referral {
    fn from(r: ReferralRow) -> Self {
        let (referred_at, deadline_at) = (instant(r.referred_at), instant(r.deadline_at));
        let resolved_at = r.resolved_at.map(instant);
        Referral {
            id: r.id,
            round: r.round.to_string(),
            office_id: r.office_id.to_string(),
            reasons: r.reasons,
            original_values: r.original_values,
            referred_by: r.referred_by,
            referred_at,
            referred_at_jalali: jalali(referred_at),
            deadline_at,
            deadline_at_jalali: jalali(deadline_at),
            resolved_at,
            resolved_at_jalali: resolved_at.map(jalali),
            status: r.status.to_string(),
        }
    }
}

/// An office's objection to its first result, and how the region handled it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Objection {
    /// The same id in the answer to the filing, the list and the file.
    pub id: i64,
    pub round: String,
    pub office_id: String,
    pub text: String,
    /// The criteria and penalties objected to.
    pub criteria: Vec<String>,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub filed_at: Timestamp,
    pub filed_at_jalali: String,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    /// Corrected inputs, applied at finalization if accepted.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub corrections: serde_json::Map<String, serde_json::Value>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub decided_at: Option<Timestamp>,
    pub decided_at_jalali: Option<String>,
    /// Send it back when handling the objection; a concurrent change answers 409.
    pub version: i64,
}

impl From<ObjectionRow> for Objection {
    fn from(o: ObjectionRow) -> Self {
        let filed_at = instant(o.filed_at);
        let decided_at = o.decided_at.map(instant);
        Objection {
            id: o.id,
            round: o.round.to_string(),
            office_id: o.office_id.to_string(),
            text: o.text,
            criteria: o.criteria,
            filed_at,
            filed_at_jalali: jalali(filed_at),
            status: o.status.to_string(),
            corrections: o.corrections,
            decision_reason: o.decision_reason,
            decided_by: o.decided_by,
            decided_at,
            decided_at_jalali: decided_at.map(jalali),
            version: o.version,
        }
    }
}

/// The region's values as recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegionValuesRecorded {
    pub office: String,
    /// The file's new version.
    pub version: i64,
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub region_values: serde_json::Map<String, serde_json::Value>,
}

/// A file as accepted by its reviewer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileAccepted {
    pub office: String,
    /// The file's new version; the file counts as reviewed while it stays at this version.
    pub version: i64,
    /// Who accepted it, as the audit log names them.
    pub accepted_by: String,
    #[schema(value_type = String, format = DateTime, example = "2021-04-28T05:30:00Z")]
    pub accepted_at: Timestamp,
    /// `1400/02/08 10:00` (Tehran).
    pub accepted_at_jalali: String,
}

/// A referral as made, with the office's correction deadline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReferralMade {
    pub referral: Referral,
    pub deadline: Deadline,
}

/// A correction deadline: the last day (Jalali and ISO) and the instant it closes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Deadline {
    #[schema(value_type = String, example = "1400/02/20")]
    pub last_day: crate::domain::JalaliDate,
    #[schema(value_type = String, format = Date, example = "2021-05-10")]
    pub last_day_iso: jiff::civil::Date,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub closes_at: Timestamp,
    #[schema(example = "1400/02/21 00:00")]
    pub closes_at_jalali: String,
}

impl From<&Window> for Deadline {
    fn from(w: &Window) -> Self {
        Deadline {
            last_day: w.last_day,
            last_day_iso: w.last_day.to_gregorian(),
            closes_at: w.closes_at,
            closes_at_jalali: jalali(w.closes_at),
        }
    }
}

/// The objections of a region, or of every region.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ObjectionList {
    pub round: String,
    pub objections: Vec<Objection>,
}
