//! Regional review: reviewers see their region's files, record the region's inputs and inspection
//! findings, refer files back for correction, and handle objections.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::review as body;
use super::body::triage::FileTriage;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path, Query};
use super::idempotency::{Answer, Idempotency, reply};
use crate::app::file_list;
use crate::app::queue::QueueSort;
use crate::app::review::{self as app_review, Handling};
use crate::workflow::review;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files))
        .routes(routes!(get_file))
        .routes(routes!(record_region_values))
        .routes(routes!(refer_file))
        .routes(routes!(accept_file))
        .routes(routes!(list_objections))
        .routes(routes!(handle_objection))
        .route_layer(axum::middleware::from_fn(super::idempotency::middleware))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct FilesQuery {
    /// Only files in this status: not_started, draft, submitted, referred.
    status: Option<String>,
    /// Regulators and admins: only this region.
    region: Option<u8>,
    /// 1-based page.
    page: Option<usize>,
    /// Files per page (default 50, at most 500).
    per_page: Option<usize>,
    /// `risk`: the reviewer's queue order (highest risk first, then the earliest deadline);
    /// otherwise by license number.
    sort: Option<String>,
}

/// The files of a region: every office with its declaration's status.
#[utoipa::path(get, path = "/v1/rounds/{round}/files", tag = "review", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), FilesQuery),
    responses((status = 200, body = body::FileList), (status = 403, body = ErrorBody)))]
async fn list_files(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<FilesQuery>,
) -> Result<axum::Json<body::FileList>, ApiError> {
    let sort = match q.sort.as_deref() {
        None | Some("office") => QueueSort::Office,
        Some("risk") => QueueSort::Risk,
        Some(other) => {
            return Err(crate::app::AppError::BadRequest(
                "invalid_query",
                crate::domain::Label::new(
                    format!("ترتیب «{other}» شناخته نیست؛ «risk» (خطر) یا «office» (شماره پروانه)"),
                    format!("unknown sort `{other}`: use `risk` or `office`"),
                ),
            )
            .into());
        }
    };
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let query = file_list::ListQuery {
        region: q.region,
        status: q.status,
        sort,
        page,
        per_page,
    };
    let list = file_list::file_list(&state, &me.actor(), &round, &query).await?;
    let files = list
        .files
        .iter()
        .map(|f| {
            let r = &f.row;
            let submitted_at = r.submitted_at.map(super::body::instant);
            body::FileListItem {
                office: r.office.to_string(),
                name: r.name.clone(),
                kind: r.kind,
                region: r.region,
                province: r.province.clone(),
                status: file_list::status_name(r.state),
                version: r.version,
                submitted_at,
                submitted_at_jalali: submitted_at.map(super::body::jalali),
                triage: FileTriage::new(&f.triage, f.deadline),
            }
        })
        .collect();
    Ok(axum::Json(body::FileList {
        round: list.round.to_string(),
        total: list.total,
        page,
        per_page,
        files,
    }))
}

/// One file in full: the office's and the region's values, referrals and objection.
#[utoipa::path(get, path = "/v1/rounds/{round}/files/{office}", tag = "review", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("office" = String, Path, description = "license number")),
    responses((status = 200, body = body::File), (status = 404, body = ErrorBody, description = "no such office, or not one you may see")))]
async fn get_file(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((round, office)): Path<(String, String)>,
) -> Result<axum::Json<body::File>, ApiError> {
    let app_review::File {
        office: o,
        declaration: d,
        referrals,
        objection,
    } = app_review::file(&state, &me.actor(), &round, &office).await?;
    let triage = crate::app::triage::file_triage(&state, &me.actor(), &round, &office).await?;
    Ok(axum::Json(body::File {
        triage: triage.as_ref().map(Into::into),
        office: o.into(),
        declaration: d.map(Into::into),
        referrals: referrals.into_iter().map(Into::into).collect(),
        objection: objection.map(Into::into),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RegionValues {
    /// Region- and inspection-supplied inputs (association score, violations with date and note …).
    #[schema(value_type = BTreeMap<String, super::body::InputValue>)]
    values: Map<String, Json>,
    /// The version you read; a concurrent change answers 409.
    #[schema(example = 3)]
    version: i64,
}

/// Records the region's inputs and inspection findings on a submitted file, during the review.
#[utoipa::path(put, path = "/v1/rounds/{round}/files/{office}/region-values", tag = "review", request_body = RegionValues, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("office" = String, Path, description = "license number"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 200, body = body::RegionValuesRecorded), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record_region_values(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((round, office)): Path<(String, String)>,
    idempotency: Idempotency,
    ApiJson(req): ApiJson<RegionValues>,
) -> Result<Answer, ApiError> {
    let recorded = app_review::record_region_values(
        &state,
        &me.actor(),
        &round,
        &office,
        &req.values,
        req.version,
        idempotency.claim(),
    )
    .await?;
    reply(recorded, StatusCode::OK, |r| body::RegionValuesRecorded {
        office: office.clone(),
        version: r.version,
        region_values: r.values.clone(),
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReferralRequest {
    /// Input name → why it must be corrected.
    #[schema(value_type = BTreeMap<String, String>, example = json!({"area_m2": "سند اجاره با مساحت اعلام‌شده همخوانی ندارد"}))]
    reasons: Map<String, Json>,
    /// The version you read; when given, a file changed since answers 409.
    #[schema(example = 3)]
    version: Option<i64>,
}

/// Sends a submitted file back to its office, with a reason per field and the correction deadline.
#[utoipa::path(post, path = "/v1/rounds/{round}/files/{office}/referral", tag = "review", request_body = ReferralRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("office" = String, Path, description = "license number"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 201, body = body::ReferralMade), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn refer_file(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((round, office)): Path<(String, String)>,
    idempotency: Idempotency,
    ApiJson(req): ApiJson<ReferralRequest>,
) -> Result<Answer, ApiError> {
    let referred = app_review::refer(
        &state,
        &me.actor(),
        &round,
        &office,
        &req.reasons,
        req.version,
        idempotency.claim(),
    )
    .await?;
    reply(referred, StatusCode::CREATED, |referral| {
        body::ReferralMade {
            deadline: (&review::referral_window(referral)).into(),
            referral: referral.clone().into(),
        }
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Acceptance {
    /// The version you read; a file changed since answers 409.
    #[schema(example = 3)]
    version: i64,
}

/// Accepts a submitted file as it stands, during the review: it counts as reviewed until it changes.
#[utoipa::path(post, path = "/v1/rounds/{round}/files/{office}/acceptance", tag = "review", request_body = Acceptance, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("office" = String, Path, description = "license number"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 200, body = body::FileAccepted), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn accept_file(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((round, office)): Path<(String, String)>,
    idempotency: Idempotency,
    ApiJson(req): ApiJson<Acceptance>,
) -> Result<Answer, ApiError> {
    let accepted = app_review::accept(
        &state,
        &me.actor(),
        &round,
        &office,
        req.version,
        idempotency.claim(),
    )
    .await?;
    reply(accepted, StatusCode::OK, |a| {
        let at = super::body::instant(a.at);
        body::FileAccepted {
            office: office.clone(),
            version: a.version,
            accepted_by: a.by.clone(),
            accepted_at: at,
            accepted_at_jalali: super::body::jalali(at),
        }
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ObjectionsQuery {
    /// Regulators and admins: only this region.
    region: Option<u8>,
}

/// The objections of a region (reviewers) or of every region (regulator).
#[utoipa::path(get, path = "/v1/rounds/{round}/objections", tag = "objections", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ObjectionsQuery),
    responses((status = 200, body = body::ObjectionList), (status = 403, body = ErrorBody)))]
async fn list_objections(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<ObjectionsQuery>,
) -> Result<axum::Json<body::ObjectionList>, ApiError> {
    let (round, objections) = app_review::objections(&state, &me.actor(), &round, q.region).await?;
    Ok(axum::Json(body::ObjectionList {
        round: round.to_string(),
        objections: objections.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ObjectionHandling {
    /// Corrected inputs (any input of the office), applied at finalization if accepted.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, super::body::InputValue>)]
    corrections: Map<String, Json>,
    /// `accepted` or `rejected`; leave out to only record corrections.
    #[schema(example = "accepted")]
    decision: Option<String>,
    /// Required with a decision.
    #[schema(example = "سند اجاره جدید پذیرفته شد")]
    reason: Option<String>,
    /// The objection's version you read.
    #[schema(example = 1)]
    version: i64,
}

/// The region reviews an objection: corrects inputs and decides, with a reason.
#[utoipa::path(put, path = "/v1/rounds/{round}/objections/{office}", tag = "objections", request_body = ObjectionHandling, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("office" = String, Path, description = "license number"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 200, body = body::Objection), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn handle_objection(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((round, office)): Path<(String, String)>,
    idempotency: Idempotency,
    ApiJson(req): ApiJson<ObjectionHandling>,
) -> Result<Answer, ApiError> {
    let handling = Handling {
        corrections: req.corrections,
        decision: req.decision,
        reason: req.reason,
        version: req.version,
    };
    let handled = app_review::handle_objection(
        &state,
        &me.actor(),
        &round,
        &office,
        handling,
        idempotency.claim(),
    )
    .await?;
    reply(handled, StatusCode::OK, |next| {
        body::Objection::from(next.clone())
    })
    .await
}
