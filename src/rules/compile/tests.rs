//! Every kind of diagnostic, each checked to point at the right file and line.

use std::path::Path;

use super::load_round;
use crate::rules::diagnostic::Diagnostic;
use crate::rules::test_support::{edit, example, line_of};

/// The diagnostics of a broken round; each one's Persian message and hint are checked on the
/// way: wholly Persian, with the English's numbers.
fn diagnostics(dir: &Path) -> Vec<Diagnostic> {
    match load_round(dir) {
        Ok(_) => panic!("expected diagnostics, the round compiled"),
        Err(d) => {
            for d in &d.0 {
                super::tests_fa::assert_same_facts_in_persian(d);
            }
            d.0
        }
    }
}

/// The single diagnostic whose message contains `needle`.
fn find<'a>(diags: &'a [Diagnostic], needle: &str) -> &'a Diagnostic {
    let found: Vec<_> = diags
        .iter()
        .filter(|d| d.message.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one diagnostic containing {needle:?} in {diags:#?}"
    );
    found[0]
}

#[test]
fn the_example_rounds_compile_without_diagnostics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rs = load_round(&root.join("1400-2")).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(rs.round.to_string(), "1400-2");
    assert_eq!(rs.calendar.self_declaration.days(), 20);
    assert_eq!(
        rs.calendar.self_declaration.last_day.to_string(),
        "1400/02/05"
    );
    assert_eq!(
        rs.calendar.regional_review.first_day.to_string(),
        "1400/02/06"
    );
    assert_eq!(rs.calendar.regional_review.days(), 10);
    assert_eq!(rs.calendar.objection.days(), 7);
    assert_eq!(rs.penalties.len(), 4);
    assert!(rs.criteria.iter().all(|c| match &c.rule {
        crate::rules::ruleset::Rule::Program(p) => p.is_native(),
        _ => true,
    }));
}

#[test]
fn yaml_syntax_error_points_at_the_broken_line() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "    weight: 1.5\n",
        "    weight: [1.5\n",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "YAML syntax");
    assert!(d.at.file.ends_with("criteria.yaml"));
    assert!(
        d.at.line >= line_of(&dir, "criteria.yaml", "weight: [1.5"),
        "{d}"
    );
}

#[test]
fn misspelled_keys_are_all_reported_with_a_suggestion() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "    weight: 1.5\n",
        "    wieght: 1.5\n",
    );
    edit(
        &dir,
        "inputs.yaml",
        "    supplied_by: region\n    when_missing: zero_points\n\n  data_completeness_percent:",
        "    suplied_by: region\n    when_missing: zero_points\n\n  data_completeness_percent:",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "unknown key `wieght`");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "wieght"));
    assert_eq!(d.at.column, 5);
    assert_eq!(d.hint_en(), Some("did you mean `weight`?"));
    let d = find(&diags, "unknown key `suplied_by`");
    assert_eq!(d.at.line, line_of(&dir, "inputs.yaml", "suplied_by"));
    assert_eq!(d.hint_en(), Some("did you mean `supplied_by`?"));
}

#[test]
fn a_wrong_type_is_reported_where_the_value_is() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "    max_points: 20\n    # Two",
        "    max_points: twenty\n    # Two",
    );
    let diags = diagnostics(&dir);
    let d = diags
        .iter()
        .find(|d| d.message.contains("twenty"))
        .expect("a diagnostic about `twenty`");
    assert_eq!(
        d.at.line,
        line_of(&dir, "criteria.yaml", "max_points: twenty")
    );
}

#[test]
fn an_unknown_enum_value_suggests_the_right_one() {
    let (_t, dir) = example();
    edit(
        &dir,
        "inputs.yaml",
        "    when_missing: carry_over\n\n  distance",
        "    when_missing: cary_over\n\n  distance",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "`cary_over` is not a valid");
    assert_eq!(d.at.line, line_of(&dir, "inputs.yaml", "cary_over"));
    assert_eq!(d.hint_en(), Some("did you mean `carry_over`?"));
}

#[test]
fn references_to_undeclared_inputs_are_reported_in_every_kind_of_criterion() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "      input: area_m2\n",
        "      input: area_sqm\n",
    );
    edit(
        &dir,
        "criteria.yaml",
        "min(insured_staff, 4)",
        "min(insured_stuff, 4)",
    );
    edit(
        &dir,
        "criteria.yaml",
        "inputs: [location_type,",
        "inputs: [location_kind,",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "`area_sqm` is not a declared input");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "area_sqm"));
    assert_eq!(d.hint_en(), Some("did you mean `area_m2`?"));
    let d = find(&diags, "`insured_stuff` is not a declared input");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "insured_stuff"));
    let d = find(&diags, "`location_kind` is not a declared input");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "location_kind"));
}

#[test]
fn overlapping_and_gapped_bands_are_reported_with_the_fix() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "{ at_least: 40, below: 60, points: 7 }",
        "{ at_least: 35, below: 60, points: 7 }",
    );
    edit(
        &dir,
        "criteria.yaml",
        "{ at_least: 80, below: 95, points: 6 }",
        "{ at_least: 85, below: 95, points: 6 }",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "overlaps");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "at_least: 35"));
    assert_eq!(d.hint_en(), Some("start this band at 40"));
    let d = find(&diags, "fall in no band");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "at_least: 85"));
    assert!(d.message.contains("from 80 up to 85"), "{d}");
}

#[test]
fn weights_caps_and_points_out_of_range_are_reported() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "    weight: 1.5\n",
        "    weight: -1\n",
    );
    edit(
        &dir,
        "criteria.yaml",
        "      points_per_unit: 1\n      cap: 10\n",
        "      points_per_unit: 1\n      cap: 15\n",
    );
    edit(
        &dir,
        "criteria.yaml",
        "{ at_least: 100, points: 10 }",
        "{ at_least: 100, points: 12 }",
    );
    edit(
        &dir,
        "penalties.yaml",
        "    points: -20\n",
        "    points: 20\n",
    );
    let diags = diagnostics(&dir);
    assert_eq!(
        find(&diags, "weight -1 is out of range").at.line,
        line_of(&dir, "criteria.yaml", "weight: -1")
    );
    assert_eq!(
        find(&diags, "the cap 15").at.line,
        line_of(&dir, "criteria.yaml", "cap: 15")
    );
    assert_eq!(
        find(&diags, "12 points is outside").at.line,
        line_of(&dir, "criteria.yaml", "points: 12")
    );
    let d = find(&diags, "penalty points must be negative");
    assert_eq!(d.at.line, line_of(&dir, "penalties.yaml", "points: 20"));
    assert_eq!(d.hint_en(), Some("write -20 to take points off"));
}

#[test]
fn rhai_syntax_errors_point_into_the_script_file() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "    let access = if step_free { 3 } else { 0 };",
        "    let access = if step_free { 3 } else { 0 ;",
    );
    let diags = diagnostics(&dir);
    let d = diags
        .iter()
        .find(|d| d.at.file.ends_with("location.rhai"))
        .expect("a diagnostic in location.rhai");
    assert!(
        d.at.line >= line_of(&dir, "location.rhai", "let access"),
        "{d}"
    );
}

#[test]
fn calls_to_unknown_functions_are_reported_with_a_suggestion() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "min(insured_staff, 4)",
        "mni(insured_staff, 4)",
    );
    edit(
        &dir,
        "location.rhai",
        "    base + spread + access",
        "    sleep(100);\n    base + spread + access",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "`mni` is not a function");
    assert_eq!(d.at.line, line_of(&dir, "criteria.yaml", "mni("));
    assert_eq!(d.hint_en(), Some("did you mean `min`?"));
    let d = find(&diags, "`sleep` is not a function");
    assert_eq!(d.at.line, line_of(&dir, "location.rhai", "sleep(100)"));
}

#[test]
fn a_script_comparing_a_choice_with_an_unknown_value_is_an_error() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "location_type == \"suburban\"",
        "location_type == \"suburbs\"",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "`suburbs` is not a value of `location_type`");
    assert_eq!(d.hint, None);
    assert!(d.message.contains("did you mean `suburban`?"), "{d}");
}

#[test]
fn duplicate_ids_are_reported_at_the_second_definition() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "  - id: data_completeness\n",
        "  - id: area\n",
    );
    edit(
        &dir,
        "penalties.yaml",
        "  - id: no_accessibility\n",
        "  - id: overcharging\n",
    );
    let diags = diagnostics(&dir);
    let text = std::fs::read_to_string(dir.join("criteria.yaml")).unwrap();
    let second = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("- id: area"))
        .nth(1)
        .unwrap()
        .0 as u32
        + 1;
    assert_eq!(
        find(&diags, "criterion `area` is defined twice").at.line,
        second
    );
    assert!(
        find(&diags, "penalty `overcharging` is defined twice")
            .at
            .line
            > 1
    );
}

#[test]
fn dates_that_do_not_exist_in_the_jalali_calendar_are_reported() {
    let (_t, dir) = example();
    edit(
        &dir,
        "round.yaml",
        "    start: 1400/01/17\n",
        "    start: 1400/07/31\n",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "does not exist in the Solar Hijri calendar");
    assert_eq!(d.at.line, line_of(&dir, "round.yaml", "1400/07/31"));
}

#[test]
fn a_phase_following_an_undeclared_phase_is_reported() {
    let (_t, dir) = example();
    edit(
        &dir,
        "round.yaml",
        "    after: regional_review\n",
        "    after: regional_reveiw\n",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "`regional_reveiw` is not a phase");
    assert_eq!(d.at.line, line_of(&dir, "round.yaml", "regional_reveiw"));
    assert_eq!(d.hint_en(), Some("did you mean `regional_review`?"));
}

#[test]
fn many_problems_in_many_files_come_back_together_sorted() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "    weight: 1.5\n",
        "    wieght: 1.5\n",
    );
    edit(
        &dir,
        "round.yaml",
        "    start: 1400/01/17\n",
        "    start: 1400/13/01\n",
    );
    edit(
        &dir,
        "penalties.yaml",
        "    points: -20\n",
        "    points: 20\n",
    );
    let diags = diagnostics(&dir);
    assert!(diags.len() >= 3, "{diags:#?}");
    let files: Vec<_> = diags
        .iter()
        .map(|d| d.at.file.file_name().unwrap().to_str().unwrap().to_string())
        .collect();
    assert!(
        files.contains(&"criteria.yaml".into())
            && files.contains(&"round.yaml".into())
            && files.contains(&"penalties.yaml".into())
    );
    let mut sorted = diags.clone();
    sorted.sort_by(|a, b| a.at.cmp(&b.at));
    assert_eq!(sorted, diags);
}

#[test]
fn the_directory_name_must_match_the_round_id() {
    let (t, dir) = example();
    let other = t.path().join("1401-1");
    std::fs::rename(&dir, &other).unwrap();
    let diags = diagnostics(&other);
    find(&diags, "round `1400-2` is in directory `1401-1`");
}

#[test]
fn a_formula_error_column_points_at_the_name_inside_the_quotes() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "min(staff_count * 2, 12)",
        "min(staff_cont * 2, 12)",
    );
    let diags = diagnostics(&dir);
    let d = find(&diags, "`staff_cont` is not a declared input");
    let line = std::fs::read_to_string(dir.join("criteria.yaml"))
        .unwrap()
        .lines()
        .nth(d.at.line as usize - 1)
        .unwrap()
        .to_string();
    let at: String = line
        .chars()
        .skip(d.at.column as usize - 1)
        .take(10)
        .collect();
    assert_eq!(at, "staff_cont");
}

#[test]
fn an_if_without_else_in_a_script_is_reported_when_compiled() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "    let access = if step_free { 3 } else { 0 };\n    base + spread + access",
        "    if step_free { base + spread }",
    );
    let diags = diagnostics(&dir);
    find(&diags, "an `if` without `else`");
}

/// The one diagnostic a round gives: one mistake must not cascade.
fn only(dir: &Path) -> Diagnostic {
    let diags = diagnostics(dir);
    assert_eq!(diags.len(), 1, "one diagnostic, got {diags:#?}");
    diags.into_iter().next().unwrap()
}

/// The 1-based column of `token` on the line of `file` that contains `needle`.
fn column_of(dir: &Path, file: &str, needle: &str, token: &str) -> u32 {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let line = text.lines().find(|l| l.contains(needle)).unwrap();
    let byte = line.find(token).expect("token on the line");
    line[..byte].chars().count() as u32 + 1
}

#[test]
fn a_yaml_typo_in_criteria_is_one_diagnostic_at_the_bracket_left_open() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "    weight: 1.5\n",
        "    weight: [1.5\n",
    );
    let d = only(&dir);
    assert!(d.at.file.ends_with("criteria.yaml"));
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "criteria.yaml", "weight: [1.5"),
            column_of(&dir, "criteria.yaml", "weight: [1.5", "[")
        )
    );
    assert_eq!(
        d.message,
        "YAML syntax: the list opened here with `[` is not closed"
    );
}

#[test]
fn a_broken_input_criterion_script_or_section_name_gives_no_knock_on_diagnostics() {
    // Each mistake leaves something out (an input, a criterion, a script, the ranking section)
    // that other places refer to; only the mistake itself is reported.
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "inputs.yaml",
            "    when_missing: carry_over\n\n  distance",
            "    when_missing: carryover\n\n  distance",
            "`carryover` is not a valid missing-value policy",
        ),
        (
            "criteria.yaml",
            "    weight: 1.5\n",
            "    weight: heavy\n",
            "`heavy` is not a number",
        ),
        (
            "criteria.yaml",
            "      file: location.rhai",
            "      file: locaton.rhai",
            "there is no script file `locaton.rhai` in the round",
        ),
        (
            "round.yaml",
            "ranking:",
            "rankin:",
            "unknown key `rankin` in rule file",
        ),
        (
            "penalties.yaml",
            "    repeat_points: [-8, -12]",
            "    repeat_points: -8",
            "expected a list, found a whole number",
        ),
    ];
    for (file, old, new, message) in cases {
        let (_t, dir) = example();
        edit(&dir, file, old, new);
        let d = only(&dir);
        assert!(d.at.file.ends_with(file), "{d}");
        assert_eq!(d.message, message);
        let first_line = new.lines().next().unwrap().trim();
        assert_eq!(d.at.line, line_of(&dir, file, first_line), "{d}");
    }
}

#[test]
fn a_missing_brace_in_a_script_is_a_syntax_error_at_the_block_left_open() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "let access = if step_free { 3 } else { 0 };",
        "let access = if step_free { 3 } else { 0 ;",
    );
    let d = only(&dir);
    assert!(d.at.file.ends_with("location.rhai"));
    assert_eq!(d.message, "syntax error: this `{` is never closed");
    assert_eq!(d.hint_en(), Some("add the `}` that ends this block"));
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "location.rhai", "else { 0 ;"),
            column_of(&dir, "location.rhai", "else { 0 ;", "{ 0 ;")
        )
    );

    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "        0\n    };",
        "        0\n    ;",
    );
    let d = only(&dir);
    assert_eq!(d.message, "syntax error: this `{` is never closed");
    // The block of the last `else` of `spread` is the one left open.
    let text = std::fs::read_to_string(dir.join("location.rhai")).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    let zero = rows.iter().position(|l| l.trim() == "0").unwrap();
    assert_eq!(d.at.line as usize, zero);
    assert_eq!(rows[zero - 1].trim(), "} else {");
    assert_eq!(
        rows[zero - 1].chars().nth(d.at.column as usize - 1),
        Some('{')
    );
}

#[test]
fn an_undefined_name_in_a_script_function_is_not_called_an_input() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "    base + spread + access",
        "    base + spread + acess",
    );
    let d = only(&dir);
    assert_eq!(d.message, "`acess` is not defined here");
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "location.rhai", "+ acess"),
            column_of(&dir, "location.rhai", "+ acess", "acess")
        )
    );
    let hint = d.hint.unwrap().en;
    assert!(hint.contains("parameters"), "{hint}");
    assert!(!hint.contains("declare it under `inputs:`"), "{hint}");
}

#[test]
fn a_range_with_one_value_is_one_diagnostic_pointing_to_min_and_max() {
    let (_t, dir) = example();
    edit(
        &dir,
        "inputs.yaml",
        "    range: [0, 5000]",
        "    range: [0]",
    );
    let d = only(&dir);
    assert_eq!(
        d.message,
        "`range:` has one value; it needs two, `[smallest, largest]`"
    );
    assert_eq!(
        d.hint_en(),
        Some("for a range open at one end write `min: 0` (or `max: 0`) instead of `range:`")
    );
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "inputs.yaml", "range: [0]"),
            column_of(&dir, "inputs.yaml", "range: [0]", "[0]")
        )
    );

    let (_t, dir) = example();
    edit(
        &dir,
        "inputs.yaml",
        "    range: [0, 5000]",
        "    range: [0, 5000, 6000]",
    );
    let d = only(&dir);
    assert_eq!(
        d.message,
        "`range:` needs two values, `[smallest, largest]`; it has 3"
    );
    assert!(d.at.file.ends_with("inputs.yaml"));
    assert_eq!(
        (d.at.line, d.at.column),
        (line_of(&dir, "inputs.yaml", "[0, 5000, 6000]"), 12)
    );
}

#[test]
fn a_one_sided_range_is_written_with_min_or_max() {
    use crate::rules::ruleset::Bounds;
    use crate::rules::value::from_json;
    let (_t, dir) = example();
    edit(&dir, "inputs.yaml", "    range: [0, 5000]", "    min: 0");
    edit(&dir, "inputs.yaml", "    range: [0, 60]\n", "    max: 60\n");
    let rs = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
    let input = |name: &str| rs.inputs.iter().find(|i| i.name == name).unwrap();
    let area = input("area_m2");
    assert_eq!(
        area.range,
        Some(Bounds::AtLeast(crate::domain::Fixed::from_int(0)))
    );
    assert!(from_json(area, &serde_json::json!(100000)).is_ok());
    let e = from_json(area, &serde_json::json!(-1)).unwrap_err();
    assert_eq!(e.message.en, "-1 is below the allowed minimum 0");
    assert_eq!(e.message.fa, "−۱ کمتر از کمینه مجاز ۰ است");
    let years = input("years_active");
    assert_eq!(
        years.range,
        Some(Bounds::AtMost(crate::domain::Fixed::from_int(60)))
    );
    assert!(from_json(years, &serde_json::json!(-3)).is_ok());
    let e = from_json(years, &serde_json::json!(61)).unwrap_err();
    assert_eq!(e.message.en, "61 is above the allowed maximum 60");
}

#[test]
fn min_and_max_are_checked_against_each_other_and_against_range() {
    let (_t, dir) = example();
    edit(
        &dir,
        "inputs.yaml",
        "    range: [0, 5000]",
        "    range: [0, 5000]\n    min: 1",
    );
    let d = only(&dir);
    assert_eq!(d.message, "`range:` and `min:`/`max:` are both given");
    assert_eq!(
        (d.at.line, d.at.column),
        (line_of(&dir, "inputs.yaml", "    min: 1"), 10)
    );

    let (_t, dir) = example();
    edit(
        &dir,
        "inputs.yaml",
        "    range: [0, 5000]",
        "    min: 5000\n    max: 0",
    );
    let d = only(&dir);
    assert_eq!(d.message, "`min: 5000` is larger than `max: 0`");
    assert_eq!(
        (d.at.line, d.at.column),
        (line_of(&dir, "inputs.yaml", "min: 5000"), 10)
    );

    let (_t, dir) = example();
    edit(
        &dir,
        "inputs.yaml",
        "    type: boolean\n    supplied_by: office",
        "    type: boolean\n    min: 0\n    supplied_by: office",
    );
    let d = only(&dir);
    assert_eq!(d.message, "`min:` is only for integer and decimal inputs");
    assert!(d.at.file.ends_with("inputs.yaml"));
    assert_eq!(
        (d.at.line, d.at.column),
        (line_of(&dir, "inputs.yaml", "    min: 0"), 10)
    );
}

#[test]
fn bands_written_from_high_to_low_are_accepted_as_the_same_bands() {
    use crate::rules::ruleset::Rule;
    let low_to_high = "        - { below: 20, points: 0 }
        - { at_least: 20, below: 40, points: 4 }
        - { at_least: 40, below: 60, points: 7 }
        - { at_least: 60, below: 100, points: 9 }
        - { at_least: 100, points: 10 }";
    let high_to_low = "        - { at_least: 100, points: 10 }
        - { at_least: 60, below: 100, points: 9 }
        - { at_least: 40, below: 60, points: 7 }
        - { at_least: 20, below: 40, points: 4 }
        - { below: 20, points: 0 }";
    let bands = |dir: &Path| {
        let rs = load_round(dir).unwrap_or_else(|d| panic!("{d}"));
        match &rs.criteria.iter().find(|c| c.id == "area").unwrap().rule {
            Rule::Bands { bands, .. } => bands.clone(),
            _ => panic!("area is scored by bands"),
        }
    };
    let (_t, dir) = example();
    let written = bands(&dir);
    edit(&dir, "criteria.yaml", low_to_high, high_to_low);
    assert_eq!(bands(&dir), written);
    // Its rule tests (which cover every band edge) still pass.
    let rs = load_round(&dir).unwrap();
    let results = crate::engine::testing::run_tests(&rs);
    assert!(results.len() > 20);
    assert!(results.iter().all(|r| r.passed()), "{results:#?}");

    // A mistake in a list from high to low is reported with its fix.
    edit(
        &dir,
        "criteria.yaml",
        "{ at_least: 60, below: 100, points: 9 }",
        "{ at_least: 65, below: 100, points: 9 }",
    );
    let d = only(&dir);
    assert_eq!(
        d.message,
        "values from 60 up to 65 fall in no band (gap below this band)"
    );
    assert_eq!(d.hint_en(), Some("start this band at 60"));
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "criteria.yaml", "at_least: 65"),
            column_of(&dir, "criteria.yaml", "at_least: 65", "65")
        )
    );
}

#[test]
fn bands_in_no_order_are_one_diagnostic_saying_list_them_from_low_to_high() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "        - { at_least: 40, below: 60, points: 7 }
        - { at_least: 60, below: 100, points: 9 }",
        "        - { at_least: 60, below: 100, points: 9 }
        - { at_least: 40, below: 60, points: 7 }",
    );
    let d = only(&dir);
    assert_eq!(
        d.message,
        "the bands are not in order: this band starts below the one before it"
    );
    assert_eq!(d.hint_en(), Some("list bands from low to high"));
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "criteria.yaml", "{ at_least: 40, below: 60"),
            column_of(&dir, "criteria.yaml", "{ at_least: 40, below: 60", "40")
        )
    );
}

#[test]
fn a_tie_break_naming_the_license_number_otherwise_hints_at_office_id() {
    let hint =
        "the office's id (its license number) is the tie-break `office_id`; write `office_id`";
    let (_t, dir) = example();
    edit(
        &dir,
        "round.yaml",
        "    - input years_active",
        "    - input license_no",
    );
    let d = only(&dir);
    assert_eq!(d.message, "`license_no` is not a declared input");
    assert_eq!(d.hint_en(), Some(hint));
    assert_eq!(
        (d.at.line, d.at.column),
        (line_of(&dir, "round.yaml", "input license_no"), 7)
    );

    let (_t, dir) = example();
    edit(&dir, "round.yaml", "    - office_id", "    - license_no");
    let d = only(&dir);
    assert_eq!(d.message, "`license_no` is not a tie-break");
    assert_eq!(d.hint_en(), Some(hint));
    assert!(d.at.file.ends_with("round.yaml"));
    assert_eq!(
        (d.at.line, d.at.column),
        (line_of(&dir, "round.yaml", "- license_no"), 7)
    );

    // A near miss of a declared input still suggests that input.
    let (_t, dir) = example();
    edit(
        &dir,
        "round.yaml",
        "    - input years_active",
        "    - input years_activ",
    );
    assert_eq!(only(&dir).hint_en(), Some("did you mean `years_active`?"));
}

// Long on purpose: two tables (the libraries' phrases, one mistake per row) and a short loop;
// split, a row of either table would have to be looked for elsewhere.
#[test]
fn no_diagnostic_speaks_the_yaml_or_serde_libraries_words_and_each_mistake_gives_one() {
    const LIBRARY: &[&str] = &[
        "invalid length",
        "invalid type",
        "invalid value",
        "expected a tuple",
        "tuple of size",
        "unknown variant",
        "unknown field",
        "missing field",
        "duplicate field",
        "sequence",
        "struct ",
        "u32",
        "u8",
        "i64",
        "usize",
        "while parsing",
        "did not find expected",
        "not allowed in this context",
        "simple key",
        "indicator",
        "scalar",
        "DuplicateKeyPolicy",
        "flow mapping",
        "flow sequence",
        "block mapping",
        "block collection",
        "block sequence",
        "EOF",
        "serde",
        "saphyr",
        "variant",
    ];
    let cases: &[(&str, &str, &str)] = &[
        // YAML syntax
        ("criteria.yaml", "    weight: 1.5\n", "    weight: [1.5\n"),
        ("criteria.yaml", "  - id: area\n", "  - id area\n"),
        ("criteria.yaml", "    weight: 1.5\n", "      weight: 1.5\n"),
        ("criteria.yaml", "    weight: 1.5\n", "\tweight: 1.5\n"),
        (
            "criteria.yaml",
            "    clause: \"Table 5-1, row 1\"",
            "    clause: \"Table 5-1, row 1",
        ),
        (
            "penalties.yaml",
            "    points: -5\n    repeat_points",
            "    points: -5\n    points: -6\n    repeat_points",
        ),
        (
            "round.yaml",
            "  freeze_after_publication: true",
            "  freeze_after_publication: *x",
        ),
        // Wrong list length
        ("inputs.yaml", "    range: [0, 5000]", "    range: [0]"),
        ("inputs.yaml", "    range: [0, 5000]", "    range: []"),
        // Wrong types
        ("criteria.yaml", "    weight: 1.5\n", "    weight: true\n"),
        (
            "criteria.yaml",
            "    max_points: 15\n    script:",
            "    max_points: [15]\n    script:",
        ),
        (
            "criteria.yaml",
            "      file: location.rhai",
            "      file: [location.rhai]",
        ),
        (
            "criteria.yaml",
            "      inputs: [location_type, distance_to_nearest_office_m, step_free_access]",
            "      inputs: location_type",
        ),
        ("inputs.yaml", "    range: [0, 5000]", "    range: 5000"),
        (
            "round.yaml",
            "  office_kinds: [pishkhan, non_governmental, rural_ict]",
            "  office_kinds: pishkhan",
        ),
        ("round.yaml", "    decimals: 2", "    decimals: -2"),
        ("round.yaml", "    decimals: 2", "    decimals: 2.5"),
        (
            "round.yaml",
            "  freeze_after_publication: true",
            "  freeze_after_publication: 3",
        ),
        (
            "penalties.yaml",
            "    repeat_points: [-8, -12]",
            "    repeat_points: -8",
        ),
        (
            "tests/cases.yaml",
            "      total: 27.5\n      grade: 3\n",
            "      total: 27.5\n      grade: 300\n",
        ),
        // Missing fields
        (
            "criteria.yaml",
            "    label: { fa: فضای دفتر, en: Office space }\n",
            "",
        ),
        (
            "criteria.yaml",
            "    label: { fa: فضای دفتر, en: Office space }\n",
            "    label: { fa: فضای دفتر }\n",
        ),
        // Bad enum values
        (
            "inputs.yaml",
            "    when_missing: carry_over\n\n  distance",
            "    when_missing: carryover\n\n  distance",
        ),
        (
            "inputs.yaml",
            "    when_missing: { default: false }",
            "    when_missing: { defualt: false }",
        ),
        ("round.yaml", "    mode: half_up", "    mode: halfup"),
        ("round.yaml", "  scope: region", "  scope: regoin"),
        // Unknown keys and sections
        ("criteria.yaml", "    weight: 1.5\n", "    wieght: 1.5\n"),
        ("round.yaml", "ranking:", "rankin:"),
    ];
    for (file, old, new) in cases {
        let (_t, dir) = example();
        edit(&dir, file, old, new);
        let diags = diagnostics(&dir);
        assert_eq!(diags.len(), 1, "{file}: {new:?} gave {diags:#?}");
        let d = &diags[0];
        let text = format!("{} {}", d.message, d.hint_en().unwrap_or(""));
        for phrase in LIBRARY {
            assert!(
                !text.contains(phrase),
                "{file}: {new:?} gave library wording {phrase:?}: {d}"
            );
        }
        assert!(d.at.file.ends_with(file), "{file}: {d}");
        assert!(d.at.line > 0, "{file}: {new:?} has no line: {d}");
    }
}

#[test]
fn anchors_and_merge_keys_repeat_values_without_changing_the_rules() {
    let (_t, dir) = example();
    let plain = load_round(&dir).unwrap();
    // `personnel` defines the usual weight and points once; `location` merges them and overrides
    // `max_points`; `satisfaction` repeats the weight by alias.
    edit(
        &dir,
        "criteria.yaml",
        "  - id: personnel\n",
        "  - id: personnel\n    <<: &usual { weight: &one 1, max_points: 20 }\n",
    );
    edit(
        &dir,
        "criteria.yaml",
        "    weight: 1\n    max_points: 20\n    # Two points",
        "    # Two points",
    );
    edit(
        &dir,
        "criteria.yaml",
        "    clause: \"Table 5-1, row 5\"\n    weight: 1\n",
        "    clause: \"Table 5-1, row 5\"\n    <<: *usual\n",
    );
    edit(
        &dir,
        "criteria.yaml",
        "    clause: \"Table 5-1, row 7\"\n    weight: 1\n",
        "    clause: \"Table 5-1, row 7\"\n    weight: *one\n",
    );
    let anchored = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
    use crate::live::scoring_fingerprint;
    assert_eq!(scoring_fingerprint(&anchored), scoring_fingerprint(&plain));
    assert_ne!(anchored.hash(), plain.hash());
    let location = anchored
        .criteria
        .iter()
        .find(|c| c.id == "location")
        .unwrap();
    assert_eq!(
        (location.weight, location.max_points),
        (
            crate::domain::Fixed::from_int(1),
            crate::domain::Fixed::from_int(15)
        )
    );
}

#[test]
fn a_band_above_one_without_an_upper_end_is_reported_at_its_points() {
    let (_t, dir) = example();
    edit(
        &dir,
        "criteria.yaml",
        "{ at_least: 40, below: 60, points: 7 }",
        "{ at_least: 40, points: 7 }",
    );
    let d = only(&dir);
    assert_eq!(
        d.message,
        "this band lies above one that has no upper end (`below`)"
    );
    assert_eq!(
        d.hint_en(),
        Some("only the last band may leave out `below`")
    );
    assert_eq!(
        (d.at.line, d.at.column),
        (
            line_of(&dir, "criteria.yaml", "{ at_least: 60, below: 100"),
            column_of(&dir, "criteria.yaml", "{ at_least: 60, below: 100", "9 }")
        )
    );
}
