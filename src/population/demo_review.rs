//! Demo offices that trip the round's review flags: a few filed offices of a generated
//! population are changed so that each flag of the round's `review:` section is raised somewhere,
//! for trying the reviewer's queue and its after-round report on demo data.
//!
//! Deterministic (by position, no random draws), so a seed gives the same population as before
//! except for these offices; `near_boundary` needs no change (some totals always fall near a cut
//! point).

use serde_json::json;

use crate::domain::Fixed;
use crate::engine::{OfficeRecord, Raw};
use crate::rules::RuleSet;
use crate::rules::review::Check;
use crate::rules::ruleset::{Bounds, InputKind, Missing};

/// One office in this many trips the flags of each kind (at offsets 7, 17, 27 and 37).
pub const EVERY: usize = 50;

/// Changes a few filed offices of `records` so each `jump`, `missing`, `outlier` and `formula`
/// flag of `rs` is raised on some of them.
pub fn trip_review_flags(rs: &RuleSet, records: &mut [OfficeRecord]) {
    for (n, r) in records.iter_mut().enumerate().filter(|(_, r)| r.filed) {
        for flag in &rs.review.flags {
            match (&flag.check, n % EVERY) {
                // Last round's value was a third of this round's (past any percent below 200),
                // or, for a flag by amount only, more than the amount less.
                (
                    Check::Jump {
                        input,
                        percent,
                        amount,
                    },
                    7,
                ) => {
                    let def = &rs.inputs[*input];
                    let Some(now) = number(r.inputs.iter().find(|(k, _)| *k == def.name)) else {
                        continue;
                    };
                    let whole = matches!(def.kind, InputKind::Integer);
                    let before = if percent.is_some_and(|p| p < Fixed::from_int(200)) {
                        now / 3.0
                    } else if let Some(a) = amount {
                        now - f64::try_from(a.to_decimal()).unwrap_or(0.0) - 1.0
                    } else {
                        continue;
                    };
                    let before = if whole {
                        before.floor()
                    } else {
                        (before * 10.0).round() / 10.0
                    };
                    if before > 0.0 {
                        set(&mut r.previous, &def.name, json!(before));
                    }
                }
                // Left empty, where last round's value stands in for it.
                (Check::Missing { input }, 17) => {
                    let def = &rs.inputs[*input];
                    let carried = def.when_missing == Missing::CarryOver
                        && r.previous.iter().any(|(k, _)| *k == def.name);
                    if carried
                        || matches!(def.when_missing, Missing::Default(_) | Missing::ZeroPoints)
                    {
                        r.inputs.retain(|(k, _)| *k != def.name);
                    }
                }
                // Six times its value, within the input's range.
                (Check::Outlier { input, .. }, 27) => {
                    let def = &rs.inputs[*input];
                    if let Some(now) = number(r.inputs.iter().find(|(k, _)| *k == def.name)) {
                        let max = def
                            .range
                            .and_then(Bounds::max)
                            .map_or(f64::MAX, |m| m.to_decimal().try_into().unwrap_or(f64::MAX));
                        let big = (now * 6.0 + 60.0).min(max).round();
                        set(&mut r.inputs, &def.name, json!(big));
                    }
                }
                // The example rounds' condition: more insured staff than staff.
                (Check::Formula(_), 37) => {
                    let staff = number(r.inputs.iter().find(|(k, _)| k == "staff_count"));
                    if let Some(staff) = staff
                        && r.inputs.iter().any(|(k, _)| k == "insured_staff")
                    {
                        set(&mut r.inputs, "insured_staff", json!(staff as i64 + 2));
                    }
                }
                _ => {}
            }
        }
    }
}

fn number(entry: Option<&(String, Raw)>) -> Option<f64> {
    match entry.map(|(_, v)| v) {
        Some(Raw::Json(j)) => j.as_f64(),
        Some(Raw::Text(t)) => t.trim().parse().ok(),
        None => None,
    }
}

fn set(values: &mut Vec<(String, Raw)>, name: &str, v: serde_json::Value) {
    match values.iter_mut().find(|(k, _)| k == name) {
        Some((_, slot)) => *slot = Raw::Json(v),
        None => values.push((name.to_string(), Raw::Json(v))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;
    use crate::engine::triage::assess_all;
    use crate::population::demo::{self, DemoSettings};

    #[test]
    fn demo_offices_trip_every_flag_of_both_example_rounds() {
        for round in ["1400-2", "1401-1"] {
            let rs = crate::rules::load_round(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("rules")
                    .join(round),
            )
            .unwrap_or_else(|d| panic!("{d}"));
            let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).unwrap();
            let settings = DemoSettings {
                offices: 400,
                seed: 7,
                non_filers_percent: 5,
            };
            let plain = demo::generate(&rs, &provinces, &settings);
            let mut tripped = plain.clone();
            trip_review_flags(&rs, &mut tripped);
            let raised = |records: &[OfficeRecord]| -> BTreeSet<String> {
                assess_all(&rs, records)
                    .into_iter()
                    .map(|t| t.expect("every demo office is valid"))
                    .flat_map(|t| t.flags.into_iter().map(|f| f.id))
                    .collect()
            };
            let all: BTreeSet<String> = rs.review.flags.iter().map(|f| f.id.clone()).collect();
            assert_eq!(raised(&tripped), all, "{round}");
            assert_ne!(
                raised(&plain),
                all,
                "{round}: the changes are what trips them"
            );
            let changed = plain.iter().zip(&tripped).filter(|(a, b)| a != b).count();
            assert!(
                changed <= 400 / EVERY * 4 + 4,
                "{round}: only a few offices change ({changed})"
            );
        }
    }

    #[test]
    fn the_after_round_report_on_a_demo_round_credits_each_flag_with_the_corrections_it_predicted()
    {
        let rs =
            crate::rules::load_round(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"))
                .unwrap_or_else(|d| panic!("{d}"));
        let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).unwrap();
        let mut records = demo::generate(
            &rs,
            &provinces,
            &DemoSettings {
                offices: 500,
                seed: 3,
                non_filers_percent: 0,
            },
        );
        trip_review_flags(&rs, &mut records);
        // The corrections are known: the review corrected exactly the offices whose area jumped.
        let changed: Vec<bool> = (0..records.len()).map(|n| n % EVERY == 7).collect();
        let assessed = assess_all(&rs, &records);
        let report = crate::engine::triage::outcomes(&rs, &assessed, &changed);
        let of = |id: &str| report.iter().find(|o| o.id == id).unwrap();
        let jump = of("area_jump");
        assert_eq!(jump.flagged_changed, 500 / EVERY, "{jump:?}");
        assert_eq!(jump.unflagged_changed, 0, "{jump:?}");
        assert_eq!(jump.flagged + jump.unflagged, 500);
        // A flag raised on other offices predicted none of these corrections.
        let formula = of("insured_over_staff");
        assert!(formula.flagged >= 500 / EVERY, "{formula:?}");
        assert_eq!(formula.flagged_changed, 0, "{formula:?}");
        assert_eq!(formula.unflagged_changed, 500 / EVERY);
    }
}
