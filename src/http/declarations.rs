//! An office's self-declaration: read it (with last round's values as the starting point), save
//! drafts, and submit inside the self-declaration window.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::declarations as body;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use super::idempotency::{Answer, Idempotency, Write};
use super::rounds::live_round;
use crate::domain::{Label, Role};
use crate::rules::RuleSet;
use crate::rules::model::Supplier;
use crate::store::audit;
use crate::store::declarations::{DeclarationRow, save_declaration};
use crate::workflow::{Phase, Window, declaration, review};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_mine, save_mine))
        .routes(routes!(submit_mine))
        .route_layer(axum::middleware::from_fn(super::idempotency::middleware))
}

fn office_of(me: &CurrentUser) -> Result<String, ApiError> {
    me.require(&[Role::Office])?;
    me.user.office_id.clone().ok_or_else(|| {
        ApiError::forbidden(
            "این حساب به دفتری متصل نیست",
            "this account is not linked to an office",
        )
    })
}

/// What every request of an office about its own file starts from.
struct MyFile {
    office: String,
    rs: std::sync::Arc<RuleSet>,
    now: jiff::Timestamp,
    /// The office's declaration of the round, once referrals past their deadline are closed.
    declaration: Option<DeclarationRow>,
}

async fn my_file(state: &AppState, me: &CurrentUser, round: &str) -> Result<MyFile, ApiError> {
    let office = office_of(me)?;
    let rs = live_round(state, round)?;
    let now = state.clock.now();
    super::review::expire_due_referrals(state, &rs.round.to_string(), now).await?;
    let declaration = state
        .store
        .declaration(&rs.round.to_string(), &office)
        .await?;
    Ok(MyFile {
        office,
        rs,
        now,
        declaration,
    })
}

/// Last round's values of an office (office- and region-supplied), offered as the starting point.
async fn previous_values(
    state: &AppState,
    rs: &RuleSet,
    office: &str,
) -> Result<Map<String, Json>, ApiError> {
    let prev = state
        .store
        .declaration(&rs.round.previous().to_string(), office)
        .await?;
    Ok(prev.map(DeclarationRow::all_values).unwrap_or_default())
}

fn view(
    rs: &RuleSet,
    office: &str,
    d: Option<&DeclarationRow>,
    previous: &Map<String, Json>,
    now: jiff::Timestamp,
) -> body::Declaration {
    let w = Window::of(rs, Phase::SelfDeclaration);
    let inputs = rs
        .inputs
        .iter()
        .filter(|i| i.supplied_by == Supplier::Office)
        .map(|i| body::DeclarationInput {
            name: i.name.clone(),
            label: i.label.clone(),
            kind: i.kind.name(),
            unit: i.unit.clone(),
        })
        .collect();
    let office_previous: Map<String, Json> = previous
        .iter()
        .filter(|(k, _)| {
            rs.inputs
                .iter()
                .any(|i| i.name == **k && i.supplied_by == Supplier::Office)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let submitted_at = d.and_then(|d| d.submitted_at).map(super::body::instant);
    body::Declaration {
        round: rs.round.to_string(),
        office: office.to_string(),
        status: d.map(|d| d.status.as_str()).unwrap_or("not_started"),
        version: d.map(|d| d.version).unwrap_or(0),
        values: d.map(|d| d.office_values.clone()).unwrap_or_default(),
        carried_over: d.map(|d| d.carried_over.clone()).unwrap_or_default(),
        submitted_at,
        submitted_at_jalali: submitted_at.map(super::body::jalali),
        previous_round: body::PreviousRound {
            round: rs.round.previous().to_string(),
            values: office_previous,
            note: Label::new(
                "مقادیری که تا پایان مهلت تغییر ندهید، همان مقادیر دوره قبل و تأییدشده تلقی می‌شوند",
                "values you leave unchanged by the deadline are taken from the previous round and count as confirmed",
            ),
        },
        window: body::DeclarationWindow {
            window: w.body(),
            open_now: w.is_open(now),
        },
        inputs,
        referral: None,
    }
}

/// The office's own declaration for a round, with last round's values as the starting point.
#[utoipa::path(get, path = "/v1/rounds/{round}/declaration", tag = "declarations", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = body::Declaration), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn get_mine(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
) -> Result<axum::Json<body::Declaration>, ApiError> {
    let MyFile {
        office,
        rs,
        now,
        declaration: d,
    } = my_file(&state, &me, &round).await?;
    let previous = previous_values(&state, &rs, &office).await?;
    let mut doc = view(&rs, &office, d.as_ref(), &previous, now);
    if let Some(r) = open_referral(&state, &rs, &office, d.as_ref()).await? {
        doc.referral = Some(body::ReferralNotice {
            deadline: (&review::referral_window(&r)).into(),
            reasons: r.reasons,
        });
    }
    Ok(axum::Json(doc))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SaveRequest {
    /// Input name → value; `null` clears a value.
    #[schema(value_type = BTreeMap<String, super::body::InputValue>)]
    values: Map<String, Json>,
    /// The version you read (from GET); a concurrent change gives 409 instead of being overwritten.
    version: Option<i64>,
}

/// Saves a draft inside the self-declaration window; every bad field gets its own message.
#[utoipa::path(put, path = "/v1/rounds/{round}/declaration", tag = "declarations", request_body = SaveRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 200, body = body::Declaration), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn save_mine(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    idempotency: Idempotency,
    ApiJson(req): ApiJson<SaveRequest>,
) -> Result<Answer, ApiError> {
    let MyFile {
        office,
        rs,
        now,
        declaration: existing,
    } = my_file(&state, &me, &round).await?;
    if let (Some(v), Some(d)) = (req.version, &existing)
        && v != d.version
    {
        return Err(stale(v, d.version));
    }
    let (action, row) = match open_referral(&state, &rs, &office, existing.as_ref())
        .await?
        .zip(existing.as_ref())
    {
        Some((r, d)) => {
            let row = review::correct(&rs, d, &r, &req.values, now)?;
            ("declaration_corrected", row)
        }
        None => {
            let row = declaration::save_draft(&rs, &office, existing.as_ref(), &req.values, now)?;
            ("declaration_saved", row)
        }
    };
    let previous = previous_values(&state, &rs, &office).await?;
    let mut tx = Write::begin(&state, idempotency).await?;
    let d = persist(&mut tx, &me, action, existing.as_ref(), row, now, None).await?;
    tx.commit(
        StatusCode::OK,
        &view(&rs, &office, Some(&d), &previous, now),
    )
    .await
}

/// The open referral of a referred file.
async fn open_referral(
    state: &AppState,
    rs: &RuleSet,
    office: &str,
    d: Option<&DeclarationRow>,
) -> Result<Option<crate::store::review::Referral>, ApiError> {
    if d.is_none_or(|d| d.status != crate::store::declarations::DeclarationStatus::Referred) {
        return Ok(None);
    }
    Ok(state
        .store
        .referrals(&rs.round.to_string(), office)
        .await?
        .into_iter()
        .find(|r| r.status == "open"))
}

fn stale(sent: i64, current: i64) -> ApiError {
    ApiError::Conflict(crate::domain::Label::new(
        "پرونده پس از خواندن شما تغییر کرده است؛ دوباره بارگیری کنید",
        format!(
            "the declaration changed since you read version {sent} (now {current}); reload it and try again"
        ),
    ))
}

/// Writes the row and its audit record in the write's transaction (closing the referral it
/// resolves), and gives back the row as stored.
async fn persist(
    tx: &mut Write,
    me: &CurrentUser,
    action: &str,
    before: Option<&DeclarationRow>,
    mut row: DeclarationRow,
    now: jiff::Timestamp,
    resolves_referral: Option<i64>,
) -> Result<DeclarationRow, ApiError> {
    let now = now.as_millisecond();
    let version = save_declaration(tx, &row, before.map(|b| b.version), now).await?;
    if let Some(id) = resolves_referral {
        crate::store::review::close_referral(tx, id, "resubmitted", now).await?;
    }
    let subject = format!("declaration:{}:{}", row.round, row.office_id);
    let before = before.map(|b| serde_json::to_value(b).expect("rows serialize"));
    let after = serde_json::to_value(&row).expect("rows serialize");
    audit::record(
        tx,
        now,
        &me.actor(),
        action,
        &subject,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    row.version = version;
    row.updated_at = now;
    Ok(row)
}

/// Files the declaration. Office inputs left empty take last round's value (counted as confirmed);
/// required ones without any value are listed.
#[utoipa::path(post, path = "/v1/rounds/{round}/declaration/submit", tag = "declarations", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), ("Idempotency-Key" = Option<String>, Header, description = "retry-safe: the same key again replays this answer")),
    responses((status = 200, body = body::Declaration), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit_mine(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    idempotency: Idempotency,
) -> Result<Answer, ApiError> {
    let MyFile {
        office,
        rs,
        now,
        declaration: existing,
    } = my_file(&state, &me, &round).await?;
    let previous = previous_values(&state, &rs, &office).await?;
    let (action, row, resolves) = match open_referral(&state, &rs, &office, existing.as_ref())
        .await?
        .zip(existing.as_ref())
    {
        Some((r, d)) => (
            "declaration_resubmitted",
            review::resubmit(d, &r, now)?,
            Some(r.id),
        ),
        None => {
            let row = declaration::submit(&rs, &office, existing.as_ref(), &previous, now)?;
            ("declaration_submitted", row, None)
        }
    };
    let mut tx = Write::begin(&state, idempotency).await?;
    let d = persist(&mut tx, &me, action, existing.as_ref(), row, now, resolves).await?;
    tx.commit(
        StatusCode::OK,
        &view(&rs, &office, Some(&d), &previous, now),
    )
    .await
}
