//! Penalties: points taken off per violation, with repeats and a cap.

use std::collections::HashSet;

use super::{Ctx, Hint, In, check_id, fa, kinds, num};
use crate::domain::{Fixed, quoted};
use crate::rules::model::PenaltySpec;
use crate::rules::ruleset::{InputDef, InputKind, KindSet, Penalty};

/// Compiles the penalties; their ids are the violation kinds a violations input may name.
pub(super) fn compile(
    cx: &mut Ctx,
    penalties: &[In<PenaltySpec>],
    kinds_in_round: KindSet,
) -> Vec<Penalty> {
    let mut penalty_ids = HashSet::new();
    let mut compiled_penalties = Vec::new();
    for In { file, value: p } in penalties {
        if !penalty_ids.insert(p.id.value.clone()) {
            cx.error(
                file,
                &p.id,
                format!("penalty `{}` is defined twice", *p.id),
                format!("جریمهٔ {} دو بار تعریف شده است", quoted(&p.id.value)),
            );
        }
        check_id(cx, file, &p.id);
        if p.points.value > Fixed::ZERO {
            cx.error(
                file,
                &p.points,
                format!("penalty points must be negative, found {}", *p.points),
                format!(
                    "امتیاز جریمه باید منفی باشد، ولی {} نوشته شده است",
                    fa(*p.points)
                ),
            )
            .hint(
                format!(
                    "write {} to take points off",
                    Fixed::ZERO.saturating_sub(*p.points)
                ),
                format!(
                    "برای کاستن امتیاز {} بنویسید",
                    fa(Fixed::ZERO.saturating_sub(*p.points))
                ),
            );
        }
        let repeat = p
            .repeat_points
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_default();
        if let Some(r) = &p.repeat_points
            && repeat.iter().any(|x| *x > Fixed::ZERO)
        {
            let positive: Vec<Fixed> = repeat
                .iter()
                .copied()
                .filter(|x| *x > Fixed::ZERO)
                .collect();
            cx.error(
                file,
                r,
                format!(
                    "repeat points must be negative, found {}",
                    positive
                        .iter()
                        .map(Fixed::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "امتیاز تکرار جریمه باید منفی باشد، ولی {} نوشته شده است",
                    positive
                        .iter()
                        .map(|x| fa(*x))
                        .collect::<Vec<_>>()
                        .join("، ")
                ),
            );
        }
        if let Some(cap) = &p.cap
            && cap.value > Fixed::ZERO
        {
            cx.error(
                file,
                cap,
                format!(
                    "the cap must be negative (the most taken off), found {}",
                    **cap
                ),
                format!(
                    "سقف جریمه باید منفی باشد (بیشترین امتیازی که کاسته می‌شود)، ولی {} نوشته شده است",
                    fa(**cap)
                ),
            );
        }
        let applies_to = kinds(cx, file, p.applies_to.as_ref(), kinds_in_round);
        compiled_penalties.push(Penalty {
            id: p.id.value.clone(),
            label: p.label.clone(),
            clause: p.clause.as_ref().map(|c| c.value.clone()),
            points: *p.points,
            repeat_points: repeat,
            cap: p.cap.as_ref().map(|c| c.value),
            applies_to,
        });
    }
    if compiled_penalties.len() > 64
        && let Some(In { file, value: p }) = penalties.get(64)
    {
        cx.error(
            file,
            &p.id,
            format!(
                "a round may declare at most 64 penalties; this one declares {}",
                compiled_penalties.len()
            ),
            format!(
                "هر دوره حداکثر ۶۴ جریمه دارد؛ این دوره {} جریمه دارد",
                num(compiled_penalties.len())
            ),
        );
    }
    compiled_penalties
}

/// Penalties need an input of `type: violations` to record them. `all_inputs_loaded` is false
/// when a broken input may have been that one (it has its own diagnostic).
pub(super) fn check_violations_input(
    cx: &mut Ctx,
    penalties: &[In<PenaltySpec>],
    inputs: &[InputDef],
    all_inputs_loaded: bool,
) {
    if !inputs.iter().any(|i| i.kind == InputKind::Violations)
        && all_inputs_loaded
        && let Some(In { file, value: p }) = penalties.first()
    {
        cx.error(
            file,
            &p.id,
            "penalties are declared but no input has `type: violations`",
            format!(
                "جریمه‌ها تعریف شده‌اند ولی هیچ ورودی {} ندارد",
                quoted("type: violations")
            ),
        )
        .hint(
            "declare an input such as `violations:` with `type: violations` to record them",
            format!(
                "برای ثبت آن‌ها ورودی‌ای مانند {} با {} تعریف کنید",
                quoted("violations:"),
                quoted("type: violations")
            ),
        );
    }
}
