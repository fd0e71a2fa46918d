//! The round's inputs: what an office declares or a reviewer enters, with types, ranges and what
//! happens when a value is missing.

use std::collections::HashSet;
use std::path::Path;

use super::{Ctx, Hint, In, check_id, fa};
use crate::domain::digits::to_persian_digits;
use crate::domain::quoted;
use crate::rules::model::{InputSpec, InputType, MissingSpec};
use crate::rules::ruleset::{Bounds, ChoiceValue, InputDef, InputKind, Missing};
use crate::rules::value;
use crate::rules::yaml::Located;

/// Compiles the inputs; `violation_kinds` are the penalty ids a violations input may name.
pub(super) fn compile(
    cx: &mut Ctx,
    inputs: &[In<(Located<String>, InputSpec)>],
    violation_kinds: &[String],
) -> Vec<InputDef> {
    let mut compiled_inputs: Vec<InputDef> = Vec::new();
    for In {
        file,
        value: (name, spec),
    } in inputs
    {
        if compiled_inputs.iter().any(|i| i.name == name.value) {
            cx.error(
                file,
                name,
                format!("input `{}` is declared twice", name.value),
                format!("ورودی {} دو بار تعریف شده است", quoted(&name.value)),
            );
            continue;
        }
        check_id(cx, file, name);
        let kind = input_kind(cx, file, name, spec);
        if spec.values.is_some() && !matches!(kind, InputKind::Choice(_)) {
            cx.error(
                file,
                &spec.kind,
                "`values:` is only for choice inputs",
                format!("{} تنها برای ورودی‌های گزینه‌ای است", quoted("values:")),
            );
        }
        let range = input_bounds(cx, file, spec, &kind);
        let mut def = InputDef {
            name: name.value.clone(),
            label: spec.label.clone(),
            kind,
            unit: spec.unit.clone(),
            range,
            supplied_by: spec.supplied_by,
            when_missing: Missing::Error,
            help: spec.help.clone(),
            violation_kinds: violation_kinds.to_vec(),
        };
        def.when_missing = when_missing(cx, file, spec, &def);
        compiled_inputs.push(def);
    }
    compiled_inputs
}

/// The type of an input; a choice needs its values, each listed once.
fn input_kind(cx: &mut Ctx, file: &Path, name: &Located<String>, spec: &InputSpec) -> InputKind {
    match spec.kind.value {
        InputType::Integer => InputKind::Integer,
        InputType::Decimal => InputKind::Decimal,
        InputType::Boolean => InputKind::Boolean,
        InputType::Date => InputKind::Date,
        InputType::Violations => InputKind::Violations,
        InputType::Choice => match &spec.values {
            Some(values) if !values.0.is_empty() => {
                let mut seen = HashSet::new();
                for (v, _) in &values.0 {
                    if !seen.insert(v.value.clone()) {
                        cx.error(
                            file,
                            v,
                            format!("value `{}` is listed twice", v.value),
                            format!("مقدار {} دو بار آمده است", quoted(&v.value)),
                        );
                    }
                }
                InputKind::Choice(
                    values
                        .0
                        .iter()
                        .map(|(n, l)| ChoiceValue {
                            name: n.value.clone(),
                            label: l.clone(),
                        })
                        .collect(),
                )
            }
            _ => {
                cx.error(
                    file,
                    &spec.kind,
                    format!("choice input `{}` has no `values:`", name.value),
                    format!(
                        "ورودی گزینه‌ای {} فهرست {} ندارد",
                        quoted(&name.value),
                        quoted("values:")
                    ),
                )
                .hint(
                    "list the allowed values with their labels under `values:`",
                    format!(
                        "مقدارهای مجاز را با نامشان زیر {} بنویسید",
                        quoted("values:")
                    ),
                );
                InputKind::Choice(Vec::new())
            }
        },
    }
}

/// What happens when an office gives no value; a default must be a valid value of the input.
fn when_missing(cx: &mut Ctx, file: &Path, spec: &InputSpec, def: &InputDef) -> Missing {
    match &spec.when_missing.value {
        MissingSpec::Error => Missing::Error,
        MissingSpec::ZeroPoints => Missing::ZeroPoints,
        MissingSpec::CarryOver => Missing::CarryOver,
        MissingSpec::Default(v) => match value::from_json(def, &v.value) {
            Ok(v) => Missing::Default(v),
            Err(e) => {
                let at = if v.line > 0 {
                    v.at(file)
                } else {
                    spec.when_missing.at(file)
                };
                cx.error_at(
                    at,
                    format!(
                        "the default of `{}` is not valid: {}",
                        def.name, e.message.en
                    ),
                    format!(
                        "مقدار پیش‌فرض {} درست نیست: {}",
                        quoted(&def.name),
                        e.message.fa
                    ),
                );
                Missing::Error
            }
        },
    }
}

/// The allowed values of a number input, from `range: [min, max]` or from `min:` and/or `max:`.
fn input_bounds(cx: &mut Ctx, file: &Path, spec: &InputSpec, kind: &InputKind) -> Option<Bounds> {
    let bounds = match (&spec.range, &spec.min, &spec.max) {
        (None, None, None) => return None,
        (Some(_), Some(at), _) | (Some(_), None, Some(at)) => {
            cx.error(
                file,
                at,
                "`range:` and `min:`/`max:` are both given",
                format!(
                    "هم {} و هم {} نوشته شده است",
                    quoted("range:"),
                    quoted("min:/max:")
                ),
            )
            .hint(
                "keep either `range: [smallest, largest]` or `min:` and `max:`",
                format!(
                    "یا {} را نگه دارید یا {} و {} را",
                    quoted("range: [smallest, largest]"),
                    quoted("min:"),
                    quoted("max:")
                ),
            );
            return None;
        }
        (Some(r), None, None) => match r.value.as_slice() {
            [lo, hi] if lo.value > hi.value => {
                cx.error(
                    file,
                    r,
                    format!("the range starts at {} but ends at {}", lo.value, hi.value),
                    format!(
                        "بازه از {} آغاز می‌شود ولی به {} پایان می‌یابد",
                        fa(lo.value),
                        fa(hi.value)
                    ),
                )
                .hint(
                    "write the smallest allowed value first: [min, max]",
                    format!(
                        "کوچک‌ترین مقدار مجاز را نخست بنویسید: {}",
                        quoted("[min, max]")
                    ),
                );
                return None;
            }
            [lo, hi] => Bounds::Between(lo.value, hi.value),
            [only] => {
                cx.error(
                    file,
                    r,
                    "`range:` has one value; it needs two, `[smallest, largest]`",
                    format!(
                        "{} یک مقدار دارد و دو مقدار می‌خواهد: کوچک‌ترین و بزرگ‌ترین",
                        quoted("range:")
                    ),
                )
                .hint(
                    format!(
                        "for a range open at one end write `min: {0}` (or `max: {0}`) instead of `range:`",
                        only.value
                    ),
                    format!(
                        "برای بازهٔ یک‌سویه به جای {} بنویسید {} (یا {})",
                        quoted("range:"),
                        quoted(format!("min: {}", only.value)),
                        quoted(format!("max: {}", only.value))
                    ),
                );
                return None;
            }
            items => {
                cx.error(
                    file,
                    r,
                    format!(
                        "`range:` needs two values, `[smallest, largest]`; it has {}",
                        items.len()
                    ),
                    format!(
                        "{} دو مقدار می‌خواهد، کوچک‌ترین و بزرگ‌ترین؛ {} مقدار دارد",
                        quoted("range:"),
                        to_persian_digits(&items.len().to_string())
                    ),
                )
                .hint(
                    "for a range open at one end write `min:` or `max:` instead",
                    format!(
                        "برای بازهٔ یک‌سویه به جای آن {} یا {} بنویسید",
                        quoted("min:"),
                        quoted("max:")
                    ),
                );
                return None;
            }
        },
        (None, Some(lo), Some(hi)) if lo.value > hi.value => {
            cx.error(
                file,
                lo,
                format!("`min: {}` is larger than `max: {}`", lo.value, hi.value),
                format!(
                    "کمینه ({}) از بیشینه ({}) بزرگ‌تر است",
                    fa(lo.value),
                    fa(hi.value)
                ),
            )
            .hint(
                "`min:` is the smallest allowed value, `max:` the largest",
                format!(
                    "{} کوچک‌ترین مقدار مجاز است و {} بزرگ‌ترین",
                    quoted("min:"),
                    quoted("max:")
                ),
            );
            return None;
        }
        (None, Some(lo), Some(hi)) => Bounds::Between(lo.value, hi.value),
        (None, Some(lo), None) => Bounds::AtLeast(lo.value),
        (None, None, Some(hi)) => Bounds::AtMost(hi.value),
    };
    if !matches!(kind, InputKind::Integer | InputKind::Decimal) {
        let (at, what) = match (&spec.range, &spec.min, &spec.max) {
            (Some(r), _, _) => (r.at(file), "`range:`"),
            (None, Some(m), _) => (m.at(file), "`min:`"),
            (None, None, Some(m)) => (m.at(file), "`max:`"),
            (None, None, None) => unreachable!("returned above"),
        };
        cx.error_at(
            at,
            format!("{what} is only for integer and decimal inputs"),
            format!(
                "{} تنها برای ورودی‌های عدد صحیح و اعشاری است",
                quoted(what.trim_matches('`'))
            ),
        );
    }
    Some(bounds)
}
