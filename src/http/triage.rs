//! Review triage: a region's counts per flag, and after the round how well each flag predicted a
//! correction (JSON and CSV). Each file's flags come with the file list and the file
//! (`review.rs`); the ordering is `app::triage`'s.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::triage as body;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Path, Query};
use crate::app::triage as app;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(summary))
        .routes(routes!(outcomes))
        .routes(routes!(outcomes_csv))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct RegionQuery {
    /// Regulators and admins: only this region (reviewers always see their own).
    region: Option<u8>,
}

/// How many of a region's files raise each review flag (reviewers: their region; the regulator:
/// every region, or one).
#[utoipa::path(get, path = "/v1/rounds/{round}/triage/summary", tag = "review", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), RegionQuery),
    responses((status = 200, body = body::TriageSummary), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<RegionQuery>,
) -> Result<axum::Json<body::TriageSummary>, ApiError> {
    let s = app::summary(&state, &me.actor(), &round, q.region).await?;
    Ok(axum::Json(s.into()))
}

/// After the round: per flag, how many flagged and unflagged submitted files the review changed
/// (how well each flag predicted a correction, to tune next round's flags).
#[utoipa::path(get, path = "/v1/rounds/{round}/triage/outcomes", tag = "review", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), RegionQuery),
    responses((status = 200, body = body::TriageOutcomes), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn outcomes(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<RegionQuery>,
) -> Result<axum::Json<body::TriageOutcomes>, ApiError> {
    let o = app::outcomes(&state, &me.actor(), &round, q.region).await?;
    Ok(axum::Json(o.into()))
}

/// The same outcomes as CSV, one row per flag.
#[utoipa::path(get, path = "/v1/rounds/{round}/triage/outcomes.csv", tag = "review", security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2"), RegionQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn outcomes_csv(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    Query(q): Query<RegionQuery>,
) -> Result<axum::response::Response, ApiError> {
    let o = app::outcomes(&state, &me.actor(), &round, q.region).await?;
    let csv = app::outcomes_csv(&o)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"triage-outcomes-{round}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
