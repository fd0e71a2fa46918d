//! The live rule sets: one compiled `RuleSet` per round, swapped atomically as a whole so no reader
//! ever sees half of a change. A round that fails to load keeps its last good version live, and
//! the failure is kept for `GET /v1/rules`.
//!
//! A reload ([`Registry::reload`]) reads a round's files, compiles them, runs the round's own rule
//! tests and checks the freeze of a published round — all off the async workers — then records the
//! version in the [`VersionLog`] (the database) and only then swaps it in. Versions that were live
//! once can be had back with [`Registry::version`], compiled from their stored source.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use arc_swap::ArcSwap;
use serde::Serialize;

use super::fingerprint::scoring_fingerprint;
use super::gate::{Prepared, checked, prepare};
use super::versions::{GoingLive, NothingPublished, PublicationCheck, VersionLog, replica_id};
use crate::domain::{RoundId, quoted};
use crate::rules::compile::{compile_source, hash_files};
use crate::rules::ruleset::{Source, SourceFile};
use crate::rules::{Diagnostic, Diagnostics, Position, RuleSet, load_round};

/// The live rule sets by round.
pub type Rounds = BTreeMap<RoundId, Arc<RuleSet>>;

/// What made a version live (kept with the version and in the audit log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Loaded when the server started.
    Startup,
    /// Reloaded after the rule files changed on disk.
    FileWatcher,
}

impl Origin {
    /// The name stored in the database and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Startup => "startup",
            Origin::FileWatcher => "file_watcher",
        }
    }
}

/// The last attempt to load a round.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub at: jiff::Timestamp,
    pub ok: bool,
    /// The content hash of the files that were tried (absent when they could not be read).
    pub hash: Option<String>,
    /// What triggered the attempt (absent for a plain [`Registry::load`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// Every problem, with file, line and column; empty when `ok`.
    pub errors: Vec<Diagnostic>,
}

/// What a reload did.
#[derive(Debug)]
pub enum Reloaded {
    /// A new version is live.
    Live(Arc<RuleSet>),
    /// The files are those of the live version (or of a failure already recorded): nothing to do.
    Unchanged,
    /// The new files were kept out; the previous version (if any) stays live.
    Rejected(Diagnostics),
    /// The round directory is gone; the live version stays.
    Missing,
}

/// A stored version could not be had back.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("the version log failed: {0}")]
    Log(String),
    #[error("the stored source of {round} {hash} does not hash to {hash}")]
    Corrupt { round: RoundId, hash: String },
    #[error("the stored version no longer compiles:\n{0}")]
    Compile(Diagnostics),
}

/// The message of a removed round directory.
const REMOVED: &str = "the round directory was removed";

/// How many compiled earlier versions are kept in memory for replays.
const OLD_VERSIONS_KEPT: usize = 16;

/// Live rule sets plus the outcome of the last load of each round directory.
pub struct Registry {
    pub dir: PathBuf,
    live: ArcSwap<Rounds>,
    attempts: Mutex<BTreeMap<String, Attempt>>,
    loaded_at: Mutex<BTreeMap<RoundId, jiff::Timestamp>>,
    publication: RwLock<Arc<dyn PublicationCheck>>,
    versions: RwLock<Option<Arc<dyn VersionLog>>>,
    /// Compiled versions that are not live (replaced ones, or rebuilt from the log), newest last.
    old: Mutex<VecDeque<Arc<RuleSet>>>,
    /// Reloads run one at a time, so two of them never race for the same round.
    reloads: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("dir", &self.dir)
            .field("live", &self.live.load().keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// An empty registry for the rules directory `dir`.
    pub fn new(dir: &Path) -> Self {
        Registry {
            dir: dir.to_path_buf(),
            live: ArcSwap::from_pointee(BTreeMap::new()),
            attempts: Mutex::new(BTreeMap::new()),
            loaded_at: Mutex::new(BTreeMap::new()),
            publication: RwLock::new(Arc::new(NothingPublished)),
            versions: RwLock::new(None),
            old: Mutex::new(VecDeque::new()),
            reloads: tokio::sync::Mutex::new(()),
        }
    }

    /// Sets what the freeze of published rounds consults (the default says nothing is published).
    pub fn set_publication_check(&self, check: Arc<dyn PublicationCheck>) {
        *self.publication.write().expect("lock") = check;
    }

    /// Sets where versions are recorded before they go live (none by default: nothing is kept).
    pub fn set_version_log(&self, log: Arc<dyn VersionLog>) {
        *self.versions.write().expect("lock") = Some(log);
    }

    fn version_log(&self) -> Option<Arc<dyn VersionLog>> {
        self.versions.read().expect("lock").clone()
    }

    /// A snapshot of every live rule set (cheap: one atomic load).
    pub fn rounds(&self) -> Arc<Rounds> {
        self.live.load_full()
    }

    /// The live rule set of a round.
    pub fn get(&self, round: RoundId) -> Option<Arc<RuleSet>> {
        self.live.load().get(&round).cloned()
    }

    /// When each live version became live.
    pub fn loaded_at(&self, round: RoundId) -> Option<jiff::Timestamp> {
        self.loaded_at.lock().expect("lock").get(&round).copied()
    }

    /// The last load attempt of each round directory.
    pub fn attempts(&self) -> BTreeMap<String, Attempt> {
        self.attempts.lock().expect("lock").clone()
    }

    /// The round directories under `dir`: every subdirectory named like a round (`1400-2`).
    pub fn round_dirs(&self) -> Vec<(RoundId, PathBuf)> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let path = e.path();
                if let Some(id) = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| RoundId::parse(n).ok())
                    && path.is_dir()
                {
                    out.push((id, path));
                }
            }
        }
        out.sort();
        out
    }

    /// Loads every round directory; returns the diagnostics of those that failed.
    ///
    /// Synchronous and without the version log: for commands and tests. The server uses
    /// [`Registry::reload_all`].
    pub fn load_all(&self, now: jiff::Timestamp) -> Vec<(RoundId, Diagnostics)> {
        let mut failures = Vec::new();
        for (id, dir) in self.round_dirs() {
            if let Err(d) = self.load(id, &dir, now) {
                failures.push((id, d));
            }
        }
        failures
    }

    /// Loads one round and, if it compiles and passes its rule tests, makes it live; otherwise the
    /// previous version stays.
    pub fn load(
        &self,
        id: RoundId,
        dir: &Path,
        now: jiff::Timestamp,
    ) -> Result<Arc<RuleSet>, Diagnostics> {
        match load_round(dir).and_then(|rs| checked(id, rs)) {
            Ok(rs) => {
                let rs = Arc::new(rs);
                self.install(rs.clone(), now);
                Ok(rs)
            }
            Err(d) => {
                self.record_failure(id, &d, now);
                Err(d)
            }
        }
    }

    /// Makes a compiled rule set live (replacing the round's previous version atomically).
    pub fn install(&self, rs: Arc<RuleSet>, now: jiff::Timestamp) {
        self.swap_in(rs, None, now);
    }

    fn swap_in(&self, rs: Arc<RuleSet>, origin: Option<Origin>, now: jiff::Timestamp) {
        let id = rs.round;
        let hash = rs.hash().to_string();
        let previous = self.live.rcu(|current| {
            let mut next = (**current).clone();
            next.insert(id, rs.clone());
            next
        });
        if let Some(old) = previous.get(&id)
            && old.hash() != hash
        {
            self.keep_old(old.clone());
        }
        self.loaded_at.lock().expect("lock").insert(id, now);
        self.attempts.lock().expect("lock").insert(
            id.to_string(),
            Attempt {
                at: now,
                ok: true,
                hash: Some(hash),
                origin,
                errors: Vec::new(),
            },
        );
    }

    /// Records a failed attempt without touching the live version.
    pub fn record_failure(&self, id: RoundId, d: &Diagnostics, now: jiff::Timestamp) {
        self.record_attempt(id, None, None, d, now);
    }

    fn record_attempt(
        &self,
        id: RoundId,
        hash: Option<String>,
        origin: Option<Origin>,
        d: &Diagnostics,
        now: jiff::Timestamp,
    ) {
        self.attempts.lock().expect("lock").insert(
            id.to_string(),
            Attempt {
                at: now,
                ok: d.0.is_empty(),
                hash,
                origin,
                errors: d.0.clone(),
            },
        );
    }

    /// Records that a round directory disappeared; its live version stays.
    pub fn record_missing(&self, id: RoundId, now: jiff::Timestamp) {
        let d = Diagnostic::new(
            Position::file(self.dir.join(id.to_string())),
            REMOVED,
            format!("پوشهٔ دورهٔ {} برداشته شد", quoted(id)),
        )
        .with_hint(
            "the last good version stays live; restore the directory to edit the round",
            "آخرین نسخهٔ درست همچنان برقرار است؛ برای ویرایش دوره پوشه را برگردانید",
        );
        self.record_failure(id, &Diagnostics(vec![d]), now);
    }

    /// Reloads one round from its directory after a change: load → validate → compile → rule
    /// tests → freeze check → record in the version log → swap. Any failure keeps the last good
    /// version live and is recorded with every diagnostic. Never blocks the async workers.
    pub async fn reload(&self, id: RoundId, origin: Origin, now: jiff::Timestamp) -> Reloaded {
        self.reload_round(id, origin, now, true).await
    }

    /// Reloads every round directory (and notes live rounds whose directory is gone); returns
    /// the diagnostics of the rounds whose files were kept out.
    pub async fn reload_all(
        &self,
        origin: Origin,
        now: jiff::Timestamp,
    ) -> Vec<(RoundId, Diagnostics)> {
        self.sync_all(origin, now, true).await
    }

    /// Like [`Registry::reload_all`], but skips rounds whose files are those of the live version
    /// or of the last failed attempt (a periodic rescan, or one after the watcher was recreated).
    pub async fn rescan(
        &self,
        origin: Origin,
        now: jiff::Timestamp,
    ) -> Vec<(RoundId, Diagnostics)> {
        self.sync_all(origin, now, false).await
    }

    async fn sync_all(
        &self,
        origin: Origin,
        now: jiff::Timestamp,
        force: bool,
    ) -> Vec<(RoundId, Diagnostics)> {
        let mut ids: BTreeSet<RoundId> = self.round_dirs().into_iter().map(|(id, _)| id).collect();
        ids.extend(self.rounds().keys().copied());
        // At start-up, rounds that were live before but have no directory now: a published one
        // is served from its stored version.
        if origin == Origin::Startup
            && let Some(log) = self.version_log()
        {
            match log.rounds().await {
                Ok(stored) => ids.extend(stored),
                Err(e) => tracing::warn!("the stored rule versions could not be listed: {e}"),
            }
        }
        let mut failures = Vec::new();
        for id in ids {
            if let Reloaded::Rejected(d) = self.reload_round(id, origin, now, force).await {
                failures.push((id, d));
            }
        }
        failures
    }

    async fn reload_round(
        &self,
        id: RoundId,
        origin: Origin,
        now: jiff::Timestamp,
        force: bool,
    ) -> Reloaded {
        let _one_at_a_time = self.reloads.lock().await;
        let dir = self.dir.join(id.to_string());
        let live = self.get(id);
        let known = live.as_ref().map(|l| l.hash().to_string());
        let last = self
            .attempts
            .lock()
            .expect("lock")
            .get(&id.to_string())
            .cloned();
        let failed_before = last.as_ref().filter(|a| !a.ok).and_then(|a| a.hash.clone());
        let skip_failed = if force { None } else { failed_before };
        let prepared = {
            let in_dir = dir.clone();
            tokio::task::spawn_blocking(move || {
                prepare(id, &in_dir, known.as_deref(), skip_failed.as_deref())
            })
            .await
            .unwrap_or_else(|e| {
                Prepared::Failed(
                    None,
                    Diagnostics(vec![Diagnostic::new(
                        Position::file(&dir),
                        format!("checking the round failed unexpectedly: {e}"),
                        "بررسی دوره به گونه‌ای پیش‌بینی‌نشده از کار افتاد",
                    )]),
                )
            })
        };
        let candidate = match prepared {
            Prepared::Missing => {
                if live.is_none() && self.is_published(id).await {
                    self.restore_last_live(id, origin, now).await;
                }
                let known_round = self.get(id).is_some() || last.is_some();
                let noted = last
                    .as_ref()
                    .and_then(|a| a.errors.first())
                    .is_some_and(|d| d.message == REMOVED);
                if known_round && !noted {
                    tracing::warn!(round = %id, dir = %dir.display(), "round directory removed; its live version stays");
                    self.record_missing(id, now);
                }
                return Reloaded::Missing;
            }
            Prepared::Unchanged => {
                if force && let Some(l) = &live {
                    self.record_attempt(
                        id,
                        Some(l.hash().to_string()),
                        Some(origin),
                        &Diagnostics(vec![]),
                        now,
                    );
                }
                return Reloaded::Unchanged;
            }
            Prepared::Failed(hash, d) => {
                if live.is_none() {
                    self.restore_last_live(id, origin, now).await;
                }
                return self.reject(id, hash, origin, d, now);
            }
            Prepared::Ready(rs) => Arc::new(*rs),
        };

        if let Some(refused) = self
            .refuse_if_frozen(id, &dir, live.as_ref(), &candidate, origin, now)
            .await
        {
            return refused;
        }
        match self.go_live(candidate.clone(), origin, now).await {
            Ok(()) => Reloaded::Live(candidate),
            Err(e) => {
                let d = Diagnostic::new(
                    Position::file(&dir),
                    format!("the new version could not be stored, so it was not made live: {e}"),
                    "نسخهٔ تازه در پایگاه داده ذخیره نشد، پس برقرار نشد",
                )
                .with_hint(
                    "the previous version stays live; save a rule file again to retry",
                    "نسخهٔ پیشین برقرار می‌ماند؛ برای تلاش دوباره یک پروندهٔ قواعد را دوباره ذخیره کنید",
                );
                self.reject(
                    id,
                    Some(candidate.hash().to_string()),
                    origin,
                    Diagnostics(vec![d]),
                    now,
                )
            }
        }
    }

    /// A published, frozen round keeps its scoring: the candidate is refused (with a diagnostic)
    /// when its scoring differs from the live version's, or at start-up from the version that
    /// was live last.
    async fn refuse_if_frozen(
        &self,
        id: RoundId,
        dir: &Path,
        live: Option<&Arc<RuleSet>>,
        candidate: &Arc<RuleSet>,
        origin: Origin,
        now: jiff::Timestamp,
    ) -> Option<Reloaded> {
        let reference = match live {
            Some(l) => Some(l.clone()),
            None => self.last_stored(id, candidate.hash()).await,
        };
        if let Some(reference) = reference
            && reference.freeze_after_publication
            && reference.hash() != candidate.hash()
        {
            let check = self.publication.read().expect("lock").clone();
            let (r, c) = (reference.clone(), candidate.clone());
            let frozen = tokio::task::spawn_blocking(move || {
                scoring_fingerprint(&r) != scoring_fingerprint(&c) && check.is_published(id)
            })
            .await
            .unwrap_or(true);
            if frozen {
                let d = Diagnostic::new(
                    Position::file(dir),
                    format!("round {id} is published; its scoring is frozen"),
                    format!(
                        "نتایج دورهٔ {} اعلام شده است و شیوهٔ امتیازدهی آن دیگر تغییر نمی‌کند",
                        quoted(id)
                    ),
                )
                .with_hint(
                    format!(
                        "version {} ({}) has `freeze_after_publication: true`: criteria, inputs, penalties, grading and ranking can no longer change; restore them (labels and notices may still change)",
                        reference.version,
                        &reference.hash()[..16]
                    ),
                    format!(
                        "نسخهٔ {} ({}) {} دارد: معیارها، ورودی‌ها، جریمه‌ها، درجه‌بندی و رتبه‌بندی دیگر تغییر نمی‌کنند؛ آن‌ها را به حال پیشین برگردانید (نام‌ها و آگهی‌ها هنوز تغییرپذیرند)",
                        quoted(&reference.version),
                        quoted(&reference.hash()[..16]),
                        quoted("freeze_after_publication: true")
                    ),
                );
                if live.is_none() {
                    // Start-up with edited files: the stored version serves, as it did before.
                    if let Err(e) = self.go_live(reference.clone(), origin, now).await {
                        tracing::error!(round = %id, "the frozen version could not be restored: {e}");
                    }
                }
                return Some(self.reject(
                    id,
                    Some(candidate.hash().to_string()),
                    origin,
                    Diagnostics(vec![d]),
                    now,
                ));
            }
        }
        None
    }

    fn reject(
        &self,
        id: RoundId,
        hash: Option<String>,
        origin: Origin,
        d: Diagnostics,
        now: jiff::Timestamp,
    ) -> Reloaded {
        match self.get(id) {
            Some(live) => tracing::error!(
                round = %id,
                live = &live.hash()[..16],
                "rule change kept out; the last good version stays live:\n{d}"
            ),
            None => tracing::error!(round = %id, "round not loaded:\n{d}"),
        }
        self.record_attempt(id, hash, Some(origin), &d, now);
        Reloaded::Rejected(d)
    }

    /// Records the version in the log (if any), then swaps it in.
    async fn go_live(
        &self,
        rs: Arc<RuleSet>,
        origin: Origin,
        now: jiff::Timestamp,
    ) -> Result<(), String> {
        if let Some(log) = self.version_log() {
            log.record(GoingLive {
                rules: &rs,
                origin,
                replica: replica_id(),
                at: now,
            })
            .await?;
        }
        tracing::info!(round = %rs.round, version = %rs.version, hash = %&rs.hash()[..16], origin = origin.as_str(), "rule set live");
        self.swap_in(rs, Some(origin), now);
        Ok(())
    }

    /// Whether the round has published results (asked off the async workers).
    async fn is_published(&self, id: RoundId) -> bool {
        let check = self.publication.read().expect("lock").clone();
        tokio::task::spawn_blocking(move || check.is_published(id))
            .await
            .unwrap_or(false)
    }

    /// With nothing live for a round whose files cannot be used (start-up), serves the version that
    /// went live last, from the log: a broken edit made while the server was down does not take
    /// the round down.
    async fn restore_last_live(&self, id: RoundId, origin: Origin, now: jiff::Timestamp) {
        if let Some(previous) = self.last_stored(id, "").await {
            tracing::warn!(round = %id, version = %previous.version, hash = %&previous.hash()[..16], "serving the version that was live last, from the database");
            if let Err(e) = self.go_live(previous, origin, now).await {
                tracing::error!(round = %id, "the last live version could not be restored: {e}");
            }
        }
    }

    /// The version of a round that went live last, from the log, unless it is `except`.
    async fn last_stored(&self, round: RoundId, except: &str) -> Option<Arc<RuleSet>> {
        let log = self.version_log()?;
        let files = match log.last_live(round).await {
            Ok(f) => f?,
            Err(e) => {
                tracing::warn!(%round, "the last live version could not be read: {e}");
                return None;
            }
        };
        let hash = hash_files(&files);
        if hash == except {
            return None;
        }
        match self.rebuild(round, hash, files).await {
            Ok(rs) => Some(rs),
            Err(e) => {
                tracing::warn!(%round, "the last live version could not be rebuilt: {e}");
                None
            }
        }
    }

    /// A version of a round by content hash: the live one, a compiled earlier one kept in memory,
    /// or one rebuilt from its stored source — so a published result can be replayed against
    /// exactly the rules that produced it. `Ok(None)` when no such version was ever live.
    pub async fn version(
        &self,
        round: RoundId,
        hash: &str,
    ) -> Result<Option<Arc<RuleSet>>, VersionError> {
        if let Some(rs) = self.get(round).filter(|rs| rs.hash() == hash) {
            return Ok(Some(rs));
        }
        if let Some(rs) = self.cached(round, hash) {
            return Ok(Some(rs));
        }
        let Some(log) = self.version_log() else {
            return Ok(None);
        };
        let Some(files) = log.source(round, hash).await.map_err(VersionError::Log)? else {
            return Ok(None);
        };
        self.rebuild(round, hash.to_string(), files).await.map(Some)
    }

    async fn rebuild(
        &self,
        round: RoundId,
        hash: String,
        files: Vec<SourceFile>,
    ) -> Result<Arc<RuleSet>, VersionError> {
        if let Some(rs) = self.cached(round, &hash) {
            return Ok(rs);
        }
        if hash_files(&files) != hash {
            return Err(VersionError::Corrupt { round, hash });
        }
        let source = Source {
            dir: self.dir.join(round.to_string()),
            files,
            hash,
        };
        let rs = tokio::task::spawn_blocking(move || compile_source(source))
            .await
            .map_err(|e| VersionError::Log(e.to_string()))?
            .map_err(VersionError::Compile)?;
        let rs = Arc::new(rs);
        self.keep_old(rs.clone());
        Ok(rs)
    }

    fn cached(&self, round: RoundId, hash: &str) -> Option<Arc<RuleSet>> {
        let old = self.old.lock().expect("lock");
        old.iter()
            .find(|rs| rs.round == round && rs.hash() == hash)
            .cloned()
    }

    fn keep_old(&self, rs: Arc<RuleSet>) {
        let mut old = self.old.lock().expect("lock");
        old.retain(|o| !(o.round == rs.round && o.hash() == rs.hash()));
        old.push_back(rs);
        while old.len() > OLD_VERSIONS_KEPT {
            old.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{edit, example};

    #[test]
    fn a_hostile_script_on_disk_is_refused_by_the_rule_tests_with_a_diagnostic() {
        let (tmp, dir) = example();
        let registry = Registry::new(tmp.path());
        let id = RoundId::parse("1400-2").unwrap();
        let now = jiff::Timestamp::UNIX_EPOCH;
        let good = registry.load(id, &dir, now).unwrap();
        edit(
            &dir,
            "location.rhai",
            "    base + spread + access\n}",
            "    let v = []; v.pad(9999, 0); loop { if v.contains(1) { return 1; } }\n}",
        );
        let d = registry.load(id, &dir, now).unwrap_err();
        assert!(
            d.0.iter().any(|d| d.at.file.ends_with("tests/cases.yaml")
                && d.at.line > 0
                // Operations or the wall clock stop it first, depending on the machine's load.
                && d.message.contains("criterion `location`: the script was stopped")),
            "{d}"
        );
        assert_eq!(registry.get(id).unwrap().hash(), good.hash());
    }

    #[test]
    fn a_version_whose_rule_tests_fail_is_kept_out_with_the_case_line() {
        let (tmp, dir) = example();
        let registry = Registry::new(tmp.path());
        let now = jiff::Timestamp::UNIX_EPOCH;
        let good = registry
            .load(RoundId::parse("1400-2").unwrap(), &dir, now)
            .unwrap();
        edit(&dir, "criteria.yaml", "weight: 1.5", "weight: 2");
        let d = registry
            .load(RoundId::parse("1400-2").unwrap(), &dir, now)
            .unwrap_err();
        assert!(
            d.0.iter()
                .all(|d| d.at.file.parent().is_some_and(|p| p.ends_with("tests")) && d.at.line > 0),
            "{d}"
        );
        assert!(d.0[0].message.starts_with("rule test `"), "{d}");
        assert_eq!(registry.get(good.round).unwrap().hash(), good.hash());
    }
}
