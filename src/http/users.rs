//! Staff accounts and API-client tokens, created by admins.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use crate::accounts;
use crate::domain::{Label, RegionId, Role};
use crate::rules::value::FieldError;
use crate::store::{StoreError, audit, users};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user))
        .routes(routes!(create_token))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserRequest {
    username: String,
    /// Required for every role but `api_client` (which signs in with tokens only).
    password: Option<String>,
    role: Role,
    /// Required for reviewers: the region (1–9) whose files they review.
    region: Option<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CreatedUser {
    username: String,
    role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<u8>,
}

/// Creates a reviewer, regulator, admin or API-client account (offices come from the import).
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = NewUserRequest, security(("bearer" = [])),
    responses((status = 201, body = CreatedUser), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, axum::Json<CreatedUser>), ApiError> {
    me.require(&[Role::Admin])?;
    let mut errors = Vec::new();
    let username = req.username.trim().to_string();
    if !(3..=64).contains(&username.chars().count())
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        errors.push(FieldError::new(
            "username",
            "نام کاربری ۳ تا ۶۴ نویسه لاتین است",
            "a username has 3 to 64 Latin letters, digits or . _ - @",
        ));
    }
    if req.role == Role::Office {
        errors.push(FieldError::new(
            "role",
            "حساب دفاتر با ورود فهرست دفاتر ساخته می‌شود",
            "office accounts are created by importing offices",
        ));
    }
    let region = match (req.role, req.region) {
        (Role::Reviewer, None) => {
            errors.push(FieldError::new(
                "region",
                "کارشناس منطقه باید منطقه داشته باشد",
                "a reviewer needs a region (1–9)",
            ));
            None
        }
        (_, Some(r)) => match RegionId::new(r as i64) {
            Ok(r) => Some(r.get()),
            Err(e) => {
                errors.push(FieldError::new(
                    "region",
                    "منطقه از ۱ تا ۹ است",
                    e.to_string(),
                ));
                None
            }
        },
        _ => None,
    };
    let hash = match (&req.password, req.role) {
        (None, Role::ApiClient) => None,
        (None, _) => {
            errors.push(FieldError::new(
                "password",
                "گذرواژه لازم است",
                "a password is required",
            ));
            None
        }
        (Some(p), _) => {
            if let Some((fa, en)) = accounts::password_problem(p, &username, None) {
                errors.push(FieldError::new("password", fa, en));
            }
            Some(p.clone())
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Fields(errors));
    }
    let hash = match hash {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || accounts::hash_password(&p))
                .await
                .map_err(ApiError::internal)?,
        ),
        None => None,
    };
    let now = state.clock.now().as_millisecond();
    let mut tx = state.store.pool.begin().await.map_err(StoreError::from)?;
    let new = users::NewUser {
        username: &username,
        password_hash: hash.as_deref(),
        role: req.role,
        office_id: None,
        region,
        national_code: None,
    };
    users::insert_user(&mut tx, &new, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::Conflict(Label::new(
                "این نام کاربری قبلاً گرفته شده است",
                format!("the username `{username}` is taken"),
            )),
            other => other.into(),
        })?;
    let after = serde_json::json!({"role": req.role, "region": region});
    audit::record(
        &mut tx,
        now,
        &me.actor(),
        "account_created",
        &format!("user:{username}"),
        None,
        Some(&after),
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedUser {
            username,
            role: req.role,
            region,
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    token: String,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    expires_at: jiff::Timestamp,
}

/// Issues a long-lived token for an API client.
#[utoipa::path(post, path = "/v1/users/{username}/tokens", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path, description = "an api_client account")),
    responses((status = 201, body = TokenResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(username): Path<String>,
) -> Result<(StatusCode, axum::Json<TokenResponse>), ApiError> {
    me.require(&[Role::Admin])?;
    let user = state
        .store
        .user_by_username(&username)
        .await?
        .ok_or_else(|| ApiError::not_found("کاربر", "the user"))?;
    if user.role != Role::ApiClient {
        return Err(ApiError::State(Label::new(
            "توکن فقط برای حساب‌های api_client صادر می‌شود",
            "tokens are issued to api_client accounts only",
        )));
    }
    let now = state.clock.now().as_millisecond();
    let expires = now + accounts::API_TOKEN_DAYS * 86_400_000;
    let (token, hash) = accounts::new_token();
    let mut tx = state.store.pool.begin().await.map_err(StoreError::from)?;
    users::insert_session(&mut tx, &hash, user.id, "api", now, expires).await?;
    audit::record(
        &mut tx,
        now,
        &me.actor(),
        "api_token_issued",
        &format!("user:{username}"),
        None,
        None,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenResponse {
            token,
            expires_at: crate::store::from_millis(expires),
        }),
    ))
}
