//! The office holder's declaration: the form generated from the live round's `inputs:` (save a
//! draft, or continue), the "check your answers" page with a change link per answer, submission,
//! and the confirmation saying what happens next and by when. After a referral only the referred
//! fields open, each with the reviewer's note and the deadline. Every page works without
//! JavaScript; htmx only checks a field as it is left.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use super::session::Lang;
use crate::app::declaration_form::{self, DeclarationForm, FieldKind, FilledBy, FormField, Mode};
use crate::app::{AppError, Claim, declarations};
use crate::domain::{DeclarationStatus, JalaliDate, Label, Role};
use crate::workflow::{Window, WorkflowError};

/// One field as a page writes it, in the page's language.
pub struct FieldView {
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub unit: Option<String>,
    /// "Between 0 and 5000", when the input declares a range.
    pub range: Option<String>,
    /// The office may change it now.
    pub editable: bool,
    /// A whole or decimal number: the text box asks for a numeric keyboard.
    pub numeric: bool,
    /// A list of records (violations): shown, never typed in.
    pub list: bool,
    /// The text box's value (a text field).
    pub value: String,
    /// The choices of a choice or yes/no field (empty for a text field).
    pub options: Vec<OptionView>,
    /// The value as a person reads it (read-only fields, the check page); empty when none.
    pub shown: String,
    /// The value shown is last round's.
    pub from_last_round: bool,
    /// The value was taken from last round at submission.
    pub carried_over: bool,
    /// Who fills it in, when not the office.
    pub filled_by: Option<String>,
    /// The reviewer's note, when referred back.
    pub note: Option<String>,
    pub error: Option<String>,
}

/// A radio button of a choice field.
pub struct OptionView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

fn window_days(l: &Layout, w: &Window) -> (String, String) {
    match l.lang {
        Lang::Fa => (w.first_day.long_fa(), w.last_day.long_fa()),
        Lang::En => (w.first_day.long_en(), w.last_day.long_en()),
    }
}

/// A field's value as a person reads it: a choice's label, yes/no, or the number in the page's
/// digits with its unit.
fn shown_text(l: &Layout, f: &FormField, text: &str) -> String {
    if let Some(label) = f.label_of(text) {
        return l.pick(&label).to_string();
    }
    let n = l.decimal(text);
    match &f.unit {
        Some(u) => format!("{n} {}", l.pick(u)),
        None => n,
    }
}

/// The views of the form's fields; `typed` (a re-shown form) overrides the stored values.
fn field_views(
    l: &Layout,
    form: &DeclarationForm,
    typed: Option<&BTreeMap<String, String>>,
    errors: &[FieldError],
) -> Vec<FieldView> {
    form.fields
        .iter()
        .map(|f| {
            let value = match typed.and_then(|t| t.get(&f.name)) {
                Some(t) => t.clone(),
                None => f.shown().map(|t| l.num(t)).unwrap_or_default(),
            };
            let checked_value = crate::domain::digits::to_ascii_digits(
                typed
                    .and_then(|t| t.get(&f.name))
                    .map_or(f.shown().unwrap_or(""), String::as_str),
            );
            let options: Vec<(String, Label)> = match &f.kind {
                FieldKind::Choice(values) => values.clone(),
                FieldKind::YesNo => vec![
                    ("true".into(), Label::new("بله", "Yes")),
                    ("false".into(), Label::new("خیر", "No")),
                ],
                _ => Vec::new(),
            };
            let range = match &f.kind {
                FieldKind::Number { min, max, .. } => match (min, max) {
                    (Some(a), Some(b)) => Some(match l.lang {
                        Lang::Fa => format!("از {} تا {}", l.num(a), l.num(b)),
                        Lang::En => format!("from {a} to {b}"),
                    }),
                    (Some(a), None) => Some(match l.lang {
                        Lang::Fa => format!("دست‌کم {}", l.num(a)),
                        Lang::En => format!("at least {a}"),
                    }),
                    (None, Some(b)) => Some(match l.lang {
                        Lang::Fa => format!("حداکثر {}", l.num(b)),
                        Lang::En => format!("at most {b}"),
                    }),
                    (None, None) => None,
                },
                FieldKind::Date => Some(
                    l.t(
                        "تاریخ خورشیدی، مانند ۱۴۰۰/۰۱/۱۷",
                        "a Jalali date, e.g. 1400/01/17",
                    )
                    .to_string(),
                ),
                _ => None,
            };
            FieldView {
                name: f.name.clone(),
                label: l.pick(&f.label).to_string(),
                help: f.help.as_ref().map(|h| l.pick(h).to_string()),
                unit: f.unit.as_ref().map(|u| l.pick(u).to_string()),
                range,
                editable: f.editable,
                numeric: matches!(f.kind, FieldKind::Number { .. }),
                list: matches!(f.kind, FieldKind::List),
                value,
                options: options
                    .into_iter()
                    .enumerate()
                    .map(|(i, (v, label))| OptionView {
                        id: if i == 0 {
                            f.name.clone()
                        } else {
                            format!("{}-{i}", f.name)
                        },
                        checked: v == checked_value,
                        value: v,
                        label: l.pick(&label).to_string(),
                    })
                    .collect(),
                shown: match (&f.kind, f.shown()) {
                    (FieldKind::List, _) => String::new(),
                    (_, Some(t)) => shown_text(l, f, t),
                    (_, None) => String::new(),
                },
                from_last_round: f.from_last_round(),
                carried_over: f.carried_over,
                filled_by: match f.filled_by {
                    FilledBy::Office => None,
                    FilledBy::Region => Some(
                        l.t("اداره کل منطقه ثبت می‌کند", "recorded by the region")
                            .to_string(),
                    ),
                    FilledBy::Inspection => Some(
                        l.t("بازرسی ثبت می‌کند", "recorded by inspection")
                            .to_string(),
                    ),
                },
                note: f.referral_note.clone(),
                error: error_of(errors, &f.name).map(str::to_string),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "declaration.html")]
struct FormPage {
    l: Layout,
    title: String,
    round: String,
    office: String,
    version: String,
    /// Fields the office fills (editable now or not).
    office_fields: Vec<FieldView>,
    /// Fields the region or inspection fills (read-only).
    other_fields: Vec<FieldView>,
    errors: Vec<FieldError>,
    /// A page-wide problem (a closed window, a conflict), in the summary.
    problem: Option<String>,
    /// What may be done now, in a sentence (window, referral deadline, submitted, closed).
    status_line: String,
    /// Editable at all (else read-only, without buttons).
    open: bool,
    correcting: bool,
    /// The correction deadline's last day, beside each referred field.
    deadline: String,
    saved: bool,
    htmx: &'static str,
}

/// The sentence at the top of the form: what may be done now and until when.
fn status_line(l: &Layout, form: &DeclarationForm) -> String {
    match &form.mode {
        Mode::Drafting => {
            let (a, b) = window_days(l, &form.self_declaration);
            match l.lang {
                Lang::Fa => format!(
                    "خوداظهاری از {a} تا پایان {b} باز است. مقدارهایی که تغییر ندهید همان مقدارهای دورهٔ قبل و تأییدشده به شمار می‌آیند."
                ),
                Lang::En => format!(
                    "Self-declaration is open from {a} to the end of {b}. Values you leave unchanged are taken from the previous round and count as confirmed."
                ),
            }
        }
        Mode::Correcting { deadline } => {
            let (_, b) = window_days(l, deadline);
            match l.lang {
                Lang::Fa => format!(
                    "پروندهٔ شما برای اصلاح بازگردانده شده است. تنها موردهای ارجاع‌شده را می‌توانید تا پایان {b} اصلاح کنید و دوباره بفرستید."
                ),
                Lang::En => format!(
                    "Your file was referred back for correction. Only the referred fields can be corrected, until the end of {b}; then send it again."
                ),
            }
        }
        Mode::Submitted => l
            .t(
                "خوداظهاری شما ثبت نهایی شده است و اکنون تغییرپذیر نیست.",
                "Your self-declaration was submitted and cannot be changed now.",
            )
            .to_string(),
        Mode::Closed(why) => l.pick(why).to_string(),
    }
}

/// What an office holder should do next about the declaration, for the home page (`None` when
/// the declaration cannot be read, e.g. an account linked to no office).
pub async fn next_step(
    app: &crate::app::App,
    actor: &crate::app::Actor,
    l: &Layout,
) -> Option<String> {
    let form = declaration_form::form(app, actor).await.ok()?;
    Some(match &form.mode {
        Mode::Drafting => {
            let (_, b) = window_days(l, &form.self_declaration);
            match l.lang {
                Lang::Fa => format!("خوداظهاری دفتر را پر کنید و تا پایان {b} بفرستید."),
                Lang::En => {
                    format!("Fill in your office's self-declaration and send it by the end of {b}.")
                }
            }
        }
        Mode::Submitted => {
            let (a, b) = window_days(l, &form.regional_review);
            match l.lang {
                Lang::Fa => format!(
                    "خوداظهاری شما فرستاده شده است. کارشناس منطقه آن را از {a} تا پایان {b} بررسی می‌کند."
                ),
                Lang::En => format!(
                    "Your self-declaration was sent. The regional reviewer checks it from {a} to the end of {b}."
                ),
            }
        }
        Mode::Correcting { .. } | Mode::Closed(_) => status_line(l, &form),
    })
}

fn form_page(
    l: Layout,
    form: &DeclarationForm,
    typed: Option<&BTreeMap<String, String>>,
    errors: Vec<FieldError>,
    problem: Option<String>,
    saved: bool,
) -> FormPage {
    let (office_fields, other_fields): (Vec<_>, Vec<_>) = field_views(&l, form, typed, &errors)
        .into_iter()
        .partition(|f| f.filled_by.is_none());
    FormPage {
        title: l.pick(&form.title).to_string(),
        round: l.num(form.round),
        office: form.office.to_string(),
        // Version 0 before the first save, so a save made meanwhile elsewhere is a conflict.
        version: form.version.unwrap_or(0).to_string(),
        other_fields: other_fields
            .into_iter()
            .filter(|f| !f.shown.is_empty())
            .collect(),
        status_line: status_line(&l, form),
        open: matches!(form.mode, Mode::Drafting | Mode::Correcting { .. }),
        correcting: matches!(form.mode, Mode::Correcting { .. }),
        deadline: match &form.mode {
            Mode::Correcting { deadline } => window_days(&l, deadline).1,
            _ => String::new(),
        },
        office_fields,
        errors,
        problem,
        saved,
        htmx: super::assets::HTMX,
        l,
    }
}

/// A refused save or submission as the page tells it: field errors in the page's language (each
/// beside its field), or one page-wide problem (a closed window, a concurrent change), with the
/// status to answer; refusals of the person themselves (a role, no office) are a problem page.
struct Told {
    errors: Vec<FieldError>,
    problem: Option<String>,
    status: StatusCode,
}

fn refusal(l: &Layout, e: AppError) -> Result<Told, AppError> {
    match e {
        AppError::Refused(WorkflowError::Fields(fields)) => Ok(Told {
            errors: fields
                .into_iter()
                .map(|f| FieldError {
                    field: f.field,
                    message: l.pick(&f.message).to_string(),
                })
                .collect(),
            problem: None,
            status: StatusCode::UNPROCESSABLE_ENTITY,
        }),
        AppError::Forbidden(_) | AppError::NotFound(_) => Err(e),
        other => match other.message() {
            Some(m) => Ok(Told {
                errors: Vec::new(),
                problem: Some(l.pick(&m).to_string()),
                status: if matches!(other, AppError::Conflict(_)) {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                },
            }),
            None => Err(other),
        },
    }
}

/// `?saved=1` after a saved draft.
#[derive(Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn office_form(portal: &Portal, v: &Visitor) -> Result<DeclarationForm, Bounce> {
    v.require(&[Role::Office])?;
    declaration_form::form(&portal.app, &v.actor)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))
}

/// `GET /declaration`: the form of the current round's declaration.
pub async fn show(
    State(portal): State<Portal>,
    Query(q): Query<FormQuery>,
    v: Visitor,
) -> Result<Response, Bounce> {
    let form = office_form(&portal, &v).await?;
    let page = form_page(v.layout(), &form, None, Vec::new(), None, q.saved.is_some());
    Ok(v.finish(render(StatusCode::OK, &page)))
}

/// A posted form: the token, the version read, the button pressed and every field's text.
struct Posted {
    csrf: String,
    version: Option<i64>,
    action: String,
    texts: BTreeMap<String, String>,
}

fn posted(pairs: Vec<(String, String)>) -> Posted {
    let mut p = Posted {
        csrf: String::new(),
        version: None,
        action: String::new(),
        texts: BTreeMap::new(),
    };
    for (k, val) in pairs {
        match k.as_str() {
            "csrf" => p.csrf = val,
            "version" => p.version = val.trim().parse().ok(),
            "action" => p.action = val,
            _ => {
                p.texts.insert(k, val);
            }
        }
    }
    p
}

/// `POST /declaration`: saves the draft (or the correction) through the API's own command; bad
/// values give the form again with each error beside its field and nothing stored; "continue"
/// goes on to the check page.
pub async fn save(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    let p = posted(pairs);
    v.check_csrf(&p.csrf)?;
    let form = office_form(&portal, &v).await?;
    let values = declaration_form::values_of(&form, &p.texts);
    let saved = match declarations::save(
        &portal.app,
        &v.actor,
        &form.round.to_string(),
        &values,
        p.version,
        Claim::default(),
    )
    .await
    {
        Ok(written) => written.commit().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) if p.action == "continue" => Ok(Redirect::to("/declaration/check").into_response()),
        Ok(()) => Ok(Redirect::to("/declaration?saved=1#saved").into_response()),
        Err(e) => {
            let l = v.layout();
            let told = refusal(&l, e).map_err(|e| app_error(v.layout(), e))?;
            let page = form_page(l, &form, Some(&p.texts), told.errors, told.problem, false);
            Ok(v.finish(render(told.status, &page)))
        }
    }
}

#[derive(Template)]
#[template(path = "declaration_check.html")]
struct CheckPage {
    l: Layout,
    title: String,
    round: String,
    fields: Vec<FieldView>,
    errors: Vec<FieldError>,
    problem: Option<String>,
    /// Submitting is possible now (drafting or correcting).
    open: bool,
    correcting: bool,
    /// What may be done now (why there is no submit button when closed).
    status_line: String,
}

fn check_page(
    l: Layout,
    form: &DeclarationForm,
    errors: Vec<FieldError>,
    problem: Option<String>,
) -> CheckPage {
    let fields = field_views(&l, form, None, &errors)
        .into_iter()
        .filter(|f| f.filled_by.is_none() && !f.list)
        .collect();
    CheckPage {
        title: l.pick(&form.title).to_string(),
        round: l.num(form.round),
        fields,
        errors,
        problem,
        open: matches!(form.mode, Mode::Drafting | Mode::Correcting { .. }),
        correcting: matches!(form.mode, Mode::Correcting { .. }),
        status_line: status_line(&l, form),
        l,
    }
}

/// `GET /declaration/check`: every answer with a link back to change it, and the submit button.
pub async fn check(State(portal): State<Portal>, v: Visitor) -> Result<Response, Bounce> {
    let form = office_form(&portal, &v).await?;
    if matches!(form.mode, Mode::Submitted) {
        return Ok(Redirect::to("/declaration/done").into_response());
    }
    let page = check_page(v.layout(), &form, Vec::new(), None);
    Ok(v.finish(render(StatusCode::OK, &page)))
}

/// The submit button's form: only its token.
#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /declaration/submit`: files (or resubmits) the declaration through the API's command;
/// missing answers come back on the check page, each linking to its field.
pub async fn submit(
    State(portal): State<Portal>,
    v: Visitor,
    axum::Form(f): axum::Form<SubmitForm>,
) -> Result<Response, Bounce> {
    v.check_csrf(&f.csrf)?;
    v.require(&[Role::Office])?;
    let round = declaration_form::current_round(&portal.app)
        .await
        .map_err(|e| app_error(v.layout(), e))?;
    let submitted =
        match declarations::submit(&portal.app, &v.actor, &round.to_string(), Claim::default())
            .await
        {
            Ok(written) => written.commit().await.map(|_| ()),
            Err(e) => Err(e),
        };
    match submitted {
        Ok(()) => Ok(Redirect::to("/declaration/done").into_response()),
        Err(e) => {
            let l = v.layout();
            let told = refusal(&l, e).map_err(|e| app_error(v.layout(), e))?;
            let form = office_form(&portal, &v).await?;
            let page = check_page(l, &form, told.errors, told.problem);
            Ok(v.finish(render(told.status, &page)))
        }
    }
}

#[derive(Template)]
#[template(path = "declaration_done.html")]
struct DonePage {
    l: Layout,
    title: String,
    round: String,
    office: String,
    submitted_at: String,
    /// What happens next and by when: the region's review window.
    next: String,
}

/// `GET /declaration/done`: the confirmation: submitted when, and what happens next by when (the
/// region's review window from the round's calendar).
pub async fn done(State(portal): State<Portal>, v: Visitor) -> Result<Response, Bounce> {
    let form = office_form(&portal, &v).await?;
    if form.status != Some(DeclarationStatus::Submitted) {
        return Ok(Redirect::to("/declaration").into_response());
    }
    let l = v.layout();
    let submitted_at = form
        .submitted_at
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|ts| {
            let day = JalaliDate::of_instant(ts);
            match l.lang {
                Lang::Fa => day.long_fa(),
                Lang::En => day.long_en(),
            }
        })
        .unwrap_or_default();
    let (first, last) = window_days(&l, &form.regional_review);
    let next = match l.lang {
        Lang::Fa => {
            format!("کارشناس اداره کل منطقه پرونده را از {first} تا پایان {last} بررسی می‌کند.")
        }
        Lang::En => {
            format!("The regional reviewer checks your file from {first} to the end of {last}.")
        }
    };
    let page = DonePage {
        title: l.pick(&form.title).to_string(),
        round: l.num(form.round),
        office: form.office.to_string(),
        submitted_at,
        next,
        l,
    };
    Ok(v.finish(render(StatusCode::OK, &page)))
}

#[derive(Template)]
#[template(path = "declaration_field_check.html")]
struct FieldCheck {
    name: String,
    error: Option<String>,
}

/// `POST /declaration/fields/{name}` (htmx, as a field is left): the field's error message, or
/// nothing, by the same checks a save makes; nothing is stored.
pub async fn check_field(
    State(portal): State<Portal>,
    Path(name): Path<String>,
    v: Visitor,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, Bounce> {
    let p = posted(pairs);
    v.check_csrf(&p.csrf)?;
    v.require(&[Role::Office])?;
    let text = p.texts.get(&name).cloned().unwrap_or_default();
    let problem = declaration_form::check_field(&portal.app, &v.actor, &name, &text)
        .await
        .map_err(|e| app_error(v.layout(), e))?;
    let l = v.layout();
    let page = FieldCheck {
        error: problem.map(|m| l.pick(&m).to_string()),
        name,
    };
    Ok(render(StatusCode::OK, &page))
}
