//! Signing in and out: the sign-in form (anonymous CSRF token), the API's own sign-in behind it
//! (throttles, lockout, audit), and sign-out.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::{FieldError, Layout, error_of, failure, render};
use super::session::{self, LOGIN_CSRF, Lang, SESSION};
use super::{Portal, Refusal};
use crate::accounts;
use crate::app::home;
use crate::domain::digits::to_persian_digits;

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
        error_of(&self.errors, field)
    }
}

/// The sign-in form, with its anonymous CSRF token (kept from the cookie, or new).
pub(super) fn login_form(
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
            field: "national_code".into(),
            message: l
                .t("کد ملی را بنویسید", "Enter your national code")
                .to_string(),
        });
    }
    if form.password.is_empty() {
        errors.push(FieldError {
            field: "password".into(),
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
    let (errors, problem) = match refusal_told(lang, refusal) {
        Ok(told) => told,
        Err(e) => return failure(e),
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

/// A refusal as the sign-in form tells it: the field errors and the page-wide problem (locked,
/// busy); `Err` for a failure nobody can act on.
fn refusal_told(lang: Lang, refusal: Refusal) -> Result<(Vec<FieldError>, Option<String>), String> {
    Ok(match refusal {
        Refusal::Failed { attempts_left } => (
            vec![FieldError {
                field: "password".into(),
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
        Refusal::Other(e) => return Err(e),
    })
}
