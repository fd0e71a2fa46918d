//! The office's declaration as a form: the live round's `inputs:` turned into plain fields (label,
//! help, unit, kind, range, choices, who fills it), each with the value declared, last round's, the
//! reviewer's note when referred, and whether the office may change it now. The pages render it and
//! turn what a person typed back into the values [`super::declarations::save`] checks, so the form
//! is the rule set (a new round needs no template change) and the validation is the API's.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::declarations::{self, MyFile};
use super::{Actor, App, AppError};
use crate::domain::digits::to_ascii_digits;
use crate::domain::{DeclarationStatus, Fixed, Label, OfficeId, RoundId};
use crate::rules::model::Supplier;
use crate::rules::ruleset::{InputDef, InputKind};
use crate::workflow::calendar::{Phase, RoundCalendar, Window};
use crate::workflow::{WorkflowError, declaration, review};

/// The declaration of an office for the current round, as its form shows it.
pub struct DeclarationForm {
    pub round: RoundId,
    pub title: Label,
    pub office: OfficeId,
    /// `None` before the first save.
    pub status: Option<DeclarationStatus>,
    /// The version read; a save sends it back so a concurrent change is a conflict.
    pub version: Option<i64>,
    /// When the declaration was submitted (Unix milliseconds).
    pub submitted_at: Option<i64>,
    pub mode: Mode,
    /// Every input of the round, in the rule file's order.
    pub fields: Vec<FormField>,
    /// The self-declaration window.
    pub self_declaration: Window,
    /// The region's review window, from the round's calendar (what happens after submitting).
    pub regional_review: Window,
}

/// What the office may do with its declaration now.
pub enum Mode {
    /// Fill in and save its own inputs, then submit (inside the self-declaration window).
    Drafting,
    /// Correct the referred fields only, before the referral's deadline, then resubmit.
    Correcting { deadline: Window },
    /// Submitted: nothing to change until a referral.
    Submitted,
    /// Nothing can be changed now, and why (the refusal a save would get: the window is closed).
    Closed(Label),
}

/// Who fills an input in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FilledBy {
    Office,
    Region,
    Inspection,
}

/// What kind of answer an input takes.
pub enum FieldKind {
    /// A number; `integer` for whole numbers; the range's ends (ASCII digits) when declared.
    Number {
        integer: bool,
        min: Option<String>,
        max: Option<String>,
    },
    YesNo,
    /// One of these values: (name sent, label shown).
    Choice(Vec<(String, Label)>),
    /// A Jalali date (`1400/01/17`).
    Date,
    /// A list of records (violations): not typed in on the form.
    List,
}

/// One input of the round on the form.
pub struct FormField {
    pub name: String,
    pub label: Label,
    pub help: Option<Label>,
    pub unit: Option<Label>,
    pub kind: FieldKind,
    pub filled_by: FilledBy,
    /// Whether the office may change it now.
    pub editable: bool,
    /// The declared value as text (ASCII digits), if any.
    pub declared: Option<String>,
    /// Last round's value as text, if any.
    pub previous: Option<String>,
    /// The declared value was taken from last round at submission (counted as confirmed).
    pub carried_over: bool,
    /// The reviewer's note when this field was referred back.
    pub referral_note: Option<String>,
}

impl FormField {
    /// The value the form shows: the declared one, else last round's.
    pub fn shown(&self) -> Option<&str> {
        self.declared.as_deref().or(self.previous.as_deref())
    }

    /// Whether the value shown is last round's (nothing declared yet this round).
    pub fn from_last_round(&self) -> bool {
        self.declared.is_none() && self.previous.is_some()
    }

    /// How `text` reads for a person, when it is not a plain number: a choice's label, yes or no.
    pub fn label_of(&self, text: &str) -> Option<Label> {
        match &self.kind {
            FieldKind::Choice(values) => values
                .iter()
                .find(|(name, _)| name == text)
                .map(|(_, l)| l.clone()),
            FieldKind::YesNo => match text {
                "true" => Some(Label::new("بله", "Yes")),
                "false" => Some(Label::new("خیر", "No")),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The signed-in office's declaration of the current round as a form.
pub async fn form(app: &App, actor: &Actor) -> Result<DeclarationForm, AppError> {
    let Some((rs, events)) = super::home::current_round(app).await? else {
        return Err(no_round());
    };
    let file = declarations::mine(app, actor, &rs.round.to_string()).await?;
    Ok(of_file(&file, RoundCalendar::new(&file.rs, events)))
}

fn no_round() -> AppError {
    AppError::NotFound(Label::new("دوره‌ای در جریان نیست", "no round is running"))
}

/// The round the declaration pages are about (see [`super::home::current_round`]).
pub async fn current_round(app: &App) -> Result<RoundId, AppError> {
    match super::home::current_round(app).await? {
        Some((rs, _)) => Ok(rs.round),
        None => Err(no_round()),
    }
}

fn of_file(file: &MyFile, calendar: RoundCalendar<'_>) -> DeclarationForm {
    let d = file.declaration.as_ref();
    let mode = match (&file.referral, d.map(|d| d.status)) {
        (Some(r), _) => Mode::Correcting {
            deadline: review::referral_window(r),
        },
        (None, Some(DeclarationStatus::Submitted | DeclarationStatus::Referred)) => Mode::Submitted,
        _ => match declaration::require_open(&file.rs, Phase::SelfDeclaration, file.now) {
            Ok(()) => Mode::Drafting,
            Err(e) => Mode::Closed(
                AppError::Refused(e)
                    .message()
                    .unwrap_or_else(|| Label::new("اکنون بسته است", "closed now")),
            ),
        },
    };
    let fields = file
        .rs
        .inputs
        .iter()
        .map(|def| {
            let referral_note = file
                .referral
                .as_ref()
                .and_then(|r| r.reasons.get(&def.name))
                .map(|note| match note {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                });
            let by_office = def.supplied_by == Supplier::Office;
            let editable = by_office
                && !matches!(def.kind, InputKind::Violations)
                && match &mode {
                    Mode::Drafting => true,
                    Mode::Correcting { .. } => referral_note.is_some(),
                    Mode::Submitted | Mode::Closed(_) => false,
                };
            let declared = d.and_then(|d| {
                if by_office {
                    d.office_values.get(&def.name)
                } else {
                    d.region_values.get(&def.name)
                }
                .and_then(text_of)
            });
            FormField {
                name: def.name.clone(),
                label: def.label.clone(),
                help: def.help.clone(),
                unit: def.unit.clone(),
                kind: kind_of(def),
                filled_by: match def.supplied_by {
                    Supplier::Office => FilledBy::Office,
                    Supplier::Region => FilledBy::Region,
                    Supplier::Inspection => FilledBy::Inspection,
                },
                editable,
                declared,
                previous: file.previous.get(&def.name).and_then(text_of),
                carried_over: d.is_some_and(|d| d.carried_over.contains(&def.name)),
                referral_note,
            }
        })
        .collect();
    DeclarationForm {
        round: file.rs.round,
        title: file.rs.title.clone(),
        office: file.office.clone(),
        status: d.map(|d| d.status),
        version: d.map(|d| d.version),
        submitted_at: d.and_then(|d| d.submitted_at),
        mode,
        fields,
        self_declaration: calendar.window(Phase::SelfDeclaration),
        regional_review: calendar.window(Phase::RegionalReview),
    }
}

fn kind_of(def: &InputDef) -> FieldKind {
    let end = |f: Option<Fixed>| f.map(|f| f.to_string());
    match &def.kind {
        InputKind::Integer | InputKind::Decimal => FieldKind::Number {
            integer: matches!(def.kind, InputKind::Integer),
            min: end(def.range.and_then(|r| r.min())),
            max: end(def.range.and_then(|r| r.max())),
        },
        InputKind::Boolean => FieldKind::YesNo,
        InputKind::Choice(values) => FieldKind::Choice(
            values
                .iter()
                .map(|v| (v.name.clone(), v.label.clone()))
                .collect(),
        ),
        InputKind::Date => FieldKind::Date,
        InputKind::Violations => FieldKind::List,
    }
}

/// A stored value as the form writes it; lists have no text.
fn text_of(v: &Json) -> Option<String> {
    match v {
        Json::Null | Json::Array(_) | Json::Object(_) => None,
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
    }
}

/// The values to save from what was typed into the form's fields (`texts`: field name →
/// text; Persian or Latin digits). A field left as last round's value, never declared this round,
/// is not sent (it stays "taken from last round" at submission); an emptied declared field is
/// cleared. Text that is not a valid value is sent as typed, so the save's own validation (the
/// API's) names the problem.
pub fn values_of(form: &DeclarationForm, texts: &BTreeMap<String, String>) -> Map<String, Json> {
    let mut values = Map::new();
    // Fields the office may not change are sent too when changed, so the command refuses them
    // (a referred file's other fields, the region's) as it refuses them over the API.
    for field in form
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::List))
    {
        let Some(text) = texts.get(&field.name) else {
            continue;
        };
        let text = to_ascii_digits(text.trim());
        if text.is_empty() {
            if field.declared.is_some() {
                values.insert(field.name.clone(), Json::Null);
            }
            continue;
        }
        if field.declared.is_none() && field.previous.as_deref() == Some(text.as_str()) {
            continue;
        }
        if field.declared.as_deref() == Some(text.as_str()) {
            continue;
        }
        values.insert(field.name.clone(), json_of(&field.kind, text));
    }
    values
}

/// Typed JSON for a valid text (numbers as numbers, yes/no as booleans); anything else as typed.
fn json_of(kind: &FieldKind, text: String) -> Json {
    match kind {
        FieldKind::Number { .. } => match text.parse::<Fixed>() {
            Ok(n) => match n.to_int() {
                Some(i) if Fixed::from_int(i) == n => Json::from(i),
                _ => serde_json::from_str::<Json>(&n.to_string())
                    .ok()
                    .filter(Json::is_number)
                    .unwrap_or(Json::String(text)),
            },
            Err(_) => Json::String(text),
        },
        FieldKind::YesNo => match text.as_str() {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => Json::String(text),
        },
        _ => Json::String(text),
    }
}

/// The problem with one typed value of the office's declaration, if any, by the same checks a save
/// makes (for the form's check as a field is left, before anything is saved).
pub async fn check_field(
    app: &App,
    actor: &Actor,
    name: &str,
    text: &str,
) -> Result<Option<Label>, AppError> {
    let form = form(app, actor).await?;
    let mut texts = BTreeMap::new();
    texts.insert(name.to_string(), text.to_string());
    let values = values_of(&form, &texts);
    let rs = app.live_round(&form.round.to_string())?;
    match declaration::check_office_values(&rs, &values) {
        Ok(()) => Ok(None),
        Err(WorkflowError::Fields(errors)) => Ok(errors.into_iter().next().map(|e| e.message)),
        Err(e) => Err(AppError::Refused(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JalaliDate;

    fn field(
        name: &str,
        kind: FieldKind,
        declared: Option<&str>,
        previous: Option<&str>,
    ) -> FormField {
        FormField {
            name: name.into(),
            label: Label::new(name, name),
            help: None,
            unit: None,
            kind,
            filled_by: FilledBy::Office,
            editable: true,
            declared: declared.map(str::to_string),
            previous: previous.map(str::to_string),
            carried_over: false,
            referral_note: None,
        }
    }

    fn number() -> FieldKind {
        FieldKind::Number {
            integer: false,
            min: None,
            max: None,
        }
    }

    fn form(fields: Vec<FormField>) -> DeclarationForm {
        let day = JalaliDate::parse("1400/01/17").unwrap();
        let w = Window::from_days(Phase::SelfDeclaration, day, day.add_days(19));
        DeclarationForm {
            round: RoundId::parse("1400-2").unwrap(),
            title: Label::new("دوره", "round"),
            office: OfficeId::parse("P-0001").unwrap(),
            status: None,
            version: None,
            submitted_at: None,
            mode: Mode::Drafting,
            fields,
            self_declaration: w.clone(),
            regional_review: w,
        }
    }

    fn typed(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn persian_digits_become_typed_numbers_and_bad_text_is_sent_as_typed_for_the_command_to_name() {
        let f = form(vec![
            field("area", number(), None, None),
            field("staff", number(), None, None),
            field("ramp", FieldKind::YesNo, None, None),
        ]);
        let v = values_of(
            &f,
            &typed(&[("area", " ۵۵٫۵ "), ("staff", "چهار"), ("ramp", "true")]),
        );
        assert_eq!(v["area"], serde_json::json!(55.5));
        assert_eq!(v["staff"], serde_json::json!("چهار"));
        assert_eq!(v["ramp"], serde_json::json!(true));
        let v = values_of(&f, &typed(&[("area", "۱۲۰")]));
        assert_eq!(v["area"], serde_json::json!(120));
    }

    #[test]
    fn last_rounds_value_left_as_it_is_is_not_declared_and_an_emptied_declared_value_is_cleared() {
        let f = form(vec![
            field("area", number(), None, Some("55.5")),
            field("staff", number(), Some("4"), Some("3")),
            field("kept", number(), Some("7"), None),
            field("blank", number(), None, None),
        ]);
        let v = values_of(
            &f,
            &typed(&[
                ("area", "۵۵.۵"),
                ("staff", ""),
                ("kept", "۷"),
                ("blank", ""),
            ]),
        );
        assert!(!v.contains_key("area"), "{v:?}");
        assert_eq!(v["staff"], Json::Null);
        assert!(!v.contains_key("kept") && !v.contains_key("blank"), "{v:?}");
        let v = values_of(&f, &typed(&[("area", "60")]));
        assert_eq!(
            v["area"],
            serde_json::json!(60),
            "a changed value is declared"
        );
    }
}
