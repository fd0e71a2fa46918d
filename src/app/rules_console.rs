//! What the policy staff's rules pages show, as plain view types: each round's live version (hash,
//! when it went live, its rule tests' results), the last attempt to load the round's files with
//! every diagnostic, every version that was ever live with its source, and the difference between
//! two versions in business terms (the simulation's rule diff). Files are named relative to the
//! rules directory, never by the server's own paths.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Actor, App, AppError};
use crate::domain::{Label, Role, RoundId};
use crate::engine::simulate::diff;
use crate::rules::RuleSet;

/// Who may read the rules pages: the regulator's staff (policy staff sign in as regulators) and
/// admins.
pub const READERS: &[Role] = &[Role::Regulator, Role::Admin];

/// A round as the rules page shows it.
pub struct RoundRules {
    pub round: String,
    pub live: Option<LiveVersion>,
    pub last_attempt: Option<LoadAttempt>,
    /// How many versions were ever live.
    pub versions: usize,
}

/// The version a round is served with.
pub struct LiveVersion {
    pub version: String,
    pub hash: String,
    pub live_since: Option<jiff::Timestamp>,
    pub tests: Vec<RuleTest>,
}

/// One rule test of a version and its result.
#[derive(Clone)]
pub struct RuleTest {
    pub name: String,
    /// `file:line` of the case, relative to the rules directory.
    pub at: String,
    /// Empty when the case passed; each in Persian and English.
    pub failures: Vec<Label>,
}

impl RuleTest {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The last attempt to load a round's files.
pub struct LoadAttempt {
    pub at: jiff::Timestamp,
    pub ok: bool,
    pub hash: Option<String>,
    /// `startup` or `file_watcher`, when known.
    pub origin: Option<&'static str>,
    pub diagnostics: Vec<Problem>,
}

/// One diagnostic of a load: where, what, and what to do.
pub struct Problem {
    /// Relative to the rules directory.
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// In Persian and English.
    pub message: Label,
    /// What to do, in Persian and English.
    pub hint: Option<Label>,
}

/// `path` relative to the rules directory `root` (a file elsewhere by its name alone).
fn relative(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_default()
            .display()
            .to_string(),
    }
}

/// Every round the server knows (live, tried, or with a directory), with its live version, the
/// last attempt to load it, and how many versions were ever live. With `tests`, the live
/// versions' rule tests are run again and their results given (the gate ran them before the
/// version went live; the page shows what they say).
pub async fn overview(app: &App, actor: &Actor, tests: bool) -> Result<Vec<RoundRules>, AppError> {
    actor.require(READERS)?;
    let registry = &app.rules;
    let live = registry.rounds();
    let attempts = registry.attempts();
    let mut ids: BTreeSet<RoundId> = live.keys().copied().collect();
    ids.extend(attempts.keys().filter_map(|k| RoundId::parse(k).ok()));
    ids.extend(registry.round_dirs().into_iter().map(|(id, _)| id));
    let root = registry.dir.clone();
    let mut rounds = Vec::with_capacity(ids.len());
    for id in ids {
        let live = match live.get(&id) {
            Some(rs) => Some(LiveVersion {
                version: rs.version.clone(),
                hash: rs.hash().to_string(),
                live_since: registry.loaded_at(id),
                tests: if tests {
                    tests_of(app, rs, &root).await?
                } else {
                    Vec::new()
                },
            }),
            None => None,
        };
        let last_attempt = attempts.get(&id.to_string()).map(|a| LoadAttempt {
            at: a.at,
            ok: a.ok,
            hash: a.hash.clone(),
            origin: a.origin.map(|o| o.as_str()),
            diagnostics: a
                .errors
                .iter()
                .map(|d| Problem {
                    file: relative(&d.at.file, &root),
                    line: d.at.line,
                    column: d.at.column,
                    message: d.message_label(),
                    hint: d.hint.clone(),
                })
                .collect(),
        });
        let versions = app.store.rule_versions(id).await?.len();
        rounds.push(RoundRules {
            round: id.to_string(),
            live,
            last_attempt,
            versions,
        });
    }
    Ok(rounds)
}

/// The rule tests' results of live versions, by content hash: a version's files never change,
/// so its tests run once, not on every refresh of the rules page (which polls twice a second).
#[derive(Default)]
pub struct TestResults(std::sync::Mutex<std::collections::HashMap<String, Vec<RuleTest>>>);

/// The results of `rs`'s rule tests, run once per version; versions no longer live are dropped.
async fn tests_of(
    app: &App,
    rs: &std::sync::Arc<RuleSet>,
    root: &Path,
) -> Result<Vec<RuleTest>, AppError> {
    let hash = rs.hash().to_string();
    if let Some(known) = app.rule_tests.0.lock().expect("rule tests lock").get(&hash) {
        return Ok(known.clone());
    }
    let results = run_tests(rs.clone(), root.to_path_buf()).await?;
    let live: BTreeSet<String> = app
        .rules
        .rounds()
        .values()
        .map(|rs| rs.hash().to_string())
        .collect();
    let mut known = app.rule_tests.0.lock().expect("rule tests lock");
    known.retain(|h, _| live.contains(h));
    known.insert(hash, results.clone());
    Ok(results)
}

/// Runs a version's rule tests off the async runtime.
async fn run_tests(rs: std::sync::Arc<RuleSet>, root: PathBuf) -> Result<Vec<RuleTest>, AppError> {
    let results = tokio::task::spawn_blocking(move || crate::engine::testing::run_tests(&rs))
        .await
        .map_err(AppError::internal)?;
    let root = root.display().to_string();
    Ok(results
        .into_iter()
        .map(|c| RuleTest {
            at: c
                .at
                .strip_prefix(&root)
                .map(|s| s.trim_start_matches('/').to_string())
                .unwrap_or(c.at),
            name: c.name,
            failures: c
                .failures_fa
                .into_iter()
                .zip(c.failures)
                .map(|(fa, en)| Label::new(fa, en))
                .collect(),
        })
        .collect())
}

/// A version that was ever live, as the versions page lists it.
pub struct VersionRow {
    pub hash: String,
    pub version: String,
    pub first_live_at: jiff::Timestamp,
    pub last_live_at: jiff::Timestamp,
    /// What first made it live: `startup` or `file_watcher`.
    pub origin: String,
    /// Whether the round is served with it now.
    pub live: bool,
}

/// A version's files.
pub struct VersionSource {
    pub hash: String,
    pub version: String,
    pub files: Vec<(String, String)>,
}

/// One change between two versions in business terms.
pub struct Change {
    /// `round`, `criterion`, `penalty`, `input`, `grading`, `ranking` or `calendar`.
    pub section: &'static str,
    pub id: String,
    pub label: Option<Label>,
    /// `weight`, `bands`, `cap`, `cut_points.grade_1`, … or `added` / `removed`.
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

fn round_id(round: &str) -> Result<RoundId, AppError> {
    RoundId::parse(round).map_err(|e| {
        AppError::NotFound(Label::new(
            format!("دوره {} وجود ندارد", crate::domain::quoted(round)),
            e.to_string(),
        ))
    })
}

/// Every version of `round` that was ever live, newest first.
pub async fn versions(app: &App, actor: &Actor, round: &str) -> Result<Vec<VersionRow>, AppError> {
    actor.require(READERS)?;
    let id = round_id(round)?;
    let live = app.rules.get(id).map(|rs| rs.hash().to_string());
    let mut rows: Vec<VersionRow> = app
        .store
        .rule_versions(id)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            live: live.as_deref() == Some(v.hash.as_str()),
            hash: v.hash,
            version: v.version,
            first_live_at: v.first_live_at,
            last_live_at: v.last_live_at,
            origin: v.origin,
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.first_live_at));
    Ok(rows)
}

/// The files of version `hash` of `round`.
pub async fn source(
    app: &App,
    actor: &Actor,
    round: &str,
    hash: &str,
) -> Result<VersionSource, AppError> {
    actor.require(READERS)?;
    let id = round_id(round)?;
    let v = app
        .store
        .rule_version(id, hash)
        .await?
        .ok_or_else(|| AppError::not_found("نسخهٔ قواعد", "the rule version"))?;
    Ok(VersionSource {
        hash: v.summary.hash,
        version: v.summary.version,
        files: v.files.into_iter().map(|f| (f.path, f.text)).collect(),
    })
}

/// What changed from version `old` to version `new` of `round`, in business terms (weights,
/// bands, cut points, penalties, calendar): the simulation's own rule diff.
pub async fn diff_versions(
    app: &App,
    actor: &Actor,
    round: &str,
    old: &str,
    new: &str,
) -> Result<Vec<Change>, AppError> {
    actor.require(READERS)?;
    let id = round_id(round)?;
    let compiled = |hash: String| async move {
        app.rules
            .version(id, &hash)
            .await
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::not_found("نسخهٔ قواعد", "the rule version"))
    };
    let (base, cand) = (
        compiled(old.to_string()).await?,
        compiled(new.to_string()).await?,
    );
    Ok(diff(&base, &cand).into_iter().map(Change::from).collect())
}

impl From<crate::engine::simulate::RuleChange> for Change {
    fn from(c: crate::engine::simulate::RuleChange) -> Self {
        Change {
            section: c.section,
            id: c.id,
            label: c.label,
            field: c.field,
            old: c.old,
            new: c.new,
        }
    }
}

/// What the change from version `old` to version `new` of `round` does to the offices: the round's
/// stored declarations ranked under both, as the simulation report `arzyab simulate --report`
/// writes (one HTML document). Nothing official changes; the run is in the audit log.
pub async fn what_the_change_does(
    app: &App,
    actor: &Actor,
    round: &str,
    old: &str,
    new: &str,
) -> Result<String, AppError> {
    actor.require(READERS)?;
    let id = round_id(round)?;
    let compiled = |hash: String| async move {
        app.rules
            .version(id, &hash)
            .await
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::not_found("نسخهٔ قواعد", "the rule version"))
    };
    let (base, cand) = (
        compiled(old.to_string()).await?,
        compiled(new.to_string()).await?,
    );
    let sim = super::simulation::compare(app, base, cand).await?;
    let html = crate::report::simulation::render(&sim, None);
    let what = serde_json::json!({"baseline_hash": old, "candidate_hash": new});
    super::simulation::record(app, actor, round, &what).await?;
    Ok(html)
}
