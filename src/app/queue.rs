//! What a regional reviewer reads: the queue of the region's files (filtered, counted and paged in
//! the database), one file with last round's values beside the declared ones, and the region's
//! objections; and the form-shaped entries to the review commands (texts typed into a page,
//! parsed against the round's inputs, then the same commands the JSON API calls).

use std::collections::HashMap;
use std::sync::Arc;

use jiff::Timestamp;

use serde_json::{Map, Value as Json};

use super::review::{Handling, RegionValues, file as review_file, handle_objection, refer};
use super::{Actor, App, AppError, Claim, Written};
use crate::domain::{
    Fixed, JalaliDate, Label, ObjectionStatus, OfficeId, OfficeKind, Role, RoundId,
};
/// A review flag raised on a file, with why (the engine's), as the queue page shows it.
pub use crate::engine::triage::RaisedFlag;
use crate::engine::triage::Triage;
use crate::rules::RuleSet;
use crate::rules::model::Supplier;
use crate::rules::ruleset::{InputDef, InputKind};
use crate::rules::value::{self, FieldError, Value};
use crate::store::declarations::DeclarationRow;
use crate::store::objections::Objection;
use crate::store::offices::OfficeRow;
use crate::store::queue::{Acceptance, QueueFilter, QueueRow};
use crate::store::review::Referral;
use crate::workflow::calendar::{Phase, RoundCalendar};

pub use super::triage::FlagCount;
pub use crate::store::queue::FileState;

/// Files on one page of the queue.
pub const PER_PAGE: usize = 50;

/// A status a reviewer filters the queue by: one state, or a group the counts name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    /// Not started or a draft: the office has not filed.
    NotFiled,
    /// Filed: submitted, reviewed or referred.
    Filed,
    /// Filed and waiting for the reviewer.
    Waiting,
    Reviewed,
    Referred,
    /// Past the deadline that applies to the file and still waiting (see [`overdue_states`]).
    Overdue,
}

impl StatusFilter {
    /// Every filter, in the order the queue offers them.
    pub const ALL: [StatusFilter; 6] = [
        StatusFilter::NotFiled,
        StatusFilter::Filed,
        StatusFilter::Waiting,
        StatusFilter::Reviewed,
        StatusFilter::Referred,
        StatusFilter::Overdue,
    ];

    /// Its name in a URL (`?status=waiting`).
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::NotFiled => "not_filed",
            StatusFilter::Filed => "filed",
            StatusFilter::Waiting => "waiting",
            StatusFilter::Reviewed => "reviewed",
            StatusFilter::Referred => "referred",
            StatusFilter::Overdue => "overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn label(self) -> Label {
        match self {
            StatusFilter::NotFiled => Label::new("خوداظهاری نکرده", "Not filed"),
            StatusFilter::Filed => Label::new("خوداظهاری کرده", "Filed"),
            StatusFilter::Waiting => Label::new("در انتظار بررسی", "Waiting for review"),
            StatusFilter::Reviewed => Label::new("بررسی‌شده", "Reviewed"),
            StatusFilter::Referred => Label::new("ارجاع‌شده", "Referred"),
            StatusFilter::Overdue => Label::new("گذشته از مهلت", "Overdue"),
        }
    }

    fn states(self, overdue: &[FileState]) -> Vec<FileState> {
        use FileState::*;
        match self {
            StatusFilter::NotFiled => vec![NotStarted, Draft],
            StatusFilter::Filed => vec![Submitted, Reviewed, Referred],
            StatusFilter::Waiting => vec![Submitted],
            StatusFilter::Reviewed => vec![Reviewed],
            StatusFilter::Referred => vec![Referred],
            StatusFilter::Overdue => overdue.to_vec(),
        }
    }
}

/// A file's state in words.
pub fn state_label(s: FileState) -> Label {
    match s {
        FileState::NotStarted => Label::new("شروع نشده", "Not started"),
        FileState::Draft => Label::new("پیش‌نویس", "Draft"),
        FileState::Submitted => Label::new("در انتظار بررسی", "Waiting for review"),
        FileState::Reviewed => Label::new("پذیرفته شد", "Accepted"),
        FileState::Referred => Label::new("ارجاع به دفتر", "Referred to the office"),
    }
}

/// The queue's filters as a page's GET form sends them (every field as typed; empty is none).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct QueueQuery {
    pub round: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    pub province: Option<String>,
    pub q: Option<String>,
    pub page: Option<String>,
    /// Regulators and admins: one region (reviewers: their own, whatever is asked).
    pub region: Option<String>,
    /// `risk` (the default: riskiest first, then the nearest deadline) or `office` (by license
    /// number).
    pub sort: Option<String>,
}

/// The order of the queue a reviewer chooses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// Riskiest first, then the nearest deadline, then the license number
    /// ([`super::triage::queue_order`]): the files that most need a reviewer's eyes first.
    #[default]
    Risk,
    /// By license number.
    Office,
}

impl QueueSort {
    /// Every order, as the sort choice offers them.
    pub const ALL: [QueueSort; 2] = [QueueSort::Risk, QueueSort::Office];

    /// Its name in a URL (`?sort=office`).
    pub fn as_str(self) -> &'static str {
        match self {
            QueueSort::Risk => "risk",
            QueueSort::Office => "office",
        }
    }

    /// The order named `s`, if any.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Its name in words.
    pub fn label(self) -> Label {
        match self {
            QueueSort::Risk => Label::new(
                "پرخطرترین، سپس نزدیک‌ترین مهلت",
                "Riskiest, then nearest deadline",
            ),
            QueueSort::Office => Label::new("شماره پروانه", "License number"),
        }
    }
}

/// The counts at the top of the queue, under the kind, province and search filters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub all: i64,
    pub filed: i64,
    pub not_filed: i64,
    pub waiting: i64,
    pub reviewed: i64,
    pub referred: i64,
    pub overdue: i64,
}

/// A deadline that applies to one file: its last day and the days left to it (negative: past).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDeadline {
    pub last_day: JalaliDate,
    pub days_left: i64,
    pub overdue: bool,
}

/// One file on a page of the queue.
#[derive(Clone, Debug)]
pub struct QueueItem {
    pub office: OfficeId,
    pub name: String,
    pub kind: OfficeKind,
    pub province: String,
    pub state: FileState,
    pub deadline: Option<FileDeadline>,
    /// The sum of its raised flags' weights (0: none raised, or not filed).
    pub risk: Fixed,
    /// The round's review flags the file raises, each with why, in the round's order.
    pub flags: Vec<RaisedFlag>,
}

/// One page of the queue, with its counts and what the filters may be set to.
pub struct Queue {
    pub round: RoundId,
    pub title: Label,
    /// The region listed (`None`: every region, for the regulator).
    pub region: Option<u8>,
    pub counts: Counts,
    /// Files matching every filter.
    pub total: i64,
    pub page: usize,
    pub pages: usize,
    pub items: Vec<QueueItem>,
    /// The provinces of the region, for the province filter.
    pub provinces: Vec<String>,
    /// The filters as understood (unknown values dropped, each with a problem below).
    pub status: Option<StatusFilter>,
    pub kind: Option<OfficeKind>,
    pub province: Option<String>,
    pub search: String,
    /// Filters that could not be understood: the query field and why.
    pub problems: Vec<FieldError>,
    pub sort: QueueSort,
    /// The region's counts per flag (every file of the region, whatever the filters).
    pub flag_counts: Vec<FlagCount>,
    /// The region's files that raise at least one flag.
    pub flagged: usize,
}

/// The states whose files are past the deadline that applies to them at `now`: not filed once
/// self-declaration closed, waiting for the reviewer once the regional review closed. (A referral
/// past its deadline is closed before the queue is read, so a referred file is never overdue.)
pub fn overdue_states(calendar: &RoundCalendar, now: jiff::Timestamp) -> Vec<FileState> {
    let mut out = Vec::new();
    if now >= calendar.window(Phase::SelfDeclaration).closes_at {
        out.extend([FileState::NotStarted, FileState::Draft]);
    }
    if now >= calendar.window(Phase::RegionalReview).closes_at {
        out.push(FileState::Submitted);
    }
    out
}

/// The round a page is about: the one asked for, else the one running now (see
/// [`super::home::current_round`]).
pub async fn page_round(app: &App, asked: Option<&str>) -> Result<Arc<RuleSet>, AppError> {
    match asked.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => app.live_round(r),
        None => super::home::current_round(app)
            .await?
            .map(|(rs, _)| rs)
            .ok_or_else(|| AppError::not_found("دوره فعال", "a live round")),
    }
}

/// One page of the queue of the files the actor may review (reviewers: their region's; the
/// regulator: any region, read-only), filtered and counted in the database; due referrals are
/// expired first.
///
/// Ordered by risk (the default), every file of the filtered set needs its risk before a page can
/// be cut, so the flags are known for the whole region (the outlier flag compares a file with its
/// region's peers, so the region is the unit anyway) by [`super::triage::assessed`], the same
/// assessment the API's `sort=risk` uses; the database still filters and counts, and returns the
/// matching files' ids only, ordered here as
/// [`super::triage::queue_order`], and only the page's fifty rows are read in full. The engine
/// itself assesses 5,000 files in about 10 ms (dev profile); reading and parsing the region's
/// declarations costs about 340 ms, so the assessment is kept in the app's
/// [`super::triage::TriageCache`], keyed by the rule set's source hash and the population
/// generation, and a changed file or a reloaded rule set still shows on the next read
/// (`benches/review_queue.rs`, dev profile, busy machine: an unfiltered page of a 5,000-file
/// region 23–37 ms; filtered by status 50–75 ms, most of it reading the matching ids). The page's
/// rows come from [`page_rows`], which the API's file list shares.
#[tracing::instrument(skip_all)]
pub async fn queue(app: &App, actor: &Actor, q: &QueueQuery) -> Result<Queue, AppError> {
    let mut problems = Vec::new();
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }
    let asked_region = match text(&q.region) {
        Some(r) => match crate::domain::digits::to_ascii_digits(r).parse::<u8>() {
            Ok(n) if (1..=9).contains(&n) => Some(n),
            _ => {
                problems.push(FieldError::new(
                    "region",
                    "منطقه عددی از ۱ تا ۹ است",
                    "the region is a number from 1 to 9",
                ));
                None
            }
        },
        None => None,
    };
    let region = super::review::region_scope(actor, asked_region)?;
    let rs = page_round(app, text(&q.round)).await?;
    let now = app.clock.now();
    super::review::expire_due_referrals(app, rs.round, now).await?;
    let events = super::publication::events(app, rs.round).await?;
    let calendar = RoundCalendar::new(&rs, events);
    let overdue = overdue_states(&calendar, now);

    let status = text(&q.status).and_then(|s| {
        let f = StatusFilter::parse(s);
        if f.is_none() {
            problems.push(FieldError::new(
                "status",
                "وضعیت انتخاب‌شده شناخته نیست",
                "the chosen status is not one the queue knows",
            ));
        }
        f
    });
    let kind = text(&q.kind).and_then(|k| {
        let f = OfficeKind::parse(k);
        if f.is_none() {
            problems.push(FieldError::new(
                "kind",
                "نوع دفتر انتخاب‌شده شناخته نیست",
                "the chosen office kind is not one the queue knows",
            ));
        }
        f
    });
    let sort = match text(&q.sort) {
        Some(s) => QueueSort::parse(s).unwrap_or_else(|| {
            problems.push(FieldError::new(
                "sort",
                "ترتیب انتخاب‌شده شناخته نیست",
                "the chosen order is not one the queue knows",
            ));
            QueueSort::default()
        }),
        None => QueueSort::default(),
    };
    let page = match text(&q.page) {
        Some(p) => match crate::domain::digits::to_ascii_digits(p).parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                problems.push(FieldError::new(
                    "page",
                    "شماره صفحه عددی از ۱ به بالاست",
                    "the page is a number from 1 up",
                ));
                1
            }
        },
        None => 1,
    };
    let search = text(&q.q).map(crate::domain::digits::to_ascii_digits);
    let mut filter = QueueFilter {
        region,
        states: Vec::new(),
        kind,
        province: text(&q.province).map(str::to_string),
        search: search.clone(),
    };
    let counted = app.store.queue_counts(rs.round, &filter).await?;
    let n = |states: &[FileState]| -> i64 {
        counted
            .iter()
            .filter(|(s, _)| states.contains(s))
            .map(|(_, n)| n)
            .sum()
    };
    let counts = Counts {
        all: n(&FileState::ALL),
        filed: n(&StatusFilter::Filed.states(&overdue)),
        not_filed: n(&StatusFilter::NotFiled.states(&overdue)),
        waiting: n(&StatusFilter::Waiting.states(&overdue)),
        reviewed: n(&StatusFilter::Reviewed.states(&overdue)),
        referred: n(&StatusFilter::Referred.states(&overdue)),
        overdue: n(&overdue),
    };
    let states = status.map(|s| s.states(&overdue));
    let total = match &states {
        Some(s) => n(s),
        None => counts.all,
    };
    let pages = (total as usize).div_ceil(PER_PAGE).max(1);
    let page = page.min(pages);
    let (triage_rs, assessed, open) =
        super::triage::assessed(app, actor, &rs.round.to_string(), region).await?;
    let by_office = risks(&triage_rs, &assessed, &open);
    let (flag_counts, flagged) =
        super::triage::counts(&triage_rs, assessed.iter().map(|(_, _, t)| t));
    let offset = (page - 1) * PER_PAGE;
    let rows = match states {
        Some(s) if s.is_empty() => Vec::new(),
        s => {
            filter.states = s.unwrap_or_default();
            page_rows(app, rs.round, &filter, sort, &by_office, offset, PER_PAGE).await?
        }
    };
    let items = rows
        .into_iter()
        .map(|r| {
            let t = by_office
                .get(&r.office)
                .map(|(t, _)| (*t).clone())
                .unwrap_or_default();
            let mut i = item(&calendar, now, &overdue, r);
            i.risk = t.risk;
            i.flags = t.flags;
            i
        })
        .collect();
    Ok(Queue {
        round: rs.round,
        title: rs.title.clone(),
        region,
        counts,
        total,
        page,
        pages,
        items,
        provinces: app.store.provinces(region).await?,
        status,
        kind,
        province: filter.province,
        search: search.unwrap_or_default(),
        problems,
        sort,
        flag_counts,
        flagged,
    })
}

/// Each assessed file's flags and risk, and the deadline that applies to it, by license number:
/// what orders the queue by risk, read from the shared assessment without copying it.
pub type Risks<'a> = HashMap<&'a OfficeId, (&'a Triage, Timestamp)>;

/// The [`Risks`] of an assessment (see [`super::triage::assessed`]): each file's deadline is its
/// open referral's (from `open`), else the end of the regional review.
pub fn risks<'a>(
    rs: &RuleSet,
    assessed: &'a super::triage::Assessed,
    open: &HashMap<OfficeId, Referral>,
) -> Risks<'a> {
    let review_ends = crate::workflow::calendar::Window::of(rs, Phase::RegionalReview).closes_at;
    assessed
        .iter()
        .map(|(o, _, t)| {
            (
                &o.id,
                (t, super::triage::deadline(open, review_ends, &o.id)),
            )
        })
        .collect()
}

/// `limit` files of the queue under `filter` from `offset`, in `sort`'s order: the one query path
/// of the reviewer's queue page and the API's file list (`GET /v1/rounds/{round}/files`).
///
/// By license number the database pages. By risk the database filters and returns the matching
/// files' license numbers only (with no filter but the region, they are the assessment's own);
/// they are ordered here by `risks` (riskiest first, then the nearest deadline, then the license
/// number, as [`super::triage::queue_order`]; a file the assessment lacks sorts last), and only
/// the page's rows are read in full. An empty `filter.states` means any state.
pub async fn page_rows(
    app: &App,
    round: RoundId,
    filter: &QueueFilter,
    sort: QueueSort,
    risks: &Risks<'_>,
    offset: usize,
    limit: usize,
) -> Result<Vec<QueueRow>, AppError> {
    match sort {
        QueueSort::Office => Ok(app
            .store
            .queue_page(round, filter, offset as i64, limit as i64)
            .await?),
        QueueSort::Risk => {
            // The whole region (no filter but the region) is the assessment's files: the same
            // offices, read at the same population generation, so the database need not list
            // them (5,000 ids cost more to read than the rest of the page).
            let ids = if whole_region(filter) {
                risks.keys().map(|id| (*id).clone()).collect()
            } else {
                app.store.queue_ids(round, filter).await?
            };
            let mut keyed: Vec<_> = ids
                .into_iter()
                .map(|id| {
                    let key = risks.get(&id).map(|(t, d)| (std::cmp::Reverse(t.risk), *d));
                    (key.is_none(), key, id)
                })
                .collect();
            keyed.sort_by(|a, b| {
                (a.0, a.1)
                    .cmp(&(b.0, b.1))
                    .then_with(|| a.2.as_str().cmp(b.2.as_str()))
            });
            let ids: Vec<OfficeId> = keyed
                .into_iter()
                .skip(offset)
                .take(limit)
                .map(|(_, _, id)| id)
                .collect();
            let mut rows = app.store.queue_rows_of(round, &ids).await?;
            rows.sort_by_key(|r| ids.iter().position(|id| *id == r.office));
            Ok(rows)
        }
    }
}

/// Whether `filter` asks for no more than a region's (or every region's) files.
fn whole_region(filter: &QueueFilter) -> bool {
    filter.states.is_empty()
        && filter.kind.is_none()
        && filter.province.is_none()
        && filter.search.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// A queue row with the deadline that applies to its file: self-declaration for a file not filed,
/// the regional review for one waiting, the correction deadline for a referred one.
fn item(
    calendar: &RoundCalendar,
    now: jiff::Timestamp,
    overdue: &[FileState],
    r: QueueRow,
) -> QueueItem {
    let today = JalaliDate::of_instant(now);
    let last_day = match r.state {
        FileState::NotStarted | FileState::Draft => {
            Some(calendar.window(Phase::SelfDeclaration).last_day)
        }
        FileState::Submitted => Some(calendar.window(Phase::RegionalReview).last_day),
        FileState::Referred => r
            .referral_deadline
            .map(|ms| JalaliDate::of_instant(crate::store::from_millis(ms)).add_days(-1)),
        FileState::Reviewed => None,
    };
    QueueItem {
        deadline: last_day.map(|d| FileDeadline {
            last_day: d,
            days_left: today.days_until(d),
            overdue: overdue.contains(&r.state),
        }),
        office: r.office,
        name: r.name,
        kind: r.kind,
        province: r.province,
        state: r.state,
        risk: Fixed::ZERO,
        flags: Vec::new(),
    }
}

/// A value of a file, as a form field holds it (`text`, parsed back by the same rules) and as the
/// page shows it (`shown`: a choice's label, yes/no).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValueText {
    pub text: String,
    pub shown: Label,
}

/// One input of the round on the file page.
#[derive(Clone, Debug)]
pub struct FieldView {
    pub name: String,
    pub label: Label,
    pub unit: Option<Label>,
    pub help: Option<Label>,
    /// How to write a value (type, range, the violation kinds).
    pub hint: Label,
    /// Filled by the region (or inspection) during review, not by the office.
    pub by_region: bool,
    /// A choice input's values (name, label); empty for other kinds.
    pub choices: Vec<(String, Label)>,
    pub is_bool: bool,
    /// The value on the file now (the region's for region inputs, the office's otherwise).
    pub value: Option<ValueText>,
    /// Last round's value.
    pub previous: Option<ValueText>,
    /// The value differs from last round's.
    pub changed: bool,
    /// Taken from last round because the office left it empty.
    pub carried_over: bool,
    /// The open referral's note on this field.
    pub referred: Option<String>,
}

/// One file as its reviewer works on it.
pub struct FileView {
    pub round: RoundId,
    pub title: Label,
    pub office: OfficeRow,
    pub state: FileState,
    /// The declaration's version the page was read at (0: none): the forms carry it back.
    pub version: i64,
    pub fields: Vec<FieldView>,
    pub acceptance: Option<Acceptance>,
    pub open_referral: Option<Referral>,
    pub referrals: Vec<Referral>,
    pub objection: Option<Objection>,
    /// The actor is a reviewer and the regional review is open: the forms are offered.
    pub can_review: bool,
    /// The deadline of the review (or of an open referral's correction).
    pub deadline: Option<FileDeadline>,
}

/// The file of `office` in `round` as the actor may see it (404 for another region's), with last
/// round's values beside the declared ones.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn file_view(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
) -> Result<FileView, AppError> {
    actor.require(&[Role::Reviewer, Role::Regulator, Role::Admin])?;
    let rs = app.live_round(round)?;
    let f = review_file(app, actor, round, office).await?;
    let previous = app
        .store
        .declaration(rs.round.previous(), &f.office.id)
        .await?
        .map(DeclarationRow::all_values)
        .unwrap_or_default();
    let acceptance = app.store.acceptance(rs.round, &f.office.id).await?;
    let state = match (&f.declaration, &acceptance) {
        (None, _) => FileState::NotStarted,
        (Some(d), _) if d.status == crate::domain::DeclarationStatus::Draft => FileState::Draft,
        (Some(d), _) if d.status == crate::domain::DeclarationStatus::Referred => {
            FileState::Referred
        }
        (Some(_), Some(_)) => FileState::Reviewed,
        (Some(_), None) => FileState::Submitted,
    };
    let open_referral = f
        .referrals
        .iter()
        .find(|r| r.status == crate::domain::ReferralStatus::Open)
        .cloned();
    let empty = DeclarationRow {
        round: rs.round,
        office_id: f.office.id.clone(),
        status: crate::domain::DeclarationStatus::Draft,
        office_values: Map::new(),
        region_values: Map::new(),
        carried_over: Vec::new(),
        version: 0,
        updated_at: 0,
        submitted_at: None,
    };
    let d = f.declaration.as_ref().unwrap_or(&empty);
    let fields = rs
        .inputs
        .iter()
        .map(|def| field_view(def, d, &previous, open_referral.as_ref()))
        .collect();
    let now = app.clock.now();
    let events = super::publication::events(app, rs.round).await?;
    let calendar = RoundCalendar::new(&rs, events);
    let overdue = overdue_states(&calendar, now);
    let deadline = item(
        &calendar,
        now,
        &overdue,
        QueueRow {
            office: f.office.id.clone(),
            name: String::new(),
            kind: f.office.kind,
            region: f.office.region,
            province: String::new(),
            state,
            version: d.version,
            submitted_at: d.submitted_at,
            referral_deadline: open_referral.as_ref().map(|r| r.deadline_at),
        },
    )
    .deadline;
    Ok(FileView {
        round: rs.round,
        title: rs.title.clone(),
        can_review: actor.role == Role::Reviewer && calendar.is_open(Phase::RegionalReview, now),
        version: d.version,
        office: f.office,
        state,
        fields,
        acceptance,
        open_referral,
        referrals: f.referrals,
        objection: f.objection,
        deadline,
    })
}

fn field_view(
    def: &InputDef,
    d: &DeclarationRow,
    previous: &Map<String, Json>,
    referral: Option<&Referral>,
) -> FieldView {
    let by_region = def.supplied_by != Supplier::Office;
    let current = if by_region {
        d.region_values.get(&def.name)
    } else {
        d.office_values.get(&def.name)
    };
    let value = current.map(|v| value_text(def, v));
    let previous = previous.get(&def.name).map(|v| value_text(def, v));
    FieldView {
        name: def.name.clone(),
        label: def.label.clone(),
        unit: def.unit.clone(),
        help: def.help.clone(),
        hint: hint(def),
        by_region,
        choices: match &def.kind {
            InputKind::Choice(values) => values
                .iter()
                .map(|c| (c.name.clone(), c.label.clone()))
                .collect(),
            _ => Vec::new(),
        },
        is_bool: matches!(def.kind, InputKind::Boolean),
        changed: value.is_some()
            && previous.is_some()
            && value.as_ref().map(|v| &v.text) != previous.as_ref().map(|v| &v.text),
        carried_over: d.carried_over.contains(&def.name),
        referred: referral
            .and_then(|r| r.reasons.get(&def.name))
            .map(|n| n.as_str().unwrap_or_default().to_string()),
        value,
        previous,
    }
}

/// How to write a value of `def` in a form.
fn hint(def: &InputDef) -> Label {
    let range = def.range.map(|r| {
        let (lo, hi) = (r.min(), r.max());
        match (lo, hi) {
            (Some(a), Some(b)) => (format!("از {a} تا {b}"), format!("from {a} to {b}")),
            (Some(a), None) => (format!("دست‌کم {a}"), format!("at least {a}")),
            (None, Some(b)) => (format!("حداکثر {b}"), format!("at most {b}")),
            (None, None) => (String::new(), String::new()),
        }
    });
    let (fa, en) = match &def.kind {
        InputKind::Integer => ("عدد صحیح".to_string(), "a whole number".to_string()),
        InputKind::Decimal => ("عدد".to_string(), "a number".to_string()),
        InputKind::Boolean => ("بله یا خیر".to_string(), "yes or no".to_string()),
        InputKind::Choice(_) => (
            "یکی از گزینه‌ها".to_string(),
            "one of the choices".to_string(),
        ),
        InputKind::Date => (
            "تاریخ شمسی مانند ۱۴۰۰/۰۲/۱۰".to_string(),
            "a Jalali date such as 1400/02/10".to_string(),
        ),
        InputKind::Violations => (
            "هر تخلف به شکل «نوع@تاریخ»، جدا با «؛»".to_string(),
            format!(
                "each violation as kind@date, separated by “;” (kinds: {})",
                def.violation_kinds.join(", ")
            ),
        ),
    };
    match range {
        Some((rfa, ren)) if !rfa.is_empty() => Label::new(
            crate::domain::digits::to_persian_digits(&format!("{fa}، {rfa}")),
            format!("{en}, {ren}"),
        ),
        _ => Label::new(fa, en),
    }
}

/// A stored value as a form writes it and as a page shows it; a value that no longer checks
/// against the round (the rules changed) is shown as stored.
pub fn value_text(def: &InputDef, raw: &Json) -> ValueText {
    let plain = |t: String| ValueText {
        shown: Label::new(crate::domain::digits::to_persian_digits(&t), t.clone()),
        text: t,
    };
    match value::from_json(def, raw) {
        Ok(Value::Number(n)) => plain(n.to_string()),
        Ok(Value::Bool(b)) => ValueText {
            text: if b { "true" } else { "false" }.into(),
            shown: if b {
                Label::new("بله", "yes")
            } else {
                Label::new("خیر", "no")
            },
        },
        Ok(Value::Choice(i)) => match &def.kind {
            InputKind::Choice(values) => values
                .get(usize::from(i))
                .map(|c| ValueText {
                    text: c.name.clone(),
                    shown: c.label.clone(),
                })
                .unwrap_or_default(),
            _ => ValueText::default(),
        },
        Ok(Value::Date(d)) => plain(d.to_string()),
        Ok(Value::Violations(list)) => plain(
            list.iter()
                .map(|v| match v.date {
                    Some(d) => format!("{}@{d}", v.kind),
                    None => v.kind.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(_) => plain(match raw {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

/// Parses a value typed into a form (Persian or Latin digits) into the JSON the commands take.
fn parse_text(def: &InputDef, text: &str) -> Result<Json, FieldError> {
    if text.trim().is_empty() {
        return Ok(Json::Null);
    }
    value::from_text(def, text).map(|v| value::to_json(def, &v))
}

/// Records the region's inputs typed into the file page: each region input whose text differs
/// from the value on the file at `version` is parsed (an emptied one is removed) and the whole is
/// recorded by [`super::review::record_region_values`], the API's command. Inputs left as shown
/// are not sent, so what a form cannot show (a violation's note) is kept.
#[tracing::instrument(skip_all, fields(round, office))]
pub async fn record_region_form(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    texts: &[(String, String)],
    version: i64,
) -> Result<Written<RegionValues>, AppError> {
    let rs = app.live_round(round)?;
    let f = review_file(app, actor, round, office).await?;
    let current = f.declaration.map(|d| d.region_values).unwrap_or_default();
    let mut values = Map::new();
    let mut errors = Vec::new();
    for def in rs
        .inputs
        .iter()
        .filter(|d| d.supplied_by != Supplier::Office)
    {
        let Some((_, typed)) = texts.iter().find(|(k, _)| *k == def.name) else {
            continue;
        };
        let shown = current
            .get(&def.name)
            .map(|v| value_text(def, v).text)
            .unwrap_or_default();
        if typed.trim() == shown.trim() {
            continue;
        }
        match parse_text(def, typed) {
            Ok(v) => {
                values.insert(def.name.clone(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    super::review::record_region_values(
        app,
        actor,
        round,
        office,
        &values,
        version,
        Claim::default(),
    )
    .await
}

/// Refers a file back from the file page: each chosen field with its note, by
/// [`super::review::refer`], the API's command, at the `version` the page was read at.
pub async fn refer_form(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    notes: &[(String, String)],
    version: i64,
) -> Result<Written<Referral>, AppError> {
    let reasons: Map<String, Json> = notes
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.trim().to_string())))
        .collect();
    refer(
        app,
        actor,
        round,
        office,
        &reasons,
        Some(version),
        Claim::default(),
    )
    .await
}

/// One objection of the region, with what the office claimed.
pub struct ObjectionItem {
    pub objection: Objection,
    pub office_name: String,
    /// The criteria objected to, by label (an id the rules no longer know, as written).
    pub criteria: Vec<Label>,
    /// The corrections recorded, as (input label, value shown).
    pub corrections: Vec<(Label, Label)>,
}

/// The objections the actor may see (reviewers: their region's), with the round's inputs an
/// acceptance may correct (name, label).
pub struct Objections {
    pub round: RoundId,
    pub title: Label,
    pub items: Vec<ObjectionItem>,
    pub inputs: Vec<(String, Label)>,
    /// The actor is a reviewer and no final ranks are out: the decision forms are offered.
    pub can_decide: bool,
}

/// The objections of the actor's region (the regulator: every region's) in a round.
#[tracing::instrument(skip_all)]
pub async fn objections(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<Objections, AppError> {
    let region = super::review::region_scope(actor, None)?;
    let rs = page_round(app, round).await?;
    let events = super::publication::events(app, rs.round).await?;
    let list = app.store.objections(rs.round, region).await?;
    let mut items = Vec::with_capacity(list.len());
    for o in list {
        let office_name = app
            .store
            .office(&o.office_id)
            .await?
            .map(|f| f.name)
            .unwrap_or_default();
        let criteria = o
            .criteria
            .iter()
            .map(|id| {
                rs.criteria
                    .iter()
                    .find(|c| c.id == *id)
                    .map(|c| c.label.clone())
                    .unwrap_or_else(|| Label::new(id.clone(), id.clone()))
            })
            .collect();
        let corrections = o
            .corrections
            .iter()
            .map(|(k, v)| match rs.inputs.iter().find(|d| d.name == *k) {
                Some(def) => (def.label.clone(), value_text(def, v).shown),
                None => (Label::new(k.clone(), k.clone()), value_text_raw(v)),
            })
            .collect();
        items.push(ObjectionItem {
            objection: o,
            office_name,
            criteria,
            corrections,
        });
    }
    Ok(Objections {
        round: rs.round,
        title: rs.title.clone(),
        items,
        inputs: rs
            .inputs
            .iter()
            .map(|d| (d.name.clone(), d.label.clone()))
            .collect(),
        can_decide: actor.role == Role::Reviewer && events.finalized_at.is_none(),
    })
}

fn value_text_raw(v: &Json) -> Label {
    let t = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    Label::new(crate::domain::digits::to_persian_digits(&t), t)
}

/// A decision on an objection as the objections page sends it.
pub struct DecisionForm {
    /// `accepted` or `rejected`.
    pub decision: String,
    /// With an acceptance: the input corrected and its new value as typed (both may be empty).
    pub input: String,
    pub value: String,
    pub reason: String,
    pub version: i64,
}

/// Decides an objection from the objections page by [`super::review::handle_objection`], the
/// API's command: an acceptance may carry a new value for one input (parsed like any form value).
pub async fn decide_objection(
    app: &App,
    actor: &Actor,
    round: &str,
    office: &str,
    form: DecisionForm,
) -> Result<Written<Objection>, AppError> {
    let rs = app.live_round(round)?;
    let mut corrections = Map::new();
    if form.decision == "accepted" && !form.input.trim().is_empty() {
        let Some(def) = rs.inputs.iter().find(|d| d.name == form.input.trim()) else {
            return Err(vec![FieldError::new(
                "input",
                "این ورودی در قواعد دوره نیست",
                "this input is not in the round's rules",
            )]
            .into());
        };
        if form.value.trim().is_empty() {
            return Err(vec![FieldError::new(
                "value",
                "مقدار تازه را بنویسید",
                "write the new value",
            )]
            .into());
        }
        let v = parse_text(def, &form.value).map_err(|mut e| {
            e.field = "value".into();
            AppError::from(vec![e])
        })?;
        corrections.insert(def.name.clone(), v);
    }
    if !matches!(form.decision.as_str(), "accepted" | "rejected") {
        return Err(vec![FieldError::new(
            "decision",
            "پذیرش یا رد اعتراض را انتخاب کنید",
            "choose to accept or reject the objection",
        )]
        .into());
    }
    let handling = Handling {
        corrections,
        decision: Some(form.decision),
        reason: Some(form.reason),
        version: form.version,
    };
    handle_objection(app, actor, round, office, handling, Claim::default()).await
}

/// Whether an objection still waits for its decision.
pub fn is_pending(o: &Objection) -> bool {
    o.status == ObjectionStatus::Pending
}
