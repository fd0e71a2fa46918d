//! Accounts: staff and API clients created by admins (or the command line), tokens, sessions and
//! credentials, and the office registry import that creates the holders' accounts.

use serde_json::json;

use super::{Actor, App, AppError, Claim};
use crate::accounts;
use crate::domain::{Label, RegionId, Role, Username};
use crate::rules::value::FieldError;
use crate::store::offices::{self, ImportReport, OfficeRow};
use crate::store::users::{self, NewUser, User};
use crate::store::{StoreError, audit};

/// The message for a name that breaks [`Username`]'s rule, on `field`.
fn bad_username(field: &str) -> FieldError {
    FieldError::new(
        field,
        "نام کاربری ۳ تا ۶۴ نویسه از حروف لاتین، رقم و . _ - @ است",
        crate::domain::UsernameError.to_string(),
    )
}

fn taken(username: &str) -> impl FnOnce(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::Conflict(_) => AppError::Conflict(Label::new(
            format!(
                "نام کاربری {} قبلاً گرفته شده است",
                crate::domain::quoted(username)
            ),
            format!("the username `{username}` is taken"),
        )),
        other => other.into(),
    }
}

/// A staff or API-client account to create, as asked.
pub struct NewAccount {
    pub username: String,
    /// Required for every role but `api_client` (which signs in with tokens only).
    pub password: Option<String>,
    pub role: Role,
    /// Required for reviewers: the region (1–9) whose files they review.
    pub region: Option<u8>,
}

/// An account as created.
pub struct Created {
    pub username: Username,
    pub role: Role,
    pub region: Option<u8>,
}

/// Creates a reviewer, regulator, admin or API-client account (admins; offices come from the
/// import). Every bad field is reported at once.
#[tracing::instrument(skip_all, fields(role = ?req.role))]
pub async fn create_user(app: &App, actor: &Actor, req: NewAccount) -> Result<Created, AppError> {
    actor.require(&[Role::Admin])?;
    let mut errors = Vec::new();
    let username = Username::parse(&req.username);
    if username.is_err() {
        errors.push(bad_username("username"));
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
                "کارشناس منطقه باید منطقه (۱ تا ۹) داشته باشد",
                "a reviewer needs a region (1–9)",
            ));
            None
        }
        (_, Some(r)) => match RegionId::new(r as i64) {
            Ok(r) => Some(r.get()),
            Err(e) => {
                errors.push(FieldError::new("region", e.fa(), e.to_string()));
                None
            }
        },
        _ => None,
    };
    let name_for_check = Username::normalize(&req.username);
    let password = match (req.password, req.role) {
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
            if let Some((fa, en)) = accounts::password_problem(&p, &name_for_check, None) {
                errors.push(FieldError::new("password", fa, en));
            }
            Some(p)
        }
    };
    let (Ok(username), true) = (username, errors.is_empty()) else {
        return Err(errors.into());
    };
    let hash = match password {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || accounts::hash_password(&p))
                .await
                .map_err(AppError::internal)?,
        ),
        None => None,
    };
    let now = app.clock.now().as_millisecond();
    let mut tx = app.begin(Claim::default()).await?;
    insert_account(
        &mut tx,
        actor,
        &username,
        hash.as_deref(),
        req.role,
        region,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Created {
        username,
        role: req.role,
        region,
    })
}

/// Writes a staff account and its audit record in the caller's transaction.
async fn insert_account(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    username: &Username,
    password_hash: Option<&str>,
    role: Role,
    region: Option<u8>,
    now: i64,
) -> Result<(), AppError> {
    let new = NewUser {
        username: username.as_str(),
        password_hash,
        role,
        office_id: None,
        region,
        national_code: None,
    };
    users::insert_user(conn, &new, now)
        .await
        .map_err(taken(username.as_str()))?;
    audit::record(
        conn,
        now,
        actor.name(),
        "account_created",
        &format!("user:{username}"),
        None,
        Some(&json!({"role": role, "region": region})),
    )
    .await?;
    Ok(())
}

/// A staff account of the demo, its password already hashed.
pub struct DemoAccount {
    pub username: Username,
    pub password_hash: Option<String>,
    pub role: Role,
    pub region: Option<u8>,
}

/// Seeds a demo: the offices (with their holders' accounts) and the staff accounts, all in one
/// transaction, so an interrupted seed leaves nothing.
#[tracing::instrument(skip_all, fields(offices = rows.len()))]
pub async fn seed_demo(
    app: &App,
    actor: &Actor,
    rows: &[OfficeRow],
    staff: &[DemoAccount],
) -> Result<ImportReport, AppError> {
    actor.require(&[Role::Admin])?;
    let now = app.clock.now().as_millisecond();
    let mut tx = app.begin(Claim::default()).await?;
    let report = offices::import_offices(&mut tx, rows, actor.name(), now).await?;
    for a in staff {
        insert_account(
            &mut tx,
            actor,
            &a.username,
            a.password_hash.as_deref(),
            a.role,
            a.region,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// Imports the office registry (admins): offices created or updated, each new holder's account
/// created, in one transaction.
#[tracing::instrument(skip_all, fields(rows = rows.len()))]
pub async fn import_offices(
    app: &App,
    actor: &Actor,
    rows: &[OfficeRow],
) -> Result<ImportReport, AppError> {
    actor.require(&[Role::Admin])?;
    let now = app.clock.now().as_millisecond();
    let mut tx = app.begin(Claim::default()).await?;
    let report = offices::import_offices(&mut tx, rows, actor.name(), now).await?;
    tx.commit().await?;
    Ok(report)
}

/// Issues a long-lived token to an API-client account (admins); gives back the token (shown once;
/// only its hash is stored) and when it expires, in milliseconds.
#[tracing::instrument(skip_all)]
pub async fn issue_token(
    app: &App,
    actor: &Actor,
    username: &str,
) -> Result<(String, i64), AppError> {
    actor.require(&[Role::Admin])?;
    let user = app
        .store
        .user_by_username(username)
        .await?
        .ok_or_else(|| AppError::not_found("کاربر", "the user"))?;
    if user.role != Role::ApiClient {
        return Err(AppError::state(
            format!(
                "توکن فقط برای حساب‌های {} («api_client») صادر می‌شود",
                Role::ApiClient.label().fa
            ),
            "tokens are issued to API client (`api_client`) accounts only",
        ));
    }
    let now = app.clock.now().as_millisecond();
    let expires = now + accounts::API_TOKEN_DAYS * 86_400_000;
    let (token, hash) = accounts::new_token();
    let mut tx = app.begin(Claim::default()).await?;
    users::insert_session(&mut tx, &hash, user.id, "api", now, expires).await?;
    audit::record(
        &mut tx,
        now,
        actor.name(),
        "api_token_issued",
        &format!("user:{username}"),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok((token, expires))
}

/// The active account named `username`, if there is one (a retired holder's is none).
pub async fn account(app: &App, username: &Username) -> Result<Option<User>, AppError> {
    Ok(app.store.user_by_username(username.as_str()).await?)
}

/// Claims a sign-in attempt on `user` before its password is checked: counted as a failure until
/// the password proves right, so parallel guesses cannot all pass the lockout; refused unchecked
/// while the account is locked (the policy: [`accounts::MAX_FAILED_LOGINS`] failures lock it for
/// [`accounts::LOCK_MINUTES`]).
pub async fn claim_login_attempt(
    app: &App,
    user: &User,
    now_ms: i64,
) -> Result<accounts::LoginClaim, AppError> {
    Ok(app
        .store
        .claim_login_attempt(
            user.id,
            accounts::MAX_FAILED_LOGINS,
            accounts::LOCK_MINUTES * 60_000,
            now_ms,
        )
        .await?)
}

/// Records that `user`'s failed sign-in locked the account.
#[tracing::instrument(skip_all)]
pub async fn record_lockout(app: &App, user: &User, now_ms: i64) -> Result<(), AppError> {
    let mut tx = app.begin(Claim::default()).await?;
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
    tx.commit().await
}

/// Opens a session for `user`, whose password was checked: failures reset, the sign-in audited.
/// Gives back the token (only its hash is stored) and when it expires, in milliseconds.
#[tracing::instrument(skip_all)]
pub async fn open_session(app: &App, user: &User, now_ms: i64) -> Result<(String, i64), AppError> {
    let (token, token_hash) = accounts::new_token();
    let expires = now_ms + accounts::SESSION_HOURS * 3_600_000;
    let mut tx = app.begin(Claim::default()).await?;
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
    tx.commit().await?;
    Ok((token, expires))
}

/// A signed-in user's new credentials.
pub struct NewCredentials {
    pub current_password: String,
    pub new_password: String,
    /// A new username; the old one stops working.
    pub new_username: Option<String>,
}

/// Changes `user`'s password (and perhaps username) after checking the current one; every other
/// session is signed out, the one with `token_hash` stays. Gives back the user as updated.
#[tracing::instrument(skip_all)]
pub async fn change_credentials(
    app: &App,
    user: &User,
    token_hash: &str,
    req: NewCredentials,
) -> Result<User, AppError> {
    let (current, hash, initial) = (
        req.current_password,
        user.password_hash.clone(),
        user.national_code.clone(),
    );
    let ok = tokio::task::spawn_blocking(move || {
        accounts::verify_password(&current, hash.as_deref(), initial.as_deref())
    })
    .await
    .map_err(AppError::internal)?;
    if !ok {
        return Err(vec![FieldError::new(
            "current_password",
            "گذرواژه فعلی نادرست است",
            "the current password is wrong",
        )]
        .into());
    }
    let username = match &req.new_username {
        Some(n) => Username::parse(n)
            .map_err(|_| AppError::from(vec![bad_username("new_username")]))?
            .to_string(),
        None => user.username.clone(),
    };
    if let Some((fa, en)) =
        accounts::password_problem(&req.new_password, &username, user.national_code.as_deref())
    {
        return Err(vec![FieldError::new("new_password", fa, en)].into());
    }
    let password = req.new_password;
    let new_hash = tokio::task::spawn_blocking(move || accounts::hash_password(&password))
        .await
        .map_err(AppError::internal)?;
    let now_ms = app.clock.now().as_millisecond();
    let mut tx = app.begin(Claim::default()).await?;
    users::update_credentials(&mut tx, user.id, &username, &new_hash, now_ms)
        .await
        .map_err(taken(&username))?;
    users::delete_sessions(&mut tx, user.id, None).await?;
    let expires = now_ms + accounts::SESSION_HOURS * 3_600_000;
    users::insert_session(&mut tx, token_hash, user.id, "session", now_ms, expires).await?;
    audit::record(
        &mut tx,
        now_ms,
        &Actor::user(user).name,
        "credentials_changed",
        &format!("user:{}", user.username),
        Some(&json!({"username": user.username})),
        Some(&json!({"username": username})),
    )
    .await?;
    tx.commit().await?;
    let mut updated = user.clone();
    updated.username = username;
    updated.password_hash = Some(new_hash);
    Ok(updated)
}

/// Ends the session with `token_hash` of `user`.
#[tracing::instrument(skip_all)]
pub async fn end_session(app: &App, user: &User, token_hash: &str) -> Result<(), AppError> {
    let mut tx = app.begin(Claim::default()).await?;
    users::delete_sessions(&mut tx, user.id, Some(token_hash)).await?;
    tx.commit().await
}

/// The active account `username`, for an admin's command on it: not found otherwise.
async fn managed(app: &App, username: &str) -> Result<User, AppError> {
    app.store
        .user_by_username(username)
        .await?
        .ok_or_else(|| AppError::not_found("حساب کاربری", "the account"))
}

/// Puts an office holder's account back on the initial password, the holder's national code
/// (admins), for a holder who forgot theirs: the lock is cleared and every session ends. Other
/// accounts have no national code to go back to and are refused.
#[tracing::instrument(skip_all)]
pub async fn reset_to_national_code(
    app: &App,
    actor: &Actor,
    username: &str,
) -> Result<(), AppError> {
    actor.require(&[Role::Admin])?;
    let user = managed(app, username).await?;
    if user.role != Role::Office || user.national_code.is_none() {
        return Err(AppError::state(
            "فقط گذرواژهٔ حساب دارندهٔ دفتر به کد ملی برمی‌گردد",
            "only an office holder's password goes back to the national code",
        ));
    }
    let now = app.clock.now().as_millisecond();
    let mut tx = app.begin(Claim::default()).await?;
    users::reset_to_initial_password(&mut tx, user.id, now).await?;
    audit::record(
        &mut tx,
        now,
        actor.name(),
        "password_reset",
        &format!("user:{}", user.username),
        Some(&json!({"initial_password": user.password_hash.is_none()})),
        Some(&json!({"initial_password": true})),
    )
    .await?;
    tx.commit().await
}

/// Unlocks an account locked after failed sign-ins (admins): its failures are forgotten, so the
/// person may sign in at once. An account that is not locked is left alone and not audited.
#[tracing::instrument(skip_all)]
pub async fn unlock(app: &App, actor: &Actor, username: &str) -> Result<bool, AppError> {
    actor.require(&[Role::Admin])?;
    let user = managed(app, username).await?;
    let now = app.clock.now().as_millisecond();
    if user.locked_until.is_none_or(|t| t <= now) && user.failed_logins == 0 {
        return Ok(false);
    }
    let mut tx = app.begin(Claim::default()).await?;
    users::reset_failures(&mut tx, user.id, now).await?;
    audit::record(
        &mut tx,
        now,
        actor.name(),
        "account_unlocked",
        &format!("user:{}", user.username),
        Some(&json!({"failed_logins": user.failed_logins, "locked_until": user.locked_until})),
        Some(&json!({"failed_logins": 0, "locked_until": null})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Disables an account (admins): it can no longer sign in, and its sessions and tokens end at
/// once. The row stays, for the audit log. An admin cannot disable their own account.
#[tracing::instrument(skip_all)]
pub async fn disable(app: &App, actor: &Actor, username: &str) -> Result<(), AppError> {
    actor.require(&[Role::Admin])?;
    let user = managed(app, username).await?;
    if Actor::user(&user).name() == actor.name() {
        return Err(AppError::state(
            "نمی‌توانید حساب خودتان را از کار بیندازید",
            "you cannot disable your own account",
        ));
    }
    let now = app.clock.now().as_millisecond();
    let mut tx = app.begin(Claim::default()).await?;
    users::disable_user(&mut tx, user.id, now).await?;
    audit::record(
        &mut tx,
        now,
        actor.name(),
        "account_disabled",
        &format!("user:{}", user.username),
        Some(&json!({"disabled": false})),
        Some(&json!({"disabled": true})),
    )
    .await?;
    tx.commit().await
}
