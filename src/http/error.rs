//! Every error the API returns, in one JSON shape, mapped to HTTP status in one place.
//!
//! ```json
//! {"error": {"code": "invalid_fields", "message": {"fa": "…", "en": "…"},
//!            "details": [{"field": "area_m2", "message": {"fa": "…", "en": "…"}}]}}
//! ```
//! Client errors carry field-level details; internal errors are logged in full and answered with
//! an opaque 500.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::Label;
use crate::domain::digits::to_persian_digits;
use crate::rules::Diagnostic;
use crate::rules::value::FieldError;
use crate::store::StoreError;
use crate::workflow::{Window, WorkflowError};

/// The body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `invalid_fields`, `outside_window`, `locked`.
    pub code: &'static str,
    pub message: Label,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub details: Vec<FieldError>,
    /// For `outside_window`: the phase's window (Jalali and ISO).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub window: Option<serde_json::Value>,
    /// For rule-set problems: every diagnostic with file, line and column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<Diagnostic>,
    /// For `locked`: seconds until the next attempt is allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
}

/// An API error.
#[derive(Debug)]
pub enum ApiError {
    /// 400: the request itself is malformed.
    BadRequest(&'static str, Label),
    /// 401.
    Unauthorized(Label),
    /// 401 with how many attempts remain, or 429 when locked.
    LoginFailed {
        attempts_left: i64,
    },
    Locked {
        retry_after_seconds: i64,
    },
    /// 429: too many attempts, or too much work in hand; try again after the delay.
    TooManyRequests {
        code: &'static str,
        message: Label,
        retry_after_seconds: i64,
    },
    /// 403.
    Forbidden(Label),
    /// 404.
    NotFound(Label),
    /// 405.
    MethodNotAllowed,
    /// 409.
    Conflict(Label),
    /// 413.
    TooLarge,
    /// 415.
    UnsupportedMediaType(Label),
    /// 422: per-field problems.
    Fields(Vec<FieldError>),
    /// 422: a phase that is closed now.
    OutsideWindow(Box<Window>),
    /// 422: not possible in the current state.
    State(Label),
    /// 422: a rule set with problems.
    Rules(Vec<Diagnostic>),
    /// 422: an `Idempotency-Key` already used for another request (this route and method).
    IdempotencyKeyReused {
        route: String,
    },
    /// 409: a request with the same `Idempotency-Key` is still being answered.
    IdempotencyKeyInProgress,
    /// 500: logged, never shown.
    Internal(String),
}

impl ApiError {
    pub fn not_found(what_fa: &str, what_en: &str) -> Self {
        ApiError::NotFound(Label::new(
            format!("{what_fa} پیدا نشد"),
            format!("{what_en} was not found"),
        ))
    }

    pub fn forbidden(fa: &str, en: &str) -> Self {
        ApiError::Forbidden(Label::new(fa, en))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ApiError::Conflict(Label::new(
                "این تغییر با تغییر دیگری هم‌زمان شد؛ دوباره بارگیری و تلاش کنید",
                m,
            )),
            StoreError::NotFound(m) => ApiError::NotFound(Label::new("پیدا نشد", m)),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::OutsideWindow(w) => ApiError::OutsideWindow(w),
            WorkflowError::Fields(f) => ApiError::Fields(f),
            WorkflowError::State(l) => ApiError::State(l),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut detail = ErrorDetail {
            code: "",
            message: Label::default(),
            details: Vec::new(),
            window: None,
            diagnostics: Vec::new(),
            retry_after_seconds: None,
        };
        let status = match self {
            ApiError::BadRequest(code, m) => {
                detail.code = code;
                detail.message = m;
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthorized(m) => {
                detail.code = "unauthorized";
                detail.message = m;
                StatusCode::UNAUTHORIZED
            }
            ApiError::LoginFailed { attempts_left } => {
                detail.code = "login_failed";
                detail.message = Label::new(
                    format!(
                        "نام کاربری یا گذرواژه نادرست است؛ {} بار دیگر می‌توانید تلاش کنید",
                        to_persian_digits(&attempts_left.to_string())
                    ),
                    format!(
                        "wrong username or password; {attempts_left} attempt(s) left before the account is locked"
                    ),
                );
                StatusCode::UNAUTHORIZED
            }
            ApiError::Locked {
                retry_after_seconds,
            } => {
                detail.code = "locked";
                let minutes = (retry_after_seconds + 59) / 60;
                detail.message = Label::new(
                    format!(
                        "به دلیل تلاش‌های ناموفق، حساب تا {} دقیقه دیگر قفل است",
                        to_persian_digits(&minutes.to_string())
                    ),
                    format!(
                        "too many failed logins: the account is locked for {minutes} more minute(s)"
                    ),
                );
                detail.retry_after_seconds = Some(retry_after_seconds);
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::TooManyRequests {
                code,
                message,
                retry_after_seconds,
            } => {
                detail.code = code;
                detail.message = message;
                detail.retry_after_seconds = Some(retry_after_seconds);
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Forbidden(m) => {
                detail.code = "forbidden";
                detail.message = m;
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound(m) => {
                detail.code = "not_found";
                detail.message = m;
                StatusCode::NOT_FOUND
            }
            ApiError::MethodNotAllowed => {
                detail.code = "method_not_allowed";
                detail.message = Label::new(
                    "این روش برای این نشانی پشتیبانی نمی‌شود",
                    "this method is not allowed on this path",
                );
                StatusCode::METHOD_NOT_ALLOWED
            }
            ApiError::Conflict(m) => {
                detail.code = "conflict";
                detail.message = m;
                StatusCode::CONFLICT
            }
            ApiError::TooLarge => {
                detail.code = "body_too_large";
                detail.message = Label::new(
                    "حجم درخواست بیش از حد مجاز است",
                    "the request body is larger than allowed",
                );
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::UnsupportedMediaType(m) => {
                detail.code = "unsupported_media_type";
                detail.message = m;
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            ApiError::Fields(f) => {
                detail.code = "invalid_fields";
                detail.message = Label::new(
                    format!("{} مورد از اطلاعات ارسالی معتبر نیست", f.len()),
                    format!("{} field(s) are not valid", f.len()),
                );
                detail.details = f;
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::OutsideWindow(w) => {
                detail.code = "outside_window";
                let d = w.describe();
                detail.message = Label::new(
                    format!("این کار اکنون ممکن نیست: {}", d.fa),
                    format!("not possible now: {}", d.en),
                );
                detail.window = Some(w.view());
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::State(m) => {
                detail.code = "invalid_state";
                detail.message = m;
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Rules(d) => {
                detail.code = "invalid_rules";
                detail.message = Label::new(
                    format!("مجموعه قواعد {} ایراد دارد", d.len()),
                    format!("the rule set has {} problem(s)", d.len()),
                );
                detail.diagnostics = d;
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::IdempotencyKeyReused { route } => {
                detail.code = "idempotency_key_reused";
                detail.message = Label::new(
                    "این کلید Idempotency-Key پیش‌تر برای درخواست دیگری به کار رفته است؛ برای هر درخواست تازه کلیدی تازه بفرستید",
                    format!(
                        "this Idempotency-Key was already used for a different request (first sent to `{route}`); send a new key with each new request"
                    ),
                );
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::IdempotencyKeyInProgress => {
                detail.code = "idempotency_key_in_progress";
                detail.message = Label::new(
                    "درخواست دیگری با همین کلید Idempotency-Key هنوز در جریان است؛ کمی بعد همان درخواست را دوباره بفرستید",
                    "another request with this Idempotency-Key is still being answered; send the same request again shortly",
                );
                StatusCode::CONFLICT
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                detail.code = "internal";
                detail.message = Label::new(
                    "خطای داخلی؛ دوباره تلاش کنید",
                    "internal error; please try again",
                );
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let retry = detail.retry_after_seconds;
        let mut response = (status, axum::Json(ErrorBody { error: detail })).into_response();
        if let Some(s) = retry
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
