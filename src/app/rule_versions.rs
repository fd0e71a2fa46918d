//! The versions of a round's rules that were ever live, as the version log keeps them: the list a
//! staff overview shows, and one version's files by content hash (the rules a published result
//! names).

use super::{App, AppError};
use crate::domain::RoundId;
use crate::live::versions::{StoredVersion, VersionSummary};

/// Every version of `round`'s rules that was ever live, without their sources.
pub async fn versions(app: &App, round: RoundId) -> Result<Vec<VersionSummary>, AppError> {
    Ok(app.store.rule_versions(round).await?)
}

/// The version of `round`'s rules with content hash `hash` (lowercase hex), with every file, if
/// the log keeps it.
pub async fn version(
    app: &App,
    round: RoundId,
    hash: &str,
) -> Result<Option<StoredVersion>, AppError> {
    Ok(app.store.rule_version(round, hash).await?)
}
