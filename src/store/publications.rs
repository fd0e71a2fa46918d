//! Publications: immutable snapshots of a round's results (first and final), one row per office.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{RoundId, Stage};

pub use crate::domain::records::{Publication, StoredResult};

fn header(r: &AnyRow) -> Result<Publication, StoreError> {
    let c = Cells::new(r, "publications", &["id"]);
    Ok(Publication {
        id: c.get("id")?,
        round: c.round("round")?,
        stage: c.parse("stage", "a stage", Stage::parse)?,
        rules_hash: c.get("rules_hash")?,
        rules_version: c.get("rules_version")?,
        engine_version: c.get("engine_version")?,
        published_at: c.get("published_at")?,
        published_by: c.get("published_by")?,
        office_count: c.get("office_count")?,
        snapshot_hash: c.get("snapshot_hash")?,
    })
}

fn result(r: &AnyRow) -> Result<StoredResult, StoreError> {
    let c = Cells::new(r, "publication_results", &["publication_id", "office_id"]);
    Ok(StoredResult {
        office_id: c.office("office_id")?,
        region: c.small("region")?,
        kind: c.get("kind")?,
        filed: c.get::<i64>("filed")? != 0,
        total: c.get("total")?,
        grade: c.small("grade")?,
        service_share: c.get("service_share")?,
        inputs: c.json("inputs")?,
        result: c.get("result")?,
    })
}

const HEADER: &str = "id, round, stage, rules_hash, rules_version, engine_version, published_at, published_by, office_count, snapshot_hash";
const RESULT: &str = "office_id, region, kind, filed, total, grade, service_share, inputs, result";

impl Store {
    /// The publications of a round (first, then final).
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn publications(&self, round: RoundId) -> Result<Vec<Publication>, StoreError> {
        let q = format!("select {HEADER} from publications where round = $1 order by id");
        sqlx::query(&q)
            .bind(round.to_string())
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(header)
            .collect()
    }

    /// Results of a publication, optionally of one region or one office, in office order.
    #[tracing::instrument(skip_all, fields(publication))]
    pub async fn publication_results(
        &self,
        publication: i64,
        region: Option<u8>,
        office: Option<&str>,
    ) -> Result<Vec<StoredResult>, StoreError> {
        let q = format!(
            "select publication_id, {RESULT} from publication_results where publication_id = $1 \
             and ($2 = 0 or region = $2) and ($3 = '' or office_id = $3) order by office_id"
        );
        sqlx::query(&q)
            .bind(publication)
            .bind(region.map_or(0, |r| r as i64))
            .bind(office.unwrap_or(""))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(result)
            .collect()
    }
}

/// Writes a publication and all its results (inside the caller's transaction).
pub async fn insert_publication(
    conn: &mut AnyConnection,
    p: &Publication,
    results: &[StoredResult],
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "insert into publications (round, stage, rules_hash, rules_version, engine_version, published_at, published_by, office_count, snapshot_hash) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(p.round.to_string())
    .bind(p.stage.as_str())
    .bind(&p.rules_hash)
    .bind(&p.rules_version)
    .bind(&p.engine_version)
    .bind(p.published_at)
    .bind(&p.published_by)
    .bind(p.office_count)
    .bind(&p.snapshot_hash)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(crate::domain::Label::new(
            format!(
                "دوره {} پیش‌تر انتشار {} دارد",
                crate::domain::digits::to_persian_digits(&p.round.to_string()),
                crate::domain::label::publication_stage(p.stage.as_str()).fa
            ),
            format!("round {} already has a {} publication", p.round, p.stage),
        )),
        other => other,
    })?;
    let id: i64 = row.try_get("id")?;
    for r in results {
        sqlx::query(
            "insert into publication_results (publication_id, office_id, region, kind, filed, total, grade, service_share, inputs, result) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(r.office_id.as_str())
        .bind(r.region as i64)
        .bind(&r.kind)
        .bind(r.filed as i64)
        .bind(&r.total)
        .bind(r.grade as i64)
        .bind(&r.service_share)
        .bind(r.inputs.to_string())
        .bind(&r.result)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

impl crate::live::PublicationCheck for Store {
    /// Asked by the registry (off the async workers) before a change to a frozen round goes live.
    fn is_published(&self, round: crate::domain::RoundId) -> bool {
        let store = self.clone();
        match tokio::runtime::Handle::try_current() {
            // Fail safe: if the database cannot say, treat the round as published (frozen).
            Ok(h) => h.block_on(async move {
                store
                    .publications(round)
                    .await
                    .map(|p| !p.is_empty())
                    .unwrap_or(true)
            }),
            Err(_) => true,
        }
    }
}
