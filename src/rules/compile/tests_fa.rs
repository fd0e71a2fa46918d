//! Every diagnostic in Persian, with its own facts: for each family of diagnostic (YAML, calendar,
//! grading, penalties, criteria of each kind, sections, rule tests, duplicate ids, the review
//! section) a small broken round gives a diagnostic whose Persian message and hint are wholly
//! Persian (identifiers inside «», Persian digits), name what the English names and state the
//! same numbers. Every other diagnostic the broken rounds give is held to the same rule.

use super::load_round;
use crate::domain::label::numbers_differ;
use crate::domain::{Label, persian_problem};
use crate::rules::diagnostic::Diagnostic;
use crate::rules::test_support::{edit, example};

/// One mistake and what its diagnostic must say.
struct Case {
    /// The family of diagnostic, for failure messages.
    what: &'static str,
    /// Edits to the example round: (file, old text, new text).
    edits: &'static [(&'static str, &'static str, &'static str)],
    /// Words of the English message that pick the diagnostic.
    english: &'static str,
    /// Identifiers the Persian message names, each inside «».
    names: &'static [&'static str],
    /// Identifiers the Persian hint names, each inside «».
    hint_names: &'static [&'static str],
    /// A number or date the Persian message states, in Persian digits ("" when it states none).
    number: &'static str,
}

const CASES: &[Case] = &[
    // ------------------------------------------------------------------ YAML
    Case {
        what: "yaml syntax",
        edits: &[("criteria.yaml", "    weight: 1.5\n", "    weight: [1.5\n")],
        english: "YAML syntax",
        names: &["YAML"],
        hint_names: &["]"],
        number: "",
    },
    Case {
        what: "yaml unknown key",
        edits: &[("criteria.yaml", "    weight: 1.5\n", "    wieght: 1.5\n")],
        english: "unknown key `wieght`",
        names: &["wieght"],
        hint_names: &["weight"],
        number: "",
    },
    Case {
        what: "yaml not a number",
        edits: &[("criteria.yaml", "    weight: 1.5\n", "    weight: heavy\n")],
        english: "`heavy` is not a number",
        names: &["heavy"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "yaml value not allowed",
        edits: &[(
            "inputs.yaml",
            "    type: decimal\n    range: [0, 100]\n    supplied_by: region",
            "    type: decimel\n    range: [0, 100]\n    supplied_by: region",
        )],
        english: "`decimel` is not a valid input type",
        names: &["decimel"],
        hint_names: &["decimal"],
        number: "",
    },
    Case {
        what: "yaml list of one value",
        edits: &[(
            "round.yaml",
            "  scopes: [nationwide, region, office_kind]",
            "  scopes: nationwide",
        )],
        english: "expected a list",
        names: &[],
        hint_names: &[],
        number: "",
    },
    // ------------------------------------------------------------------ calendar
    Case {
        what: "calendar: a phase too long",
        edits: &[(
            "round.yaml",
            "    start: 1400/01/17\n    days: 20",
            "    start: 1400/01/17\n    days: 400",
        )],
        english: "a phase lasts 1 to 366 days, not 400",
        names: &[],
        hint_names: &[],
        number: "۴۰۰",
    },
    Case {
        what: "calendar: not a phase",
        edits: &[(
            "round.yaml",
            "  regional_review:\n    after: self_declaration",
            "  regional_review:\n    after: self_declaraton",
        )],
        english: "`self_declaraton` is not a phase",
        names: &["self_declaraton"],
        hint_names: &["self_declaration"],
        number: "",
    },
    Case {
        what: "calendar: no such date",
        edits: &[(
            "round.yaml",
            "    start: 1400/01/17",
            "    start: 1400/13/01",
        )],
        english: "does not exist in the Solar Hijri calendar",
        names: &[],
        hint_names: &[],
        number: "۱۴۰۰/۱۳/۰۱",
    },
    Case {
        what: "calendar: phases overlap",
        edits: &[(
            "round.yaml",
            "  publication:\n    after: regional_review",
            "  publication:\n    start: 1400/02/10",
        )],
        english: "phase `publication` starts on 1400/02/10 before `regional_review` ends",
        names: &["publication", "regional_review"],
        hint_names: &[],
        number: "۱۴۰۰/۰۲/۱۰",
    },
    Case {
        what: "calendar: correction too long",
        edits: &[(
            "round.yaml",
            "    days: 5\n    max_referrals: 1",
            "    days: 90\n    max_referrals: 1",
        )],
        english: "a correction lasts 1 to 60 days, not 90",
        names: &[],
        hint_names: &[],
        number: "۹۰",
    },
    // ------------------------------------------------------------------ grading
    Case {
        what: "grading: cut points reversed",
        edits: &[(
            "round.yaml",
            "    grade_1: 60      #",
            "    grade_1: 30      #",
        )],
        english: "grade 1 needs more points than grade 2 (30 ≤ 35)",
        names: &[],
        hint_names: &[],
        number: "۳۰",
    },
    Case {
        what: "grading: service share over 100",
        edits: &[("round.yaml", "    grade_3: 30", "    grade_3: 130")],
        english: "a service share is a percent from 0 to 100, not 130",
        names: &[],
        hint_names: &[],
        number: "۱۳۰",
    },
    Case {
        what: "grading: scope not ranked",
        edits: &[(
            "round.yaml",
            "  scopes: [nationwide, region, office_kind]",
            "  scopes: [nationwide, office_kind]",
        )],
        english: "grades are given per `region` but ranking.scopes does not list it",
        names: &["region", "ranking.scopes"],
        hint_names: &["ranking.scopes"],
        number: "",
    },
    // ------------------------------------------------------------------ ranking
    Case {
        what: "ranking: too many decimals",
        edits: &[("round.yaml", "    decimals: 2", "    decimals: 9")],
        english: "totals keep at most 4 decimals, not 9",
        names: &[],
        hint_names: &[],
        number: "۹",
    },
    Case {
        what: "ranking: the license number as a tie-break",
        edits: &[(
            "round.yaml",
            "    - input years_active\n",
            "    - input license_no\n",
        )],
        english: "`license_no` is not a declared input",
        names: &["license_no"],
        hint_names: &["office_id"],
        number: "",
    },
    // ------------------------------------------------------------------ penalties
    Case {
        what: "penalty: positive points",
        edits: &[("penalties.yaml", "    points: -20\n", "    points: 20\n")],
        english: "penalty points must be negative, found 20",
        names: &[],
        hint_names: &[],
        number: "۲۰",
    },
    Case {
        what: "penalty: positive cap",
        edits: &[("penalties.yaml", "    cap: -30", "    cap: 30")],
        english: "the cap must be negative (the most taken off), found 30",
        names: &[],
        hint_names: &[],
        number: "۳۰",
    },
    Case {
        what: "penalty: positive repeat points",
        edits: &[(
            "penalties.yaml",
            "    repeat_points: [-8, -12]",
            "    repeat_points: [-8, 12]",
        )],
        english: "repeat points must be negative, found 12",
        names: &[],
        hint_names: &[],
        number: "۱۲",
    },
    // ------------------------------------------------------------------ criteria: common, linear
    Case {
        what: "criterion: weight out of range",
        edits: &[("criteria.yaml", "    weight: 1.5\n", "    weight: 150\n")],
        english: "weight 150 is out of range",
        names: &[],
        hint_names: &[],
        number: "۱۵۰",
    },
    Case {
        what: "criterion: two ways of scoring",
        edits: &[(
            "criteria.yaml",
            "    formula: \"min(staff_count",
            "    linear: { input: staff_count, points_per_unit: 1 }\n    formula: \"min(staff_count",
        )],
        english: "criterion `personnel` must have exactly one of",
        names: &["personnel", "bands"],
        hint_names: &[],
        number: "۲",
    },
    Case {
        what: "linear: cap above max_points",
        edits: &[(
            "criteria.yaml",
            "      points_per_unit: 1\n      cap: 10",
            "      points_per_unit: 1\n      cap: 12",
        )],
        english: "the cap 12 is outside 0 to max_points (10)",
        names: &["max_points"],
        hint_names: &[],
        number: "۱۲",
    },
    Case {
        what: "bands: a number input needed",
        edits: &[(
            "criteria.yaml",
            "      input: area_m2\n",
            "      input: location_type\n",
        )],
        english: "`location_type` is choice, but this needs a number",
        names: &["location_type"],
        hint_names: &["lookup"],
        number: "",
    },
    // ------------------------------------------------------------------ lookup
    Case {
        what: "lookup: not a value of the input",
        edits: &[LOOKUP],
        english: "`suburb` is not a value of `location_type`",
        names: &["suburb", "location_type"],
        hint_names: &["suburban"],
        number: "",
    },
    Case {
        what: "lookup: points above max_points",
        edits: &[LOOKUP],
        english: "20 points is outside 0 to max_points (10)",
        names: &["max_points"],
        hint_names: &[],
        number: "۲۰",
    },
    Case {
        what: "lookup: values without points",
        edits: &[LOOKUP],
        english: "the lookup gives no points for: suburban",
        names: &["suburban"],
        hint_names: &["otherwise:"],
        number: "",
    },
    // ------------------------------------------------------------------ formula
    Case {
        what: "formula: unknown input",
        edits: &[(
            "criteria.yaml",
            "min(staff_count * 2, 12)",
            "min(staff_cuont * 2, 12)",
        )],
        english: "in the formula: `staff_cuont` is not a declared input",
        names: &["staff_cuont"],
        hint_names: &["inputs:"],
        number: "",
    },
    Case {
        what: "formula: unknown function",
        edits: &[(
            "criteria.yaml",
            "min(staff_count * 2, 12)",
            "mni(staff_count * 2, 12)",
        )],
        english: "`mni` is not a function the rules can call",
        names: &["mni"],
        hint_names: &["min"],
        number: "",
    },
    Case {
        what: "formula: a yes/no result",
        edits: &[(
            "criteria.yaml",
            "\"min(staff_count * 2, 12) + min(insured_staff, 4) + min(disabled_staff * 2, 4)\"",
            "\"staff_count > 12\"",
        )],
        english: "the result must be a number of points, but it is a yes/no value",
        names: &[],
        hint_names: &[],
        number: "",
    },
    // ------------------------------------------------------------------ script
    Case {
        what: "script: no such function",
        edits: &[(
            "criteria.yaml",
            "      function: location_points",
            "      function: location_pts",
        )],
        english: "`location.rhai` has no function `location_pts`",
        names: &["location.rhai", "location_pts"],
        hint_names: &["location_points"],
        number: "",
    },
    Case {
        what: "script: no such file",
        edits: &[(
            "criteria.yaml",
            "      file: location.rhai",
            "      file: locaton.rhai",
        )],
        english: "there is no script file `locaton.rhai` in the round",
        names: &["locaton.rhai"],
        hint_names: &["location.rhai"],
        number: "",
    },
    Case {
        what: "script: parameters and inputs",
        edits: &[(
            "criteria.yaml",
            "inputs: [location_type, distance_to_nearest_office_m, step_free_access]",
            "inputs: [location_type, distance_to_nearest_office_m]",
        )],
        english: "`location_points` takes 3 parameters but the criterion passes 2 inputs",
        names: &["location_points"],
        hint_names: &[],
        number: "۳",
    },
    Case {
        what: "script: a name not defined",
        edits: &[(
            "location.rhai",
            "    base + spread + access",
            "    base + spread + acess",
        )],
        english: "`acess` is not defined here",
        names: &["location.rhai", "acess"],
        hint_names: &["let", "inputs:"],
        number: "",
    },
    Case {
        what: "script: syntax",
        edits: &[(
            "location.rhai",
            "    let access = if step_free { 3 } else { 0 };",
            "    let access = if step_free { 3 } else { 0 ;",
        )],
        english: "syntax error: this `{` is never closed",
        names: &["location.rhai"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "script: syntax in Rhai's own words",
        edits: &[(
            "location.rhai",
            "    base + spread + access",
            "    base + spread + * access",
        )],
        english: "syntax error",
        names: &["location.rhai", "Rhai"],
        hint_names: &[],
        number: "",
    },
    // ------------------------------------------------------------------ sections
    Case {
        what: "sections: defined twice",
        edits: &[(
            "penalties.yaml",
            "penalties:\n",
            "ranking:\n  scopes: [nationwide]\n  tie_break: [total]\n  rounding: { decimals: 2, mode: half_up }\n\npenalties:\n",
        )],
        english: "`ranking` is already defined",
        names: &["ranking"],
        hint_names: &["ranking"],
        number: "",
    },
    Case {
        what: "sections: missing",
        edits: &[(
            "round.yaml",
            "ranking:\n  scopes: [nationwide, region, office_kind]\n  tie_break:\n    - total\n    - criterion association\n    - input years_active\n    - office_id\n  rounding:\n    decimals: 2\n    mode: half_up\n",
            "",
        )],
        english: "no `ranking:` section in any file of the round",
        names: &["ranking:"],
        hint_names: &["ranking:", "round.yaml"],
        number: "",
    },
    // ------------------------------------------------------------------ rule test cases
    Case {
        what: "cases: not a criterion",
        edits: &[(
            "tests/cases.yaml",
            "points: { area: 7, personnel: 6, location: 6,",
            "points: { aera: 7, personnel: 6, location: 6,",
        )],
        english: "`aera` is not a criterion",
        names: &["aera"],
        hint_names: &["area"],
        number: "",
    },
    Case {
        what: "cases: not a penalty",
        edits: &[(
            "tests/cases.yaml",
            "penalties: { overcharging: -30 }",
            "penalties: { overcharge: -30 }",
        )],
        english: "`overcharge` is not a penalty",
        names: &["overcharge"],
        hint_names: &["overcharging"],
        number: "",
    },
    Case {
        what: "cases: not a review flag",
        edits: &[(
            "tests/review.yaml",
            "expect: { flags: [area_jump], risk: 3, total: 32 }",
            "expect: { flags: [area_jumps], risk: 3, total: 32 }",
        )],
        english: "`area_jumps` is not a review flag",
        names: &["area_jumps"],
        hint_names: &["area_jump"],
        number: "",
    },
    Case {
        what: "cases: a negative deviation",
        edits: &[(
            "tests/review.yaml",
            "    peers: { staff_count: { median: 3, mad: 0 } }",
            "    peers: { staff_count: { median: 3, mad: -4 } }",
        )],
        english: "a MAD or mean deviation cannot be negative",
        names: &[],
        hint_names: &[],
        number: "۴",
    },
    // ------------------------------------------------------------------ duplicate ids and names
    Case {
        what: "duplicate criterion",
        edits: &[("criteria.yaml", "  - id: personnel", "  - id: area")],
        english: "criterion `area` is defined twice",
        names: &["area"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "duplicate penalty",
        edits: &[(
            "penalties.yaml",
            "  - id: forged_documents",
            "  - id: overcharging",
        )],
        english: "penalty `overcharging` is defined twice",
        names: &["overcharging"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "duplicate input",
        edits: &[(
            "penalties.yaml",
            "penalties:\n",
            "inputs:\n  area_m2:\n    label: { fa: a, en: Area }\n    type: integer\n    supplied_by: office\n    when_missing: error\n\npenalties:\n",
        )],
        english: "input `area_m2` is declared twice",
        names: &["area_m2"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "duplicate legal reference",
        edits: &[(
            "round.yaml",
            "    - id: cra-289-3",
            "    - id: cabinet-6611",
        )],
        english: "legal reference `cabinet-6611` is listed twice",
        names: &["cabinet-6611"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "duplicate choice value",
        edits: &[("inputs.yaml", "      suburban:", "      urban:")],
        english: "is written twice in the same mapping",
        names: &["urban"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "not a valid name",
        edits: &[("criteria.yaml", "  - id: personnel", "  - id: Personnel")],
        english: "`Personnel` is not a valid name",
        names: &["Personnel"],
        hint_names: &["_", "label"],
        number: "",
    },
    // ------------------------------------------------------------------ the review section
    Case {
        what: "review: duplicate flag",
        edits: &[("review.yaml", "id: staff_outlier", "id: area_outlier")],
        english: "flag `area_outlier` is defined twice",
        names: &["area_outlier"],
        hint_names: &[],
        number: "",
    },
    Case {
        what: "review: a jump without a size",
        edits: &[(
            "review.yaml",
            "jump: { input: staff_count, amount: 3 }",
            "jump: { input: staff_count }",
        )],
        english: "a jump needs `percent:`, `amount:` or both",
        names: &["percent:", "amount:"],
        hint_names: &["percent: 50"],
        number: "",
    },
    Case {
        what: "review: k of zero",
        edits: &[(
            "review.yaml",
            "outlier: { input: staff_count, k: 5 }",
            "outlier: { input: staff_count, k: 0 }",
        )],
        english: "k 0 must be above 0",
        names: &["k"],
        hint_names: &["k"],
        number: "۰",
    },
    Case {
        what: "review: a negative margin",
        edits: &[(
            "review.yaml",
            "near_boundary: { margin: 2 }",
            "near_boundary: { margin: -2 }",
        )],
        english: "margin -2 must be above 0",
        names: &[],
        hint_names: &["margin: 2"],
        number: "۲",
    },
    Case {
        what: "review: flag weight",
        edits: &[(
            "review.yaml",
            "      weight: 3\n      jump: { input: area_m2",
            "      weight: 300\n      jump: { input: area_m2",
        )],
        english: "weight 300 is out of range",
        names: &[],
        hint_names: &[],
        number: "۳۰۰",
    },
    Case {
        what: "review: two ways",
        edits: &[(
            "review.yaml",
            "      missing: { input: years_active }",
            "      missing: { input: years_active }\n      formula: years_active > 50",
        )],
        english: "flag `years_not_given` must have exactly one of",
        names: &["years_not_given", "jump"],
        hint_names: &[],
        number: "۲",
    },
    Case {
        what: "review: near a boundary when grades go by shares",
        edits: &[
            ("round.yaml", "method: cut_points", "method: shares"),
            (
                "round.yaml",
                "cut_points:\n    grade_1: 60      # a total of at least 60 points\n    grade_2: 35",
                "shares:\n    grade_1: 60\n    grade_2: 35",
            ),
        ],
        english: "near_boundary needs grades by cut points",
        names: &["near_boundary"],
        hint_names: &[],
        number: "",
    },
];

/// The lookup criterion the lookup cases share: `suburb` is misspelt, `village` is worth more
/// than the criterion's maximum, `suburban` is left out.
const LOOKUP: (&str, &str, &str) = (
    "criteria.yaml",
    "    linear:\n      input: years_active\n      points_per_unit: 1\n      cap: 10",
    "    lookup:\n      input: location_type\n      points: { city_center: 10, urban: 5, suburb: 2, village: 20 }",
);

/// The diagnostics of the example round after the case's edits.
fn diagnostics(case: &Case) -> Vec<Diagnostic> {
    let (_t, dir) = example();
    for (file, old, new) in case.edits {
        edit(&dir, file, old, new);
    }
    match load_round(&dir) {
        Ok(_) => panic!("{}: expected diagnostics, the round compiled", case.what),
        Err(d) => d.0,
    }
}

/// What keeps a bilingual text from being the same facts in wholly Persian words, if anything.
fn problem(label: &Label) -> Option<String> {
    if label.fa.trim().is_empty() {
        return Some("no Persian text".into());
    }
    if label.fa.contains("هنوز نوشته نشده") {
        return Some("the old fallback sentence".into());
    }
    persian_problem(&label.fa).or_else(|| numbers_differ(label))
}

/// Fails unless the diagnostic's Persian message and hint are the same facts as the English in
/// wholly Persian words (also used by the other diagnostic tests of this module).
pub(super) fn assert_same_facts_in_persian(d: &Diagnostic) {
    let message = d.message_label();
    if let Some(p) = problem(&message) {
        panic!("message {message:?}: {p}");
    }
    if let Some(hint) = &d.hint
        && let Some(p) = problem(hint)
    {
        panic!("hint {hint:?}: {p}");
    }
}

#[test]
fn every_family_of_diagnostic_has_its_own_wholly_persian_message_and_hint_with_the_same_facts() {
    let mut checked = 0;
    for case in CASES {
        let what = case.what;
        let diags = diagnostics(case);
        // Every diagnostic the broken round gives, not only the one the case is about.
        for d in &diags {
            assert_same_facts_in_persian(d);
            checked += 1;
        }
        let d = diags
            .iter()
            .find(|d| d.message.contains(case.english))
            .unwrap_or_else(|| {
                panic!(
                    "{what}: no diagnostic saying {:?} in {diags:#?}",
                    case.english
                )
            });
        for name in case.names {
            let quoted = format!("«{name}»");
            assert!(
                d.message_fa.contains(&quoted),
                "{what}: {:?} does not name {quoted}",
                d.message_fa
            );
        }
        let hint = d.hint_fa().unwrap_or_default();
        for name in case.hint_names {
            assert!(
                hint.contains(name) && hint.contains('«'),
                "{what}: the hint {hint:?} does not name «{name}»"
            );
        }
        if !case.number.is_empty() {
            assert!(
                d.message_fa.contains(case.number),
                "{what}: {:?} does not state {}",
                d.message_fa,
                case.number
            );
        }
        if d.hint.is_none() {
            assert!(case.hint_names.is_empty(), "{what}: expected a hint on {d}");
        }
    }
    assert!(checked >= CASES.len(), "{checked} diagnostics checked");
}

#[test]
fn a_hint_is_given_in_both_languages_and_the_english_is_unchanged() {
    let case = &CASES[1];
    let d = diagnostics(case)
        .into_iter()
        .find(|d| d.message.contains(case.english))
        .unwrap();
    assert_eq!(d.hint_en(), Some("did you mean `weight`?"));
    assert_eq!(d.hint_fa(), Some("آیا منظورتان «weight» است؟"));
    assert_eq!(
        d.to_string().lines().nth(1),
        Some("    hint: did you mean `weight`?"),
        "the command line's English is as it was"
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["hint"], "did you mean `weight`?", "{json}");
    assert!(json.get("message_fa").is_none(), "{json}");
}

#[test]
fn the_checker_used_here_catches_english_a_missing_number_and_a_wrong_number() {
    let english_inside = format!("این مرحله {} است", "too long");
    for (fa, en) in [
        (english_inside.as_str(), "the phase is too long"),
        (
            "هر مرحله ۱ تا ۳۶۶ روز است",
            "a phase lasts 1 to 366 days, not 400",
        ),
        (
            "هر مرحله ۱ تا ۳۶۶ روز است، نه ۴۰",
            "a phase lasts 1 to 366 days, not 400",
        ),
        ("", "anything"),
    ] {
        assert!(
            problem(&Label::new(fa, en)).is_some(),
            "{fa:?} should not pass for {en:?}"
        );
    }
    assert_eq!(
        problem(&Label::new(
            "هر مرحله ۱ تا ۳۶۶ روز است، نه ۴۰۰",
            "a phase lasts 1 to 366 days, not 400"
        )),
        None
    );
}
