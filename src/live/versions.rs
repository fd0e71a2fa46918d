//! Where a version goes when it goes live, and what decides whether it may: the version log (the
//! database keeps every version that was ever live), the publication check (the freeze of
//! published rounds) and this replica's identity.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use serde::Serialize;

use crate::domain::RoundId;
use crate::rules::RuleSet;
use crate::rules::ruleset::SourceFile;

use super::Origin;

/// Whether a round has published results. The registry asks before letting a change to the
/// scoring of a round with `freeze_after_publication: true` go live.
///
/// It is called off the async workers (inside `spawn_blocking`), so an implementation may block
/// briefly, e.g. on `tokio::runtime::Handle::current().block_on(query)`.
pub trait PublicationCheck: Send + Sync {
    fn is_published(&self, round: RoundId) -> bool;
}

/// The default [`PublicationCheck`]: nothing is published, so nothing is frozen.
#[derive(Clone, Copy, Debug, Default)]
pub struct NothingPublished;

impl PublicationCheck for NothingPublished {
    fn is_published(&self, _round: RoundId) -> bool {
        false
    }
}

/// A boxed future, for the object-safe [`VersionLog`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A version about to go live, as handed to the [`VersionLog`].
#[derive(Clone, Copy, Debug)]
pub struct GoingLive<'a> {
    pub rules: &'a RuleSet,
    pub origin: Origin,
    /// Which server makes it live ([`replica_id`]).
    pub replica: &'a str,
    pub at: jiff::Timestamp,
}

/// Where every version that was ever live is kept with its full source text (the database; see
/// `store::rule_versions`). The registry records a version *before* it goes live, so a version
/// that served is never lost.
pub trait VersionLog: Send + Sync {
    /// Stores the version (idempotent by round and hash) and notes that it went live.
    fn record<'a>(&'a self, version: GoingLive<'a>) -> BoxFuture<'a, Result<(), String>>;
    /// The files of a stored version, if there is one with that hash.
    fn source<'a>(
        &'a self,
        round: RoundId,
        hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<SourceFile>>, String>>;
    /// The files of the version of a round that went live last (on any replica).
    fn last_live(&self, round: RoundId) -> BoxFuture<'_, Result<Option<Vec<SourceFile>>, String>>;
    /// Every round with a stored version.
    fn rounds(&self) -> BoxFuture<'_, Result<Vec<RoundId>, String>>;
}

/// This server's identity among several replicas (`host:pid`), shown on `/health` and kept with
/// each version it made live, so an operator can see that all replicas serve the same rules.
pub fn replica_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .unwrap_or_else(|| "localhost".to_string());
        format!("{host}:{}", std::process::id())
    })
}

/// A version of a round's rules as the version log keeps it, without its source.
#[derive(Clone, Debug, Serialize)]
pub struct VersionSummary {
    pub round: String,
    pub hash: String,
    pub version: String,
    pub loaded_at: jiff::Timestamp,
    pub first_live_at: jiff::Timestamp,
    /// When a server last made it live (start-up or reload).
    pub last_live_at: jiff::Timestamp,
    /// What first made it live: `startup` or `file_watcher`.
    pub origin: String,
    /// The server (`host:pid`) that first made it live.
    pub replica: String,
}

/// A version as the version log keeps it, with every file's path and text.
#[derive(Clone, Debug, Serialize)]
pub struct StoredVersion {
    #[serde(flatten)]
    pub summary: VersionSummary,
    pub files: Vec<SourceFile>,
}
