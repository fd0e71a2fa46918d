//! Self-declarations: one file per office and round, with optimistic concurrency.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{DeclarationStatus, OfficeId, RoundId};

pub use crate::domain::records::DeclarationRow;

fn from_row(r: &AnyRow) -> Result<DeclarationRow, StoreError> {
    let c = Cells::new(r, "declarations", &["round", "office_id"]);
    Ok(DeclarationRow {
        round: c.round("round")?,
        office_id: c.office("office_id")?,
        status: c.parse("status", "a status", DeclarationStatus::parse)?,
        office_values: c.json_map("office_values")?,
        region_values: c.json_map("region_values")?,
        carried_over: c.json("carried_over")?,
        version: c.get("version")?,
        updated_at: c.get("updated_at")?,
        submitted_at: c.get("submitted_at")?,
    })
}

const COLUMNS: &str = "round, office_id, status, office_values, region_values, carried_over, version, updated_at, submitted_at";

impl Store {
    /// The declaration of `office_id` in `round`, if it has one.
    #[tracing::instrument(skip_all, fields(%round, %office_id))]
    pub async fn declaration(
        &self,
        round: RoundId,
        office_id: &OfficeId,
    ) -> Result<Option<DeclarationRow>, StoreError> {
        let q = format!("select {COLUMNS} from declarations where round = $1 and office_id = $2");
        sqlx::query(&q)
            .bind(round.to_string())
            .bind(office_id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Every declaration of a round, ordered by office.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn declarations(&self, round: RoundId) -> Result<Vec<DeclarationRow>, StoreError> {
        let q = format!("select {COLUMNS} from declarations where round = $1 order by office_id");
        sqlx::query(&q)
            .bind(round.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}

/// Writes a declaration. `expected_version` is the version the writer read (`None` for a new file);
/// if someone else wrote in between, nothing is written and `Conflict` comes back.
#[tracing::instrument(skip_all, fields(round = %d.round, office = %d.office_id))]
pub async fn save_declaration(
    conn: &mut AnyConnection,
    d: &DeclarationRow,
    expected_version: Option<i64>,
    now: i64,
) -> Result<i64, StoreError> {
    let office_values = serde_json::Value::Object(d.office_values.clone()).to_string();
    let region_values = serde_json::Value::Object(d.region_values.clone()).to_string();
    let carried = serde_json::to_string(&d.carried_over).expect("strings serialize");
    let generation = super::generation::bump(conn).await?;
    match expected_version {
        None => {
            sqlx::query(
                "insert into declarations (round, office_id, status, office_values, region_values, carried_over, version, created_at, updated_at, submitted_at, generation) \
                 values ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9)",
            )
            .bind(d.round.to_string())
            .bind(d.office_id.as_str())
            .bind(d.status.as_str())
            .bind(office_values)
            .bind(region_values)
            .bind(carried)
            .bind(now)
            .bind(d.submitted_at)
            .bind(generation)
            .execute(conn)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(crate::domain::Label::new(
                    "این پرونده هم‌زمان با درخواست دیگری ساخته شد؛ دوباره بارگیری و تلاش کنید",
                    "the declaration was created by another request; reload it and try again",
                )),
                other => other,
            })?;
            Ok(1)
        }
        Some(v) => {
            let done = sqlx::query(
                "update declarations set status = $1, office_values = $2, region_values = $3, carried_over = $4, version = $5, updated_at = $6, submitted_at = $7, generation = $8 \
                 where round = $9 and office_id = $10 and version = $11",
            )
            .bind(d.status.as_str())
            .bind(office_values)
            .bind(region_values)
            .bind(carried)
            .bind(v + 1)
            .bind(now)
            .bind(d.submitted_at)
            .bind(generation)
            .bind(d.round.to_string())
            .bind(d.office_id.as_str())
            .bind(v)
            .execute(conn)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::Conflict(crate::domain::Label::new(
                    format!(
                        "پرونده پس از خواندن نسخه {} تغییر کرده است؛ دوباره بارگیری و تلاش کنید",
                        crate::domain::digits::to_persian_digits(&v.to_string())
                    ),
                    format!(
                        "the declaration changed since version {v} was read; reload it and try again"
                    ),
                )));
            }
            Ok(v + 1)
        }
    }
}
