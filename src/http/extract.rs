//! Extractors that answer in our error shape: JSON bodies, CSV bodies, path parameters, query
//! strings and the signed-in user.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::error::ApiError;
use super::server::BodyTimedOut;
use crate::app::Actor;
use crate::domain::{Label, Role};
use crate::store::users::User;

/// Bodies larger than this are parsed on the blocking pool, so a 4 MB body does not hold an async
/// worker (and every request queued behind it) for the time it takes.
const INLINE_JSON_BYTES: usize = 64 * 1024;

/// A JSON body; malformed, oversized, late or wrongly typed bodies get our error shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send + 'static> FromRequest<S>
    for ApiJson<T>
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(Label::new(
                "بدنه درخواست باید JSON باشد (Content-Type: application/json)",
                "the body must be JSON (Content-Type: application/json)",
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        let parsed = if bytes.len() > INLINE_JSON_BYTES {
            tokio::task::spawn_blocking(move || axum::Json::<T>::from_bytes(&bytes))
                .await
                .map_err(ApiError::internal)?
        } else {
            axum::Json::<T>::from_bytes(&bytes)
        };
        match parsed {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest(
                "malformed_json",
                Label::new(
                    "بدنه درخواست JSON معتبر نیست",
                    format!("the body is not valid JSON: {}", e.body_text()),
                ),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::BadRequest(
                "invalid_body",
                Label::new(
                    "ساختار بدنه درخواست درست نیست",
                    format!(
                        "the body does not have the expected shape: {}",
                        e.body_text()
                    ),
                ),
            )),
            Err(other) => Err(ApiError::BadRequest(
                "invalid_body",
                Label::new("بدنه درخواست خوانده نشد", other.body_text()),
            )),
        }
    }
}

/// `application/json` or `application/…+json`, as axum's own `Json` accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

pub(super) fn bytes_rejection(b: BytesRejection) -> ApiError {
    if let Some(limit) = body_timeout(&b) {
        ApiError::BodyTimeout(limit)
    } else if b.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::BadRequest(
            "invalid_body",
            Label::new("بدنه درخواست خوانده نشد", b.body_text()),
        )
    }
}

/// The body timeout, if that is why the body could not be read.
fn body_timeout(e: &(dyn std::error::Error + 'static)) -> Option<Duration> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(t) = e.downcast_ref::<BodyTimedOut>() {
            return Some(t.0);
        }
        next = e.source();
    }
    None
}

/// A request's path parameters (axum's `Path`, answering a malformed one in our error shape
/// instead of plain text: `GET /v1/offices/%C0%AF` is a 400 `invalid_path`).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) if e.status().is_client_error() => Err(ApiError::BadRequest(
                "invalid_path",
                Label::new(
                    "نشانی درخواست معتبر نیست",
                    format!("the path is not valid: {}", e.body_text()),
                ),
            )),
            Err(e) => Err(ApiError::Internal(e.body_text())),
        }
    }
}

/// A request's query string (axum's `Query`, answering a malformed one in our error shape
/// instead of plain text: `?region=abc` is a 400 `invalid_query`).
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(ApiError::BadRequest(
                "invalid_query",
                Label::new(
                    "پارامترهای نشانی درخواست معتبر نیست",
                    format!("the query string is not valid: {}", e.body_text()),
                ),
            )),
        }
    }
}

/// A CSV body (`Content-Type: text/csv`), as UTF-8 text.
pub struct CsvBody(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_csv = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv"));
        if !is_csv {
            return Err(ApiError::UnsupportedMediaType(Label::new(
                "بدنه درخواست باید CSV باشد (Content-Type: text/csv)",
                "the body must be CSV (Content-Type: text/csv)",
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        String::from_utf8(bytes.to_vec()).map(CsvBody).map_err(|_| {
            ApiError::BadRequest(
                "invalid_body",
                Label::new("فایل باید UTF-8 باشد", "the CSV must be UTF-8 text"),
            )
        })
    }
}

/// The signed-in user, from `Authorization: Bearer <token>`.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already signed in by a middleware (idempotent writes) for this request.
        if let Some(me) = parts.extensions.get::<CurrentUser>() {
            return Ok(me.clone());
        }
        let missing = || {
            ApiError::Unauthorized(Label::new(
                "ابتدا وارد شوید (سرآیند Authorization: Bearer)",
                "sign in first: send `Authorization: Bearer <token>`",
            ))
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(missing)?;
        let hash = crate::accounts::token_hash(token.trim());
        let now = state.clock.now().as_millisecond();
        match state.store.session(&hash, now).await? {
            Some((_, user)) => Ok(CurrentUser {
                user,
                token_hash: hash,
            }),
            None => Err(ApiError::Unauthorized(Label::new(
                "نشست نامعتبر است یا به پایان رسیده؛ دوباره وارد شوید",
                "the session is invalid or has expired; sign in again",
            ))),
        }
    }
}

impl CurrentUser {
    /// Refuses unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        Ok(self.actor().require(roles)?)
    }

    /// The user as the actor of the application's commands.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user)
    }
}
