//! Bodies of `/v1/rules`: live versions, load attempts and stored versions.

use jiff::Timestamp;
use serde::Serialize;

/// Every round the server knows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RulesOverview {
    /// This server among several replicas (`host:pid`).
    #[schema(example = "vm:25851")]
    pub replica: &'static str,
    /// Every round, in id order.
    pub rounds: Vec<RoundRules>,
}

/// One round's rules on this server.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoundRules {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// `null` when no version of the round is live.
    pub live: Option<LiveRules>,
    /// The last attempt to load its files.
    pub last_attempt: Option<Attempt>,
    /// Every version that was ever live.
    pub versions: Vec<VersionSummary>,
}

/// The live version of a round.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LiveRules {
    /// The version, as the rule files name it.
    #[schema(example = "1400-2.1")]
    pub version: String,
    /// The content hash of the rule files (64 hex digits).
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub hash: String,
    /// When it went live on this server.
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub loaded_at: Option<Timestamp>,
    /// Whether a changed file is refused once the round is published.
    #[schema(example = true)]
    pub freeze_after_publication: bool,
    /// A canonical text of everything that affects scores.
    #[schema(example = "e8986b7ab66eaa318970a02cff88ddddacbf0ba1446ee0a48fae6e18e7cefaed")]
    pub scoring_fingerprint: String,
}

/// The last attempt to load a round's files.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Attempt {
    /// When it was tried.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub at: Timestamp,
    /// Whether the files compiled and went live.
    #[schema(example = true)]
    pub ok: bool,
    /// The content hash of the files tried (absent when they could not be read).
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub hash: Option<String>,
    /// `startup` or `file_watcher`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "startup")]
    pub origin: Option<&'static str>,
    /// Every problem; empty when `ok`.
    pub errors: Vec<Diagnostic>,
}

/// One problem in a rule set, at its file (relative to the rules directory), line and column.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "file": "1400-2/criteria.yaml", "line": 8, "column": 5,
    "message": {"fa": "کلید «wieght» در معیار شناخته نیست", "en": "unknown key `wieght` in criterion"},
    "hint": {"fa": "آیا منظورتان «weight» است؟", "en": "did you mean `weight`?"}
}))]
pub struct Diagnostic {
    /// The file, relative to the rules directory.
    #[schema(example = "1400-2/criteria.yaml")]
    pub file: String,
    /// The line, from 1 (0: the whole file).
    #[schema(example = 12)]
    pub line: u32,
    /// The column, from 1 (0: unknown).
    #[schema(example = 5)]
    pub column: u32,
    /// What is wrong, in Persian and English: the same names (inside «» in the Persian) and numbers.
    pub message: crate::domain::Label,
    /// What to do about it, when known, in Persian and English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<crate::domain::Label>,
}

impl From<&crate::rules::Diagnostic> for Diagnostic {
    fn from(d: &crate::rules::Diagnostic) -> Self {
        Diagnostic {
            file: d.at.file.display().to_string(),
            line: d.at.line,
            column: d.at.column,
            message: d.message_label(),
            hint: d.hint.clone(),
        }
    }
}

/// A version that was live.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    /// The content hash of its files.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub hash: String,
    /// The version, as the rule files name it.
    #[schema(example = "1400-2.1")]
    pub version: String,
    /// When it first went live.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub first_live_at: Timestamp,
    /// When it last went live.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub last_live_at: Timestamp,
    /// `startup` or `file_watcher`.
    #[schema(example = "startup")]
    pub origin: String,
    /// The replica that loaded it (`host:pid`).
    #[schema(example = "vm:25851")]
    pub replica: String,
}

/// One version of a round's rules, with every file.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleVersion {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The content hash of its files.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub hash: String,
    /// The version, as the rule files name it.
    #[schema(example = "1400-2.1")]
    pub version: String,
    /// True when this version is live now.
    #[schema(example = false)]
    pub live: bool,
    /// Absent when the version is known only from memory (not recorded in the database).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub loaded_at: Option<Timestamp>,
    /// When it first went live.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub first_live_at: Option<Timestamp>,
    /// When it last went live.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub last_live_at: Option<Timestamp>,
    /// `startup` or `file_watcher`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "startup")]
    pub origin: Option<String>,
    /// The replica that loaded it (`host:pid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "vm:25851")]
    pub replica: Option<String>,
    /// Every file of the version.
    pub files: Vec<SourceFile>,
}

/// A rule file: its path in the round's directory and its full text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceFile {
    /// The path in the round's directory.
    #[schema(example = "criteria.yaml")]
    pub path: String,
    /// The file's full text.
    #[schema(example = "criteria:\n  - id: area\n    kind: bands\n")]
    pub text: String,
}

#[cfg(test)]
mod tests {
    use crate::rules::test_support::{edit, example};

    /// The OpenAPI document's example of a diagnostic is what the server gives for that mistake.
    #[test]
    fn the_documented_example_of_a_diagnostic_is_the_real_answer_to_a_misspelled_key() {
        let (tmp, dir) = example();
        edit(
            &dir,
            "criteria.yaml",
            "    weight: 1.5\n",
            "    wieght: 1.5\n",
        );
        let diags = crate::rules::load_round(&dir)
            .expect_err("a misspelled key")
            .0;
        let mut body = super::Diagnostic::from(&diags[0]);
        body.file = diags[0]
            .at
            .file
            .strip_prefix(tmp.path())
            .unwrap()
            .display()
            .to_string();
        let (_, doc) = crate::http::routes();
        let doc = serde_json::to_value(&doc).unwrap();
        let documented = &doc["components"]["schemas"]["Diagnostic"]["example"];
        assert_eq!(&serde_json::to_value(&body).unwrap(), documented);
        for fa in [&documented["message"]["fa"], &documented["hint"]["fa"]] {
            assert_eq!(crate::domain::persian_problem(fa.as_str().unwrap()), None);
        }
    }
}
