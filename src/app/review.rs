//! Regional review: the region's files, its own inputs on them, referrals back to the office (and
//! their expiry), and decisions on objections.

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use super::{Actor, App, AppError, Claim, Written};
use crate::domain::{
    Label, ObjectionStatus, OfficeId, ReferralStatus, RegionId, Role, RoundId, Stage,
};
use crate::rules::RuleSet;
use crate::rules::value::FieldError;
use crate::store::declarations::{DeclarationRow, save_declaration};
use crate::store::objections::{Objection, update_objection};
use crate::store::offices::OfficeRow;
use crate::store::review::{Referral, close_referral, insert_referral};
use crate::store::{StoreError, audit};
use crate::workflow::review;

/// Closes referrals whose deadline passed: each file stands as it was when referred. Any request
/// may run this, many at once: each referral is expired once, and the others find it done.
#[tracing::instrument(skip_all, fields(%round))]
pub async fn expire_due_referrals(
    app: &App,
    round: RoundId,
    now: jiff::Timestamp,
) -> Result<(), AppError> {
    let now_ms = now.as_millisecond();
    for r in app
        .store
        .open_referrals(round)
        .await?
        .into_iter()
        .filter(|r| r.deadline_at <= now_ms)
    {
        expire_referral(app, &r, now_ms).await?;
    }
    Ok(())
}

/// Expires one due referral, unless another request got there first: that one's write makes this
/// one's declaration write conflict (then it reads the file again) or finds the referral closed
/// (then it writes nothing).
async fn expire_referral(app: &App, r: &Referral, now_ms: i64) -> Result<(), AppError> {
    const ATTEMPTS: usize = 3;
    for attempt in 1..=ATTEMPTS {
        let Some(d) = app.store.declaration(r.round, &r.office_id).await? else {
            return Ok(());
        };
        let row = review::expire(&d, r);
        let mut tx = app.begin(Claim::default()).await?;
        match save_declaration(&mut tx, &row, Some(d.version), now_ms).await {
            Err(StoreError::Conflict(_)) if attempt < ATTEMPTS => continue,
            written => written?,
        };
        if !close_referral(&mut tx, r.id, ReferralStatus::Expired, now_ms).await? {
            return Ok(());
        }
        let subject = format!("declaration:{}:{}", r.round, r.office_id);
        let before = serde_json::to_value(&d).expect("rows serialize");
        let after = serde_json::to_value(&row).expect("rows serialize");
        audit::record(
            &mut tx,
            now_ms,
            "system",
            "referral_expired",
            &subject,
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    Ok(())
}

/// The office, if the actor may see its files: its own holder, reviewers of its region, the
/// regulator and admins. An office the actor may not see is `NotFound` exactly as one that does
/// not exist, so ids cannot be probed.
pub async fn visible_office(app: &App, actor: &Actor, id: &str) -> Result<OfficeRow, AppError> {
    let not_found = || AppError::not_found("دفتر", "the office");
    let id = OfficeId::parse(id).map_err(|_| not_found())?;
    let may_see = |office: &OfficeRow| match actor.role {
        Role::Office => actor.office_id.as_ref() == Some(&office.id),
        Role::Reviewer => actor.region == Some(office.region.get()),
        Role::Regulator | Role::Admin => true,
        Role::ApiClient => false,
    };
    app.store
        .office(&id)
        .await?
        .filter(may_see)
        .ok_or_else(not_found)
}

/// The region whose files the actor may list: a reviewer's own; regulators and admins any (or all).
pub fn region_scope(actor: &Actor, asked: Option<u8>) -> Result<Option<u8>, AppError> {
    match actor.role {
        Role::Reviewer => {
            let own = actor.region.ok_or_else(|| {
                AppError::Forbidden(Label::new(
                    "حساب شما منطقه ندارد",
                    "your account has no region",
                ))
            })?;
            if asked.is_some_and(|r| r != own) {
                return Err(AppError::Forbidden(Label::new(
                    "شما فقط پرونده‌های منطقه خود را می‌بینید",
                    "reviewers see only their own region's files",
                )));
            }
            Ok(Some(own))
        }
        Role::Regulator | Role::Admin => Ok(asked),
        _ => Err(AppError::Forbidden(Label::new(
            "این فهرست برای کارشناسان منطقه و سازمان است",
            "this list is for regional reviewers and the regulator",
        ))),
    }
}

/// The objections of `round` the actor may list: of `region` (reviewers: their own), or every
/// region's; with the round as the live rules name it.
pub async fn objections(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<(RoundId, Vec<Objection>), AppError> {
    let rs = app.live_round(round)?;
    let region = region_scope(actor, region)?;
    Ok((rs.round, app.store.objections(rs.round, region).await?))
}

/// A region's files (or every region's): each office with its declaration, if any.
pub struct Files {
    pub rs: Arc<RuleSet>,
    pub files: Vec<(OfficeRow, Option<DeclarationRow>)>,
}

/// The files the actor may list, of `region` (reviewers: their own), due referrals expired first.
#[tracing::instrument(skip_all, fields(round))]
pub async fn files(
    app: &App,
    actor: &Actor,
    round: &str,
    region: Option<u8>,
) -> Result<Files, AppError> {
    let rs = app.live_round(round)?;
    let region = region_scope(actor, region)?
        .map(|r| RegionId::new(r as i64))
        .transpose()
        .map_err(|e| AppError::BadRequest("invalid_query", Label::new(e.fa(), e.to_string())))?;
    expire_due_referrals(app, rs.round, app.clock.now()).await?;
    let offices = app.store.offices(region).await?;
    let mut declarations = super::declarations_by_office(app, rs.round).await?;
    let files = offices
        .into_iter()
        .map(|o| {
            let d = declarations.remove(&o.id);
            (o, d)
        })
        .collect();
    Ok(Files { rs, files })
}

/// One file in full, as a reviewer (or the regulator) sees it.
pub struct File {
    pub office: OfficeRow,
    pub declaration: Option<DeclarationRow>,
    pub referrals: Vec<Referral>,
    pub objection: Option<Objection>,
}

/// One file the actor may see, due referrals expired first.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn file(app: &App, actor: &Actor, round: &str, office: &str) -> Result<File, AppError> {
    let rs = app.live_round(round)?;
    expire_due_referrals(app, rs.round, app.clock.now()).await?;
    let o = visible_office(app, actor, office).await?;
    let declaration = app.store.declaration(rs.round, &o.id).await?;
    let referrals = app.store.referrals(rs.round, &o.id).await?;
    let objection = app.store.objection(rs.round, &o.id).await?;
    Ok(File {
        office: o,
        declaration,
        referrals,
        objection,
    })
}

/// A reviewer's file to write on: the round, now, and the office's declaration, which must exist.
async fn declared_file(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
) -> Result<(Arc<RuleSet>, jiff::Timestamp, DeclarationRow), AppError> {
    actor.require(&[Role::Reviewer])?;
    let rs = app.live_round(round)?;
    let now = app.clock.now();
    expire_due_referrals(app, rs.round, now).await?;
    let o = visible_office(app, actor, office).await?;
    let d = app
        .store
        .declaration(rs.round, &o.id)
        .await?
        .ok_or_else(|| {
            AppError::state(
                "این دفتر خوداظهاری نکرده است",
                "this office has not filed a declaration",
            )
        })?;
    Ok((rs, now, d))
}

/// The region's inputs as recorded on a file, and the file's new version.
pub struct RegionValues {
    pub version: i64,
    pub values: Map<String, Json>,
}

/// Records the region's inputs and inspection findings on a submitted file, during the review.
/// `version` is the one the reviewer read: a concurrent change is a conflict.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn record_region_values(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    values: &Map<String, Json>,
    version: i64,
    claim: Claim,
) -> Result<Written<RegionValues>, AppError> {
    let (rs, now, d) = declared_file(app, actor, round, office).await?;
    check_version(&d, version)?;
    let row = review::record_region_values(&rs, &d, values, now)?;
    let ms = now.as_millisecond();
    let mut tx = app.begin(claim).await?;
    let version = save_declaration(&mut tx, &row, Some(d.version), ms).await?;
    audit::record(
        &mut tx,
        ms,
        actor.name(),
        "region_values_recorded",
        &format!("declaration:{round}:{office}"),
        Some(&json!(d.region_values)),
        Some(&json!(row.region_values)),
    )
    .await?;
    Ok(tx.written(RegionValues {
        version,
        values: row.region_values,
    }))
}

/// Refuses a write on a file that changed since the reviewer read `version`: someone else's
/// change is never silently overwritten.
fn check_version(d: &DeclarationRow, version: i64) -> Result<(), AppError> {
    if d.version == version {
        return Ok(());
    }
    Err(AppError::Conflict(Label::new(
        crate::domain::digits::to_persian_digits(&format!(
            "پرونده پس از خواندن نسخه {} تغییر کرده است (اکنون {})؛ دوباره بارگیری و تلاش کنید",
            version, d.version
        )),
        format!(
            "the file changed since you read version {version} (now {}); reload it and try again",
            d.version
        ),
    )))
}

/// Sends a submitted file back to its office, with a reason per field; gives back the referral
/// (its deadline: [`review::referral_window`]). With `version` (the one the reviewer read), a file
/// changed since is a conflict.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn refer(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    reasons: &Map<String, Json>,
    version: Option<i64>,
    claim: Claim,
) -> Result<Written<Referral>, AppError> {
    let (rs, now, d) = declared_file(app, actor, round, office).await?;
    if let Some(v) = version {
        check_version(&d, v)?;
    }
    let earlier = app.store.referrals(rs.round, &d.office_id).await?;
    let (row, mut referral) = review::refer(&rs, &d, &earlier, reasons, actor.name(), now)?;
    let ms = now.as_millisecond();
    let mut tx = app.begin(claim).await?;
    save_declaration(&mut tx, &row, Some(d.version), ms).await?;
    referral.id = insert_referral(&mut tx, &referral).await?;
    audit::record(
        &mut tx,
        ms,
        actor.name(),
        "referred",
        &format!("declaration:{round}:{office}"),
        Some(&json!({"status": d.status})),
        Some(&json!(referral)),
    )
    .await?;
    Ok(tx.written(referral))
}

/// What an acceptance wrote: the file's new version, who accepted it and when.
pub type Accepted = crate::store::queue::Acceptance;

/// The reviewer accepts a submitted file as it stands at `version` (the one they read), during
/// the review: the file counts as reviewed until something changes it. A file changed since is a
/// conflict; a draft or a referred file cannot be accepted.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn accept(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    version: i64,
    claim: Claim,
) -> Result<Written<Accepted>, AppError> {
    let (rs, now, d) = declared_file(app, actor, round, office).await?;
    crate::workflow::declaration::require_open(&rs, crate::workflow::Phase::RegionalReview, now)?;
    check_version(&d, version)?;
    if d.status != crate::domain::DeclarationStatus::Submitted {
        return Err(AppError::state(
            "فقط پرونده‌ای که ثبت نهایی شده و ارجاع باز ندارد پذیرفتنی است",
            "only a submitted file without an open referral can be accepted",
        ));
    }
    let ms = now.as_millisecond();
    let mut tx = app.begin(claim).await?;
    let version = crate::store::queue::accept_declaration(
        &mut tx,
        rs.round,
        &d.office_id,
        d.version,
        actor.name(),
        ms,
    )
    .await?;
    let accepted = Accepted {
        version,
        by: actor.name().to_string(),
        at: ms,
    };
    audit::record(
        &mut tx,
        ms,
        actor.name(),
        "file_accepted",
        &format!("declaration:{round}:{office}"),
        Some(&json!({"status": d.status, "version": d.version})),
        Some(&json!(accepted)),
    )
    .await?;
    Ok(tx.written(accepted))
}

/// A reviewer's handling of an objection: corrections to record, and perhaps the decision.
pub struct Handling {
    /// Corrected inputs (any input of the office); `null` removes one.
    pub corrections: Map<String, Json>,
    /// `accepted` or `rejected`, as the client wrote it; `None` only records corrections.
    pub decision: Option<String>,
    /// Required with a decision.
    pub reason: Option<String>,
    /// The objection's version the reviewer read.
    pub version: i64,
}

/// The region reviews an objection: records corrections and perhaps decides, with a reason.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn handle_objection(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    req: Handling,
    claim: Claim,
) -> Result<Written<Objection>, AppError> {
    actor.require(&[Role::Reviewer])?;
    let rs = app.live_round(round)?;
    let o = visible_office(app, actor, office).await?;
    let objection = app
        .store
        .objection(rs.round, &o.id)
        .await?
        .ok_or_else(|| AppError::not_found("اعتراض", "the objection"))?;
    if app
        .store
        .publications(rs.round)
        .await?
        .iter()
        .any(|p| p.stage == Stage::Final)
    {
        return Err(AppError::state(
            "رتبه نهایی اعلام شده است و دوره اعتراض بسته است",
            "the final ranks are published; objections are closed",
        ));
    }
    check_still_open(&objection, req.version)?;
    review::check_reviewer_values(&rs, &req.corrections, true)?;
    let now = app.clock.now().as_millisecond();
    let mut next = handled(&objection, &req, actor.name(), now)?;
    let mut tx = app.begin(claim).await?;
    update_objection(&mut tx, &next, objection.version).await?;
    let action = if req.decision.is_some() {
        "objection_decided"
    } else {
        "objection_corrected"
    };
    audit::record(
        &mut tx,
        now,
        actor.name(),
        action,
        &format!("objection:{round}:{office}"),
        Some(&json!(objection)),
        Some(&json!(next)),
    )
    .await?;
    next.version = objection.version + 1;
    Ok(tx.written(next))
}

/// Refuses an objection already decided, or changed since the reviewer read `version`.
fn check_still_open(objection: &Objection, version: i64) -> Result<(), AppError> {
    if objection.status != ObjectionStatus::Pending {
        return Err(AppError::state(
            format!(
                "درباره این اعتراض قبلاً تصمیم گرفته شده است ({})",
                match objection.status {
                    ObjectionStatus::Accepted => "پذیرفته شد",
                    ObjectionStatus::Rejected => "رد شد",
                    ObjectionStatus::Pending => "در انتظار بررسی",
                }
            ),
            format!("this objection was already {}", objection.status),
        ));
    }
    if objection.version != version {
        return Err(AppError::Conflict(Label::new(
            crate::domain::digits::to_persian_digits(&format!(
                "اعتراض پس از خواندن نسخه {} تغییر کرده است (اکنون {})؛ دوباره بارگیری و تلاش کنید",
                version, objection.version
            )),
            format!(
                "the objection changed since you read version {} (now {}); reload it and try again",
                version, objection.version
            ),
        )));
    }
    Ok(())
}

/// The objection after the reviewer's corrections and, when given, decision (by `by`, at `now`).
fn handled(
    objection: &Objection,
    req: &Handling,
    by: &str,
    now: i64,
) -> Result<Objection, AppError> {
    let mut next = objection.clone();
    for (k, v) in &req.corrections {
        if v.is_null() {
            next.corrections.remove(k);
        } else {
            next.corrections.insert(k.clone(), v.clone());
        }
    }
    if let Some(decision) = &req.decision {
        let decided = match decision.as_str() {
            "accepted" => ObjectionStatus::Accepted,
            "rejected" => ObjectionStatus::Rejected,
            _ => {
                return Err(vec![FieldError::new(
                    "decision",
                    "تصمیم «accepted» (پذیرش) یا «rejected» (رد) است",
                    "the decision is `accepted` or `rejected`",
                )]
                .into());
            }
        };
        let reason = req
            .reason
            .clone()
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| {
                AppError::from(vec![FieldError::new(
                    "reason",
                    "دلیل تصمیم را بنویسید",
                    "a decision needs a reason",
                )])
            })?;
        next.status = decided;
        next.decision_reason = Some(reason);
        next.decided_by = Some(by.to_string());
        next.decided_at = Some(now);
    }
    Ok(next)
}

/// Every referral of a round's files that is still open.
pub(super) async fn open_referrals(app: &App, round: RoundId) -> Result<Vec<Referral>, AppError> {
    Ok(app.store.open_referrals(round).await?)
}
