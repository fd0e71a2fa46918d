//! The sandbox stops runaway scripts; lowered code agrees with Rhai's own evaluation.

use std::collections::BTreeMap;
use std::sync::Arc;

use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::domain::{Fixed, Label};
use crate::engine::{OfficeRecord, Raw, prepare, score};
use crate::rules::budget::{Budget, Limits};
use crate::rules::load_round;
use crate::rules::model::Supplier;
use crate::rules::ruleset::{ChoiceValue, InputDef, InputKind, Missing};
use crate::rules::test_support::{edit, example};
use crate::rules::value::Value;

/// A typical urban office with the required inputs of 1400-2.
fn typical_office() -> OfficeRecord {
    OfficeRecord {
        id: crate::domain::OfficeId::parse("P-1").unwrap(),
        kind: crate::domain::OfficeKind::Pishkhan,
        region: crate::domain::RegionId::new(1).unwrap(),
        province: "THR".into(),
        filed: true,
        inputs: [
            ("area_m2", "50"),
            ("staff_count", "3"),
            ("location_type", "urban"),
            ("years_active", "4"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
        .collect(),
        previous: vec![],
    }
}

/// Replaces the location script's body with `body` and scores a typical office.
fn run_location_body(body: &str) -> Result<Fixed, String> {
    let (_t, dir) = example();
    let text = format!("fn location_points(location_type, distance_m, step_free) {{\n{body}\n}}\n");
    std::fs::write(dir.join("location.rhai"), text).unwrap();
    let rs = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
    let record = typical_office();
    let office = prepare(&rs, &record).unwrap();
    score(&rs, &office, None)
        .map(|s| s.points[2])
        .map_err(|e| e.message)
}

#[test]
fn an_endless_loop_is_stopped_with_a_clear_error() {
    let err = run_location_body("loop { }").unwrap_err();
    assert!(err.contains("stopped after"), "{err}");
}

#[test]
fn a_string_that_doubles_forever_is_stopped_by_the_size_limit() {
    let err = run_location_body("let s = \"ab\"; loop { s += s; }").unwrap_err();
    assert!(
        err.contains("limit") || err.contains("too large") || err.contains("stopped"),
        "{err}"
    );
}

#[test]
fn an_array_that_grows_forever_is_stopped() {
    let err = run_location_body("let a = []; loop { a.push(1); }").unwrap_err();
    assert!(err.contains("limit") || err.contains("stopped"), "{err}");
}

#[test]
fn unbounded_recursion_is_stopped() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "    base + spread + access\n}",
        "    deep(1)\n}\nfn deep(n) { deep(n + 1) }",
    );
    let rs = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
    assert!(
        matches!(&rs.criteria[2].rule, crate::rules::ruleset::Rule::Program(p) if !p.is_native())
    );
    let record = typical_office();
    let office = prepare(&rs, &record).unwrap();
    let err = score(&rs, &office, None).unwrap_err();
    assert_eq!(err.criterion, "location");
    assert!(
        err.message.contains("deeper than") || err.message.contains("stopped"),
        "{}",
        err.message
    );
}

#[test]
fn a_script_that_loops_is_interpreted_and_still_scores_correctly() {
    let body = "let p = 0; for i in 0..5 { p += 1; } if step_free { p + 3 } else { p }";
    assert_eq!(run_location_body(body).unwrap(), Fixed::from_int(5));
}

#[test]
fn a_script_that_always_returns_text_is_refused_when_compiled() {
    let (_t, dir) = example();
    edit(
        &dir,
        "location.rhai",
        "    base + spread + access\n}",
        "    \"ten\"\n}",
    );
    let diags = load_round(&dir).unwrap_err().0;
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("must be a number of points")),
        "{diags:?}"
    );
}

#[test]
fn an_interpreted_script_returning_text_fails_its_evaluation_clearly() {
    let err = run_location_body("let t = []; t.push(\"ten\"); t[0]").unwrap_err();
    assert!(err.contains("must give a number"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Budgets: costly built-ins are charged for their work, and the clock stops what is not

/// Runs the location script with `body` under the usual operations but a time limit of a minute,
/// so that only the charge for work can stop a hostile script soon.
fn run_charged(body: &str) -> String {
    let budget = Budget::new(Limits {
        evaluation: Duration::from_secs(60),
        ..Limits::default()
    });
    let _in = Budget::enter(Some(budget));
    run_location_body(body).unwrap_err()
}

fn assert_stopped_by_operations(body: &str) {
    let err = run_charged(body);
    assert_eq!(
        err, "the script was stopped after 200000 operations (an endless loop?)",
        "{body}"
    );
}

/// Ten thousand zeros in `v` (and in `w`), then `rest`.
fn on_big_arrays(rest: &str) -> String {
    format!("let v = []; v.pad(9999, 0); let w = []; w.pad(9999, 0); {rest}")
}

#[test]
fn a_hostile_contains_in_a_loop_is_stopped_by_its_charge() {
    assert_stopped_by_operations(&on_big_arrays("loop { if v.contains(1) { return 1; } }"));
    assert_stopped_by_operations(&on_big_arrays("loop { if 1 in v { return 1; } }"));
}

#[test]
fn a_hostile_index_of_in_a_loop_is_stopped_by_its_charge() {
    assert_stopped_by_operations(&on_big_arrays(
        "loop { if v.index_of(1) >= 0 { return 1; } }",
    ));
    assert_stopped_by_operations(&on_big_arrays(
        "loop { if v.index_of(1, 0) >= 0 { return 1; } }",
    ));
}

#[test]
fn a_hostile_array_comparison_in_a_loop_is_stopped_by_its_charge() {
    assert_stopped_by_operations(&on_big_arrays("loop { if v != w { return 1; } }"));
    assert_stopped_by_operations(&on_big_arrays("loop { if !(v == w) { return 1; } }"));
}

#[test]
fn a_hostile_map_comparison_in_a_loop_is_stopped_by_its_charge() {
    assert_stopped_by_operations(
        "let m = #{}; for i in 0..1000 { m[`k${i}`] = i; } let n = m; \
         loop { if m != n { return 1; } }",
    );
}

#[test]
fn a_hostile_sort_in_a_loop_is_stopped_by_its_charge() {
    assert_stopped_by_operations(&on_big_arrays("loop { v.sort(); }"));
    assert_stopped_by_operations(&on_big_arrays("loop { v.sort_desc(); }"));
}

#[test]
fn a_hostile_pad_in_a_loop_is_stopped_by_its_charge() {
    assert_stopped_by_operations("loop { let v = []; v.pad(9999, 0); }");
}

#[test]
fn work_inside_closures_counts_against_the_operations() {
    assert_stopped_by_operations("let v = []; v.pad(999, 0); loop { v.map(|x| x + 1); }");
}

#[test]
fn a_script_cannot_catch_its_way_past_a_stop() {
    assert_stopped_by_operations(
        "loop { try { [1].map(|x| { let n = x; loop { n += 1; } }); } catch { } }",
    );
}

#[test]
fn a_pad_beyond_the_array_limit_is_refused_before_any_work() {
    let err = run_charged("let v = []; v.pad(100000, 0); 1");
    assert!(
        err.contains("Size of array") && err.contains("limit"),
        "{err}"
    );
}

#[test]
fn what_no_charge_covers_is_stopped_by_the_clock() {
    // `reverse` is not charged: ten thousand swaps count as one operation.
    let budget = Budget::new(Limits {
        operations: u64::MAX,
        evaluation: Duration::from_millis(300),
        total: None,
    });
    let _in = Budget::enter(Some(budget));
    let err = run_location_body(&on_big_arrays("loop { v.reverse(); }")).unwrap_err();
    assert_eq!(
        err,
        "the script was stopped after running for 300 ms (the limit for one evaluation)"
    );
}

#[test]
fn the_charged_built_ins_keep_rhais_meaning() {
    let body = r#"
        let v = [3, 1, 2];
        v.sort();
        let ok = v == [1, 2, 3] && v != [1, 2] && v.contains(2) && !v.contains("2") && 4 in [4]
            && v.index_of(3) == 2 && v.index_of(9) == -1 && v.index_of(1, -2) == -1
            && v.index_of(2, -2) == 1 && #{a: 1} == #{a: 1} && #{a: 1} != #{a: 2};
        let d = ["b", "c", "a"];
        d.sort_desc();
        ok = ok && d == ["c", "b", "a"];
        let p = [1];
        p.pad(3, 0);
        p.pad(1, 9);
        if ok && p == [1, 0, 0] { 1 } else { 0 }
    "#;
    assert_eq!(run_location_body(body), Ok(Fixed::from_int(1)));
    let err = run_location_body("let v = [1, \"a\"]; v.sort(); 1").unwrap_err();
    assert!(err.contains("different types cannot be sorted"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Differential: native lowering == Rhai interpretation

fn defs() -> Vec<InputDef> {
    let def = |name: &str, kind: InputKind| InputDef {
        name: name.into(),
        label: Label::new(name, name),
        kind,
        unit: None,
        range: None,
        supplied_by: Supplier::Office,
        when_missing: Missing::Error,
        help: None,
        violation_kinds: vec![],
    };
    let choice = |n: &str| ChoiceValue {
        name: n.into(),
        label: Label::new(n, n),
    };
    vec![
        def("a", InputKind::Integer),
        def("b", InputKind::Decimal),
        def("c", InputKind::Boolean),
        def(
            "k",
            InputKind::Choice(vec![choice("x"), choice("y"), choice("z")]),
        ),
    ]
}

fn num_expr() -> impl Strategy<Value = String> {
    num_expr_of(prop_oneof![
        (-50i64..50).prop_map(|n| n.to_string()),
        (-5000i64..5000).prop_map(|n| format!("{}.{:02}", n / 100, (n % 100).abs())),
        Just("a".to_string()),
        Just("b".to_string()),
    ])
}

/// Formulas over integers only (literals and the integer input `a`): they have an integer form.
fn int_expr() -> impl Strategy<Value = String> {
    num_expr_of(prop_oneof![
        (-50i64..50).prop_map(|n| n.to_string()),
        Just("a".to_string()),
        Just("0".to_string()),
    ])
}

fn num_expr_of(leaf: impl Strategy<Value = String> + 'static) -> impl Strategy<Value = String> {
    leaf.prop_recursive(4, 24, 3, |inner| {
        let cond = bool_expr(inner.clone());
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%"]),
                inner.clone()
            )
                .prop_map(|(x, op, y)| format!("({x} {op} {y})")),
            (
                prop::sample::select(vec!["min", "max"]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(f, x, y)| format!("{f}({x}, {y})")),
            (
                prop::sample::select(vec!["abs", "floor", "ceil", "round"]),
                inner.clone()
            )
                .prop_map(|(f, x)| format!("{f}({x})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(x, y, z)| format!("clamp({x}, {y}, {z})")),
            inner.clone().prop_map(|x| format!("-({x})")),
            (cond, inner.clone(), inner)
                .prop_map(|(c, x, y)| format!("if {c} {{ {x} }} else {{ {y} }}")),
        ]
    })
}

fn bool_expr(num: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![
        Just("c".to_string()),
        Just("!c".to_string()),
        prop::sample::select(vec!["k == \"x\"", "k != \"y\"", "\"z\" == k"]).prop_map(String::from),
        (
            num.clone(),
            prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]),
            num
        )
            .prop_map(|(x, op, y)| format!("({x} {op} {y})")),
    ]
    .prop_recursive(2, 6, 2, |inner| {
        (inner.clone(), prop::sample::select(vec!["&&", "||"]), inner)
            .prop_map(|(x, op, y)| format!("({x} {op} {y})"))
    })
    .boxed()
}

/// Runs `text` three ways: as compiled (the integer form first, when it has one), on the native
/// tree alone, and in Rhai. The first two must give the same points or the same error; Rhai must
/// succeed or fail alike, with the same points. Returns whether the program has an integer form.
fn check_formula(text: &str, a: i64, b: i64, c: bool, k: u16) -> Result<bool, TestCaseError> {
    let inputs = defs();
    let engine = sandboxed_engine();
    let known = known_functions(&engine);
    let names: Vec<String> = inputs.iter().map(|d| d.name.clone()).collect();
    let ast = compile_formula(&engine, &known, text, &names)
        .map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?;
    let args: Vec<LowerArg> = inputs
        .iter()
        .map(|d| LowerArg {
            name: &d.name,
            input: d,
        })
        .collect();
    let native = match lower_formula(&ast, &args) {
        Ok(n) => n,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "{text} was not lowered: {e:?}"
            )));
        }
    };
    let ast = Arc::new(ast);
    let source = || ProgramSource::Formula {
        text: text.to_string(),
        ast: ast.clone(),
        names: names.clone(),
    };
    let program = Program::new(source(), vec![0, 1, 2, 3], Some(native.clone()), &inputs);
    let tree_only = Program {
        int_form: None,
        ..Program::new(source(), vec![0, 1, 2, 3], Some(native), &inputs)
    };
    let values = [
        Value::Number(Fixed::from_int(a)),
        Value::Number(Fixed::from_raw(b * 100)),
        Value::Bool(c),
        Value::Choice(k),
    ];
    let refs: Vec<&Value> = values.iter().collect();
    let scripts = Scripts::default();
    let lowered = program.run(&scripts, &inputs, &refs);
    let tree = tree_only.run(&scripts, &inputs, &refs);
    let interpreted = program.interpret(&scripts, &inputs, &refs);
    prop_assert_eq!(
        &lowered,
        &tree,
        "{}: integer form against native tree",
        text
    );
    prop_assert_eq!(
        lowered.is_ok(),
        interpreted.is_ok(),
        "{} → native {:?}, rhai {:?}",
        text,
        lowered,
        interpreted
    );
    if let (Ok(x), Ok(y)) = (lowered, interpreted) {
        prop_assert_eq!(x, y, "{}", text);
    }
    Ok(program.has_int_form())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn lowered_formulas_agree_with_rhai(
        text in num_expr(),
        a in -1000i64..1000,
        b in -100_000i64..100_000,
        c in any::<bool>(),
        k in 0u16..3,
    ) {
        check_formula(&text, a, b, c, k)?;
    }

    #[test]
    fn integer_formulas_run_over_integers_and_agree_with_rhai(
        text in int_expr(),
        a in -1000i64..1000,
        c in any::<bool>(),
        k in 0u16..3,
    ) {
        let int_form = check_formula(&text, a, 0, c, k)?;
        prop_assert!(int_form, "{} has no integer form", text);
    }
}

#[test]
fn the_integer_form_declines_where_rhai_fails_and_the_message_is_rhais() {
    for (text, expect) in [
        ("a * 9223372036854775807", "Multiplication overflow"),
        ("a % (a - a)", "Modulo division by zero"),
        ("-(a - a - 9223372036854775807 - 1)", "overflow"),
    ] {
        let err = |a: i64| {
            let inputs = defs();
            let engine = sandboxed_engine();
            let names: Vec<String> = inputs.iter().map(|d| d.name.clone()).collect();
            let ast = compile_formula(&engine, &known_functions(&engine), text, &names).unwrap();
            let args: Vec<LowerArg> = inputs
                .iter()
                .map(|d| LowerArg {
                    name: &d.name,
                    input: d,
                })
                .collect();
            let native = lower_formula(&ast, &args).unwrap();
            let program = Program::new(
                ProgramSource::Formula {
                    text: text.into(),
                    ast: Arc::new(ast),
                    names,
                },
                vec![0, 1, 2, 3],
                Some(native),
                &inputs,
            );
            assert!(program.has_int_form(), "{text}");
            let values = [
                Value::Number(Fixed::from_int(a)),
                Value::Number(Fixed::ZERO),
                Value::Bool(true),
                Value::Choice(0),
            ];
            let refs: Vec<&Value> = values.iter().collect();
            let scripts = Scripts::default();
            let lowered = program.run(&scripts, &inputs, &refs).unwrap_err();
            let interpreted = program.interpret(&scripts, &inputs, &refs).unwrap_err();
            (lowered, interpreted)
        };
        let (lowered, interpreted) = err(3);
        assert!(lowered.contains(expect), "{text}: {lowered}");
        assert!(interpreted.contains(expect), "{text}: {interpreted}");
    }
}

#[test]
fn the_programs_of_1400_2_run_over_integers() {
    let rs = load_round(&example().1).unwrap();
    let programs: Vec<&Program> = rs
        .criteria
        .iter()
        .filter_map(|c| match &c.rule {
            crate::rules::ruleset::Rule::Program(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(programs.len(), 2);
    assert!(programs.iter().all(|p| p.has_int_form()));
}

#[test]
fn lowering_keeps_let_and_early_return_semantics() {
    let inputs = defs();
    let engine = sandboxed_engine();
    let known = known_functions(&engine);
    let src = "fn f(a, b, c, k) { let x = a * 2; if c { return x + 1; } let y = if k == \"z\" { b } else { 0 }; x + y }";
    let ast = compile_file(&engine, &known, src).unwrap();
    let args: Vec<LowerArg> = ["a", "b", "c", "k"]
        .iter()
        .zip(&inputs)
        .map(|(n, d)| LowerArg { name: n, input: d })
        .collect();
    let native = lower_function(&ast, "f", &args).expect("lowerable");
    let scripts = Scripts {
        files: vec![ScriptFile {
            path: "t.rhai".into(),
            ast,
        }],
    };
    let program = Program::new(
        ProgramSource::Function {
            file: 0,
            name: "f".into(),
        },
        vec![0, 1, 2, 3],
        Some(native),
        &inputs,
    );
    let mut seen = BTreeMap::new();
    for (a, b, c, k) in [
        (3, 150, true, 0),
        (3, 150, false, 2),
        (3, 150, false, 1),
        (-7, -25, false, 2),
    ] {
        let values = [
            Value::Number(Fixed::from_int(a)),
            Value::Number(Fixed::from_raw(b * 100)),
            Value::Bool(c),
            Value::Choice(k),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        let x = program.run(&scripts, &inputs, &refs).unwrap();
        let y = program.interpret(&scripts, &inputs, &refs).unwrap();
        assert_eq!(x, y);
        seen.insert((a, b, c, k), x);
    }
    assert_eq!(seen[&(3, 150, true, 0)], Fixed::from_int(7));
    assert_eq!(seen[&(3, 150, false, 2)], "7.5".parse().unwrap());
    assert_eq!(seen[&(3, 150, false, 1)], Fixed::from_int(6));
}
