//! `GET /health`: readiness, the clock, and the live rule sets' hashes — with this replica's id,
//! so an operator running several replicas on PostgreSQL can see that all serve the same rules —
//! and how many simulations are computing.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// `ok` when the server and its database answer.
    #[schema(example = "ok")]
    status: &'static str,
    /// `ok` when the database answered.
    #[schema(example = "ok")]
    database: &'static str,
    /// The database backend.
    backend: crate::app::health::Backend,
    /// The server's clock (simulated with `serve --now`).
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    now: jiff::Timestamp,
    /// True when the server runs on a simulated clock (`serve --now`): not the real time.
    #[schema(example = false)]
    simulated_clock: bool,
    /// Present when the clock is simulated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        example = "SIMULATED CLOCK: deadlines are checked against a rehearsal time, not the real time"
    )]
    warning: Option<&'static str>,
    /// When this server started.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    started_at: jiff::Timestamp,
    /// The version of arzyab serving.
    #[schema(example = "0.1.0")]
    version: &'static str,
    /// This server among several replicas (`host:pid`).
    #[schema(example = "vm:25851")]
    replica: &'static str,
    /// Every live round's rules.
    rules: Vec<RuleHash>,
    /// Simulations running now, and how many may run at once.
    simulations: Simulations,
}

/// Simulations computing now, and how many may at once.
#[derive(Serialize, utoipa::ToSchema)]
struct Simulations {
    /// Simulations running now.
    #[schema(example = 0)]
    running: usize,
    /// How many may run at once.
    #[schema(example = 2)]
    limit: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RuleHash {
    /// The round.
    #[schema(example = "1400-2")]
    round: String,
    /// The live rules' version.
    #[schema(example = "1400-2.1")]
    version: String,
    /// The content hash of the live rules.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    hash: String,
}

/// Readiness: 200 when the database answers, 503 otherwise.
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let db = crate::app::health::database(&state).await;
    let db_ok = db.reachable;
    let simulated = state.clock.simulated();
    let body = Health {
        status: if db_ok { "ok" } else { "unavailable" },
        database: if db_ok { "ok" } else { "unreachable" },
        backend: db.backend,
        now: state.clock.now(),
        simulated_clock: simulated,
        warning: simulated.then_some(
            "SIMULATED CLOCK: deadlines are checked against a rehearsal time, not the real time",
        ),
        started_at: state.started_at,
        version: env!("CARGO_PKG_VERSION"),
        replica: crate::live::replica_id(),
        rules: state
            .rules
            .rounds()
            .values()
            .map(|rs| RuleHash {
                round: rs.round.to_string(),
                version: rs.version.clone(),
                hash: rs.hash().to_string(),
            })
            .collect(),
        simulations: Simulations {
            running: state.simulations.running(),
            limit: state.simulations.limit(),
        },
    };
    (
        if db_ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        axum::Json(body),
    )
}
