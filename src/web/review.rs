//! The regional reviewer's pages: the queue of the region's files (filters in a GET form, counts,
//! pages of fifty), one file (declared values beside last round's, the region's own inputs, refer
//! back with a note per field, accept), and the region's objections with the decision form. Every
//! action is the JSON API's command (`app::review`, through the form-shaped entries of
//! `app::queue`); a file changed by someone else since the page was read is never overwritten.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use super::session::Lang;
use crate::app::queue::{
    self, DecisionForm, FieldView, FileDeadline, FileState, QueueQuery, StatusFilter,
};
use crate::app::{AppError, review};
use crate::domain::{Label, ObjectionStatus, OfficeKind, Role};
use crate::workflow::WorkflowError;

/// Who may open the reviewer's pages: reviewers (their region), the regulator and admins (read).
const READERS: &[Role] = &[Role::Reviewer, Role::Regulator, Role::Admin];

/// One of the counts at the top of the queue, linking to its filter.
struct CountView {
    id: &'static str,
    label: String,
    count: String,
    href: String,
    current: bool,
}

/// A choice of a filter's `<select>`.
struct OptionView {
    value: String,
    label: String,
    selected: bool,
}

/// One file on the queue page.
struct RowView {
    office: String,
    href: String,
    name: String,
    kind: String,
    province: String,
    state: String,
    state_class: &'static str,
    deadline: String,
    overdue: bool,
    /// The file's risk in the page's digits (empty when no flag is raised).
    risk: String,
    flags: Vec<FlagView>,
}

/// A review flag raised on a file: its label and why, with the numbers, in the page's language.
struct FlagView {
    id: String,
    label: String,
    why: String,
}

/// One flag of the region's summary on the queue page: how many files raise it.
struct FlagCountView {
    id: String,
    label: String,
    files: String,
}

/// The flags raised on a file, in the page's language.
fn flag_views(l: &Layout, flags: &[queue::RaisedFlag]) -> Vec<FlagView> {
    flags
        .iter()
        .map(|f| FlagView {
            id: f.id.clone(),
            label: l.pick(&f.label).to_string(),
            why: l.pick(&f.why).to_string(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "review_queue.html")]
struct QueuePage {
    l: Layout,
    title: String,
    round: String,
    region: String,
    counts: Vec<CountView>,
    statuses: Vec<OptionView>,
    kinds: Vec<OptionView>,
    provinces: Vec<OptionView>,
    search: String,
    rows: Vec<RowView>,
    /// "Files 51 to 100 of 5,000".
    showing: String,
    page_of: String,
    previous: Option<String>,
    next: Option<String>,
    errors: Vec<FieldError>,
    round_param: String,
    sorts: Vec<OptionView>,
    /// The region's counts per flag, and the line above them ("120 of 5,000 files raise a flag").
    flag_counts: Vec<FlagCountView>,
    flagged: String,
}

impl QueuePage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

/// The URL of the queue with these filters (and `page`); empty filters are left out.
fn queue_href(q: &QueueQuery, status: Option<&str>, page: Option<usize>) -> String {
    let mut parts = Vec::new();
    let mut add = |k: &str, v: Option<&str>| {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", urlencode(v)));
        }
    };
    add("round", q.round.as_deref());
    add("region", q.region.as_deref());
    add("status", status);
    add("kind", q.kind.as_deref());
    add("province", q.province.as_deref());
    add("q", q.q.as_deref());
    add("sort", q.sort.as_deref());
    if let Some(p) = page.filter(|p| *p > 1) {
        parts.push(format!("page={p}"));
    }
    if parts.is_empty() {
        "/review".to_string()
    } else {
        format!("/review?{}", parts.join("&"))
    }
}

/// An instant stored as Unix milliseconds.
fn instant(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Percent-encodes a query value.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn kind_label(l: &Layout, k: OfficeKind) -> String {
    l.t(k.label_fa(), k.label_en()).to_string()
}

fn deadline_text(l: &Layout, d: &FileDeadline) -> String {
    let day = match l.lang {
        Lang::Fa => d.last_day.long_fa(),
        Lang::En => d.last_day.long_en(),
    };
    if d.days_left < 0 {
        format!(
            "{} {} {} ({day})",
            l.num(-d.days_left),
            l.t("روز", "days"),
            l.t("گذشته", "overdue")
        )
    } else if d.days_left == 0 {
        format!(
            "{} ({day})",
            l.t("امروز آخرین روز", "today is the last day")
        )
    } else {
        format!(
            "{} {} ({day})",
            l.num(d.days_left),
            l.t("روز مانده", "days left")
        )
    }
}

fn state_class(s: FileState) -> &'static str {
    match s {
        FileState::NotStarted | FileState::Draft => "state-not-filed",
        FileState::Submitted => "state-waiting",
        FileState::Reviewed => "state-reviewed",
        FileState::Referred => "state-referred",
    }
}

/// The field errors of a refusal, each linked to the control with id `id_of(field)`; other
/// refusals as one message.
fn form_errors(
    l: &Layout,
    e: &AppError,
    id_of: impl Fn(&str) -> String,
) -> Option<Vec<FieldError>> {
    match e {
        AppError::Refused(WorkflowError::Fields(list)) => Some(
            list.iter()
                .map(|f| FieldError {
                    field: id_of(f.field.split('[').next().unwrap_or_default()),
                    message: l.pick(&f.message).to_string(),
                })
                .collect(),
        ),
        _ => None,
    }
}

/// `GET /review`: one page of the region's files.
pub async fn queue_page(
    State(portal): State<Portal>,
    visitor: Visitor,
    Query(q): Query<QueueQuery>,
) -> Result<Response, Bounce> {
    visitor.require(READERS)?;
    let l = visitor.layout();
    let queue = match queue::queue(&portal.app, &visitor.actor, &q).await {
        Ok(queue) => queue,
        Err(e) => return Ok(visitor.finish(app_error(l, e))),
    };
    let c = queue.counts;
    let current = queue.status.map(StatusFilter::as_str);
    let count = |f: Option<StatusFilter>, n: i64, id: &'static str| CountView {
        id,
        label: match f {
            Some(f) => l.pick(&f.label()).to_string(),
            None => l.t("همه", "All").to_string(),
        },
        count: l.num(n),
        href: queue_href(&q, f.map(StatusFilter::as_str), None),
        current: f.map(StatusFilter::as_str) == current,
    };
    let counts = vec![
        count(None, c.all, "count-all"),
        count(Some(StatusFilter::Filed), c.filed, "count-filed"),
        count(Some(StatusFilter::NotFiled), c.not_filed, "count-not-filed"),
        count(Some(StatusFilter::Waiting), c.waiting, "count-waiting"),
        count(Some(StatusFilter::Reviewed), c.reviewed, "count-reviewed"),
        count(Some(StatusFilter::Referred), c.referred, "count-referred"),
        count(Some(StatusFilter::Overdue), c.overdue, "count-overdue"),
    ];
    let statuses = StatusFilter::ALL
        .into_iter()
        .map(|f| OptionView {
            value: f.as_str().to_string(),
            label: l.pick(&f.label()).to_string(),
            selected: Some(f) == queue.status,
        })
        .collect();
    let kinds = OfficeKind::ALL
        .into_iter()
        .map(|k| OptionView {
            value: k.as_str().to_string(),
            label: kind_label(&l, k),
            selected: Some(k) == queue.kind,
        })
        .collect();
    let provinces = queue
        .provinces
        .iter()
        .map(|p| OptionView {
            value: p.clone(),
            label: p.clone(),
            selected: queue.province.as_deref() == Some(p.as_str()),
        })
        .collect();
    let round = queue.round.to_string();
    let rows = queue
        .items
        .iter()
        .map(|i| RowView {
            href: format!("/review/{round}/{}", i.office),
            office: i.office.to_string(),
            name: i.name.clone(),
            kind: kind_label(&l, i.kind),
            province: i.province.clone(),
            state: l.pick(&queue::state_label(i.state)).to_string(),
            state_class: state_class(i.state),
            deadline: i
                .deadline
                .as_ref()
                .map(|d| deadline_text(&l, d))
                .unwrap_or_default(),
            overdue: i.deadline.is_some_and(|d| d.overdue),
            risk: if i.flags.is_empty() {
                String::new()
            } else {
                l.num(i.risk)
            },
            flags: flag_views(&l, &i.flags),
        })
        .collect();
    let sorts = queue::QueueSort::ALL
        .into_iter()
        .map(|s| OptionView {
            value: s.as_str().to_string(),
            label: l.pick(&s.label()).to_string(),
            selected: s == queue.sort,
        })
        .collect();
    let flag_counts = queue
        .flag_counts
        .iter()
        .map(|f| FlagCountView {
            id: f.id.clone(),
            label: l.pick(&f.label).to_string(),
            files: l.num(f.files),
        })
        .collect();
    let flagged = format!(
        "{} {}",
        l.num(queue.flagged),
        l.t(
            "پرونده دست‌کم یک نشانه دارند",
            "files raise at least one flag"
        )
    );
    let first = (queue.page - 1) * queue::PER_PAGE + 1;
    let last = first + queue.items.len().saturating_sub(1);
    let showing = if queue.items.is_empty() {
        l.t(
            "پرونده‌ای با این فیلترها نیست",
            "No file matches these filters",
        )
        .to_string()
    } else {
        format!(
            "{} {} {} {} {} {}",
            l.t("پرونده‌های", "Files"),
            l.num(first),
            l.t("تا", "to"),
            l.num(last),
            l.t("از", "of"),
            l.num(queue.total)
        )
    };
    let page_of = format!(
        "{} {} {} {}",
        l.t("صفحه", "Page"),
        l.num(queue.page),
        l.t("از", "of"),
        l.num(queue.pages)
    );
    let errors = queue
        .problems
        .iter()
        .map(|p| FieldError {
            field: p.field.clone(),
            message: l.pick(&p.message).to_string(),
        })
        .collect();
    let page = QueuePage {
        title: l.pick(&queue.title).to_string(),
        round: l.num(&round),
        region: match queue.region {
            Some(r) => format!("{} {}", l.t("منطقه", "Region"), l.num(r)),
            None => l.t("همه مناطق", "All regions").to_string(),
        },
        counts,
        statuses,
        kinds,
        provinces,
        search: queue.search.clone(),
        rows,
        showing,
        page_of,
        previous: (queue.page > 1).then(|| queue_href(&q, current, Some(queue.page - 1))),
        next: (queue.page < queue.pages).then(|| queue_href(&q, current, Some(queue.page + 1))),
        errors,
        round_param: q.round.clone().unwrap_or_default(),
        sorts,
        flag_counts,
        flagged,
        l,
    };
    Ok(visitor.finish(render(StatusCode::OK, &page)))
}

/// An input on the file page, in the page's language.
struct FieldRow {
    name: String,
    label: String,
    unit: String,
    hint: String,
    value: String,
    previous: String,
    changed: bool,
    carried_over: bool,
    referred: Option<String>,
    /// What the region form's control holds: the typed text after a refused save, else the value.
    typed: String,
    /// A choice's (or yes/no's) options for the region form's `<select>`.
    choices: Vec<OptionView>,
    /// The refer form's state after a refused referral: chosen, and the note typed.
    chosen: bool,
    note: String,
    /// The error of this field's control (the region's value, or the referral note).
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "review_file.html")]
struct FilePage {
    l: Layout,
    /// The file's risk (empty: no flag raised) and its flags, shown at the top for the reviewer.
    risk: String,
    flags: Vec<FlagView>,
    round_label: String,
    title: String,
    office: String,
    name: String,
    kind: String,
    province: String,
    state: String,
    state_class: &'static str,
    deadline: String,
    version: i64,
    office_fields: Vec<FieldRow>,
    region_fields: Vec<FieldRow>,
    can_review: bool,
    can_refer: bool,
    can_accept: bool,
    /// When and by whom (as the audit log names them) the file was accepted.
    accepted: Option<(String, String)>,
    referral: Option<String>,
    objection: Option<String>,
    /// What was just done (after a redirect): a confirmation.
    done: Option<String>,
    /// Someone else changed the file since the form was read.
    conflict: Option<String>,
    /// The referral's own error (no field chosen).
    refer_error: Option<String>,
    /// A refusal that is not about a field.
    problem: Option<String>,
    errors: Vec<FieldError>,
    href: String,
}

/// What a refused form leaves on the page it is shown again on.
#[derive(Default)]
struct Refused {
    status: Option<StatusCode>,
    errors: Vec<FieldError>,
    conflict: bool,
    problem: Option<String>,
    region_texts: Vec<(String, String)>,
    notes: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct FileQuery {
    done: Option<String>,
}

/// `GET /review/{round}/{office}`: one file.
pub async fn file_page(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path((round, office)): Path<(String, String)>,
    Query(q): Query<FileQuery>,
) -> Result<Response, Bounce> {
    visitor.require(READERS)?;
    let done = q.done.as_deref().and_then(|d| {
        let l = &visitor.l;
        match d {
            "saved" => Some(l.t("مقادیر منطقه ثبت شد.", "The region's values are recorded.")),
            "referred" => Some(l.t(
                "پرونده با یادداشت‌های شما به دفتر ارجاع شد.",
                "The file is referred to the office with your notes.",
            )),
            "accepted" => Some(l.t("پرونده پذیرفته شد.", "The file is accepted.")),
            _ => None,
        }
        .map(str::to_string)
    });
    Ok(show_file(&portal, &visitor, &round, &office, done, Refused::default()).await)
}

async fn show_file(
    portal: &Portal,
    visitor: &Visitor,
    round: &str,
    office: &str,
    done: Option<String>,
    refused: Refused,
) -> Response {
    let l = visitor.layout();
    let f = match queue::file_view(&portal.app, &visitor.actor, round, office).await {
        Ok(f) => f,
        Err(e) => return visitor.finish(app_error(l, e)),
    };
    let triage = match crate::app::triage::file_triage(
        &portal.app,
        &visitor.actor,
        &f.round.to_string(),
        f.office.id.as_str(),
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return visitor.finish(app_error(l, e)),
    };
    let (risk, flags) = match &triage {
        Some(t) if !t.triage.flags.is_empty() => {
            (l.num(t.triage.risk), flag_views(&l, &t.triage.flags))
        }
        _ => (String::new(), Vec::new()),
    };
    let pick = |label: &Label| l.pick(label).to_string();
    let row = |v: &FieldView| {
        let shown = |t: &Option<queue::ValueText>| {
            t.as_ref()
                .map(|t| pick(&t.shown))
                .unwrap_or_else(|| l.t("—", "—").to_string())
        };
        let typed = refused
            .region_texts
            .iter()
            .find(|(k, _)| *k == v.name)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| v.value.as_ref().map(|t| t.text.clone()).unwrap_or_default());
        let note = refused.notes.iter().find(|(k, _)| *k == v.name);
        FieldRow {
            name: v.name.clone(),
            label: pick(&v.label),
            unit: v.unit.as_ref().map(pick).unwrap_or_default(),
            hint: pick(&v.hint),
            value: shown(&v.value),
            previous: shown(&v.previous),
            changed: v.changed,
            carried_over: v.carried_over,
            referred: v.referred.clone(),
            choices: if v.is_bool {
                vec![
                    ("true".to_string(), Label::new("بله", "yes")),
                    ("false".to_string(), Label::new("خیر", "no")),
                ]
            } else {
                v.choices.clone()
            }
            .iter()
            .map(|(name, label)| OptionView {
                value: name.clone(),
                label: pick(label),
                selected: *name == typed,
            })
            .collect(),
            typed,
            chosen: note.is_some(),
            note: note.map(|(_, n)| n.clone()).unwrap_or_default(),
            error: error_of(
                &refused.errors,
                &format!("{}-{}", if v.by_region { "region" } else { "note" }, v.name),
            )
            .map(str::to_string),
        }
    };
    let office_fields = f.fields.iter().filter(|v| !v.by_region).map(row).collect();
    let region_fields = f.fields.iter().filter(|v| v.by_region).map(row).collect();
    let refer_error = error_of(&refused.errors, "refer-fields").map(str::to_string);
    let when = |ms: i64| {
        let d = crate::domain::JalaliDate::of_instant(instant(ms));
        match l.lang {
            Lang::Fa => d.long_fa(),
            Lang::En => d.long_en(),
        }
    };
    let accepted = f.acceptance.as_ref().map(|a| {
        (
            format!(
                "{} {} {}",
                l.t("پذیرفته شد در", "Accepted on"),
                when(a.at),
                l.t("توسط", "by")
            ),
            a.by.clone(),
        )
    });
    let referral = f.open_referral.as_ref().map(|r| {
        format!(
            "{} {}",
            l.t(
                "این پرونده برای اصلاح به دفتر ارجاع شده است؛ آخرین روز اصلاح:",
                "This file is referred to the office for correction; last day to correct:"
            ),
            when(r.deadline_at - 1)
        )
    });
    let objection = f.objection.as_ref().map(|o| {
        format!(
            "{} «{}» ({})",
            l.t("دفتر اعتراض کرده است:", "The office objected:"),
            o.text,
            match o.status {
                ObjectionStatus::Pending => l.t("در انتظار تصمیم", "pending"),
                ObjectionStatus::Accepted => l.t("پذیرفته شد", "accepted"),
                ObjectionStatus::Rejected => l.t("رد شد", "rejected"),
            }
        )
    });
    let status = refused.status.unwrap_or(StatusCode::OK);
    let page = FilePage {
        round_label: l.num(f.round),
        title: pick(&f.title),
        office: f.office.id.to_string(),
        name: f.office.name.clone(),
        kind: kind_label(&l, f.office.kind),
        province: f.office.province.clone(),
        state: pick(&queue::state_label(f.state)),
        state_class: state_class(f.state),
        deadline: f
            .deadline
            .as_ref()
            .map(|d| deadline_text(&l, d))
            .unwrap_or_default(),
        version: f.version,
        office_fields,
        region_fields,
        can_review: f.can_review && f.version > 0 && f.state != FileState::Draft,
        can_refer: f.can_review
            && matches!(f.state, FileState::Submitted | FileState::Reviewed),
        can_accept: f.can_review && f.state == FileState::Submitted,
        accepted,
        referral,
        objection,
        done,
        conflict: refused.conflict.then(|| {
            l.t(
                "کس دیگری این پرونده را پس از باز کردن شما تغییر داده است؛ چیزی از فرم شما ثبت نشد. پرونده را دوباره بارگیری کنید، مقادیر کنونی را ببینید و دوباره تصمیم بگیرید.",
                "Someone else changed this file after you opened it; nothing from your form was saved. Reload the file, check its values now and decide again.",
            )
            .to_string()
        }),
        refer_error,
        problem: refused.problem,
        errors: refused.errors,
        href: format!("/review/{}/{}", f.round, f.office.id),
        risk,
        flags,
        l,
    };
    visitor.finish(render(status, &page))
}

/// How a refused form on the file page is shown: field errors beside their controls, a
/// conflict as the "someone else changed this file" notice, anything else as the problem page.
async fn refused_file(
    portal: &Portal,
    visitor: &Visitor,
    round: &str,
    office: &str,
    e: AppError,
    id_of: impl Fn(&str) -> String,
    mut kept: Refused,
) -> Response {
    let l = visitor.layout();
    if let Some(errors) = form_errors(&l, &e, id_of) {
        kept.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
        kept.errors = errors;
    } else if matches!(e, AppError::Conflict(_)) {
        kept.status = Some(StatusCode::CONFLICT);
        kept.conflict = true;
    } else if let AppError::Refused(_) = &e {
        kept.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
        kept.problem = e.message().map(|m| l.pick(&m).to_string());
    } else {
        return visitor.finish(app_error(l, e));
    }
    show_file(portal, visitor, round, office, None, kept).await
}

/// The version a form carries, or a refusal when it is missing or not a number.
fn version_of(form: &[(String, String)]) -> Option<i64> {
    form.iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.trim().parse().ok())
}

fn csrf_of(form: &[(String, String)]) -> &str {
    form.iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// The fields of a form whose names start with `prefix`, the prefix taken off.
fn prefixed(form: &[(String, String)], prefix: &str) -> Vec<(String, String)> {
    form.iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_string(), v.clone())))
        .collect()
}

fn done(round: &str, office: &str, what: &str) -> Response {
    Redirect::to(&format!(
        "/review/{}/{}?done={what}",
        urlencode(round),
        urlencode(office)
    ))
    .into_response()
}

/// `POST /review/{round}/{office}/region-values`: records the region's inputs.
pub async fn record_region_values(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path((round, office)): Path<(String, String)>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    visitor.check_csrf(csrf_of(&form))?;
    visitor.require(&[Role::Reviewer])?;
    let texts = prefixed(&form, "region.");
    let version = version_of(&form).unwrap_or(-1);
    let outcome = queue::record_region_form(
        &portal.app,
        &visitor.actor,
        &round,
        &office,
        &texts,
        version,
    )
    .await;
    let outcome = committed(outcome).await;
    Ok(match outcome {
        Ok(()) => done(&round, &office, "saved"),
        Err(e) => {
            let kept = Refused {
                region_texts: texts,
                ..Refused::default()
            };
            let id = |f: &str| format!("region-{f}");
            refused_file(&portal, &visitor, &round, &office, e, id, kept).await
        }
    })
}

/// `POST /review/{round}/{office}/referral`: refers the file back, a note per chosen field.
pub async fn refer(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path((round, office)): Path<(String, String)>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    visitor.check_csrf(csrf_of(&form))?;
    visitor.require(&[Role::Reviewer])?;
    let chosen: Vec<String> = prefixed(&form, "refer.")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let notes: Vec<(String, String)> = prefixed(&form, "note.")
        .into_iter()
        .filter(|(k, n)| chosen.contains(k) || !n.trim().is_empty())
        .collect();
    let version = version_of(&form).unwrap_or(-1);
    let outcome = queue::refer_form(
        &portal.app,
        &visitor.actor,
        &round,
        &office,
        &notes,
        version,
    )
    .await;
    let outcome = committed(outcome).await;
    Ok(match outcome {
        Ok(()) => done(&round, &office, "referred"),
        Err(e) => {
            let kept = Refused {
                notes,
                ..Refused::default()
            };
            let id = |f: &str| {
                if f == "reasons" {
                    "refer-fields".to_string()
                } else {
                    format!("note-{f}")
                }
            };
            refused_file(&portal, &visitor, &round, &office, e, id, kept).await
        }
    })
}

/// `POST /review/{round}/{office}/acceptance`: accepts the file as read.
pub async fn accept(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path((round, office)): Path<(String, String)>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    visitor.check_csrf(csrf_of(&form))?;
    visitor.require(&[Role::Reviewer])?;
    let version = version_of(&form).unwrap_or(-1);
    let outcome = review::accept(
        &portal.app,
        &visitor.actor,
        &round,
        &office,
        version,
        crate::app::Claim::default(),
    )
    .await;
    let outcome = committed(outcome).await;
    Ok(match outcome {
        Ok(()) => done(&round, &office, "accepted"),
        Err(e) => {
            let id = |f: &str| f.to_string();
            refused_file(
                &portal,
                &visitor,
                &round,
                &office,
                e,
                id,
                Refused::default(),
            )
            .await
        }
    })
}

/// One objection on the objections page.
struct ObjectionRow {
    id: String,
    office: String,
    name: String,
    href: String,
    action: String,
    text: String,
    criteria: String,
    filed: String,
    status: String,
    pending: bool,
    decision: String,
    corrections: Vec<(String, String)>,
    version: i64,
    /// The decision form's state (empty, or what a refused decision held).
    typed: TypedDecision,
    accept_checked: bool,
    reject_checked: bool,
    /// Errors beside the decision form's controls.
    err_decision: Option<String>,
    err_input: Option<String>,
    err_value: Option<String>,
    err_reason: Option<String>,
}

/// What a refused decision form held.
#[derive(Clone, Default)]
struct TypedDecision {
    decision: String,
    input: String,
    value: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "review_objections.html")]
struct ObjectionsPage {
    l: Layout,
    title: String,
    round: String,
    rows: Vec<ObjectionRow>,
    inputs: Vec<OptionView>,
    can_decide: bool,
    done: bool,
    conflict: Option<String>,
    problem: Option<String>,
    errors: Vec<FieldError>,
}

#[derive(Deserialize, Default)]
pub struct ObjectionsQuery {
    round: Option<String>,
    done: Option<String>,
}

/// `GET /review/objections`: the region's objections with their claims and decision forms.
pub async fn objections_page(
    State(portal): State<Portal>,
    visitor: Visitor,
    Query(q): Query<ObjectionsQuery>,
) -> Result<Response, Bounce> {
    visitor.require(READERS)?;
    let done = q.done.is_some();
    Ok(show_objections(
        &portal,
        &visitor,
        q.round.as_deref(),
        done,
        None,
        Refused::default(),
    )
    .await)
}

async fn show_objections(
    portal: &Portal,
    visitor: &Visitor,
    round: Option<&str>,
    done: bool,
    typed: Option<(String, TypedDecision)>,
    refused: Refused,
) -> Response {
    let l = visitor.layout();
    let list = match queue::objections(&portal.app, &visitor.actor, round).await {
        Ok(list) => list,
        Err(e) => return visitor.finish(app_error(l, e)),
    };
    let pick = |label: &Label| l.pick(label).to_string();
    let err = |id: &str| error_of(&refused.errors, id).map(str::to_string);
    let round = list.round.to_string();
    let rows = list
        .items
        .iter()
        .map(|i| {
            let o = &i.objection;
            let id = o.office_id.to_string();
            ObjectionRow {
                href: format!("/review/{round}/{id}"),
                action: format!("/review/{round}/{id}/objection"),
                office: id.clone(),
                name: i.office_name.clone(),
                text: o.text.clone(),
                criteria: i
                    .criteria
                    .iter()
                    .map(pick)
                    .collect::<Vec<_>>()
                    .join(l.t("، ", ", ")),
                filed: {
                    let d = crate::domain::JalaliDate::of_instant(instant(o.filed_at));
                    match l.lang {
                        Lang::Fa => d.long_fa(),
                        Lang::En => d.long_en(),
                    }
                },
                status: match o.status {
                    ObjectionStatus::Pending => l.t("در انتظار تصمیم", "Waiting for a decision"),
                    ObjectionStatus::Accepted => l.t("پذیرفته شد", "Accepted"),
                    ObjectionStatus::Rejected => l.t("رد شد", "Rejected"),
                }
                .to_string(),
                pending: queue::is_pending(o),
                decision: o.decision_reason.clone().unwrap_or_default(),
                corrections: i
                    .corrections
                    .iter()
                    .map(|(k, v)| (pick(k), pick(v)))
                    .collect(),
                version: o.version,
                typed: typed
                    .as_ref()
                    .filter(|(office, _)| *office == id)
                    .map(|(_, t)| t.clone())
                    .unwrap_or_default(),
                accept_checked: typed
                    .as_ref()
                    .is_some_and(|(office, t)| *office == id && t.decision == "accepted"),
                reject_checked: typed
                    .as_ref()
                    .is_some_and(|(office, t)| *office == id && t.decision == "rejected"),
                err_decision: err(&format!("decision-{id}")),
                err_input: err(&format!("input-{id}")),
                err_value: err(&format!("value-{id}")),
                err_reason: err(&format!("reason-{id}")),
                id,
            }
        })
        .collect();
    let inputs = list
        .inputs
        .iter()
        .map(|(name, label)| OptionView {
            value: name.clone(),
            label: pick(label),
            selected: typed.as_ref().is_some_and(|(_, t)| t.input == *name),
        })
        .collect();
    let page = ObjectionsPage {
        title: pick(&list.title),
        round: l.num(&round),
        rows,
        inputs,
        can_decide: list.can_decide,
        done,
        conflict: refused.conflict.then(|| {
            l.t(
                "کس دیگری این اعتراض را پس از باز کردن شما تغییر داده است؛ تصمیم شما ثبت نشد. صفحه را دوباره بارگیری کنید.",
                "Someone else changed this objection after you opened it; your decision was not saved. Reload the page.",
            )
            .to_string()
        }),
        problem: refused.problem,
        errors: refused.errors,
        l,
    };
    visitor.finish(render(refused.status.unwrap_or(StatusCode::OK), &page))
}

/// `POST /review/{round}/{office}/objection`: decides the office's objection.
pub async fn decide_objection(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path((round, office)): Path<(String, String)>,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    visitor.check_csrf(csrf_of(&form))?;
    visitor.require(&[Role::Reviewer])?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let typed = TypedDecision {
        decision: field("decision"),
        input: field("input"),
        value: field("value"),
        reason: field("reason"),
    };
    let decision = DecisionForm {
        decision: typed.decision.clone(),
        input: typed.input.clone(),
        value: typed.value.clone(),
        reason: typed.reason.clone(),
        version: version_of(&form).unwrap_or(-1),
    };
    let outcome =
        queue::decide_objection(&portal.app, &visitor.actor, &round, &office, decision).await;
    let outcome = committed(outcome).await;
    let e = match outcome {
        Ok(()) => {
            return Ok(Redirect::to(&format!(
                "/review/objections?round={}&done=1",
                urlencode(&round)
            ))
            .into_response());
        }
        Err(e) => e,
    };
    let l = visitor.layout();
    let mut kept = Refused::default();
    let id_of = |f: &str| format!("{f}-{office}");
    if let Some(errors) = form_errors(&l, &e, id_of) {
        kept.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
        kept.errors = errors;
    } else if matches!(e, AppError::Conflict(_)) {
        kept.status = Some(StatusCode::CONFLICT);
        kept.conflict = true;
    } else if let AppError::Refused(_) = &e {
        kept.status = Some(StatusCode::UNPROCESSABLE_ENTITY);
        kept.problem = e.message().map(|m| l.pick(&m).to_string());
    } else {
        return Ok(visitor.finish(app_error(l, e)));
    }
    Ok(show_objections(
        &portal,
        &visitor,
        Some(&round),
        false,
        Some((office.clone(), typed)),
        kept,
    )
    .await)
}

/// A page's command, committed: a page keeps no idempotent answer, only whether it was done.
async fn committed<T>(
    outcome: Result<crate::app::Written<T>, crate::app::AppError>,
) -> Result<(), crate::app::AppError> {
    outcome?.commit().await.map(|_| ())
}
