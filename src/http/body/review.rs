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
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// Files matching the query, on every page.
    #[schema(example = 12)]
    pub total: usize,
    /// This page's number, from 1.
    #[schema(example = 1)]
    pub page: usize,
    /// How many files a page holds.
    #[schema(example = 50)]
    pub per_page: usize,
    /// This page's files.
    pub files: Vec<FileListItem>,
}

/// One office and its declaration's status.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileListItem {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's name.
    #[schema(example = "دفتر پیشخوان دولت ۱۲۳۴")]
    pub name: String,
    /// The office's kind.
    pub kind: OfficeKind,
    /// The office's region.
    pub region: RegionId,
    /// The office's province code.
    #[schema(example = "THR")]
    pub province: String,
    /// `not_started`, `draft`, `submitted` or `referred`.
    #[schema(example = "submitted")]
    pub status: &'static str,
    /// The declaration's version (0 before the first save).
    #[schema(example = 3)]
    pub version: i64,
    /// When the declaration was submitted; `null` before.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub submitted_at: Option<Timestamp>,
    /// `submitted_at` in Tehran time, Jalali.
    #[schema(example = "1400/01/20 09:00")]
    pub submitted_at_jalali: Option<String>,
    /// The file's review flags, risk and deadline (the queue's order: `sort=risk`).
    pub triage: super::triage::FileTriage,
}

/// One file in full.
#[derive(Serialize, utoipa::ToSchema)]
pub struct File {
    /// The office, from the registry.
    pub office: Office,
    /// `null` when the office has not started its declaration.
    pub declaration: Option<StoredDeclaration>,
    /// Every referral of the file, oldest first.
    pub referrals: Vec<Referral>,
    /// The office's objection, if it filed one.
    pub objection: Option<Objection>,
    /// The file's review flags, risk and deadline; `null` for the office's own holder.
    pub triage: Option<super::triage::FileTriage>,
}

/// A declaration as stored: the office's and the region's values.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StoredDeclaration {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office_id: String,
    /// `draft`, `submitted` or `referred`.
    #[schema(example = "submitted")]
    pub status: &'static str,
    /// The values the office declared.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub office_values: serde_json::Map<String, serde_json::Value>,
    /// The values the regional office recorded (they win over the office's).
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub region_values: serde_json::Map<String, serde_json::Value>,
    /// Inputs whose values came unchanged from the previous round.
    #[schema(example = json!(["area_m2", "location"]))]
    pub carried_over: Vec<String>,
    /// Send it back when saving; a concurrent change answers 409.
    #[schema(example = 3)]
    pub version: i64,
    /// When it was last changed.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub updated_at: Timestamp,
    /// When it was submitted; `null` before.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub submitted_at: Option<Timestamp>,
    /// `submitted_at` in Tehran time, Jalali.
    #[schema(example = "1400/01/20 09:00")]
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
    /// The referral's id.
    #[schema(example = 1)]
    pub id: i64,
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office_id: String,
    /// Input name → why it must be corrected.
    #[schema(value_type = BTreeMap<String, String>, example = json!({"area_m2": "سند اجاره با مساحت اعلام‌شده همخوانی ندارد"}))]
    pub reasons: serde_json::Map<String, serde_json::Value>,
    /// The referred inputs' values when referred.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub original_values: serde_json::Map<String, serde_json::Value>,
    /// The reviewer who referred it.
    #[schema(example = "reviewer1")]
    pub referred_by: String,
    /// When it was referred.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub referred_at: Timestamp,
    /// `referred_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/08 11:30")]
    pub referred_at_jalali: String,
    /// The correction deadline.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub deadline_at: Timestamp,
    /// `deadline_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/13 00:00")]
    pub deadline_at_jalali: String,
    /// When the office resubmitted, or the deadline passed; `null` while open.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub resolved_at: Option<Timestamp>,
    /// `resolved_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/10 14:05")]
    pub resolved_at_jalali: Option<String>,
    /// `open`, `resubmitted` or `expired`.
    #[schema(example = "open")]
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
    #[schema(example = 1)]
    pub id: i64,
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office_id: String,
    /// The office's own words.
    #[schema(example = "مساحت دفتر پس از بازسازی ۹۵ متر مربع است")]
    pub text: String,
    /// The criteria and penalties objected to.
    #[schema(example = json!(["area", "personnel"]))]
    pub criteria: Vec<String>,
    /// When it was filed.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub filed_at: Timestamp,
    /// `filed_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/18 09:15")]
    pub filed_at_jalali: String,
    /// `pending`, `accepted` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    /// Corrected inputs, applied at finalization if accepted.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub corrections: serde_json::Map<String, serde_json::Value>,
    /// Why the region decided as it did; `null` while pending.
    #[schema(example = "سند اجاره جدید پذیرفته شد")]
    pub decision_reason: Option<String>,
    /// The reviewer who decided; `null` while pending.
    #[schema(example = "reviewer1")]
    pub decided_by: Option<String>,
    /// When it was decided; `null` while pending.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub decided_at: Option<Timestamp>,
    /// `decided_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/20 10:00")]
    pub decided_at_jalali: Option<String>,
    /// Send it back when handling the objection; a concurrent change answers 409.
    #[schema(example = 1)]
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
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The file's new version.
    #[schema(example = 4)]
    pub version: i64,
    /// The values the region recorded now.
    #[schema(value_type = BTreeMap<String, InputValue>)]
    pub region_values: serde_json::Map<String, serde_json::Value>,
}

/// A file as accepted by its reviewer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileAccepted {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The file's new version; the file counts as reviewed while it stays at this version.
    #[schema(example = 4)]
    pub version: i64,
    /// Who accepted it, as the audit log names them.
    #[schema(example = "reviewer:reviewer1")]
    pub accepted_by: String,
    /// When it was accepted.
    #[schema(value_type = String, format = DateTime, example = "2021-04-28T05:30:00Z")]
    pub accepted_at: Timestamp,
    /// `accepted_at` in the Jalali calendar, Tehran time.
    #[schema(example = "1400/02/08 10:00")]
    pub accepted_at_jalali: String,
}

/// A referral as made, with the office's correction deadline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReferralMade {
    /// The referral made.
    pub referral: Referral,
    /// The correction deadline.
    pub deadline: Deadline,
}

/// A correction deadline: the last day (Jalali and ISO) and the instant it closes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Deadline {
    /// The last day to correct, Jalali.
    #[schema(value_type = String, example = "1400/02/20")]
    pub last_day: crate::domain::JalaliDate,
    /// The last day to correct, Gregorian.
    #[schema(value_type = String, format = Date, example = "2021-05-10")]
    pub last_day_iso: jiff::civil::Date,
    /// When the correction window closes (the end of the last day, Tehran time).
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub closes_at: Timestamp,
    /// `closes_at` in Tehran time, Jalali.
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
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The round's objections in the reviewer's scope.
    pub objections: Vec<Objection>,
}
