//! Properties of scoring and ranking over synthetic populations.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;
use crate::domain::{Fixed, Grade};
use crate::population::demo::{self, DemoSettings};
use crate::rules::RuleSet;
use crate::rules::value::Value;

fn round() -> &'static RuleSet {
    static RS: OnceLock<RuleSet> = OnceLock::new();
    RS.get_or_init(|| {
        crate::rules::load_round(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"))
            .unwrap_or_else(|d| panic!("{d}"))
    })
}

fn population(seed: u64, n: usize) -> Vec<Office> {
    let rs = round();
    let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).unwrap();
    demo::generate(
        rs,
        &provinces,
        &DemoSettings {
            offices: n,
            seed,
            non_filers_percent: 5,
        },
    )
    .iter()
    .map(|r| prepare(rs, r).expect("demo offices are valid"))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn positions_in_every_scope_are_a_permutation_of_each_group(seed in 0u64..10_000, n in 1usize..400) {
        let rs = round();
        let offices = population(seed, n);
        let ranking = rank(rs, &offices).unwrap();
        for (si, scope) in rs.ranking.scopes.iter().enumerate() {
            let mut groups: HashMap<String, Vec<u32>> = HashMap::new();
            for (i, o) in offices.iter().enumerate() {
                let key = match scope {
                    crate::rules::model::Scope::Nationwide => String::new(),
                    crate::rules::model::Scope::Region => o.region.to_string(),
                    crate::rules::model::Scope::OfficeKind => o.kind.to_string(),
                    crate::rules::model::Scope::RegionAndKind => format!("{}/{}", o.region, o.kind),
                };
                groups.entry(key).or_default().push(ranking.placements[i].positions[si]);
            }
            for (_, mut positions) in groups {
                positions.sort();
                let expected: Vec<u32> = (1..=positions.len() as u32).collect();
                prop_assert_eq!(positions, expected);
            }
        }
    }

    #[test]
    fn the_same_offices_in_any_order_get_the_same_results(seed in 0u64..10_000, n in 2usize..300, shuffle in any::<u64>()) {
        let rs = round();
        let offices = population(seed, n);
        let first = rank(rs, &offices).unwrap();
        let mut shuffled = offices.clone();
        fastrand::Rng::with_seed(shuffle).shuffle(&mut shuffled);
        let second = rank(rs, &shuffled).unwrap();
        let by_id = |offices: &[Office], r: &Ranking| -> BTreeMap<String, (Option<Fixed>, Placement)> {
            offices.iter().enumerate().map(|(i, o)| (o.id.to_string(), (r.scores.totals[i], r.placements[i].clone()))).collect()
        };
        prop_assert_eq!(by_id(&offices, &first), by_id(&shuffled, &second));
    }

    #[test]
    fn more_area_or_more_years_never_lowers_a_score(seed in 0u64..10_000, extra_area in 0i64..200, extra_years in 0i64..30) {
        let rs = round();
        let area = rs.input_index("area_m2").unwrap();
        let years = rs.input_index("years_active").unwrap();
        for office in population(seed, 20).into_iter().filter(|o| o.filed) {
            let before = score(rs, &office, None).unwrap().total;
            let mut grown = office.clone();
            if let Some(Value::Number(a)) = grown.values[area] {
                grown.values[area] = Some(Value::Number(a.saturating_add(Fixed::from_int(extra_area)).min(Fixed::from_int(5000))));
            }
            if let Some(Value::Number(y)) = grown.values[years] {
                grown.values[years] = Some(Value::Number(y.saturating_add(Fixed::from_int(extra_years))));
            }
            prop_assert!(score(rs, &grown, None).unwrap().total >= before);
        }
    }
}

#[test]
fn grades_follow_the_cut_points_and_non_filers_get_the_lowest() {
    let rs = round();
    let offices = population(7, 2000);
    let ranking = rank(rs, &offices).unwrap();
    let mut counts = [0; 3];
    for (i, p) in ranking.placements.iter().enumerate() {
        counts[p.grade.index()] += 1;
        match ranking.scores.totals[i] {
            None => {
                assert!(!offices[i].filed);
                assert_eq!(p.grade, Grade::LOWEST);
                assert_eq!(p.service_share, Fixed::from_int(30));
            }
            Some(t) => {
                let expected = if t >= Fixed::from_int(60) {
                    1
                } else if t >= Fixed::from_int(35) {
                    2
                } else {
                    3
                };
                assert_eq!(p.grade.get(), expected, "total {t}");
                let share = [100, 70, 30][expected as usize - 1];
                assert_eq!(p.service_share, Fixed::from_int(share));
                if expected > 1 {
                    let cut = [60, 35][expected as usize - 2];
                    assert_eq!(
                        p.to_next_grade,
                        Some(Fixed::from_int(cut).saturating_sub(t))
                    );
                }
            }
        }
    }
    // Shaped like the published distributions: most offices in grades 1 and 2, few in grade 3.
    assert!(
        counts[0] > counts[2] * 3 && counts[1] > counts[2] * 3,
        "{counts:?}"
    );
}

#[test]
fn ties_are_broken_by_the_association_criterion_then_years_then_license_number() {
    let rs = round();
    let mut offices = population(11, 3);
    for o in &mut offices {
        o.filed = true;
    }
    // Make the three offices score the same total but differ in the tie-break fields.
    let template = offices[0].clone();
    let assoc = rs.input_index("association_score").unwrap();
    let sat = rs.input_index("satisfaction_percent").unwrap();
    let years = rs.input_index("years_active").unwrap();
    for (i, o) in offices.iter_mut().enumerate() {
        let id = o.id.clone();
        let region = o.region;
        *o = template.clone();
        o.id = id;
        o.region = region;
        o.values[years] = Some(Value::Number(Fixed::from_int(5)));
        if i == 1 {
            // +10 association (1.5 points) and −3.75 satisfaction (−1.5 points): same total.
            let Some(Value::Number(a)) = o.values[assoc] else {
                panic!()
            };
            let Some(Value::Number(s)) = o.values[sat] else {
                panic!()
            };
            o.values[assoc] = Some(Value::Number(a.saturating_sub(Fixed::from_int(10))));
            o.values[sat] = Some(Value::Number(s.saturating_add("3.75".parse().unwrap())));
        }
    }
    let ranking = rank(rs, &offices).unwrap();
    let totals: Vec<_> = ranking.scores.totals.iter().map(|t| t.unwrap()).collect();
    assert!(totals.iter().all(|t| *t == totals[0]), "{totals:?}");
    let nationwide: Vec<u32> = ranking.placements.iter().map(|p| p.positions[0]).collect();
    // Offices 0 and 2 are identical but for the license number; office 1 has less association.
    let (first, second) = if offices[0].id < offices[2].id {
        (0, 2)
    } else {
        (2, 0)
    };
    assert_eq!(nationwide[first], 1);
    assert_eq!(nationwide[second], 2);
    assert_eq!(nationwide[1], 3);
}

#[test]
fn last_rounds_values_count_only_where_they_are_carried_over() {
    let rs = round();
    let record = |previous: Vec<(&str, &str)>| OfficeRecord {
        id: crate::domain::OfficeId::parse("P-1").unwrap(),
        kind: crate::domain::OfficeKind::Pishkhan,
        region: crate::domain::RegionId::new(1).unwrap(),
        province: String::new(),
        filed: true,
        inputs: [
            ("area_m2", "50"),
            ("staff_count", "2"),
            ("location_type", "urban"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
        .collect(),
        previous: previous
            .into_iter()
            .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
            .collect(),
    };
    // years_active is carried over; an input the round no longer has is ignored.
    let office = prepare(
        rs,
        &record(vec![
            ("years_active", "6"),
            ("removed_input", "x"),
            ("area_m2", "999999"),
        ]),
    )
    .unwrap();
    let years = rs.input_index("years_active").unwrap();
    assert_eq!(
        office.values[years],
        Some(Value::Number(Fixed::from_int(6)))
    );
    assert!(office.carried_over[years]);
    // An unusable previous value for a carried-over input is an error naming `previous.`.
    let err = prepare(rs, &record(vec![("years_active", "99")])).unwrap_err();
    assert_eq!(err.errors[0].field, "previous.years_active");
}
