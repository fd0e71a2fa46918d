//! Every kind of diagnostic, each checked to point at the right file and line.

use std::path::Path;

use super::load_round;
use crate::rules::diagnostic::Diagnostic;
use crate::rules::test_support::{edit, example, line_of};

fn diagnostics(dir: &Path) -> Vec<Diagnostic> {
    match load_round(dir) {
        Ok(_) => panic!("expected diagnostics, the round compiled"),
        Err(d) => d.0,
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
    assert_eq!(d.hint.as_deref(), Some("did you mean `weight`?"));
    let d = find(&diags, "unknown key `suplied_by`");
    assert_eq!(d.at.line, line_of(&dir, "inputs.yaml", "suplied_by"));
    assert_eq!(d.hint.as_deref(), Some("did you mean `supplied_by`?"));
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
    assert_eq!(d.hint.as_deref(), Some("did you mean `carry_over`?"));
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
    assert_eq!(d.hint.as_deref(), Some("did you mean `area_m2`?"));
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
    assert_eq!(d.hint.as_deref(), Some("start this band at 40"));
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
    assert_eq!(d.hint.as_deref(), Some("write -20 to take points off"));
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
    assert_eq!(d.hint.as_deref(), Some("did you mean `min`?"));
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
    assert_eq!(d.hint.as_deref(), Some("did you mean `regional_review`?"));
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
