//! The portal: server-rendered pages for office holders (and, later, reviewers), over the same
//! application layer as the JSON API. Persian first (`dir="rtl"`), English at `?lang=en`; a
//! session cookie over the API's own sign-in; a CSRF token in every form.

mod account;
mod admin;
mod assets;
mod audit;
mod console;
mod console_export;
mod console_simulation;
mod console_triage;
mod declaration;
mod home;
mod layout;
mod results;
mod review;
mod rules;
mod session;
mod signin;
mod timeline;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::app::App;

/// Why a sign-in was refused, as the sign-in page tells it.
#[derive(Debug)]
pub enum Refusal {
    /// Wrong national code or password; this many attempts remain before the lock.
    Failed { attempts_left: i64 },
    /// Locked (or throttled): try again after this many seconds.
    Locked { retry_after_seconds: i64 },
    /// Something else went wrong (logged by the sign-in).
    Other(String),
}

/// A session opened for the pages.
pub struct Opened {
    pub token: String,
}

/// The one sign-in (throttles, lockout, audit) the HTTP server owns and the pages borrow.
pub trait SignIn: Send + Sync {
    fn sign_in<'a>(
        &'a self,
        ip: IpAddr,
        username: &'a str,
        password: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Opened, Refusal>> + Send + 'a>>;
}

/// What the pages run against: the application, the sign-in, and whether cookies need TLS.
#[derive(Clone)]
pub struct Portal {
    pub app: App,
    pub sign_in: Arc<dyn SignIn>,
    /// Mark cookies `Secure` even on plain requests (a TLS proxy in front: `--cookie-secure`).
    pub cookie_secure: bool,
}

/// The pages and their assets, with their own state (mounted by the HTTP server).
pub fn router<S: Clone + Send + Sync + 'static>(portal: Portal) -> Router<S> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", post(signin::login))
        .route("/logout", post(signin::logout))
        .route("/assets/{file}", get(assets::serve))
        .route("/console", get(console::dashboard_page))
        .route("/console/counts", get(console::counts_partial))
        .route(
            "/console/publish",
            get(console::publish_page).post(console::publish),
        )
        .route("/console/finalize", post(console::finalize))
        .route("/console/verify", get(console::verify_page))
        .route("/console/results", get(console::results_page))
        .route("/console/triage", get(console_triage::page))
        .route("/console/triage.csv", get(console_triage::csv))
        .route("/console/results.csv", get(console_export::results_csv))
        .route("/console/results.xlsx", get(console_export::results_xlsx))
        .route(
            "/console/simulation",
            get(console_simulation::show).post(console_simulation::run),
        )
        .route(
            "/console/simulation/report",
            post(console_simulation::report),
        )
        .route(
            "/declaration",
            get(declaration::show).post(declaration::save),
        )
        .route("/declaration/check", get(declaration::check))
        .route("/declaration/submit", post(declaration::submit))
        .route("/declaration/done", get(declaration::done))
        .route("/declaration/fields/{name}", post(declaration::check_field))
        .route(
            "/account/password",
            get(account::show).post(account::change),
        )
        .route("/rules", get(rules::show))
        .route("/rules/status", get(rules::status))
        .route("/rules/{round}/versions", get(rules::versions))
        .route("/rules/{round}/versions/{hash}", get(rules::source))
        .route(
            "/rules/{round}/versions/{old}/{new}/simulation",
            get(rules::simulation),
        )
        .route("/admin/users", get(admin::users).post(admin::create))
        .route("/admin/users/reset", post(admin::reset))
        .route("/admin/users/unlock", post(admin::unlock))
        .route("/admin/users/disable", post(admin::disable))
        .route("/admin/users/token", post(admin::token))
        .route("/admin/import", get(admin::import_form).post(admin::import))
        .route("/audit", get(audit::show))
        .route("/file", get(timeline::file))
        .route("/results", get(results::results))
        .route("/round/{round}/file", get(timeline::round_file))
        .route("/round/{round}/results", get(results::round_results))
        .route(
            "/objection",
            get(results::objection_form).post(results::file_objection),
        )
        .route("/objection/filed", get(results::objection_filed))
        .route("/review", get(review::queue_page))
        .route("/review/objections", get(review::objections_page))
        .route("/review/{round}/{office}", get(review::file_page))
        .route(
            "/review/{round}/{office}/region-values",
            post(review::record_region_values),
        )
        .route("/review/{round}/{office}/referral", post(review::refer))
        .route("/review/{round}/{office}/acceptance", post(review::accept))
        .route(
            "/review/{round}/{office}/objection",
            post(review::decide_objection),
        )
        .with_state(portal)
}
