//! The append-only audit log: who did what, when, with the state before and after.

use serde::Serialize;
use sqlx::AnyConnection;

use super::row::Cells;
use super::{Store, StoreError};

/// One audit record.
#[derive(Clone, Debug, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Appends a record inside the caller's transaction, so the change and its record commit together.
pub async fn record(
    conn: &mut AnyConnection,
    at: i64,
    actor: &str,
    action: &str,
    subject: &str,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    sqlx::query("insert into audit_log (at, actor, action, subject, before, after) values ($1, $2, $3, $4, $5, $6)")
        .bind(at)
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Audit records about a subject (or all, if `subject` is `None`), newest first.
    pub async fn audit_entries(
        &self,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = match subject {
            Some(s) => {
                sqlx::query("select id, at, actor, action, subject, before, after from audit_log where subject = $1 order by id desc limit $2")
                    .bind(s)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("select id, at, actor, action, subject, before, after from audit_log order by id desc limit $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|r| {
                let c = Cells::new(r, "audit_log", &["id"]);
                let json = |column: &str| -> Result<Option<serde_json::Value>, StoreError> {
                    c.get::<Option<String>>(column)?
                        .map(|s| {
                            serde_json::from_str(&s)
                                .map_err(|e| c.corrupt(format!("{column} is not JSON ({e})")))
                        })
                        .transpose()
                };
                Ok(AuditEntry {
                    id: c.get("id")?,
                    at: c.get("at")?,
                    actor: c.get("actor")?,
                    action: c.get("action")?,
                    subject: c.get("subject")?,
                    before: json("before")?,
                    after: json("after")?,
                })
            })
            .collect()
    }
}
