//! Criteria scored linearly: points per unit of a number above a start, up to a cap.

use std::path::Path;

use super::super::{Ctx, fa};
use super::{Env, numeric};
use crate::domain::{Fixed, quoted};
use crate::rules::model::LinearSpec;
use crate::rules::ruleset::Rule;

/// Compiles a linear criterion worth at most `max` points.
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    l: &LinearSpec,
    max: Fixed,
) -> Option<(Rule, Vec<usize>)> {
    let input = env.resolve(cx, file, &l.input)?;
    numeric(cx, file, &l.input, &env.inputs[input]);
    let cap = l.cap.as_ref().map_or(max, |c| c.value);
    if let Some(cap_at) = &l.cap
        && (cap > max || cap < Fixed::ZERO)
    {
        cx.error(
            file,
            cap_at,
            format!("the cap {cap} is outside 0 to max_points ({max})"),
            format!(
                "سقف {} بیرون از بازهٔ ۰ تا {} ({}) است",
                fa(cap),
                quoted("max_points"),
                fa(max)
            ),
        );
    }
    let from = l.from.as_ref().map_or(Fixed::ZERO, |f| f.value);
    Some((
        Rule::Linear {
            input,
            from,
            per_unit: *l.points_per_unit,
            cap,
        },
        vec![input],
    ))
}
