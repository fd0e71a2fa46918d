//! The round's calendar: phases by date or following one another, and the correction window.

use std::path::Path;

use super::{Ctx, Hint, num};
use crate::domain::{JalaliDate, TEHRAN, quoted};
use crate::rules::diagnostic::suggest;
use crate::rules::model::{CalendarSpec, PhaseSpec};
use crate::rules::ruleset::{Calendar, Correction, Period};
use crate::rules::yaml::{Item, Located};

/// The phases in the order they run; a phase may follow (`after:`) only an earlier one.
const ORDER: [&str; 5] = [
    "self_declaration",
    "regional_review",
    "publication",
    "objection",
    "final",
];

/// The round's calendar, or `None` when a phase cannot be placed (each problem reported).
pub(super) fn compile_calendar(cx: &mut Ctx, file: &Path, spec: &CalendarSpec) -> Option<Calendar> {
    if spec.time_zone.value != TEHRAN {
        cx.error(
            file,
            &spec.time_zone,
            format!("time zone `{}` is not supported", spec.time_zone.value),
            format!(
                "منطقهٔ زمانی {} پشتیبانی نمی‌شود",
                quoted(&spec.time_zone.value)
            ),
        )
        .hint(
            "deadlines are in Asia/Tehran",
            format!("مهلت‌ها به وقت {} اند", quoted(TEHRAN)),
        );
    }
    let phases: [(&str, &Located<Item<PhaseSpec>>); 5] = [
        ("self_declaration", &spec.self_declaration),
        ("regional_review", &spec.regional_review),
        ("publication", &spec.publication),
        ("objection", &spec.objection),
        ("final", &spec.final_review),
    ];
    let mut periods: Vec<Option<Period>> = vec![None; phases.len()];
    let mut ok = true;
    // Phases may refer to earlier ones; resolve in order, and report forward or unknown references.
    for (i, (name, located)) in phases.iter().enumerate() {
        let Item::Ok(p) = &located.value else {
            ok = false;
            continue;
        };
        let start = phase_start(cx, file, (i, name), located, p, &periods);
        let end = phase_end(cx, file, name, located, p, start);
        match (start, end) {
            (Some(first_day), Some(last_day)) => {
                periods[i] = Some(Period {
                    first_day,
                    last_day,
                })
            }
            _ => ok = false,
        }
    }
    ok &= in_sequence(cx, file, &phases, &periods);
    let correction = correction(cx, file, spec);
    if !ok {
        return None;
    }
    Some(Calendar {
        time_zone: spec.time_zone.value.clone(),
        self_declaration: periods[0]?,
        regional_review: periods[1]?,
        correction: correction?,
        publication: periods[2]?,
        objection: periods[3]?,
        final_review: periods[4]?,
    })
}

/// The first day of phase `i`: its `start:` date, or the day after the phase it follows, plus
/// any `gap_days`.
fn phase_start(
    cx: &mut Ctx,
    file: &Path,
    (i, name): (usize, &str),
    located: &Located<Item<PhaseSpec>>,
    p: &PhaseSpec,
    periods: &[Option<Period>],
) -> Option<JalaliDate> {
    let start = match (&p.start, &p.after) {
        (Some(_), Some(a)) => {
            cx.error(
                file,
                a,
                format!("phase `{name}` has both `start` and `after`"),
                format!(
                    "مرحلهٔ {} هم {} دارد و هم {}",
                    quoted(name),
                    quoted("start"),
                    quoted("after")
                ),
            )
            .hint(
                "give a date with `start:` or follow another phase with `after:`, not both",
                "یا با «start:» تاریخ آغاز بدهید یا با «after:» مرحله را پس از مرحلهٔ دیگری بگذارید، نه هر دو",
            );
            None
        }
        (Some(s), None) => match JalaliDate::parse(&s.value) {
            Ok(d) => Some(d),
            Err(e) => {
                cx.error(file, s, e.to_string(), e.fa());
                None
            }
        },
        (None, Some(a)) => match ORDER.iter().position(|n| *n == a.value) {
            Some(j) if j < i => periods[j].map(|p| p.last_day.add_days(1)),
            Some(_) => {
                cx.error(
                    file,
                    a,
                    format!(
                        "phase `{name}` cannot follow `{}`, which comes later",
                        a.value
                    ),
                    format!(
                        "مرحلهٔ {} نمی‌تواند پس از {} بیاید، چون {} دیرتر است",
                        quoted(name),
                        quoted(&a.value),
                        quoted(&a.value)
                    ),
                );
                None
            }
            None => {
                cx.error(
                    file,
                    a,
                    format!("`{}` is not a phase", a.value),
                    format!("{} مرحله‌ای نیست", quoted(&a.value)),
                )
                .hint_label(suggest(&a.value, &ORDER));
                None
            }
        },
        (None, None) => {
            cx.error(
                file,
                located,
                format!("phase `{name}` has no `start:` date and no `after:`"),
                format!(
                    "مرحلهٔ {} نه تاریخ {} دارد و نه {}",
                    quoted(name),
                    quoted("start:"),
                    quoted("after:")
                ),
            );
            None
        }
    };
    let start = start.map(|s| s.add_days(p.gap_days.as_ref().map_or(0, |g| g.value)));
    if let Some(g) = &p.gap_days
        && g.value < 0
    {
        cx.error(
            file,
            g,
            format!("`gap_days` cannot be negative, found {}", g.value),
            format!(
                "{} نمی‌تواند منفی باشد؛ {} نوشته شده است",
                quoted("gap_days"),
                num(g.value)
            ),
        );
    }
    start
}

/// The last day of a phase that starts on `start`: from `days:` or an `end:` date.
fn phase_end(
    cx: &mut Ctx,
    file: &Path,
    name: &str,
    located: &Located<Item<PhaseSpec>>,
    p: &PhaseSpec,
    start: Option<JalaliDate>,
) -> Option<JalaliDate> {
    match (&p.days, &p.end) {
        (Some(d), Some(_)) => {
            cx.error(
                file,
                d,
                format!("phase `{name}` has both `days` and `end`"),
                format!(
                    "مرحلهٔ {} هم {} دارد و هم {}",
                    quoted(name),
                    quoted("days"),
                    quoted("end")
                ),
            );
            None
        }
        (Some(d), None) if d.value < 1 || d.value > 366 => {
            cx.error(
                file,
                d,
                format!("a phase lasts 1 to 366 days, not {}", d.value),
                format!("هر مرحله ۱ تا ۳۶۶ روز است، نه {}", num(d.value)),
            );
            None
        }
        (Some(d), None) => start.map(|s| s.add_days(d.value - 1)),
        (None, Some(e)) => match JalaliDate::parse(&e.value) {
            Ok(end) => {
                if start.is_some_and(|s| end < s) {
                    cx.error(
                        file,
                        e,
                        format!("phase `{name}` ends before it starts"),
                        format!("مرحلهٔ {} پیش از آغازش پایان می‌یابد", quoted(name)),
                    );
                }
                Some(end)
            }
            Err(err) => {
                cx.error(file, e, err.to_string(), err.fa());
                None
            }
        },
        (None, None) => {
            cx.error(
                file,
                located,
                format!("phase `{name}` has no `days:` and no `end:` date"),
                format!(
                    "مرحلهٔ {} نه {} دارد و نه تاریخ {}",
                    quoted(name),
                    quoted("days:"),
                    quoted("end:")
                ),
            );
            None
        }
    }
}

/// Whether each phase starts after the one before it ends (reported where it does not).
fn in_sequence(
    cx: &mut Ctx,
    file: &Path,
    phases: &[(&str, &Located<Item<PhaseSpec>>)],
    periods: &[Option<Period>],
) -> bool {
    let mut ok = true;
    for i in 1..periods.len() {
        if let (Some(a), Some(b)) = (periods[i - 1], periods[i])
            && b.first_day <= a.last_day
        {
            cx.error(
                file,
                phases[i].1,
                format!(
                    "phase `{}` starts on {} before `{}` ends on {}",
                    phases[i].0,
                    b.first_day,
                    phases[i - 1].0,
                    a.last_day
                ),
                format!(
                    "مرحلهٔ {} در {} آغاز می‌شود، پیش از آن که {} در {} پایان یابد",
                    quoted(phases[i].0),
                    num(b.first_day),
                    quoted(phases[i - 1].0),
                    num(a.last_day)
                ),
            );
            ok = false;
        }
    }
    ok
}

/// The correction window after a referral.
fn correction(cx: &mut Ctx, file: &Path, spec: &CalendarSpec) -> Option<Correction> {
    match &spec.correction.value {
        Item::Ok(c) => {
            if c.days.value < 1 || c.days.value > 60 {
                cx.error(
                    file,
                    &c.days,
                    format!("a correction lasts 1 to 60 days, not {}", c.days.value),
                    format!("مهلت اصلاح ۱ تا ۶۰ روز است، نه {}", num(c.days.value)),
                );
            }
            if c.max_referrals.value < 0 || c.max_referrals.value > 10 {
                cx.error(
                    file,
                    &c.max_referrals,
                    format!("max_referrals is 0 to 10, not {}", c.max_referrals.value),
                    format!(
                        "{} از ۰ تا ۱۰ است، نه {}",
                        quoted("max_referrals"),
                        num(c.max_referrals.value)
                    ),
                );
            }
            Some(Correction {
                days: c.days.value,
                max_referrals: c.max_referrals.value.clamp(0, 10) as u32,
            })
        }
        Item::Failed => None,
    }
}
