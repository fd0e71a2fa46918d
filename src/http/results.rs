//! Publication and results: the regulator publishes and finalizes; offices read their result and
//! may object; results export as CSV; the service share each office may offer.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::results as body;
use super::body::review::Objection as ObjectionBody;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path, Query};
use super::idempotency::{Answer, Idempotency, Write};
use super::review::expire_due_referrals;
use super::rounds::live_round;
use crate::domain::{Grade, Label, Role};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::store::declarations::DeclarationRow;
use crate::store::objections::{Objection, insert_objection};
use crate::store::publications::{Publication, StoredResult, insert_publication};
use crate::store::{StoreError, audit};
use crate::workflow::Phase;
use crate::workflow::calendar::{Events, RoundCalendar};
use crate::workflow::publication::{self, ENGINE_VERSION, FileData, Stamp};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish))
        .routes(routes!(finalize))
        .routes(routes!(list_publications))
        .routes(routes!(verify))
        .routes(routes!(my_result))
        .routes(routes!(list_results))
        .routes(routes!(export_results))
        .routes(routes!(services))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(file_objection))
                .route_layer(axum::middleware::from_fn(super::idempotency::middleware)),
        )
}

fn refused(fa: &str, en: String) -> ApiError {
    ApiError::State(Label::new(fa, en))
}

/// Every office's file for a publication; `corrections` from accepted objections for the final one.
pub(super) async fn files(
    state: &AppState,
    rs: &RuleSet,
    with_corrections: bool,
) -> Result<Vec<FileData>, ApiError> {
    let round = rs.round.to_string();
    let prev_round = rs.round.previous().to_string();
    let offices = state.store.offices(None).await?;
    let mut decls: std::collections::HashMap<String, _> = state
        .store
        .declarations(&round)
        .await?
        .into_iter()
        .map(|d| (d.office_id.clone(), d))
        .collect();
    let mut previous: std::collections::HashMap<String, _> = state
        .store
        .declarations(&prev_round)
        .await?
        .into_iter()
        .map(|d| (d.office_id.clone(), d))
        .collect();
    let mut corrections: std::collections::HashMap<String, Map<String, Json>> =
        std::collections::HashMap::new();
    if with_corrections {
        for o in state.store.objections(&round, None).await? {
            if o.status == "accepted" {
                corrections.insert(o.office_id.clone(), o.corrections);
            }
        }
    }
    Ok(offices
        .into_iter()
        .map(|o| {
            let id = o.id.to_string();
            let prev = previous.remove(&id).map(DeclarationRow::all_values);
            FileData {
                declaration: decls.remove(&id),
                previous: prev.unwrap_or_default(),
                corrections: corrections.remove(&id).unwrap_or_default(),
                office: o,
            }
        })
        .collect())
}

/// One office's file, as [`files`] gives it without corrections; `None` for an unknown office.
pub(super) async fn file_of(
    state: &AppState,
    rs: &RuleSet,
    office_id: &str,
) -> Result<Option<FileData>, ApiError> {
    let Some(office) = state.store.office(office_id).await? else {
        return Ok(None);
    };
    let declaration = state
        .store
        .declaration(&rs.round.to_string(), office_id)
        .await?;
    let previous = state
        .store
        .declaration(&rs.round.previous().to_string(), office_id)
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

/// Computes and stores a publication with the one rule set `rs` the caller checked: results,
/// header and hash all come from it, whatever reload happens meanwhile.
async fn write_publication(
    state: &AppState,
    me: &CurrentUser,
    rs: Arc<RuleSet>,
    stage: &'static str,
    files: Vec<FileData>,
) -> Result<(Publication, Vec<StoredResult>), ApiError> {
    state.run_publication_hook().await;
    let stamp = Stamp::new(stage, state.clock.now());
    let for_build = rs.clone();
    // Stopped at shutdown, like every evaluation the server runs.
    let work = state.evaluations.child(Limits::default());
    let results = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        publication::build(&for_build, &stamp, &files)
    })
    .await
    .map_err(ApiError::internal)??;
    let header = Publication {
        id: 0,
        round: rs.round.to_string(),
        stage: stage.to_string(),
        rules_hash: rs.hash().to_string(),
        rules_version: rs.version.clone(),
        engine_version: ENGINE_VERSION.to_string(),
        published_at: stamp.millis(),
        published_by: me.actor(),
        office_count: results.len() as i64,
        snapshot_hash: publication::snapshot_hash(&results),
    };
    let mut tx = state.store.pool.begin().await.map_err(StoreError::from)?;
    let id = insert_publication(&mut tx, &header, &results).await?;
    let action = if stage == "first" {
        "round_published"
    } else {
        "round_finalized"
    };
    audit::record(&mut tx, header.published_at, &me.actor(), action, &format!("round:{}", rs.round), None, Some(&json!({"publication": id, "snapshot_hash": header.snapshot_hash, "rules_hash": header.rules_hash}))).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((Publication { id, ..header }, results))
}

/// The round's calendar with what has happened in it (its publications).
pub(super) async fn events(state: &AppState, round: &str) -> Result<Events, ApiError> {
    Ok(publication::events(&state.store.publications(round).await?))
}

fn grade_counts(results: &[StoredResult]) -> body::GradeCounts {
    let mut c = [0; 3];
    for r in results {
        c[(r.grade.clamp(1, 3) - 1) as usize] += 1;
    }
    body::GradeCounts {
        grade_1: c[0],
        grade_2: c[1],
        grade_3: c[2],
    }
}

/// Publishes the round's first results: every office scored under the live rule set.
#[utoipa::path(post, path = "/v1/rounds/{round}/publish", tag = "publication", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 201, body = body::Published), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn publish(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
) -> Result<(StatusCode, axum::Json<body::Published>), ApiError> {
    me.require(&[Role::Regulator])?;
    let rs = live_round(&state, &round)?;
    let now = state.clock.now();
    let events = events(&state, &round).await?;
    if events.published_at.is_some() {
        return Err(ApiError::Conflict(Label::new(
            "نتایج این دوره قبلاً اعلام شده است",
            format!("round {round} is already published"),
        )));
    }
    RoundCalendar::new(&rs, events).require_open(Phase::Publication, now)?;
    expire_due_referrals(&state, &round, now).await?;
    let open = state.store.open_referrals(&round).await?;
    if !open.is_empty() {
        let ids: Vec<String> = open.iter().map(|r| r.office_id.clone()).collect();
        return Err(refused(
            "پرونده‌هایی هنوز در مهلت اصلاح هستند",
            format!(
                "files still within their correction window: {}",
                ids.join(", ")
            ),
        ));
    }
    let files = files(&state, &rs, false).await?;
    let (p, results) = write_publication(&state, &me, rs.clone(), "first", files).await?;
    let published = Events {
        published_at: Some(crate::store::from_millis(p.published_at)),
        finalized_at: None,
    };
    let w = RoundCalendar::new(&rs, published).window(Phase::Objection);
    Ok((
        StatusCode::CREATED,
        axum::Json(body::Published {
            publication: p.into(),
            grades: grade_counts(&results),
            objection_window: w.body(),
        }),
    ))
}

async fn publication_of(
    state: &AppState,
    round: &str,
    stage: &str,
) -> Result<Publication, ApiError> {
    state
        .store
        .publications(round)
        .await?
        .into_iter()
        .find(|p| p.stage == stage)
        .ok_or_else(|| {
            ApiError::NotFound(Label::new(
                format!("انتشار {stage} برای این دوره وجود ندارد"),
                format!("round {round} has no {stage} publication"),
            ))
        })
}

/// Finalizes the round: accepted objections' corrections applied, everyone re-scored and re-ranked.
#[utoipa::path(post, path = "/v1/rounds/{round}/finalize", tag = "publication", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 201, body = body::Finalized), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn finalize(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
) -> Result<(StatusCode, axum::Json<body::Finalized>), ApiError> {
    me.require(&[Role::Regulator])?;
    let rs = live_round(&state, &round)?;
    let first = publication_of(&state, &round, "first").await?;
    let now = state.clock.now();
    let events = events(&state, &round).await?;
    if events.finalized_at.is_some() {
        return Err(ApiError::Conflict(Label::new(
            "رتبه نهایی قبلاً اعلام شده است",
            format!("round {round} is already finalized"),
        )));
    }
    RoundCalendar::new(&rs, events).require_open(Phase::Final, now)?;
    let pending: Vec<String> = state
        .store
        .objections(&round, None)
        .await?
        .into_iter()
        .filter(|o| o.status == "pending")
        .map(|o| o.office_id)
        .collect();
    if !pending.is_empty() {
        return Err(refused(
            "برخی اعتراض‌ها هنوز بررسی نشده‌اند",
            format!("objections still pending: {}", pending.join(", ")),
        ));
    }
    let first_results = state
        .store
        .publication_results(first.id, None, None)
        .await?;
    // A damaged first result stops the finalization before anything is written.
    for r in &first_results {
        r.document(first.id)?;
    }
    let files = files(&state, &rs, true).await?;
    let (p, results) = write_publication(&state, &me, rs, "final", files).await?;
    let changes = publication::differences((first.id, &first_results), (p.id, &results))?;
    Ok((
        StatusCode::CREATED,
        axum::Json(body::Finalized {
            publication: p.into(),
            grades: grade_counts(&results),
            changed: changes,
        }),
    ))
}

/// The round's publications (first results and final ranks).
#[utoipa::path(get, path = "/v1/rounds/{round}/publications", tag = "publication", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = body::PublicationList), (status = 401, body = ErrorBody)))]
async fn list_publications(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path(round): Path<String>,
) -> Result<axum::Json<body::PublicationList>, ApiError> {
    let rs = live_round(&state, &round)?;
    let publications = state.store.publications(&round).await?;
    Ok(axum::Json(body::PublicationList {
        round: rs.round.to_string(),
        publications: publications.into_iter().map(Into::into).collect(),
    }))
}

/// The rule set a publication was computed with (the live one, or a stored version by hash).
async fn rules_for(
    state: &AppState,
    round: crate::domain::RoundId,
    hash: &str,
) -> Result<std::sync::Arc<RuleSet>, ApiError> {
    match state.rules.version(round, hash).await {
        Ok(Some(rs)) => Ok(rs),
        Ok(None) => Err(refused(
            "نسخه قواعد این انتشار در دسترس نیست",
            format!("the rules version {hash} of this publication is not stored"),
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Recomputes a publication from what it stored and compares it byte for byte.
#[utoipa::path(get, path = "/v1/rounds/{round}/publications/{stage}/verify", tag = "publication", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("stage" = String, Path, description = "first or final")),
    responses((status = 200, body = body::Verification), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn verify(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((round, stage)): Path<(String, String)>,
) -> Result<axum::Json<body::Verification>, ApiError> {
    me.require(&[Role::Regulator, Role::Admin])?;
    let live = live_round(&state, &round)?;
    let p = publication_of(&state, &round, &stage).await?;
    let rs = rules_for(&state, live.round, &p.rules_hash).await?;
    let stored = state.store.publication_results(p.id, None, None).await?;
    let offices: Vec<(String, Json)> = stored
        .iter()
        .map(|r| (r.office_id.clone(), r.inputs.clone()))
        .collect();
    let stamp_at = crate::store::from_millis(p.published_at);
    let stage_c = p.stage.clone();
    let work = state.evaluations.child(Limits::default());
    let recomputed = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        publication::compute(&rs, &Stamp::new(&stage_c, stamp_at), &offices)
    })
    .await
    .map_err(ApiError::internal)??;
    let mismatches: Vec<String> = stored
        .iter()
        .zip(&recomputed)
        .filter(|(a, b)| a.result != b.result)
        .map(|(a, _)| a.office_id.clone())
        .collect();
    let hash = publication::snapshot_hash(&recomputed);
    Ok(axum::Json(body::Verification {
        identical: mismatches.is_empty()
            && hash == p.snapshot_hash
            && recomputed.len() == stored.len(),
        publication: p.id,
        stage: p.stage,
        rules_hash: p.rules_hash,
        stored_snapshot_hash: p.snapshot_hash,
        recomputed_snapshot_hash: hash,
        mismatches,
    }))
}

/// The latest publication of a round (final if there is one).
async fn latest(state: &AppState, round: &str) -> Result<Publication, ApiError> {
    let mut ps = state.store.publications(round).await?;
    ps.sort_by_key(|p| p.stage != "final");
    ps.into_iter().next().ok_or_else(|| {
        ApiError::NotFound(Label::new(
            "نتایج این دوره هنوز اعلام نشده است",
            format!("round {round} has no published results yet"),
        ))
    })
}

/// The office's own result and explanation, with what it lacks for the next grade.
#[utoipa::path(get, path = "/v1/rounds/{round}/results/mine", tag = "results", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = body::MyResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn my_result(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
) -> Result<axum::Json<body::MyResult>, ApiError> {
    me.require(&[Role::Office])?;
    let office = me.user.office_id.clone().ok_or_else(|| {
        ApiError::forbidden(
            "این حساب به دفتری متصل نیست",
            "this account is not linked to an office",
        )
    })?;
    let rs = live_round(&state, &round)?;
    let p = latest(&state, &round).await?;
    let r = state
        .store
        .publication_results(p.id, None, Some(&office))
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("نتیجه این دفتر", "this office's result"))?;
    let calendar = RoundCalendar::new(&rs, events(&state, &round).await?);
    let may_object = p.stage == "first" && calendar.is_open(Phase::Objection, state.clock.now());
    let objection = state.store.objection(&round, &office).await?;
    let doc = r.document(p.id)?;
    Ok(axum::Json(body::MyResult {
        stage: p.stage,
        result: doc,
        may_object: may_object && objection.is_none(),
        objection: objection.map(Into::into),
        objection_window: calendar.window(Phase::Objection).body(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ResultsQuery {
    /// `first` or `final` (default: the latest).
    stage: Option<String>,
    /// Regulators and admins: only this region.
    region: Option<u8>,
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn scoped_results(
    state: &AppState,
    me: &CurrentUser,
    round: &str,
    q: &ResultsQuery,
) -> Result<(Publication, Vec<StoredResult>), ApiError> {
    let region = match me.user.role {
        Role::Reviewer => {
            let own = me.user.region;
            if q.region.is_some_and(|r| Some(r) != own) {
                return Err(ApiError::forbidden(
                    "شما فقط نتایج منطقه خود را می‌بینید",
                    "reviewers see only their own region's results",
                ));
            }
            own
        }
        Role::Regulator | Role::Admin => q.region,
        _ => {
            return Err(ApiError::forbidden(
                "این فهرست برای کارشناسان و سازمان است",
                "this list is for reviewers and the regulator",
            ));
        }
    };
    let p = match &q.stage {
        Some(s) => publication_of(state, round, s).await?,
        None => latest(state, round).await?,
    };
    let results = state.store.publication_results(p.id, region, None).await?;
    Ok((p, results))
}

/// Results of a region (reviewers) or every region (regulator), with grades and service shares.
#[utoipa::path(get, path = "/v1/rounds/{round}/results", tag = "results", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ResultsQuery),
    responses((status = 200, body = body::ResultList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_results(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<axum::Json<body::ResultList>, ApiError> {
    let (p, results) = scoped_results(&state, &me, &round, &q).await?;
    let per_page = q.per_page.unwrap_or(100).clamp(1, 1000);
    let page = q.page.unwrap_or(1).max(1);
    let total = results.len();
    let rows = results
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| result_row(r, p.id))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(axum::Json(body::ResultList {
        round,
        stage: p.stage,
        total,
        page,
        per_page,
        results: rows,
    }))
}

/// One stored result as a list shows it: the exact decimals the result was written from.
fn result_row(r: &StoredResult, publication: i64) -> Result<body::ResultRow, StoreError> {
    let doc = r.document(publication)?;
    let to_next_grade =
        serde_json::from_value(doc["to_next_grade"].clone()).map_err(|e| StoreError::Corrupt {
            table: "publication_results",
            row: format!("{publication}/{}", r.office_id),
            problem: format!("to_next_grade is not a decimal ({e})"),
        })?;
    Ok(body::ResultRow {
        office: r.office_id.clone(),
        region: r.region,
        kind: r.kind.clone(),
        filed: r.filed,
        total: publication::stored_total(r, publication)?,
        grade: grade(r, publication)?,
        service_share_percent: publication::stored_service_share(r, publication)?,
        positions: publication::positions(r, publication)?,
        to_next_grade,
    })
}

fn grade(r: &StoredResult, publication: i64) -> Result<Grade, StoreError> {
    Grade::new(r.grade).ok_or_else(|| StoreError::Corrupt {
        table: "publication_results",
        row: format!("{publication}/{}", r.office_id),
        problem: format!("grade {} is not 1, 2 or 3", r.grade),
    })
}

/// The same results as CSV.
#[utoipa::path(get, path = "/v1/rounds/{round}/results.csv", tag = "results", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ResultsQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody)))]
async fn export_results(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<axum::response::Response, ApiError> {
    let rs = live_round(&state, &round)?;
    let (p, results) = scoped_results(&state, &me, &round, &q).await?;
    let scopes: Vec<&str> = rs.ranking.scopes.iter().map(|s| s.as_str()).collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "office",
        "region",
        "kind",
        "filed",
        "total",
        "grade",
        "service_share_percent",
    ];
    let scope_cols: Vec<String> = scopes.iter().map(|s| format!("position_{s}")).collect();
    header.extend(scope_cols.iter().map(String::as_str));
    w.write_record(&header).map_err(ApiError::internal)?;
    for r in &results {
        let doc = r.document(p.id)?;
        let mut row = vec![
            r.office_id.clone(),
            r.region.to_string(),
            r.kind.clone(),
            r.filed.to_string(),
            r.total.clone().unwrap_or_default(),
            r.grade.to_string(),
            r.service_share.clone(),
        ];
        row.extend(scopes.iter().map(|s| doc["positions"][*s].to_string()));
        w.write_record(&row).map_err(ApiError::internal)?;
    }
    let body = w.into_inner().map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"results-{round}-{}.csv\"", p.stage),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ObjectionRequest {
    /// The written objection.
    text: String,
    /// The criteria objected to (ids from the round).
    criteria: Vec<String>,
}

/// An office objects to its first result, within the objection window after publication.
#[utoipa::path(post, path = "/v1/rounds/{round}/objection", tag = "objections", request_body = ObjectionRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 201, body = ObjectionBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn file_objection(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    idempotency: Idempotency,
    ApiJson(req): ApiJson<ObjectionRequest>,
) -> Result<Answer, ApiError> {
    me.require(&[Role::Office])?;
    let office = me.user.office_id.clone().ok_or_else(|| {
        ApiError::forbidden(
            "این حساب به دفتری متصل نیست",
            "this account is not linked to an office",
        )
    })?;
    let rs = live_round(&state, &round)?;
    publication_of(&state, &round, "first").await?;
    let now = state.clock.now();
    RoundCalendar::new(&rs, events(&state, &round).await?).require_open(Phase::Objection, now)?;
    let mut errors = Vec::new();
    if req.text.trim().chars().count() < 10 {
        errors.push(crate::rules::value::FieldError::new(
            "text",
            "متن اعتراض را بنویسید (دست‌کم ۱۰ نویسه)",
            "write the objection (at least 10 characters)",
        ));
    }
    if req.criteria.is_empty() {
        errors.push(crate::rules::value::FieldError::new(
            "criteria",
            "دست‌کم یک معیار را نام ببرید",
            "name at least one criterion",
        ));
    }
    for c in &req.criteria {
        if rs.criterion_index(c).is_none() && rs.penalty_index(c).is_none() {
            errors.push(crate::rules::value::FieldError::new(
                &format!("criteria.{c}"),
                format!("`{c}` از معیارهای این دوره نیست"),
                format!("`{c}` is not a criterion or penalty of round {round}"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Fields(errors));
    }
    let mut o = Objection {
        id: 0,
        round: round.clone(),
        office_id: office.clone(),
        text: req.text.trim().to_string(),
        criteria: req.criteria.clone(),
        filed_at: now.as_millisecond(),
        status: "pending".into(),
        corrections: Map::new(),
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        version: 1,
    };
    let mut tx = Write::begin(&state, idempotency).await?;
    o.id = insert_objection(&mut tx, &o).await?;
    audit::record(
        &mut tx,
        o.filed_at,
        &me.actor(),
        "objection_filed",
        &format!("objection:{round}:{office}"),
        None,
        Some(&json!(o)),
    )
    .await?;
    tx.commit(StatusCode::CREATED, &ObjectionBody::from(o))
        .await
}

/// The share of the services available in its area each office may offer, from its latest grade.
#[utoipa::path(get, path = "/v1/rounds/{round}/services", tag = "results", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ResultsQuery),
    responses((status = 200, body = body::Services), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn services(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<axum::Json<body::Services>, ApiError> {
    let (p, results) = if me.user.role == Role::Office {
        let office = me.user.office_id.clone().unwrap_or_default();
        let p = latest(&state, &round).await?;
        let r = state
            .store
            .publication_results(p.id, None, Some(&office))
            .await?;
        (p, r)
    } else {
        scoped_results(&state, &me, &round, &q).await?
    };
    let services = results
        .iter()
        .map(|r| {
            Ok(body::ServiceRow {
                office: r.office_id.clone(),
                region: r.region,
                grade: grade(r, p.id)?,
                service_share_percent: publication::stored_service_share(r, p.id)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(axum::Json(body::Services {
        round,
        stage: p.stage,
        services,
    }))
}
