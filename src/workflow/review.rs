//! Regional review: the region completes its own inputs, records inspection findings, and may send a
//! file back to its office for correction; objections to the first results.

use serde_json::{Map, Value as Json};

use super::{Phase, Window, WorkflowError};
use crate::domain::DeclarationStatus;
use crate::domain::records::DeclarationRow;
use crate::domain::records::Referral;
use crate::domain::{JalaliDate, Label};
use crate::rules::RuleSet;
use crate::rules::model::Supplier;
use crate::rules::value::{self, FieldError};

/// Checks values a reviewer records: region- and inspection-supplied inputs only (or, with
/// `any_input`, every input — for corrections upon an objection).
pub fn check_reviewer_values(
    rs: &RuleSet,
    values: &Map<String, Json>,
    any_input: bool,
) -> Result<(), WorkflowError> {
    let mut errors = Vec::new();
    for (name, v) in values {
        let Some(def) = rs.inputs.iter().find(|d| d.name == *name) else {
            let names: Vec<&str> = rs.inputs.iter().map(|d| d.name.as_str()).collect();
            errors.push(FieldError::new(
                name,
                format!(
                    "{} از ورودی‌های دوره {} نیست ({})",
                    crate::domain::quoted(name),
                    crate::domain::digits::to_persian_digits(&rs.round.to_string()),
                    crate::rules::diagnostic::suggestion_fa(name, &names)
                ),
                format!(
                    "`{name}` is not an input of round {} ({})",
                    rs.round,
                    crate::rules::diagnostic::suggestion(name, &names)
                ),
            ));
            continue;
        };
        if def.supplied_by == Supplier::Office && !any_input {
            errors.push(FieldError::new(
                name,
                "این مقدار را دفتر در خوداظهاری ثبت می‌کند؛ برای اصلاح، پرونده را ارجاع دهید",
                "this value is declared by the office; refer the file back to have it corrected",
            ));
            continue;
        }
        if !v.is_null()
            && let Err(e) = value::from_json(def, v)
        {
            errors.push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Fields(errors))
    }
}

fn merge(target: &mut Map<String, Json>, values: &Map<String, Json>) {
    for (k, v) in values {
        if v.is_null() {
            target.remove(k);
        } else {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// The region records its inputs on a submitted file during the regional review.
pub fn record_region_values(
    rs: &RuleSet,
    d: &DeclarationRow,
    values: &Map<String, Json>,
    now: jiff::Timestamp,
) -> Result<DeclarationRow, WorkflowError> {
    super::declaration::require_open(rs, Phase::RegionalReview, now)?;
    if d.status == DeclarationStatus::Draft {
        return Err(WorkflowError::State(Label::new(
            "این دفتر خوداظهاری را ثبت نهایی نکرده است",
            "this office has not submitted its self-declaration",
        )));
    }
    check_reviewer_values(rs, values, false)?;
    let mut row = d.clone();
    for (k, v) in values {
        if v.is_null() {
            row.region_values.remove(k);
        } else {
            row.region_values.insert(k.clone(), v.clone());
        }
    }
    Ok(row)
}

/// The end of a correction window: the end of the `days`-th day after the referral day, in Tehran.
pub fn correction_deadline(rs: &RuleSet, now: jiff::Timestamp) -> jiff::Timestamp {
    JalaliDate::of_instant(now)
        .add_days(rs.calendar.correction.days + 1)
        .start_in_tehran()
}

/// Sends a submitted file back to its office with a reason per field.
pub fn refer(
    rs: &RuleSet,
    d: &DeclarationRow,
    earlier: &[Referral],
    reasons: &Map<String, Json>,
    by: &str,
    now: jiff::Timestamp,
) -> Result<(DeclarationRow, Referral), WorkflowError> {
    super::declaration::require_open(rs, Phase::RegionalReview, now)?;
    if d.status != DeclarationStatus::Submitted {
        return Err(WorkflowError::State(Label::new(
            format!(
                "فقط پرونده‌ای که ثبت نهایی شده و ارجاع باز ندارد قابل ارجاع است (وضعیت این پرونده: {})",
                crate::domain::quoted(d.status.as_str())
            ),
            format!(
                "only a submitted file without an open referral can be referred (this one is {})",
                d.status.as_str()
            ),
        )));
    }
    let max = rs.calendar.correction.max_referrals as usize;
    if earlier.len() >= max {
        return Err(WorkflowError::State(Label::new(
            crate::domain::digits::to_persian_digits(&format!(
                "قواعد دوره {} برای هر پرونده حداکثر {max} بار ارجاع را مجاز می‌داند",
                rs.round
            )),
            format!(
                "the rules of round {} allow at most {} per file",
                rs.round,
                crate::domain::label::count(max as u64, "referral", "referrals")
            ),
        )));
    }
    let mut errors = Vec::new();
    if reasons.is_empty() {
        errors.push(FieldError::new(
            "reasons",
            "دست‌کم یک مورد و دلیل آن را بنویسید",
            "name at least one field and why it must be corrected",
        ));
    }
    for (name, why) in reasons {
        match rs.inputs.iter().find(|i| i.name == *name) {
            Some(def) if def.supplied_by == Supplier::Office => {}
            Some(_) => errors.push(FieldError::new(
                name,
                "این مقدار را دفتر ثبت نمی‌کند",
                "the office does not declare this value; the region records it itself",
            )),
            None => errors.push(FieldError::new(
                name,
                format!(
                    "{} از ورودی‌های دوره {} نیست",
                    crate::domain::quoted(name),
                    crate::domain::digits::to_persian_digits(&rs.round.to_string())
                ),
                format!("`{name}` is not an input of round {}", rs.round),
            )),
        }
        if why.as_str().is_none_or(|s| s.trim().is_empty()) {
            errors.push(FieldError::new(
                name,
                "دلیل ارجاع را بنویسید",
                "write the reason for this field",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(WorkflowError::Fields(errors));
    }
    let mut row = d.clone();
    row.status = DeclarationStatus::Referred;
    let referral = Referral {
        id: 0,
        round: rs.round,
        office_id: d.office_id.clone(),
        reasons: reasons.clone(),
        original_values: d.office_values.clone(),
        referred_by: by.to_string(),
        referred_at: now.as_millisecond(),
        deadline_at: correction_deadline(rs, now).as_millisecond(),
        resolved_at: None,
        status: crate::domain::ReferralStatus::Open,
    };
    Ok((row, referral))
}

/// The correction window of an open referral.
pub fn referral_window(r: &Referral) -> Window {
    let opens = crate::domain::from_millis(r.referred_at);
    let closes = crate::domain::from_millis(r.deadline_at);
    Window {
        phase: Phase::RegionalReview,
        first_day: JalaliDate::of_instant(opens),
        last_day: JalaliDate::of_instant(closes).add_days(-1),
        opens_at: opens,
        closes_at: closes,
    }
}

/// The office corrects the referred fields (only those) before the referral's deadline.
pub fn correct(
    rs: &RuleSet,
    d: &DeclarationRow,
    r: &Referral,
    values: &Map<String, Json>,
    now: jiff::Timestamp,
) -> Result<DeclarationRow, WorkflowError> {
    let w = referral_window(r);
    if !w.is_open(now) {
        return Err(WorkflowError::OutsideWindow(Box::new(w)));
    }
    let not_referred: Vec<FieldError> = values
        .keys()
        .filter(|k| !r.reasons.contains_key(*k))
        .map(|k| {
            FieldError::new(
                k,
                "این مورد ارجاع نشده و قابل تغییر نیست",
                "this field was not referred and cannot be changed",
            )
        })
        .collect();
    if !not_referred.is_empty() {
        return Err(WorkflowError::Fields(not_referred));
    }
    super::declaration::check_office_values(rs, values)?;
    let mut row = d.clone();
    merge(&mut row.office_values, values);
    row.carried_over.retain(|c| !values.contains_key(c));
    Ok(row)
}

/// The office resubmits its corrected file before the deadline.
pub fn resubmit(
    d: &DeclarationRow,
    r: &Referral,
    now: jiff::Timestamp,
) -> Result<DeclarationRow, WorkflowError> {
    let w = referral_window(r);
    if !w.is_open(now) {
        return Err(WorkflowError::OutsideWindow(Box::new(w)));
    }
    let mut row = d.clone();
    row.status = DeclarationStatus::Submitted;
    row.submitted_at = Some(now.as_millisecond());
    Ok(row)
}

/// An expired referral: the file stands as it was when referred.
pub fn expire(d: &DeclarationRow, r: &Referral) -> DeclarationRow {
    let mut row = d.clone();
    row.office_values = r.original_values.clone();
    row.status = DeclarationStatus::Submitted;
    row
}
