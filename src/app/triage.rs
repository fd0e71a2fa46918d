//! Review triage for the reviewer's queue: each file's flags and risk (the round's `review:`
//! section, computed by the engine when the files are read), the queue's order (riskiest first,
//! then the nearest deadline), a region's counts per flag, and after the round how well each flag
//! predicted a correction.
//!
//! Flags are computed on read rather than stored: the engine needs only the files and last
//! round's values, and a region of 5,000 files takes milliseconds (see `benches/engine.rs`,
//! `triage`). Reading those files is what costs (every declaration of the round and the last one,
//! parsed; about 340 ms for a region of 5,000 in the dev profile, `benches/review_queue.rs`), so
//! the assessed files are kept in a [`TriageCache`] per (round, region), keyed by the rule set's
//! source hash and the store's population generation (bumped in the same transaction as every
//! write to offices or declarations): a changed file or a reloaded rule set shows on the next read,
//! and a reviewer paging the queue reads the files once. Deadlines (open referrals) are read fresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde_json::{Map, Value as Json};

use super::{Actor, App, AppError};
use crate::domain::{DeclarationStatus, Fixed, Label, ObjectionStatus, OfficeId, Role, RoundId};
use crate::engine::triage::{Triage, assess_all};
use crate::engine::{OfficeRecord, Raw};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::store::declarations::DeclarationRow;
use crate::store::offices::OfficeRow;
use crate::store::review::Referral;
use crate::workflow::calendar::{Phase, Window};

/// One file of the queue: the office, its declaration, its flags and risk, and its deadline.
pub struct TriagedFile {
    pub office: OfficeRow,
    pub declaration: Option<DeclarationRow>,
    /// No flags and risk 0 for a file not submitted (nothing to review yet).
    pub triage: Triage,
    /// When the reviewer must be done with it: an open referral's correction deadline, else the
    /// end of the regional review.
    pub deadline: Timestamp,
}

/// A region's files (or every region's) ordered for review.
pub struct Queue {
    pub rs: Arc<RuleSet>,
    pub files: Vec<TriagedFile>,
}

/// The queue order: higher risk first, then the earlier deadline, then the license number (so
/// the order is the same on every read).
pub fn queue_order(a: &TriagedFile, b: &TriagedFile) -> std::cmp::Ordering {
    b.triage
        .risk
        .cmp(&a.triage.risk)
        .then(a.deadline.cmp(&b.deadline))
        .then_with(|| a.office.id.as_str().cmp(b.office.id.as_str()))
}

/// The files the actor may list (as [`super::review::files`]) with their flags, riskiest first,
/// then by deadline ([`queue_order`]): the one ordering the API and the reviewer's page show.
#[tracing::instrument(skip_all, fields(round))]
pub async fn triage(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<Queue, AppError> {
    let mut q = files(app, actor, round, region).await?;
    q.files.sort_by(queue_order);
    Ok(q)
}

/// A region's files (or every region's) with their flags, as last assessed.
pub type Assessed = Arc<Vec<(OfficeRow, Option<DeclarationRow>, Triage)>>;

/// The assessed files of each (round, region) last read, with what they were computed from: the
/// rule set's source hash and the store's population generation. An entry serves a read only
/// while both are unchanged, so it is never stale; a server keeps one per (round, region).
#[derive(Default)]
pub struct TriageCache(Mutex<HashMap<(RoundId, Option<u8>), Entry>>);

/// A cache entry: the rule set's source hash, the population generation, the files.
type Entry = (String, i64, Assessed);

impl TriageCache {
    fn get(&self, key: (RoundId, Option<u8>), rules: &str, generation: i64) -> Option<Assessed> {
        let map = self.0.lock().expect("triage cache lock");
        map.get(&key)
            .filter(|(r, g, _)| r == rules && *g == generation)
            .map(|(_, _, files)| files.clone())
    }

    fn put(&self, key: (RoundId, Option<u8>), rules: String, generation: i64, files: Assessed) {
        let mut map = self.0.lock().expect("triage cache lock");
        map.insert(key, (rules, generation, files));
    }
}

/// The files the actor may list, in the listing's order (by license number), each with its
/// flags, risk and deadline. The flags come from the app's [`TriageCache`] when nothing they
/// depend on changed since they were computed.
pub async fn files(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<Queue, AppError> {
    let (rs, assessed, open) = assessed(app, actor, round, region).await?;
    let review_ends = Window::of(&rs, Phase::RegionalReview).closes_at;
    let queued: Vec<TriagedFile> = assessed
        .iter()
        .map(|(office, declaration, triage)| TriagedFile {
            deadline: deadline(&open, review_ends, &office.id),
            office: office.clone(),
            declaration: declaration.clone(),
            triage: triage.clone(),
        })
        .collect();
    Ok(Queue { rs, files: queued })
}

/// When the reviewer must be done with a file: its open referral's correction deadline, else the
/// end of the regional review.
pub fn deadline(
    open: &HashMap<OfficeId, Referral>,
    review_ends: Timestamp,
    office: &OfficeId,
) -> Timestamp {
    open.get(office)
        .map_or(review_ends, |r| crate::store::from_millis(r.deadline_at))
}

/// The files the actor may list with their flags, shared with the [`TriageCache`] (nothing
/// copied), and the round's open referrals by office (read fresh: they set the deadlines).
pub async fn assessed(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<(Arc<RuleSet>, Assessed, HashMap<OfficeId, Referral>), AppError> {
    let region = super::review::region_scope(actor, region)?;
    let rs = app.live_round(round)?;
    super::review::expire_due_referrals(app, rs.round, app.clock.now()).await?;
    // Read before the files it stamps: a write in between only makes the entry look stale.
    let generation = app.store.population_generation().await?;
    let key = (rs.round, region);
    let assessed = match app.triage_cache.get(key, &rs.source.hash, generation) {
        Some(files) => files,
        None => {
            let super::review::Files { files, .. } =
                super::review::files(app, actor, round, region).await?;
            let previous = super::declarations_by_office(app, rs.round.previous()).await?;
            let records: Vec<OfficeRecord> = files
                .iter()
                .map(|(o, d)| {
                    let values = d
                        .clone()
                        .map(DeclarationRow::all_values)
                        .unwrap_or_default();
                    record(o, d.as_ref(), values, previous.get(&o.id))
                })
                .collect();
            let assessed = assess(app, &rs, records).await?;
            let files: Assessed = Arc::new(
                files
                    .into_iter()
                    .zip(assessed)
                    .map(|((o, d), t)| (o, d, t.unwrap_or_default()))
                    .collect(),
            );
            app.triage_cache
                .put(key, rs.source.hash.clone(), generation, files.clone());
            files
        }
    };
    let open: HashMap<OfficeId, Referral> = super::review::open_referrals(app, rs.round)
        .await?
        .into_iter()
        .map(|r| (r.office_id.clone(), r))
        .collect();
    Ok((rs, assessed, open))
}

/// One file's flags and risk as the queue shows them (its peers are its region's and kind's);
/// `None` for an office holder, whose own file shows no flags: they are the reviewer's.
pub async fn file_triage(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
) -> Result<Option<TriagedFile>, AppError> {
    if !matches!(actor.role, Role::Reviewer | Role::Regulator | Role::Admin) {
        return Ok(None);
    }
    let o = super::review::visible_office(app, actor, office).await?;
    let queue = files(app, actor, round, Some(o.region.get())).await?;
    Ok(queue.files.into_iter().find(|f| f.office.id == o.id))
}

/// How many files raise one flag.
pub struct FlagCount {
    pub id: String,
    pub kind: &'static str,
    pub label: Label,
    pub weight: Fixed,
    pub files: usize,
}

/// A region's (or every region's) counts per flag.
pub struct Summary {
    pub round: RoundId,
    pub region: Option<u8>,
    /// Files listed (every office of the region).
    pub files: usize,
    /// Files that raise at least one flag.
    pub flagged: usize,
    /// Every flag of the round, in the order it declares them, with how many files raise it.
    pub flags: Vec<FlagCount>,
}

/// Counts per flag over the files the actor may list.
pub async fn summary(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<Summary, AppError> {
    let region = super::review::region_scope(actor, region)?;
    let q = triage(app, actor, round, region).await?;
    let (flags, flagged) = counts(&q.rs, q.files.iter().map(|f| &f.triage));
    Ok(Summary {
        round: q.rs.round,
        region,
        files: q.files.len(),
        flagged,
        flags,
    })
}

/// Every flag of the round, in the order it declares them, with how many of `files` raise it;
/// and how many files raise at least one. The API's summary and the reviewer's queue page count
/// with this one function.
pub fn counts<'a>(
    rs: &RuleSet,
    files: impl IntoIterator<Item = &'a Triage>,
) -> (Vec<FlagCount>, usize) {
    let mut per_flag = vec![0usize; rs.review.flags.len()];
    let mut flagged = 0;
    for t in files {
        if !t.flags.is_empty() {
            flagged += 1;
        }
        for (i, flag) in rs.review.flags.iter().enumerate() {
            if t.flags.iter().any(|r| r.id == flag.id) {
                per_flag[i] += 1;
            }
        }
    }
    let flags = rs
        .review
        .flags
        .iter()
        .zip(per_flag)
        .map(|(f, files)| FlagCount {
            id: f.id.clone(),
            kind: f.check.kind_name(),
            label: f.label.clone(),
            weight: f.weight,
            files,
        })
        .collect();
    (flags, flagged)
}

pub use crate::engine::triage::FlagOutcome;

/// After the round: per flag, how many flagged and unflagged files the review changed.
pub struct Outcomes {
    pub round: RoundId,
    pub region: Option<u8>,
    /// Submitted files, the only ones a flag can be raised on.
    pub files: usize,
    /// Submitted files the review changed (a referral corrected, or an accepted objection).
    pub changed: usize,
    pub flags: Vec<FlagOutcome>,
}

/// Each submitted file's flags as it was submitted (the values a referral asked to correct put
/// back as they were), and whether the review changed it: a referral whose corrected values
/// differ from the ones referred, or an accepted objection's corrections that differ from the
/// file's values.
pub async fn outcomes(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<Outcomes, AppError> {
    let region = super::review::region_scope(actor, region)?;
    let super::review::Files { rs, files } =
        super::review::files(app, actor, round, region).await?;
    let previous = super::declarations_by_office(app, rs.round.previous()).await?;
    let mut referrals: HashMap<OfficeId, Vec<Referral>> = HashMap::new();
    for r in app.store.round_referrals(rs.round).await? {
        referrals.entry(r.office_id.clone()).or_default().push(r);
    }
    let mut corrections: HashMap<OfficeId, Map<String, Json>> = HashMap::new();
    for o in app.store.objections(rs.round, region).await? {
        if o.status == ObjectionStatus::Accepted {
            corrections.insert(o.office_id.clone(), o.corrections);
        }
    }
    let mut changed = Vec::new();
    let mut records = Vec::new();
    for (o, d) in files.iter().filter(|(_, d)| submitted(d.as_ref())) {
        let now = d
            .clone()
            .map(DeclarationRow::all_values)
            .unwrap_or_default();
        let referred = referrals.remove(&o.id).unwrap_or_default();
        let mut as_submitted = d
            .as_ref()
            .map(|d| d.office_values.clone())
            .unwrap_or_default();
        // Oldest referral last: its values are the ones first submitted.
        for r in referred.iter().rev() {
            for (k, v) in &r.original_values {
                as_submitted.insert(k.clone(), v.clone());
            }
        }
        let by_referral = as_submitted.iter().any(|(k, v)| now.get(k) != Some(v))
            || now.keys().any(|k| {
                !as_submitted.contains_key(k) && referred.iter().any(|r| r.reasons.contains_key(k))
            });
        let by_objection = corrections
            .get(&o.id)
            .is_some_and(|c| c.iter().any(|(k, v)| now.get(k) != Some(v)));
        changed.push(by_referral || by_objection);
        if let Some(d) = d {
            as_submitted.extend(d.region_values.clone());
        }
        records.push(record(o, d.as_ref(), as_submitted, previous.get(&o.id)));
    }
    let assessed = assess(app, &rs, records).await?;
    let flags = crate::engine::triage::outcomes(&rs, &assessed, &changed);
    Ok(Outcomes {
        round: rs.round,
        region,
        files: changed.len(),
        changed: changed.iter().filter(|c| **c).count(),
        flags,
    })
}

/// The outcomes as CSV: one row per flag, fa and en labels, counts and the two rates (percent,
/// one decimal; empty when there is no file to count).
pub fn outcomes_csv(o: &Outcomes) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "flag",
        "kind",
        "label_fa",
        "label_en",
        "weight",
        "flagged",
        "flagged_changed",
        "flagged_changed_percent",
        "unflagged",
        "unflagged_changed",
        "unflagged_changed_percent",
    ])
    .map_err(AppError::internal)?;
    let pct = |part: usize, whole: usize| {
        if whole == 0 {
            String::new()
        } else {
            format!("{:.1}", part as f64 * 100.0 / whole as f64)
        }
    };
    for f in &o.flags {
        w.write_record([
            f.id.clone(),
            f.kind.to_string(),
            f.label.fa.clone(),
            f.label.en.clone(),
            f.weight.to_string(),
            f.flagged.to_string(),
            f.flagged_changed.to_string(),
            pct(f.flagged_changed, f.flagged),
            f.unflagged.to_string(),
            f.unflagged_changed.to_string(),
            pct(f.unflagged_changed, f.unflagged),
        ])
        .map_err(AppError::internal)?;
    }
    w.into_inner().map_err(AppError::internal)
}

fn submitted(d: Option<&DeclarationRow>) -> bool {
    d.is_some_and(|d| {
        matches!(
            d.status,
            DeclarationStatus::Submitted | DeclarationStatus::Referred
        )
    })
}

/// The engine's view of one file: a file counts as filed once submitted (a referred file was).
fn record(
    o: &OfficeRow,
    d: Option<&DeclarationRow>,
    values: Map<String, Json>,
    previous: Option<&DeclarationRow>,
) -> OfficeRecord {
    let raw = |m: Map<String, Json>| m.into_iter().map(|(k, v)| (k, Raw::Json(v))).collect();
    OfficeRecord {
        id: o.id.clone(),
        kind: o.kind,
        region: o.region,
        province: o.province.clone(),
        filed: submitted(d),
        inputs: raw(values),
        previous: raw(previous
            .cloned()
            .map(DeclarationRow::all_values)
            .unwrap_or_default()),
    }
}

/// Assesses every file off the async runtime, under the server's evaluation budget.
async fn assess(
    app: &App,
    rs: &Arc<RuleSet>,
    records: Vec<OfficeRecord>,
) -> Result<Vec<Option<Triage>>, AppError> {
    let rs = rs.clone();
    let work = app.evaluations.child(Limits::default());
    tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        assess_all(&rs, &records)
    })
    .await
    .map_err(AppError::internal)
}
