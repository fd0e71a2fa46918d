//! Simulations checked against full scoring and independently computed expectations.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;
use crate::engine::rank::score_all;
use crate::engine::{OfficeRecord, prepare};
use crate::population::demo::{self, DemoSettings};
use crate::rules::model::NonFilerPolicy;

fn dir(round: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .join(round)
}

fn load(round: &str) -> RuleSet {
    crate::rules::load_round(&dir(round)).unwrap_or_else(|d| panic!("{d}"))
}

/// The baseline rules, loaded once (a fresh copy is loaded for every candidate).
fn base() -> &'static RuleSet {
    static RS: OnceLock<RuleSet> = OnceLock::new();
    RS.get_or_init(|| load("1400-2"))
}

fn records(n: usize, seed: u64) -> Vec<OfficeRecord> {
    let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).unwrap();
    demo::generate(
        base(),
        &provinces,
        &DemoSettings {
            offices: n,
            seed,
            non_filers_percent: 5,
        },
    )
}

fn prepared(rs: &RuleSet, records: &[OfficeRecord]) -> Vec<Office> {
    records
        .iter()
        .map(|r| prepare(rs, r).expect("demo offices are valid"))
        .collect()
}

/// A 1500-office population of 1400-2, with non-filers and violations.
fn population() -> &'static (Vec<OfficeRecord>, Vec<Office>) {
    static P: OnceLock<(Vec<OfficeRecord>, Vec<Office>)> = OnceLock::new();
    P.get_or_init(|| {
        let r = records(1500, 7);
        let o = prepared(base(), &r);
        (r, o)
    })
}

fn candidate(overrides: &[&str]) -> RuleSet {
    let mut rs = load("1400-2");
    let parsed: Vec<Override> = overrides
        .iter()
        .map(|o| Override::parse(o).unwrap())
        .collect();
    overrides::apply(&mut rs, &parsed).unwrap_or_else(|e| panic!("{overrides:?}: {e:?}"));
    rs
}

fn assert_rescore_equals_score_all(base_rs: &RuleSet, cand: &RuleSet, what: &str) {
    let (records, base_offices) = population();
    let cand_offices = if same_inputs(base_rs, cand) {
        base_offices.clone()
    } else {
        prepared(cand, records)
    };
    let base_table = score_all(base_rs, base_offices).unwrap();
    let fast = rescore(&base_table, base_rs, cand, &cand_offices).unwrap();
    let full = score_all(cand, &cand_offices).unwrap();
    assert!(fast == full, "{what}: rescoring differs from full scoring");
    // And the placements that follow from it.
    assert_eq!(
        place(cand, &cand_offices, &fast),
        place(cand, &cand_offices, &full),
        "{what}"
    );
}

#[test]
fn rescoring_equals_full_scoring_for_every_kind_of_override() {
    let cases: &[&[&str]] = &[
        &["weight:area=3"],
        &["weight:personnel=0"],
        &["weight:association=1.25"],
        &["max_points:area=8"],
        &["max_points:satisfaction=25"],
        &["max_points:satisfaction=12"],
        &["max_points:location=10"],
        &["max_points:personnel=30"],
        &["points:overcharging=-8"],
        &["points:no_accessibility=0"],
        &["cap:overcharging=-6"],
        &["cap:forged_documents=none"],
        &["cut:grade_1=55"],
        &["cut:grade_2=30"],
        &["cut:grade_1=30", "cut:grade_2=20"],
        &["service_share:grade_2=60"],
        &["fragile_margin=2.5"],
        &["scope=nationwide"],
        &["scope=office_kind", "cut:grade_1=50"],
        &[
            "weight:area=2",
            "cap:overcharging=-10",
            "cut:grade_1=58",
            "max_points:holder_history=6",
        ],
    ];
    for overrides in cases {
        let cand = candidate(overrides);
        assert_rescore_equals_score_all(base(), &cand, &format!("{overrides:?}"));
    }
}

#[test]
fn a_weight_or_cut_change_reuses_every_criterion_and_penalty() {
    for o in ["weight:area=3", "cut:grade_1=55", "fragile_margin=3"] {
        let plan = Plan::new(base(), &candidate(&[o]));
        assert!(plan.reevaluated(base()).is_empty(), "{o}");
        assert!(plan.recomputed_penalties(base()).is_empty(), "{o}");
        assert!(!plan.score_non_filers);
    }
    let cand = candidate(&["max_points:area=8"]);
    assert_eq!(Plan::new(base(), &cand).reevaluated(&cand), ["area"]);
    let cand = candidate(&["cap:overcharging=-6"]);
    let plan = Plan::new(base(), &cand);
    assert!(plan.reevaluated(&cand).is_empty());
    assert_eq!(plan.recomputed_penalties(&cand), ["overcharging"]);
}

#[test]
fn rescoring_equals_full_scoring_with_the_next_round_as_candidate() {
    let cand = load("1401-1");
    assert_rescore_equals_score_all(base(), &cand, "1401-1");
    let plan = Plan::new(base(), &cand);
    // Weights changed for area and association (reused); the script file and the new criterion
    // are evaluated again.
    assert_eq!(plan.reevaluated(&cand), ["location", "e_services"]);
    assert!(plan.recomputed_penalties(&cand).is_empty());
    // And the other way round: a criterion removed.
    assert_rescore_equals_score_all(&cand, base(), "1401-1 → 1400-2 (from 1400-2 offices)");
}

#[test]
fn rescoring_follows_a_change_of_non_filer_policy_and_rounding() {
    let mut cand = load("1400-2");
    cand.grading.non_filers = NonFilerPolicy::ScoreCarriedOver;
    assert!(Plan::new(base(), &cand).score_non_filers);
    assert_rescore_equals_score_all(base(), &cand, "non-filers scored");
    assert_rescore_equals_score_all(&cand, base(), "non-filers in the lowest grade again");

    let mut cand = load("1400-2");
    cand.ranking.decimals = 0;
    cand.ranking.rounding = RoundingMode::HalfEven;
    assert_rescore_equals_score_all(base(), &cand, "rounding");
}

#[test]
fn rescoring_equals_full_scoring_when_grading_by_shares() {
    let mut cand = load("1400-2");
    cand.grading.method = GradeMethod::Shares {
        grade_1: Fixed::from_int(58),
        grade_2: Fixed::from_int(40),
    };
    assert_rescore_equals_score_all(base(), &cand, "shares");
    let o = Override::parse("share:grade_1=50").unwrap();
    overrides::apply(&mut cand, &[o]).unwrap();
    assert_rescore_equals_score_all(base(), &cand, "shares 50/40");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, .. ProptestConfig::default() })]

    #[test]
    fn rescoring_equals_full_scoring_for_random_overrides(
        weight in 0i64..=30_000,
        criterion in 0usize..7,
        max_points in 1i64..=40,
        penalty in 0usize..4,
        points in -30i64..=0,
        cap in prop::option::of(-60i64..=0),
    ) {
        let rs = base();
        let overrides = vec![
            format!("weight:{}={}", rs.criteria[criterion].id, Fixed::from_raw(weight)),
            format!("max_points:{}={max_points}", rs.criteria[(criterion + 3) % 7].id),
            format!("points:{}={points}", rs.penalties[penalty].id),
            format!(
                "cap:{}={}",
                rs.penalties[(penalty + 1) % 4].id,
                cap.map_or("none".to_string(), |c| c.to_string())
            ),
        ];
        let refs: Vec<&str> = overrides.iter().map(String::as_str).collect();
        let cand = candidate(&refs);
        assert_rescore_equals_score_all(rs, &cand, &format!("{overrides:?}"));
    }
}

#[test]
fn an_identical_candidate_changes_nothing() {
    let (_, offices) = population();
    let baseline = Baseline::new(base(), offices).unwrap();
    let cand = load("1400-2");
    let sim = simulate(&baseline, &cand, offices, &Options::default()).unwrap();
    assert!(sim.changes.is_empty(), "{:?}", sim.changes);
    assert!(sim.top_movers.is_empty());
    for (g, row) in sim.transitions.iter().enumerate() {
        for (h, n) in row.iter().enumerate() {
            if g != h {
                assert_eq!(*n, 0, "{g}→{h}");
            }
        }
    }
    let zero = sim.movement.iter().find(|b| b.label == "0").unwrap();
    assert_eq!(zero.count, offices.len());
    assert_eq!(sim.summary.totals_changed, 0);
    assert_eq!(sim.summary.grades_changed, 0);
    assert_eq!(sim.summary.grades_old, sim.summary.grades_new);
    assert_eq!(sim.summary.mean_total_old, sim.summary.mean_total_new);
    assert!(sim.work.reevaluated_criteria.is_empty());
}

#[test]
fn a_doubled_weight_moves_exactly_the_offices_with_points_for_it() {
    let (_, offices) = population();
    let baseline = Baseline::new(base(), offices).unwrap();
    let cand = candidate(&["weight:area=3"]);
    let sim = simulate(&baseline, &cand, offices, &Options::default()).unwrap();
    let area = base().criterion_index("area").unwrap();
    let cuts = |t: Fixed| {
        if t >= Fixed::from_int(60) {
            1
        } else if t >= Fixed::from_int(35) {
            2
        } else {
            3
        }
    };
    let mut transitions = [[0usize; 3]; 3];
    for (i, o) in sim.offices.iter().enumerate() {
        let points = baseline.ranking.scores.points_of(i)[area];
        match baseline.ranking.scores.totals[i] {
            // Area points are whole numbers: 1.5 more each, exactly, whatever the rounding.
            Some(old) => {
                let new = old.saturating_add(points.mul(Fixed::from_raw(15_000)));
                assert_eq!(o.new_total, Some(new), "{}", o.office);
                assert_eq!(o.new_grade.get(), cuts(new), "{}", o.office);
            }
            None => assert_eq!(o.new_total, None),
        }
        transitions[o.old_grade.index()][o.new_grade.index()] += 1;
    }
    assert_eq!(sim.transitions, transitions);
    assert_eq!(
        sim.summary.totals_changed,
        (0..offices.len())
            .filter(|&i| {
                baseline.ranking.scores.totals[i].is_some()
                    && baseline.ranking.scores.points_of(i)[area] > Fixed::ZERO
            })
            .count()
    );
    // Nobody's grade gets worse when only a weight grows; somebody's gets better.
    assert_eq!(transitions[0][1] + transitions[0][2] + transitions[1][2], 0);
    assert!(sim.summary.grades_up > 0);
    // The reasons add up to each mover's change, and name the criterion.
    for m in &sim.top_movers {
        let delta = m.new_total.unwrap().saturating_sub(m.old_total.unwrap());
        let sum = m
            .reasons
            .iter()
            .fold(Fixed::ZERO, |s, r| s.saturating_add(r.delta));
        assert_eq!(sum, delta, "{}", m.office);
        if delta != Fixed::ZERO {
            assert_eq!(m.reasons[0].id, "area");
            assert_eq!(m.reasons[0].old_weight, Some(Fixed::from_raw(15_000)));
            assert_eq!(m.reasons[0].new_weight, Some(Fixed::from_int(3)));
        }
    }
    assert_eq!(
        sim.changes,
        vec![RuleChange {
            section: "criterion",
            id: "area".into(),
            label: Some(base().criteria[area].label.clone()),
            field: "weight".into(),
            old: Some("1.5".into()),
            new: Some("3".into()),
        }]
    );
}

#[test]
fn a_simulation_agrees_with_ranking_the_candidate_from_scratch() {
    let (_, offices) = population();
    let baseline = Baseline::new(base(), offices).unwrap();
    let cand = candidate(&[
        "weight:satisfaction=2",
        "cap:overcharging=-5",
        "scope=nationwide",
    ]);
    let sim = simulate(&baseline, &cand, offices, &Options { top_movers: 50 }).unwrap();
    let fresh = rank(&cand, offices).unwrap();
    let national = cand
        .ranking
        .scopes
        .iter()
        .position(|s| *s == Scope::Nationwide)
        .unwrap();
    for (i, o) in sim.offices.iter().enumerate() {
        assert_eq!(o.new_total, fresh.scores.totals[i]);
        assert_eq!(o.new_grade, fresh.placements[i].grade);
        assert_eq!(o.new_national, fresh.placements[i].positions[national]);
        assert_eq!(o.new_position, fresh.placements[i].positions[national]);
        assert_eq!(o.old_grade, baseline.ranking.placements[i].grade);
    }
    assert_eq!(sim.top_movers.len(), 50);
    let moves: Vec<i64> = sim.top_movers.iter().map(|m| m.movement.abs()).collect();
    assert!(moves.windows(2).all(|w| w[0] >= w[1]), "{moves:?}");
    let counted: usize = sim.movement.iter().map(|b| b.count).sum();
    assert_eq!(counted, offices.len());
    let per_region: usize = sim.by_region.iter().map(|g| g.offices).sum();
    assert_eq!(per_region, offices.len());
    let per_kind: [usize; 3] = sim.by_kind.iter().fold([0; 3], |mut acc, g| {
        for (a, n) in acc.iter_mut().zip(g.new) {
            *a += n;
        }
        acc
    });
    assert_eq!(per_kind, sim.summary.grades_new);
}

#[test]
fn a_cut_point_change_moves_exactly_the_offices_between_the_cuts() {
    let (_, offices) = population();
    let baseline = Baseline::new(base(), offices).unwrap();
    let cand = candidate(&["cut:grade_1=55"]);
    let sim = simulate(&baseline, &cand, offices, &Options::default()).unwrap();
    for o in &sim.offices {
        let between = o
            .old_total
            .is_some_and(|t| t >= Fixed::from_int(55) && t < Fixed::from_int(60));
        assert_eq!(o.old_grade != o.new_grade, between, "{}", o.office);
        if between {
            assert_eq!((o.old_grade.get(), o.new_grade.get()), (2, 1));
        }
        assert_eq!(o.movement, 0);
        assert_eq!(o.old_total, o.new_total);
    }
    assert!(sim.summary.grades_up > 0);
    assert!(sim.top_movers.iter().all(|m| m.reasons[0].kind == "others"));
    // Fragile offices are within the margin (1) of 55 or 35, closest first.
    assert!(!sim.fragile.is_empty());
    for f in &sim.fragile {
        assert!(f.distance.unwrap() < Fixed::ONE, "{f:?}");
    }
    assert!(
        sim.fragile
            .windows(2)
            .all(|w| w[0].distance <= w[1].distance)
    );
}

/// The problems with one override on round 1400-2, joined, in both languages.
fn override_problems(o: &str) -> crate::domain::Label {
    let mut rs = load("1400-2");
    match Override::parse(o) {
        Err(e) => e,
        Ok(o) => {
            let all = overrides::apply(&mut rs, &[o]).unwrap_err();
            let join = |f: fn(&crate::domain::Label) -> &str| {
                all.iter().map(f).collect::<Vec<_>>().join("; ")
            };
            crate::domain::Label::new(join(|l| &l.fa), join(|l| &l.en))
        }
    }
}

/// Settings and sweeps that are refused, one for each kind of problem.
const REFUSED: [&str; 16] = [
    "weight:aera=2",
    "cap:overcharge=-5",
    "weight:area=101",
    "weight:area=-1",
    "points:overcharging=5",
    "cap:overcharging=5",
    "cut:grade_1=30",
    "share:grade_1=50",
    "cut:grade_3=10",
    "scope=region_and_kind",
    "weight=2",
    "colour:area=2",
    "weight:area",
    "weight:area=1.23456",
    "service_share:grade_3=80",
    "fragile_margin=-1",
];

#[test]
fn refused_overrides_and_sweeps_are_told_wholly_in_persian_with_the_english_facts() {
    let mut labels: Vec<(String, crate::domain::Label)> = REFUSED
        .iter()
        .map(|o| (o.to_string(), override_problems(o)))
        .collect();
    for s in [
        "weight:area",
        "scope=0:1:1",
        "weight:area=0:3",
        "weight:area=0:3:0",
        "weight:area=3:0:0.25",
        "weight:area=0:100000:0.0001",
        "weight:area=0:x:1",
    ] {
        labels.push((s.to_string(), SweepSpec::parse(s).unwrap_err()));
    }
    for (what, label) in labels {
        assert_eq!(
            crate::domain::persian_problem(&label.fa),
            None,
            "{what}: {}",
            label.fa
        );
        assert_eq!(
            crate::domain::label::numbers_differ(&label),
            None,
            "{what}: {} / {}",
            label.fa,
            label.en
        );
    }
    assert!(override_problems("weight:aera=2").fa.contains("«area»"));
}

#[test]
fn overrides_are_checked_like_rule_files() {
    let err = |o: &str| override_problems(o).en;
    assert!(
        err("weight:aera=2").contains("there is no criterion `aera` (did you mean `area`?)"),
        "{}",
        err("weight:aera=2")
    );
    assert!(err("cap:overcharge=-5").contains("did you mean `overcharging`?"));
    assert!(err("weight:area=101").contains("weights run from 0 to 100"));
    assert!(err("weight:area=-1").contains("weights run from 0 to 100"));
    assert!(err("points:overcharging=5").contains("must be negative"));
    assert!(err("cap:overcharging=5").contains("must be negative"));
    assert!(err("cut:grade_1=30").contains("grade 1 needs more points than grade 2"));
    assert!(err("share:grade_1=50").contains("this round grades by cut points"));
    assert!(err("cut:grade_3=10").contains("use cut:grade_1 or cut:grade_2"));
    assert!(err("scope=region_and_kind").contains("this round ranks in"));
    assert!(err("weight=2").contains("needs a criterion id"));
    assert!(err("colour:area=2").contains("is not a setting"));
    assert!(err("weight:area").contains("is not KEY=VALUE"));
    assert!(err("weight:area=1.23456").contains("more than four decimal places"));
    assert!(err("service_share:grade_3=80").contains("a better grade must allow"));
    let mut rs = load("1401-1");
    let o = Override::parse("cut:grade_1=50").unwrap();
    assert!(
        overrides::apply(&mut rs, &[o]).unwrap_err()[0]
            .en
            .contains("use `share:grade_1`"),
        "shares round"
    );
    let o = Override::parse("cap:overcharging=none").unwrap();
    assert_eq!(o.to_string(), "cap:overcharging=none");
}

#[test]
fn a_sweep_counts_grades_at_every_step_and_leaves_the_candidate_as_it_was() {
    let (_, offices) = population();
    let baseline = Baseline::new(base(), offices).unwrap();
    let mut cand = load("1400-2");
    let spec = SweepSpec::parse("weight:area=0:3:0.25").unwrap();
    assert_eq!(spec.values().len(), 13);
    assert_eq!(spec.values()[6], Fixed::from_raw(15_000));
    let s = sweep(&baseline, &mut cand, offices, &spec).unwrap();
    assert_eq!(cand.criteria[0].weight, Fixed::from_raw(15_000));
    assert_eq!(s.current, "1.5");
    assert_eq!(s.steps.len(), 13);
    let at_now = &s.steps[6];
    assert_eq!(at_now.grades, Some(s.baseline_grades));
    assert_eq!(at_now.grades_changed, Some(0));
    // More weight on a criterion with points ≥ 0 never lowers a total.
    let g1: Vec<usize> = s.steps.iter().map(|x| x.grades.unwrap()[0]).collect();
    assert!(g1.windows(2).all(|w| w[0] <= w[1]), "{g1:?}");
    let means: Vec<Fixed> = s.steps.iter().map(|x| x.mean_total.unwrap()).collect();
    assert!(means.windows(2).all(|w| w[0] <= w[1]), "{means:?}");
    for x in &s.steps {
        assert_eq!(x.grades.unwrap().iter().sum::<usize>(), offices.len());
    }

    // Steps the rules refuse are reported, not fatal.
    let spec = SweepSpec::parse("cut:grade_1=30:40:5").unwrap();
    let s = sweep(&baseline, &mut cand, offices, &spec).unwrap();
    assert!(
        s.steps[0]
            .error
            .as_ref()
            .unwrap()
            .contains("grade 1 needs more")
    );
    assert!(s.steps[1].error.is_some());
    assert!(s.steps[2].grades.is_some());
    assert!(SweepSpec::parse("weight:area=3:0:0.25").is_err());
    assert!(SweepSpec::parse("weight:area=0:3:0").is_err());
    assert!(SweepSpec::parse("scope=0:1:1").is_err());
    assert!(SweepSpec::parse("weight:area=0:100000:0.0001").is_err());
}

#[test]
fn the_diff_of_two_rounds_lists_their_changes_in_business_terms() {
    let changes = diff(base(), &load("1401-1"));
    let find = |section: &str, id: &str, field: &str| {
        changes
            .iter()
            .find(|c| c.section == section && c.id == id && c.field == field)
            .unwrap_or_else(|| panic!("{section} {id} {field} in {changes:#?}"))
    };
    let pair = |c: &RuleChange| {
        (
            c.old.clone().unwrap_or_default(),
            c.new.clone().unwrap_or_default(),
        )
    };
    assert_eq!(
        pair(find("criterion", "area", "weight")),
        ("1.5".into(), "1".into())
    );
    assert_eq!(
        pair(find("criterion", "association", "weight")),
        ("1".into(), "1.5".into())
    );
    let added = find("criterion", "e_services", "added");
    assert!(added.old.is_none());
    assert!(
        added
            .new
            .as_ref()
            .unwrap()
            .contains("bands on electronic_share_percent: <20: 0 · 20–50: 4"),
        "{added:?}"
    );
    assert_eq!(
        pair(find("criterion", "location", "script location.rhai")),
        ("line 12: 5".into(), "line 14: 6".into())
    );
    find("input", "electronic_share_percent", "added");
    assert_eq!(
        pair(find("grading", "", "method")),
        (
            "cut points: grade 1 ≥ 60, grade 2 ≥ 35".into(),
            "shares: grade 1 58%, grade 2 40%".into()
        )
    );
    find("calendar", "", "self_declaration");
    find("round", "", "version");
    assert!(
        changes.iter().all(|c| c.section != "penalty"),
        "{changes:#?}"
    );
    // Only real changes: nothing for the unchanged criteria.
    assert!(changes.iter().all(|c| c.id != "personnel"));
}

#[test]
fn overrides_show_in_the_diff_like_file_edits() {
    let cand = candidate(&[
        "cap:overcharging=none",
        "points:forged_documents=-25",
        "cut:grade_2=30",
        "max_points:satisfaction=25",
    ]);
    let changes = diff(base(), &cand);
    let got: Vec<(String, String, Option<String>, Option<String>)> = changes
        .iter()
        .map(|c| (c.id.clone(), c.field.clone(), c.old.clone(), c.new.clone()))
        .collect();
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        got,
        vec![
            ("satisfaction".into(), "max_points".into(), s("20"), s("25")),
            ("satisfaction".into(), "linear.cap".into(), s("20"), s("25")),
            ("overcharging".into(), "cap".into(), s("-30"), s("none")),
            (
                "forged_documents".into(),
                "points".into(),
                s("-20"),
                s("-25")
            ),
            ("".into(), "cut_points.grade_2".into(), s("35"), s("30")),
        ]
    );
}

#[test]
fn the_histogram_buckets_every_movement_once() {
    let b = histogram([-5000, -1000, -999, -1, 0, 0, 1, 9, 10, 999, 1000].into_iter());
    let counts: Vec<usize> = b.iter().map(|b| b.count).collect();
    assert_eq!(counts, [2, 1, 0, 1, 2, 2, 1, 1, 1]);
    assert_eq!(b[0].label, "≤ −1000");
    assert_eq!(b[3].label, "−9 … −1");
    assert_eq!(b[8].label, "≥ +1000");
}

#[test]
fn means_round_half_away_from_zero_to_two_decimals() {
    let f = |s: &str| Some(s.parse::<Fixed>().unwrap());
    assert_eq!(mean(&[f("1"), f("2"), None]), f("1.5"));
    assert_eq!(mean(&[f("1"), f("1"), f("2")]), f("1.33"));
    assert_eq!(mean(&[None]), None);
}
