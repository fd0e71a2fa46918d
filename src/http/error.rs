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

use crate::app::{AppError, StorageFailure};
use crate::domain::digits::{to_persian_count, to_persian_digits, to_persian_duration};
use crate::domain::label::count;
use crate::domain::{CorruptRecord, Label, quoted};
use crate::rules::Diagnostic;
use crate::rules::budget::{Stop, Stopped};
use crate::rules::value::FieldError;
use crate::workflow::calendar::PhaseWindow;
use crate::workflow::{Window, WorkflowError};

/// The body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error: a stable code, a message in Persian and English, and for some codes what exactly
/// went wrong.
///
/// | code | carries |
/// |---|---|
/// | `invalid_fields` | `details`: one per field of the request (`values.area_m2`, `set`, …) |
/// | `invalid_rows` | `details`: one per row and column of an uploaded file (`rows[3].national_code`) |
/// | `evaluation_limit`, `evaluation_timeout`, `shutting_down` | `details`: the office and criterion whose script was stopped (`P-THR-000001.location`), when known |
/// | `invalid_rules` | `diagnostics`: each problem of the rule files, with file, line, column and hint |
/// | `outside_window` | `window`: the phase's window, which is closed now |
/// | `locked`, `too_many_attempts`, `busy`, `too_many_simulations`, `too_many_connections` | `retry_after_seconds` (also sent as `Retry-After`) |
/// | any code with `details` or `diagnostics` | `omitted`, when more than fifty were found |
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable code, e.g. `invalid_fields`, `outside_window`, `locked`.
    #[schema(example = "invalid_fields")]
    pub code: &'static str,
    /// What went wrong, in Persian and English.
    pub message: Label,
    /// For `invalid_fields`, `invalid_rows` and a stopped evaluation: each field (or row and
    /// column, or office and criterion) with its own message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// For `outside_window`: the phase's window (Jalali and ISO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<PhaseWindow>,
    /// For `invalid_rules`: every diagnostic with file, line and column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<super::body::rules::Diagnostic>,
    /// For `locked`, `too_many_attempts`, `busy`, `too_many_simulations` and
    /// `too_many_connections`: seconds until trying again makes sense.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 600)]
    pub retry_after_seconds: Option<i64>,
    /// How many details and diagnostics were left out: an answer lists at most fifty of each.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 12)]
    pub omitted: Option<usize>,
}

/// The most details (and, separately, diagnostics) one error answer lists. A hostile request can
/// have hundreds of thousands of problems; the answer stays small and says how many it left out.
pub const MAX_DETAILS: usize = 50;

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
    /// 422: problems in the rows of an uploaded file (`rows[N].column`); nothing was written.
    Rows(Vec<FieldError>),
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
    /// 408: the request body did not arrive within the body timeout.
    BodyTimeout(std::time::Duration),
    /// 503: the server holds as many connections as it may.
    TooManyConnections,
    /// 400, 414 or 431: a request that could not be read as HTTP at all (a malformed request
    /// line or header, a target or head too large); the connection is closed after the answer.
    UnreadableRequest(u16),
    /// 500: a stored row that cannot be read; logged in full, the client is told which row.
    CorruptRow {
        table: &'static str,
        row: String,
        problem: String,
    },
    /// 422 (a script's limit, or the request's time budget) or 503 (the server is stopping):
    /// evaluations of rule scripts were stopped; names the office and criterion when known.
    Stopped {
        stopped: Stopped,
        office: Option<String>,
        criterion: Option<String>,
    },
    /// 503 with `Retry-After`: as many simulations as allowed are running.
    Busy {
        running: usize,
        retry_after_seconds: i64,
    },
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

impl From<CorruptRecord> for ApiError {
    fn from(e: CorruptRecord) -> Self {
        ApiError::CorruptRow {
            table: e.table,
            row: e.row,
            problem: e.problem,
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

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BadRequest(code, l) => ApiError::BadRequest(code, l),
            AppError::Forbidden(l) => ApiError::Forbidden(l),
            AppError::NotFound(l) => ApiError::NotFound(l),
            AppError::Conflict(l) => ApiError::Conflict(l),
            AppError::Refused(w) => w.into(),
            AppError::KeyInProgress => ApiError::IdempotencyKeyInProgress,
            AppError::Rules(d) => ApiError::Rules(d),
            AppError::Stopped {
                stopped,
                office,
                criterion,
            } => ApiError::Stopped {
                stopped,
                office,
                criterion,
            },
            AppError::Busy {
                running,
                retry_after_seconds,
            } => ApiError::Busy {
                running,
                retry_after_seconds,
            },
            AppError::Store(StorageFailure::Corrupt(c)) => c.into(),
            AppError::Store(StorageFailure::Database(m)) => ApiError::Internal(m),
            AppError::Internal(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, detail) = self.into_parts();
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

impl ApiError {
    /// The status and body of the answer (internal errors are logged here), with details capped.
    // Long on purpose: one arm per error, the one place an error becomes an HTTP answer; split up,
    // the texts of related errors would drift apart.
    fn into_parts(self) -> (StatusCode, ErrorDetail) {
        let mut detail = ErrorDetail {
            code: "",
            message: Label::default(),
            details: Vec::new(),
            window: None,
            diagnostics: Vec::new(),
            retry_after_seconds: None,
            omitted: None,
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
                        "wrong username or password; {} left before the account is locked",
                        count(attempts_left.max(0) as u64, "attempt", "attempts")
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
                        "too many failed logins: the account is locked for {minutes} more {}",
                        if minutes == 1 { "minute" } else { "minutes" }
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
                    format!(
                        "{} مورد از اطلاعات ارسالی معتبر نیست",
                        to_persian_digits(&f.len().to_string())
                    ),
                    if f.len() == 1 {
                        "1 field is not valid".to_string()
                    } else {
                        format!("{} fields are not valid", f.len())
                    },
                );
                detail.details = f;
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Rows(f) => {
                detail.code = "invalid_rows";
                detail.message = Label::new(
                    format!(
                        "{} ایراد در فایل؛ هیچ ردیفی ثبت نشد",
                        to_persian_count(f.len() as u64)
                    ),
                    format!(
                        "{} in the file; nothing was imported",
                        count(f.len() as u64, "problem", "problems")
                    ),
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
                detail.window = Some(w.body());
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
                    format!(
                        "مجموعه قواعد {} ایراد دارد",
                        to_persian_digits(&d.len().to_string())
                    ),
                    format!(
                        "the rule set has {}",
                        count(d.len() as u64, "problem", "problems")
                    ),
                );
                detail.diagnostics = d.iter().map(Into::into).collect();
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::IdempotencyKeyReused { route } => {
                detail.code = "idempotency_key_reused";
                detail.message = Label::new(
                    format!(
                        "این کلید {} پیش‌تر برای درخواست دیگری به کار رفته است (نخست به {} فرستاده شد)؛ برای هر درخواست تازه کلیدی تازه بفرستید",
                        quoted("Idempotency-Key"),
                        quoted(&route)
                    ),
                    format!(
                        "this Idempotency-Key was already used for a different request (first sent to `{route}`); send a new key with each new request"
                    ),
                );
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::IdempotencyKeyInProgress => {
                detail.code = "idempotency_key_in_progress";
                detail.message = Label::new(
                    format!(
                        "درخواست دیگری با همین کلید {} هنوز در جریان است؛ کمی بعد همان درخواست را دوباره بفرستید",
                        quoted("Idempotency-Key")
                    ),
                    "another request with this Idempotency-Key is still being answered; send the same request again shortly",
                );
                StatusCode::CONFLICT
            }
            ApiError::BodyTimeout(limit) => {
                detail.code = "body_timeout";
                let seconds = limit.as_secs_f64();
                detail.message = Label::new(
                    format!(
                        "بدنه درخواست در {} به‌طور کامل نرسید",
                        to_persian_duration(limit)
                    ),
                    format!("the request body did not arrive in full within {seconds} s"),
                );
                StatusCode::REQUEST_TIMEOUT
            }
            ApiError::TooManyConnections => {
                detail.code = "too_many_connections";
                detail.message = Label::new(
                    "کارساز اکنون بیش از اندازه اتصال باز دارد؛ کمی بعد دوباره تلاش کنید",
                    "the server has as many open connections as it allows; try again shortly",
                );
                detail.retry_after_seconds = Some(1);
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::UnreadableRequest(status) => {
                let (code, fa, en, status) = match status {
                    431 => (
                        "headers_too_large",
                        "سرآیندهای درخواست بیش از اندازه بزرگ است",
                        "the request's headers are too large",
                        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    ),
                    414 => (
                        "uri_too_long",
                        "نشانی درخواست بیش از اندازه بلند است",
                        "the request's target (its URL) is too long",
                        StatusCode::URI_TOO_LONG,
                    ),
                    _ => (
                        "malformed_request",
                        "درخواست خوانا نیست: خط درخواست یا یکی از سرآیندهای آن نادرست است",
                        "the request cannot be read as HTTP: its request line or a header is malformed",
                        StatusCode::BAD_REQUEST,
                    ),
                };
                detail.code = code;
                detail.message = Label::new(fa, en);
                status
            }
            ApiError::CorruptRow {
                table,
                row,
                problem,
            } => {
                tracing::error!(table, row = %row, problem = %problem, "corrupt stored row: {table} row {row}: {problem}");
                detail.code = "corrupt_row";
                detail.message = Label::new(
                    format!(
                        "یکی از سوابق ذخیره‌شده آسیب دیده است و خوانده نمی‌شود (ردیف {} از جدول {})؛ این خطا ثبت شد، لطفاً به پشتیبانی سامانه اطلاع دهید",
                        quoted(&row),
                        quoted(table)
                    ),
                    format!(
                        "a stored record is damaged and cannot be read ({table} row {row}); this was logged, please tell the system's support"
                    ),
                );
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Stopped {
                stopped,
                office,
                criterion,
            } => {
                let (code, message) = crate::app::simulation::describe_stop(
                    &stopped,
                    office.as_deref(),
                    criterion.as_deref(),
                );
                detail.code = code;
                detail.message = message;
                if let (Some(office), Some(criterion)) = (office, criterion) {
                    detail.details = vec![FieldError::new(
                        &format!("{office}.{criterion}"),
                        stopped.stop.persian(),
                        stopped.stop.to_string(),
                    )];
                }
                match stopped.stop {
                    Stop::Cancelled | Stop::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                }
            }
            ApiError::Busy {
                running,
                retry_after_seconds,
            } => {
                detail.code = "too_many_simulations";
                detail.message = crate::app::simulation::describe_busy(running);
                detail.retry_after_seconds = Some(retry_after_seconds);
                StatusCode::SERVICE_UNAVAILABLE
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
        let mut omitted = 0;
        if detail.details.len() > MAX_DETAILS {
            let more = detail.details.len() - MAX_DETAILS;
            detail.details.truncate(MAX_DETAILS);
            detail.details.push(FieldError::new(
                "…",
                format!("و {} مورد دیگر", to_persian_digits(&more.to_string())),
                format!("and {more} more"),
            ));
            omitted += more;
        }
        if detail.diagnostics.len() > MAX_DETAILS {
            omitted += detail.diagnostics.len() - MAX_DETAILS;
            detail.diagnostics.truncate(MAX_DETAILS);
        }
        detail.omitted = (omitted > 0).then_some(omitted);
        (status, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_lists_at_most_fifty_details_and_says_how_many_more_there_were() {
        let errors: Vec<FieldError> = (0..230)
            .map(|i| FieldError::new(&format!("f{i}"), "نامعتبر", "not valid"))
            .collect();
        let (status, detail) = ApiError::Fields(errors).into_parts();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(detail.details.len(), MAX_DETAILS + 1);
        assert_eq!(detail.details[MAX_DETAILS - 1].field, "f49");
        let last = &detail.details[MAX_DETAILS];
        assert_eq!(last.message.en, "and 180 more");
        assert_eq!(last.message.fa, "و ۱۸۰ مورد دیگر");
        assert_eq!(detail.omitted, Some(180));
        assert_eq!(detail.message.en, "230 fields are not valid");
        assert!(
            detail.message.fa.starts_with("۲۳۰ "),
            "{}",
            detail.message.fa
        );
    }

    #[test]
    fn a_short_list_of_details_is_answered_whole_without_a_count() {
        let errors = vec![FieldError::new("area_m2", "نامعتبر", "not valid")];
        let (_, detail) = ApiError::Fields(errors).into_parts();
        assert_eq!(detail.details.len(), 1);
        assert_eq!(detail.omitted, None);
        assert!(
            !serde_json::to_string(&ErrorBody { error: detail })
                .unwrap()
                .contains("omitted")
        );
    }

    #[test]
    fn a_corrupt_row_is_a_500_that_names_the_row_but_not_the_problem() {
        // As a handler meets it: the store's error, through the application's.
        let e = ApiError::from(AppError::from(crate::store::StoreError::Corrupt {
            table: "declarations",
            row: "1400-2/P-0001".into(),
            problem: "status `fild` is not a status".into(),
        }));
        let (status, detail) = e.into_parts();
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(detail.code, "corrupt_row");
        assert!(detail.message.en.contains("declarations row 1400-2/P-0001"));
        assert!(!detail.message.en.contains("fild"));
        assert_eq!(crate::domain::persian_problem(&detail.message.fa), None);
        assert!(
            detail.message.fa.contains("«1400-2/P-0001»"),
            "{}",
            detail.message.fa
        );
        assert!(!detail.message.fa.contains("fild"));
    }

    /// One of each kind of answer, with representative arguments (counts, office ids, rounds,
    /// durations), plus the errors the store and the workflow give that are mapped here. The
    /// `match` below has no wildcard: a new variant does not compile until it is listed here.
    fn one_of_every_error() -> Vec<ApiError> {
        use crate::workflow::Phase;
        let rs = crate::rules::load_round(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"),
        )
        .unwrap();
        let stopped = |stop| Stopped {
            stop,
            program: Some("script location_points".into()),
        };
        let mut all = vec![
            ApiError::BadRequest(
                "invalid_query",
                Label::new(
                    "پارامترهای نشانی درخواست معتبر نیست",
                    "the query string is not valid",
                ),
            ),
            ApiError::Unauthorized(Label::new("ابتدا وارد شوید", "sign in first")),
            ApiError::LoginFailed { attempts_left: 3 },
            ApiError::Locked {
                retry_after_seconds: 840,
            },
            ApiError::TooManyRequests {
                code: "busy",
                message: Label::new("سامانه سرش شلوغ است", "the server is busy"),
                retry_after_seconds: 1,
            },
            ApiError::forbidden("شما اجازه این کار را ندارید", "you may not do this"),
            ApiError::not_found("دفتر", "the office"),
            ApiError::MethodNotAllowed,
            ApiError::Conflict(Label::new("هم‌زمان تغییر کرد", "changed meanwhile")),
            ApiError::TooLarge,
            ApiError::UnsupportedMediaType(Label::new("«JSON» بفرستید", "send JSON")),
            ApiError::Fields(
                (0..57)
                    .map(|i| FieldError::new(&format!("f{i}"), "نامعتبر", "not valid"))
                    .collect(),
            ),
            ApiError::Rows(vec![FieldError::new(
                "rows[12].region",
                "منطقه ۱۲ وجود ندارد",
                "region 12 does not exist",
            )]),
            ApiError::State(Label::new("ممکن نیست", "not possible")),
            ApiError::Rules(Vec::new()),
            ApiError::IdempotencyKeyReused {
                route: "/v1/rounds/1400-2/declaration".into(),
            },
            ApiError::IdempotencyKeyInProgress,
            ApiError::BodyTimeout(std::time::Duration::from_secs(60)),
            ApiError::TooManyConnections,
            ApiError::UnreadableRequest(400),
            ApiError::UnreadableRequest(414),
            ApiError::UnreadableRequest(431),
            ApiError::from(CorruptRecord {
                table: "declarations",
                row: "1400-2/P-THR-000030".into(),
                problem: "status `fild` is not a status".into(),
            }),
            ApiError::Busy {
                running: 4,
                retry_after_seconds: 5,
            },
            ApiError::Internal("disk full".into()),
        ];
        for phase in [
            Phase::SelfDeclaration,
            Phase::RegionalReview,
            Phase::Publication,
            Phase::Objection,
            Phase::Final,
        ] {
            all.push(ApiError::OutsideWindow(Box::new(Window::of(&rs, phase))));
            let early = crate::workflow::calendar::RoundCalendar::new(&rs, Default::default());
            if let Err(e) = early.require_open(phase, Window::of(&rs, phase).opens_at) {
                all.push(e.into());
            }
        }
        for stop in [
            Stop::Operations(200_000),
            Stop::EvaluationTime(std::time::Duration::from_secs(2)),
            Stop::Budget(std::time::Duration::from_secs(30)),
            Stop::Cancelled,
            Stop::ShuttingDown,
        ] {
            all.push(ApiError::Stopped {
                stopped: stopped(stop),
                office: Some("P-THR-000001".into()),
                criterion: Some("location".into()),
            });
            all.push(ApiError::Stopped {
                stopped: stopped(stop),
                office: None,
                criterion: None,
            });
        }
        all
    }

    /// The string literals of a Rust source file outside its `#[cfg(test)]` module, with their
    /// lines (comments, char literals and lifetimes skipped).
    fn string_literals(source: &str) -> Vec<(usize, String)> {
        let code = source.split("#[cfg(test)]").next().unwrap_or("");
        let chars: Vec<char> = code.chars().collect();
        let (mut i, mut line, mut out) = (0, 1, Vec::new());
        while i < chars.len() {
            match chars[i] {
                '\n' => line += 1,
                '/' if chars.get(i + 1) == Some(&'/') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                '\'' if chars.get(i + 1) == Some(&'\\') => {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                }
                '\'' if chars.get(i + 2) == Some(&'\'') => i += 2,
                '"' => {
                    let (start, mut text) = (line, String::new());
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        text.push(chars[i]);
                        i += 1;
                    }
                    out.push((start, text));
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.to_string_lossy().ends_with("_tests.rs")
                && path.file_name().is_none_or(|n| n != "tests.rs")
            {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_persian_text_written_in_the_source_is_wholly_persian() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        files.sort();
        // Not messages: HTML of the simulation report, and the API's English description.
        let not_messages = ["<span", "Every error has the shape"];
        let mut problems = Vec::new();
        let mut checked = 0;
        for file in &files {
            let source = std::fs::read_to_string(file).unwrap();
            for (line, text) in string_literals(&source) {
                let persian = text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
                if !persian || not_messages.iter().any(|n| text.contains(n)) {
                    continue;
                }
                checked += 1;
                let mut bare = String::new();
                let mut depth = 0;
                for c in text.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth > 0 => depth -= 1,
                        _ if depth == 0 => bare.push(c),
                        _ => {}
                    }
                }
                if let Some(p) = crate::domain::persian_problem(&bare) {
                    let file = file.strip_prefix(root).unwrap().display();
                    problems.push(format!("{file}:{line}: {p}: {text}"));
                }
            }
        }
        assert!(checked > 150, "only {checked} Persian texts found");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_error_the_api_can_answer_is_wholly_persian_and_states_the_english_facts() {
        let all = one_of_every_error();
        let mut seen = std::collections::BTreeSet::new();
        for e in all {
            seen.insert(match &e {
                ApiError::BadRequest(..) => 0,
                ApiError::Unauthorized(_) => 1,
                ApiError::LoginFailed { .. } => 2,
                ApiError::Locked { .. } => 3,
                ApiError::TooManyRequests { .. } => 4,
                ApiError::Forbidden(_) => 5,
                ApiError::NotFound(_) => 6,
                ApiError::MethodNotAllowed => 7,
                ApiError::Conflict(_) => 8,
                ApiError::TooLarge => 9,
                ApiError::UnsupportedMediaType(_) => 10,
                ApiError::Fields(_) => 11,
                ApiError::Rows(_) => 12,
                ApiError::OutsideWindow(_) => 13,
                ApiError::State(_) => 14,
                ApiError::Rules(_) => 15,
                ApiError::IdempotencyKeyReused { .. } => 16,
                ApiError::IdempotencyKeyInProgress => 17,
                ApiError::BodyTimeout(_) => 18,
                ApiError::TooManyConnections => 19,
                ApiError::CorruptRow { .. } => 20,
                ApiError::Stopped { .. } => 21,
                ApiError::Busy { .. } => 22,
                ApiError::Internal(_) => 23,
                ApiError::UnreadableRequest(_) => 24,
            });
            let (_, detail) = e.into_parts();
            let mut labels = vec![(detail.code.to_string(), detail.message)];
            labels.extend(
                detail
                    .details
                    .into_iter()
                    .map(|d| (format!("{}: {}", detail.code, d.field), d.message)),
            );
            for (at, label) in labels {
                assert_eq!(
                    crate::domain::persian_problem(&label.fa),
                    None,
                    "{at}: {}",
                    label.fa
                );
                assert_eq!(
                    crate::domain::label::numbers_differ(&label),
                    None,
                    "{at}: {} / {}",
                    label.fa,
                    label.en
                );
            }
        }
        assert_eq!(seen, (0..=24).collect(), "every variant is walked");
    }
}
