//! Objections: an office's written objection to its first result, and the region's decision.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{ObjectionStatus, OfficeId, RoundId};

pub use crate::domain::records::Objection;

fn from_row(r: &AnyRow) -> Result<Objection, StoreError> {
    let c = Cells::new(r, "objections", &["id"]);
    Ok(Objection {
        id: c.get("id")?,
        round: c.round("round")?,
        office_id: c.office("office_id")?,
        text: c.get("text")?,
        criteria: c.json("criteria")?,
        filed_at: c.get("filed_at")?,
        status: c.parse("status", "an objection status", ObjectionStatus::parse)?,
        corrections: c.json_map("corrections")?,
        decision_reason: c.get("decision_reason")?,
        decided_by: c.get("decided_by")?,
        decided_at: c.get("decided_at")?,
        version: c.get("version")?,
    })
}

const COLUMNS: &str = "id, round, office_id, text, criteria, filed_at, status, corrections, decision_reason, decided_by, decided_at, version";

impl Store {
    /// The objection of `office_id` in `round`, if it objected.
    #[tracing::instrument(skip_all, fields(%round, %office_id))]
    pub async fn objection(
        &self,
        round: RoundId,
        office_id: &OfficeId,
    ) -> Result<Option<Objection>, StoreError> {
        let q = format!("select {COLUMNS} from objections where round = $1 and office_id = $2");
        sqlx::query(&q)
            .bind(round.to_string())
            .bind(office_id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(from_row)
            .transpose()
    }

    /// Objections of a round, optionally only those of offices in one region.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn objections(
        &self,
        round: RoundId,
        region: Option<u8>,
    ) -> Result<Vec<Objection>, StoreError> {
        let q = format!(
            "select {} from objections o join offices f on f.id = o.office_id where o.round = $1 and ($2 = 0 or f.region = $2) order by o.office_id",
            COLUMNS
                .split(", ")
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        sqlx::query(&q)
            .bind(round.to_string())
            .bind(region.map_or(0, |r| r as i64))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}

/// Files an objection and gives back the id the store assigned it.
pub async fn insert_objection(conn: &mut AnyConnection, o: &Objection) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "insert into objections (round, office_id, text, criteria, filed_at, status, corrections, version) values ($1, $2, $3, $4, $5, 'pending', '{}', 1) returning id",
    )
    .bind(o.round.to_string())
    .bind(o.office_id.as_str())
    .bind(&o.text)
    .bind(serde_json::to_string(&o.criteria).expect("strings serialize"))
    .bind(o.filed_at)
    .fetch_one(conn)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(crate::domain::Label::new(
            "این دفتر در این دوره پیش‌تر اعتراض کرده است؛ هر دفتر یک اعتراض در هر دوره دارد",
            "this office has already objected in this round; an office may object once per round",
        )),
        other => other,
    })?;
    Ok(row.try_get("id")?)
}

/// Writes the region's corrections or decision; `Conflict` if someone else changed it first.
pub async fn update_objection(
    conn: &mut AnyConnection,
    o: &Objection,
    expected_version: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "update objections set status = $1, corrections = $2, decision_reason = $3, decided_by = $4, decided_at = $5, version = $6 \
         where id = $7 and version = $8",
    )
    .bind(o.status.as_str())
    .bind(serde_json::Value::Object(o.corrections.clone()).to_string())
    .bind(&o.decision_reason)
    .bind(&o.decided_by)
    .bind(o.decided_at)
    .bind(expected_version + 1)
    .bind(o.id)
    .bind(expected_version)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(crate::domain::Label::new(
            format!(
                "اعتراض پس از خواندن نسخه {} تغییر کرده است؛ دوباره بارگیری و تلاش کنید",
                crate::domain::digits::to_persian_digits(&expected_version.to_string())
            ),
            format!(
                "the objection changed since version {expected_version} was read; reload it and try again"
            ),
        )));
    }
    Ok(())
}
