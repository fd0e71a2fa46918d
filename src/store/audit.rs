//! The append-only audit log: who did what, when, with the state before and after.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

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

/// Which audit records to show: each given filter narrows the list (all of them together).
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Part of the actor's name (`admin`, `reviewer:reviewer1`).
    pub actor: Option<String>,
    /// The action exactly (`login`, `declaration_submitted`).
    pub action: Option<String>,
    /// An office's license number: the office itself and its declarations and objections.
    pub office: Option<String>,
    /// A round (`1400-2`): its declarations, objections, publication, simulations and rules.
    pub round: Option<String>,
    /// From this instant (Unix milliseconds, inclusive).
    pub from: Option<i64>,
    /// Before this instant (Unix milliseconds, exclusive).
    pub until: Option<i64>,
}

/// A value bound to a filter's placeholder.
enum Bind {
    Text(String),
    Millis(i64),
}

impl AuditFilter {
    /// The `where` clause and its values, placeholders numbered from `$1`.
    fn clause(&self) -> (String, Vec<Bind>) {
        let mut conds = Vec::new();
        let mut binds = Vec::new();
        let next = |b: Bind, binds: &mut Vec<Bind>| {
            binds.push(b);
            format!("${}", binds.len())
        };
        if let Some(a) = &self.actor {
            let p = next(Bind::Text(format!("%{}%", like_escaped(a))), &mut binds);
            conds.push(format!("actor like {p} escape '\\'"));
        }
        if let Some(a) = &self.action {
            let p = next(Bind::Text(a.clone()), &mut binds);
            conds.push(format!("action = {p}"));
        }
        if let Some(o) = &self.office {
            let exact = next(Bind::Text(format!("office:{o}")), &mut binds);
            let tail = next(Bind::Text(format!("%:{}", like_escaped(o))), &mut binds);
            conds.push(format!(
                "(subject = {exact} or (subject like {tail} escape '\\' and subject not like 'user:%'))"
            ));
        }
        if let Some(r) = &self.round {
            let r = like_escaped(r);
            let inner = next(Bind::Text(format!("%:{r}:%")), &mut binds);
            let end = next(Bind::Text(format!("%:{r}")), &mut binds);
            conds.push(format!(
                "(subject like {inner} escape '\\' or subject like {end} escape '\\')"
            ));
        }
        if let Some(t) = self.from {
            let p = next(Bind::Millis(t), &mut binds);
            conds.push(format!("at >= {p}"));
        }
        if let Some(t) = self.until {
            let p = next(Bind::Millis(t), &mut binds);
            conds.push(format!("at < {p}"));
        }
        if conds.is_empty() {
            (String::new(), binds)
        } else {
            (format!(" where {}", conds.join(" and ")), binds)
        }
    }
}

/// `text` with `LIKE`'s wildcards (and the escape character) escaped by a backslash.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEntry, StoreError> {
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
}

impl Store {
    /// One page of the audit records that pass `filter`, newest first, skipping `offset` and
    /// taking at most `limit`; with the number of records that pass it in all.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEntry>, i64), StoreError> {
        let (clause, binds) = filter.clause();
        fn bind_all<'q>(
            sql: &'q str,
            binds: &[Bind],
        ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = match b {
                    Bind::Text(t) => q.bind(t.clone()),
                    Bind::Millis(m) => q.bind(*m),
                };
            }
            q
        }
        let count_sql = format!("select count(*) as n from audit_log{clause}");
        let total: i64 = bind_all(&count_sql, &binds)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let n = binds.len();
        let page_sql = format!(
            "select id, at, actor, action, subject, before, after from audit_log{clause} \
             order by id desc limit ${} offset ${}",
            n + 1,
            n + 2
        );
        let rows = bind_all(&page_sql, &binds)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let entries = rows.iter().map(entry_from_row).collect::<Result<_, _>>()?;
        Ok((entries, total))
    }

    /// Every action the audit log has recorded, in order (for the filter's choices).
    pub async fn audit_actions(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query("select distinct action from audit_log order by action")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("action")?))
            .collect()
    }

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
