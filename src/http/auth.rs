//! Sign-in (national code as username and initial password), password change, sign-out, lockout.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser};
use crate::accounts::{self, LOCK_MINUTES, MAX_FAILED_LOGINS, SESSION_HOURS, SLOW_DOWN_AFTER};
use crate::domain::{Label, NationalCode, Role};
use crate::store::{audit, users};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(change_password))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    /// An office holder's first username is their national code (Persian digits accepted).
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    expires_at: jiff::Timestamp,
    user: Me,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Me {
    username: String,
    role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    office_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<u8>,
    /// True while the initial password (the national code) is in force: change it.
    initial_password: bool,
}

fn me_of(u: &users::User) -> Me {
    Me {
        username: u.username.clone(),
        role: u.role,
        office_id: u.office_id.clone(),
        region: u.region,
        initial_password: u.password_hash.is_none(),
    }
}

/// Usernames typed with Persian digits or as a formatted national code are normalized.
fn normalize_username(text: &str) -> String {
    match NationalCode::parse(text) {
        Ok(code) => code.as_str().to_string(),
        Err(_) => crate::domain::digits::to_ascii_digits(text.trim()),
    }
}

/// Signs in. Failed attempts are slowed down and, after five, lock the account for 15 minutes;
/// attempts per username and per client address are limited, and so is password hashing at once.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, ApiError> {
    let username = normalize_username(&req.username);
    state.logins.admit(peer.ip(), &username)?;
    let Some(user) = state.store.user_by_username(&username).await? else {
        // Same cost and answer as a wrong password, so usernames cannot be probed.
        let slot = state.logins.hash_slot().await?;
        slot.run(|| accounts::hash_password("timing equalizer"))
            .await?;
        return Err(ApiError::LoginFailed {
            attempts_left: MAX_FAILED_LOGINS - 1,
        });
    };
    // A stored hash takes a hashing slot; the initial password is a plain comparison.
    let slot = match user.password_hash {
        Some(_) => Some(state.logins.hash_slot().await?),
        None => None,
    };
    // The attempt is counted before the password is checked, so parallel guesses cannot all pass
    // the lockout: the sixth is refused unchecked.
    let now_ms = state.clock.now().as_millisecond();
    let (failed, locked_until) = match state
        .store
        .claim_login_attempt(user.id, MAX_FAILED_LOGINS, LOCK_MINUTES * 60_000, now_ms)
        .await?
    {
        users::LoginClaim::Locked { until } => {
            return Err(ApiError::Locked {
                retry_after_seconds: (until - now_ms + 999) / 1000,
            });
        }
        users::LoginClaim::Granted {
            failures,
            locked_until,
        } => (failures, locked_until),
    };
    let (password, hash, initial) = (
        req.password.clone(),
        user.password_hash.clone(),
        user.national_code.clone(),
    );
    let check = move || accounts::verify_password(&password, hash.as_deref(), initial.as_deref());
    let ok = match slot {
        Some(slot) => slot.run(check).await?,
        None => check(),
    };
    if !ok {
        if let Some(until) = locked_until {
            let mut tx = state
                .store
                .pool
                .begin()
                .await
                .map_err(crate::store::StoreError::from)?;
            audit::record(
                &mut tx,
                now_ms,
                &user.username,
                "account_locked",
                &format!("user:{}", user.username),
                None,
                None,
            )
            .await?;
            tx.commit().await.map_err(crate::store::StoreError::from)?;
            return Err(ApiError::Locked {
                retry_after_seconds: (until - now_ms) / 1000,
            });
        }
        if failed >= SLOW_DOWN_AFTER {
            tokio::time::sleep(std::time::Duration::from_millis(
                250 * (failed - SLOW_DOWN_AFTER + 1) as u64,
            ))
            .await;
        }
        return Err(ApiError::LoginFailed {
            attempts_left: MAX_FAILED_LOGINS - failed,
        });
    }
    let (token, token_hash) = accounts::new_token();
    let expires = now_ms + SESSION_HOURS * 3_600_000;
    let mut tx = state
        .store
        .pool
        .begin()
        .await
        .map_err(crate::store::StoreError::from)?;
    users::reset_failures(&mut tx, user.id, now_ms).await?;
    users::insert_session(&mut tx, &token_hash, user.id, "session", now_ms, expires).await?;
    audit::record(
        &mut tx,
        now_ms,
        &user.username,
        "login",
        &format!("user:{}", user.username),
        None,
        None,
    )
    .await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(axum::Json(LoginResponse {
        token,
        expires_at: crate::store::from_millis(expires),
        user: me_of(&user),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
    /// Optional new username; the old one stops working.
    new_username: Option<String>,
}

/// Changes the password (and optionally the username); other sessions are signed out.
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth", request_body = PasswordChange, security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(req): ApiJson<PasswordChange>,
) -> Result<axum::Json<Me>, ApiError> {
    let user = &me.user;
    let (current, hash, initial) = (
        req.current_password.clone(),
        user.password_hash.clone(),
        user.national_code.clone(),
    );
    let ok = tokio::task::spawn_blocking(move || {
        accounts::verify_password(&current, hash.as_deref(), initial.as_deref())
    })
    .await
    .map_err(ApiError::internal)?;
    if !ok {
        return Err(ApiError::Fields(vec![
            crate::rules::value::FieldError::new(
                "current_password",
                "گذرواژه فعلی نادرست است",
                "the current password is wrong",
            ),
        ]));
    }
    let username = match &req.new_username {
        Some(n) => {
            let n = crate::domain::digits::to_ascii_digits(n.trim());
            let valid = (3..=64).contains(&n.chars().count())
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
            if !valid {
                return Err(ApiError::Fields(vec![
                    crate::rules::value::FieldError::new(
                        "new_username",
                        "نام کاربری ۳ تا ۶۴ نویسه از حروف لاتین، رقم و . _ - @ است",
                        "a username has 3 to 64 characters: Latin letters, digits and . _ - @",
                    ),
                ]));
            }
            n
        }
        None => user.username.clone(),
    };
    if let Some((fa, en)) =
        accounts::password_problem(&req.new_password, &username, user.national_code.as_deref())
    {
        return Err(ApiError::Fields(vec![
            crate::rules::value::FieldError::new("new_password", fa, en),
        ]));
    }
    let password = req.new_password.clone();
    let new_hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .map_err(ApiError::internal)?;
    let now_ms = state.clock.now().as_millisecond();
    let mut tx = state
        .store
        .pool
        .begin()
        .await
        .map_err(crate::store::StoreError::from)?;
    users::update_credentials(&mut tx, user.id, &username, &new_hash, now_ms)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(_) => ApiError::Conflict(Label::new(
                "این نام کاربری قبلاً گرفته شده است",
                format!("the username `{username}` is taken"),
            )),
            other => other.into(),
        })?;
    users::delete_sessions(&mut tx, user.id, None).await?;
    let (token_hash, expires) = (me.token_hash.clone(), now_ms + SESSION_HOURS * 3_600_000);
    users::insert_session(&mut tx, &token_hash, user.id, "session", now_ms, expires).await?;
    audit::record(
        &mut tx,
        now_ms,
        &me.actor(),
        "credentials_changed",
        &format!("user:{}", user.username),
        Some(&serde_json::json!({"username": user.username})),
        Some(&serde_json::json!({"username": username})),
    )
    .await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    let mut updated = user.clone();
    updated.username = username;
    updated.password_hash = Some(new_hash);
    Ok(axum::Json(me_of(&updated)))
}

/// Ends this session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<axum::http::StatusCode, ApiError> {
    let mut tx = state
        .store
        .pool
        .begin()
        .await
        .map_err(crate::store::StoreError::from)?;
    users::delete_sessions(&mut tx, me.user.id, Some(&me.token_hash)).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(me: CurrentUser) -> axum::Json<Me> {
    axum::Json(me_of(&me.user))
}
