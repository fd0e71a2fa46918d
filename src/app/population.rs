//! A round's stored population, prepared and ranked under the live rules, kept in memory between
//! simulations. Loading 20,000 files from the database and ranking them takes most of a second; a
//! regulator trying candidates one after another should pay that once, not on every request.
//!
//! An entry is current while both the live rules (by hash) and the store's population generation
//! (bumped in the same transaction as every office or declaration write, on any replica) are what
//! they were when it was built. When the generation moved, the next simulation fetches only the
//! offices written since and ranks again (tens of milliseconds); new rules, a new office or many
//! changes load it whole. Concurrent requests for a round wait for one update instead of each
//! starting their own. The live rules' evaluations run under a budget of the server's, so a
//! shutdown stops them too.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{App, AppError};
use crate::domain::RoundId;
use crate::engine::simulate::Baseline;
use crate::engine::{InvalidFile, Office, OfficeRecord, Ranking, ScoreError};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::rules::value::FieldError;
use crate::workflow::publication::FileData;

/// A round's offices, prepared and ranked under one version of the live rules.
#[derive(Clone)]
pub struct Population {
    /// The store's population generation this copy is current at.
    generation: i64,
    /// The rules the offices were prepared and ranked under.
    pub rs: Arc<RuleSet>,
    /// The stored files as engine records (a candidate with other inputs prepares these again).
    pub records: Vec<OfficeRecord>,
    pub offices: Vec<Office>,
    /// Position of each office in `records` and `offices`.
    index: HashMap<String, usize>,
    ranking: Ranking,
    national: Vec<u32>,
}

impl Population {
    /// The live side of a simulation, borrowed without ranking again.
    pub fn baseline(&self) -> Baseline<'_> {
        Baseline::borrowed(&self.rs, &self.offices, &self.ranking, &self.national)
    }

    /// Prepares and ranks the whole population.
    fn build(rs: Arc<RuleSet>, generation: i64, files: Vec<FileData>) -> Result<Self, AppError> {
        let records = crate::workflow::publication::records(&files)?;
        drop(files);
        let offices = prepare_all(&rs, &records)?;
        let index = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.to_string(), i))
            .collect();
        let (ranking, national) = Baseline::new(&rs, &offices)
            .map_err(score_errors)?
            .into_parts();
        Ok(Population {
            generation,
            rs,
            records,
            offices,
            index,
            ranking,
            national,
        })
    }

    /// Replaces the changed offices' files and ranks again. Every file must be of an office this
    /// population has.
    fn refresh(&mut self, generation: i64, files: Vec<FileData>) -> Result<(), AppError> {
        let changed = crate::workflow::publication::records(&files)?;
        let prepared = prepare_all(&self.rs, &changed)?;
        for (record, office) in changed.into_iter().zip(prepared) {
            let i = self.index[record.id.as_str()];
            self.records[i] = record;
            self.offices[i] = office;
        }
        (self.ranking, self.national) = Baseline::new(&self.rs, &self.offices)
            .map_err(score_errors)?
            .into_parts();
        self.generation = generation;
        Ok(())
    }
}

/// Above this share of changed offices, loading everything again is as quick as patching.
const PATCH_LIMIT_PERCENT: usize = 10;

/// A round's kept population; its lock is held while the population is brought up to date.
type Slot = Arc<tokio::sync::Mutex<Option<Arc<Population>>>>;

/// One slot per round.
#[derive(Default)]
pub struct PopulationCache {
    rounds: Mutex<HashMap<RoundId, Slot>>,
}

impl PopulationCache {
    /// The round's population under `rs`: from memory when nothing changed since it was built,
    /// patched when a few offices changed, loaded whole otherwise. Only a population under the
    /// round's live rules is kept; a failed load leaves the kept copy as it was.
    pub async fn get(&self, app: &App, rs: Arc<RuleSet>) -> Result<Arc<Population>, AppError> {
        let slot = self
            .rounds
            .lock()
            .expect("population cache lock")
            .entry(rs.round)
            .or_default()
            .clone();
        let mut kept = slot.lock().await;
        // Read before loading: a write landing in between makes this copy look stale, never current.
        let generation = app.store.population_generation().await?;
        let same_rules = kept.as_ref().filter(|p| p.rs.hash() == rs.hash()).cloned();
        if let Some(p) = same_rules {
            if p.generation == generation {
                return Ok(p);
            }
            let changed = app
                .store
                .population_changes([rs.round, rs.round.previous()], p.generation)
                .await?;
            if changed.len() * 100 <= p.offices.len() * PATCH_LIMIT_PERCENT
                && changed.iter().all(|id| p.index.contains_key(id.as_str()))
            {
                let mut files = Vec::with_capacity(changed.len());
                for id in &changed {
                    files.extend(super::publication::file_of(app, &rs, id).await?);
                }
                let work = app.evaluations.child(Limits::default());
                // Out of the slot, so that it is patched in place when nobody else holds it.
                kept.take();
                let next = tokio::task::spawn_blocking(move || {
                    let _budget = Budget::enter(Some(work));
                    // In place unless a simulation still running holds this copy.
                    let mut next = Arc::unwrap_or_clone(p);
                    next.refresh(generation, files).map(|()| next)
                })
                .await
                .map_err(AppError::internal)??;
                let next = Arc::new(next);
                *kept = Some(next.clone());
                return Ok(next);
            }
        }
        // Only the live rules' population is kept: comparing two old versions must not push out
        // the copy every simulation of the live rules starts from.
        let live = app
            .rules
            .get(rs.round)
            .is_some_and(|l| l.hash() == rs.hash());
        let files = super::publication::files(app, &rs, false).await?;
        let work = app.evaluations.child(Limits::default());
        let built = tokio::task::spawn_blocking(move || {
            let _budget = Budget::enter(Some(work));
            Population::build(rs, generation, files)
        })
        .await
        .map_err(AppError::internal)??;
        let built = Arc::new(built);
        if live {
            *kept = Some(built.clone());
        }
        Ok(built)
    }
}

/// Prepares every record under `rs`; every invalid file is reported, as `office.field`.
pub fn prepare_all(rs: &RuleSet, records: &[OfficeRecord]) -> Result<Vec<Office>, AppError> {
    crate::engine::prepare_all(rs, records).map_err(|invalid| {
        AppError::from(
            invalid
                .into_iter()
                .flat_map(InvalidFile::into_field_errors)
                .collect::<Vec<_>>(),
        )
    })
}

/// Scoring failures as field errors named `office.criterion`.
pub fn score_errors(errors: Vec<ScoreError>) -> AppError {
    AppError::from(
        errors
            .into_iter()
            .map(|e| {
                FieldError::new(
                    &format!("{}.{}", e.office, e.criterion),
                    format!(
                        "محاسبه معیار {} برای دفتر {} ناموفق بود",
                        crate::domain::quoted(&e.criterion),
                        crate::domain::quoted(&e.office)
                    ),
                    e.message,
                )
            })
            .collect::<Vec<_>>(),
    )
}
