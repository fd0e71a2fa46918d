//! Regional review: reviewers see their region's files, record the region's inputs and inspection
//! findings, refer files back for correction, and handle objections.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::review as body;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path, Query};
use super::idempotency::{Answer, Idempotency, Write};
use super::offices::visible_office;
use super::rounds::live_round;
use crate::domain::{Label, RegionId, Role};
use crate::rules::RuleSet;
use crate::store::declarations::{DeclarationRow, save_declaration};
use crate::store::objections::update_objection;
use crate::store::review::{close_referral, insert_referral};
use crate::store::{StoreError, audit};
use crate::workflow::review;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files))
        .routes(routes!(get_file))
        .routes(routes!(record_region_values))
        .routes(routes!(refer_file))
        .routes(routes!(list_objections))
        .routes(routes!(handle_objection))
        .route_layer(axum::middleware::from_fn(super::idempotency::middleware))
}

/// Closes referrals whose deadline passed: each file stands as it was when referred. Any request
/// may run this, many at once: each referral is expired once, and the others find it done.
pub async fn expire_due_referrals(
    state: &AppState,
    round: &str,
    now: jiff::Timestamp,
) -> Result<(), ApiError> {
    let now_ms = now.as_millisecond();
    for r in state
        .store
        .open_referrals(round)
        .await?
        .into_iter()
        .filter(|r| r.deadline_at <= now_ms)
    {
        expire_referral(state, &r, now_ms).await?;
    }
    Ok(())
}

/// Expires one due referral, unless another request got there first: that one's write makes this
/// one's declaration write conflict (then it reads the file again) or finds the referral closed
/// (then it writes nothing).
async fn expire_referral(
    state: &AppState,
    r: &crate::store::review::Referral,
    now_ms: i64,
) -> Result<(), ApiError> {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        let Some(d) = state.store.declaration(&r.round, &r.office_id).await? else {
            return Ok(());
        };
        let row = review::expire(&d, r);
        let mut tx = state.store.pool.begin().await.map_err(StoreError::from)?;
        match save_declaration(&mut tx, &row, Some(d.version), now_ms).await {
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => continue,
            written => written?,
        };
        if !close_referral(&mut tx, r.id, "expired", now_ms).await? {
            return Ok(());
        }
        let subject = format!("declaration:{}:{}", r.round, r.office_id);
        let before = serde_json::to_value(&d).expect("rows serialize");
        let after = serde_json::to_value(&row).expect("rows serialize");
        audit::record(
            &mut tx,
            now_ms,
            "system",
            "referral_expired",
            &subject,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(());
    }
    Ok(())
}

/// The region whose files the user may list: a reviewer's own; regulators and admins any (or all).
fn region_scope(me: &CurrentUser, asked: Option<u8>) -> Result<Option<u8>, ApiError> {
    match me.user.role {
        Role::Reviewer => {
            let own = me.user.region.ok_or_else(|| {
                ApiError::forbidden("حساب شما منطقه ندارد", "your account has no region")
            })?;
            if asked.is_some_and(|r| r != own) {
                return Err(ApiError::forbidden(
                    "شما فقط پرونده‌های منطقه خود را می‌بینید",
                    "reviewers see only their own region's files",
                ));
            }
            Ok(Some(own))
        }
        Role::Regulator | Role::Admin => Ok(asked),
        _ => Err(ApiError::forbidden(
            "این فهرست برای کارشناسان منطقه و سازمان است",
            "this list is for regional reviewers and the regulator",
        )),
    }
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
    let rs = live_round(&state, &round)?;
    let region = region_scope(&me, q.region)?;
    let region = region
        .map(|r| RegionId::new(r as i64))
        .transpose()
        .map_err(|e| {
            ApiError::BadRequest(
                "invalid_query",
                Label::new("منطقه از ۱ تا ۹ است", e.to_string()),
            )
        })?;
    expire_due_referrals(&state, &rs.round.to_string(), state.clock.now()).await?;
    let offices = state.store.offices(region).await?;
    let declarations: std::collections::HashMap<String, DeclarationRow> = state
        .store
        .declarations(&rs.round.to_string())
        .await?
        .into_iter()
        .map(|d| (d.office_id.clone(), d))
        .collect();
    let rows: Vec<body::FileListItem> = offices
        .iter()
        .map(|o| {
            let d = declarations.get(o.id.as_str());
            let submitted_at = d.and_then(|d| d.submitted_at).map(super::body::instant);
            body::FileListItem {
                office: o.id.to_string(),
                name: o.name.clone(),
                kind: o.kind,
                region: o.region,
                province: o.province.clone(),
                status: d.map_or("not_started", |d| d.status.as_str()),
                version: d.map_or(0, |d| d.version),
                submitted_at,
                submitted_at_jalali: submitted_at.map(super::body::jalali),
            }
        })
        .filter(|r| q.status.as_deref().is_none_or(|s| r.status == s))
        .collect();
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let total = rows.len();
    let files = rows
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    Ok(axum::Json(body::FileList {
        round: rs.round.to_string(),
        total,
        page,
        per_page,
        files,
    }))
}

async fn file_of(
    state: &AppState,
    me: &CurrentUser,
    rs: &RuleSet,
    office: &str,
) -> Result<(crate::store::offices::OfficeRow, Option<DeclarationRow>), ApiError> {
    let o = visible_office(state, me, office).await?;
    let d = state
        .store
        .declaration(&rs.round.to_string(), office)
        .await?;
    Ok((o, d))
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
    let rs = live_round(&state, &round)?;
    expire_due_referrals(&state, &rs.round.to_string(), state.clock.now()).await?;
    let (o, d) = file_of(&state, &me, &rs, &office).await?;
    let referrals = state
        .store
        .referrals(&rs.round.to_string(), &office)
        .await?;
    let objection = state
        .store
        .objection(&rs.round.to_string(), &office)
        .await?;
    Ok(axum::Json(body::File {
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
    me.require(&[Role::Reviewer])?;
    let rs = live_round(&state, &round)?;
    let now = state.clock.now();
    expire_due_referrals(&state, &rs.round.to_string(), now).await?;
    let (_, d) = file_of(&state, &me, &rs, &office).await?;
    let d = d.ok_or_else(|| {
        ApiError::State(Label::new(
            "این دفتر خوداظهاری نکرده است",
            "this office has not filed a declaration",
        ))
    })?;
    if d.version != req.version {
        return Err(ApiError::Conflict(Label::new(
            "پرونده پس از خواندن شما تغییر کرده است؛ دوباره بارگیری کنید",
            format!(
                "the file changed since you read version {} (now {}); reload it and try again",
                req.version, d.version
            ),
        )));
    }
    let row = review::record_region_values(&rs, &d, &req.values, now)?;
    let ms = now.as_millisecond();
    let mut tx = Write::begin(&state, idempotency).await?;
    let version = save_declaration(&mut tx, &row, Some(d.version), ms).await?;
    let subject = format!("declaration:{round}:{office}");
    audit::record(
        &mut tx,
        ms,
        &me.actor(),
        "region_values_recorded",
        &subject,
        Some(&json!(d.region_values)),
        Some(&json!(row.region_values)),
    )
    .await?;
    tx.commit(
        StatusCode::OK,
        &body::RegionValuesRecorded {
            office,
            version,
            region_values: row.region_values,
        },
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReferralRequest {
    /// Input name → why it must be corrected.
    #[schema(value_type = BTreeMap<String, String>)]
    reasons: Map<String, Json>,
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
    me.require(&[Role::Reviewer])?;
    let rs = live_round(&state, &round)?;
    let now = state.clock.now();
    expire_due_referrals(&state, &rs.round.to_string(), now).await?;
    let (_, d) = file_of(&state, &me, &rs, &office).await?;
    let d = d.ok_or_else(|| {
        ApiError::State(Label::new(
            "این دفتر خوداظهاری نکرده است",
            "this office has not filed a declaration",
        ))
    })?;
    let earlier = state
        .store
        .referrals(&rs.round.to_string(), &office)
        .await?;
    let (row, mut referral) = review::refer(&rs, &d, &earlier, &req.reasons, &me.actor(), now)?;
    let ms = now.as_millisecond();
    let mut tx = Write::begin(&state, idempotency).await?;
    save_declaration(&mut tx, &row, Some(d.version), ms).await?;
    referral.id = insert_referral(&mut tx, &referral).await?;
    let subject = format!("declaration:{round}:{office}");
    audit::record(
        &mut tx,
        ms,
        &me.actor(),
        "referred",
        &subject,
        Some(&json!({"status": d.status})),
        Some(&json!(referral)),
    )
    .await?;
    let deadline = (&review::referral_window(&referral)).into();
    tx.commit(
        StatusCode::CREATED,
        &body::ReferralMade {
            referral: referral.into(),
            deadline,
        },
    )
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
    let rs = live_round(&state, &round)?;
    let region = region_scope(&me, q.region)?;
    let objections = state
        .store
        .objections(&rs.round.to_string(), region)
        .await?;
    Ok(axum::Json(body::ObjectionList {
        round: rs.round.to_string(),
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
    decision: Option<String>,
    /// Required with a decision.
    reason: Option<String>,
    /// The objection's version you read.
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
    me.require(&[Role::Reviewer])?;
    let rs = live_round(&state, &round)?;
    visible_office(&state, &me, &office).await?;
    let objection = state
        .store
        .objection(&rs.round.to_string(), &office)
        .await?
        .ok_or_else(|| ApiError::not_found("اعتراض", "the objection"))?;
    if state
        .store
        .publications(&rs.round.to_string())
        .await?
        .iter()
        .any(|p| p.stage == "final")
    {
        return Err(ApiError::State(Label::new(
            "رتبه نهایی اعلام شده است",
            "the final ranks are published; objections are closed",
        )));
    }
    if objection.status != "pending" {
        return Err(ApiError::State(Label::new(
            "درباره این اعتراض قبلاً تصمیم گرفته شده است",
            format!("this objection was already {}", objection.status),
        )));
    }
    if objection.version != req.version {
        return Err(ApiError::Conflict(Label::new(
            "اعتراض پس از خواندن شما تغییر کرده است",
            format!(
                "the objection changed since you read version {} (now {}); reload it and try again",
                req.version, objection.version
            ),
        )));
    }
    review::check_reviewer_values(&rs, &req.corrections, true)?;
    let mut next = objection.clone();
    for (k, v) in &req.corrections {
        if v.is_null() {
            next.corrections.remove(k);
        } else {
            next.corrections.insert(k.clone(), v.clone());
        }
    }
    let now = state.clock.now().as_millisecond();
    if let Some(decision) = &req.decision {
        if decision != "accepted" && decision != "rejected" {
            return Err(ApiError::Fields(vec![
                crate::rules::value::FieldError::new(
                    "decision",
                    "تصمیم باید accepted یا rejected باشد",
                    "the decision is `accepted` or `rejected`",
                ),
            ]));
        }
        let reason = req
            .reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| {
                ApiError::Fields(vec![crate::rules::value::FieldError::new(
                    "reason",
                    "دلیل تصمیم را بنویسید",
                    "a decision needs a reason",
                )])
            })?;
        next.status = decision.clone();
        next.decision_reason = Some(reason);
        next.decided_by = Some(me.actor());
        next.decided_at = Some(now);
    }
    let mut tx = Write::begin(&state, idempotency).await?;
    update_objection(&mut tx, &next, objection.version).await?;
    let action = if req.decision.is_some() {
        "objection_decided"
    } else {
        "objection_corrected"
    };
    audit::record(
        &mut tx,
        now,
        &me.actor(),
        action,
        &format!("objection:{round}:{office}"),
        Some(&json!(objection)),
        Some(&json!(next)),
    )
    .await?;
    next.version = objection.version + 1;
    tx.commit(StatusCode::OK, &body::Objection::from(next))
        .await
}
