//! What every page shares: the layout (language, direction, the sign-out form's token), rendering,
//! the signed-in [`Visitor`] of a request with its CSRF check and role gate, and the page that
//! says why something cannot be shown.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Portal;
use super::session::{self, LANG, Lang, SESSION};
use crate::accounts;
use crate::app::{Actor, AppError, home};
use crate::domain::Role;
use crate::domain::digits::to_persian_digits;

/// What every page's layout needs: the language, the sign-out form's token, the toggle.
pub struct Layout {
    pub lang: Lang,
    /// The CSRF token of the session's forms; empty when nobody is signed in.
    pub csrf: String,
    pub signed_in: bool,
    pub css: &'static str,
    /// The path of the page (without its query), for the language toggle's link.
    pub path: String,
}

impl Layout {
    pub fn new(lang: Lang, csrf: String) -> Self {
        let signed_in = !csrf.is_empty();
        Layout {
            lang,
            csrf,
            signed_in,
            css: super::assets::CSS,
            path: String::new(),
        }
    }

    /// The text in the page's language.
    pub fn t<'a>(&self, fa: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Fa => fa,
            Lang::En => en,
        }
    }

    /// A bilingual label in the page's language.
    pub fn pick<'a>(&self, label: &'a crate::domain::Label) -> &'a str {
        match self.lang {
            Lang::Fa => &label.fa,
            Lang::En => &label.en,
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

    /// A decimal or signed number as the page writes it (in Persian: Persian digits, `٫` as the
    /// decimal point and `−` as the minus sign, so `-12.5` reads `−۱۲٫۵`).
    pub fn decimal(&self, n: impl ToString) -> String {
        match self.lang {
            Lang::Fa => crate::domain::digits::to_persian_number(&n.to_string()),
            Lang::En => n.to_string(),
        }
    }

    /// The link to the other language (this page, in the other language).
    pub fn other_lang(&self) -> (String, &'static str) {
        match self.lang {
            Lang::Fa => (format!("{}?lang=en", self.path), "English"),
            Lang::En => (format!("{}?lang=fa", self.path), "فارسی"),
        }
    }
}

/// A field's error, shown in the summary (linking to the field) and beside the field.
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The error of `field` among `errors`, if any (for the message beside the field).
pub fn error_of<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

/// `?lang=` on any page.
#[derive(Deserialize, Default)]
pub struct LangQuery {
    pub lang: Option<String>,
}

/// Renders a template, or the plain 500 a broken template deserves (logged).
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
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
pub fn remember_lang(mut response: Response, query: &LangQuery, secure: bool) -> Response {
    if let Some(lang) = query.lang.as_deref().filter(|l| matches!(*l, "fa" | "en")) {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(LANG, lang, 365 * 86_400, secure),
        );
    }
    response
}

/// A failure nobody can act on: logged, answered with a plain 500.
pub fn failure(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a page failed");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// The page that says why something cannot be shown or done (refused, not found, closed).
#[derive(Template)]
#[template(path = "problem.html")]
pub struct ProblemPage {
    pub l: Layout,
    pub heading: String,
    pub message: String,
}

/// An application error as a page: the refusals a person can understand in their language,
/// anything else a logged 500.
pub fn app_error(l: Layout, e: AppError) -> Response {
    let status = match &e {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Conflict(_) | AppError::KeyInProgress => StatusCode::CONFLICT,
        AppError::BadRequest(..) => StatusCode::BAD_REQUEST,
        AppError::Refused(_) | AppError::Rules(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Stopped { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Store(_) | AppError::Internal(_) => return failure(e),
    };
    let message = match e.message() {
        Some(label) => l.pick(&label).to_string(),
        None => return failure(e),
    };
    let heading = l.t("انجام نشد", "This could not be done").to_string();
    render(
        status,
        &ProblemPage {
            l,
            heading,
            message,
        },
    )
}

/// A page's early answer instead of the page (a refusal, a redirect), boxed so that
/// `Result<_, Bounce>` stays small; handlers return `Result<Response, Bounce>`.
pub struct Bounce(Box<Response>);

impl From<Response> for Bounce {
    fn from(r: Response) -> Self {
        Bounce(Box::new(r))
    }
}

impl IntoResponse for Bounce {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// The signed-in person of a request: who they are, their page layout (language, CSRF token) and
/// the query's `?lang`. A request without a valid session is sent to the sign-in form at `/`.
pub struct Visitor {
    pub actor: Actor,
    pub username: String,
    /// Whether the account still has its first password (the national code).
    pub first_password: bool,
    pub l: Layout,
    pub query: LangQuery,
    /// Whether cookies set for this request must be `Secure`.
    pub secure: bool,
}

#[allow(
    dead_code,
    reason = "the declaration, results and review pages use them"
)]
impl Visitor {
    /// Checks a submitted form's CSRF token against the session's.
    pub fn check_csrf(&self, given: &str) -> Result<(), Bounce> {
        if accounts::constant_time_eq(self.l.csrf.as_bytes(), given.as_bytes()) {
            Ok(())
        } else {
            Err(Bounce::from(self.refuse(
                StatusCode::FORBIDDEN,
                self.l.t(
                    "این فرم کهنه شده است؛ صفحه را دوباره باز کنید",
                    "This form has expired; open the page again",
                ),
            )))
        }
    }

    /// Lets only `roles` in; anyone else gets a 403 page in their language.
    pub fn require(&self, roles: &[Role]) -> Result<(), Bounce> {
        if roles.contains(&self.actor.role) {
            Ok(())
        } else {
            Err(Bounce::from(self.refuse(
                StatusCode::FORBIDDEN,
                self.l.t(
                    "این صفحه برای نقش شما نیست",
                    "This page is not for your role",
                ),
            )))
        }
    }

    /// A problem page with `message`, in this visitor's layout.
    pub fn refuse(&self, status: StatusCode, message: &str) -> Response {
        let mut l = Layout::new(self.l.lang, self.l.csrf.clone());
        l.path = self.l.path.clone();
        render(
            status,
            &ProblemPage {
                heading: l.t("انجام نشد", "This could not be done").to_string(),
                message: message.to_string(),
                l,
            },
        )
    }

    /// A fresh layout like this visitor's (pages own their layout; the visitor keeps its own).
    pub fn layout(&self) -> Layout {
        let mut l = Layout::new(self.l.lang, self.l.csrf.clone());
        l.path = self.l.path.clone();
        l
    }

    /// Finishes a page's answer: remembers a `?lang=` choice.
    pub fn finish(&self, response: Response) -> Response {
        remember_lang(response, &self.query, self.secure)
    }
}

impl FromRequestParts<Portal> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, portal: &Portal) -> Result<Self, Response> {
        let query: LangQuery = parts
            .uri
            .query()
            .and_then(lang_param)
            .map(|lang| LangQuery { lang: Some(lang) })
            .unwrap_or_default();
        let headers: &HeaderMap = &parts.headers;
        let lang = Lang::of(query.lang.as_deref(), headers);
        let secure = session::over_tls(headers, portal.cookie_secure);
        let Some(token) = session::cookie(headers, SESSION) else {
            return Err(Redirect::to("/").into_response());
        };
        let user = match home::session_user(&portal.app, &accounts::token_hash(token)).await {
            Ok(Some(user)) => user,
            Ok(None) => return Err(Redirect::to("/").into_response()),
            Err(e) => return Err(failure(e)),
        };
        let mut l = Layout::new(lang, session::csrf_of(token));
        l.path = parts.uri.path().to_string();
        Ok(Visitor {
            actor: Actor::user(&user),
            first_password: user.password_hash.is_none(),
            username: user.username,
            l,
            query,
            secure,
        })
    }
}

/// The `lang` parameter of a query string, if it is one the pages speak.
fn lang_param(query: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .map(|(_, v)| v.to_string())
        .filter(|v| matches!(v.as_str(), "fa" | "en"))
}
