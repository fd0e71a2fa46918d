//! Typed input values: what an office's file holds once each field was checked against the round's
//! input schema. Values arrive as JSON (API, JSON files, rule tests) or as text (CSV cells).

use std::sync::Arc;

use serde::Serialize;

use super::ruleset::{Bounds, InputDef, InputKind};
use crate::domain::digits::to_persian_number;
use crate::domain::quoted;
use crate::domain::{Fixed, JalaliDate, Label};

/// A checked value of one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Integers and decimals alike; `InputKind` says which.
    Number(Fixed),
    Bool(bool),
    /// Index into the input's declared values.
    Choice(u16),
    Date(JalaliDate),
    Violations(Arc<[Violation]>),
}

/// One recorded violation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// The penalty id it falls under.
    pub kind: String,
    /// The penalty's index in the rule set (resolved once, when the value is checked).
    #[serde(skip)]
    pub penalty: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<JalaliDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A problem with one field of an office's file (or of a request, or one cell of an uploaded
/// file), in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Which field: an input (`area_m2`), a request's field (`values.area_m2`, `set`), a row and
    /// column of an uploaded file (`rows[3].national_code`), or an office and criterion.
    #[schema(example = "area_m2")]
    pub field: String,
    /// What is wrong with it and what to do, in Persian and English.
    pub message: Label,
}

impl FieldError {
    pub fn new(field: &str, fa: impl Into<String>, en: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: Label::new(fa, en),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message.en)
    }
}

/// Checks a JSON value against an input's declaration.
pub fn from_json(def: &InputDef, raw: &serde_json::Value) -> Result<Value, FieldError> {
    use serde_json::Value as J;
    match (&def.kind, raw) {
        (InputKind::Violations, J::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(violation_from_json(def, i, item)?);
            }
            Ok(Value::Violations(out.into()))
        }
        (_, J::String(s)) => from_text(def, s),
        (InputKind::Integer | InputKind::Decimal, J::Number(n)) => {
            let fixed = if let Some(i) = n.as_i64() {
                Some(Fixed::from_int(i)).filter(|_| i.unsigned_abs() < 900_000_000_000_000)
            } else {
                n.as_f64().and_then(|f| Fixed::from_f64(f).ok())
            };
            let fixed = fixed.ok_or_else(|| {
                FieldError::new(
                    &def.name,
                    format!(
                        "عدد {} معتبر نیست یا بیش از چهار رقم اعشار دارد",
                        to_persian_number(&n.to_string())
                    ),
                    format!("{n} is not a valid number or has more than four decimal places"),
                )
            })?;
            check_number(def, fixed)
        }
        (InputKind::Boolean, J::Bool(b)) => Ok(Value::Bool(*b)),
        _ => Err(wrong_type(def)),
    }
}

fn violation_from_json(
    def: &InputDef,
    i: usize,
    item: &serde_json::Value,
) -> Result<Violation, FieldError> {
    let field = format!("{}[{i}]", def.name);
    let obj = item.as_object().ok_or_else(|| {
        FieldError::new(
            &field,
            "هر تخلف باید نوع («kind») داشته باشد و می‌تواند تاریخ («date») و یادداشت («note») داشته باشد",
            "each violation needs a `kind` and may have a `date` and a `note`",
        )
    })?;
    for key in obj.keys() {
        if !["kind", "date", "note"].contains(&key.as_str()) {
            return Err(FieldError::new(
                &field,
                format!(
                    "کلید ناشناخته {} در تخلف: «kind»، «date» و «note» را به کار ببرید",
                    quoted(key)
                ),
                format!("unknown key `{key}` in a violation: use kind, date and note"),
            ));
        }
    }
    let kind = obj.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let date = match obj.get("date") {
        None | Some(serde_json::Value::Null) => None,
        Some(d) => Some(parse_date(&field, d.as_str().unwrap_or(""))?),
    };
    let note = obj.get("note").and_then(|n| n.as_str()).map(str::to_string);
    make_violation(def, &field, kind, date, note)
}

fn make_violation(
    def: &InputDef,
    field: &str,
    kind: &str,
    date: Option<JalaliDate>,
    note: Option<String>,
) -> Result<Violation, FieldError> {
    let Some(penalty) = def.violation_kinds.iter().position(|k| k == kind) else {
        let kinds: Vec<&str> = def.violation_kinds.iter().map(String::as_str).collect();
        let hint = super::diagnostic::suggestion(kind, &kinds);
        let hint_fa = super::diagnostic::suggestion_fa(kind, &kinds);
        return Err(FieldError::new(
            field,
            format!("نوع تخلف {} تعریف نشده است ({hint_fa})", quoted(kind)),
            format!("`{kind}` is not a declared violation ({hint})"),
        ));
    };
    Ok(Violation {
        kind: kind.to_string(),
        penalty: penalty as u16,
        date,
        note,
    })
}

fn parse_date(field: &str, text: &str) -> Result<JalaliDate, FieldError> {
    JalaliDate::parse(text).map_err(|e| {
        FieldError::new(
            field,
            format!("تاریخ {} معتبر نیست (نمونه: ۱۴۰۰/۰۱/۱۷)", quoted(text)),
            e.to_string(),
        )
    })
}

/// Checks a text value (a CSV cell, or a JSON string) against an input's declaration.
/// Persian and Arabic-Indic digits are accepted.
pub fn from_text(def: &InputDef, text: &str) -> Result<Value, FieldError> {
    let t = text.trim();
    match &def.kind {
        InputKind::Integer | InputKind::Decimal => {
            let n: Fixed = t.parse().map_err(|e| match e {
                crate::domain::FixedError::TooPrecise(_) => FieldError::new(
                    &def.name,
                    format!("{} بیش از چهار رقم اعشار دارد", quoted(t)),
                    format!("`{t}` has more than four decimal places"),
                ),
                _ => FieldError::new(
                    &def.name,
                    format!("{} عدد نیست", quoted(t)),
                    format!("`{t}` is not a number"),
                ),
            })?;
            check_number(def, n)
        }
        InputKind::Boolean => match crate::domain::digits::to_ascii_digits(t)
            .to_lowercase()
            .as_str()
        {
            "true" | "yes" | "1" | "بله" | "بلی" | "دارد" => Ok(Value::Bool(true)),
            "false" | "no" | "0" | "خیر" | "ندارد" => Ok(Value::Bool(false)),
            _ => Err(FieldError::new(
                &def.name,
                format!("{} بله/خیر نیست: «true» یا «false» بنویسید", quoted(t)),
                format!("`{t}` is not yes/no: write true or false"),
            )),
        },
        InputKind::Choice(values) => values
            .iter()
            .position(|v| v.name == t)
            .map(|i| Value::Choice(i as u16))
            .ok_or_else(|| {
                let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
                let hint = super::diagnostic::suggestion(t, &names);
                let hint_fa = super::diagnostic::suggestion_fa(t, &names);
                FieldError::new(
                    &def.name,
                    format!("{} از مقادیر مجاز نیست ({hint_fa})", quoted(t)),
                    format!("`{t}` is not an allowed value ({hint})"),
                )
            }),
        InputKind::Date => parse_date(&def.name, t).map(Value::Date),
        InputKind::Violations => {
            // `kind@1400/02/10; kind2` — the compact form for CSV cells.
            let mut out = Vec::new();
            for (i, part) in t
                .split([';', '؛'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .enumerate()
            {
                let field = format!("{}[{i}]", def.name);
                let (kind, date) = match part.split_once('@') {
                    Some((k, d)) => (k.trim(), Some(parse_date(&field, d.trim())?)),
                    None => (part, None),
                };
                out.push(make_violation(def, &field, kind, date, None)?);
            }
            Ok(Value::Violations(out.into()))
        }
    }
}

fn check_number(def: &InputDef, n: Fixed) -> Result<Value, FieldError> {
    if matches!(def.kind, InputKind::Integer) && n.to_int().is_none() {
        return Err(FieldError::new(
            &def.name,
            format!("{} باید عدد صحیح باشد", to_persian_number(&n.to_string())),
            format!("{n} must be a whole number"),
        ));
    }
    if let Some(range) = def.range
        && !range.contains(n)
    {
        let fa = match range {
            Bounds::Between(lo, hi) => format!("{n} خارج از بازه مجاز {lo} تا {hi} است"),
            Bounds::AtLeast(lo) => format!("{n} کمتر از کمینه مجاز {lo} است"),
            Bounds::AtMost(hi) => format!("{n} بیشتر از بیشینه مجاز {hi} است"),
        };
        let en = match range {
            Bounds::Between(lo, hi) => format!("{n} is outside the allowed range {lo} to {hi}"),
            Bounds::AtLeast(lo) => format!("{n} is below the allowed minimum {lo}"),
            Bounds::AtMost(hi) => format!("{n} is above the allowed maximum {hi}"),
        };
        return Err(FieldError::new(&def.name, to_persian_number(&fa), en));
    }
    Ok(Value::Number(n))
}

fn wrong_type(def: &InputDef) -> FieldError {
    let (fa, en) = match &def.kind {
        InputKind::Integer => ("عدد صحیح", "a whole number"),
        InputKind::Decimal => ("عدد", "a number"),
        InputKind::Boolean => ("بله/خیر", "true or false"),
        InputKind::Choice(_) => ("یکی از مقادیر مجاز", "one of the allowed values"),
        InputKind::Date => (
            "تاریخ شمسی مانند ۱۴۰۰/۰۱/۱۷",
            "a Jalali date such as 1400/01/17",
        ),
        InputKind::Violations => ("فهرست تخلفات", "a list of violations"),
    };
    FieldError::new(
        &def.name,
        format!("باید {fa} باشد"),
        format!("must be {en}"),
    )
}

/// The value as JSON, the way it is written in files and API bodies.
pub fn to_json(def: &InputDef, value: &Value) -> serde_json::Value {
    match value {
        Value::Number(n) => serde_json::to_value(n).unwrap_or_default(),
        Value::Bool(b) => (*b).into(),
        Value::Choice(i) => match &def.kind {
            InputKind::Choice(values) => values[*i as usize].name.clone().into(),
            _ => serde_json::Value::Null,
        },
        Value::Date(d) => d.to_string().into(),
        Value::Violations(v) => serde_json::to_value(v.as_ref()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_value_of_every_input_of_both_rounds_is_told_wholly_in_persian() {
        use serde_json::json;
        let bad_json = [
            json!("abc"),
            json!("1.234567"),
            json!("-999999"),
            json!(999_999_999),
            json!(-7),
            json!(2.5),
            json!(1.234567),
            json!(true),
            json!({"a": 1}),
            json!([{"kind": "nope", "date": "1400/01/01"}]),
            json!([{"kind": "x", "colour": "red"}]),
            json!([{"date": "1400/13/40"}]),
            json!(["overcharging"]),
        ];
        let bad_text = [
            "abc",
            "perhaps",
            "1400/13/40",
            "nope@1400/01/01",
            "x@",
            "12.345678",
        ];
        let mut refused = 0;
        for round in ["1400-2", "1401-1"] {
            let rs = crate::rules::load_round(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("rules")
                    .join(round),
            )
            .unwrap();
            for def in &rs.inputs {
                let errors = bad_json
                    .iter()
                    .filter_map(|v| from_json(def, v).err())
                    .chain(bad_text.iter().filter_map(|t| from_text(def, t).err()));
                for e in errors {
                    refused += 1;
                    assert_eq!(
                        crate::domain::persian_problem(&e.message.fa),
                        None,
                        "{round} {}: {} / {}",
                        def.name,
                        e.message.fa,
                        e.message.en
                    );
                }
            }
        }
        assert!(refused > 100, "only {refused} refusals");
    }
}
