//! Offices, imported in bulk with their holders' accounts.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{NationalCode, OfficeId, OfficeKind, RegionId};

/// A licensed office as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OfficeRow {
    pub id: OfficeId,
    pub kind: OfficeKind,
    pub region: RegionId,
    pub province: String,
    pub name: String,
    pub holder_national_code: NationalCode,
}

fn from_row(r: &AnyRow) -> Result<OfficeRow, StoreError> {
    let c = Cells::new(r, "offices", &["id"]);
    let region: i64 = c.get("region")?;
    Ok(OfficeRow {
        id: c.parse("id", "a license number", |s| OfficeId::parse(s).ok())?,
        kind: c.parse("kind", "an office kind", OfficeKind::parse)?,
        region: RegionId::new(region)
            .map_err(|_| c.corrupt(format!("region {region} is not a region")))?,
        province: c.get("province")?,
        name: c.get("name")?,
        holder_national_code: c.parse("holder_national_code", "a national code", |s| {
            NationalCode::parse(s).ok()
        })?,
    })
}

/// What an import did to one office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Upsert {
    Created,
    Updated,
    Unchanged,
}

const COLUMNS: &str = "id, kind, region, province, name, holder_national_code";

impl Store {
    #[tracing::instrument(skip_all, fields(%id))]
    pub async fn office(&self, id: &OfficeId) -> Result<Option<OfficeRow>, StoreError> {
        let q = format!("select {COLUMNS} from offices where id = $1");
        sqlx::query(&q)
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Offices, optionally of one region, ordered by id.
    pub async fn offices(&self, region: Option<RegionId>) -> Result<Vec<OfficeRow>, StoreError> {
        let rows = match region {
            Some(r) => {
                let q = format!("select {COLUMNS} from offices where region = $1 order by id");
                sqlx::query(&q)
                    .bind(r.get() as i64)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                let q = format!("select {COLUMNS} from offices order by id");
                sqlx::query(&q).fetch_all(&self.pool).await?
            }
        };
        rows.iter().map(from_row).collect()
    }
}

/// Inserts or updates an office; returns what changed and the stored row before.
pub async fn upsert_office(
    conn: &mut AnyConnection,
    office: &OfficeRow,
    now: i64,
) -> Result<(Upsert, Option<OfficeRow>), StoreError> {
    let q = format!("select {COLUMNS} from offices where id = $1");
    let before = sqlx::query(&q)
        .bind(office.id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()?;
    match &before {
        Some(b) if b == office => Ok((Upsert::Unchanged, before)),
        Some(_) => {
            let generation = super::generation::bump(conn).await?;
            sqlx::query("update offices set kind = $1, region = $2, province = $3, name = $4, holder_national_code = $5, updated_at = $6, generation = $7 where id = $8")
                .bind(office.kind.as_str())
                .bind(office.region.get() as i64)
                .bind(&office.province)
                .bind(&office.name)
                .bind(office.holder_national_code.as_str())
                .bind(now)
                .bind(generation)
                .bind(office.id.as_str())
                .execute(&mut *conn)
                .await?;
            Ok((Upsert::Updated, before))
        }
        None => {
            let generation = super::generation::bump(conn).await?;
            sqlx::query("insert into offices (id, kind, region, province, name, holder_national_code, created_at, updated_at, generation) values ($1, $2, $3, $4, $5, $6, $7, $7, $8)")
                .bind(office.id.as_str())
                .bind(office.kind.as_str())
                .bind(office.region.get() as i64)
                .bind(&office.province)
                .bind(&office.name)
                .bind(office.holder_national_code.as_str())
                .bind(now)
                .bind(generation)
                .execute(&mut *conn)
                .await?;
            Ok((Upsert::Created, None))
        }
    }
}

/// What an import did, row by row.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Offices new to the registry.
    #[schema(example = 12)]
    pub created: usize,
    /// Offices whose row changed.
    #[schema(example = 3)]
    pub updated: usize,
    /// Offices already as in the file.
    #[schema(example = 45)]
    pub unchanged: usize,
    /// Accounts created for new holders, with their usernames (the national code, unless taken).
    #[schema(example = json!(["0076229645"]))]
    pub accounts_created: Vec<String>,
}

impl Store {
    /// Imports offices in one transaction (see [`import_offices`]).
    pub async fn import_offices(
        &self,
        rows: &[OfficeRow],
        actor: &str,
        now: i64,
    ) -> Result<ImportReport, StoreError> {
        let mut tx = self.pool.begin().await?;
        let report = import_offices(&mut tx, rows, actor, now).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// Imports offices inside the caller's transaction, creating each new holder's account (username
/// and initial password: the national code). A changed holder retires the old holder's account
/// (sessions too) and gets an account of their own. Importing the same rows again changes nothing.
pub async fn import_offices(
    conn: &mut AnyConnection,
    rows: &[OfficeRow],
    actor: &str,
    now: i64,
) -> Result<ImportReport, StoreError> {
    let mut report = ImportReport::default();
    // Every office and every replaced holder first, so that holders who swap offices find their
    // national codes free as usernames.
    let mut changed = Vec::new();
    for row in rows {
        let (what, before) = upsert_office(conn, row, now).await?;
        match what {
            Upsert::Unchanged => {
                report.unchanged += 1;
                continue;
            }
            Upsert::Created => report.created += 1,
            Upsert::Updated => report.updated += 1,
        }
        let subject = format!("office:{}", row.id);
        let before = before.map(|b| serde_json::to_value(b).expect("rows serialize"));
        let after = serde_json::to_value(row).expect("rows serialize");
        super::audit::record(
            conn,
            now,
            actor,
            "office_imported",
            &subject,
            before.as_ref(),
            Some(&after),
        )
        .await?;
        retire_replaced_holder(conn, row, actor, now).await?;
        changed.push(row);
    }
    for row in changed {
        let has_account =
            sqlx::query("select id from users where office_id = $1 and retired_at is null")
                .bind(row.id.as_str())
                .fetch_optional(&mut *conn)
                .await?
                .is_some();
        if has_account {
            continue;
        }
        let code = row.holder_national_code.as_str();
        let taken = sqlx::query("select id from users where username = $1")
            .bind(code)
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
        let username = if taken {
            format!("{code}-{}", row.id)
        } else {
            code.to_string()
        };
        let user = super::users::NewUser {
            username: &username,
            password_hash: None,
            role: crate::domain::Role::Office,
            office_id: Some(row.id.as_str()),
            region: Some(row.region.get()),
            national_code: Some(code),
        };
        super::users::insert_user(conn, &user, now).await?;
        super::audit::record(
            conn,
            now,
            actor,
            "account_created",
            &format!("user:{username}"),
            None,
            Some(&serde_json::json!({"role": "office", "office": row.id})),
        )
        .await?;
        report.accounts_created.push(username);
    }
    Ok(report)
}

/// Retires the office's account if its holder is no longer the registry's holder, audited.
async fn retire_replaced_holder(
    conn: &mut AnyConnection,
    row: &OfficeRow,
    actor: &str,
    now: i64,
) -> Result<(), StoreError> {
    let holder = sqlx::query(
        "select id, username, national_code from users where office_id = $1 and retired_at is null",
    )
    .bind(row.id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(holder) = holder else { return Ok(()) };
    let holder = Cells::new(&holder, "users", &["id"]);
    let code: Option<String> = holder.get("national_code")?;
    if code.as_deref() == Some(row.holder_national_code.as_str()) {
        return Ok(());
    }
    let username: String = holder.get("username")?;
    let renamed = super::users::retire_user(conn, holder.get("id")?, &username, now).await?;
    super::audit::record(
        conn,
        now,
        actor,
        "account_retired",
        &format!("user:{username}"),
        Some(&serde_json::json!({"username": username, "office": row.id, "national_code": code})),
        Some(&serde_json::json!({"username": renamed, "retired": true, "replaced_by": row.holder_national_code})),
    )
    .await
}
