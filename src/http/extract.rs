//! Extractors that answer in our error shape: JSON bodies, CSV bodies and the signed-in user.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::domain::{Label, Role};
use crate::store::users::User;

/// A JSON body; malformed, oversized or wrongly typed bodies get our error shape.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::UnsupportedMediaType(Label::new(
                    "بدنه درخواست باید JSON باشد (Content-Type: application/json)",
                    "the body must be JSON (Content-Type: application/json)",
                )))
            }
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
            Err(JsonRejection::BytesRejection(b)) => Err(bytes_rejection(b)),
            Err(other) => Err(ApiError::BadRequest(
                "invalid_body",
                Label::new("بدنه درخواست خوانده نشد", other.body_text()),
            )),
        }
    }
}

pub(super) fn bytes_rejection(b: BytesRejection) -> ApiError {
    if b.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::BadRequest(
            "invalid_body",
            Label::new("بدنه درخواست خوانده نشد", b.body_text()),
        )
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
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "شما اجازه این کار را ندارید",
                &format!(
                    "a {} may not do this (allowed: {})",
                    self.user.role.as_str(),
                    roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }

    /// A label for the audit log.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.user.role.as_str(), self.user.username)
    }
}
