//! An office's own declaration: read it, save a draft or a correction, submit or resubmit it.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::{Actor, App, AppError, Claim, Tx, Written};
use crate::domain::{DeclarationStatus, Label, OfficeId};
use crate::rules::RuleSet;
use crate::store::audit;
use crate::store::declarations::{DeclarationRow, save_declaration};
use crate::store::review::{Referral, close_referral};
use crate::workflow::{declaration, review};

/// An office's file of a round, as its holder sees it.
pub struct MyFile {
    pub office: OfficeId,
    pub rs: Arc<RuleSet>,
    pub now: jiff::Timestamp,
    /// The declaration, once referrals past their deadline are closed.
    pub declaration: Option<DeclarationRow>,
    /// Last round's values (office- and region-supplied), offered as the starting point.
    pub previous: Map<String, Json>,
    /// The open referral of a referred file.
    pub referral: Option<Referral>,
}

/// The actor's own file of `round` (office holders only).
#[tracing::instrument(skip_all, fields(round))]
pub async fn mine(app: &App, actor: &Actor, round: &str) -> Result<MyFile, AppError> {
    let office = actor.own_office()?.clone();
    let rs = app.live_round(round)?;
    let now = app.clock.now();
    super::review::expire_due_referrals(app, rs.round, now).await?;
    let declaration = app.store.declaration(rs.round, &office).await?;
    let previous = app
        .store
        .declaration(rs.round.previous(), &office)
        .await?
        .map(DeclarationRow::all_values)
        .unwrap_or_default();
    let referral = match &declaration {
        Some(d) if d.status == DeclarationStatus::Referred => app
            .store
            .referrals(rs.round, &office)
            .await?
            .into_iter()
            .find(|r| r.status == crate::domain::ReferralStatus::Open),
        _ => None,
    };
    Ok(MyFile {
        office,
        rs,
        now,
        declaration,
        previous,
        referral,
    })
}

/// Saves a draft inside the self-declaration window, or, while the file is referred, corrects the
/// referred fields. `version` is the one the office read: a concurrent change is a conflict.
#[tracing::instrument(skip_all, fields(round))]
pub async fn save(
    app: &App,
    actor: &Actor,
    round: &str,
    values: &Map<String, Json>,
    version: Option<i64>,
    claim: Claim,
) -> Result<Written<MyFile>, AppError> {
    let mut file = mine(app, actor, round).await?;
    if let (Some(v), Some(d)) = (version, &file.declaration)
        && v != d.version
    {
        return Err(stale(v, d.version));
    }
    let (action, row) = match file.referral.as_ref().zip(file.declaration.as_ref()) {
        Some((r, d)) => (
            "declaration_corrected",
            review::correct(&file.rs, d, r, values, file.now)?,
        ),
        None => (
            "declaration_saved",
            declaration::save_draft(
                &file.rs,
                &file.office,
                file.declaration.as_ref(),
                values,
                file.now,
            )?,
        ),
    };
    let mut tx = app.begin(claim).await?;
    let d = persist(&mut tx, actor, action, &file, row, None).await?;
    file.declaration = Some(d);
    Ok(tx.written(file))
}

/// Files the declaration: office inputs left empty take last round's value (counted as
/// confirmed); a referred file is resubmitted with its corrections, closing the referral.
#[tracing::instrument(skip_all, fields(round))]
pub async fn submit(
    app: &App,
    actor: &Actor,
    round: &str,
    claim: Claim,
) -> Result<Written<MyFile>, AppError> {
    let mut file = mine(app, actor, round).await?;
    let (action, row, resolves) = match file.referral.as_ref().zip(file.declaration.as_ref()) {
        Some((r, d)) => (
            "declaration_resubmitted",
            review::resubmit(d, r, file.now)?,
            Some(r.id),
        ),
        None => (
            "declaration_submitted",
            declaration::submit(
                &file.rs,
                &file.office,
                file.declaration.as_ref(),
                &file.previous,
                file.now,
            )?,
            None,
        ),
    };
    let mut tx = app.begin(claim).await?;
    let d = persist(&mut tx, actor, action, &file, row, resolves).await?;
    file.declaration = Some(d);
    file.referral = None;
    Ok(tx.written(file))
}

fn stale(sent: i64, current: i64) -> AppError {
    AppError::Conflict(Label::new(
        crate::domain::digits::to_persian_digits(&format!(
            "پرونده پس از خواندن نسخه {sent} تغییر کرده است (اکنون {current})؛ دوباره بارگیری و تلاش کنید"
        )),
        format!(
            "the declaration changed since you read version {sent} (now {current}); reload it and try again"
        ),
    ))
}

/// Writes the row and its audit record (closing the referral it resolves), and gives back the row
/// as stored.
async fn persist(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    file: &MyFile,
    mut row: DeclarationRow,
    resolves_referral: Option<i64>,
) -> Result<DeclarationRow, AppError> {
    let now = file.now.as_millisecond();
    let before = file.declaration.as_ref();
    let version = save_declaration(tx, &row, before.map(|b| b.version), now).await?;
    if let Some(id) = resolves_referral {
        close_referral(tx, id, crate::domain::ReferralStatus::Resubmitted, now).await?;
    }
    let subject = format!("declaration:{}:{}", row.round, row.office_id);
    let before = before.map(|b| serde_json::to_value(b).expect("rows serialize"));
    let after = serde_json::to_value(&row).expect("rows serialize");
    audit::record(
        tx,
        now,
        actor.name(),
        action,
        &subject,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    row.version = version;
    row.updated_at = now;
    Ok(row)
}
