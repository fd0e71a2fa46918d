//! `POST /v1/rounds/{round}/simulate`: the simulation use case ([`crate::app::simulation`]) over
//! JSON. Never changes live rules or official results; every run is audited.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::simulate::Simulated;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use crate::app::simulation::{self, Bundle, Candidate};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run_simulation))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SimulationRequest {
    /// Overrides of the live rules, e.g. `["weight:area=2", "cap:overcharging=-30", "cut:grade_1=55"]`.
    #[serde(default)]
    #[schema(example = json!(["weight:area=2", "cut:grade_1=55"]))]
    set: Vec<String>,
    /// An uploaded candidate bundle: every file of the round (path → text), as in `rules/<round>/`.
    #[serde(default)]
    #[schema(example = json!({"criteria.yaml": "criteria:\n  - id: area\n"}))]
    files: BTreeMap<String, String>,
    /// Vary one setting over a range, e.g. `weight:area=0:3:0.25`.
    #[schema(example = "weight:area=0:3:0.5")]
    sweep: Option<String>,
    /// How many of the offices that moved most to explain (default 20).
    #[schema(example = 20)]
    top: Option<usize>,
    /// Include every office's old and new result (large for big populations).
    #[serde(default)]
    #[schema(example = false)]
    include_offices: bool,
}

/// Runs a candidate (overrides of the live rules, or an uploaded bundle) against the live rule set
/// over the round's stored declarations.
#[utoipa::path(post, path = "/v1/rounds/{round}/simulate", tag = "simulation", request_body = SimulationRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = Simulated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "invalid candidate, or its scripts were stopped (`evaluation_limit`, `evaluation_timeout`)"),
        (status = 503, body = ErrorBody, description = "`too_many_simulations` (with Retry-After) or `shutting_down`")))]
async fn run_simulation(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    ApiJson(req): ApiJson<SimulationRequest>,
) -> Result<axum::Json<Simulated>, ApiError> {
    let candidate = Candidate {
        set: req.set,
        bundle: if req.files.is_empty() {
            Bundle::Live
        } else {
            Bundle::Whole(req.files)
        },
        sweep: req.sweep,
        top: req.top.unwrap_or(20),
        include_offices: req.include_offices,
    };
    let outcome = simulation::run(&state, &me.actor(), &round, candidate).await?;
    Ok(axum::Json(Simulated {
        simulation: outcome.simulation,
        sweep: outcome.sweep,
    }))
}
