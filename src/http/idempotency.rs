//! `Idempotency-Key` on the round's writes (declaration saves and submissions, region values,
//! referrals, objections and their decisions). A client whose answer was lost sends the request
//! again with the same key and gets the original answer, marked `Idempotent-Replayed: true`,
//! instead of a second write or a 409.
//!
//! [`middleware`], on those routes, parses the key, replays a stored answer or refuses a key used
//! for another request, and otherwise hands the handler the request's [`Idempotency`]. The
//! handler passes its claim to the application's command, whose transaction claims the key first;
//! [`reply`] stores the answer with the write, so a commit implies the stored answer and a
//! rollback stores neither. Two concurrent requests with one key: the second one's claim waits
//! for the first transaction, fails on the key's primary key, and that request answers with the
//! first one's answer.

use axum::body::{Body, Bytes};
use axum::extract::{Extension, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;
use super::extract::{CurrentUser, bytes_rejection};
use crate::app::{Claim, Written};
use crate::domain::Label;
use crate::domain::records::{KeyedRequest, StoredAnswer};

/// The request header that carries the client's key.
pub const KEY_HEADER: HeaderName = HeaderName::from_static("idempotency-key");
/// The response header that marks a replayed answer.
pub const REPLAYED_HEADER: HeaderName = HeaderName::from_static("idempotent-replayed");
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A client's key: 1 to 255 visible ASCII characters (no spaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a header value, refusing an empty, overlong or non-visible-ASCII key.
    pub fn parse(raw: &[u8]) -> Result<Self, ApiError> {
        if raw.is_empty() || raw.len() > MAX_KEY_LEN || !raw.iter().all(u8::is_ascii_graphic) {
            return Err(ApiError::BadRequest(
                "invalid_idempotency_key",
                Label::new(
                    crate::domain::digits::to_persian_digits(&format!(
                        "سرآیند «Idempotency-Key» باید ۱ تا {MAX_KEY_LEN} نویسهٔ لاتین دیدنی و بی‌فاصله باشد (این یکی {} بایت دارد)",
                        raw.len()
                    )),
                    format!(
                        "the Idempotency-Key header must be 1 to {MAX_KEY_LEN} visible ASCII characters \
                         without spaces (this one has {})",
                        crate::domain::label::count(raw.len() as u64, "byte", "bytes")
                    ),
                ),
            ));
        }
        Ok(IdempotencyKey(
            String::from_utf8(raw.to_vec()).expect("visible ASCII is UTF-8"),
        ))
    }
}

/// The keyed request of a write, if the client sent a key (put there by [`middleware`]).
#[derive(Clone, Debug, Default)]
pub struct Idempotency(Option<KeyedRequest>);

impl Idempotency {
    /// The claim the write's command takes on the key, in its own transaction.
    pub fn claim(self) -> Claim {
        Claim(self.0)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Idempotency {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Idempotency>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Route middleware for idempotent writes (see the module documentation). Safe methods and
/// requests without a key pass through untouched.
pub async fn middleware(
    Extension(state): Extension<AppState>,
    req: Request,
    next: Next,
) -> Response {
    match keyed(state, req, next).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn keyed(state: AppState, req: Request, next: Next) -> Result<Response, ApiError> {
    let Some(raw) = req
        .headers()
        .get(KEY_HEADER)
        .filter(|_| !req.method().is_safe())
    else {
        return Ok(next.run(req).await);
    };
    let key = IdempotencyKey::parse(raw.as_bytes())?;
    let (mut parts, body) = req.into_parts();
    let me = CurrentUser::from_request_parts(&mut parts, &state).await?;
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), &state)
        .await
        .map_err(bytes_rejection)?;
    let request = KeyedRequest {
        user_id: me.user.id,
        key: key.0,
        route: format!("{} {}", parts.method, parts.uri.path()),
        request_hash: hex::encode(Sha256::digest(&bytes)),
    };
    if let Some(answer) = stored(&state, &request).await? {
        return replay(&request, answer);
    }
    parts.extensions.insert(me);
    parts.extensions.insert(Idempotency(Some(request.clone())));
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if response.status().is_success() {
        return Ok(response);
    }
    // A concurrent request with this key may have written first (this one then failed on the
    // claim, or on the state that request left): its answer is the key's answer.
    match stored(&state, &request).await? {
        Some(answer) => replay(&request, answer),
        None => Ok(response),
    }
}

async fn stored(state: &AppState, r: &KeyedRequest) -> Result<Option<StoredAnswer>, ApiError> {
    Ok(crate::app::stored_answer(state, r).await?)
}

fn replay(request: &KeyedRequest, answer: StoredAnswer) -> Result<Response, ApiError> {
    if answer.route != request.route || answer.request_hash != request.request_hash {
        return Err(ApiError::IdempotencyKeyReused {
            route: answer.route,
        });
    }
    let status = StatusCode::from_u16(answer.status)
        .ok()
        .filter(|s| s.is_success())
        .ok_or(ApiError::IdempotencyKeyInProgress)?;
    let mut response = json_response(status, answer.body);
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A write's answer: its status and JSON body, exactly as stored for replays.
#[derive(Debug)]
pub struct Answer {
    status: StatusCode,
    body: String,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        json_response(self.status, self.body)
    }
}

/// Commits a command's writes with the answer `body(value)` under `status`, stored with them for a
/// retry with the same key, and gives that answer.
pub async fn reply<T, B: serde::Serialize>(
    written: Written<T>,
    status: StatusCode,
    body: impl FnOnce(&T) -> B,
) -> Result<Answer, ApiError> {
    let body = serde_json::to_string(&body(written.value())).map_err(ApiError::internal)?;
    written.commit_answering(status.as_u16(), &body).await?;
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &[u8]) -> bool {
        matches!(
            IdempotencyKey::parse(raw),
            Err(ApiError::BadRequest("invalid_idempotency_key", _))
        )
    }

    #[test]
    fn a_key_of_visible_ascii_up_to_255_characters_is_accepted_as_sent() {
        let long = "k".repeat(MAX_KEY_LEN);
        for raw in [
            "a",
            "0f8e2c1a-6a1b-4c1e-9d2f-3b5a7c9e1d20",
            "x!~{}",
            long.as_str(),
        ] {
            assert_eq!(IdempotencyKey::parse(raw.as_bytes()).unwrap().0, raw);
        }
    }

    #[test]
    fn an_empty_overlong_spaced_or_non_ascii_key_is_refused() {
        assert!(refused(b""));
        assert!(refused("k".repeat(MAX_KEY_LEN + 1).as_bytes()));
        assert!(refused(b"two words"));
        assert!(refused(b"tab\there"));
        assert!(refused("کلید".as_bytes()));
        assert!(refused(b"bell\x07"));
    }
}
