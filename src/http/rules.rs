//! Rule sets as the server holds them: for each round the live version, the last attempt to load
//! its files (with every diagnostic at file:line:column), and every version that was ever live,
//! whose full source can be fetched by hash.
//!
//! The list is for staff (reviewers, the regulator, admins): the diagnostics of a failed edit
//! show work in progress. Their files are named relative to the rules directory, never by the
//! server's own paths. A version by hash is public policy: any signed-in user may read it.

use std::path::{Path as FsPath, PathBuf};

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::rules as body;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Path};
use crate::domain::{Label, Role, RoundId};
use crate::live::{Attempt, replica_id, scoring_fingerprint};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules))
        .routes(routes!(get_version))
}

fn round_id(round: &str) -> Result<RoundId, ApiError> {
    RoundId::parse(round).map_err(|e| {
        ApiError::NotFound(Label::new(
            format!("دوره {} وجود ندارد", crate::domain::quoted(round)),
            e.to_string(),
        ))
    })
}

/// Every round the server knows (live, tried, or with a directory): its live version (hash,
/// loaded at), the last attempt to load its files (at, ok, every error with file, line and
/// column, the file relative to the rules directory), and the stored versions that were ever live
/// (hash, version, first live at). Staff only.
#[utoipa::path(get, path = "/v1/rules", tag = "rules", security(("bearer" = [])),
    responses((status = 200, body = body::RulesOverview), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_rules(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<axum::Json<body::RulesOverview>, ApiError> {
    me.require(&[Role::Reviewer, Role::Regulator, Role::Admin])?;
    let registry = &state.rules;
    let live = registry.rounds();
    let attempts = registry.attempts();
    let mut ids: std::collections::BTreeSet<RoundId> = live.keys().copied().collect();
    ids.extend(attempts.keys().filter_map(|k| RoundId::parse(k).ok()));
    ids.extend(registry.round_dirs().into_iter().map(|(id, _)| id));
    let mut rounds = Vec::with_capacity(ids.len());
    for id in ids {
        let live = live.get(&id).map(|rs| body::LiveRules {
            version: rs.version.clone(),
            hash: rs.hash().to_string(),
            loaded_at: registry.loaded_at(id),
            freeze_after_publication: rs.freeze_after_publication,
            scoring_fingerprint: scoring_fingerprint(rs),
        });
        let versions = crate::app::rule_versions::versions(&state, id).await?;
        rounds.push(body::RoundRules {
            round: id.to_string(),
            live,
            last_attempt: attempts
                .get(&id.to_string())
                .map(|a| relative_attempt(a, &registry.dir)),
            versions: versions
                .into_iter()
                .map(|v| body::VersionSummary {
                    hash: v.hash,
                    version: v.version,
                    first_live_at: v.first_live_at,
                    last_live_at: v.last_live_at,
                    origin: v.origin,
                    replica: v.replica,
                })
                .collect(),
        });
    }
    Ok(axum::Json(body::RulesOverview {
        replica: replica_id(),
        rounds,
    }))
}

/// The attempt with every file named relative to the rules directory `root` (a file elsewhere by
/// its name alone), so the server's own paths are never shown.
fn relative_attempt(attempt: &Attempt, root: &FsPath) -> body::Attempt {
    body::Attempt {
        at: attempt.at,
        ok: attempt.ok,
        hash: attempt.hash.clone(),
        origin: attempt.origin.map(|o| o.as_str()),
        errors: attempt
            .errors
            .iter()
            .map(|d| {
                let file = match d.at.file.strip_prefix(root) {
                    Ok(rel) => rel.to_path_buf(),
                    Err(_) => d.at.file.file_name().map(PathBuf::from).unwrap_or_default(),
                };
                body::Diagnostic {
                    file: file.display().to_string(),
                    ..body::Diagnostic::from(d)
                }
            })
            .collect(),
    }
}

/// One version of a round's rules by content hash, with every file's path and full text: the
/// rules a published result (which names its hash) was computed with.
#[utoipa::path(get, path = "/v1/rules/{round}/versions/{hash}", tag = "rules", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"),
           ("hash" = String, Path, description = "the 64-hex-digit content hash")),
    responses((status = 200, body = body::RuleVersion), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_version(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path((round, hash)): Path<(String, String)>,
) -> Result<axum::Json<body::RuleVersion>, ApiError> {
    let id = round_id(&round)?;
    let not_found = || {
        ApiError::NotFound(Label::new(
            format!(
                "نسخه {} از قواعد دوره {} پیدا نشد",
                crate::domain::quoted(&hash),
                crate::domain::quoted(&round)
            ),
            format!("round {round} has no rule version {hash}"),
        ))
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let hash = hash.to_ascii_lowercase();
    let live = state.rules.get(id).is_some_and(|rs| rs.hash() == hash);
    let files = |files: &[crate::rules::ruleset::SourceFile]| {
        files
            .iter()
            .map(|f| body::SourceFile {
                path: f.path.clone(),
                text: f.text.clone(),
            })
            .collect()
    };
    if let Some(v) = crate::app::rule_versions::version(&state, id, &hash).await? {
        return Ok(axum::Json(body::RuleVersion {
            round: v.summary.round,
            hash: v.summary.hash,
            version: v.summary.version,
            live,
            loaded_at: Some(v.summary.loaded_at),
            first_live_at: Some(v.summary.first_live_at),
            last_live_at: Some(v.summary.last_live_at),
            origin: Some(v.summary.origin),
            replica: Some(v.summary.replica),
            files: files(&v.files),
        }));
    }
    // Not in the database (a server started without recording versions): what memory holds.
    match state.rules.version(id, &hash).await {
        Ok(Some(rs)) => Ok(axum::Json(body::RuleVersion {
            round: rs.round.to_string(),
            hash: rs.hash().to_string(),
            version: rs.version.clone(),
            live,
            loaded_at: None,
            first_live_at: None,
            last_live_at: None,
            origin: None,
            replica: None,
            files: files(&rs.source.files),
        })),
        Ok(None) => Err(not_found()),
        Err(e) => Err(ApiError::internal(e)),
    }
}
