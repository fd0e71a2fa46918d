//! An office's file as the engine sees it: identity plus inputs checked against the rule set.

use serde::Serialize;

use crate::domain::{OfficeId, OfficeKind, RegionId};
use crate::rules::RuleSet;
use crate::rules::ruleset::Missing;
use crate::rules::value::{self, FieldError, Value};

/// A raw input value as it arrived: JSON (API, JSON files, rule tests) or text (CSV cells).
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Json(serde_json::Value),
    Text(String),
}

/// An office's file before checking: who it is and the values it declared.
#[derive(Clone, Debug, PartialEq)]
pub struct OfficeRecord {
    pub id: OfficeId,
    pub kind: OfficeKind,
    pub region: RegionId,
    /// Province code (e.g. `THR`), for reports.
    pub province: String,
    /// Whether the office filed its self-declaration this round.
    pub filed: bool,
    pub inputs: Vec<(String, Raw)>,
    /// Last round's values, used for inputs whose missing-value policy is `carry_over`.
    pub previous: Vec<(String, Raw)>,
}

/// An office ready for scoring: every input slot checked, missing-value policies applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Office {
    pub id: OfficeId,
    pub kind: OfficeKind,
    pub region: RegionId,
    pub province: String,
    pub filed: bool,
    /// One entry per declared input; `None` means missing with `zero_points`.
    pub values: Vec<Option<Value>>,
    /// Per input slot: whether the value was carried over from the previous round.
    pub carried_over: Vec<bool>,
}

/// Why an office's file cannot be scored: one message per bad field.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[error("office {office}: {}", .errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
pub struct InvalidFile {
    pub office: String,
    pub errors: Vec<FieldError>,
}

impl InvalidFile {
    /// The field errors, each named `office.field`, for a report over many offices.
    pub fn into_field_errors(self) -> impl Iterator<Item = FieldError> {
        let office = self.office;
        self.errors.into_iter().map(move |mut f| {
            f.field = format!("{office}.{}", f.field);
            f
        })
    }
}

/// Checks every record on all cores: the offices in order, or every invalid file.
pub fn prepare_all(
    rs: &RuleSet,
    records: &[OfficeRecord],
) -> Result<Vec<Office>, Vec<InvalidFile>> {
    use rayon::prelude::*;
    let prepared: Vec<_> = records.par_iter().map(|r| prepare(rs, r)).collect();
    let mut offices = Vec::with_capacity(prepared.len());
    let mut invalid = Vec::new();
    for p in prepared {
        match p {
            Ok(o) => offices.push(o),
            Err(e) => invalid.push(e),
        }
    }
    if invalid.is_empty() {
        Ok(offices)
    } else {
        Err(invalid)
    }
}

/// Names a population uses that are not inputs of the round, each reported once (with how many
/// offices give it a value) instead of once per office: one mistake in a file's header, one error.
/// A name that looks like a penalty or violation gets a hint to use the round's violations input.
pub fn unknown_inputs(rs: &RuleSet, records: &[OfficeRecord]) -> Vec<FieldError> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for r in records {
        for (name, raw) in &r.inputs {
            if is_blank(raw) || rs.input_index(name).is_some() {
                continue;
            }
            match seen.iter_mut().find(|(n, _)| n == name) {
                Some((_, count)) => *count += 1,
                None => seen.push((name, 1)),
            }
        }
    }
    let names: Vec<&str> = rs.inputs.iter().map(|i| i.name.as_str()).collect();
    let violations = rs
        .inputs
        .iter()
        .find(|i| matches!(i.kind, crate::rules::ruleset::InputKind::Violations));
    seen.into_iter()
        .map(|(name, count)| {
            let lower = name.to_lowercase();
            let penalty_like = rs.penalties.iter().any(|p| p.id == name)
                || violations.is_some_and(|v| v.violation_kinds.iter().any(|k| k == name))
                || ["penalt", "violation", "fine", "jarime"]
                    .iter()
                    .any(|w| lower.contains(w));
            let (hint_fa, hint_en) = match violations {
                Some(v) if penalty_like => (
                    format!(
                        "تخلف‌ها در ستون «{}» نوشته می‌شوند: نوع@تاریخ؛ نوع@تاریخ",
                        v.name
                    ),
                    format!(
                        "penalties go in `{}`: kind@date; kind@date",
                        v.name
                    ),
                ),
                _ => (
                    crate::rules::diagnostic::suggestion_fa(name, &names),
                    crate::rules::diagnostic::suggestion(name, &names),
                ),
            };
            FieldError::new(
                name,
                format!(
                    "ورودی {} در این دوره تعریف نشده است و {} دفتر برای آن مقدار دارند ({hint_fa})",
                    crate::domain::quoted(name),
                    crate::domain::digits::to_persian_digits(&count.to_string())
                ),
                format!(
                    "`{name}` is not an input of this round ({count} {} give a value for it; {hint_en})",
                    if count == 1 { "office" } else { "offices" }
                ),
            )
        })
        .collect()
}

fn check(rs: &RuleSet, name: &str, raw: &Raw) -> Result<(usize, Value), FieldError> {
    let Some(slot) = rs.input_index(name) else {
        let names: Vec<&str> = rs.inputs.iter().map(|i| i.name.as_str()).collect();
        let hint = crate::rules::diagnostic::suggestion(name, &names);
        let hint_fa = crate::rules::diagnostic::suggestion_fa(name, &names);
        return Err(FieldError::new(
            name,
            format!(
                "ورودی {} در این دوره تعریف نشده است ({hint_fa})",
                crate::domain::quoted(name)
            ),
            format!("`{name}` is not an input of this round ({hint})"),
        ));
    };
    let def = &rs.inputs[slot];
    let v = match raw {
        Raw::Json(j) => value::from_json(def, j),
        Raw::Text(t) => value::from_text(def, t),
    }?;
    Ok((slot, v))
}

/// Whether a raw value is empty: null, or blank text.
pub(crate) fn is_blank(raw: &Raw) -> bool {
    match raw {
        Raw::Json(serde_json::Value::Null) => true,
        Raw::Json(serde_json::Value::String(s)) => s.trim().is_empty(),
        Raw::Text(t) => t.trim().is_empty(),
        _ => false,
    }
}

/// Checks an office's file against the rule set and applies the missing-value policies.
/// Offices that did not file get their carried-over values only; they are not held to `error`.
pub fn prepare(rs: &RuleSet, record: &OfficeRecord) -> Result<Office, InvalidFile> {
    let n = rs.inputs.len();
    let mut values: Vec<Option<Value>> = vec![None; n];
    let mut given = vec![false; n];
    let mut previous: Vec<Option<Value>> = vec![None; n];
    let mut errors = Vec::new();
    for (name, raw) in &record.inputs {
        if is_blank(raw) {
            continue;
        }
        match check(rs, name, raw) {
            Ok((slot, v)) => {
                values[slot] = Some(v);
                given[slot] = true;
            }
            Err(e) => {
                // A bad value is reported once, not also as missing.
                if let Some(slot) = rs.input_index(name) {
                    given[slot] = true;
                }
                errors.push(e)
            }
        }
    }
    // Last round's values matter only for carry-over inputs the file leaves empty; names the
    // round no longer has are ignored (rounds change from year to year).
    for (name, raw) in &record.previous {
        if is_blank(raw) {
            continue;
        }
        let Some(slot) = rs.input_index(name) else {
            continue;
        };
        if given[slot] || rs.inputs[slot].when_missing != Missing::CarryOver {
            continue;
        }
        match check(rs, name, raw) {
            Ok((slot, v)) => previous[slot] = Some(v),
            Err(mut e) => {
                e.field = format!("previous.{}", e.field);
                errors.push(e)
            }
        }
    }
    let mut carried_over = vec![false; n];
    for (slot, def) in rs.inputs.iter().enumerate() {
        if given[slot] {
            continue;
        }
        match &def.when_missing {
            Missing::Default(v) => values[slot] = Some(v.clone()),
            Missing::ZeroPoints => {}
            Missing::CarryOver => match previous[slot].take() {
                Some(v) => {
                    values[slot] = Some(v);
                    carried_over[slot] = true;
                }
                None if record.filed => errors.push(FieldError::new(
                    &def.name,
                    "مقداری داده نشده و از دوره قبل هم مقداری نیست",
                    "no value was given and there is none from the previous round",
                )),
                None => {}
            },
            Missing::Error if record.filed => errors.push(FieldError::new(
                &def.name,
                "این مقدار الزامی است",
                "a value is required",
            )),
            Missing::Error => {}
        }
    }
    if errors.is_empty() {
        Ok(Office {
            id: record.id.clone(),
            kind: record.kind,
            region: record.region,
            province: record.province.clone(),
            filed: record.filed,
            values,
            carried_over,
        })
    } else {
        Err(InvalidFile {
            office: record.id.to_string(),
            errors,
        })
    }
}
