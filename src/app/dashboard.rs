//! The regulator's console, read side: the round dashboard's counts (one SQL aggregate per family
//! of counts), the preview of a publication before it is written, the changes a finalization made
//! and why, and the results table with its filters, sorting and paging. Queries only: the console's
//! writes are the commands of [`super::publication`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::{Actor, App, AppError};
use crate::domain::records::{Publication, StoredResult};
use crate::domain::{
    JalaliDate, Label, ObjectionStatus, OfficeId, OfficeKind, ReferralStatus, Role, RoundId, Stage,
};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::store::dashboard::RegionCount;
use crate::workflow::calendar::{Phase, RoundCalendar, Window};
use crate::workflow::publication::{self, Stamp};

/// Who may open the console: the regulator, and admins (who may look but not publish).
const CONSOLE: [Role; 2] = [Role::Regulator, Role::Admin];

/// How many files of one region (or the nation) are where, in a round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Offices in the registry.
    pub offices: i64,
    /// Submitted at least once: in review or referred back.
    pub filed: i64,
    /// No declaration, or a draft never submitted.
    pub not_filed: i64,
    /// Submitted and standing with the region (the API's status `submitted`).
    pub in_review: i64,
    /// Sent back to the office, its correction window still open.
    pub referred: i64,
    /// Referred files whose correction deadline passed uncorrected (they stand as referred).
    pub overdue: i64,
    /// Objections not yet decided.
    pub objections_open: i64,
}

impl FileCounts {
    fn add(&mut self, o: &FileCounts) {
        self.offices += o.offices;
        self.filed += o.filed;
        self.not_filed += o.not_filed;
        self.in_review += o.in_review;
        self.referred += o.referred;
        self.overdue += o.overdue;
        self.objections_open += o.objections_open;
    }
}

/// The round dashboard: the round, its calendar now, and the counts per region and nationwide.
pub struct Dashboard {
    pub round: RoundId,
    /// The round's title, from its rules.
    pub title: Label,
    /// The phase open now, with its window; none between phases.
    pub phase: Option<Window>,
    /// Whole days from today (Tehran) to the open phase's last day; 0 on the last day.
    pub days_left: Option<i64>,
    /// Every phase's window, as enforced now.
    pub windows: Vec<Window>,
    /// Regions in order, each with its counts (regions with offices only).
    pub regions: Vec<(u8, FileCounts)>,
    pub nationwide: FileCounts,
    /// When it was counted (Jalali date and time, Tehran).
    pub counted_at: String,
}

/// The dashboard of the current round (regulators and admins); `None` when no round is live.
/// Due referrals are expired first, as the API's file list does, so both count alike.
pub async fn dashboard(app: &App, actor: &Actor) -> Result<Option<Dashboard>, AppError> {
    actor.require(&CONSOLE)?;
    let Some((rs, events)) = super::home::current_round(app).await? else {
        return Ok(None);
    };
    let now = app.clock.now();
    super::review::expire_due_referrals(app, rs.round, now).await?;
    let store = &app.store;
    let mut by_region: BTreeMap<i64, FileCounts> = BTreeMap::new();
    let mut put = |rows: Vec<RegionCount>, f: fn(&mut FileCounts, &str, i64)| {
        for r in rows {
            f(by_region.entry(r.region).or_default(), &r.key, r.count);
        }
    };
    put(store.offices_per_region().await?, |c, _, n| c.offices = n);
    put(
        store.declarations_per_region(rs.round).await?,
        |c, status, n| match status {
            "submitted" => c.in_review += n,
            "referred" => c.referred += n,
            _ => {}
        },
    );
    put(
        store
            .referred_offices_per_region(rs.round, ReferralStatus::Expired.as_str())
            .await?,
        |c, _, n| c.overdue = n,
    );
    put(
        store
            .objections_per_region(rs.round, ObjectionStatus::Pending.as_str())
            .await?,
        |c, _, n| c.objections_open = n,
    );
    let mut nationwide = FileCounts::default();
    let regions = by_region
        .into_iter()
        .map(|(region, mut c)| {
            c.filed = c.in_review + c.referred;
            c.not_filed = c.offices - c.filed;
            nationwide.add(&c);
            (region as u8, c)
        })
        .collect();
    let calendar = RoundCalendar::new(&rs, events);
    let phase = calendar.current_phase(now).map(|p| calendar.window(p));
    Ok(Some(Dashboard {
        round: rs.round,
        title: rs.title.clone(),
        days_left: phase
            .as_ref()
            .map(|w| JalaliDate::of_instant(now).days_until(w.last_day).max(0)),
        phase,
        windows: calendar.windows(),
        regions,
        nationwide,
        counted_at: JalaliDate::date_time_of(now),
    }))
}

/// How many offices of a region hold each grade (index 0 is grade 1).
pub type GradeCounts = [i64; 3];

/// One office whose grade moved against the last round's published grade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GradeShift {
    pub office: String,
    pub region: u8,
    /// The grade the last round published.
    pub before: u8,
    /// The grade this round would publish.
    pub after: u8,
}

/// The results a publication of the round would publish now, computed and not stored.
pub struct Preview {
    pub round: RoundId,
    /// The round's title, from its rules.
    pub title: Label,
    /// Grade counts per region, in region order.
    pub grades: Vec<(u8, GradeCounts)>,
    pub nationwide: GradeCounts,
    /// The last round's latest publication compared against, if it has one.
    pub previous: Option<Publication>,
    /// Offices whose grade differs from the last round's published one.
    pub shifts: Vec<GradeShift>,
    /// Whether the publication phase is open now (the command checks everything else again).
    pub phase_open: bool,
    pub publication_window: Window,
}

/// What the console's publication page shows of a round: its publications, or a preview of the
/// first one while there is none.
pub struct PublicationState {
    pub round: RoundId,
    /// The first results, once published.
    pub first: Option<Publication>,
    /// The latest publication: the final ranks once published, else the first results.
    pub last: Option<Publication>,
    /// Grade counts of the latest publication per region (empty before the first one).
    pub grades: Vec<(u8, GradeCounts)>,
    pub nationwide: GradeCounts,
    /// Whether the final phase is open now.
    pub final_open: bool,
    pub final_window: Window,
}

/// The live rules of the round asked for, else of the current round (regulators and admins), for
/// the console's pages.
pub async fn console_round(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<Arc<RuleSet>, AppError> {
    actor.require(&CONSOLE)?;
    if let Some(round) = round {
        return app.live_round(round);
    }
    super::home::current_round(app)
        .await?
        .map(|(rs, _)| rs)
        .ok_or_else(|| AppError::not_found("دوره جاری", "a live round"))
}

fn grade_counts<'a>(
    results: impl IntoIterator<Item = &'a StoredResult>,
) -> (Vec<(u8, GradeCounts)>, GradeCounts) {
    let mut regions: BTreeMap<u8, GradeCounts> = BTreeMap::new();
    let mut all = [0; 3];
    for r in results {
        let g = (r.grade.clamp(1, 3) - 1) as usize;
        regions.entry(r.region).or_default()[g] += 1;
        all[g] += 1;
    }
    (regions.into_iter().collect(), all)
}

/// The current round's publications as the console shows them (regulators and admins).
pub async fn publication_state(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<PublicationState, AppError> {
    let rs = console_round(app, actor, round).await?;
    let publications = app.store.publications(rs.round).await?;
    let first = publications
        .iter()
        .find(|p| p.stage == Stage::First)
        .cloned();
    let last = publications
        .iter()
        .find(|p| p.stage == Stage::Final)
        .cloned()
        .or_else(|| first.clone());
    let (grades, nationwide) = match &last {
        Some(p) => grade_counts(&app.store.publication_results(p.id, None, None).await?),
        None => (Vec::new(), [0; 3]),
    };
    let calendar = RoundCalendar::new(&rs, publication::events(&publications));
    Ok(PublicationState {
        round: rs.round,
        final_open: calendar.is_open(Phase::Final, app.clock.now()),
        final_window: calendar.window(Phase::Final),
        first,
        last,
        grades,
        nationwide,
    })
}

/// The first results the round (default: the current one) would publish now, and how grades moved against the last
/// round's published ones (regulators and admins). Computed like a publication, stored nowhere.
pub async fn preview(app: &App, actor: &Actor, round: Option<&str>) -> Result<Preview, AppError> {
    let rs = console_round(app, actor, round).await?;
    let now = app.clock.now();
    super::review::expire_due_referrals(app, rs.round, now).await?;
    let files = super::publication::files(app, &rs, false).await?;
    let stamp = Stamp::new(Stage::First, now);
    let for_build = rs.clone();
    let work = app.evaluations.child(Limits::default());
    let results = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        publication::build(&for_build, &stamp, &files)
    })
    .await
    .map_err(AppError::internal)??;
    let (grades, nationwide) = grade_counts(&results);
    let mut previous_round = app.store.publications(rs.round.previous()).await?;
    previous_round.sort_by_key(|p| p.stage != Stage::Final);
    let previous = previous_round.into_iter().next();
    let mut shifts = Vec::new();
    if let Some(p) = &previous {
        let before: HashMap<OfficeId, u8> = app
            .store
            .publication_results(p.id, None, None)
            .await?
            .into_iter()
            .map(|r| (r.office_id, r.grade))
            .collect();
        for r in &results {
            if let Some(&was) = before.get(&r.office_id)
                && was != r.grade
            {
                shifts.push(GradeShift {
                    office: r.office_id.to_string(),
                    region: r.region,
                    before: was,
                    after: r.grade,
                });
            }
        }
    }
    let calendar = RoundCalendar::new(&rs, super::publication::events(app, rs.round).await?);
    Ok(Preview {
        round: rs.round,
        title: rs.title.clone(),
        grades,
        nationwide,
        previous,
        shifts,
        phase_open: calendar.is_open(Phase::Publication, now),
        publication_window: calendar.window(Phase::Publication),
    })
}

/// Why an office's result changed between the first results and the final ranks.
#[derive(Clone, Debug, PartialEq)]
pub enum ChangeReason {
    /// Its objection was accepted: the region's reason and the inputs it corrected.
    ObjectionAccepted {
        reason: Option<String>,
        corrected: Vec<String>,
    },
    /// Its own result stood; other offices' corrections moved its positions.
    Reranked,
}

/// One office whose result changed at finalization, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Changed {
    /// Total, grade and positions, first and final.
    pub change: publication::ResultChange,
    pub why: ChangeReason,
}

/// The offices whose result changed between the current round's first results and its final
/// ranks, each with why (regulators and admins). Empty before the final ranks.
pub async fn finalized_changes(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<Vec<Changed>, AppError> {
    let rs = console_round(app, actor, round).await?;
    let publications = app.store.publications(rs.round).await?;
    let (Some(first), Some(last)) = (
        publications.iter().find(|p| p.stage == Stage::First),
        publications.iter().find(|p| p.stage == Stage::Final),
    ) else {
        return Ok(Vec::new());
    };
    let a = app.store.publication_results(first.id, None, None).await?;
    let b = app.store.publication_results(last.id, None, None).await?;
    let changes = publication::differences((first.id, &a), (last.id, &b))?;
    let mut accepted: HashMap<String, _> = app
        .store
        .objections(rs.round, None)
        .await?
        .into_iter()
        .filter(|o| o.status == ObjectionStatus::Accepted)
        .map(|o| (o.office_id.to_string(), o))
        .collect();
    Ok(changes
        .into_iter()
        .map(|change| {
            let why = match accepted.remove(&change.office) {
                Some(o) => ChangeReason::ObjectionAccepted {
                    reason: o.decision_reason,
                    corrected: o.corrections.keys().cloned().collect(),
                },
                None => ChangeReason::Reranked,
            };
            Changed { change, why }
        })
        .collect())
}

/// How the results table is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    #[default]
    Office,
    Region,
    Total,
    Grade,
}

impl SortBy {
    /// Every order, as the page offers them.
    pub const ALL: [SortBy; 4] = [SortBy::Office, SortBy::Region, SortBy::Total, SortBy::Grade];

    /// The name in a query string.
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Office => "office",
            SortBy::Region => "region",
            SortBy::Total => "total",
            SortBy::Grade => "grade",
        }
    }

    /// The order a query string names, if it names one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Which results the table lists, in which order, which page.
#[derive(Clone, Debug, Default)]
pub struct ResultQuery {
    /// Only this region's offices.
    pub region: Option<u8>,
    /// Only offices of this kind.
    pub kind: Option<OfficeKind>,
    /// Only offices with this grade.
    pub grade: Option<u8>,
    pub sort: SortBy,
    /// Highest first.
    pub descending: bool,
    /// 1-based page of `per_page` rows; `None` for every row (the downloads).
    pub page: Option<usize>,
    pub per_page: usize,
}

/// One row of the results table (and of its downloads).
#[derive(Clone, Debug, PartialEq)]
pub struct ResultLine {
    pub office: String,
    pub region: u8,
    /// The office's kind; `None` for a stored kind this build does not know.
    pub kind: Option<OfficeKind>,
    /// Whether the office filed its self-declaration.
    pub filed: bool,
    /// The exact total as published; none for a non-filer in the lowest grade.
    pub total: Option<String>,
    pub grade: u8,
    /// The share of services the grade allows, in percent, exactly as published.
    pub service_share: String,
    /// Positions in the round's ranking scopes, in [`ResultsTable::scopes`] order.
    pub positions: Vec<Option<u32>>,
}

/// A page of the results table.
pub struct ResultsTable {
    /// The publication the rows come from.
    pub publication: Publication,
    /// The round's ranking scopes (`nationwide`, `region`, `kind` …): one position column each.
    pub scopes: Vec<String>,
    /// Rows matching the filters, on every page.
    pub matching: usize,
    pub rows: Vec<ResultLine>,
}

/// The latest publication's results of the current round, filtered, sorted and paged
/// (regulators and admins).
pub async fn results_table(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
    query: &ResultQuery,
) -> Result<ResultsTable, AppError> {
    let rs = console_round(app, actor, round).await?;
    let scope = super::results::ResultScope {
        stage: None,
        region: query.region,
    };
    let (p, results) =
        super::results::scoped_results(app, actor, &rs.round.to_string(), &scope).await?;
    let scopes: Vec<String> = rs
        .ranking
        .scopes
        .iter()
        .map(|s| s.as_str().to_string())
        .collect();
    let mut lines = Vec::new();
    for r in results.iter().filter(|r| {
        query.kind.is_none_or(|k| r.kind == k.as_str()) && query.grade.is_none_or(|g| r.grade == g)
    }) {
        let positions = publication::positions(r, p.id)?;
        lines.push(ResultLine {
            office: r.office_id.to_string(),
            region: r.region,
            kind: OfficeKind::parse(&r.kind),
            filed: r.filed,
            total: r.total.clone(),
            grade: r.grade,
            service_share: r.service_share.clone(),
            positions: scopes.iter().map(|s| positions.get(s).copied()).collect(),
        });
    }
    let total_of = |l: &ResultLine| {
        l.total
            .as_deref()
            .and_then(|t| t.parse::<rust_decimal::Decimal>().ok())
    };
    match query.sort {
        SortBy::Office => lines.sort_by(|a, b| a.office.cmp(&b.office)),
        SortBy::Region => lines.sort_by(|a, b| (a.region, &a.office).cmp(&(b.region, &b.office))),
        SortBy::Total => lines.sort_by(|a, b| {
            total_of(a)
                .cmp(&total_of(b))
                .then_with(|| b.office.cmp(&a.office))
        }),
        SortBy::Grade => lines.sort_by(|a, b| (a.grade, &a.office).cmp(&(b.grade, &b.office))),
    }
    if query.descending {
        lines.reverse();
    }
    let matching = lines.len();
    if let Some(page) = query.page {
        let per_page = query.per_page.max(1);
        lines = lines
            .into_iter()
            .skip((page.max(1) - 1) * per_page)
            .take(per_page)
            .collect();
    }
    Ok(ResultsTable {
        publication: p,
        scopes,
        matching,
        rows: lines,
    })
}
