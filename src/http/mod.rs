//! The HTTP API (axum): shared state, one router per resource merged here, and the server.

mod auth;
mod declarations;
pub mod error;
mod extract;
mod health;
mod offices;
mod population;
mod results;
mod review;
mod rounds;
mod rules;
mod simulate;
mod users;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::clock::Clock;
use crate::rules::budget::{Budget, Limits, Stop};
use crate::rules::registry::Registry;
use crate::store::Store;
use error::ApiError;
pub use simulate::SimulationLimits;

/// The largest request body accepted (an office import of ~20,000 rows fits).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Everything a handler needs, cloned cheaply into each request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub rules: Arc<Registry>,
    pub clock: Arc<dyn Clock>,
    pub started_at: jiff::Timestamp,
    /// Rounds' populations kept ranked between simulations.
    populations: Arc<population::PopulationCache>,
    /// The parent of every budget the server's evaluations run under: stopped at shutdown, so
    /// no evaluation holds the server up.
    pub evaluations: Arc<Budget>,
    /// Slots for simulations, and what their candidates' scripts may spend.
    simulations: Arc<simulate::Simulations>,
}

impl AppState {
    /// The state of a server starting now.
    pub fn new(store: Store, rules: Arc<Registry>, clock: Arc<dyn Clock>) -> Self {
        AppState {
            store,
            rules,
            started_at: clock.now(),
            clock,
            populations: Arc::default(),
            evaluations: Budget::new(Limits::default()),
            simulations: Arc::new(simulate::Simulations::new(SimulationLimits::default())),
        }
    }

    /// The same state with other limits on simulations.
    pub fn with_simulation_limits(mut self, limits: SimulationLimits) -> Self {
        self.simulations = Arc::new(simulate::Simulations::new(limits));
        self
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "arzyab",
        description = "Evaluation and ranking of Pishkhan and rural ICT offices (ارزیابی و رتبه‌بندی دفاتر پیشخوان و ICT روستایی). Every error has the shape of ErrorBody.",
        version = env!("CARGO_PKG_VERSION")
    ),
    components(schemas(error::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and their OpenAPI document, built together so they cannot drift apart.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(users::router())
        .merge(offices::router())
        .merge(rounds::router())
        .merge(declarations::router())
        .merge(review::router())
        .merge(results::router())
        .merge(simulate::router())
        .merge(rules::router())
        .split_for_parts()
}

/// The whole application: routes, the OpenAPI document at `/openapi.json`, limits and logging.
pub fn app(state: AppState) -> Router {
    let (router, doc) = routes();
    let doc = Arc::new(doc);
    router
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::not_found("این نشانی", "this path") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` completes; requests already accepted finish first, and evaluations
/// still running are stopped so that they finish at once (with `503 shutting_down`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let evaluations = state.evaluations.clone();
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        evaluations.stop(Stop::ShuttingDown);
    })
    .await
}
