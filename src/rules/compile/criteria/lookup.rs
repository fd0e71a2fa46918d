//! Criteria scored by lookup: points per value of a choice or yes/no input.

use std::path::Path;

use super::super::{Ctx, Hint, fa};
use super::Env;
use crate::domain::{Fixed, quoted};
use crate::rules::diagnostic::suggest;
use crate::rules::model::LookupSpec;
use crate::rules::ruleset::{InputKind, Rule};

/// Compiles a lookup criterion worth at most `max` points.
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    l: &LookupSpec,
    max: Fixed,
) -> Option<(Rule, Vec<usize>)> {
    let input = env.resolve(cx, file, &l.input)?;
    let keys: Vec<String> = match &env.inputs[input].kind {
        InputKind::Choice(values) => values.iter().map(|v| v.name.clone()).collect(),
        InputKind::Boolean => vec!["false".into(), "true".into()],
        other => {
            cx.error(
                file,
                &l.input,
                format!(
                    "a lookup needs a choice or yes/no input; `{}` is {}",
                    l.input.value,
                    other.name()
                ),
                format!(
                    "جدول امتیاز به ورودی گزینه‌ای یا بله/خیر نیاز دارد؛ ورودی {} از گونهٔ {} است",
                    quoted(&l.input.value),
                    other.name_fa()
                ),
            )
            .hint(
                "use bands or linear for numbers",
                "برای عددها «bands» یا «linear» را به کار ببرید",
            );
            return None;
        }
    };
    let mut points = vec![None; keys.len()];
    for (k, p) in &l.points.0 {
        match keys.iter().position(|x| *x == k.value) {
            Some(i) if points[i].is_some() => {
                cx.error(
                    file,
                    k,
                    format!("`{}` is listed twice", k.value),
                    format!("{} دو بار آمده است", quoted(&k.value)),
                );
            }
            Some(i) => points[i] = Some(p.value),
            None => {
                let names: Vec<&str> = keys.iter().map(String::as_str).collect();
                cx.error(
                    file,
                    k,
                    format!("`{}` is not a value of `{}`", k.value, l.input.value),
                    format!(
                        "{} از مقدارهای {} نیست",
                        quoted(&k.value),
                        quoted(&l.input.value)
                    ),
                )
                .hint_label(suggest(k, &names));
            }
        }
        if p.value > max || p.value < Fixed::ZERO {
            cx.error(
                file,
                p,
                format!("{} points is outside 0 to max_points ({max})", p.value),
                format!(
                    "امتیاز {} بیرون از بازهٔ ۰ تا {} ({}) است",
                    fa(p.value),
                    quoted("max_points"),
                    fa(max)
                ),
            );
        }
    }
    if l.otherwise.is_none() && points.iter().any(Option::is_none) {
        let unlisted: Vec<&str> = keys
            .iter()
            .zip(&points)
            .filter(|(_, p)| p.is_none())
            .map(|(k, _)| k.as_str())
            .collect();
        cx.error(
            file,
            &l.input,
            format!("the lookup gives no points for: {}", unlisted.join(", ")),
            format!(
                "جدول امتیاز برای این مقدارها امتیازی نمی‌دهد: {}",
                unlisted.iter().map(quoted).collect::<Vec<_>>().join("، ")
            ),
        )
        .hint(
            "list every value, or add `otherwise:` for the rest",
            format!(
                "همهٔ مقدارها را بنویسید، یا برای بقیه {} بیفزایید",
                quoted("otherwise:")
            ),
        );
    }
    Some((
        Rule::Lookup {
            input,
            points,
            otherwise: l.otherwise.as_ref().map(|o| o.value),
        },
        vec![input],
    ))
}
