//! The admins' pages: the accounts they look after (create reviewers for a region, regulators,
//! admins and API clients; issue an API client's token, shown once; put an office holder back on
//! the national-code password; unlock a locked account; disable one), and the office registry
//! import from CSV with its report row by row. Each action is the same `app::accounts` command the
//! JSON API calls; every form carries the session's CSRF token, and a refused field is named in the
//! error summary and beside the field.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use crate::app::AppError;
use crate::app::accounts::{self, NewAccount};
use crate::app::admin::{self, AccountRow, ImportOutcome, RowProblem};
use crate::domain::digits::to_ascii_digits;
use crate::domain::records::ImportReport;
use crate::domain::{Label, Role};
use crate::workflow::WorkflowError;

/// The roles an admin creates here (office holders come from the registry import).
const CREATABLE: [Role; 4] = [
    Role::Reviewer,
    Role::Regulator,
    Role::Admin,
    Role::ApiClient,
];

/// What the create form held, to show it again after a refusal.
#[derive(Default)]
struct Draft {
    username: String,
    role: String,
    region: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    l: Layout,
    accounts: Vec<AccountRow>,
    errors: Vec<FieldError>,
    /// What the last action did, as a sentence.
    done: Option<String>,
    draft: Draft,
    roles: Vec<(&'static str, String)>,
}

impl UsersPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }

    fn role(&self, role: &Role) -> String {
        self.l.pick(&role.label()).to_string()
    }

    fn locked_until(&self, a: &AccountRow) -> String {
        a.locked_until
            .map(|t| super::rules::when(&self.l, crate::domain::from_millis(t)))
            .unwrap_or_default()
    }
}

/// `?done=ACTION&who=USERNAME` after an action.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    who: Option<String>,
}

/// The sentence that says what an action did to `who`.
fn done_sentence(l: &Layout, done: &str, who: &str) -> Option<String> {
    let (fa, en) = match done {
        "created" => ("ساخته شد", "was created"),
        "reset" => (
            "به گذرواژهٔ نخست (کد ملی) برگشت و همهٔ نشست‌هایش بسته شد",
            "is back on the first password (the national code); every session of it ended",
        ),
        "unlocked" => ("باز شد و می‌تواند وارد شود", "is unlocked and may sign in"),
        "disabled" => (
            "از کار افتاد؛ دیگر نمی‌تواند وارد شود",
            "is disabled; it can no longer sign in",
        ),
        _ => return None,
    };
    Some(match l.lang {
        super::session::Lang::Fa => format!("حساب «{who}» {fa}."),
        super::session::Lang::En => format!("The account `{who}` {en}."),
    })
}

async fn users_page(
    portal: &Portal,
    v: &Visitor,
    status: StatusCode,
    errors: Vec<FieldError>,
    done: Option<String>,
    draft: Draft,
) -> Result<Response, Bounce> {
    let l = v.layout();
    let accounts = admin::accounts(&portal.app, &v.actor)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    let roles = CREATABLE
        .iter()
        .map(|r| (r.as_str(), l.pick(&r.label()).to_string()))
        .collect();
    let page = UsersPage {
        l,
        accounts,
        errors,
        done,
        draft,
        roles,
    };
    Ok(v.finish(render(status, &page)))
}

/// `GET /admin/users`: the accounts and the forms that act on them.
pub async fn users(
    State(portal): State<Portal>,
    Query(q): Query<Done>,
    v: Visitor,
) -> Result<Response, Bounce> {
    v.require(&[Role::Admin])?;
    let done = match (q.done, q.who) {
        (Some(d), Some(w)) => done_sentence(&v.l, &d, &w),
        _ => None,
    };
    users_page(
        &portal,
        &v,
        StatusCode::OK,
        Vec::new(),
        done,
        Draft::default(),
    )
    .await
}

/// The create form as posted.
#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    password: String,
}

/// `POST /admin/users`: creates a reviewer (for a region), regulator, admin or API client.
pub async fn create(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(form): axum::Form<CreateForm>,
) -> Result<Response, Bounce> {
    v.require(&[Role::Admin])?;
    v.check_csrf(&form.csrf)?;
    let l = v.layout();
    let mut errors = Vec::new();
    let role = Role::parse(&form.role).filter(|r| CREATABLE.contains(r));
    if role.is_none() {
        errors.push(FieldError {
            field: "new-role".into(),
            message: l.t("نقش را برگزینید", "Choose a role").to_string(),
        });
    }
    let region_text = to_ascii_digits(form.region.trim());
    let region = if region_text.is_empty() {
        None
    } else {
        match region_text.parse::<u8>() {
            Ok(r) => Some(r),
            Err(_) => {
                errors.push(FieldError {
                    field: "new-region".into(),
                    message: l
                        .t(
                            "منطقه عددی از ۱ تا ۹ است",
                            "The region is a number from 1 to 9",
                        )
                        .to_string(),
                });
                None
            }
        }
    };
    let draft = Draft {
        username: form.username.clone(),
        role: form.role.clone(),
        region: form.region.clone(),
    };
    if let (Some(role), true) = (role, errors.is_empty()) {
        let req = NewAccount {
            username: form.username.trim().to_string(),
            password: Some(form.password).filter(|p| !p.is_empty()),
            role,
            region: region.filter(|_| role == Role::Reviewer),
        };
        match accounts::create_user(&portal.app, &v.actor, req).await {
            Ok(created) => {
                let to = format!("/admin/users?done=created&who={}", created.username);
                return Ok(Redirect::to(&to).into_response());
            }
            Err(AppError::Refused(WorkflowError::Fields(fields))) => {
                errors.extend(fields.into_iter().map(|f| FieldError {
                    field: format!("new-{}", f.field),
                    message: l.pick(&f.message).to_string(),
                }));
            }
            Err(AppError::Conflict(label)) => errors.push(FieldError {
                field: "new-username".into(),
                message: l.pick(&label).to_string(),
            }),
            Err(e) => return Err(Bounce::from(app_error(l, e))),
        }
    }
    users_page(
        &portal,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        None,
        draft,
    )
    .await
}

/// A form that names one account.
#[derive(Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
}

/// An action on one account: what it is called in the URL and in field ids.
#[derive(Clone, Copy)]
enum Action {
    Reset,
    Unlock,
    Disable,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Reset => "reset",
            Action::Unlock => "unlock",
            Action::Disable => "disable",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Action::Reset => "reset",
            Action::Unlock => "unlocked",
            Action::Disable => "disabled",
        }
    }
}

async fn act(
    portal: Portal,
    v: Visitor,
    form: AccountForm,
    action: Action,
) -> Result<Response, Bounce> {
    v.require(&[Role::Admin])?;
    v.check_csrf(&form.csrf)?;
    let l = v.layout();
    let username = form.username.trim().to_string();
    let field = format!("{}-username", action.name());
    let outcome = if username.is_empty() {
        Err(AppError::Refused(WorkflowError::State(Label::new(
            "نام کاربری حساب را بنویسید",
            "Enter the account's username",
        ))))
    } else {
        match action {
            Action::Reset => {
                accounts::reset_to_national_code(&portal.app, &v.actor, &username).await
            }
            Action::Unlock => accounts::unlock(&portal.app, &v.actor, &username)
                .await
                .map(|_| ()),
            Action::Disable => accounts::disable(&portal.app, &v.actor, &username).await,
        }
    };
    let message = match outcome {
        Ok(()) => {
            let to = format!("/admin/users?done={}&who={username}", action.done());
            return Ok(Redirect::to(&to).into_response());
        }
        Err(AppError::NotFound(_)) => l
            .t(
                "حسابی با این نام کاربری نیست (یا از کار افتاده است)",
                "There is no active account with this username",
            )
            .to_string(),
        Err(AppError::Refused(WorkflowError::State(label))) => l.pick(&label).to_string(),
        Err(e) => return Err(Bounce::from(app_error(l, e))),
    };
    let errors = vec![FieldError { field, message }];
    users_page(
        &portal,
        &v,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        None,
        Draft::default(),
    )
    .await
}

/// `POST /admin/users/reset`: an office holder back on the national-code password.
pub async fn reset(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(form): axum::Form<AccountForm>,
) -> Result<Response, Bounce> {
    act(portal, v, form, Action::Reset).await
}

/// `POST /admin/users/unlock`: a locked account unlocked.
pub async fn unlock(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(form): axum::Form<AccountForm>,
) -> Result<Response, Bounce> {
    act(portal, v, form, Action::Unlock).await
}

/// `POST /admin/users/disable`: an account disabled.
pub async fn disable(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(form): axum::Form<AccountForm>,
) -> Result<Response, Bounce> {
    act(portal, v, form, Action::Disable).await
}

#[derive(Template)]
#[template(path = "admin_token.html")]
struct TokenPage {
    l: Layout,
    username: String,
    token: String,
    expires: String,
}

/// `POST /admin/users/token`: a new token for an API client, shown on this answer only (the
/// server keeps its hash alone, so the page cannot be shown again).
pub async fn token(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(form): axum::Form<AccountForm>,
) -> Result<Response, Bounce> {
    v.require(&[Role::Admin])?;
    v.check_csrf(&form.csrf)?;
    let l = v.layout();
    match accounts::issue_token(&portal.app, &v.actor, form.username.trim()).await {
        Ok((token, expires)) => {
            let expires = super::rules::when(&l, crate::domain::from_millis(expires));
            let page = TokenPage {
                l,
                username: form.username.trim().to_string(),
                token,
                expires,
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(e) => Err(Bounce::from(app_error(l, e))),
    }
}

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    l: Layout,
    errors: Vec<FieldError>,
    csv: String,
    report: Option<ImportReport>,
    problems: Vec<RowProblem>,
}

impl ImportPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// `GET /admin/import`: the registry import form.
pub async fn import_form(v: Visitor) -> Result<Response, Bounce> {
    v.require(&[Role::Admin])?;
    let page = ImportPage {
        l: v.layout(),
        errors: Vec::new(),
        csv: String::new(),
        report: None,
        problems: Vec::new(),
    };
    Ok(v.finish(render(StatusCode::OK, &page)))
}

/// The import form as posted.
#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    csv: String,
}

/// `POST /admin/import`: imports the registry pasted as CSV and shows what happened to each row;
/// with any bad row nothing is written, every problem is listed by line and column, and the text
/// stays in the box to be corrected.
pub async fn import(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(form): axum::Form<ImportForm>,
) -> Result<Response, Bounce> {
    v.require(&[Role::Admin])?;
    v.check_csrf(&form.csrf)?;
    let l = v.layout();
    if form.csv.trim().is_empty() {
        let page = ImportPage {
            errors: vec![FieldError {
                field: "csv".into(),
                message: l
                    .t(
                        "متن پرونده را در کادر بگذارید",
                        "Paste the registry's CSV text into the box",
                    )
                    .to_string(),
            }],
            l,
            csv: form.csv,
            report: None,
            problems: Vec::new(),
        };
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    match admin::import_csv(&portal.app, &v.actor, &form.csv).await {
        Ok(ImportOutcome::Imported(report)) => {
            let page = ImportPage {
                l,
                errors: Vec::new(),
                csv: String::new(),
                report: Some(report),
                problems: Vec::new(),
            };
            Ok(render(StatusCode::OK, &page))
        }
        Ok(ImportOutcome::Rejected(problems)) => {
            let message = match l.lang {
                super::session::Lang::Fa => format!(
                    "{} ردیف مشکل دارد؛ هیچ دفتری وارد نشد. جدول زیر هر مشکل را نشان می‌دهد",
                    l.num(problems.len())
                ),
                super::session::Lang::En => format!(
                    "{} problem(s) in the rows; nothing was imported. The table below lists each",
                    problems.len()
                ),
            };
            let page = ImportPage {
                errors: vec![FieldError {
                    field: "csv".into(),
                    message,
                }],
                l,
                csv: form.csv,
                report: None,
                problems,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(Bounce::from(app_error(l, e))),
    }
}
