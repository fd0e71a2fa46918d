//! The HTTP API (axum): shared state, one router per resource merged here, and the server.

mod auth;
mod body;
mod declarations;
pub mod error;
mod extract;
mod health;
mod idempotency;
mod offices;
mod results;
mod review;
mod rounds;
mod rules;
mod server;
mod simulate;
mod throttle;
mod triage;
mod users;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::app::App;
pub use crate::app::simulation::SimulationLimits;
pub use crate::config::ServerLimits;
use crate::rules::budget::Stop;
use error::ApiError;

/// The largest request body accepted (an office import of ~20,000 rows fits).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

pub use crate::app::PublicationHook;

/// Everything a handler needs, cloned cheaply into each request: the application its commands run
/// against (which it dereferences to: `state.rules`, `state.clock` …), and what only the HTTP
/// server keeps.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub started_at: jiff::Timestamp,
    /// Sign-in limits: per username, per address, and on hashing at once.
    logins: Arc<throttle::LoginThrottle>,
    /// Whether the pages' cookies are `Secure` on every request (TLS ends at a proxy).
    cookie_secure: bool,
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// The state of a server starting now, over `app`.
    pub fn new(app: App) -> Self {
        AppState {
            started_at: app.clock.now(),
            app,
            logins: Arc::new(throttle::LoginThrottle::new(
                &crate::config::LoginLimits::default(),
            )),
            cookie_secure: false,
        }
    }

    /// The same state with the pages' cookies marked `Secure` on every request.
    pub fn with_cookie_secure(mut self, secure: bool) -> Self {
        self.cookie_secure = secure;
        self
    }

    /// The same state with other sign-in limits (the defaults: [`crate::config::LoginLimits`]).
    pub fn with_login_limits(mut self, limits: &crate::config::LoginLimits) -> Self {
        self.logins = Arc::new(throttle::LoginThrottle::new(limits));
        self
    }

    /// The same state with other limits on simulations.
    pub fn with_simulation_limits(mut self, limits: SimulationLimits) -> Self {
        self.app = self.app.with_simulation_limits(limits);
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
        .merge(triage::router())
        .merge(results::router())
        .merge(simulate::router())
        .merge(rules::router())
        .split_for_parts()
}

/// The whole application: routes, the OpenAPI document at `/openapi.json`, limits and logging.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// The application with `extra` routes merged in, under the same fallbacks and layers (a test adds
/// a route that panics, to see the answer every route would give).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    let (router, doc) = routes();
    let doc = Arc::new(doc);
    router
        .merge(extra)
        .merge(crate::web::router(auth::portal(&state)))
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
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        // For route middleware that needs the state (idempotent writes).
        .layer(axum::Extension(state.clone()))
        .with_state(state)
}

/// A handler that panicked: logged with its message, answered with the JSON 500, and the
/// connection stays up.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::Internal(format!("a request handler panicked: {message}")).into_response()
}

/// Serves with the default [`ServerLimits`] until `shutdown` completes; requests already accepted
/// finish first, and evaluations still running are stopped so that they finish at once (with
/// `503 shutting_down`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shutdown = stopping_evaluations(&state, shutdown);
    serve_with(listener, app(state), ServerLimits::default(), shutdown).await
}

/// `shutdown`, followed by stopping every evaluation the server is running, so that no script
/// holds a graceful shutdown up.
pub fn stopping_evaluations(
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Future<Output = ()> + Send + 'static {
    let evaluations = state.evaluations.clone();
    async move {
        shutdown.await;
        evaluations.stop(Stop::ShuttingDown);
    }
}

/// Serves `app` under `limits` (connection cap, header and body timeouts) until `shutdown`
/// completes; requests already accepted finish first.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    server::serve(listener, app, limits, shutdown).await
}
