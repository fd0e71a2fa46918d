//! The console's simulation page: the live rules' settings as a form with their current values
//! (each criterion's weight and maximum points, each penalty's points and cap, the grading's cut
//! points and shares), rule files to upload in place of the live ones, and a sweep. A run shows
//! the headline numbers and the report `arzyab simulate --report` writes; the same form downloads
//! that report as one HTML file. Nothing official changes; every run is in the audit log.
//!
//! The form is `multipart/form-data` (it carries files). Uploaded files are carried in the
//! answered form as hidden fields, so changing a value and running again, or downloading the
//! report, uses the same files without choosing them again.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::Portal;
use super::console::{RoundQuery, console_visitor, current_round, given};
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use crate::app::AppError;
use crate::app::rules_console::Change;
use crate::app::simulation::{
    self, Bundle, Candidate, CandidateProblem, Headline, SettingView, Settings,
};
use crate::domain::Fixed;
use crate::domain::digits::to_ascii_digits;

/// The most problems the error summary lists (the rest are counted).
const MAX_ERRORS: usize = 10;

/// The most bytes of rule files a run takes (in base64 they travel back in the answered form,
/// and the server takes 4 MiB a request).
const MAX_FILE_BYTES: usize = 1024 * 1024;

/// The most movers a page run explains (the report lists them).
const TOP_MOVERS: usize = 20;

/// One setting's row in the form.
struct Row {
    key: String,
    /// The input's id: `set-weight-area`.
    id: String,
    /// The criterion or penalty, in the page's language (empty for grading settings).
    of: String,
    what: String,
    /// The live value as the page writes it (Persian digits in Persian).
    live: String,
    /// What the input holds: the value sent, else the live one.
    value: String,
    /// A choice's value and its name in the page's language.
    choices: Vec<(String, String)>,
    changed: bool,
}

/// The sweep part of the form, as sent.
#[derive(Default)]
struct SweepForm {
    key: String,
    from: String,
    to: String,
    step: String,
}

/// What a run shows above the report.
struct Outcome {
    headline: Headline,
    /// What the run changed, in words: «وزن «مساحت»: ۱ → ۲».
    changed: Vec<String>,
    uploaded: Vec<String>,
    sweep: Option<String>,
    /// The report, for the frame's `srcdoc` (askama escapes it for the attribute).
    report: String,
}

#[derive(Template)]
#[template(path = "console_simulation.html")]
struct SimulationPage {
    l: Layout,
    rounds: Vec<String>,
    round: String,
    version: String,
    hash: String,
    criteria: Vec<Row>,
    penalties: Vec<Row>,
    grading: Vec<Row>,
    /// Settings a sweep can vary: key and name.
    sweepable: Vec<(String, String)>,
    sweep: SweepForm,
    /// Files uploaded for this candidate, carried to the next run: path and text in base64.
    carried: Vec<(String, String)>,
    errors: Vec<FieldError>,
    problems: Vec<CandidateProblem>,
    outcome: Option<Outcome>,
}

impl SimulationPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }

    /// A change's item in the page's language: the criterion's or penalty's name, or its id.
    fn item(&self, c: &Change) -> String {
        match &c.label {
            Some(label) => self.l.pick(label).to_string(),
            None => c.id.clone(),
        }
    }

    /// A value of a rule change as the page writes it.
    fn value(&self, v: &Option<String>) -> String {
        v.as_deref().map_or("—".to_string(), |v| self.l.decimal(v))
    }

    /// A signed movement with its sign, in the page's digits.
    fn signed(&self, n: &i64) -> String {
        if *n > 0 {
            format!("+{}", self.l.decimal(n))
        } else {
            self.l.decimal(n)
        }
    }
}

/// A setting's id for the form: `set-weight-area`.
fn input_id(key: &str) -> String {
    format!("set-{}", key.replace([':', '_'], "-"))
}

/// The rows of a group of settings, with the values sent (if any).
fn rows(l: &Layout, settings: &[SettingView], sent: &BTreeMap<String, String>) -> Vec<Row> {
    settings
        .iter()
        .map(|s| {
            let value = sent.get(&s.key).cloned().unwrap_or_else(|| shown(&s.value));
            Row {
                id: input_id(&s.key),
                of: s
                    .of
                    .as_ref()
                    .map(|o| l.pick(o).to_string())
                    .unwrap_or_default(),
                what: l.pick(&s.what).to_string(),
                live: match s.choices.iter().find(|(v, _)| *v == s.value) {
                    Some((_, name)) => l.pick(name).to_string(),
                    None if s.value == "none" => l.t("بدون سقف", "no cap").to_string(),
                    None => l.decimal(&s.value),
                },
                changed: override_value(s, &value).is_some(),
                value,
                choices: s
                    .choices
                    .iter()
                    .map(|(v, name)| (v.clone(), l.pick(name).to_string()))
                    .collect(),
                key: s.key.clone(),
            }
        })
        .collect()
}

/// How a live value sits in its input: a cap of `none` is an empty box.
fn shown(value: &str) -> String {
    if value == "none" {
        String::new()
    } else {
        value.to_string()
    }
}

/// The override a sent value makes, or none when it is the live value (the same number in any
/// digits or form: `۱٫۵` = `1.50`).
fn override_value(s: &SettingView, sent: &str) -> Option<String> {
    let sent = to_ascii_digits(sent.trim());
    let sent = if sent.is_empty() && s.key.starts_with("cap:") {
        "none".to_string()
    } else {
        sent
    };
    let same = match (sent.parse::<Fixed>(), s.value.parse::<Fixed>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => sent == s.value,
    };
    (!same).then_some(sent)
}

/// The form as sent: the values of settings, the sweep, uploaded and carried files.
#[derive(Default)]
struct Sent {
    csrf: String,
    round: Option<String>,
    values: BTreeMap<String, String>,
    sweep: SweepForm,
    files: BTreeMap<String, String>,
    /// Uploaded files that are not text.
    unreadable: Vec<String>,
    /// The files were more than [`MAX_FILE_BYTES`], or the form more than the server takes.
    too_large: bool,
}

/// Reads the multipart form. A form that is not multipart, or a field it cannot read, is a 400
/// page (the role was checked before).
async fn read(form: Result<Multipart, MultipartRejection>, v: &Visitor) -> Result<Sent, Bounce> {
    let unread = |why: String| {
        let message = match v.l.lang {
            super::session::Lang::Fa => "فرم به‌درستی نرسید؛ آن را دوباره بفرستید".to_string(),
            super::session::Lang::En => {
                format!("The form did not arrive whole ({why}); send it again")
            }
        };
        Bounce::from(v.refuse(StatusCode::BAD_REQUEST, &message))
    };
    let mut form = form.map_err(|e| unread(e.body_text()))?;
    let mut sent = Sent::default();
    let mut file_bytes = 0;
    // Past the server's limit the rest of the form is lost: what was read is kept, and told.
    loop {
        let Some(next) = within_limit(form.next_field().await, &unread)? else {
            sent.too_large = true;
            break;
        };
        let Some(field) = next else { break };
        let name = field.name().unwrap_or_default().to_string();
        if name == "files" {
            let file = field.file_name().unwrap_or_default().to_string();
            let Some(bytes) = within_limit(field.bytes().await, &unread)? else {
                sent.too_large = true;
                break;
            };
            // No file chosen: an empty part without a name.
            if file.is_empty() {
                continue;
            }
            file_bytes += bytes.len();
            sent.too_large |= file_bytes > MAX_FILE_BYTES;
            // A folder chosen whole sends `folder/criteria.yaml`: the round's files are below it.
            let path = match file.split_once('/') {
                Some((_, rest)) if !rest.is_empty() => rest.to_string(),
                _ => file,
            };
            match String::from_utf8(bytes.to_vec()) {
                Ok(text) => {
                    sent.files.insert(path, text);
                }
                Err(_) => sent.unreadable.push(path),
            }
            continue;
        }
        let Some(text) = within_limit(field.text().await, &unread)? else {
            sent.too_large = true;
            break;
        };
        match name.as_str() {
            "csrf" => sent.csrf = text,
            "round" => sent.round = Some(text),
            "sweep_key" => sent.sweep.key = text,
            "sweep_from" => sent.sweep.from = text,
            "sweep_to" => sent.sweep.to = text,
            "sweep_step" => sent.sweep.step = text,
            _ => {
                if let Some(path) = name.strip_prefix("carried:") {
                    // Carried as base64, so its bytes come back exactly (a browser turns line
                    // ends in a field into CRLF). A file chosen again replaces the one carried.
                    let Some(text) = BASE64
                        .decode(text.trim())
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok())
                    else {
                        sent.unreadable.push(path.to_string());
                        continue;
                    };
                    file_bytes += text.len();
                    sent.too_large |= file_bytes > MAX_FILE_BYTES;
                    sent.files.entry(path.to_string()).or_insert(text);
                } else {
                    sent.values.insert(name, text);
                }
            }
        }
    }
    Ok(sent)
}

/// A part of the form as read, `None` when the form went past the server's limit (the rest is
/// lost), or the 400 page for a form that is broken otherwise.
fn within_limit<T>(
    read: Result<T, MultipartError>,
    unread: &dyn Fn(String) -> Bounce,
) -> Result<Option<T>, Bounce> {
    match read {
        Ok(part) => Ok(Some(part)),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Ok(None),
        Err(e) => Err(unread(e.body_text())),
    }
}

/// The form's candidate: an override for every value that differs from the live one (the names
/// of the fields they came from, by override), the files, the sweep.
fn candidate(settings: &Settings, sent: &Sent) -> (Candidate, Vec<String>) {
    let mut set = Vec::new();
    let mut fields = Vec::new();
    for s in settings
        .criteria
        .iter()
        .chain(&settings.penalties)
        .chain(&settings.grading)
    {
        if let Some(value) = sent.values.get(&s.key).and_then(|v| override_value(s, v)) {
            set.push(format!("{}={value}", s.key));
            fields.push(input_id(&s.key));
        }
    }
    let w = &sent.sweep;
    let sweep = (!w.key.trim().is_empty()).then(|| {
        let n = |t: &str| to_ascii_digits(t.trim());
        format!(
            "{}={}:{}:{}",
            w.key.trim(),
            n(&w.from),
            n(&w.to),
            n(&w.step)
        )
    });
    let bundle = if sent.files.is_empty() {
        Bundle::Live
    } else {
        Bundle::Changed(sent.files.clone())
    };
    let candidate = Candidate {
        set,
        bundle,
        sweep,
        top: TOP_MOVERS,
        include_offices: false,
    };
    (candidate, fields)
}

/// The page for `settings`, with what was sent (none on a first visit).
fn page(l: Layout, settings: Settings, sent: Option<&Sent>) -> SimulationPage {
    let empty = BTreeMap::new();
    let values = sent.map_or(&empty, |s| &s.values);
    let sweepable = settings
        .criteria
        .iter()
        .chain(&settings.penalties)
        .chain(&settings.grading)
        .filter(|s| s.numeric)
        .map(|s| {
            let name = match &s.of {
                Some(of) => format!("{} — {}", l.pick(&s.what), l.pick(of)),
                None => l.pick(&s.what).to_string(),
            };
            (s.key.clone(), name)
        })
        .collect();
    SimulationPage {
        criteria: rows(&l, &settings.criteria, values),
        penalties: rows(&l, &settings.penalties, values),
        grading: rows(&l, &settings.grading, values),
        sweepable,
        sweep: sent.map_or_else(SweepForm::default, |s| SweepForm {
            key: s.sweep.key.clone(),
            from: s.sweep.from.clone(),
            to: s.sweep.to.clone(),
            step: s.sweep.step.clone(),
        }),
        carried: sent.map_or_else(Vec::new, |s| {
            s.files
                .iter()
                .map(|(p, t)| (p.clone(), BASE64.encode(t)))
                .collect()
        }),
        rounds: settings.rounds,
        round: settings.round,
        version: settings.version,
        hash: settings.hash,
        errors: Vec::new(),
        problems: Vec::new(),
        outcome: None,
        l,
    }
}

/// `GET /console/simulation?round=`: the form with the live rules' values.
pub async fn show(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
    Query(q): Query<RoundQuery>,
) -> Result<Response, Bounce> {
    let v = console_visitor(visitor)?;
    let round = current_round(&portal, &v, given(&q.round)).await?;
    let settings = simulation::settings(&portal.app, &v.actor, &round)
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    Ok(v.finish(render(StatusCode::OK, &page(v.layout(), settings, None))))
}

/// `POST /console/simulation`: runs the candidate the form describes and shows the outcome above
/// the form, which keeps what was sent.
pub async fn run(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Bounce> {
    let (v, sent, ran) = posted(&portal, visitor, form).await?;
    match ran {
        Ran::Done(settings, outcome) => {
            let report = outcome.report();
            let mut p = page(v.layout(), settings, Some(&sent));
            p.outcome = Some(Outcome {
                changed: changed_words(&p),
                headline: outcome.headline(),
                uploaded: sent.files.keys().cloned().collect(),
                sweep: outcome.sweep.as_ref().map(|w| w.param.clone()),
                report,
            });
            Ok(v.finish(render(StatusCode::OK, &p)))
        }
        Ran::Refused(status, p) => Ok(refused(&v, status, &p)),
    }
}

/// `POST /console/simulation/report`: runs the candidate the form describes and answers its
/// report as one HTML file to keep; a candidate with problems gets the form with them instead.
pub async fn report(
    State(portal): State<Portal>,
    visitor: Result<Visitor, Response>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, Bounce> {
    let (v, _, ran) = posted(&portal, visitor, form).await?;
    match ran {
        Ran::Done(settings, outcome) => {
            let name = format!(
                "attachment; filename=\"simulation-{}-{}.html\"",
                settings.round, outcome.simulation.candidate.hash
            );
            Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                outcome.report(),
            )
                .into_response())
        }
        Ran::Refused(status, p) => Ok(refused(&v, status, &p)),
    }
}

/// A posted form, checked (role, then token) and run.
async fn posted(
    portal: &Portal,
    visitor: Result<Visitor, Response>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(Visitor, Sent, Ran), Bounce> {
    let v = console_visitor(visitor)?;
    let sent = read(form, &v).await?;
    v.check_csrf(&sent.csrf)?;
    let ran = simulate(portal, &v, &sent).await?;
    Ok((v, sent, ran))
}

/// A run's end: the outcome, or the form with what is wrong.
enum Ran {
    Done(Settings, Box<simulation::Outcome>),
    /// The form again, with the answer's status: 422, or 503 when every slot was taken.
    Refused(StatusCode, Box<SimulationPage>),
}

/// The form with what is wrong, as the answer's status says; a busy server says when to retry.
fn refused(v: &Visitor, status: StatusCode, p: &SimulationPage) -> Response {
    let mut response = render(status, p);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
    }
    v.finish(response)
}

/// Runs what the form sent; refusals a person can mend come back as the form with the problems
/// beside their fields, anything else as the console's problem page.
async fn simulate(portal: &Portal, v: &Visitor, sent: &Sent) -> Result<Ran, Bounce> {
    let l = v.layout();
    let round = current_round(portal, v, sent.round.as_deref()).await?;
    let settings = simulation::settings(&portal.app, &v.actor, &round)
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    let (candidate, fields) = candidate(&settings, sent);
    let mut problems = Vec::new();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let errors: Vec<FieldError> = if let Some(error) = upload_error(&l, sent) {
        vec![error]
    } else {
        match simulation::run(&portal.app, &v.actor, &round, candidate).await {
            Ok(outcome) => return Ok(Ran::Done(settings, Box::new(outcome))),
            Err(e) => {
                if matches!(e, AppError::Busy { .. }) {
                    status = StatusCode::SERVICE_UNAVAILABLE;
                }
                problems = simulation::candidate_problems(&e);
                form_errors(v, &l, &settings, &fields, e)?
            }
        }
    };
    let mut p = page(l, settings, Some(sent));
    p.errors = errors;
    p.problems = problems;
    Ok(Ran::Refused(status, Box::new(p)))
}

/// What is wrong with the files sent, before anything runs: a form larger than allowed, or a file
/// that is not text.
fn upload_error(l: &Layout, sent: &Sent) -> Option<FieldError> {
    let message = if sent.too_large {
        l.t(
            "پرونده‌های فرستاده روی هم از یک مگابایت بیشترند؛ پرونده‌های کمتری بفرستید و مقدارهای فرم را دوباره وارسی کنید",
            "The files sent are more than 1 MB in all; send fewer files, and check the form's values again",
        )
        .to_string()
    } else {
        let f = sent.unreadable.first()?;
        format!(
            "{} «{f}»",
            l.t(
                "این پرونده متن نیست و خوانده نشد:",
                "This file is not text and was not read:"
            )
        )
    };
    Some(FieldError {
        field: "files".into(),
        message,
    })
}

/// A refused run as the form's errors, each at the field it is about: an override's at its input,
/// a clash between grading settings at the grading table, the sweep's at the sweep, the uploaded
/// files' at the upload. Refusals that are not the form's are the problem page.
fn form_errors(
    v: &Visitor,
    l: &Layout,
    settings: &Settings,
    fields: &[String],
    e: AppError,
) -> Result<Vec<FieldError>, Bounce> {
    let at = |field: &str| -> String {
        if let Some(i) = field
            .strip_prefix("set[")
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|i| i.parse::<usize>().ok())
        {
            return fields.get(i).cloned().unwrap_or_else(|| "grading".into());
        }
        match field {
            "sweep" => "sweep-key".into(),
            "set" => "grading".into(),
            _ => "run".into(),
        }
    };
    let whole = |message: &crate::domain::Label, field: &str| {
        vec![FieldError {
            field: field.to_string(),
            message: l.pick(message).to_string(),
        }]
    };
    match &e {
        AppError::Refused(crate::workflow::WorkflowError::Fields(f)) => {
            // A candidate that fails on every office would list thousands: the first few, counted.
            let mut errors: Vec<FieldError> = f
                .iter()
                .take(MAX_ERRORS)
                .map(|f| FieldError {
                    field: at(&f.field),
                    message: l.pick(&f.message).to_string(),
                })
                .collect();
            if f.len() > MAX_ERRORS {
                errors.push(FieldError {
                    field: "run".into(),
                    message: format!(
                        "{} {} {}",
                        l.t("و", "and"),
                        l.num(f.len() - MAX_ERRORS),
                        l.t("مورد دیگر", "more")
                    ),
                });
            }
            Ok(errors)
        }
        AppError::BadRequest("nothing_to_simulate", _) => {
            let first = settings
                .criteria
                .first()
                .map_or("run".to_string(), |s| input_id(&s.key));
            let message = crate::domain::Label::new(
                "دست‌کم یک مقدار را تغییر دهید، پرونده‌ای بفرستید یا تنظیمی را برای گام‌به‌گام برگزینید",
                "Change at least one value, upload a rule file, or choose a setting to sweep",
            );
            Ok(whole(&message, &first))
        }
        AppError::Rules(_) | AppError::Stopped { .. } | AppError::Busy { .. } => {
            let field = if matches!(e, AppError::Rules(_)) {
                "files"
            } else {
                "run"
            };
            Ok(e.message().map_or_else(Vec::new, |m| whole(&m, field)))
        }
        _ => Err(Bounce::from(app_error(v.layout(), e))),
    }
}

/// The settings the run changed, in words: «وزن — مساحت: ۱ → ۲».
fn changed_words(p: &SimulationPage) -> Vec<String> {
    p.criteria
        .iter()
        .chain(&p.penalties)
        .chain(&p.grading)
        .filter(|r| r.changed)
        .map(|r| {
            let name = if r.of.is_empty() {
                r.what.clone()
            } else {
                format!("{} — {}", r.what, r.of)
            };
            let new = if r.value.trim().is_empty() {
                p.l.t("بدون سقف", "no cap").to_string()
            } else {
                p.l.decimal(to_ascii_digits(r.value.trim()))
            };
            format!("{name}: {} → {new}", r.live)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Label;

    fn setting(key: &str, value: &str) -> SettingView {
        SettingView {
            key: key.into(),
            what: Label::new("وزن", "weight"),
            of: None,
            value: value.into(),
            choices: Vec::new(),
            numeric: true,
        }
    }

    #[test]
    fn a_value_typed_as_the_live_one_in_any_digits_or_form_is_no_override() {
        let weight = setting("weight:area", "1.5");
        for same in ["1.5", "1.50", "۱٫۵", " ۱.۵ "] {
            assert_eq!(override_value(&weight, same), None, "{same}");
        }
        assert_eq!(override_value(&weight, "۲"), Some("2".into()));
        assert_eq!(
            override_value(&weight, "دو"),
            Some("دو".into()),
            "refused later"
        );
        let cap = setting("cap:overcharging", "-30");
        assert_eq!(
            override_value(&cap, "−۳۰"),
            None,
            "as the live column writes it"
        );
        assert_eq!(
            override_value(&cap, ""),
            Some("none".into()),
            "an empty cap is no cap"
        );
        let none = setting("cap:overcharging", "none");
        assert_eq!(override_value(&none, ""), None);
        assert_eq!(override_value(&none, "-10"), Some("-10".into()));
    }
}
