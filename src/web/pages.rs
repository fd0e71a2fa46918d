//! The pages: sign-in, the office holder's home, sign-out. Handlers parse the form, call the
//! application (or the shared sign-in), and render a template.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::{self, LANG, LOGIN_CSRF, Lang, SESSION};
use super::{Portal, Refusal};
use crate::accounts;
use crate::app::home::{self, RoundHome};
use crate::domain::Role;
use crate::domain::digits::to_persian_digits;

/// What every page's layout needs: the language, the sign-out form's token, the toggle.
pub struct Layout {
    pub lang: Lang,
    /// The CSRF token of the session's forms; empty when nobody is signed in.
    pub csrf: String,
    pub signed_in: bool,
    pub css: &'static str,
}

impl Layout {
    fn new(lang: Lang, csrf: String) -> Self {
        let signed_in = !csrf.is_empty();
        Layout {
            lang,
            csrf,
            signed_in,
            css: super::assets::CSS,
        }
    }

    /// The text in the page's language.
    pub fn t<'a>(&self, fa: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Fa => fa,
            Lang::En => en,
        }
    }

    pub fn dir(&self) -> &'static str {
        match self.lang {
            Lang::Fa => "rtl",
            Lang::En => "ltr",
        }
    }

    /// A number as the page writes it (Persian digits in Persian).
    pub fn num(&self, n: impl ToString) -> String {
        match self.lang {
            Lang::Fa => to_persian_digits(&n.to_string()),
            Lang::En => n.to_string(),
        }
    }

    /// The link to the other language.
    pub fn other_lang(&self) -> (&'static str, &'static str) {
        match self.lang {
            Lang::Fa => ("?lang=en", "English"),
            Lang::En => ("?lang=fa", "فارسی"),
        }
    }
}

/// A field's error, shown in the summary (linking to the field) and beside the field.
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    login_csrf: String,
    national_code: String,
    errors: Vec<FieldError>,
    /// A page-wide problem (locked, busy), shown in the summary with no field.
    problem: Option<String>,
}

impl LoginPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    l: Layout,
    username: String,
    role_label: String,
    round: Option<RoundView>,
}

/// A round as the home page writes it, in the page's language.
struct RoundView {
    title: String,
    round: String,
    phase: String,
    deadline: Option<DeadlineView>,
}

struct DeadlineView {
    what: String,
    last_day: String,
    days_left: String,
    last_day_today: bool,
}

fn round_view(l: &Layout, h: RoundHome) -> RoundView {
    let pick = |label: &crate::domain::Label| l.t(&label.fa, &label.en).to_string();
    RoundView {
        title: pick(&h.title),
        round: l.num(h.round),
        phase: match h.phase {
            Some(p) => pick(&p.label()),
            None => l.t("هیچ مرحله‌ای باز نیست", "no phase is open").to_string(),
        },
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

#[derive(Deserialize)]
pub struct LangQuery {
    lang: Option<String>,
}

/// Renders a template, or the plain 500 a broken template deserves (logged).
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Remembers a language chosen with `?lang=`.
fn remember_lang(mut response: Response, query: &LangQuery, secure: bool) -> Response {
    if let Some(lang) = query.lang.as_deref().filter(|l| matches!(*l, "fa" | "en")) {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(LANG, lang, 365 * 86_400, secure),
        );
    }
    response
}

/// The signed-in user of a request, with their session token.
async fn signed_in(
    portal: &Portal,
    headers: &HeaderMap,
) -> Result<Option<(crate::app::Actor, String, String)>, Response> {
    let Some(token) = session::cookie(headers, SESSION) else {
        return Ok(None);
    };
    let hash = crate::accounts::token_hash(token);
    match home::session_user(&portal.app, &hash).await {
        Ok(Some(user)) => Ok(Some((
            crate::app::Actor::user(&user),
            user.username,
            token.to_string(),
        ))),
        Ok(None) => Ok(None),
        Err(e) => Err(failure(e)),
    }
}

fn failure(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a page failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// `GET /`: the home page when signed in, the sign-in form otherwise.
pub async fn home(
    State(portal): State<Portal>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let secure = session::over_tls(&headers, portal.cookie_secure);
    let response = match signed_in(&portal, &headers).await {
        Err(r) => r,
        Ok(Some((actor, username, token))) => {
            let l = Layout::new(lang, session::csrf_of(&token));
            match home::office_home(&portal.app, &actor).await {
                Ok(round) => {
                    let role = actor.role;
                    let page = HomePage {
                        role_label: role_label(&l, role).to_string(),
                        round: round.map(|r| round_view(&l, r)),
                        username,
                        l,
                    };
                    render(StatusCode::OK, &page)
                }
                Err(e) => failure(e),
            }
        }
        Ok(None) => login_form(
            lang,
            &headers,
            secure,
            String::new(),
            Vec::new(),
            None,
            StatusCode::OK,
        ),
    };
    remember_lang(response, &query, secure)
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

/// The sign-in form, with its anonymous CSRF token (kept from the cookie, or new).
fn login_form(
    lang: Lang,
    headers: &HeaderMap,
    secure: bool,
    national_code: String,
    errors: Vec<FieldError>,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (login_csrf, fresh) = match session::cookie(headers, LOGIN_CSRF) {
        Some(t) if t.len() == 64 => (t.to_string(), false),
        _ => (accounts::random_token(), true),
    };
    let page = LoginPage {
        l: Layout::new(lang, String::new()),
        login_csrf: login_csrf.clone(),
        national_code,
        errors,
        problem,
    };
    let mut response = render(status, &page);
    if fresh {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(LOGIN_CSRF, &login_csrf, 3_600, secure),
        );
    }
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    national_code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: signs in with the API's own sign-in; a refusal gives the form again with an
/// error summary, a success the home page.
pub async fn login(
    State(portal): State<Portal>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = Lang::of(None, &headers);
    let secure = session::over_tls(&headers, portal.cookie_secure);
    let l = Layout::new(lang, String::new());
    let expected = session::cookie(&headers, LOGIN_CSRF).unwrap_or_default();
    if expected.is_empty() || !accounts::constant_time_eq(expected.as_bytes(), form.csrf.as_bytes())
    {
        return login_form(
            lang,
            &headers,
            secure,
            form.national_code,
            Vec::new(),
            Some(
                l.t(
                    "این فرم کهنه شده است؛ دوباره وارد شوید",
                    "this form has expired; please sign in again",
                )
                .to_string(),
            ),
            StatusCode::FORBIDDEN,
        );
    }
    let mut errors = Vec::new();
    if form.national_code.trim().is_empty() {
        errors.push(FieldError {
            field: "national_code",
            message: l
                .t("کد ملی را بنویسید", "Enter your national code")
                .to_string(),
        });
    }
    if form.password.is_empty() {
        errors.push(FieldError {
            field: "password",
            message: l.t("گذرواژه را بنویسید", "Enter your password").to_string(),
        });
    }
    if !errors.is_empty() {
        return login_form(
            lang,
            &headers,
            secure,
            form.national_code,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let refusal = match portal
        .sign_in
        .sign_in(peer.ip(), &form.national_code, &form.password)
        .await
    {
        Ok(opened) => {
            let mut response = Redirect::to("/").into_response();
            let age = crate::accounts::SESSION_HOURS * 3_600;
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                session::set_cookie(SESSION, &opened.token, age, secure),
            );
            h.append(
                header::SET_COOKIE,
                session::set_cookie(LOGIN_CSRF, "", 0, secure),
            );
            return response;
        }
        Err(refusal) => refusal,
    };
    let (errors, problem) = match refusal {
        Refusal::Failed { attempts_left } => (
            vec![FieldError {
                field: "password",
                message: match lang {
                    Lang::Fa => format!(
                        "کد ملی یا گذرواژه درست نیست؛ {} بار دیگر می‌توانید بکوشید",
                        to_persian_digits(&attempts_left.max(0).to_string())
                    ),
                    Lang::En => format!(
                        "The national code or password is wrong; {} attempts left",
                        attempts_left.max(0)
                    ),
                },
            }],
            None,
        ),
        Refusal::Locked {
            retry_after_seconds,
        } => {
            let minutes = (retry_after_seconds.max(1) + 59) / 60;
            let message = match lang {
                Lang::Fa => format!(
                    "ورود به این حساب برای {} دقیقه بسته شده است؛ پس از آن دوباره بکوشید",
                    to_persian_digits(&minutes.to_string())
                ),
                Lang::En => format!(
                    "Signing in to this account is locked for {minutes} minutes; try again after that"
                ),
            };
            (Vec::new(), Some(message))
        }
        Refusal::Other(e) => return failure(e),
    };
    let status = if problem.is_some() {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNAUTHORIZED
    };
    login_form(
        lang,
        &headers,
        secure,
        form.national_code,
        errors,
        problem,
        status,
    )
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session (CSRF-checked) and goes back to the sign-in form.
pub async fn logout(
    State(portal): State<Portal>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LogoutForm>,
) -> Response {
    let secure = session::over_tls(&headers, portal.cookie_secure);
    let Some(token) = session::cookie(&headers, SESSION) else {
        return Redirect::to("/").into_response();
    };
    if !accounts::constant_time_eq(session::csrf_of(token).as_bytes(), form.csrf.as_bytes()) {
        return (StatusCode::FORBIDDEN, "CSRF token mismatch").into_response();
    }
    let hash = crate::accounts::token_hash(token);
    match home::session_user(&portal.app, &hash).await {
        Ok(Some(user)) => {
            if let Err(e) = crate::app::accounts::end_session(&portal.app, &user, &hash).await {
                return failure(e);
            }
        }
        Ok(None) => {}
        Err(e) => return failure(e),
    }
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(SESSION, "", 0, secure),
    );
    response
}
