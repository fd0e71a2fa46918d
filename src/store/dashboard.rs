//! The round dashboard's counts: one SQL aggregate per family of counts, grouped by region, so a
//! dashboard over 20,000 offices reads a few dozen rows, never the files themselves.

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::RoundId;

/// A count of one region, with the key it counts (a status; empty where there is one count).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionCount {
    /// The region (1–9).
    pub region: i64,
    /// What is counted in the region: a status, or empty.
    pub key: String,
    /// How many.
    pub count: i64,
}

impl Store {
    /// Offices per region.
    pub async fn offices_per_region(&self) -> Result<Vec<RegionCount>, StoreError> {
        let q = "select region, count(*) as n from offices group by region";
        self.region_counts(sqlx::query(q), false).await
    }

    /// A round's declarations per region and status (`draft`, `submitted`, `referred`).
    pub async fn declarations_per_region(
        &self,
        round: RoundId,
    ) -> Result<Vec<RegionCount>, StoreError> {
        let q = "select f.region as region, d.status as key, count(*) as n \
                 from declarations d join offices f on f.id = d.office_id \
                 where d.round = $1 group by f.region, d.status";
        self.region_counts(sqlx::query(q).bind(round.to_string()), true)
            .await
    }

    /// Offices per region with a referral of `round` in `status` (each office once).
    pub async fn referred_offices_per_region(
        &self,
        round: RoundId,
        status: &str,
    ) -> Result<Vec<RegionCount>, StoreError> {
        let q = "select f.region as region, count(distinct r.office_id) as n \
                 from referrals r join offices f on f.id = r.office_id \
                 where r.round = $1 and r.status = $2 group by f.region";
        let query = sqlx::query(q)
            .bind(round.to_string())
            .bind(status.to_string());
        self.region_counts(query, false).await
    }

    /// A round's objections per region in `status`.
    pub async fn objections_per_region(
        &self,
        round: RoundId,
        status: &str,
    ) -> Result<Vec<RegionCount>, StoreError> {
        let q = "select f.region as region, count(*) as n \
                 from objections o join offices f on f.id = o.office_id \
                 where o.round = $1 and o.status = $2 group by f.region";
        let query = sqlx::query(q)
            .bind(round.to_string())
            .bind(status.to_string());
        self.region_counts(query, false).await
    }

    async fn region_counts<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        keyed: bool,
    ) -> Result<Vec<RegionCount>, StoreError> {
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok(RegionCount {
                    region: r.try_get("region")?,
                    key: if keyed {
                        r.try_get("key")?
                    } else {
                        String::new()
                    },
                    count: r.try_get("n")?,
                })
            })
            .collect()
    }
}
