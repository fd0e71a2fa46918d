//! The audit log as the regulator's and admins' page reads it: filtered by who, action, office,
//! round and date, newest first, a page at a time (the database does the filtering and paging).

use super::{Actor, App, AppError};
use crate::domain::Role;
pub use crate::store::audit::{AuditEntry, AuditFilter};

/// How many entries a page of the log shows.
pub const PAGE_SIZE: i64 = 50;

/// One page of the log.
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// How many entries pass the filter in all.
    pub total: i64,
    /// The page shown, from 1.
    pub page: i64,
    /// How many pages the filtered log has (at least 1).
    pub pages: i64,
    /// Every action the log has recorded, for the filter's choices.
    pub actions: Vec<String>,
}

/// Page `page` (from 1) of the entries that pass `filter` (regulators and admins).
pub async fn audit_page(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    page: i64,
) -> Result<AuditPage, AppError> {
    actor.require(&[Role::Regulator, Role::Admin])?;
    let page = page.max(1);
    let (entries, total) = app
        .store
        .audit_page(filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        .await?;
    Ok(AuditPage {
        entries,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        actions: app.store.audit_actions().await?,
    })
}
