//! The API's list of a region's files (`GET /v1/rounds/{round}/files`): the reviewer's queue page's
//! one query path ([`super::queue::page_rows`]: filtered, counted and paged in the database, ordered
//! by risk from the [`super::triage::TriageCache`]) in the API's terms: a declaration's status
//! (`submitted` covers a file its reviewer accepted), any page size up to 500, and every file's
//! flags, risk and deadline.

use jiff::Timestamp;

use super::queue::{QueueSort, page_rows, risks};
use super::{Actor, App, AppError};
use crate::domain::{Label, RegionId, RoundId};
use crate::engine::triage::Triage;
use crate::store::queue::{FileState, QueueFilter, QueueRow};

/// What the API's list asks for, parsed.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// Regulators and admins: one region (reviewers: their own, whatever is asked).
    pub region: Option<u8>,
    /// A declaration's status: `not_started`, `draft`, `submitted` or `referred`; any other
    /// matches no file.
    pub status: Option<String>,
    pub sort: QueueSort,
    /// 1-based; a page past the last is empty.
    pub page: usize,
    pub per_page: usize,
}

/// One file of the list: its queue row, its flags and risk, and the deadline that applies to it.
pub struct ListedFile {
    pub row: QueueRow,
    /// No flags and risk 0 for a file not submitted, or one the assessment does not know yet.
    pub triage: Triage,
    /// An open referral's correction deadline, else the end of the regional review.
    pub deadline: Timestamp,
}

/// One page of the list.
pub struct FileList {
    pub round: RoundId,
    /// Files matching the query, on every page.
    pub total: usize,
    pub files: Vec<ListedFile>,
}

/// A file's state as a declaration's status, the API's word for it: an accepted file is still
/// `submitted` (its acceptance is the reviewer's, not a status of the declaration).
pub fn status_name(s: FileState) -> &'static str {
    match s {
        FileState::NotStarted => "not_started",
        FileState::Draft => "draft",
        FileState::Submitted | FileState::Reviewed => "submitted",
        FileState::Referred => "referred",
    }
}

/// The states a declaration's status covers (none for a word that is not a status).
fn states_of(status: &str) -> Vec<FileState> {
    FileState::ALL
        .into_iter()
        .filter(|s| status_name(*s) == status)
        .collect()
}

/// One page of the files the actor may list (reviewers: their region's; the regulator and admins:
/// any region, or every region), due referrals expired first. A stored row the page reads that
/// is damaged answers the store's corrupt-row error naming it, as every read does.
#[tracing::instrument(skip_all, fields(round))]
pub async fn file_list(
    app: &App,
    actor: &Actor,
    round: &str,
    q: &ListQuery,
) -> Result<FileList, AppError> {
    let region = super::review::region_scope(actor, q.region)?;
    if let Some(r) = region {
        RegionId::new(r.into()).map_err(|e| {
            AppError::BadRequest("invalid_query", Label::new(e.fa(), e.to_string()))
        })?;
    }
    // Expires due referrals and reads every file of the region (or the cached assessment of
    // them): a damaged declaration is reported here whatever the page shows.
    let (rs, assessed, open) = super::triage::assessed(app, actor, round, region).await?;
    let risks = risks(&rs, &assessed, &open);
    let mut filter = QueueFilter {
        region,
        ..QueueFilter::default()
    };
    let states = q.status.as_deref().map(states_of);
    // Counted under every filter but the state, like the page's counts: a stored status that is
    // not one is reported here, naming its row.
    let counted = app.store.queue_counts(rs.round, &filter).await?;
    let total: i64 = counted
        .iter()
        .filter(|(s, _)| states.as_ref().is_none_or(|states| states.contains(s)))
        .map(|(_, n)| n)
        .sum();
    let per_page = q.per_page.max(1);
    let offset = (q.page.max(1) - 1).saturating_mul(per_page);
    let rows = match states {
        Some(s) if s.is_empty() => Vec::new(),
        _ if offset as i64 >= total => Vec::new(),
        s => {
            filter.states = s.unwrap_or_default();
            page_rows(app, rs.round, &filter, q.sort, &risks, offset, per_page).await?
        }
    };
    let review_ends = crate::workflow::calendar::Window::of(
        &rs,
        crate::workflow::calendar::Phase::RegionalReview,
    )
    .closes_at;
    let files = rows
        .into_iter()
        .map(|row| {
            let (triage, deadline) = match risks.get(&row.office) {
                Some((t, d)) => ((*t).clone(), *d),
                None => (
                    Triage::default(),
                    super::triage::deadline(&open, review_ends, &row.office),
                ),
            };
            ListedFile {
                row,
                triage,
                deadline,
            }
        })
        .collect();
    Ok(FileList {
        round: rs.round,
        total: total as usize,
        files,
    })
}
