//! The round's records as plain data: offices, accounts, declarations, referrals, objections,
//! publications and their results, what an office import did, and idempotency keys' requests and
//! answers, as they are kept. The store maps its rows into them (and back); the workflow computes
//! on them, the application layer and the front ends read them. Nothing here knows SQL, so a room
//! that computes on a declaration needs no arrow to the store.

use serde::Serialize;

use super::{
    DeclarationStatus, NationalCode, ObjectionStatus, OfficeId, OfficeKind, ReferralStatus,
    RegionId, Role, RoundId, Stage,
};

/// A stored record that cannot be read back as it was written (edited by hand, a bad migration),
/// e.g. "publication_results row 3/P-THR-000030: result is not JSON". Told apart from other
/// errors so the client is told which row, and the full problem is logged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{table} row {row}: {problem}")]
pub struct CorruptRecord {
    /// The table the record lives in.
    pub table: &'static str,
    /// The record's key, as an operator would look it up.
    pub row: String,
    /// What is wrong with it.
    pub problem: String,
}

/// The instant a record keeps as milliseconds since the Unix epoch (the storage format of every
/// time); one out of range reads as the epoch.
pub fn from_millis(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// A stored declaration. Values are kept as the JSON the office sent, already checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeclarationRow {
    pub round: RoundId,
    pub office_id: OfficeId,
    pub status: DeclarationStatus,
    pub office_values: serde_json::Map<String, serde_json::Value>,
    pub region_values: serde_json::Map<String, serde_json::Value>,
    pub carried_over: Vec<String>,
    pub version: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
}

impl DeclarationRow {
    /// Every value of the file: the office's, overridden by the region's where both hold the same
    /// input (the region reviews what offices declare). The one rule for a publication's inputs and
    /// for last round's values.
    pub fn all_values(self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = self.office_values;
        m.extend(self.region_values);
        m
    }
}

/// A referral as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Referral {
    pub id: i64,
    pub round: RoundId,
    pub office_id: OfficeId,
    /// Input name → why it must be corrected.
    pub reasons: serde_json::Map<String, serde_json::Value>,
    /// The office's values when the file was referred; restored if the referral expires.
    pub original_values: serde_json::Map<String, serde_json::Value>,
    pub referred_by: String,
    pub referred_at: i64,
    pub deadline_at: i64,
    pub resolved_at: Option<i64>,
    pub status: ReferralStatus,
}

/// A publication's header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Publication {
    pub id: i64,
    pub round: RoundId,
    pub stage: Stage,
    pub rules_hash: String,
    pub rules_version: String,
    pub engine_version: String,
    pub published_at: i64,
    pub published_by: String,
    pub office_count: i64,
    pub snapshot_hash: String,
}

/// One office's stored result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredResult {
    pub office_id: OfficeId,
    pub region: u8,
    pub kind: String,
    pub filed: bool,
    pub total: Option<String>,
    pub grade: u8,
    pub service_share: String,
    /// The values the score was computed from (office and region values, previous round's values).
    pub inputs: serde_json::Value,
    /// The canonical result document (explanation, positions, grade, share), exactly as published.
    pub result: String,
}

impl StoredResult {
    /// The result document, parsed; text that is not a JSON object is a corrupt row of
    /// `publication` (the text itself is kept byte for byte, as it was hashed).
    pub fn document(&self, publication: i64) -> Result<serde_json::Value, CorruptRecord> {
        match serde_json::from_str(&self.result) {
            Ok(doc @ serde_json::Value::Object(_)) => Ok(doc),
            Ok(_) => Err(self.corrupt(publication, "result is JSON but not an object".into())),
            Err(e) => Err(self.corrupt(publication, format!("result is not JSON ({e})"))),
        }
    }

    /// This result, unreadable as `problem`: a corrupt row of `publication`.
    pub fn corrupt(&self, publication: i64, problem: String) -> CorruptRecord {
        CorruptRecord {
            table: "publication_results",
            row: format!("{publication}/{}", self.office_id),
            problem,
        }
    }
}

/// An objection as stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Objection {
    pub id: i64,
    pub round: RoundId,
    pub office_id: OfficeId,
    pub text: String,
    pub criteria: Vec<String>,
    pub filed_at: i64,
    pub status: ObjectionStatus,
    /// Input name → corrected value, applied at finalization if the objection is accepted.
    pub corrections: serde_json::Map<String, serde_json::Value>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub version: i64,
}

/// A licensed office as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OfficeRow {
    pub id: OfficeId,
    pub kind: OfficeKind,
    pub region: RegionId,
    pub province: String,
    pub name: String,
    pub holder_national_code: NationalCode,
}

/// A stored user.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    /// Argon2id PHC string; `None` while the initial password (the national code) is in force.
    pub password_hash: Option<String>,
    pub role: Role,
    pub office_id: Option<OfficeId>,
    pub region: Option<u8>,
    pub national_code: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
}

/// What an import did, row by row.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Offices new to the registry.
    #[schema(example = 12)]
    pub created: usize,
    /// Offices whose row changed.
    #[schema(example = 3)]
    pub updated: usize,
    /// Offices already as in the file.
    #[schema(example = 45)]
    pub unchanged: usize,
    /// Accounts created for new holders, with their usernames (the national code, unless taken).
    #[schema(example = json!(["0076229645"]))]
    pub accounts_created: Vec<String>,
}

/// What a user's key identifies: the request it was first sent with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedRequest {
    pub user_id: i64,
    pub key: String,
    /// Method and path, e.g. `PUT /v1/rounds/1400-2/declaration`.
    pub route: String,
    /// SHA-256 of the request body, hex.
    pub request_hash: String,
}

/// The answer stored under a key, with the request it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub route: String,
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}
