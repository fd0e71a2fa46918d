//! The reviewer's queue: a region's files filtered, counted and paged in the database, so a region
//! of thousands of offices never comes back whole; and a reviewer's acceptance of a file.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::row::Cells;
use super::{Store, StoreError};
use crate::domain::{OfficeId, OfficeKind, RegionId, RoundId};

/// Where a file stands for its reviewer: not begun, a draft, filed and waiting, accepted, or sent
/// back to its office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileState {
    NotStarted,
    Draft,
    Submitted,
    Reviewed,
    Referred,
}

impl FileState {
    /// Every state, in the queue's order of counts.
    pub const ALL: [FileState; 5] = [
        FileState::NotStarted,
        FileState::Draft,
        FileState::Submitted,
        FileState::Reviewed,
        FileState::Referred,
    ];

    /// The name the queue's query computes and its filters use.
    pub fn as_str(self) -> &'static str {
        match self {
            FileState::NotStarted => "not_started",
            FileState::Draft => "draft",
            FileState::Submitted => "submitted",
            FileState::Reviewed => "reviewed",
            FileState::Referred => "referred",
        }
    }

    /// The state named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A file's state, computed in SQL from its declaration (if any): a submitted file whose version is
/// the one its reviewer accepted is reviewed; any other status is passed through, so a stored
/// status that is not one is a corrupt row, never read as a default.
const STATE: &str = "case when d.status is null then 'not_started' \
     when d.status = 'submitted' and d.reviewed_version = d.version then 'reviewed' \
     else d.status end";

/// The order of the queue when it is paged here (sorted "by office"): by license number. The
/// default order, by risk then deadline, needs each file's flags, which the engine computes in the
/// app layer (`app::queue::queue`), so that order pages the rows of [`Store::queue_rows`] there.
const ORDER: &str = "f.id";

/// Which files of a round the queue shows. Empty filters match everything.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// Only this region's offices (`None`: every region).
    pub region: Option<u8>,
    /// Only files in one of these states (empty: any state).
    pub states: Vec<FileState>,
    pub kind: Option<OfficeKind>,
    pub province: Option<String>,
    /// Part of a license number (matched without regard to case) or of an office's name.
    pub search: Option<String>,
}

/// One file of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    pub office: OfficeId,
    pub name: String,
    pub kind: OfficeKind,
    pub region: RegionId,
    pub province: String,
    pub state: FileState,
    /// The declaration's version (0: none yet).
    pub version: i64,
    /// When the declaration was (last) submitted (Unix milliseconds).
    pub submitted_at: Option<i64>,
    /// The open referral's deadline, for a referred file (Unix milliseconds).
    pub referral_deadline: Option<i64>,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// The files of `round` with their state, one row per office, before any filter.
fn files_sql() -> String {
    format!(
        "select o.id, d.round, o.name, o.kind, o.province, o.region, coalesce(d.version, 0) as version, \
         d.submitted_at, r.deadline_at, {STATE} as state \
         from offices o \
         left join declarations d on d.round = $1 and d.office_id = o.id \
         left join referrals r on r.round = $1 and r.office_id = o.id and r.status = 'open'"
    )
}

/// The `where` clause of `filter` over the files (`f`), with its binds after `$1` (the round).
/// With `with_states` false, the state filter is left out (for the counts of every state).
fn where_of(filter: &QueueFilter, with_states: bool) -> (String, Vec<Bind>) {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len() + 1)
    };
    if let Some(r) = filter.region {
        clauses.push(format!(
            "f.region = {}",
            next(Bind::Int(r.into()), &mut binds)
        ));
    }
    if with_states && !filter.states.is_empty() {
        let names: Vec<String> = filter
            .states
            .iter()
            .map(|s| next(Bind::Text(s.as_str().into()), &mut binds))
            .collect();
        clauses.push(format!("f.state in ({})", names.join(", ")));
    }
    if let Some(k) = filter.kind {
        clauses.push(format!(
            "f.kind = {}",
            next(Bind::Text(k.as_str().into()), &mut binds)
        ));
    }
    if let Some(p) = &filter.province {
        clauses.push(format!(
            "f.province = {}",
            next(Bind::Text(p.clone()), &mut binds)
        ));
    }
    if let Some(s) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let escaped = s
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let id = next(
            Bind::Text(format!("%{}%", escaped.to_uppercase())),
            &mut binds,
        );
        let name = next(Bind::Text(format!("%{escaped}%")), &mut binds);
        clauses.push(format!(
            "(upper(f.id) like {id} escape '\\' or f.name like {name} escape '\\')"
        ));
    }
    let sql = if clauses.is_empty() {
        String::new()
    } else {
        format!(" where {}", clauses.join(" and "))
    };
    (sql, binds)
}

fn bound<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    round: RoundId,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    q = q.bind(round.to_string());
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

fn from_row(r: &AnyRow) -> Result<QueueRow, StoreError> {
    let c = Cells::new(r, "declarations", &["round", "id"]);
    Ok(QueueRow {
        office: c.office("id")?,
        name: c.get("name")?,
        kind: c.parse("kind", "an office kind", OfficeKind::parse)?,
        region: {
            let r: i64 = c.get("region")?;
            RegionId::new(r).map_err(|_| c.corrupt(format!("region {r} is not a region")))?
        },
        province: c.get("province")?,
        state: c.parse("state", "a status", FileState::parse)?,
        version: c.get("version")?,
        submitted_at: c.get("submitted_at")?,
        referral_deadline: c.get("deadline_at")?,
    })
}

impl Store {
    /// One page of the queue: `limit` files from `offset`, in the queue's order.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn queue_page(
        &self,
        round: RoundId,
        filter: &QueueFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<QueueRow>, StoreError> {
        let (clause, binds) = where_of(filter, true);
        let n = binds.len();
        let sql = format!(
            "select * from ({}) f{clause} order by {ORDER} limit ${} offset ${}",
            files_sql(),
            n + 2,
            n + 3
        );
        bound(sqlx::query(&sql), round, binds)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The license numbers of every file of the queue under `filter`: filtered here, so only the
    /// matching ids come back, for the app layer to order by risk and cut a page of.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn queue_ids(
        &self,
        round: RoundId,
        filter: &QueueFilter,
    ) -> Result<Vec<OfficeId>, StoreError> {
        let (clause, binds) = where_of(filter, true);
        let sql = format!(
            "select f.id, f.round from ({}) f{clause} order by {ORDER}",
            files_sql()
        );
        bound(sqlx::query(&sql), round, binds)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Cells::new(r, "offices", &["id"]).office("id"))
            .collect()
    }

    /// The queue's rows of these files (one page's), in license order.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn queue_rows_of(
        &self,
        round: RoundId,
        offices: &[OfficeId],
    ) -> Result<Vec<QueueRow>, StoreError> {
        if offices.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..offices.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "select * from ({}) f where f.id in ({}) order by {ORDER}",
            files_sql(),
            marks.join(", ")
        );
        let binds = offices
            .iter()
            .map(|o| Bind::Text(o.as_str().to_string()))
            .collect();
        bound(sqlx::query(&sql), round, binds)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// How many files of the queue are in each state, under every filter but the state one.
    #[tracing::instrument(skip_all, fields(%round))]
    pub async fn queue_counts(
        &self,
        round: RoundId,
        filter: &QueueFilter,
    ) -> Result<Vec<(FileState, i64)>, StoreError> {
        let (clause, binds) = where_of(filter, false);
        let sql = format!(
            "select f.state, count(*) as n, min(f.round) as round, min(f.id) as id from ({}) f{clause} group by f.state",
            files_sql()
        );
        bound(sqlx::query(&sql), round, binds)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                // A status that is not one names a row that holds it.
                let c = Cells::new(r, "declarations", &["round", "id"]);
                Ok((c.parse("state", "a status", FileState::parse)?, c.get("n")?))
            })
            .collect()
    }

    /// The provinces of a region's offices (every region's: `None`), in order.
    pub async fn provinces(&self, region: Option<u8>) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "select distinct province from offices where ($1 = 0 or region = $1) order by province",
        )
        .bind(i64::from(region.unwrap_or(0)))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("province")?))
            .collect()
    }

    /// The reviewer's acceptance of a file, if it still stands (the file is at the accepted version).
    pub async fn acceptance(
        &self,
        round: RoundId,
        office: &OfficeId,
    ) -> Result<Option<Acceptance>, StoreError> {
        let row = sqlx::query(
            "select reviewed_version, reviewed_by, reviewed_at from declarations \
             where round = $1 and office_id = $2 and reviewed_version = version and status = 'submitted'",
        )
        .bind(round.to_string())
        .bind(office.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let c = Cells::new(&r, "declarations", &["reviewed_version"]);
            Ok(Acceptance {
                version: c.get("reviewed_version")?,
                by: c.get("reviewed_by")?,
                at: c.get("reviewed_at")?,
            })
        })
        .transpose()
    }
}

/// A reviewer's acceptance of a file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Acceptance {
    /// The declaration version accepted (the version the acceptance gave the file).
    pub version: i64,
    pub by: String,
    pub at: i64,
}

/// Marks a submitted file accepted at `version` (the one the reviewer read), giving it the next
/// version; `Conflict` if the file changed since, or is no longer submitted.
pub async fn accept_declaration(
    conn: &mut AnyConnection,
    round: RoundId,
    office: &OfficeId,
    version: i64,
    by: &str,
    at: i64,
) -> Result<i64, StoreError> {
    // A write to declarations like any other: the population generation says so (the triage
    // cache keeps files with their versions).
    let generation = super::generation::bump(&mut *conn).await?;
    let done = sqlx::query(
        "update declarations set version = $1, reviewed_version = $1, reviewed_by = $2, reviewed_at = $3, updated_at = $3, generation = $7 \
         where round = $4 and office_id = $5 and version = $6 and status = 'submitted'",
    )
    .bind(version + 1)
    .bind(by)
    .bind(at)
    .bind(round.to_string())
    .bind(office.as_str())
    .bind(version)
    .bind(generation)
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(crate::domain::Label::new(
            format!(
                "پرونده پس از خواندن نسخه {} تغییر کرده است؛ دوباره بارگیری و تلاش کنید",
                crate::domain::digits::to_persian_digits(&version.to_string())
            ),
            format!(
                "the declaration changed since version {version} was read; reload it and try again"
            ),
        )));
    }
    Ok(version + 1)
}
