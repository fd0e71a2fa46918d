//! The population generation: a counter bumped in the same transaction as every write to offices
//! or declarations and stamped on the rows written, so a server keeping a round's population in
//! memory can tell with one cheap read whether its copy is current, and fetch only what changed.

use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::domain::{OfficeId, RoundId};

impl Store {
    /// The current generation. Read it *before* loading the population it stamps: a write that
    /// lands in between then only makes the copy look stale, never current.
    pub async fn population_generation(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("select generation from population_generation where id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("generation")?)
    }

    /// Offices whose record, or whose declaration of one of `rounds`, was written after
    /// generation `since`, ordered by id.
    pub async fn population_changes(
        &self,
        rounds: [RoundId; 2],
        since: i64,
    ) -> Result<Vec<OfficeId>, StoreError> {
        let rows = sqlx::query(
            "select id from offices where generation > $1 \
             union select office_id from declarations where generation > $1 and (round = $2 or round = $3) \
             order by 1",
        )
        .bind(since)
        .bind(rounds[0].to_string())
        .bind(rounds[1].to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id = r.try_get::<String, _>(0)?;
                OfficeId::parse(&id).map_err(|e| StoreError::Corrupt {
                    table: "offices",
                    row: id,
                    problem: e.to_string(),
                })
            })
            .collect()
    }
}

/// Marks the population changed; call inside the transaction that changes it, and stamp the rows
/// written with the generation returned.
pub(crate) async fn bump(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "update population_generation set generation = generation + 1 where id = 1 returning generation",
    )
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>(0)?)
}
