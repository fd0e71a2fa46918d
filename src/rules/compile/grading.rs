//! Grading: cut points and the scope grades are given in.

use std::path::Path;

use crate::domain::{Fixed, quoted};
use crate::rules::model::*;
use crate::rules::ruleset::*;

use super::{Ctx, fa};

pub(super) fn compile_grading(cx: &mut Ctx, file: &Path, g: &GradingSpec) -> Option<Grading> {
    let method = match g.method.value {
        GradingMethod::CutPoints => {
            let Some(cp) = &g.cut_points else {
                cx.error(
                    file,
                    &g.method,
                    "grading by cut points needs `cut_points:`",
                    format!(
                        "درجه‌بندی با نقطه‌های برش به {} نیاز دارد",
                        quoted("cut_points:")
                    ),
                );
                return None;
            };
            if g.shares.is_some() {
                cx.error(
                    file,
                    &g.method,
                    "`shares:` is given but the method is cut_points",
                    format!(
                        "{} نوشته شده است ولی روش درجه‌بندی {} است",
                        quoted("shares:"),
                        quoted("cut_points")
                    ),
                );
            }
            if cp.grade_1.value <= cp.grade_2.value {
                cx.error(
                    file,
                    &cp.grade_1,
                    format!(
                        "grade 1 needs more points than grade 2 ({} ≤ {})",
                        cp.grade_1.value, cp.grade_2.value
                    ),
                    format!(
                        "درجهٔ ۱ باید امتیاز بیشتری از درجهٔ ۲ بخواهد ({} ≤ {})",
                        fa(cp.grade_1.value),
                        fa(cp.grade_2.value)
                    ),
                );
            }
            GradeMethod::CutPoints {
                grade_1: cp.grade_1.value,
                grade_2: cp.grade_2.value,
            }
        }
        GradingMethod::Shares => {
            let Some(sh) = &g.shares else {
                cx.error(
                    file,
                    &g.method,
                    "grading by shares needs `shares:` (percent per grade)",
                    format!(
                        "درجه‌بندی با سهم‌ها به {} نیاز دارد (درصد هر درجه)",
                        quoted("shares:")
                    ),
                );
                return None;
            };
            if g.cut_points.is_some() {
                cx.error(
                    file,
                    &g.method,
                    "`cut_points:` is given but the method is shares",
                    format!(
                        "{} نوشته شده است ولی روش درجه‌بندی {} است",
                        quoted("cut_points:"),
                        quoted("shares")
                    ),
                );
            }
            for s in [&sh.grade_1, &sh.grade_2] {
                if s.value < Fixed::ZERO || s.value > Fixed::from_int(100) {
                    cx.error(
                        file,
                        s,
                        format!("a share is a percent from 0 to 100, not {}", s.value),
                        format!("سهم درصدی از ۰ تا ۱۰۰ است، نه {}", fa(s.value)),
                    );
                }
            }
            if sh.grade_1.value.saturating_add(sh.grade_2.value) > Fixed::from_int(100) {
                cx.error(
                    file,
                    &sh.grade_2,
                    format!(
                        "the shares of grades 1 and 2 add up to more than 100% ({} + {})",
                        sh.grade_1.value, sh.grade_2.value
                    ),
                    format!(
                        "جمع سهم درجه‌های ۱ و ۲ از ۱۰۰ درصد بیشتر است ({} + {})",
                        fa(sh.grade_1.value),
                        fa(sh.grade_2.value)
                    ),
                );
            }
            GradeMethod::Shares {
                grade_1: sh.grade_1.value,
                grade_2: sh.grade_2.value,
            }
        }
    };
    let s = &g.service_share.value;
    let shares = [s.grade_1.value, s.grade_2.value, s.grade_3.value];
    for x in [&s.grade_1, &s.grade_2, &s.grade_3] {
        if x.value < Fixed::ZERO || x.value > Fixed::from_int(100) {
            cx.error(
                file,
                x,
                format!(
                    "a service share is a percent from 0 to 100, not {}",
                    x.value
                ),
                format!("سهم خدمات درصدی از ۰ تا ۱۰۰ است، نه {}", fa(x.value)),
            );
        }
    }
    if !(shares[0] >= shares[1] && shares[1] >= shares[2]) {
        cx.error(
            file,
            &g.service_share,
            format!(
                "a better grade must allow at least the share of a lower one ({}, {}, {})",
                shares[0], shares[1], shares[2]
            ),
            format!(
                "درجهٔ بهتر باید دست‌کم همان سهم خدمات درجهٔ پایین‌تر را بدهد ({}، {}، {})",
                fa(shares[0]),
                fa(shares[1]),
                fa(shares[2])
            ),
        );
    }
    Some(Grading {
        scope: g.scope.value,
        method,
        service_share: shares,
        non_filers: g.non_filers,
        fragile_margin: g.fragile_margin.as_ref().map_or(Fixed::ONE, |m| m.value),
    })
}
