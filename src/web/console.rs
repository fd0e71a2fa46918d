//! The regulator's console: the round dashboard (counts per region and nationwide, the phase and
//! the days left), publishing after a preview, verifying a publication, finalizing with the list of
//! changed results, and the results table with its CSV and Excel downloads
//! ([`super::console_export`]). Regulators and admins only; the writes call the same commands as
//! the API.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use super::session::Lang;
use crate::app::dashboard::{
    self, ChangeReason, FileCounts, GradeCounts, ResultLine, ResultQuery, SortBy,
};
use crate::app::{publication, results};
use crate::domain::{JalaliDate, OfficeKind, Role};
use crate::workflow::calendar::Window;

/// Who may open a console page; the commands behind its forms check again.
const CONSOLE: [Role; 2] = [Role::Regulator, Role::Admin];

/// A signed-in visitor who may see the console.
pub(super) fn console_visitor(visitor: Result<Visitor, Response>) -> Result<Visitor, Bounce> {
    let visitor = visitor.map_err(Bounce::from)?;
    visitor.require(&CONSOLE)?;
    Ok(visitor)
}

/// A Jalali date in the page's language.
fn date(l: &Layout, d: JalaliDate) -> String {
    match l.lang {
        Lang::Fa => d.long_fa(),
        Lang::En => d.long_en(),
    }
}

/// A region's name in the page's language.
pub(super) fn region_name(l: &Layout, region: u8) -> String {
    format!("{} {}", l.t("منطقه", "Region"), l.num(region))
}

/// A publication time (Unix milliseconds) as the page writes it.
fn instant(l: &Layout, millis: i64) -> String {
    l.num(JalaliDate::date_time_of(crate::domain::from_millis(millis)))
}

/// One row of counts as the dashboard writes it.
struct CountsView {
    name: String,
    /// `nationwide` or `region-N`: the row's id.
    id: String,
    cells: [String; 7],
}

fn counts_view(l: &Layout, name: String, id: String, c: &FileCounts) -> CountsView {
    let cells = [
        c.offices,
        c.filed,
        c.not_filed,
        c.in_review,
        c.referred,
        c.overdue,
        c.objections_open,
    ]
    .map(|n| l.num(n));
    CountsView { name, id, cells }
}

/// A phase's window as a page lists it.
struct WindowView {
    phase: String,
    first_day: String,
    last_day: String,
    open: bool,
}

fn window_view(l: &Layout, w: &Window, open: bool) -> WindowView {
    WindowView {
        phase: l.pick(&w.phase.label()).to_string(),
        first_day: date(l, w.first_day),
        last_day: date(l, w.last_day),
        open,
    }
}

#[derive(Template)]
#[template(path = "console.html")]
struct DashboardPage {
    l: Layout,
    round: Option<RoundView>,
    htmx: &'static str,
}

/// The dashboard's counts alone, for htmx to swap in as they move.
#[derive(Template)]
#[template(path = "console_counts.html")]
struct CountsPartial {
    l: Layout,
    r: RoundView,
}

struct RoundView {
    title: String,
    round: String,
    phase: Option<WindowView>,
    days_left: String,
    windows: Vec<WindowView>,
    columns: [&'static str; 7],
    regions: Vec<CountsView>,
    nationwide: CountsView,
    counted_at: String,
}

/// The dashboard's column headings, in the order of [`CountsView::cells`].
fn count_columns(l: &Layout) -> [&'static str; 7] {
    [
        l.t("دفترها", "Offices"),
        l.t("پرونده‌های ثبت‌شده", "Filed"),
        l.t("ثبت‌نشده", "Not filed"),
        l.t("در دست بررسی", "In review"),
        l.t("ارجاع‌شده برای اصلاح", "Referred"),
        l.t("اصلاح‌های دیرکرده", "Overdue corrections"),
        l.t("اعتراض‌های باز", "Objections open"),
    ]
}

/// A round's dashboard as the page writes it, in the page's language.
fn round_view(l: &Layout, d: dashboard::Dashboard) -> RoundView {
    let open = d.phase.as_ref().map(|w| w.phase);
    RoundView {
        title: l.pick(&d.title).to_string(),
        round: l.num(d.round),
        phase: d.phase.as_ref().map(|w| window_view(l, w, true)),
        days_left: l.num(d.days_left.unwrap_or(0)),
        windows: d
            .windows
            .iter()
            .map(|w| window_view(l, w, Some(w.phase) == open))
            .collect(),
        columns: count_columns(l),
        regions: d
            .regions
            .iter()
            .map(|(r, c)| counts_view(l, region_name(l, *r), format!("region-{r}"), c))
            .collect(),
        nationwide: counts_view(
            l,
            l.t("کل کشور", "Nationwide").to_string(),
            "nationwide".into(),
            &d.nationwide,
        ),
        counted_at: l.num(d.counted_at),
    }
}

/// `GET /console`: the round dashboard.
pub async fn dashboard_page(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let l = visitor.layout();
    let response = match dashboard::dashboard(&portal.app, &visitor.actor).await {
        Ok(d) => render(
            StatusCode::OK,
            &DashboardPage {
                round: d.map(|d| round_view(&l, d)),
                htmx: super::assets::HTMX,
                l,
            },
        ),
        Err(e) => app_error(l, e),
    };
    Ok(visitor.finish(response))
}

/// `GET /console/counts`: the dashboard's counts alone (htmx polls it); 204 when no round is live.
pub async fn counts_partial(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let l = visitor.layout();
    Ok(
        match dashboard::dashboard(&portal.app, &visitor.actor).await {
            Ok(Some(d)) => render(
                StatusCode::OK,
                &CountsPartial {
                    r: round_view(&l, d),
                    l,
                },
            ),
            Ok(None) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => app_error(l, e),
        },
    )
}

/// Grade counts of one region (or the nation) as a page writes them.
struct GradesView {
    name: String,
    id: String,
    cells: [String; 3],
}

fn grades_view(l: &Layout, name: String, id: String, g: &GradeCounts) -> GradesView {
    GradesView {
        name,
        id,
        cells: g.map(|n| l.num(n)),
    }
}

fn grades_views(l: &Layout, regions: &[(u8, GradeCounts)], all: &GradeCounts) -> Vec<GradesView> {
    let mut rows: Vec<GradesView> = regions
        .iter()
        .map(|(r, g)| grades_view(l, region_name(l, *r), format!("grades-region-{r}"), g))
        .collect();
    rows.push(grades_view(
        l,
        l.t("کل کشور", "Nationwide").to_string(),
        "grades-nationwide".into(),
        all,
    ));
    rows
}

/// A publication as the publication page describes it.
struct PublicationView {
    stage: &'static str,
    stage_label: String,
    at: String,
    by: String,
    offices: String,
    snapshot_hash: String,
}

fn publication_view(l: &Layout, p: &crate::domain::records::Publication) -> PublicationView {
    PublicationView {
        stage: p.stage.as_str(),
        stage_label: l
            .pick(&crate::domain::label::publication_stage(p.stage.as_str()))
            .to_string(),
        at: instant(l, p.published_at),
        by: p.published_by.clone(),
        offices: l.num(p.office_count),
        snapshot_hash: p.snapshot_hash.clone(),
    }
}

/// The preview of a first publication.
struct PreviewView {
    grades: Vec<GradesView>,
    previous: Option<String>,
    shifts: Vec<ShiftView>,
    shift_count: String,
    phase_open: bool,
    window: WindowView,
}

struct ShiftView {
    office: String,
    region: String,
    before: String,
    after: String,
}

/// One office whose result changed at finalization, and why.
struct ChangeView {
    office: String,
    grade: String,
    total: String,
    why: String,
}

#[derive(Template)]
#[template(path = "console_publish.html")]
struct PublishPage {
    l: Layout,
    round: String,
    /// The round's id as links and forms carry it.
    round_id: String,
    may_publish: bool,
    preview: Option<PreviewView>,
    first: Option<PublicationView>,
    last: Option<PublicationView>,
    grades: Vec<GradesView>,
    final_open: bool,
    final_window: WindowView,
    finalized: bool,
    changes: Vec<ChangeView>,
}

/// How many shifted offices the preview lists by name (the count covers them all).
const SHIFTS_LISTED: usize = 200;

/// `GET /console/publish`: a preview of the first results before they are published; once they
/// are, the publications with their verify buttons, the finalization, and what it changed.
pub async fn publish_page(
    State(portal): State<Portal>,
    Query(q): Query<RoundQuery>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let l = visitor.layout();
    let app = &portal.app;
    let actor = &visitor.actor;
    let round = given(&q.round);
    let state = match dashboard::publication_state(app, actor, round).await {
        Ok(s) => s,
        Err(e) => return Ok(visitor.finish(app_error(l, e))),
    };
    let preview = if state.first.is_none() {
        match dashboard::preview(app, actor, round).await {
            Ok(p) => Some(PreviewView {
                grades: grades_views(&l, &p.grades, &p.nationwide),
                previous: p.previous.as_ref().map(|prev| {
                    format!(
                        "{} {} ({})",
                        l.t("دوره", "round"),
                        l.num(prev.round),
                        l.pick(&crate::domain::label::publication_stage(
                            prev.stage.as_str()
                        ))
                    )
                }),
                shift_count: l.num(p.shifts.len()),
                shifts: p
                    .shifts
                    .iter()
                    .take(SHIFTS_LISTED)
                    .map(|s| ShiftView {
                        office: s.office.clone(),
                        region: region_name(&l, s.region),
                        before: l.num(s.before),
                        after: l.num(s.after),
                    })
                    .collect(),
                phase_open: p.phase_open,
                window: window_view(&l, &p.publication_window, p.phase_open),
            }),
            Err(e) => return Ok(visitor.finish(app_error(l, e))),
        }
    } else {
        None
    };
    let finalized = state
        .last
        .as_ref()
        .is_some_and(|p| p.stage.as_str() == "final");
    let changes = if finalized {
        match dashboard::finalized_changes(app, actor, round).await {
            Ok(c) => c.iter().map(|c| change_view(&l, c)).collect(),
            Err(e) => return Ok(visitor.finish(app_error(l, e))),
        }
    } else {
        Vec::new()
    };
    let page = PublishPage {
        round: l.num(state.round),
        round_id: state.round.to_string(),
        may_publish: actor.role == Role::Regulator,
        preview,
        first: state.first.as_ref().map(|p| publication_view(&l, p)),
        last: state
            .last
            .as_ref()
            .filter(|_| finalized)
            .map(|p| publication_view(&l, p)),
        grades: if state.last.is_some() {
            grades_views(&l, &state.grades, &state.nationwide)
        } else {
            Vec::new()
        },
        final_open: state.final_open,
        final_window: window_view(&l, &state.final_window, state.final_open),
        finalized,
        changes,
        l,
    };
    Ok(visitor.finish(render(StatusCode::OK, &page)))
}

fn change_view(l: &Layout, c: &dashboard::Changed) -> ChangeView {
    let total = |t: &Option<crate::domain::Fixed>| {
        t.as_ref()
            .map_or_else(|| "—".to_string(), |t| l.num(t.to_string()))
    };
    let why = match &c.why {
        ChangeReason::ObjectionAccepted { reason, corrected } => {
            let mut text = l.t("اعتراض پذیرفته شد", "objection accepted").to_string();
            if !corrected.is_empty() {
                text.push_str(&format!(
                    "؛ {} {}",
                    l.t("اصلاح:", "corrected:"),
                    corrected.join("، ")
                ));
            }
            if let Some(r) = reason {
                text.push_str(&format!("؛ {r}"));
            }
            if l.lang == Lang::En {
                text = text.replace('؛', ";").replace('،', ",");
            }
            text
        }
        ChangeReason::Reranked => l
            .t(
                "نتیجهٔ خود دفتر تغییر نکرد؛ اصلاح نتیجهٔ دفترهای دیگر جایگاهش را جابه‌جا کرد",
                "its own result stood; other offices' corrections moved its positions",
            )
            .to_string(),
    };
    ChangeView {
        office: c.change.office.clone(),
        grade: format!(
            "{} → {}",
            l.num(c.change.grade.first),
            l.num(c.change.grade.last)
        ),
        total: format!(
            "{} → {}",
            total(&c.change.total.first),
            total(&c.change.total.last)
        ),
        why,
    }
}

/// A console form: its CSRF token and the round it acts on.
#[derive(Deserialize)]
pub struct RoundForm {
    csrf: String,
    round: Option<String>,
}

/// `?round=` of a console page (default: the current round).
#[derive(Deserialize)]
pub struct RoundQuery {
    pub(super) round: Option<String>,
}

/// `POST /console/publish`: publishes the first results (the API's command), then back to the
/// publication page.
pub async fn publish(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
    Form(form): Form<RoundForm>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let round = current_round(&portal, &visitor, given(&form.round)).await?;
    match publication::publish(&portal.app, &visitor.actor, &round).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/publish?round={round}")).into_response()),
        Err(e) => Ok(visitor.finish(app_error(visitor.layout(), e))),
    }
}

/// `POST /console/finalize`: publishes the final ranks (the API's command), then back to the
/// publication page, which lists what changed.
pub async fn finalize(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
    Form(form): Form<RoundForm>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    visitor.check_csrf(&form.csrf)?;
    let round = current_round(&portal, &visitor, given(&form.round)).await?;
    match publication::finalize(&portal.app, &visitor.actor, &round).await {
        Ok(_) => {
            Ok(Redirect::to(&format!("/console/publish?round={round}#changes")).into_response())
        }
        Err(e) => Ok(visitor.finish(app_error(visitor.layout(), e))),
    }
}

/// The id of the round asked for (else the current round), or the page saying there is none.
pub(super) async fn current_round(
    portal: &Portal,
    visitor: &Visitor,
    round: Option<&str>,
) -> Result<String, Bounce> {
    match dashboard::console_round(&portal.app, &visitor.actor, round).await {
        Ok(rs) => Ok(rs.round.to_string()),
        Err(e) => Err(Bounce::from(app_error(visitor.layout(), e))),
    }
}

#[derive(Template)]
#[template(path = "console_verify.html")]
struct VerifyPage {
    l: Layout,
    round: String,
    publication: PublicationView,
    identical: bool,
    recomputed_hash: String,
    same_count: bool,
    mismatches: Vec<String>,
}

/// `?round=&stage=` of the verify page.
#[derive(Deserialize)]
pub struct StageQuery {
    round: Option<String>,
    stage: Option<String>,
}

/// `GET /console/verify?stage=first`: recomputes a publication and says whether it is identical.
pub async fn verify_page(
    State(portal): State<Portal>,
    Query(q): Query<StageQuery>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let round = current_round(&portal, &visitor, given(&q.round)).await?;
    let stage = q.stage.as_deref().unwrap_or("first");
    let l = visitor.layout();
    let response = match results::verify(&portal.app, &visitor.actor, &round, stage).await {
        Ok(v) => render(
            StatusCode::OK,
            &VerifyPage {
                round: round.clone(),
                identical: v.identical(),
                publication: publication_view(&l, &v.publication),
                recomputed_hash: v.recomputed_snapshot_hash,
                same_count: v.same_count,
                mismatches: v.mismatches,
                l,
            },
        ),
        Err(e) => app_error(l, e),
    };
    Ok(visitor.finish(response))
}

/// The results table's query string, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct ResultsParams {
    /// The round (default: the current one).
    pub round: Option<String>,
    region: Option<String>,
    kind: Option<String>,
    grade: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
    /// Rows per page (default 50, at most 500).
    per_page: Option<String>,
}

/// Rows on a page of the results table, unless the query asks for another number.
const PER_PAGE: usize = 50;
/// The most rows a page shows.
const MOST_PER_PAGE: usize = 500;

/// A query string parameter given a value (an empty select means "any").
pub(super) fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A whole number typed in Persian or Latin digits.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    crate::domain::digits::to_ascii_digits(text).parse().ok()
}

/// The filters as the app takes them, and an error for each one that is not valid (which is then
/// left out, so the table still shows).
pub(super) fn parse_results(l: &Layout, p: &ResultsParams) -> (ResultQuery, Vec<FieldError>) {
    let mut errors = Vec::new();
    let mut error = |field: &str, fa: &str, en: &str| {
        errors.push(FieldError {
            field: field.into(),
            message: l.t(fa, en).to_string(),
        })
    };
    let region = given(&p.region).and_then(|r| match number::<u8>(r) {
        Some(n @ 1..=9) => Some(n),
        _ => {
            error(
                "region",
                "منطقه باید عددی از ۱ تا ۹ باشد",
                "The region must be a number from 1 to 9",
            );
            None
        }
    });
    let kind = given(&p.kind).and_then(|k| {
        let parsed = OfficeKind::parse(k);
        if parsed.is_none() {
            error(
                "kind",
                "نوع دفتر را از فهرست برگزینید",
                "Choose the office kind from the list",
            );
        }
        parsed
    });
    let grade = given(&p.grade).and_then(|g| match number::<u8>(g) {
        Some(n @ 1..=3) => Some(n),
        _ => {
            error(
                "grade",
                "درجه باید ۱، ۲ یا ۳ باشد",
                "The grade must be 1, 2 or 3",
            );
            None
        }
    });
    let sort = given(&p.sort).map_or(SortBy::Office, |s| {
        SortBy::parse(s).unwrap_or_else(|| {
            error(
                "sort",
                "ترتیب را از فهرست برگزینید",
                "Choose the order from the list",
            );
            SortBy::Office
        })
    });
    let page = given(&p.page).map_or(1, |n| match number::<usize>(n) {
        Some(n) if n >= 1 => n,
        _ => {
            error(
                "page",
                "شمارهٔ صفحه باید عددی از ۱ به بالا باشد",
                "The page must be a number from 1 up",
            );
            1
        }
    });
    let per_page = given(&p.per_page)
        .and_then(number::<usize>)
        .map_or(PER_PAGE, |n| n.clamp(1, MOST_PER_PAGE));
    let query = ResultQuery {
        region,
        kind,
        grade,
        sort,
        descending: given(&p.dir) == Some("desc"),
        page: Some(page),
        per_page,
    };
    (query, errors)
}

/// A position scope's column heading.
pub(super) fn scope_heading(l: &Layout, scope: &str) -> String {
    match scope {
        "nationwide" => l.t("رتبهٔ کشوری", "Nationwide position"),
        "region" => l.t("رتبه در منطقه", "Position in region"),
        "office_kind" => l.t("رتبه در نوع دفتر", "Position in office kind"),
        "region_and_kind" => l.t("رتبه در منطقه و نوع", "Position in region and kind"),
        other => return other.to_string(),
    }
    .to_string()
}

/// The table's (and the downloads') column headings.
pub(super) fn result_columns(l: &Layout, scopes: &[String]) -> Vec<String> {
    let mut columns: Vec<String> = [
        l.t("دفتر", "Office"),
        l.t("منطقه", "Region"),
        l.t("نوع دفتر", "Office kind"),
        l.t("خوداظهاری", "Filed"),
        l.t("امتیاز کل", "Total"),
        l.t("درجه", "Grade"),
        l.t("سهم خدمات (درصد)", "Service share (%)"),
    ]
    .map(str::to_string)
    .to_vec();
    columns.extend(scopes.iter().map(|s| scope_heading(l, s)));
    columns
}

/// An office kind's name in the page's language.
pub(super) fn kind_name(l: &Layout, kind: Option<OfficeKind>) -> String {
    kind.map_or_else(String::new, |k| l.t(k.label_fa(), k.label_en()).to_string())
}

/// A row's cells in the page's language (Latin digits: the downloads' form; the page converts).
pub(super) fn result_cells(l: &Layout, r: &ResultLine) -> Vec<String> {
    let mut cells = vec![
        r.office.clone(),
        r.region.to_string(),
        kind_name(l, r.kind),
        l.t(
            if r.filed { "بله" } else { "خیر" },
            if r.filed { "yes" } else { "no" },
        )
        .to_string(),
        r.total.clone().unwrap_or_default(),
        r.grade.to_string(),
        r.service_share.clone(),
    ];
    cells.extend(
        r.positions
            .iter()
            .map(|p| p.map_or_else(String::new, |p| p.to_string())),
    );
    cells
}

struct ResultRowView {
    office: String,
    cells: Vec<String>,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "console_results.html")]
struct ResultsPage {
    l: Layout,
    /// The round's id, carried by the filter form.
    round: String,
    round_number: String,
    errors: Vec<FieldError>,
    columns: Vec<String>,
    rows: Vec<ResultRowView>,
    stage: String,
    matching: String,
    page: String,
    pages: String,
    previous: Option<String>,
    next: Option<String>,
    regions: Vec<Choice>,
    kinds: Vec<Choice>,
    grades: Vec<Choice>,
    sorts: Vec<Choice>,
    descending: bool,
    csv: String,
    xlsx: String,
}

impl ResultsPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// The query string of the table of `round` with these filters (and `page`, if given).
fn query_string(round: &str, q: &ResultQuery, page: Option<usize>) -> String {
    let mut parts = vec![format!("round={round}")];
    if let Some(r) = q.region {
        parts.push(format!("region={r}"));
    }
    if let Some(k) = q.kind {
        parts.push(format!("kind={k}"));
    }
    if let Some(g) = q.grade {
        parts.push(format!("grade={g}"));
    }
    parts.push(format!("sort={}", q.sort.as_str()));
    if q.descending {
        parts.push("dir=desc".into());
    }
    if let Some(p) = page {
        parts.push(format!("page={p}"));
        if q.per_page != PER_PAGE {
            parts.push(format!("per_page={}", q.per_page));
        }
    }
    parts.join("&")
}

/// `GET /console/results`: the latest publication's results, filtered, sorted and paged.
pub async fn results_page(
    State(portal): State<Portal>,
    Query(params): Query<ResultsParams>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let l = visitor.layout();
    let (query, errors) = parse_results(&l, &params);
    let round = given(&params.round);
    let table = match dashboard::results_table(&portal.app, &visitor.actor, round, &query).await {
        Ok(t) => t,
        Err(e) => return Ok(visitor.finish(app_error(l, e))),
    };
    let page = query.page.unwrap_or(1);
    let pages = table.matching.div_ceil(query.per_page).max(1);
    let choice = |value: String, label: String, selected: bool| Choice {
        value,
        label,
        selected,
    };
    let any = l.t("همه", "Any").to_string();
    let mut regions = vec![choice(String::new(), any.clone(), query.region.is_none())];
    regions.extend(
        (1..=9u8).map(|r| choice(r.to_string(), region_name(&l, r), query.region == Some(r))),
    );
    let mut kinds = vec![choice(String::new(), any.clone(), query.kind.is_none())];
    kinds.extend(OfficeKind::ALL.into_iter().map(|k| {
        choice(
            k.as_str().into(),
            kind_name(&l, Some(k)),
            query.kind == Some(k),
        )
    }));
    let mut grades = vec![choice(String::new(), any, query.grade.is_none())];
    grades.extend((1..=3u8).map(|g| choice(g.to_string(), l.num(g), query.grade == Some(g))));
    let sorts = SortBy::ALL
        .into_iter()
        .map(|s| {
            let label = match s {
                SortBy::Office => l.t("شمارهٔ دفتر", "Office"),
                SortBy::Region => l.t("منطقه", "Region"),
                SortBy::Total => l.t("امتیاز کل", "Total"),
                SortBy::Grade => l.t("درجه", "Grade"),
            };
            choice(s.as_str().into(), label.into(), query.sort == s)
        })
        .collect();
    let round = table.publication.round.to_string();
    let filters = query_string(&round, &query, None);
    let page_link =
        |p: usize| format!("/console/results?{}", query_string(&round, &query, Some(p)));
    let rows = table
        .rows
        .iter()
        .map(|r| ResultRowView {
            office: r.office.clone(),
            cells: result_cells(&l, r)
                .into_iter()
                .enumerate()
                .map(|(i, c)| if i == 0 { c } else { l.decimal(c) })
                .collect(),
        })
        .collect();
    let result_page = ResultsPage {
        round_number: l.num(&round),
        round: round.clone(),
        columns: result_columns(&l, &table.scopes),
        rows,
        stage: l
            .pick(&crate::domain::label::publication_stage(
                table.publication.stage.as_str(),
            ))
            .to_string(),
        matching: l.num(table.matching),
        page: l.num(page),
        pages: l.num(pages),
        previous: (page > 1).then(|| page_link(page - 1)),
        next: (page < pages).then(|| page_link(page + 1)),
        regions,
        kinds,
        grades,
        sorts,
        descending: query.descending,
        csv: format!("/console/results.csv?{filters}"),
        xlsx: format!("/console/results.xlsx?{filters}"),
        errors,
        l,
    };
    Ok(visitor.finish(render(StatusCode::OK, &result_page)))
}
