//! Rule-set versions: every version of a round's rule files that was ever live, kept with its full
//! source text (idempotent by round and content hash), and every time a server made one live. A
//! published result names its rules' hash; [`Store::rule_version`] gives those rules back.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::row::Cells;
use super::{Store, StoreError, audit, from_millis, millis};
use crate::domain::RoundId;
use crate::live::{BoxFuture, GoingLive, VersionLog};
use crate::rules::ruleset::SourceFile;

pub use crate::live::versions::{StoredVersion, VersionSummary};

/// The JSON kept in `rule_versions.source`.
#[derive(Serialize, Deserialize)]
struct SourceJson {
    files: Vec<FileJson>,
}

#[derive(Serialize, Deserialize)]
struct FileJson {
    path: String,
    text: String,
}

const COLUMNS: &str = "v.round, v.hash, v.version, v.loaded_at, v.first_live_at, v.origin, v.replica, \
     (select max(a.at) from rule_activations a where a.round = v.round and a.hash = v.hash) as last_live_at";

fn summary(r: &AnyRow) -> Result<VersionSummary, StoreError> {
    let c = Cells::new(r, "rule_versions", &["round", "hash"]);
    let first: i64 = c.get("first_live_at")?;
    Ok(VersionSummary {
        round: c.get("round")?,
        hash: c.get("hash")?,
        version: c.get("version")?,
        loaded_at: from_millis(c.get("loaded_at")?),
        first_live_at: from_millis(first),
        // No activation recorded: it was last live when it first went live.
        last_live_at: from_millis(c.get::<Option<i64>>("last_live_at")?.unwrap_or(first)),
        origin: c.get("origin")?,
        replica: c.get("replica")?,
    })
}

fn stored(r: &AnyRow) -> Result<StoredVersion, StoreError> {
    let parsed: SourceJson = Cells::new(r, "rule_versions", &["round", "hash"]).json("source")?;
    Ok(StoredVersion {
        summary: summary(r)?,
        files: parsed
            .files
            .into_iter()
            .map(|f| SourceFile {
                path: f.path,
                text: f.text,
            })
            .collect(),
    })
}

impl Store {
    /// Stores a version that goes live (once per round and hash, with its full source), notes the
    /// activation, and audits the change when the version differs from the one that went live
    /// last. Returns whether the version was new.
    pub async fn record_live_rules(&self, v: &GoingLive<'_>) -> Result<bool, StoreError> {
        let rs = v.rules;
        let round = rs.round.to_string();
        let hash = rs.hash();
        let at = millis(v.at);
        let source = serde_json::to_string(&SourceJson {
            files: rs
                .source
                .files
                .iter()
                .map(|f| FileJson {
                    path: f.path.clone(),
                    text: f.text.clone(),
                })
                .collect(),
        })
        .expect("strings serialize");
        let mut tx = self.pool.begin().await?;
        let previous: Option<String> = sqlx::query(
            "select hash from rule_activations where round = $1 order by id desc limit 1",
        )
        .bind(&round)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("hash"))
        .transpose()?;
        let inserted = sqlx::query(
            "insert into rule_versions (round, hash, version, source, loaded_at, first_live_at, origin, replica) \
             values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (round, hash) do nothing",
        )
        .bind(&round)
        .bind(hash)
        .bind(&rs.version)
        .bind(&source)
        .bind(at)
        .bind(at)
        .bind(v.origin.as_str())
        .bind(v.replica)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        sqlx::query(
            "insert into rule_activations (round, hash, at, origin, replica) values ($1, $2, $3, $4, $5)",
        )
        .bind(&round)
        .bind(hash)
        .bind(at)
        .bind(v.origin.as_str())
        .bind(v.replica)
        .execute(&mut *tx)
        .await?;
        if inserted || previous.as_deref() != Some(hash) {
            audit::record(
                &mut tx,
                at,
                &format!("system:{}", v.origin.as_str()),
                "rules.live",
                &format!("rules:{round}"),
                previous.map(|h| serde_json::json!({ "hash": h })).as_ref(),
                Some(&serde_json::json!({
                    "hash": hash,
                    "version": rs.version,
                    "new": inserted,
                    "replica": v.replica,
                })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Every stored version of a round, in the order they first went live.
    pub async fn rule_versions(&self, round: RoundId) -> Result<Vec<VersionSummary>, StoreError> {
        let rows = sqlx::query(&format!(
            "select {COLUMNS} from rule_versions v where v.round = $1 \
             order by (select min(a.id) from rule_activations a where a.round = v.round and a.hash = v.hash), v.hash"
        ))
        .bind(round.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(summary).collect()
    }

    /// One stored version with its files.
    pub async fn rule_version(
        &self,
        round: RoundId,
        hash: &str,
    ) -> Result<Option<StoredVersion>, StoreError> {
        sqlx::query(&format!(
            "select {COLUMNS}, v.source from rule_versions v where v.round = $1 and v.hash = $2"
        ))
        .bind(round.to_string())
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(stored)
        .transpose()
    }

    /// Every round with a stored version.
    pub async fn rule_version_rounds(&self) -> Result<Vec<RoundId>, StoreError> {
        let rows = sqlx::query("select distinct round from rule_versions order by round")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Cells::new(r, "rule_versions", &["round"])
                    .parse("round", "a round", |s| RoundId::parse(s).ok())
            })
            .collect()
    }

    /// The version of a round that a server made live last.
    pub async fn last_live_rule_version(
        &self,
        round: RoundId,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let Some(hash) = sqlx::query(
            "select hash from rule_activations where round = $1 order by id desc limit 1",
        )
        .bind(round.to_string())
        .fetch_optional(&self.pool)
        .await?
        .map(|r| r.try_get::<String, _>("hash"))
        .transpose()?
        else {
            return Ok(None);
        };
        self.rule_version(round, &hash).await
    }
}

/// The database is the registry's version log.
impl VersionLog for Store {
    fn record<'a>(&'a self, version: GoingLive<'a>) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.record_live_rules(&version)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }

    fn source<'a>(
        &'a self,
        round: RoundId,
        hash: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<SourceFile>>, String>> {
        Box::pin(async move {
            self.rule_version(round, hash)
                .await
                .map(|v| v.map(|v| v.files))
                .map_err(|e| e.to_string())
        })
    }

    fn last_live(&self, round: RoundId) -> BoxFuture<'_, Result<Option<Vec<SourceFile>>, String>> {
        Box::pin(async move {
            self.last_live_rule_version(round)
                .await
                .map(|v| v.map(|v| v.files))
                .map_err(|e| e.to_string())
        })
    }

    fn rounds(&self) -> BoxFuture<'_, Result<Vec<RoundId>, String>> {
        Box::pin(async move { self.rule_version_rounds().await.map_err(|e| e.to_string()) })
    }
}
