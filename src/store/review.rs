//! Referrals: a file sent back to its office for correction.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{OfficeId, ReferralStatus, RoundId};

pub use crate::domain::records::Referral;

fn from_row(r: &AnyRow) -> Result<Referral, StoreError> {
    let c = Cells::new(r, "referrals", &["id"]);
    Ok(Referral {
        id: c.get("id")?,
        round: c.round("round")?,
        office_id: c.office("office_id")?,
        reasons: c.json_map("reasons")?,
        original_values: c.json_map("original_values")?,
        referred_by: c.get("referred_by")?,
        referred_at: c.get("referred_at")?,
        deadline_at: c.get("deadline_at")?,
        resolved_at: c.get("resolved_at")?,
        status: c.parse("status", "a referral status", ReferralStatus::parse)?,
    })
}

const COLUMNS: &str = "id, round, office_id, reasons, original_values, referred_by, referred_at, deadline_at, resolved_at, status";

impl Store {
    /// Every referral of a file, oldest first.
    #[tracing::instrument(skip_all, fields(%round, %office_id))]
    pub async fn referrals(
        &self,
        round: RoundId,
        office_id: &OfficeId,
    ) -> Result<Vec<Referral>, StoreError> {
        let q = format!(
            "select {COLUMNS} from referrals where round = $1 and office_id = $2 order by id"
        );
        sqlx::query(&q)
            .bind(round.to_string())
            .bind(office_id.as_str())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Every referral of a round, oldest first (for the review's after-round report).
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn round_referrals(&self, round: RoundId) -> Result<Vec<Referral>, StoreError> {
        let q = format!("select {COLUMNS} from referrals where round = $1 order by id");
        sqlx::query(&q)
            .bind(round.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Referrals of a round that are still open.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn open_referrals(&self, round: RoundId) -> Result<Vec<Referral>, StoreError> {
        let q = format!(
            "select {COLUMNS} from referrals where round = $1 and status = 'open' order by id"
        );
        sqlx::query(&q)
            .bind(round.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}

pub async fn insert_referral(conn: &mut AnyConnection, r: &Referral) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "insert into referrals (round, office_id, reasons, original_values, referred_by, referred_at, deadline_at, status) \
         values ($1, $2, $3, $4, $5, $6, $7, 'open') returning id",
    )
    .bind(r.round.to_string())
    .bind(r.office_id.as_str())
    .bind(serde_json::Value::Object(r.reasons.clone()).to_string())
    .bind(serde_json::Value::Object(r.original_values.clone()).to_string())
    .bind(&r.referred_by)
    .bind(r.referred_at)
    .bind(r.deadline_at)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// Closes a referral (`resubmitted` or `expired`); `false` if it was no longer open.
pub async fn close_referral(
    conn: &mut AnyConnection,
    id: i64,
    status: ReferralStatus,
    at: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update referrals set status = $1, resolved_at = $2 where id = $3 and status = 'open'",
    )
    .bind(status.as_str())
    .bind(at)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
