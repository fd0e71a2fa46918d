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
use super::idempotency::{Answer, Idempotency, reply};
use crate::app::declarations::{self, MyFile};
use crate::domain::records::DeclarationRow;
use crate::domain::{Label, OfficeId};
use crate::rules::RuleSet;
use crate::rules::model::Supplier;
use crate::workflow::{Phase, Window, review};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_mine, save_mine))
        .routes(routes!(submit_mine))
        .route_layer(axum::middleware::from_fn(super::idempotency::middleware))
}

fn file_view(f: &MyFile) -> body::Declaration {
    view(&f.rs, &f.office, f.declaration.as_ref(), &f.previous, f.now)
}

fn view(
    rs: &RuleSet,
    office: &OfficeId,
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
    let file = declarations::mine(&state, &me.actor(), &round).await?;
    let mut doc = file_view(&file);
    if let Some(r) = &file.referral {
        doc.referral = Some(body::ReferralNotice {
            deadline: (&review::referral_window(r)).into(),
            reasons: r.reasons.clone(),
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
    #[schema(example = 2)]
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
    let saved = declarations::save(
        &state,
        &me.actor(),
        &round,
        &req.values,
        req.version,
        idempotency.claim(),
    )
    .await?;
    reply(saved, StatusCode::OK, file_view).await
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
    let submitted = declarations::submit(&state, &me.actor(), &round, idempotency.claim()).await?;
    reply(submitted, StatusCode::OK, file_view).await
}
