//! The live rule sets: one compiled `RuleSet` per round, swapped atomically as a whole so no reader
//! ever sees half of a change. A round that fails to load keeps its last good version live, and
//! the failure is kept for `GET /v1/rules`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;

use super::diagnostic::{Diagnostic, Diagnostics, Position};
use super::{RuleSet, load_round};
use crate::domain::RoundId;

/// The live rule sets by round.
pub type Rounds = BTreeMap<RoundId, Arc<RuleSet>>;

/// The last attempt to load a round.
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub at: jiff::Timestamp,
    pub ok: bool,
    pub hash: Option<String>,
    pub errors: Vec<Diagnostic>,
}

/// Live rule sets plus the outcome of the last load of each round directory.
#[derive(Debug)]
pub struct Registry {
    pub dir: PathBuf,
    live: ArcSwap<Rounds>,
    attempts: Mutex<BTreeMap<String, Attempt>>,
    loaded_at: Mutex<BTreeMap<RoundId, jiff::Timestamp>>,
}

impl Registry {
    /// An empty registry for the rules directory `dir`.
    pub fn new(dir: &Path) -> Self {
        Registry {
            dir: dir.to_path_buf(),
            live: ArcSwap::from_pointee(BTreeMap::new()),
            attempts: Mutex::new(BTreeMap::new()),
            loaded_at: Mutex::new(BTreeMap::new()),
        }
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
    pub fn load_all(&self, now: jiff::Timestamp) -> Vec<(RoundId, Diagnostics)> {
        let mut failures = Vec::new();
        for (id, dir) in self.round_dirs() {
            if let Err(d) = self.load(id, &dir, now) {
                failures.push((id, d));
            }
        }
        failures
    }

    /// Loads one round and, if it compiles, makes it live; otherwise the previous version stays.
    pub fn load(
        &self,
        id: RoundId,
        dir: &Path,
        now: jiff::Timestamp,
    ) -> Result<Arc<RuleSet>, Diagnostics> {
        match load_round(dir) {
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
        let id = rs.round;
        let hash = rs.hash().to_string();
        self.live.rcu(|current| {
            let mut next = (**current).clone();
            next.insert(id, rs.clone());
            next
        });
        self.loaded_at.lock().expect("lock").insert(id, now);
        self.attempts.lock().expect("lock").insert(
            id.to_string(),
            Attempt {
                at: now,
                ok: true,
                hash: Some(hash),
                errors: Vec::new(),
            },
        );
    }

    /// Records a failed attempt without touching the live version.
    pub fn record_failure(&self, id: RoundId, d: &Diagnostics, now: jiff::Timestamp) {
        self.attempts.lock().expect("lock").insert(
            id.to_string(),
            Attempt {
                at: now,
                ok: false,
                hash: None,
                errors: d.0.clone(),
            },
        );
    }

    /// Records that a round directory disappeared; its live version stays.
    pub fn record_missing(&self, id: RoundId, now: jiff::Timestamp) {
        let d = Diagnostic::new(
            Position::file(self.dir.join(id.to_string())),
            "the round directory was removed",
        )
        .with_hint("the last good version stays live; restore the directory to edit the round");
        self.record_failure(id, &Diagnostics(vec![d]), now);
    }
}
