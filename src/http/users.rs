//! Staff accounts and API-client tokens, created by admins.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use crate::app::accounts::{self as app_accounts, NewAccount};
use crate::domain::Role;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user))
        .routes(routes!(create_token))
        .routes(routes!(reset_password))
        .routes(routes!(unlock_account))
        .routes(routes!(disable_account))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserRequest {
    /// The new account's username.
    #[schema(example = "reviewer2")]
    username: String,
    /// Required for every role but `api_client` (which signs in with tokens only).
    #[schema(example = "demo-reviewer-1400")]
    password: Option<String>,
    /// What the account may do.
    role: Role,
    /// Required for reviewers: the region (1–9) whose files they review.
    #[schema(example = 2)]
    region: Option<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CreatedUser {
    /// The account's username.
    #[schema(example = "reviewer2")]
    username: String,
    /// What the account may do.
    role: Role,
    /// A reviewer's region (1–9).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 2)]
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
    let account = NewAccount {
        username: req.username,
        password: req.password,
        role: req.role,
        region: req.region,
    };
    let created = app_accounts::create_user(&state, &me.actor(), account).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedUser {
            username: created.username.to_string(),
            role: created.role,
            region: created.region,
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; only its hash is stored.
    #[schema(example = "3f9a1c0b7d2e4a5f8b6c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f00")]
    token: String,
    /// When the token stops working.
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
    let (token, expires) = app_accounts::issue_token(&state, &me.actor(), &username).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenResponse {
            token,
            expires_at: crate::domain::from_millis(expires),
        }),
    ))
}

/// Puts an office holder's account back on the initial password, their national code: the lock
/// is cleared and every session ends. Other accounts are refused (422).
#[utoipa::path(post, path = "/v1/users/{username}/password-reset", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path, description = "an office holder's account")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    app_accounts::reset_to_national_code(&state, &me.actor(), &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unlocks an account locked after failed sign-ins; its failures are forgotten.
#[utoipa::path(post, path = "/v1/users/{username}/unlock", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path, description = "any active account")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unlock_account(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    app_accounts::unlock(&state, &me.actor(), &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Disables an account: it can no longer sign in, and its sessions and tokens end.
#[utoipa::path(post, path = "/v1/users/{username}/disable", tag = "users", security(("bearer" = [])),
    params(("username" = String, Path, description = "any active account but your own")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn disable_account(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    app_accounts::disable(&state, &me.actor(), &username).await?;
    Ok(StatusCode::NO_CONTENT)
}
