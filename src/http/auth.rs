//! Sign-in (national code as username and initial password), password change, sign-out, lockout.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser};
use crate::accounts::{self, LoginClaim, MAX_FAILED_LOGINS, SLOW_DOWN_AFTER};
use crate::app::accounts::{self as app_accounts, NewCredentials};
use crate::domain::records::User;
use crate::domain::{Role, Username};
use crate::web::{Opened, Refusal};

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
    #[schema(example = "0012345679")]
    username: String,
    /// The password (the national code until the first change).
    #[schema(example = "my-own-password-1400")]
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    #[schema(example = "3f9a1c0b7d2e4a5f8b6c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f00")]
    token: String,
    /// When the token stops working.
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    expires_at: jiff::Timestamp,
    /// Who signed in.
    user: Me,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Me {
    /// The username.
    #[schema(example = "0076229645")]
    username: String,
    /// What the account may do.
    role: Role,
    /// An office holder's office.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "P-ESF-000001")]
    office_id: Option<String>,
    /// A reviewer's or office holder's region (1–9).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 4)]
    region: Option<u8>,
    /// True while the initial password (the national code) is in force: change it.
    #[schema(example = true)]
    initial_password: bool,
}

fn me_of(u: &User) -> Me {
    Me {
        username: u.username.clone(),
        role: u.role,
        office_id: u.office_id.as_ref().map(ToString::to_string),
        region: u.region,
        initial_password: u.password_hash.is_none(),
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
    let signed_in = sign_in(&state, peer.ip(), &req.username, &req.password).await?;
    Ok(axum::Json(LoginResponse {
        token: signed_in.token,
        expires_at: crate::domain::from_millis(signed_in.expires_ms),
        user: me_of(&signed_in.user),
    }))
}

/// A session opened by [`sign_in`].
pub struct SignedIn {
    /// The secret the client sends back (bearer token or session cookie).
    pub token: String,
    pub expires_ms: i64,
    pub user: User,
}

/// The one sign-in of the API and the pages: throttled per username and address, slowed down
/// after failures, locked after five; the answer never tells a missing user from a wrong password.
pub async fn sign_in(
    state: &AppState,
    ip: std::net::IpAddr,
    username: &str,
    password: &str,
) -> Result<SignedIn, ApiError> {
    let req = LoginRequest {
        username: username.to_string(),
        password: password.to_string(),
    };
    state
        .logins
        .admit(ip, &Username::normalize(&req.username))?;
    let user = match Username::parse(&req.username) {
        Ok(name) => app_accounts::account(state, &name).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
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
    let (failed, locked_until) =
        match app_accounts::claim_login_attempt(state, &user, now_ms).await? {
            LoginClaim::Locked { until } => {
                return Err(ApiError::Locked {
                    retry_after_seconds: (until - now_ms + 999) / 1000,
                });
            }
            LoginClaim::Granted {
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
            app_accounts::record_lockout(state, &user, now_ms).await?;
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
    let (token, expires_ms) = app_accounts::open_session(state, &user, now_ms).await?;
    Ok(SignedIn {
        token,
        expires_ms,
        user,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    /// The password in force now.
    #[schema(example = "my-own-password-1400")]
    current_password: String,
    /// The new password.
    #[schema(example = "a-longer-password-1401")]
    new_password: String,
    /// Optional new username; the old one stops working.
    #[schema(example = "daftar-esf-1")]
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
    let credentials = NewCredentials {
        current_password: req.current_password,
        new_password: req.new_password,
        new_username: req.new_username,
    };
    let updated =
        app_accounts::change_credentials(&state, &me.user, &me.token_hash, credentials).await?;
    Ok(axum::Json(me_of(&updated)))
}

/// Ends this session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<axum::http::StatusCode, ApiError> {
    app_accounts::end_session(&state, &me.user, &me.token_hash).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Who is signed in.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(me: CurrentUser) -> axum::Json<Me> {
    axum::Json(me_of(&me.user))
}

/// The pages over this server's application, signing in through [`sign_in`].
pub fn portal(state: &AppState) -> crate::web::Portal {
    crate::web::Portal {
        app: state.app.clone(),
        sign_in: Arc::new(state.clone()),
        cookie_secure: state.cookie_secure,
    }
}

impl crate::web::SignIn for AppState {
    fn sign_in<'a>(
        &'a self,
        ip: std::net::IpAddr,
        username: &'a str,
        password: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Opened, Refusal>> + Send + 'a>> {
        Box::pin(async move {
            match sign_in(self, ip, username, password).await {
                Ok(s) => Ok(Opened { token: s.token }),
                Err(ApiError::LoginFailed { attempts_left }) => {
                    Err(Refusal::Failed { attempts_left })
                }
                Err(
                    ApiError::Locked {
                        retry_after_seconds,
                    }
                    | ApiError::TooManyRequests {
                        retry_after_seconds,
                        ..
                    },
                ) => Err(Refusal::Locked {
                    retry_after_seconds,
                }),
                Err(other) => Err(Refusal::Other(format!("{other:?}"))),
            }
        })
    }
}
