//! Users and their sessions.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{OfficeId, Role};

pub use crate::domain::records::User;

/// What is needed to create a user.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
    pub office_id: Option<&'a str>,
    pub region: Option<u8>,
    pub national_code: Option<&'a str>,
}

const USER_COLUMNS: &str = "id, username, password_hash, role, office_id, region, national_code, failed_logins, locked_until";

fn user_from_row(r: &AnyRow) -> Result<User, StoreError> {
    let c = Cells::new(r, "users", &["id"]);
    let region: Option<i64> = c.get("region")?;
    Ok(User {
        id: c.get("id")?,
        username: c.get("username")?,
        password_hash: c.get("password_hash")?,
        role: c.parse("role", "a role", Role::parse)?,
        office_id: c
            .get::<Option<String>>("office_id")?
            .map(|s| {
                OfficeId::parse(&s)
                    .map_err(|_| c.corrupt(format!("office_id `{s}` is not a license number")))
            })
            .transpose()?,
        region: region.map(|x| x as u8),
        national_code: c.get("national_code")?,
        failed_logins: c.get("failed_logins")?,
        locked_until: c.get("locked_until")?,
    })
}

/// A session or API token, by the SHA-256 of its secret.
#[derive(Clone, Debug)]
pub struct Session {
    pub user_id: i64,
    pub kind: String,
    pub expires_at: i64,
}

pub use crate::accounts::LoginClaim;

impl Store {
    /// An active account by username; a retired one (a replaced holder's) is no user any more.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let q = format!(
            "select {USER_COLUMNS} from users where username = $1 and retired_at is null and disabled_at is null"
        );
        sqlx::query(&q)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    /// An active account by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let q = format!(
            "select {USER_COLUMNS} from users where id = $1 and retired_at is null and disabled_at is null"
        );
        sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    /// The holder account of an office.
    pub async fn user_of_office(&self, office_id: &OfficeId) -> Result<Option<User>, StoreError> {
        let q =
            format!("select {USER_COLUMNS} from users where office_id = $1 and retired_at is null");
        sqlx::query(&q)
            .bind(office_id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    /// The accounts an admin looks after: every active staff and API-client account, and every
    /// office holder's account that is locked at `now`, by role and username.
    pub async fn managed_accounts(&self, now: i64) -> Result<Vec<User>, StoreError> {
        let q = format!(
            "select {USER_COLUMNS} from users where retired_at is null and disabled_at is null \
             and (role <> 'office' or locked_until > $1) order by role, username"
        );
        sqlx::query(&q)
            .bind(now)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(user_from_row)
            .collect()
    }

    /// The session behind a token hash, if it has not expired.
    pub async fn session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<(Session, User)>, StoreError> {
        let row = sqlx::query("select user_id, kind, expires_at from sessions where token_hash = $1 and expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let session = Session {
            user_id: row.try_get("user_id")?,
            kind: row.try_get("kind")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok(self
            .user_by_id(session.user_id)
            .await?
            .map(|u| (session, u)))
    }

    /// Counts a login attempt as failed before its password is checked, in one statement, so
    /// parallel attempts cannot all read the same count: once `max` are counted the account is
    /// locked for `lock_ms`, and further attempts are refused unchecked. A right password then
    /// clears the count ([`reset_failures`]). After a lock ends, each attempt counts again and a
    /// wrong one locks again at once.
    pub async fn claim_login_attempt(
        &self,
        user_id: i64,
        max: i64,
        lock_ms: i64,
        now: i64,
    ) -> Result<LoginClaim, StoreError> {
        let claimed = sqlx::query(
            "update users set failed_logins = failed_logins + 1, \
             locked_until = case when failed_logins + 1 >= $1 then $2 else null end, updated_at = $3 \
             where id = $4 and (locked_until is null or locked_until <= $3) \
             returning id, failed_logins, locked_until",
        )
        .bind(max)
        .bind(now + lock_ms)
        .bind(now)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = claimed {
            let c = Cells::new(&row, "users", &["id"]);
            return Ok(LoginClaim::Granted {
                failures: c.get("failed_logins")?,
                locked_until: c.get("locked_until")?,
            });
        }
        let until: Option<i64> =
            match sqlx::query("select id, locked_until from users where id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
            {
                Some(row) => Cells::new(&row, "users", &["id"]).get("locked_until")?,
                None => None,
            };
        Ok(LoginClaim::Locked {
            until: until.unwrap_or(now),
        })
    }
}

/// Retires an account (a replaced office holder's): it keeps its row, office and national code
/// for the audit log, gives up its username (renamed `NAME~ID`, which no one can choose) so the
/// name can serve a new account, and loses every session and token. Returns the new name.
pub async fn retire_user(
    conn: &mut AnyConnection,
    user_id: i64,
    username: &str,
    now: i64,
) -> Result<String, StoreError> {
    let renamed = format!("{username}~{user_id}");
    sqlx::query("update users set retired_at = $1, username = $2, updated_at = $1 where id = $3")
        .bind(now)
        .bind(&renamed)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    end_every_session(conn, user_id).await?;
    Ok(renamed)
}

/// Inserts a user; a taken username or office becomes `Conflict`.
pub async fn insert_user(
    conn: &mut AnyConnection,
    user: &NewUser<'_>,
    now: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "insert into users (username, password_hash, role, office_id, region, national_code, failed_logins, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, 0, $7, $7) returning id",
    )
    .bind(user.username)
    .bind(user.password_hash)
    .bind(user.role.as_str())
    .bind(user.office_id)
    .bind(user.region.map(|r| r as i64))
    .bind(user.national_code)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Changes username and/or password, and clears failed logins.
pub async fn update_credentials(
    conn: &mut AnyConnection,
    user_id: i64,
    username: &str,
    password_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("update users set username = $1, password_hash = $2, failed_logins = 0, locked_until = null, updated_at = $3 where id = $4")
        .bind(username)
        .bind(password_hash)
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Clears failed logins after a successful one.
pub async fn reset_failures(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "update users set failed_logins = 0, locked_until = null, updated_at = $1 where id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    kind: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    sqlx::query("insert into sessions (token_hash, user_id, kind, created_at, expires_at) values ($1, $2, $3, $4, $5)")
        .bind(token_hash)
        .bind(user_id)
        .bind(kind)
        .bind(now)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session and API token of a user: the account was retired, reset or disabled.
async fn end_every_session(conn: &mut AnyConnection, user_id: i64) -> Result<(), StoreError> {
    sqlx::query("delete from sessions where user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change), or one session.
pub async fn delete_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    only: Option<&str>,
) -> Result<(), StoreError> {
    match only {
        Some(hash) => {
            sqlx::query("delete from sessions where user_id = $1 and token_hash = $2")
                .bind(user_id)
                .bind(hash)
                .execute(conn)
                .await?
        }
        None => {
            sqlx::query("delete from sessions where user_id = $1 and kind = 'session'")
                .bind(user_id)
                .execute(conn)
                .await?
        }
    };
    Ok(())
}

/// Puts an account back on its initial password (the national code): the stored password is
/// forgotten, failures and the lock are cleared, and every session and token ends.
pub async fn reset_to_initial_password(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("update users set password_hash = null, failed_logins = 0, locked_until = null, updated_at = $1 where id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    end_every_session(conn, user_id).await?;
    Ok(())
}

/// Disables an account: it keeps its row and username, can no longer sign in, and every session
/// and token of it ends.
pub async fn disable_user(
    conn: &mut AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("update users set disabled_at = $1, updated_at = $1 where id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    end_every_session(conn, user_id).await?;
    Ok(())
}
