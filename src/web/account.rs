//! The change-password page: current password, new password and its confirmation, checked by the
//! same command as `POST /v1/auth/password` (same rules, same errors). That command signs out
//! every other session and keeps this one, and the page says so.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, failure, render};
use super::session::{self, SESSION};
use crate::accounts;
use crate::app::accounts::{NewCredentials, change_credentials};
use crate::app::{AppError, home};
use crate::workflow::WorkflowError;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    l: Layout,
    errors: Vec<FieldError>,
    /// The password was just changed.
    changed: bool,
    first_password: bool,
    /// The rule a new password follows (the command's own minimum length).
    rule: String,
}

/// The rule a new password follows, in the page's language.
fn rule(l: &Layout) -> String {
    let n = accounts::MIN_PASSWORD_LEN;
    match l.lang {
        super::session::Lang::Fa => format!("دست‌کم {} نویسه؛ نه کد ملی و نه نام کاربری", l.num(n)),
        super::session::Lang::En => {
            format!("At least {n} characters; not your national code or username")
        }
    }
}

impl PasswordPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// `?changed=1` after a change.
#[derive(Deserialize, Default)]
pub struct ChangedQuery {
    #[serde(default)]
    changed: Option<String>,
}

/// `GET /account/password`: the form (and, after a change, what happened to the sessions).
pub async fn show(Query(q): Query<ChangedQuery>, v: Visitor) -> Response {
    let l = v.layout();
    let page = PasswordPage {
        rule: rule(&l),
        l,
        errors: Vec::new(),
        changed: q.changed.is_some(),
        first_password: v.first_password,
    };
    v.finish(render(StatusCode::OK, &page))
}

/// The form as posted.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// `POST /account/password`: changes the password through the API's command; each refusal beside
/// its field, a success back to the page with what happened to the sessions.
pub async fn change(
    State(portal): State<Portal>,
    headers: HeaderMap,
    v: Visitor,
    axum::Form(form): axum::Form<PasswordForm>,
) -> Result<Response, Bounce> {
    v.check_csrf(&form.csrf)?;
    let l = v.layout();
    let mut errors = Vec::new();
    if form.current_password.is_empty() {
        errors.push(FieldError {
            field: "current_password".into(),
            message: l
                .t("گذرواژهٔ کنونی را بنویسید", "Enter your current password")
                .to_string(),
        });
    }
    if form.new_password != form.confirm_password {
        errors.push(FieldError {
            field: "confirm_password".into(),
            message: l
                .t(
                    "تکرار گذرواژهٔ تازه با خود آن یکی نیست",
                    "The confirmation does not match the new password",
                )
                .to_string(),
        });
    }
    if errors.is_empty() {
        let token = session::cookie(&headers, SESSION).unwrap_or_default();
        let hash = accounts::token_hash(token);
        let user = match home::session_user(&portal.app, &hash).await {
            Ok(Some(user)) => user,
            Ok(None) => return Ok(Redirect::to("/").into_response()),
            Err(e) => return Err(Bounce::from(failure(e))),
        };
        let req = NewCredentials {
            current_password: form.current_password,
            new_password: form.new_password,
            new_username: None,
        };
        match change_credentials(&portal.app, &user, &hash, req).await {
            Ok(_) => return Ok(Redirect::to("/account/password?changed=1").into_response()),
            Err(AppError::Refused(WorkflowError::Fields(fields))) => {
                errors.extend(fields.into_iter().map(|f| FieldError {
                    field: f.field,
                    message: l.pick(&f.message).to_string(),
                }));
            }
            Err(e) => return Err(Bounce::from(app_error(l, e))),
        }
    }
    let page = PasswordPage {
        rule: rule(&l),
        errors,
        changed: false,
        first_password: v.first_password,
        l,
    };
    Ok(v.finish(render(StatusCode::UNPROCESSABLE_ENTITY, &page)))
}
