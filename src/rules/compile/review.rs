//! The `review:` section: the flags that order the reviewer's queue. Each flag has an id, a label,
//! a weight above zero and exactly one way of being raised (`jump`, `near_boundary`, `outlier`,
//! `missing`, `formula`), checked here against the round's inputs and grading.

use std::collections::HashSet;
use std::path::Path;

use super::criteria::{self, Env};
use super::declared::Names;
use super::{Ctx, Hint, In, check_id, fa, num};
use crate::domain::{Fixed, quoted};
use crate::rules::model::{FlagSpec, ReviewSpec};
use crate::rules::review::{Check, Flag, Review};
use crate::rules::ruleset::{GradeMethod, Grading};
use crate::rules::yaml::{Item, Located};

/// The compiled flags, and every flag id written (also of flags that did not compile), so a rule
/// test naming a broken flag is not reported a second time.
pub(super) struct Compiled {
    pub review: Review,
    pub declared: Names,
}

/// Compiles the flags that have no problem of their own; `grading` is `None` when it did not
/// compile (a `near_boundary` flag then takes no default margin and reports nothing more).
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    review: Option<In<Located<Item<ReviewSpec>>>>,
    grading: Option<&Grading>,
) -> Compiled {
    let mut declared = Names::default();
    let Some(In { file, value }) = review else {
        return Compiled {
            review: Review::default(),
            declared,
        };
    };
    let Item::Ok(spec) = value.value else {
        declared.unknown = true;
        return Compiled {
            review: Review::default(),
            declared,
        };
    };
    let mut flags = Vec::new();
    let mut ids = HashSet::new();
    for f in spec.flags {
        let Item::Ok(f) = f else {
            declared.unknown = true;
            continue;
        };
        declared.names.insert(f.id.value.clone());
        check_id(cx, &file, &f.id);
        if !ids.insert(f.id.value.clone()) {
            cx.error(
                &file,
                &f.id,
                format!("flag `{}` is defined twice", *f.id),
                format!("نشانهٔ {} دو بار تعریف شده است", quoted(&f.id.value)),
            )
            .hint(
                "give each flag its own id",
                "به هر نشانه شناسهٔ جداگانه‌ای بدهید",
            );
        }
        if f.weight.value <= Fixed::ZERO || f.weight.value > Fixed::from_int(100) {
            cx.error(
                &file,
                &f.weight,
                format!("weight {} is out of range", *f.weight),
                format!("وزن {} بیرون از بازهٔ مجاز است", fa(*f.weight)),
            )
            .hint(
                "a flag's weight is above 0 and at most 100: it is added to the file's risk",
                "وزن نشانه بیشتر از ۰ و حداکثر ۱۰۰ است: به خطر پرونده افزوده می‌شود",
            );
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
    Compiled {
        review: Review { flags },
        declared,
    }
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
            format!(
                "نشانهٔ {} باید دقیقاً یکی از «jump»، «near_boundary»، «outlier»، «missing» یا «formula» را داشته باشد ({} تا نوشته شده است)",
                quoted(&f.id.value),
                num(given)
            ),
        )
        .hint(
            "each flag is raised one way; write two flags if it needs two",
            "هر نشانه به یک روش برافراشته می‌شود؛ اگر دو روش لازم است دو نشانه بنویسید",
        );
        return None;
    }
    if let Some(j) = &f.jump {
        let input = env.resolve(cx, file, &j.input)?;
        criteria::numeric(cx, file, &j.input, &env.inputs[input]);
        if j.percent.is_none() && j.amount.is_none() {
            cx.error(
                file,
                j,
                "a jump needs `percent:`, `amount:` or both",
                format!(
                    "نشانهٔ جهش به {}، {} یا هر دو نیاز دارد",
                    quoted("percent:"),
                    quoted("amount:")
                ),
            )
            .hint(
                "e.g. `percent: 50` raises the flag when the value moved by half or more",
                "مثلاً «percent: 50» نشانه را وقتی برمی‌افرازد که مقدار نیمی یا بیشتر جابه‌جا شده باشد",
            );
            return None;
        }
        for limit in [&j.percent, &j.amount].into_iter().flatten() {
            if limit.value <= Fixed::ZERO {
                cx.error(
                    file,
                    limit,
                    format!("{} must be above 0", limit.value),
                    format!("{} باید بیشتر از ۰ باشد", fa(limit.value)),
                )
                .hint(
                    "the change is measured either way (up or down), as a positive size",
                    "تغییر در هر دو سو (بالا یا پایین) و به اندازه‌ای مثبت سنجیده می‌شود",
                );
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
                format!(
                    "{} به درجه‌بندی با نقطه‌های برش نیاز دارد؛ این دوره با سهم جمعیت درجه می‌دهد",
                    quoted("near_boundary")
                ),
            )
            .hint(
                "with shares a file's boundary depends on every other file: use the simulation's fragile offices instead",
                "با سهم‌ها مرز هر پرونده به همهٔ پرونده‌های دیگر بستگی دارد: به جای آن دفترهای شکنندهٔ شبیه‌سازی را ببینید",
            );
            return None;
        }
        let margin = match &n.margin {
            Some(m) if m.value <= Fixed::ZERO => {
                cx.error(
                    file,
                    m,
                    format!("margin {} must be above 0", m.value),
                    format!(
                        "فاصله ({}) باید بیشتر از ۰ باشد؛ {} نوشته شده است",
                        quoted("margin"),
                        fa(m.value)
                    ),
                )
                .hint(
                    "the margin is in points of the total, e.g. `margin: 2`",
                    "فاصله به امتیاز از جمع کل است، مانند «margin: 2»",
                );
                return None;
            }
            Some(m) => m.value,
            None if grading.fragile_margin > Fixed::ZERO => grading.fragile_margin,
            None => {
                cx.error(
                    file,
                    n,
                    "near_boundary has no margin, and grading has no fragile_margin",
                    format!(
                        "{} فاصله ندارد و درجه‌بندی هم {} ندارد",
                        quoted("near_boundary"),
                        quoted("fragile_margin")
                    ),
                )
                .hint(
                    "write `margin:` here, or `fragile_margin:` under grading",
                    format!(
                        "این جا {} بنویسید، یا زیر {} بنویسید {}",
                        quoted("margin:"),
                        quoted("grading"),
                        quoted("fragile_margin:")
                    ),
                );
                return None;
            }
        };
        Some(Check::NearBoundary { margin })
    } else if let Some(o) = &f.outlier {
        let input = env.resolve(cx, file, &o.input)?;
        criteria::numeric(cx, file, &o.input, &env.inputs[input]);
        if o.k.value <= Fixed::ZERO {
            cx.error(
                file,
                &o.k,
                format!("k {} must be above 0", o.k.value),
                format!(
                    "{} باید بیشتر از ۰ باشد؛ {} نوشته شده است",
                    quoted("k"),
                    fa(o.k.value)
                ),
            )
            .hint(
                "k counts median absolute deviations; 3 to 5 is usual",
                format!(
                    "{} شمار میانه‌های انحراف مطلق است؛ معمولاً ۳ تا ۵",
                    quoted("k")
                ),
            );
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

#[cfg(test)]
mod tests {
    use crate::rules::diagnostic::Diagnostic;
    use crate::rules::load_round;
    use crate::rules::review::Check;
    use crate::rules::test_support::{edit, example, line_of};

    /// The diagnostics of a broken round, each one's Persian checked on the way.
    fn diagnostics(dir: &std::path::Path) -> Vec<Diagnostic> {
        match load_round(dir) {
            Ok(_) => panic!("expected diagnostics, the round compiled"),
            Err(d) => {
                for d in &d.0 {
                    super::super::tests_fa::assert_same_facts_in_persian(d);
                }
                d.0
            }
        }
    }

    #[test]
    fn the_example_round_has_one_flag_of_each_kind_it_declares() {
        let (_t, dir) = example();
        let rs = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
        let kinds: Vec<&str> = rs
            .review
            .flags
            .iter()
            .map(|f| f.check.kind_name())
            .collect();
        for k in ["jump", "near_boundary", "outlier", "missing", "formula"] {
            assert!(kinds.contains(&k), "{k} in {kinds:?}");
        }
        assert!(matches!(
            rs.review.flags.iter().find(|f| f.id == "insured_over_staff").map(|f| &f.check),
            Some(Check::Formula(p)) if p.is_native()
        ));
    }

    #[test]
    fn a_flag_naming_an_unknown_input_points_at_the_name_with_a_suggestion() {
        let (_t, dir) = example();
        edit(
            &dir,
            "review.yaml",
            "jump: { input: staff_count, amount: 3 }",
            "jump: { input: staf_count, amount: 3 }",
        );
        let d = diagnostics(&dir);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].at.line, line_of(&dir, "review.yaml", "staf_count"));
        assert!(d[0].at.file.ends_with("review.yaml"));
        assert!(
            d[0].message
                .contains("`staf_count` is not a declared input")
        );
        assert_eq!(d[0].hint_en(), Some("did you mean `staff_count`?"));
    }

    #[test]
    fn a_jump_without_percent_or_amount_and_a_zero_k_are_refused() {
        let (_t, dir) = example();
        edit(
            &dir,
            "review.yaml",
            "jump: { input: staff_count, amount: 3 }",
            "jump: { input: staff_count }",
        );
        edit(
            &dir,
            "review.yaml",
            "outlier: { input: staff_count, k: 5 }",
            "outlier: { input: staff_count, k: 0 }",
        );
        let d = diagnostics(&dir);
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(
            d[0].message
                .contains("a jump needs `percent:`, `amount:` or both")
        );
        assert_eq!(
            d[0].at.line,
            line_of(&dir, "review.yaml", "jump: { input: staff_count }")
        );
        assert!(d[1].message.contains("k 0 must be above 0"));
    }

    #[test]
    fn a_flag_with_two_ways_and_a_duplicate_id_are_reported() {
        let (_t, dir) = example();
        edit(
            &dir,
            "review.yaml",
            "      missing: { input: years_active }",
            "      missing: { input: years_active }\n      formula: years_active > 50",
        );
        edit(&dir, "review.yaml", "id: staff_outlier", "id: area_outlier");
        let d = diagnostics(&dir);
        // The rest: each rule test naming `staff_outlier`, now no flag at all.
        let in_tests: Vec<_> = d
            .iter()
            .filter(|d| d.at.file.ends_with("tests/review.yaml"))
            .collect();
        assert_eq!(in_tests.len(), d.len() - 2, "{d:#?}");
        assert!(
            in_tests
                .iter()
                .all(|d| d.message.contains("`staff_outlier` is not a review flag")),
            "{d:#?}"
        );
        assert!(
            d.iter()
                .any(|d| d.message.contains("flag `area_outlier` is defined twice"))
        );
        assert!(d.iter().any(|d| {
            d.message
                .contains("flag `years_not_given` must have exactly one of jump")
        }));
    }

    #[test]
    fn a_broken_condition_is_reported_at_its_column_in_the_yaml() {
        let (_t, dir) = example();
        edit(
            &dir,
            "review.yaml",
            "formula: insured_staff > staff_count",
            "formula: insured_staff > staff_cuont",
        );
        let d = diagnostics(&dir);
        assert_eq!(d.len(), 1, "{d:#?}");
        let line = line_of(&dir, "review.yaml", "staff_cuont");
        assert_eq!(d[0].at.line, line);
        let text = std::fs::read_to_string(dir.join("review.yaml")).unwrap();
        let col = text
            .lines()
            .nth(line as usize - 1)
            .unwrap()
            .find("staff_cuont")
            .unwrap()
            + 1;
        assert_eq!(d[0].at.column, col as u32, "{:?}", d[0]);
    }

    #[test]
    fn near_boundary_is_refused_when_grades_go_by_shares() {
        let (_t, dir) = example();
        edit(&dir, "round.yaml", "method: cut_points", "method: shares");
        edit(
            &dir,
            "round.yaml",
            "cut_points:\n    grade_1: 60      # a total of at least 60 points\n    grade_2: 35",
            "shares:\n    grade_1: 60\n    grade_2: 35",
        );
        let d = diagnostics(&dir);
        let near = d
            .iter()
            .find(|d| {
                d.message
                    .contains("near_boundary needs grades by cut points")
            })
            .unwrap_or_else(|| panic!("{d:#?}"));
        assert_eq!(near.at.line, line_of(&dir, "review.yaml", "near_boundary:"));
    }

    #[test]
    fn a_rule_test_expecting_an_unknown_flag_is_reported() {
        let (_t, dir) = example();
        edit(
            &dir,
            "tests/review.yaml",
            "expect: { flags: [area_jump], risk: 3, total: 32 }",
            "expect: { flags: [area_jumps], risk: 3, total: 32 }",
        );
        let d = diagnostics(&dir);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].message.contains("`area_jumps` is not a review flag"));
        assert_eq!(d[0].hint_en(), Some("did you mean `area_jump`?"));
    }
}
