//! How soon the sandbox stops a hostile script: rules/1400-2 with the body of `location_points`
//! replaced by each script below, one typical office scored under the default limits (200,000
//! operations and 1 s per evaluation), the time from the start of scoring to the error. Then the
//! issue's script over 59 offices, ranked on both cores under a simulation's budget (the first
//! stop stops the rest).
//!
//! Before budgets, the issue measured ~53 s per evaluation for `contains` and ~50 CPU-minutes for
//! a simulation over 59 offices. Bounded: 5 runs per script, each ending at the 1 s time limit at
//! the latest. Run with `cargo bench --bench sandbox`.

use std::time::{Duration, Instant};

use arzyab::domain::{OfficeId, OfficeKind, RegionId};
use arzyab::engine::{OfficeRecord, Raw, prepare, prepare_all, rank, score};
use arzyab::rules::RuleSet;
use arzyab::rules::budget::{Budget, Limits};
use arzyab::rules::compile::{compile_source, hash_files, read_source};

const RUNS: usize = 5;
const OFFICES: usize = 59;

const BIG: &str = "let v = []; v.pad(9999, 0); let w = []; w.pad(9999, 0);";

fn scripts() -> Vec<(&'static str, String)> {
    vec![
        (
            "contains on 10,000 items (the issue)",
            format!("{BIG} loop {{ if v.contains(1) {{ return 1; }} }}"),
        ),
        (
            "`in` on 10,000 items",
            format!("{BIG} loop {{ if 1 in v {{ return 1; }} }}"),
        ),
        (
            "index_of on 10,000 items",
            format!("{BIG} loop {{ if v.index_of(1) >= 0 {{ return 1; }} }}"),
        ),
        (
            "array == array, 10,000 items",
            format!("{BIG} loop {{ if !(v == w) {{ return 1; }} }}"),
        ),
        ("sort of 10,000 items", format!("{BIG} loop {{ v.sort(); }}")),
        (
            "pad to 10,000 items",
            "loop { let x = []; x.pad(9999, 0); }".to_string(),
        ),
        (
            "map == map, 1,000 entries",
            "let m = #{}; for i in 0..1000 { m[`k${i}`] = i; } let n = m; loop { if m != n { return 1; } }"
                .to_string(),
        ),
        (
            "closure over 10,000 items (map)",
            format!("{BIG} loop {{ v.map(|x| x + 1); }}"),
        ),
        (
            "reverse of 10,000 items (not charged)",
            format!("{BIG} loop {{ v.reverse(); }}"),
        ),
        ("empty endless loop", "loop { }".to_string()),
    ]
}

/// rules/1400-2 with `location_points` doing `body`.
fn rules_with(body: &str) -> RuleSet {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2");
    let mut source = read_source(&dir).expect("read rules/1400-2");
    let file = source
        .files
        .iter_mut()
        .find(|f| f.path == "location.rhai")
        .expect("location.rhai");
    file.text =
        format!("fn location_points(location_type, distance_m, step_free) {{\n{body}\n}}\n");
    source.hash = hash_files(&source.files);
    compile_source(source).unwrap_or_else(|d| panic!("{d}"))
}

fn office(i: usize) -> OfficeRecord {
    OfficeRecord {
        id: OfficeId::parse(&format!("P-{i:04}")).unwrap(),
        kind: OfficeKind::Pishkhan,
        region: RegionId::new(1 + (i % 9) as i64).unwrap(),
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

fn stopped_by(message: &str) -> &'static str {
    if message.contains("operations") {
        "operations"
    } else if message.contains("running for") {
        "time (1 s)"
    } else if message.contains("not evaluated") {
        "another office's stop"
    } else {
        "other"
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn main() {
    println!(
        "Time from the start of scoring to the sandbox's error (release build, {RUNS} runs).\n"
    );
    println!(
        "| script (in `location_points`) | stopped by | best ms | median ms |\n| --- | --- | ---: | ---: |"
    );
    let record = office(1);
    for (name, body) in scripts() {
        let rs = rules_with(&body);
        let office = prepare(&rs, &record).expect("a valid office");
        let mut times = Vec::with_capacity(RUNS);
        let mut by = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let err = score(&rs, &office, None).expect_err("the script must be stopped");
            times.push(start.elapsed());
            let reason = stopped_by(&err.message);
            if !by.contains(&reason) {
                by.push(reason);
            }
        }
        times.sort();
        println!(
            "| {name} | {} | {} | {} |",
            by.join(" or "),
            ms(times[0]),
            ms(times[RUNS / 2])
        );
    }

    let rs = rules_with(&scripts()[0].1);
    let records: Vec<OfficeRecord> = (1..=OFFICES).map(office).collect();
    let offices = prepare_all(&rs, &records).expect("valid offices");
    let mut times = Vec::with_capacity(RUNS);
    let mut failed = 0;
    for _ in 0..RUNS {
        let budget = Budget::new(Limits {
            total: Some(Duration::from_secs(30)),
            ..Limits::default()
        });
        let _in = Budget::enter(Some(budget));
        let start = Instant::now();
        let errors = rank(&rs, &offices).expect_err("the script must be stopped");
        times.push(start.elapsed());
        failed = errors.len();
    }
    times.sort();
    println!(
        "\n{OFFICES} offices ranked on both cores under a simulation's budget, the issue's script: \
         {failed} offices failed, first stop ends the rest; best {} ms, median {} ms",
        ms(times[0]),
        ms(times[RUNS / 2])
    );
}
