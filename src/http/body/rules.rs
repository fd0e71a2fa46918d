//! Bodies of `/v1/rules`: live versions, load attempts and stored versions.

use jiff::Timestamp;
use serde::Serialize;

/// Every round the server knows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RulesOverview {
    /// This server among several replicas (`host:pid`).
    pub replica: &'static str,
    pub rounds: Vec<RoundRules>,
}

/// One round's rules on this server.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundRules {
    pub round: String,
    /// `null` when no version of the round is live.
    pub live: Option<LiveRules>,
    pub last_attempt: Option<Attempt>,
    /// Every version that was ever live.
    pub versions: Vec<VersionSummary>,
}

/// The live version of a round.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LiveRules {
    pub version: String,
    pub hash: String,
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub loaded_at: Option<Timestamp>,
    pub freeze_after_publication: bool,
    /// A canonical text of everything that affects scores.
    pub scoring_fingerprint: String,
}

/// The last attempt to load a round's files.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Attempt {
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub at: Timestamp,
    pub ok: bool,
    /// The content hash of the files tried (absent when they could not be read).
    pub hash: Option<String>,
    /// `startup` or `file_watcher`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<&'static str>,
    /// Every problem; empty when `ok`.
    pub errors: Vec<Diagnostic>,
}

/// One problem in a rule set, at its file (relative to the rules directory), line and column.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl From<&crate::rules::Diagnostic> for Diagnostic {
    fn from(d: &crate::rules::Diagnostic) -> Self {
        Diagnostic {
            file: d.at.file.display().to_string(),
            line: d.at.line,
            column: d.at.column,
            message: d.message.clone(),
            hint: d.hint.clone(),
        }
    }
}

/// A version that was live.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub hash: String,
    pub version: String,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub first_live_at: Timestamp,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub last_live_at: Timestamp,
    /// `startup` or `file_watcher`.
    pub origin: String,
    pub replica: String,
}

/// One version of a round's rules, with every file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleVersion {
    pub round: String,
    pub hash: String,
    pub version: String,
    /// True when this version is live now.
    pub live: bool,
    /// Absent when the version is known only from memory (not recorded in the database).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub loaded_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub first_live_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub last_live_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<String>,
    pub files: Vec<SourceFile>,
}

/// A rule file: its path in the round's directory and its full text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}
