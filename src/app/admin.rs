//! What the admins' pages show and send: the accounts an admin looks after, and the office
//! registry import from CSV text with its report row by row (the same parse and command as
//! `POST /v1/offices/import`).

use super::{Actor, App, AppError};
use crate::domain::records::ImportReport;
use crate::domain::{Label, Role};
use crate::population::register::parse_registry;

/// An account as the admin's list shows it.
pub struct AccountRow {
    pub username: String,
    pub role: Role,
    pub region: Option<u8>,
    /// The office of a holder's account.
    pub office: Option<String>,
    /// Locked after failed sign-ins until this instant (Unix milliseconds), if still locked.
    pub locked_until: Option<i64>,
    pub failed_logins: i64,
    /// Still on the initial password (the national code), or a token-only API client.
    pub initial_password: bool,
}

/// Every active staff and API-client account, and every locked office holder's (admins).
pub async fn accounts(app: &App, actor: &Actor) -> Result<Vec<AccountRow>, AppError> {
    actor.require(&[Role::Admin])?;
    let now = app.clock.now().as_millisecond();
    Ok(app
        .store
        .managed_accounts(now)
        .await?
        .into_iter()
        .map(|u| AccountRow {
            locked_until: u.locked_until.filter(|t| *t > now),
            initial_password: u.password_hash.is_none(),
            office: u.office_id.map(|o| o.to_string()),
            username: u.username,
            role: u.role,
            region: u.region,
            failed_logins: u.failed_logins,
        })
        .collect())
}

/// One problem of an import, on a line and column of the file.
pub struct RowProblem {
    /// The line in the file (the header is line 1).
    pub line: usize,
    /// The column, or empty when the whole row is unreadable.
    pub column: String,
    pub message: Label,
}

/// What an import did: the rows written, or every problem (and nothing written).
pub enum ImportOutcome {
    Imported(ImportReport),
    Rejected(Vec<RowProblem>),
}

/// Imports the office registry from CSV text (admins): all rows are checked first; if any is
/// bad nothing is written and every problem comes back by line and column.
pub async fn import_csv(app: &App, actor: &Actor, text: &str) -> Result<ImportOutcome, AppError> {
    actor.require(&[Role::Admin])?;
    match parse_registry(text) {
        Ok(rows) => Ok(ImportOutcome::Imported(
            super::accounts::import_offices(app, actor, &rows).await?,
        )),
        Err(problems) => Ok(ImportOutcome::Rejected(
            problems
                .into_iter()
                .map(|p| RowProblem {
                    line: p.row,
                    column: p.field,
                    message: p.message,
                })
                .collect(),
        )),
    }
}
