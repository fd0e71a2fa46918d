//! Storage with sqlx over both backends: SQLite (the embedded default) and PostgreSQL (several API
//! replicas sharing one database). One query path (`Any`, `$1` placeholders) serves both; the schema
//! lives in `migrations/<backend>/`, applied at start-up. One file per aggregate.

pub mod audit;
pub mod dashboard;
pub mod declarations;
pub mod generation;
pub mod idempotency;
pub mod objections;
pub mod offices;
pub mod publications;
pub mod queue;
pub mod review;
mod row;
pub mod rule_versions;
pub mod users;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, its backend, and the migrations applied.
#[derive(Clone, Debug)]
pub struct Store {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// Storage errors; constraint violations are told apart so the API can answer 409.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A write that clashed with another (a unique key, or a version read before someone else's
    /// change), said for the person who sent it.
    #[error("conflict: {}", .0.en)]
    Conflict(crate::domain::Label),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("the database URL `{0}` is not supported: use sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {0}: {1}")]
    Directory(String, std::io::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// A stored row that cannot be read back as it was written (edited by hand, a bad migration),
    /// e.g. "declarations row 1400-2/P-THR-000030: status `fild` is not a status".
    #[error("{table} row {row}: {problem}")]
    Corrupt {
        table: &'static str,
        row: String,
        problem: String,
    },
}

impl From<crate::domain::CorruptRecord> for StoreError {
    fn from(e: crate::domain::CorruptRecord) -> Self {
        StoreError::Corrupt {
            table: e.table,
            row: e.row,
            problem: e.problem,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && matches!(
                db.kind(),
                sqlx::error::ErrorKind::UniqueViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
            )
        {
            return StoreError::Conflict(crate::domain::Label::new(
                "این تغییر با رکورد دیگری که هم‌زمان ثبت شد تداخل دارد؛ دوباره بارگیری و تلاش کنید",
                format!(
                    "this change clashes with another record written at the same time ({}); reload and try again",
                    db.message()
                ),
            ));
        }
        StoreError::Database(e)
    }
}

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Connects (creating a SQLite file and its directory if needed) and applies migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_string()));
        };
        let url = match backend {
            Backend::Sqlite => {
                let path = url
                    .trim_start_matches("sqlite://")
                    .trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(dir) = Path::new(path)
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| StoreError::Directory(dir.display().to_string(), e))?;
                }
                if url.contains('?') {
                    url.to_string()
                } else {
                    format!("sqlite://{path}?mode=rwc")
                }
            }
            Backend::Postgres => url.to_string(),
        };
        let options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(15));
        let pool = match backend {
            // One connection: SQLite allows one writer at a time, and queuing here is simpler and
            // safer than retrying busy errors; the embedded default serves one site.
            Backend::Sqlite => options
                .max_connections(1)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("pragma foreign_keys = on; pragma journal_mode = wal; pragma busy_timeout = 5000;")
                            .await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await?,
            Backend::Postgres => options.max_connections(10).connect(&url).await?,
        };
        match backend {
            Backend::Sqlite => SQLITE.run(&pool).await?,
            Backend::Postgres => POSTGRES.run(&pool).await?,
        }
        Ok(Store { pool, backend })
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch, the storage format of every time.
pub fn millis(ts: jiff::Timestamp) -> i64 {
    ts.as_millisecond()
}

pub use crate::domain::from_millis;
