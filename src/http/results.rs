//! Publication and results: the regulator publishes and finalizes; offices read their result and
//! may object; results export as CSV; the service share each office may offer.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::results as body;
use super::body::review::Objection as ObjectionBody;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path, Query};
use super::idempotency::{Answer, Idempotency, reply};
use super::rounds::live_round;
use crate::app::publication::{self as app_publication, NewObjection, Published};
use crate::app::results::{self as app_results, ResultScope};
use crate::domain::records::{CorruptRecord, StoredResult};
use crate::domain::{Grade, RoundId};
use crate::workflow::calendar::Events;
use crate::workflow::publication;

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

/// The round's calendar with what has happened in it (its publications).
pub(super) async fn events(state: &AppState, round: RoundId) -> Result<Events, ApiError> {
    Ok(app_publication::events(state, round).await?)
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
    let (
        Published {
            publication: p,
            results,
        },
        w,
    ) = app_publication::publish(&state, &me.actor(), &round).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(body::Published {
            publication: p.into(),
            grades: grade_counts(&results),
            objection_window: w.body(),
        }),
    ))
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
    let (
        Published {
            publication: p,
            results,
        },
        changes,
    ) = app_publication::finalize(&state, &me.actor(), &round).await?;
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
    let publications = app_results::publications(&state, rs.round).await?;
    Ok(axum::Json(body::PublicationList {
        round: rs.round.to_string(),
        publications: publications.into_iter().map(Into::into).collect(),
    }))
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
    let v = app_results::verify(&state, &me.actor(), &round, &stage).await?;
    let identical = v.identical();
    let p = v.publication;
    Ok(axum::Json(body::Verification {
        identical,
        publication: p.id,
        stage: p.stage.to_string(),
        rules_hash: p.rules_hash,
        stored_snapshot_hash: p.snapshot_hash,
        recomputed_snapshot_hash: v.recomputed_snapshot_hash,
        mismatches: v.mismatches,
    }))
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
    let own = app_results::own_result(&state, &me.actor(), &round).await?;
    let doc = own.result.document(own.publication.id)?;
    Ok(axum::Json(body::MyResult {
        stage: own.publication.stage.to_string(),
        result: doc,
        may_object: own.may_object,
        objection: own.objection.map(Into::into),
        objection_window: own.objection_window.body(),
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

impl ResultsQuery {
    fn scope(&self) -> ResultScope<'_> {
        ResultScope {
            stage: self.stage.as_deref(),
            region: self.region,
        }
    }
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
    let (p, results) = app_results::scoped_results(&state, &me.actor(), &round, &q.scope()).await?;
    let per_page = q.per_page.unwrap_or(100).clamp(1, 1000);
    let page = q.page.unwrap_or(1).max(1);
    let total = results.len();
    let rows = results
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| result_row(r, p.id))
        .collect::<Result<Vec<_>, CorruptRecord>>()?;
    Ok(axum::Json(body::ResultList {
        round,
        stage: p.stage.to_string(),
        total,
        page,
        per_page,
        results: rows,
    }))
}

/// One stored result as a list shows it: the exact decimals the result was written from.
fn result_row(r: &StoredResult, publication: i64) -> Result<body::ResultRow, CorruptRecord> {
    let doc = r.document(publication)?;
    let to_next_grade = serde_json::from_value(doc["to_next_grade"].clone())
        .map_err(|e| r.corrupt(publication, format!("to_next_grade is not a decimal ({e})")))?;
    Ok(body::ResultRow {
        office: r.office_id.to_string(),
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

fn grade(r: &StoredResult, publication: i64) -> Result<Grade, CorruptRecord> {
    Grade::new(r.grade)
        .ok_or_else(|| r.corrupt(publication, format!("grade {} is not 1, 2 or 3", r.grade)))
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
    let (p, results) = app_results::scoped_results(&state, &me.actor(), &round, &q.scope()).await?;
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
            r.office_id.to_string(),
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
    #[schema(example = "مساحت دفتر پس از بازسازی ۹۵ متر مربع است")]
    text: String,
    /// The criteria objected to (ids from the round).
    #[schema(example = json!(["area"]))]
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
    let objection = NewObjection {
        text: req.text,
        criteria: req.criteria,
    };
    let filed =
        app_publication::object(&state, &me.actor(), &round, objection, idempotency.claim())
            .await?;
    reply(filed, StatusCode::CREATED, |o| {
        ObjectionBody::from(o.clone())
    })
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
    let (p, results) =
        app_results::service_results(&state, &me.actor(), &round, &q.scope()).await?;
    let services = results
        .iter()
        .map(|r| {
            Ok(body::ServiceRow {
                office: r.office_id.to_string(),
                region: r.region,
                grade: grade(r, p.id)?,
                service_share_percent: publication::stored_service_share(r, p.id)?,
            })
        })
        .collect::<Result<_, CorruptRecord>>()?;
    Ok(axum::Json(body::Services {
        round,
        stage: p.stage.to_string(),
        services,
    }))
}
