//! A self-declaration's life: drafts, submission inside the window, carried-over data.

use serde_json::{Map, Value as Json};

use super::calendar::{Events, RoundCalendar};
use super::{Phase, WorkflowError};
use crate::domain::Label;
use crate::domain::records::DeclarationRow;
use crate::domain::{DeclarationStatus, OfficeId};
use crate::rules::RuleSet;
use crate::rules::model::Supplier;
use crate::rules::ruleset::Missing;
use crate::rules::value::{self, FieldError};

/// Refuses the action unless `phase` is open at `now`: for the phases before publication, which
/// no event moves (the others ask a [`RoundCalendar`] with the round's events).
pub fn require_open(rs: &RuleSet, phase: Phase, now: jiff::Timestamp) -> Result<(), WorkflowError> {
    RoundCalendar::new(rs, Events::default()).require_open(phase, now)
}

/// Checks values an office sends: each must be an input of the round that the office supplies.
/// A `null` removes a value from the draft. Every bad field is reported.
pub fn check_office_values(rs: &RuleSet, values: &Map<String, Json>) -> Result<(), WorkflowError> {
    let mut errors = Vec::new();
    for (name, v) in values {
        let Some(def) = rs.inputs.iter().find(|d| d.name == *name) else {
            let names: Vec<&str> = rs
                .inputs
                .iter()
                .filter(|d| d.supplied_by == Supplier::Office)
                .map(|d| d.name.as_str())
                .collect();
            let hint = crate::rules::diagnostic::suggestion(name, &names);
            let hint_fa = crate::rules::diagnostic::suggestion_fa(name, &names);
            errors.push(FieldError::new(
                name,
                format!(
                    "{} از ورودی‌های دوره {} نیست ({hint_fa})",
                    crate::domain::quoted(name),
                    crate::domain::digits::to_persian_digits(&rs.round.to_string())
                ),
                format!("`{name}` is not an input of round {} ({hint})", rs.round),
            ));
            continue;
        };
        if def.supplied_by != Supplier::Office {
            let (fa, en) = match def.supplied_by {
                Supplier::Region => ("اداره کل منطقه", "the region"),
                Supplier::Inspection => ("بازرسی", "inspection"),
                Supplier::Office => unreachable!(),
            };
            errors.push(FieldError::new(
                name,
                format!("این مقدار را {fa} ثبت می‌کند، نه دفتر"),
                format!("this value is recorded by {en}, not by the office"),
            ));
            continue;
        }
        if v.is_null() {
            continue;
        }
        if let Err(e) = value::from_json(def, v) {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Fields(errors))
    }
}

/// A new or updated draft with `values` merged in (a `null` removes a value).
pub fn save_draft(
    rs: &RuleSet,
    office_id: &OfficeId,
    existing: Option<&DeclarationRow>,
    values: &Map<String, Json>,
    now: jiff::Timestamp,
) -> Result<DeclarationRow, WorkflowError> {
    if existing.is_some_and(|d| d.status == DeclarationStatus::Submitted) {
        return Err(already_submitted());
    }
    require_open(rs, Phase::SelfDeclaration, now)?;
    check_office_values(rs, values)?;
    let mut row = existing.cloned().unwrap_or_else(|| DeclarationRow {
        round: rs.round,
        office_id: office_id.clone(),
        status: DeclarationStatus::Draft,
        office_values: Map::new(),
        region_values: Map::new(),
        carried_over: Vec::new(),
        version: 0,
        updated_at: 0,
        submitted_at: None,
    });
    for (k, v) in values {
        if v.is_null() {
            row.office_values.remove(k);
        } else {
            row.office_values.insert(k.clone(), v.clone());
        }
        row.carried_over.retain(|c| c != k);
    }
    Ok(row)
}

fn already_submitted() -> WorkflowError {
    WorkflowError::State(Label::new(
        "خوداظهاری این دفتر قبلاً ثبت نهایی شده است",
        "this office's self-declaration was already submitted",
    ))
}

/// Submits a draft: office inputs left empty take last round's value (it counts as confirmed), and
/// every input the office must supply has to be there.
pub fn submit(
    rs: &RuleSet,
    office_id: &OfficeId,
    existing: Option<&DeclarationRow>,
    previous: &Map<String, Json>,
    now: jiff::Timestamp,
) -> Result<DeclarationRow, WorkflowError> {
    let mut row = save_draft(rs, office_id, existing, &Map::new(), now)?;
    let mut errors = Vec::new();
    for def in rs
        .inputs
        .iter()
        .filter(|d| d.supplied_by == Supplier::Office)
    {
        if row.office_values.contains_key(&def.name) {
            continue;
        }
        if let Some(v) = previous
            .get(&def.name)
            .filter(|v| value::from_json(def, v).is_ok())
        {
            row.office_values.insert(def.name.clone(), v.clone());
            row.carried_over.push(def.name.clone());
            continue;
        }
        if matches!(def.when_missing, Missing::Error | Missing::CarryOver) {
            errors.push(FieldError::new(
                &def.name,
                "این مقدار الزامی است و از دوره قبل هم مقداری نیست",
                "a value is required and there is none from the previous round",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(WorkflowError::Fields(errors));
    }
    row.status = DeclarationStatus::Submitted;
    row.submitted_at = Some(now.as_millisecond());
    Ok(row)
}
