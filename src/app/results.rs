//! Reading published results: a round's publications, the latest one, an office's own result
//! with its objection, the results an actor may see (their region, or every region), the service
//! shares, and the check that a publication recomputes to what it stored. Queries only: nothing
//! here writes.

use std::sync::Arc;

use serde_json::Value as Json;

use super::publication::{events, publication_of};
use super::{Actor, App, AppError};
use crate::domain::records::{Objection, Publication, StoredResult};
use crate::domain::{Label, OfficeId, Role, RoundId, Stage};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::workflow::calendar::RoundCalendar;
use crate::workflow::publication::{self, Stamp};
use crate::workflow::{Phase, Window};

/// The publications of `round` (first, then final).
pub async fn publications(app: &App, round: RoundId) -> Result<Vec<Publication>, AppError> {
    Ok(app.store.publications(round).await?)
}

/// The latest publication of a round (final if there is one), or `NotFound` saying that its
/// results are not published yet.
pub async fn latest(app: &App, round: &str) -> Result<Publication, AppError> {
    let none = || {
        AppError::NotFound(Label::new(
            format!(
                "نتایج دوره {} هنوز اعلام نشده است",
                crate::domain::digits::to_persian_digits(round)
            ),
            format!("round {round} has no published results yet"),
        ))
    };
    let id = RoundId::parse(round).map_err(|_| none())?;
    let mut ps = app.store.publications(id).await?;
    ps.sort_by_key(|p| p.stage != Stage::Final);
    ps.into_iter().next().ok_or_else(none)
}

/// An office's own result in the latest publication, and what it may still do about it.
pub struct OwnResult {
    pub publication: Publication,
    pub result: StoredResult,
    /// The office's objection, if it filed one.
    pub objection: Option<Objection>,
    /// True while the first results stand, the objection window is open and it has not objected.
    pub may_object: bool,
    pub objection_window: Window,
}

/// The signed-in office's own result (office holders only).
pub async fn own_result(app: &App, actor: &Actor, round: &str) -> Result<OwnResult, AppError> {
    let office = actor.own_office()?;
    let rs = app.live_round(round)?;
    let p = latest(app, round).await?;
    let result = app
        .store
        .publication_results(p.id, None, Some(office.as_str()))
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found("نتیجه این دفتر", "this office's result"))?;
    let calendar = RoundCalendar::new(&rs, events(app, rs.round).await?);
    let window_open =
        p.stage == Stage::First && calendar.is_open(Phase::Objection, app.clock.now());
    let objection = app.store.objection(rs.round, office).await?;
    Ok(OwnResult {
        may_object: window_open && objection.is_none(),
        objection_window: calendar.window(Phase::Objection),
        publication: p,
        result,
        objection,
    })
}

/// Which results a list shows: a stage (default: the latest publication) and, for the regulator,
/// one region.
#[derive(Clone, Debug, Default)]
pub struct ResultScope<'a> {
    /// `first` or `final`.
    pub stage: Option<&'a str>,
    pub region: Option<u8>,
}

/// The results `actor` may list: a reviewer their own region's (asking for another is refused),
/// the regulator and admins every region's or the one asked for; others are refused.
pub async fn scoped_results(
    app: &App,
    actor: &Actor,
    round: &str,
    scope: &ResultScope<'_>,
) -> Result<(Publication, Vec<StoredResult>), AppError> {
    let region = match actor.role {
        Role::Reviewer => {
            let own = actor.region;
            if scope.region.is_some_and(|r| Some(r) != own) {
                return Err(AppError::Forbidden(Label::new(
                    "شما فقط نتایج منطقه خود را می‌بینید",
                    "reviewers see only their own region's results",
                )));
            }
            own
        }
        Role::Regulator | Role::Admin => scope.region,
        _ => {
            return Err(AppError::Forbidden(Label::new(
                "این فهرست برای کارشناسان و سازمان است",
                "this list is for reviewers and the regulator",
            )));
        }
    };
    let p = match scope.stage {
        Some(s) => publication_of(app, round, s).await?,
        None => latest(app, round).await?,
    };
    let results = app.store.publication_results(p.id, region, None).await?;
    Ok((p, results))
}

/// The results whose service shares `actor` may see: an office holder its own (in the latest
/// publication), others as [`scoped_results`].
pub async fn service_results(
    app: &App,
    actor: &Actor,
    round: &str,
    scope: &ResultScope<'_>,
) -> Result<(Publication, Vec<StoredResult>), AppError> {
    if actor.role != Role::Office {
        return scoped_results(app, actor, round, scope).await;
    }
    let office = actor.office_id.as_ref().map_or("", OfficeId::as_str);
    let p = latest(app, round).await?;
    let results = app
        .store
        .publication_results(p.id, None, Some(office))
        .await?;
    Ok((p, results))
}

/// A publication recomputed from what it stored, compared byte for byte.
pub struct Verification {
    pub publication: Publication,
    /// Offices whose recomputed result differs from the stored one.
    pub mismatches: Vec<String>,
    pub recomputed_snapshot_hash: String,
    /// As many results recomputed as stored.
    pub same_count: bool,
}

impl Verification {
    /// Every result, the count and the snapshot hash are what was published.
    pub fn identical(&self) -> bool {
        self.mismatches.is_empty()
            && self.recomputed_snapshot_hash == self.publication.snapshot_hash
            && self.same_count
    }
}

/// Recomputes the `stage` publication of `round` (regulators and admins) with the rule set it was
/// computed with, from the inputs it stored.
pub async fn verify(
    app: &App,
    actor: &Actor,
    round: &str,
    stage: &str,
) -> Result<Verification, AppError> {
    actor.require(&[Role::Regulator, Role::Admin])?;
    let live = app.live_round(round)?;
    let p = publication_of(app, round, stage).await?;
    let rs = rules_for(app, live.round, &p.rules_hash).await?;
    let stored = app.store.publication_results(p.id, None, None).await?;
    let offices: Vec<(OfficeId, Json)> = stored
        .iter()
        .map(|r| (r.office_id.clone(), r.inputs.clone()))
        .collect();
    let stamp = Stamp::new(p.stage, crate::domain::from_millis(p.published_at));
    let work = app.evaluations.child(Limits::default());
    let recomputed = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        publication::compute(&rs, &stamp, &offices)
    })
    .await
    .map_err(AppError::internal)??;
    let mismatches: Vec<String> = stored
        .iter()
        .zip(&recomputed)
        .filter(|(a, b)| a.result != b.result)
        .map(|(a, _)| a.office_id.to_string())
        .collect();
    Ok(Verification {
        recomputed_snapshot_hash: publication::snapshot_hash(&recomputed),
        same_count: recomputed.len() == stored.len(),
        mismatches,
        publication: p,
    })
}

/// The rule set a publication was computed with (the live one, or a stored version by hash).
async fn rules_for(app: &App, round: RoundId, hash: &str) -> Result<Arc<RuleSet>, AppError> {
    match app.rules.version(round, hash).await {
        Ok(Some(rs)) => Ok(rs),
        Ok(None) => Err(AppError::state(
            format!(
                "نسخه {} از قواعد، که این انتشار با آن ساخته شد، ذخیره نشده است",
                crate::domain::quoted(hash)
            ),
            format!("the rules version {hash} of this publication is not stored"),
        )),
        Err(e) => Err(AppError::internal(e)),
    }
}
