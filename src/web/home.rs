//! The signed-in person's home page: the round, its phase now and the deadline that applies.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::Portal;
use super::layout::{LangQuery, Layout, Visitor, app_error, remember_lang, render};
use super::session::{self, Lang};
use super::signin::login_form;
use crate::app::home::{self, RoundHome};
use crate::domain::Role;
use crate::workflow::Phase;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    username: String,
    role_label: String,
    round: Option<RoundView>,
    /// The account still signs in with its national code: the page asks to change it.
    first_password: bool,
    /// The regulator's console is open to this role (the page links to it).
    console: bool,
    /// An office holder: the page links to the declaration with what to do next.
    is_office: bool,
    next_step: String,
    /// An office holder: the page links to the file's timeline, the result and the objection.
    office: bool,
    /// A regulator or admin: the page links to the rules and the audit log.
    policy: bool,
    /// An admin: the page links to the accounts and the registry import too.
    admin: bool,
    /// A reviewer's region ("Region 3"): the page links to the queue and the objections.
    reviewer_region: Option<String>,
}

/// A round as the home page writes it, in the page's language.
struct RoundView {
    title: String,
    round: String,
    phase: String,
    deadline: Option<DeadlineView>,
    /// Results are published: link to them.
    published: bool,
    /// The objection window is open: link to the form.
    objection_open: bool,
}

struct DeadlineView {
    what: String,
    last_day: String,
    days_left: String,
    last_day_today: bool,
}

fn round_view(l: &Layout, h: RoundHome) -> RoundView {
    let pick = |label: &crate::domain::Label| l.pick(label).to_string();
    RoundView {
        title: pick(&h.title),
        round: l.num(h.round),
        phase: match h.phase {
            Some(p) => pick(&p.label()),
            None => l.t("هیچ مرحله‌ای باز نیست", "no phase is open").to_string(),
        },
        published: h.published,
        objection_open: h.phase == Some(Phase::Objection),
        deadline: h.deadline.map(|d| DeadlineView {
            what: pick(&d.what),
            last_day: match l.lang {
                Lang::Fa => d.last_day.long_fa(),
                Lang::En => d.last_day.long_en(),
            },
            days_left: l.num(d.days_left),
            last_day_today: d.days_left == 0,
        }),
    }
}

/// `GET /`: the home page when signed in, the sign-in form otherwise.
pub async fn home(
    State(portal): State<Portal>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    visitor: Result<Visitor, Response>,
) -> Response {
    let secure = session::over_tls(&headers, portal.cookie_secure);
    let visitor = match visitor {
        Ok(v) => v,
        Err(r) if r.status() == StatusCode::SEE_OTHER => {
            let lang = Lang::of(query.lang.as_deref(), &headers);
            let form = login_form(
                lang,
                &headers,
                secure,
                String::new(),
                Vec::new(),
                None,
                StatusCode::OK,
            );
            return remember_lang(form, &query, secure);
        }
        Err(r) => return r,
    };
    let response = match home::office_home(&portal.app, &visitor.actor).await {
        Ok(round) => {
            let l = visitor.layout();
            let next_step = match visitor.actor.role {
                Role::Office if round.is_some() => {
                    super::declaration::next_step(&portal.app, &visitor.actor, &l).await
                }
                _ => None,
            };
            let page = HomePage {
                is_office: next_step.is_some(),
                next_step: next_step.unwrap_or_default(),
                role_label: role_label(&l, visitor.actor.role).to_string(),
                round: round.map(|r| round_view(&l, r)),
                username: visitor.username.clone(),
                first_password: visitor.first_password,
                console: matches!(visitor.actor.role, Role::Regulator | Role::Admin),
                office: visitor.actor.role == Role::Office,
                policy: matches!(visitor.actor.role, Role::Regulator | Role::Admin),
                admin: visitor.actor.role == Role::Admin,
                reviewer_region: (visitor.actor.role == Role::Reviewer)
                    .then(|| visitor.actor.region.map(|r| l.num(r)).unwrap_or_default()),
                l,
            };
            render(StatusCode::OK, &page)
        }
        Err(e) => app_error(visitor.layout(), e),
    };
    visitor.finish(response)
}

fn role_label(l: &Layout, role: Role) -> &'static str {
    match role {
        Role::Office => l.t("دفتر", "office"),
        Role::Reviewer => l.t("کارشناس منطقه", "regional reviewer"),
        Role::Regulator => l.t("سازمان تنظیم مقررات", "regulator"),
        Role::Admin => l.t("مدیر سامانه", "administrator"),
        Role::ApiClient => l.t("برنامهٔ کاربردی", "API client"),
    }
}
