//! Idempotency keys: the answer a write gave, stored in the write's own transaction, so that a
//! client whose answer was lost can send the same request again and get that answer back instead
//! of a second write. A commit implies the stored answer; a rollback or crash stores neither.

use sqlx::AnyConnection;

use super::row::Cells;
use super::{Store, StoreError};

/// How long an answer is kept for retries: 24 hours, in milliseconds.
pub const KEEP_FOR_MS: i64 = 24 * 60 * 60 * 1000;

pub use crate::domain::records::{KeyedRequest, StoredAnswer};

impl Store {
    /// The answer given under `key` to `user_id`, unless it is older than [`KEEP_FOR_MS`].
    pub async fn idempotent_answer(
        &self,
        user_id: i64,
        key: &str,
        now: i64,
    ) -> Result<Option<StoredAnswer>, StoreError> {
        let row = sqlx::query(
            "select user_id, idempotency_key, route, request_hash, status, body from idempotency_keys \
             where user_id = $1 and idempotency_key = $2 and created_at >= $3",
        )
        .bind(user_id)
        .bind(key)
        .bind(now - KEEP_FOR_MS)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let c = Cells::new(&r, "idempotency_keys", &["user_id", "idempotency_key"]);
            let status: i64 = c.get("status")?;
            let status = u16::try_from(status)
                .map_err(|_| c.corrupt(format!("status {status} is not an HTTP status")))?;
            Ok(StoredAnswer {
                route: c.get("route")?,
                request_hash: c.get("request_hash")?,
                status,
                body: c.get("body")?,
            })
        })
        .transpose()
    }
}

/// Claims the key inside the caller's transaction, as its first statement, after purging expired
/// keys. Of two transactions claiming one key, the second waits for the first and, if that one
/// commits, gets `Conflict`; if it rolls back, the second goes on.
pub async fn claim(
    conn: &mut AnyConnection,
    request: &KeyedRequest,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("delete from idempotency_keys where created_at < $1")
        .bind(now - KEEP_FOR_MS)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into idempotency_keys (user_id, idempotency_key, route, request_hash, status, body, created_at) \
         values ($1, $2, $3, $4, 0, '', $5)",
    )
    .bind(request.user_id)
    .bind(&request.key)
    .bind(&request.route)
    .bind(&request.request_hash)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores the answer of a claimed key, in the same transaction as the write it answers.
pub async fn answer(
    conn: &mut AnyConnection,
    request: &KeyedRequest,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "update idempotency_keys set status = $1, body = $2 where user_id = $3 and idempotency_key = $4",
    )
    .bind(i64::from(status))
    .bind(body)
    .bind(request.user_id)
    .bind(&request.key)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_user() -> (Store, tempfile::TempDir, i64) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let mut tx = store.pool.begin().await.unwrap();
        let user = crate::store::users::NewUser {
            username: "reviewer.one",
            password_hash: None,
            role: crate::domain::Role::Reviewer,
            office_id: None,
            region: Some(1),
            national_code: None,
        };
        let id = crate::store::users::insert_user(&mut tx, &user, 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        (store, dir, id)
    }

    fn request(user_id: i64) -> KeyedRequest {
        KeyedRequest {
            user_id,
            key: "retry-1".into(),
            route: "POST /v1/rounds/1400-2/declaration/submit".into(),
            request_hash: "ab".repeat(32),
        }
    }

    #[tokio::test]
    async fn an_answer_committed_with_its_claim_is_found_until_it_is_a_day_old_on_the_real_clock() {
        let (store, _dir, user) = store_with_user().await;
        let now = jiff::Timestamp::now().as_millisecond();
        let r = request(user);
        let mut tx = store.pool.begin().await.unwrap();
        claim(&mut tx, &r, now).await.unwrap();
        answer(&mut tx, &r, 201, r#"{"ok":true}"#).await.unwrap();
        tx.commit().await.unwrap();
        let found = store.idempotent_answer(user, &r.key, now).await.unwrap();
        assert_eq!(
            found,
            Some(StoredAnswer {
                route: r.route.clone(),
                request_hash: r.request_hash.clone(),
                status: 201,
                body: r#"{"ok":true}"#.into(),
            })
        );
        let later = now + KEEP_FOR_MS + 1;
        assert_eq!(
            store.idempotent_answer(user, &r.key, later).await.unwrap(),
            None
        );
        // A day later the key is free again: the old row is purged by the next claim.
        let mut tx = store.pool.begin().await.unwrap();
        claim(&mut tx, &r, later).await.unwrap();
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn a_rolled_back_claim_stores_nothing_and_a_committed_one_refuses_a_second_claim() {
        let (store, _dir, user) = store_with_user().await;
        let now = jiff::Timestamp::now().as_millisecond();
        let r = request(user);
        let mut tx = store.pool.begin().await.unwrap();
        claim(&mut tx, &r, now).await.unwrap();
        answer(&mut tx, &r, 200, "{}").await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(
            store.idempotent_answer(user, &r.key, now).await.unwrap(),
            None
        );
        let mut tx = store.pool.begin().await.unwrap();
        claim(&mut tx, &r, now).await.unwrap();
        tx.commit().await.unwrap();
        let mut tx = store.pool.begin().await.unwrap();
        assert!(matches!(
            claim(&mut tx, &r, now).await,
            Err(StoreError::Conflict(_))
        ));
    }
}
