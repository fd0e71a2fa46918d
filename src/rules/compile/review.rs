//! The `review:` section: the flags that order the reviewer's queue. Each flag has an id, a label,
//! a weight above zero and exactly one way of being raised (`jump`, `near_boundary`, `outlier`,
//! `missing`, `formula`), checked here against the round's inputs and grading.

use std::collections::HashSet;
use std::path::Path;

use super::criteria::{self, Env};
use super::{Ctx, Hint, In, check_id};
use crate::domain::Fixed;
use crate::rules::model::{FlagSpec, ReviewSpec};
use crate::rules::review::{Check, Flag, Review};
use crate::rules::ruleset::{GradeMethod, Grading};
use crate::rules::yaml::{Item, Located};

/// Compiles the flags that have no problem of their own; `grading` is `None` when it did not
/// compile (a `near_boundary` flag then takes no default margin and reports nothing more).
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    review: Option<In<Located<Item<ReviewSpec>>>>,
    grading: Option<&Grading>,
) -> Review {
    let Some(In { file, value }) = review else {
        return Review::default();
    };
    let Item::Ok(spec) = value.value else {
        return Review::default();
    };
    let mut flags = Vec::new();
    let mut ids = HashSet::new();
    for f in spec.flags.into_iter().filter_map(Item::ok) {
        check_id(cx, &file, &f.id);
        if !ids.insert(f.id.value.clone()) {
            cx.error(&file, &f.id, format!("flag `{}` is defined twice", *f.id))
                .hint("give each flag its own id");
        }
        if f.weight.value <= Fixed::ZERO || f.weight.value > Fixed::from_int(100) {
            cx.error(
                &file,
                &f.weight,
                format!("weight {} is out of range", *f.weight),
            )
            .hint("a flag's weight is above 0 and at most 100: it is added to the file's risk");
        }
        if let Some(check) = compile_check(cx, env, &file, &f, grading) {
            flags.push(Flag {
                id: f.id.value.clone(),
                label: f.label.clone(),
                weight: f.weight.value,
                check,
            });
        }
    }
    Review { flags }
}

/// The flag's one way of being raised; `None` when it has a problem (reported).
fn compile_check(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    f: &FlagSpec,
    grading: Option<&Grading>,
) -> Option<Check> {
    let given = [
        f.jump.is_some(),
        f.near_boundary.is_some(),
        f.outlier.is_some(),
        f.missing.is_some(),
        f.formula.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        cx.error(
            file,
            &f.id,
            format!(
                "flag `{}` must have exactly one of jump, near_boundary, outlier, missing or formula ({given} given)",
                *f.id
            ),
        )
        .hint("each flag is raised one way; write two flags if it needs two");
        return None;
    }
    if let Some(j) = &f.jump {
        let input = env.resolve(cx, file, &j.input)?;
        criteria::numeric(cx, file, &j.input, &env.inputs[input]);
        if j.percent.is_none() && j.amount.is_none() {
            cx.error(file, j, "a jump needs `percent:`, `amount:` or both")
                .hint("e.g. `percent: 50` raises the flag when the value moved by half or more");
            return None;
        }
        for limit in [&j.percent, &j.amount].into_iter().flatten() {
            if limit.value <= Fixed::ZERO {
                cx.error(file, limit, format!("{} must be above 0", limit.value))
                    .hint("the change is measured either way (up or down), as a positive size");
            }
        }
        Some(Check::Jump {
            input,
            percent: j.percent.as_ref().map(|p| p.value),
            amount: j.amount.as_ref().map(|a| a.value),
        })
    } else if let Some(n) = &f.near_boundary {
        let grading = grading?;
        if !matches!(grading.method, GradeMethod::CutPoints { .. }) {
            cx.error(
                file,
                n,
                "near_boundary needs grades by cut points; this round grades by population shares",
            )
            .hint("with shares a file's boundary depends on every other file: use the simulation's fragile offices instead");
            return None;
        }
        let margin = match &n.margin {
            Some(m) if m.value <= Fixed::ZERO => {
                cx.error(file, m, format!("margin {} must be above 0", m.value))
                    .hint("the margin is in points of the total, e.g. `margin: 2`");
                return None;
            }
            Some(m) => m.value,
            None if grading.fragile_margin > Fixed::ZERO => grading.fragile_margin,
            None => {
                cx.error(
                    file,
                    n,
                    "near_boundary has no margin, and grading has no fragile_margin",
                )
                .hint("write `margin:` here, or `fragile_margin:` under grading");
                return None;
            }
        };
        Some(Check::NearBoundary { margin })
    } else if let Some(o) = &f.outlier {
        let input = env.resolve(cx, file, &o.input)?;
        criteria::numeric(cx, file, &o.input, &env.inputs[input]);
        if o.k.value <= Fixed::ZERO {
            cx.error(file, &o.k, format!("k {} must be above 0", o.k.value))
                .hint("k counts median absolute deviations; 3 to 5 is usual");
            return None;
        }
        Some(Check::Outlier {
            input,
            k: o.k.value,
        })
    } else if let Some(m) = &f.missing {
        let input = env.resolve(cx, file, &m.input)?;
        Some(Check::Missing { input })
    } else if let Some(text) = &f.formula {
        criteria::compile_condition(cx, env, file, text).map(Check::Formula)
    } else {
        None
    }
}
