//! Publication: the regulator publishes the first results and, after the objections, the final
//! ranks; offices object to their first result. Also every office's file as a publication (or a
//! simulation) takes it.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::{Actor, App, AppError, Claim, Written};
use crate::domain::{Label, ObjectionStatus, OfficeId, Role, RoundId, Stage};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::rules::value::FieldError;
use crate::store::audit;
use crate::store::declarations::DeclarationRow;
use crate::store::objections::{Objection, insert_objection};
use crate::store::publications::{Publication, StoredResult, insert_publication};
use crate::workflow::calendar::{Events, RoundCalendar};
use crate::workflow::publication::{self, ENGINE_VERSION, FileData, Stamp};
use crate::workflow::{Phase, Window};

/// Every office's file for a publication; `corrections` from accepted objections for the final one.
#[tracing::instrument(skip_all, fields(round = %rs.round, with_corrections))]
pub async fn files(
    app: &App,
    rs: &RuleSet,
    with_corrections: bool,
) -> Result<Vec<FileData>, AppError> {
    let offices = app.store.offices(None).await?;
    let mut decls = super::declarations_by_office(app, rs.round).await?;
    let mut previous = super::declarations_by_office(app, rs.round.previous()).await?;
    let mut corrections: HashMap<OfficeId, Map<String, Json>> = HashMap::new();
    if with_corrections {
        for o in app.store.objections(rs.round, None).await? {
            if o.status == ObjectionStatus::Accepted {
                corrections.insert(o.office_id.clone(), o.corrections);
            }
        }
    }
    Ok(offices
        .into_iter()
        .map(|o| {
            let prev = previous.remove(&o.id).map(DeclarationRow::all_values);
            FileData {
                declaration: decls.remove(&o.id),
                previous: prev.unwrap_or_default(),
                corrections: corrections.remove(&o.id).unwrap_or_default(),
                office: o,
            }
        })
        .collect())
}

/// One office's file, as [`files`] gives it without corrections; `None` for an unknown office.
pub async fn file_of(
    app: &App,
    rs: &RuleSet,
    office_id: &OfficeId,
) -> Result<Option<FileData>, AppError> {
    let Some(office) = app.store.office(office_id).await? else {
        return Ok(None);
    };
    let declaration = app.store.declaration(rs.round, office_id).await?;
    let previous = app
        .store
        .declaration(rs.round.previous(), office_id)
        .await?
        .map(DeclarationRow::all_values)
        .unwrap_or_default();
    Ok(Some(FileData {
        office,
        declaration,
        previous,
        corrections: Map::new(),
    }))
}

/// The round's calendar events: what its publications moved.
pub async fn events(app: &App, round: RoundId) -> Result<Events, AppError> {
    Ok(publication::events(&app.store.publications(round).await?))
}

/// The round's publication of `stage` (as a client names it: `first`, `final`), or `NotFound`.
pub async fn publication_of(app: &App, round: &str, stage: &str) -> Result<Publication, AppError> {
    let none = || {
        AppError::NotFound(Label::new(
            format!(
                "دوره {} انتشار {} ندارد",
                crate::domain::digits::to_persian_digits(round),
                crate::domain::label::publication_stage(stage).fa
            ),
            format!("round {round} has no {stage} publication"),
        ))
    };
    let (Ok(id), Some(wanted)) = (RoundId::parse(round), Stage::parse(stage)) else {
        return Err(none());
    };
    app.store
        .publications(id)
        .await?
        .into_iter()
        .find(|p| p.stage == wanted)
        .ok_or_else(none)
}

/// A publication just written, with every office's result.
pub struct Published {
    pub publication: Publication,
    pub results: Vec<StoredResult>,
}

/// Computes and stores a publication with the one rule set `rs` the caller checked: results,
/// header and hash all come from it, whatever reload happens meanwhile.
async fn write_publication(
    app: &App,
    actor: &Actor,
    rs: Arc<RuleSet>,
    stage: Stage,
    files: Vec<FileData>,
) -> Result<Published, AppError> {
    app.run_publication_hook().await;
    let stamp = Stamp::new(stage, app.clock.now());
    let for_build = rs.clone();
    // Stopped at shutdown, like every evaluation the server runs.
    let work = app.evaluations.child(Limits::default());
    let results = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        publication::build(&for_build, &stamp, &files)
    })
    .await
    .map_err(AppError::internal)??;
    let header = Publication {
        id: 0,
        round: rs.round,
        stage,
        rules_hash: rs.hash().to_string(),
        rules_version: rs.version.clone(),
        engine_version: ENGINE_VERSION.to_string(),
        published_at: stamp.millis(),
        published_by: actor.name().to_string(),
        office_count: results.len() as i64,
        snapshot_hash: publication::snapshot_hash(&results),
    };
    let mut tx = app.begin(Claim::default()).await?;
    let id = insert_publication(&mut tx, &header, &results).await?;
    let action = match stage {
        Stage::First => "round_published",
        Stage::Final => "round_finalized",
    };
    let after = json!({"publication": id, "snapshot_hash": header.snapshot_hash, "rules_hash": header.rules_hash});
    audit::record(
        &mut tx,
        header.published_at,
        actor.name(),
        action,
        &format!("round:{}", rs.round),
        None,
        Some(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(Published {
        publication: Publication { id, ..header },
        results,
    })
}

/// Publishes the round's first results (regulators): every office scored under the live rule set,
/// once no file is within its correction window. Gives back the objection window it opens.
#[tracing::instrument(skip_all, fields(round))]
pub async fn publish(
    app: &App,
    actor: &Actor,
    round: &str,
) -> Result<(Published, Window), AppError> {
    actor.require(&[Role::Regulator])?;
    let rs = app.live_round(round)?;
    let now = app.clock.now();
    let events = events(app, rs.round).await?;
    if events.published_at.is_some() {
        return Err(AppError::Conflict(Label::new(
            format!(
                "نتایج دوره {} قبلاً اعلام شده است",
                crate::domain::digits::to_persian_digits(round)
            ),
            format!("round {round} is already published"),
        )));
    }
    RoundCalendar::new(&rs, events).require_open(Phase::Publication, now)?;
    super::review::expire_due_referrals(app, rs.round, now).await?;
    let open = super::review::open_referrals(app, rs.round).await?;
    if !open.is_empty() {
        let ids: Vec<&str> = open.iter().map(|r| r.office_id.as_str()).collect();
        return Err(AppError::state(
            format!(
                "این پرونده‌ها هنوز در مهلت اصلاح هستند: {}",
                quoted_list(&ids)
            ),
            format!(
                "files still within their correction window: {}",
                ids.join(", ")
            ),
        ));
    }
    let files = files(app, &rs, false).await?;
    let published = write_publication(app, actor, rs.clone(), Stage::First, files).await?;
    let events = Events {
        published_at: Some(crate::domain::from_millis(
            published.publication.published_at,
        )),
        finalized_at: None,
    };
    let w = RoundCalendar::new(&rs, events).window(Phase::Objection);
    Ok((published, w))
}

/// Finalizes the round (regulators): accepted objections' corrections applied, everyone re-scored
/// and re-ranked. Gives back what changed since the first results.
#[tracing::instrument(skip_all, fields(round))]
pub async fn finalize(
    app: &App,
    actor: &Actor,
    round: &str,
) -> Result<(Published, Vec<publication::ResultChange>), AppError> {
    actor.require(&[Role::Regulator])?;
    let rs = app.live_round(round)?;
    let first = publication_of(app, round, Stage::First.as_str()).await?;
    let now = app.clock.now();
    let events = events(app, rs.round).await?;
    if events.finalized_at.is_some() {
        return Err(AppError::Conflict(Label::new(
            format!(
                "رتبه نهایی دوره {} قبلاً اعلام شده است",
                crate::domain::digits::to_persian_digits(round)
            ),
            format!("round {round} is already finalized"),
        )));
    }
    RoundCalendar::new(&rs, events).require_open(Phase::Final, now)?;
    let pending: Vec<String> = app
        .store
        .objections(rs.round, None)
        .await?
        .into_iter()
        .filter(|o| o.status == ObjectionStatus::Pending)
        .map(|o| o.office_id.to_string())
        .collect();
    if !pending.is_empty() {
        return Err(AppError::state(
            format!(
                "اعتراض این دفترها هنوز بررسی نشده است: {}",
                quoted_list(&pending)
            ),
            format!("objections still pending: {}", pending.join(", ")),
        ));
    }
    let first_results = app.store.publication_results(first.id, None, None).await?;
    // A damaged first result stops the finalization before anything is written.
    for r in &first_results {
        r.document(first.id)?;
    }
    let files = files(app, &rs, true).await?;
    let published = write_publication(app, actor, rs, Stage::Final, files).await?;
    let changes = publication::differences(
        (first.id, &first_results),
        (published.publication.id, &published.results),
    )?;
    Ok((published, changes))
}

/// An office's objection to its first result.
pub struct NewObjection {
    /// The written objection.
    pub text: String,
    /// The criteria (or penalties) objected to.
    pub criteria: Vec<String>,
}

/// An office objects to its first result, within the objection window after publication.
#[tracing::instrument(skip_all, fields(round))]
pub async fn object(
    app: &App,
    actor: &Actor,
    round: &str,
    req: NewObjection,
    claim: Claim,
) -> Result<Written<Objection>, AppError> {
    let office = actor.own_office()?.clone();
    let rs = app.live_round(round)?;
    publication_of(app, round, Stage::First.as_str()).await?;
    let now = app.clock.now();
    RoundCalendar::new(&rs, events(app, rs.round).await?).require_open(Phase::Objection, now)?;
    let mut errors = Vec::new();
    if req.text.trim().chars().count() < 10 {
        errors.push(FieldError::new(
            "text",
            "متن اعتراض را بنویسید (دست‌کم ۱۰ نویسه)",
            "write the objection (at least 10 characters)",
        ));
    }
    if req.criteria.is_empty() {
        errors.push(FieldError::new(
            "criteria",
            "دست‌کم یک معیار را نام ببرید",
            "name at least one criterion",
        ));
    }
    for c in &req.criteria {
        if rs.criterion_index(c).is_none() && rs.penalty_index(c).is_none() {
            errors.push(FieldError::new(
                &format!("criteria.{c}"),
                format!(
                    "{} از معیارها و جریمه‌های دوره {} نیست",
                    crate::domain::quoted(c),
                    crate::domain::digits::to_persian_digits(round)
                ),
                format!("`{c}` is not a criterion or penalty of round {round}"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut o = Objection {
        id: 0,
        round: rs.round,
        office_id: office.clone(),
        text: req.text.trim().to_string(),
        criteria: req.criteria,
        filed_at: now.as_millisecond(),
        status: ObjectionStatus::Pending,
        corrections: Map::new(),
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        version: 1,
    };
    let mut tx = app.begin(claim).await?;
    o.id = insert_objection(&mut tx, &o).await?;
    audit::record(
        &mut tx,
        o.filed_at,
        actor.name(),
        "objection_filed",
        &format!("objection:{round}:{office}"),
        None,
        Some(&json!(o)),
    )
    .await?;
    Ok(tx.written(o))
}

/// Office ids for a Persian message: `«P-1»، «P-2»`.
fn quoted_list<S: AsRef<str>>(ids: &[S]) -> String {
    ids.iter()
        .map(|id| crate::domain::quoted(id.as_ref()))
        .collect::<Vec<_>>()
        .join("، ")
}
