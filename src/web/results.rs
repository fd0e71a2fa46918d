//! An office holder's result and objection: `GET /results` (total, grade, positions, each
//! criterion's points and why, penalties, the points missing for the next grade, the services the
//! grade allows; before publication, when results come; after finalization, what changed),
//! `GET /objection` and `POST /objection` (the objection form while its window is open, through
//! the same command as the JSON API), and `GET /objection/filed` (the confirmation).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use super::session::Lang;
use crate::app::my_round::{self, MyObjection, MyResult, StageResult, decides_by, decision};
use crate::app::publication::{self, NewObjection};
use crate::app::{AppError, Claim};
use crate::domain::digits::to_persian_number;
use crate::domain::{Fixed, Grade, JalaliDate, ObjectionStatus, Role, Stage};
use crate::workflow::{Window, WorkflowError};

/// An instant as the pages write it: `۵ اردیبهشت ۱۴۰۰، ساعت ۱۰:۰۰` (Tehran time).
pub fn when(l: &Layout, at: Timestamp) -> String {
    let local = at.to_zoned(crate::domain::tehran());
    let day = JalaliDate::of_instant(at);
    let time = format!("{:02}:{:02}", local.hour(), local.minute());
    match l.lang {
        Lang::Fa => format!("{}، ساعت {}", day.long_fa(), l.num(time)),
        Lang::En => format!("{}, {time}", day.long_en()),
    }
}

/// A deadline as a person reads it: a deadline at midnight is "to the end of" the day before
/// (`تا پایان ۱۱ اردیبهشت ۱۴۰۰`), any other one the instant itself.
pub fn deadline(l: &Layout, at: Timestamp) -> String {
    let local = at.to_zoned(crate::domain::tehran());
    if (local.hour(), local.minute(), local.second()) != (0, 0, 0) {
        return when(l, at);
    }
    let day = JalaliDate::of_instant(at).add_days(-1);
    match l.lang {
        Lang::Fa => format!("تا پایان {}", day.long_fa()),
        Lang::En => format!("to the end of {}", day.long_en()),
    }
}

/// A decimal as the page writes it (Persian digits and `٫` in Persian).
pub fn number(l: &Layout, n: Fixed) -> String {
    l.decimal(n)
}

/// A window's days: `از … تا پایان …`.
fn window_days(l: &Layout, w: &Window) -> String {
    match l.lang {
        Lang::Fa => format!(
            "از {} تا پایان {}",
            w.first_day.long_fa(),
            w.last_day.long_fa()
        ),
        Lang::En => format!(
            "from {} to the end of {}",
            w.first_day.long_en(),
            w.last_day.long_en()
        ),
    }
}

fn scope_name(l: &Layout, scope: &str) -> String {
    match scope {
        "nationwide" => l.t("کشوری", "nationwide"),
        "region" => l.t("در منطقه", "in the region"),
        "office_kind" => l.t("میان دفاتر هم‌نوع", "among offices of the same kind"),
        "region_and_kind" => l.t(
            "میان دفاتر هم‌نوع منطقه",
            "among the region's offices of the same kind",
        ),
        _ => l.t("دامنهٔ دیگر", "other scope"),
    }
    .to_string()
}

fn grade_name(l: &Layout, g: Grade) -> String {
    match l.lang {
        Lang::Fa => format!("رتبهٔ {}", l.num(g.get())),
        Lang::En => format!("grade {}", g.get()),
    }
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    l: Layout,
    title: String,
    round: String,
    /// When results come (before publication).
    expected: String,
    result: Option<ResultView>,
    changes: Option<ChangesView>,
    objection: Option<ObjectionView>,
    may_object: bool,
    /// The objection window's days (planned or as published).
    objection_window: String,
    objection_closed: bool,
}

struct ResultView {
    is_final: bool,
    published_at: String,
    filed: bool,
    total: String,
    grade: String,
    share: String,
    positions: Vec<PositionView>,
    /// "12.5 points more for grade 1"; `None` in the best grade.
    to_next: Option<String>,
    criteria: Vec<CriterionView>,
    penalties: Vec<PenaltyView>,
    criteria_total: String,
    penalty_total: String,
    notice: Option<String>,
    services: Vec<ServiceView>,
}

struct PositionView {
    scope: String,
    name: String,
    position: String,
    of: String,
}

struct CriterionView {
    id: String,
    name: String,
    applies: bool,
    why: String,
    points: String,
    max_points: String,
    weight: String,
    contribution: String,
    inputs: Vec<(String, String, bool)>,
}

struct PenaltyView {
    id: String,
    name: String,
    points: String,
    violations: Vec<ViolationView>,
}

struct ViolationView {
    date: String,
    note: Option<String>,
    points: String,
}

struct ServiceView {
    grade: String,
    share: String,
    own: bool,
}

struct ChangesView {
    total: (String, String),
    grade: (String, String),
    positions: Vec<(String, String, String)>,
    changed: bool,
}

struct ObjectionView {
    filed_at: String,
    text: String,
    criteria: Vec<String>,
    status: String,
    pending: bool,
    decides_by: String,
    reason: Option<String>,
    decided_at: Option<String>,
}

fn total_text(l: &Layout, total: Option<Fixed>) -> String {
    total.map_or_else(
        || {
            l.t("بدون امتیاز (خوداظهاری نکرده)", "no score (did not file)")
                .to_string()
        },
        |t| number(l, t),
    )
}

fn input_value(l: &Layout, i: &my_round::InputResult) -> String {
    if let Some(shown) = &i.shown {
        return l.pick(shown).to_string();
    }
    match &i.value {
        serde_json::Value::Null => l.t("خالی", "empty").to_string(),
        serde_json::Value::Bool(b) => l
            .t(
                if *b { "بله" } else { "خیر" },
                if *b { "yes" } else { "no" },
            )
            .to_string(),
        serde_json::Value::Number(n) => match l.lang {
            Lang::Fa => to_persian_number(&n.to_string()),
            Lang::En => n.to_string(),
        },
        serde_json::Value::String(s) => match l.lang {
            Lang::Fa => to_persian_number(s),
            Lang::En => s.clone(),
        },
        serde_json::Value::Array(a) => match l.lang {
            Lang::Fa => format!("{} مورد", l.num(a.len())),
            Lang::En => format!("{} item(s)", a.len()),
        },
        serde_json::Value::Object(_) => "…".to_string(),
    }
}

fn result_view(l: &Layout, r: &StageResult, shares: &[Fixed; 3]) -> ResultView {
    let to_next = match (r.to_next_grade, r.grade.better()) {
        (Some(points), Some(better)) => Some(match l.lang {
            Lang::Fa => format!(
                "برای رسیدن به {} به {} امتیاز بیشتر نیاز دارید",
                grade_name(l, better),
                number(l, points)
            ),
            Lang::En => format!(
                "You need {} more points for {}",
                number(l, points),
                grade_name(l, better)
            ),
        }),
        _ => None,
    };
    ResultView {
        is_final: r.stage == Stage::Final,
        published_at: when(l, r.published_at),
        filed: r.filed,
        total: total_text(l, r.total),
        grade: grade_name(l, r.grade),
        share: number(l, r.service_share_percent),
        positions: r
            .positions
            .iter()
            .map(|p| PositionView {
                scope: p.scope.clone(),
                name: scope_name(l, &p.scope),
                position: l.num(p.position),
                of: l.num(p.of),
            })
            .collect(),
        to_next,
        criteria: r
            .criteria
            .iter()
            .map(|c| CriterionView {
                id: c.id.clone(),
                name: l.pick(&c.label).to_string(),
                applies: c.applies,
                why: l.pick(&c.matched).to_string(),
                points: number(l, c.points),
                max_points: number(l, c.max_points),
                weight: number(l, c.weight),
                contribution: number(l, c.contribution),
                inputs: c
                    .inputs
                    .iter()
                    .map(|i| {
                        (
                            l.pick(&i.label).to_string(),
                            input_value(l, i),
                            i.carried_over,
                        )
                    })
                    .collect(),
            })
            .collect(),
        penalties: r
            .penalties
            .iter()
            .map(|p| PenaltyView {
                id: p.id.clone(),
                name: l.pick(&p.label).to_string(),
                points: number(l, p.points),
                violations: p
                    .violations
                    .iter()
                    .map(|v| ViolationView {
                        date: v.date.as_deref().map_or_else(String::new, |d| {
                            match (JalaliDate::parse(d), l.lang) {
                                (Ok(j), Lang::Fa) => j.long_fa(),
                                (Ok(j), Lang::En) => j.long_en(),
                                (Err(_), _) => l.num(d),
                            }
                        }),
                        note: v.note.clone(),
                        points: number(l, v.points),
                    })
                    .collect(),
            })
            .collect(),
        criteria_total: number(l, r.criteria_total),
        penalty_total: number(l, r.penalty_total),
        notice: r.notice.as_ref().map(|n| l.pick(n).to_string()),
        services: Grade::ALL
            .iter()
            .map(|g| ServiceView {
                grade: grade_name(l, *g),
                share: number(l, shares[g.index()]),
                own: *g == r.grade,
            })
            .collect(),
    }
}

fn changes_view(l: &Layout, first: &StageResult, last: &StageResult) -> ChangesView {
    let positions: Vec<(String, String, String)> = last
        .positions
        .iter()
        .map(|p| {
            let before = first
                .positions
                .iter()
                .find(|f| f.scope == p.scope)
                .map_or_else(|| "—".to_string(), |f| l.num(f.position));
            (scope_name(l, &p.scope), before, l.num(p.position))
        })
        .collect();
    let moved = last.positions.iter().any(|p| {
        first
            .positions
            .iter()
            .find(|f| f.scope == p.scope)
            .is_none_or(|f| f.position != p.position)
    });
    ChangesView {
        changed: first.total != last.total || first.grade != last.grade || moved,
        total: (total_text(l, first.total), total_text(l, last.total)),
        grade: (grade_name(l, first.grade), grade_name(l, last.grade)),
        positions,
    }
}

fn objection_view(
    l: &Layout,
    o: &MyObjection,
    m: &MyResult,
    labels: &[(String, crate::domain::Label)],
) -> ObjectionView {
    ObjectionView {
        filed_at: when(l, o.filed_at),
        text: o.text.clone(),
        criteria: o
            .criteria
            .iter()
            .map(|c| {
                labels
                    .iter()
                    .find(|(id, _)| id == c)
                    .map_or_else(|| c.clone(), |(_, label)| l.pick(label).to_string())
            })
            .collect(),
        status: l.pick(&decision(o.status)).to_string(),
        pending: o.status == ObjectionStatus::Pending,
        decides_by: l.pick(&decides_by(&m.final_window)).to_string(),
        reason: o.decision_reason.clone(),
        decided_at: o.decided_at.map(|at| when(l, at)),
    }
}

/// The labels of what an office may object to, for the visitor (empty for other roles).
async fn labels(
    portal: &Portal,
    visitor: &Visitor,
    round: Option<&str>,
) -> Result<Vec<(String, crate::domain::Label)>, AppError> {
    my_round::objectable(&portal.app, &visitor.actor, round).await
}

/// `GET /results`: the office's result in the round of the pages, or when results come.
pub async fn results(State(portal): State<Portal>, visitor: Visitor) -> Result<Response, Bounce> {
    results_page(&portal, &visitor, None).await
}

/// `GET /round/{round}/results`: the office's result in a round it names.
pub async fn round_results(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path(round): Path<String>,
) -> Result<Response, Bounce> {
    results_page(&portal, &visitor, Some(&round)).await
}

async fn results_page(
    portal: &Portal,
    visitor: &Visitor,
    round: Option<&str>,
) -> Result<Response, Bounce> {
    visitor.require(&[Role::Office])?;
    let found = match my_round::my_result(&portal.app, &visitor.actor, round).await {
        Ok(found) => found,
        Err(e) => return Ok(visitor.finish(app_error(visitor.layout(), e))),
    };
    let Some(m) = found else {
        return Ok(visitor.finish(visitor.refuse(
            StatusCode::NOT_FOUND,
            visitor.l.t("دوره‌ای در جریان نیست", "No round is running"),
        )));
    };
    let labels = match labels(portal, visitor, round).await {
        Ok(labels) => labels,
        Err(e) => return Ok(visitor.finish(app_error(visitor.layout(), e))),
    };
    let l = visitor.layout();
    let now = portal.app.clock.now();
    let page = ResultsPage {
        title: l.pick(&m.title).to_string(),
        round: l.num(m.round),
        expected: window_days(&l, &m.publication),
        result: m
            .result
            .as_ref()
            .map(|r| result_view(&l, r, &m.service_shares)),
        changes: m
            .first
            .as_ref()
            .zip(m.result.as_ref())
            .map(|(first, last)| changes_view(&l, first, last)),
        objection: m
            .objection
            .as_ref()
            .map(|o| objection_view(&l, o, &m, &labels)),
        may_object: m.may_object,
        objection_window: window_days(&l, &m.objection_window),
        objection_closed: now >= m.objection_window.closes_at,
        l,
    };
    Ok(visitor.finish(render(StatusCode::OK, &page)))
}

#[derive(Template)]
#[template(path = "objection.html")]
struct ObjectionPage {
    l: Layout,
    round: String,
    window: String,
    /// Whether the form is shown (the window is open and nothing is filed yet).
    open: bool,
    /// Why there is no form, when there is none.
    closed_because: String,
    errors: Vec<FieldError>,
    text: String,
    chosen: Vec<String>,
    choices: Vec<(String, String)>,
}

impl ObjectionPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }

    fn is_chosen(&self, id: &str) -> bool {
        self.chosen.iter().any(|c| c == id)
    }
}

/// The objection page: the form while the window is open, else the window's dates.
async fn objection_page(
    portal: &Portal,
    visitor: &Visitor,
    errors: Vec<FieldError>,
    text: String,
    chosen: Vec<String>,
) -> Response {
    let m = match my_round::my_result(&portal.app, &visitor.actor, None).await {
        Ok(Some(m)) => m,
        Ok(None) => {
            return visitor.refuse(
                StatusCode::NOT_FOUND,
                visitor.l.t("دوره‌ای در جریان نیست", "No round is running"),
            );
        }
        Err(e) => return app_error(visitor.layout(), e),
    };
    let choices = match labels(portal, visitor, None).await {
        Ok(labels) => labels,
        Err(e) => return app_error(visitor.layout(), e),
    };
    let l = visitor.layout();
    let closed_because = if m.objection.is_some() {
        l.t(
            "اعتراض شما ثبت شده است؛ وضعیت آن را در صفحهٔ نتیجه ببینید.",
            "Your objection is filed; see where it stands on your result page.",
        )
    } else if m.result.is_none() {
        l.t(
            "نتایج هنوز اعلام نشده است؛ پس از اعلام نتایج می‌توانید اعتراض کنید.",
            "Results are not published yet; you may object once they are.",
        )
    } else {
        l.t(
            "مهلت اعتراض اکنون باز نیست.",
            "The objection window is not open now.",
        )
    }
    .to_string();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ObjectionPage {
        round: l.num(m.round),
        window: window_days(&l, &m.objection_window),
        open: m.may_object,
        closed_because,
        errors,
        text,
        chosen,
        choices: choices
            .iter()
            .map(|(id, label)| (id.clone(), l.pick(label).to_string()))
            .collect(),
        l,
    };
    render(status, &page)
}

/// `GET /objection`: the objection form, or the window's dates when it is not open.
pub async fn objection_form(
    State(portal): State<Portal>,
    visitor: Visitor,
) -> Result<Response, Bounce> {
    visitor.require(&[Role::Office])?;
    let page = objection_page(&portal, &visitor, Vec::new(), String::new(), Vec::new()).await;
    Ok(visitor.finish(page))
}

/// `POST /objection`: files the objection through [`publication::object`], the command the JSON
/// API calls; bad fields come back inline, a closed window as a refusal naming it.
pub async fn file_objection(
    State(portal): State<Portal>,
    visitor: Visitor,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    visitor.require(&[Role::Office])?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    visitor.check_csrf(field("csrf"))?;
    let text = field("text").to_string();
    let criteria: Vec<String> = form
        .iter()
        .filter(|(k, _)| k == "criteria")
        .map(|(_, v)| v.clone())
        .collect();
    let round = match my_round::round_of_pages(&portal.app).await {
        Ok(Some((rs, _))) => rs.round.to_string(),
        Ok(None) => {
            return Ok(visitor.finish(visitor.refuse(
                StatusCode::NOT_FOUND,
                visitor.l.t("دوره‌ای در جریان نیست", "No round is running"),
            )));
        }
        Err(e) => return Ok(visitor.finish(app_error(visitor.layout(), e))),
    };
    let req = NewObjection {
        text: text.clone(),
        criteria: criteria.clone(),
    };
    let filed =
        match publication::object(&portal.app, &visitor.actor, &round, req, Claim::default()).await
        {
            Ok(written) => written.commit().await,
            Err(e) => Err(e),
        };
    let response = match filed {
        Ok(_) => Redirect::to("/objection/filed").into_response(),
        Err(AppError::Refused(WorkflowError::Fields(errors))) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: if e.field.starts_with("criteria") {
                        "criteria".to_string()
                    } else {
                        e.field
                    },
                    message: visitor.l.pick(&e.message).to_string(),
                })
                .collect();
            objection_page(&portal, &visitor, errors, text, criteria).await
        }
        Err(e) => app_error(visitor.layout(), e),
    };
    Ok(visitor.finish(response))
}

#[derive(Template)]
#[template(path = "objection_filed.html")]
struct FiledPage {
    l: Layout,
    filed_at: String,
    decides_by: String,
}

/// `GET /objection/filed`: the confirmation: filed, and when the region decides.
pub async fn objection_filed(
    State(portal): State<Portal>,
    visitor: Visitor,
) -> Result<Response, Bounce> {
    visitor.require(&[Role::Office])?;
    let response = match my_round::my_result(&portal.app, &visitor.actor, None).await {
        Ok(Some(m)) if m.objection.is_some() => {
            let l = visitor.layout();
            let o = m.objection.as_ref().expect("checked");
            let page = FiledPage {
                filed_at: when(&l, o.filed_at),
                decides_by: l.pick(&decides_by(&m.final_window)).to_string(),
                l,
            };
            render(StatusCode::OK, &page)
        }
        Ok(_) => Redirect::to("/objection").into_response(),
        Err(e) => app_error(visitor.layout(), e),
    };
    Ok(visitor.finish(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(lang: Lang) -> Layout {
        Layout::new(lang, String::new())
    }

    #[test]
    fn an_instant_reads_as_its_tehran_day_and_time_in_the_pages_language() {
        let at = crate::clock::parse_instant("1400/02/17 10:05").unwrap();
        assert_eq!(when(&layout(Lang::Fa), at), "۱۷ اردیبهشت ۱۴۰۰، ساعت ۱۰:۰۵");
        assert_eq!(when(&layout(Lang::En), at), "17 Ordibehesht 1400, 10:05");
    }

    #[test]
    fn a_deadline_at_midnight_reads_as_the_end_of_the_day_before_and_any_other_as_its_instant() {
        let midnight = crate::clock::parse_instant("1400/02/12 00:00").unwrap();
        assert_eq!(
            deadline(&layout(Lang::Fa), midnight),
            "تا پایان ۱۱ اردیبهشت ۱۴۰۰"
        );
        assert_eq!(
            deadline(&layout(Lang::En), midnight),
            "to the end of 11 Ordibehesht 1400"
        );
        let morning = crate::clock::parse_instant("1400/02/12 09:30").unwrap();
        assert_eq!(
            deadline(&layout(Lang::Fa), morning),
            when(&layout(Lang::Fa), morning)
        );
    }
}
