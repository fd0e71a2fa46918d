//! The Persian message of the diagnostics a policy officer meets most: each mistake below gives a
//! diagnostic whose Persian text is wholly Persian (identifiers inside «») and names what the
//! English names. Diagnostics not listed here fall back to a Persian sentence that says their
//! Persian is not written yet ([`UNTRANSLATED_FA`]).

use super::load_round;
use crate::domain::persian_problem;
use crate::rules::diagnostic::Diagnostic;
use crate::rules::test_support::{edit, example};

/// The diagnostics of the example round after replacing `old` with `new` in `file`.
fn after(file: &str, old: &str, new: &str) -> Vec<Diagnostic> {
    let (_t, dir) = example();
    edit(&dir, file, old, new);
    match load_round(&dir) {
        Ok(_) => panic!("expected diagnostics after {new:?}, the round compiled"),
        Err(d) => d.0,
    }
}

#[test]
fn the_diagnostics_a_policy_officer_meets_most_have_a_wholly_persian_message() {
    // (what was done, file, old text, new text, a word the English says, what the Persian names)
    let cases = [
        (
            "yaml syntax",
            "criteria.yaml",
            "    weight: 1.5\n",
            "    weight: [1.5\n",
            "YAML syntax",
            "نگارش",
        ),
        (
            "unknown key",
            "criteria.yaml",
            "    weight: 1.5\n",
            "    wieght: 1.5\n",
            "unknown key",
            "«wieght»",
        ),
        (
            "unknown input",
            "criteria.yaml",
            "      input: area_m2\n",
            "      input: area_sqm\n",
            "not a declared input",
            "«area_sqm»",
        ),
        (
            "tie-break input",
            "round.yaml",
            "    - input years_active\n",
            "    - input license_no\n",
            "not a declared input",
            "«license_no»",
        ),
        (
            "tie-break criterion",
            "round.yaml",
            "    - criterion association\n",
            "    - criterion asociation\n",
            "not a criterion",
            "«asociation»",
        ),
        (
            "one-value range",
            "inputs.yaml",
            "    range: [0, 5000]",
            "    range: [0]",
            "has one value",
            "«range:»",
        ),
        (
            "range backwards",
            "inputs.yaml",
            "    range: [0, 5000]",
            "    range: [5000, 0]",
            "starts at 5000",
            "۵۰۰۰",
        ),
        (
            "range and min",
            "inputs.yaml",
            "    range: [0, 5000]",
            "    range: [0, 5000]\n    min: 0",
            "both given",
            "«min:/max:»",
        ),
        (
            "bands in no order",
            "criteria.yaml",
            "        - { at_least: 40, below: 60, points: 7 }\n        - { at_least: 60, below: 100, points: 9 }",
            "        - { at_least: 60, below: 100, points: 9 }\n        - { at_least: 40, below: 60, points: 7 }",
            "not in order",
            "از کم به زیاد",
        ),
        (
            "bands overlap",
            "criteria.yaml",
            "{ at_least: 40, below: 60, points: 7 }",
            "{ at_least: 35, below: 60, points: 7 }",
            "overlaps",
            "۳۵",
        ),
        (
            "bands gap",
            "criteria.yaml",
            "{ at_least: 80, below: 95, points: 6 }",
            "{ at_least: 85, below: 95, points: 6 }",
            "fall in no band",
            "۸۵",
        ),
        (
            "rhai syntax",
            "location.rhai",
            "    let access = if step_free { 3 } else { 0 };",
            "    let access = if step_free { 3 } else { 0 ;",
            "",
            "«location.rhai»",
        ),
    ];
    for (what, file, old, new, english, persian) in cases {
        let diags = after(file, old, new);
        let d = diags
            .iter()
            .find(|d| d.message.contains(english) && d.at.file.ends_with(file))
            .unwrap_or_else(|| panic!("{what}: no diagnostic saying {english:?} in {diags:#?}"));
        let fa = format!("{} {}", d.message_fa, d.hint_fa().unwrap_or_default());
        assert_eq!(persian_problem(&fa), None, "{what}: {fa}");
        assert!(
            fa.contains(persian),
            "{what}: {fa:?} does not name {persian:?}"
        );
        assert_eq!(d.message_label().fa, d.message_fa, "{what}");
        assert_eq!(d.message_label().en, d.message, "{what}");
    }
}
