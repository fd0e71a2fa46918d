//! The `arzyab` command line, run as a user would, on the example rounds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn arzyab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arzyab"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

mod check_fa;
mod policy;
mod triage;

const ROUNDS: [&str; 2] = ["rules/1400-2", "rules/1401-1"];

fn demo(dir: &Path, round: &str, n: usize, ext: &str) -> PathBuf {
    let path = dir.join(format!("offices-{}.{ext}", round.replace('/', "_")));
    let o = arzyab(&[
        "demo-data",
        "--round",
        round,
        "--offices",
        &n.to_string(),
        "--seed",
        "42",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    path
}

#[test]
fn check_accepts_both_example_rounds() {
    let o = arzyab(&["check", ROUNDS[0], ROUNDS[1]]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("rules/1400-2: ok — round 1400-2"), "{out}");
    assert!(out.contains("rules/1401-1: ok — round 1401-1"), "{out}");
}

#[test]
fn check_prints_every_problem_with_its_line_and_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("1400-2");
    std::fs::create_dir(&dir).unwrap();
    for f in [
        "round.yaml",
        "inputs.yaml",
        "criteria.yaml",
        "penalties.yaml",
        "location.rhai",
    ] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("rules/1400-2")
                .join(f),
            dir.join(f),
        )
        .unwrap();
    }
    let criteria = std::fs::read_to_string(dir.join("criteria.yaml")).unwrap();
    std::fs::write(
        dir.join("criteria.yaml"),
        criteria.replacen("    weight: 1.5", "    wieght: 1.5", 1),
    )
    .unwrap();
    let round = std::fs::read_to_string(dir.join("round.yaml")).unwrap();
    std::fs::write(
        dir.join("round.yaml"),
        round.replace("start: 1400/01/17", "start: 1400/12/30"),
    )
    .unwrap();
    let o = arzyab(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let line = criteria
        .lines()
        .position(|l| l.contains("weight: 1.5"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!(
            "criteria.yaml:{line}:5: unknown key `wieght` in criterion"
        )),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `weight`?"), "{err}");
    assert!(
        err.contains("1400/12/30 does not exist in the Solar Hijri calendar"),
        "{err}"
    );
    assert!(err.contains("2 problem(s)"), "{err}");

    let o = arzyab(&["check", "--json", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["line"], line);
}

/// A copy of rules/1400-2 (with its rule tests) in a temporary directory.
fn copy_round(tmp: &Path) -> PathBuf {
    let dir = tmp.join("1400-2");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    for f in [
        "round.yaml",
        "inputs.yaml",
        "criteria.yaml",
        "penalties.yaml",
        "location.rhai",
        "tests/cases.yaml",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    dir
}

fn replace_in(path: &Path, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from:?}");
    let text = text.replacen(from, to, 1);
    std::fs::write(path, &text).unwrap();
    text
}

#[test]
fn check_reports_a_yaml_typo_and_a_missing_brace_once_each_at_their_real_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_round(tmp.path());
    // Before: 45 problems (no criteria, then every reference to a criterion), and the missing
    // brace as "`access` is not a declared input".
    let criteria = replace_in(
        &dir.join("criteria.yaml"),
        "    weight: 1.5\n",
        "    weight: [1.5\n",
    );
    let script = replace_in(
        &dir.join("location.rhai"),
        "let access = if step_free { 3 } else { 0 };",
        "let access = if step_free { 3 } else { 0 ;",
    );
    let o = arzyab(&["check", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let place = |text: &str, needle: &str, token: &str| {
        let (i, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(needle))
            .unwrap();
        format!("{}:{}", i + 1, line.find(token).unwrap() + 1)
    };
    assert!(
        err.contains(&format!(
            "criteria.yaml:{}: YAML syntax: the list opened here with `[` is not closed",
            place(&criteria, "weight: [1.5", "[")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "location.rhai:{}: syntax error: this `{{` is never closed",
            place(&script, "else { 0 ;", "{ 0 ;")
        )),
        "{err}"
    );
    assert!(!err.contains("is not a criterion"), "{err}");
    assert!(!err.contains("is not a declared input"), "{err}");
    assert!(err.contains("2 problem(s)"), "{err}");
}

#[test]
fn check_accepts_min_without_max_and_bands_from_high_to_low() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_round(tmp.path());
    replace_in(
        &dir.join("inputs.yaml"),
        "    range: [0, 5000]",
        "    min: 0",
    );
    replace_in(
        &dir.join("criteria.yaml"),
        "        - { below: 50, points: 0 }
        - { at_least: 50, below: 80, points: 3 }
        - { at_least: 80, below: 95, points: 6 }
        - { at_least: 95, points: 10 }",
        "        - { at_least: 95, points: 10 }
        - { at_least: 80, below: 95, points: 6 }
        - { at_least: 50, below: 80, points: 3 }
        - { below: 50, points: 0 }",
    );
    let o = arzyab(&["check", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = arzyab(&["test", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn rule_tests_of_both_rounds_pass() {
    let o = arzyab(&["test", ROUNDS[0], ROUNDS[1]]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}{}", stderr(&o));
    assert!(out.contains(" passed, 0 failed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn a_failing_rule_test_is_reported_with_expected_and_actual() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("1400-2");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    for f in [
        "round.yaml",
        "inputs.yaml",
        "criteria.yaml",
        "penalties.yaml",
        "location.rhai",
    ] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("rules/1400-2")
                .join(f),
            dir.join(f),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("tests/wrong.yaml"),
        "cases:\n  - name: area 40 is in the 40-60 band\n    inputs: { area_m2: 40, staff_count: 1, location_type: urban, years_active: 1 }\n    expect:\n      points: { area: 4 }\n",
    )
    .unwrap();
    let o = arzyab(&["test", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL  area 40 is in the 40-60 band"), "{out}");
    assert!(out.contains("points of `area`: expected 4, got 7"), "{out}");
    assert!(out.contains("0 passed, 1 failed"), "{out}");
    // In Persian: the same failure, the same numbers, Persian digits.
    let o = arzyab(&["test", "--fa", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let fa = stdout(&o);
    assert!(fa.contains("نادرست  area 40 is in the 40-60 band"), "{fa}");
    let failure = fa
        .lines()
        .find(|l| l.contains("«area»"))
        .unwrap_or_else(|| panic!("the failure names the criterion: {fa}"));
    assert!(failure.contains('۴') && failure.contains('۷'), "{failure}");
    assert!(
        !failure
            .replace("«area»", "")
            .chars()
            .any(|c| c.is_ascii_alphanumeric()),
        "wholly Persian: {failure}"
    );
    assert!(fa.contains("۰ درست، ۱ نادرست"), "{fa}");
    // A round that does not load: its problems in Persian too.
    let criteria = std::fs::read_to_string(dir.join("criteria.yaml")).unwrap();
    std::fs::write(
        dir.join("criteria.yaml"),
        criteria.replacen("    weight: 1.5", "    wieght: 1.5", 1),
    )
    .unwrap();
    let o = arzyab(&["test", "--fa", dir.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("ایراد دارد"), "{err}");
    assert!(err.contains("«wieght»"), "{err}");
    assert!(!err.contains("have problems"), "{err}");
}

#[test]
fn rank_ranks_a_demo_population_in_every_format_for_both_rounds() {
    let tmp = tempfile::tempdir().unwrap();
    for round in ROUNDS {
        let csv = demo(tmp.path(), round, 300, "csv");
        let o = arzyab(&[
            "rank",
            round,
            "--offices",
            csv.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let offices = doc["offices"].as_array().unwrap();
        assert_eq!(offices.len(), 300);
        let mut nationwide: Vec<u64> = offices
            .iter()
            .map(|o| o["positions"]["nationwide"].as_u64().unwrap())
            .collect();
        nationwide.sort();
        assert_eq!(nationwide, (1..=300).collect::<Vec<u64>>());
        assert_eq!(doc["round"], round.trim_start_matches("rules/"));
        assert_eq!(doc["rules_hash"].as_str().unwrap().len(), 64);

        let o = arzyab(&[
            "rank",
            round,
            "--offices",
            csv.to_str().unwrap(),
            "--format",
            "csv",
            "--scope",
            "nationwide",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = stdout(&o);
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(rows.records().count(), 300);
        let o = arzyab(&["rank", round, "--offices", csv.to_str().unwrap()]);
        assert!(
            stdout(&o).contains("300 offices — grade 1:"),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn csv_and_json_populations_rank_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = demo(tmp.path(), ROUNDS[0], 200, "csv");
    let json = demo(tmp.path(), ROUNDS[0], 200, "json");
    let a = arzyab(&[
        "rank",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let b = arzyab(&[
        "rank",
        ROUNDS[0],
        "--offices",
        json.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(a.status.success() && b.status.success());
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn persian_digits_in_an_offices_file_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("fa.csv");
    std::fs::write(
        &path,
        "id,kind,region,province,filed,area_m2,staff_count,location_type,years_active,violations\n\
         P-۰۰۱,pishkhan,۱,THR,بله,۴۵٫۵,۳,urban,۷,overcharging@۱۴۰۰/۰۲/۱۰\n\
         P-002,pishkhan,1,THR,true,45.5,3,urban,7,overcharging@1400/02/10\n",
    )
    .unwrap();
    let o = arzyab(&[
        "rank",
        ROUNDS[0],
        "--offices",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let offices = doc["offices"].as_array().unwrap();
    assert_eq!(offices[0]["total"], offices[1]["total"]);
    assert_eq!(offices[0]["penalties"]["overcharging"], -5);
}

#[test]
fn bad_offices_are_reported_per_row_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("bad.csv");
    std::fs::write(
        &path,
        "id,kind,region,area_m2,staff_count,location_type,years_active\n\
         P-1,pishkhan,1,45,3,urbn,7\n\
         P-2,kiosk,1,45,3,urban,7\n\
         P-3,pishkhan,12,45,3,urban,7\n\
         P-4,pishkhan,1,-5,3,urban,7\n",
    )
    .unwrap();
    let o = arzyab(&["rank", ROUNDS[0], "--offices", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("bad.csv:3: kind: `kiosk` is not an office kind"),
        "{err}"
    );
    assert!(
        err.contains("bad.csv:4: region: region 12 does not exist"),
        "{err}"
    );
    let o = {
        std::fs::write(
            &path,
            "id,kind,region,area_m2,staff_count,location_type,years_active\nP-1,pishkhan,1,45,3,urbn,7\nP-4,pishkhan,1,-5,3,urban,7\n",
        )
        .unwrap();
        arzyab(&["rank", ROUNDS[0], "--offices", path.to_str().unwrap()])
    };
    let err = stderr(&o);
    assert!(
        err.contains(
            "office P-1: location_type: `urbn` is not an allowed value (did you mean `urban`?)"
        ),
        "{err}"
    );
    assert!(
        err.contains("office P-4: area_m2: -5 is outside the allowed range 0 to 5000"),
        "{err}"
    );
}

#[test]
fn explain_shows_every_criterion_the_grade_and_what_is_lacking() {
    let tmp = tempfile::tempdir().unwrap();
    let json = demo(tmp.path(), ROUNDS[0], 150, "json");
    let o = arzyab(&[
        "rank",
        ROUNDS[0],
        "--offices",
        json.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let second_grade = doc["offices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["grade"] == 2)
        .expect("a grade-2 office");
    let id = second_grade["office"].as_str().unwrap();
    let o = arzyab(&[
        "explain",
        ROUNDS[0],
        "--offices",
        json.to_str().unwrap(),
        "--office",
        id,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(e["criteria"].as_array().unwrap().len(), 7);
    assert_eq!(e["total"], second_grade["total"]);
    assert_eq!(e["placement"]["grade"], 2);
    let lacking = e["placement"]["to_next_grade"].as_f64().unwrap();
    let total = e["total"].as_f64().unwrap();
    assert!((lacking - (60.0 - total)).abs() < 1e-9, "{lacking} {total}");
    let sum: f64 = e["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contribution"].as_f64().unwrap())
        .sum();
    assert!((sum + e["penalty_total"].as_f64().unwrap() - total).abs() < 0.006);

    let o = arzyab(&[
        "explain",
        ROUNDS[0],
        "--offices",
        json.to_str().unwrap(),
        "--office",
        id,
        "--fa",
    ]);
    let text = stdout(&o);
    assert!(
        text.contains("فضای دفتر") && text.contains("رتبه ۲"),
        "{text}"
    );
    let o = arzyab(&[
        "explain",
        ROUNDS[0],
        "--offices",
        json.to_str().unwrap(),
        "--office",
        "NOPE-1",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("there is no office `NOPE-1`"));
}

#[test]
fn explain_shows_the_let_values_and_branches_of_a_lowered_script_criterion() {
    let tmp = tempfile::tempdir().unwrap();
    let json = demo(tmp.path(), ROUNDS[0], 20, "json");
    let offices = json.to_str().unwrap();
    let o = arzyab(&["rank", ROUNDS[0], "--offices", offices, "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let id = doc["offices"][0]["office"].as_str().unwrap();
    let run = |more: &[&str]| {
        let mut args = vec!["explain", ROUNDS[0], "--offices", offices, "--office", id];
        args.extend(more);
        let o = arzyab(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let e: serde_json::Value = serde_json::from_str(&run(&["--json"])).unwrap();
    let location = e["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "location")
        .unwrap();
    let steps = location["steps"].as_array().expect("steps of the script");
    let lets: Vec<(&str, i64)> = steps
        .iter()
        .filter(|s| s["step"] == "let")
        .map(|s| {
            let value = s["value"].as_str().unwrap().parse().unwrap();
            (s["name"].as_str().unwrap(), value)
        })
        .collect();
    let names: Vec<&str> = lets.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["base", "spread", "access"], "{location}");
    let sum: i64 = lets.iter().map(|(_, v)| v).sum();
    assert_eq!(
        sum as f64,
        location["points"].as_f64().unwrap(),
        "the script returns base + spread + access: {location}"
    );
    let taken: Vec<&str> = steps
        .iter()
        .filter(|s| s["step"] == "branch" && s["taken"] == true)
        .map(|s| s["condition"].as_str().unwrap())
        .collect();
    assert!(
        taken.iter().any(|c| c.starts_with("location_type == ")),
        "one location branch is taken: {location}"
    );
    // Declarative criteria have no steps.
    assert!(
        e["criteria"][0].get("steps").is_none(),
        "{}",
        e["criteria"][0]
    );

    let text = run(&[]);
    let (base, spread) = (lets[0].1, lets[1].1);
    assert!(
        text.contains(&format!("      let base = {base}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("      let spread = {spread}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("      if {} → taken\n", taken[0])),
        "{text}"
    );
    let fa = run(&["--fa"]);
    // Latin inside «» is isolated left-to-right (LRI … PDI) in Persian text.
    assert!(fa.contains("مقدار «\u{2066}base\u{2069}» = "), "{fa}");
    assert!(
        fa.contains(&format!("شرط «\u{2066}{}\u{2069}»: برقرار بود", taken[0])),
        "{fa}"
    );
}

#[test]
fn demo_data_is_deterministic_for_a_seed() {
    let json = ["--format", "json"];
    let a = arzyab(&[&["demo-data", "--offices", "50", "--seed", "9"][..], &json].concat());
    let b = arzyab(&[&["demo-data", "--offices", "50", "--seed", "9"][..], &json].concat());
    let c = arzyab(&[&["demo-data", "--offices", "50", "--seed", "10"][..], &json].concat());
    assert_eq!(stdout(&a), stdout(&b));
    assert_ne!(stdout(&a), stdout(&c));
    let offices: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(offices.as_array().unwrap().len(), 50);
}

#[test]
fn serve_refuses_a_timeout_that_is_not_a_positive_number_of_seconds() {
    let o = arzyab(&["serve", "--header-timeout", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("above 0"), "{}", stderr(&o));
    let o = arzyab(&["serve", "--body-timeout", "soon"]);
    assert!(
        stderr(&o).contains("`soon` is not a number of seconds"),
        "{}",
        stderr(&o)
    );
}

/// The server process, killed when dropped.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_takes_its_connection_cap_and_header_timeout_from_the_flags_and_environment() {
    use std::io::{BufRead, Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("serve.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_arzyab"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .args(["--database", &database, "--max-connections", "1"])
        .env("ARZYAB_HEADER_TIMEOUT", "0.5")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _served = Served(child);
    let addr = line
        .trim()
        .strip_prefix("arzyab listening on http://")
        .unwrap();

    // One idle connection holds the only place; the next is answered 503 and closed.
    let mut idle = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let mut over = TcpStream::connect(addr).unwrap();
    over.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = String::new();
    over.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too_many_connections"), "{answer}");
    // The idle one is closed after the header timeout, and the place is free again.
    let started = Instant::now();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(idle.read(&mut [0u8; 16]).unwrap_or(0), 0);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    std::thread::sleep(Duration::from_millis(100));
    let mut fresh = TcpStream::connect(addr).unwrap();
    fresh
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .unwrap();
    fresh
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut health = String::new();
    fresh.read_to_string(&mut health).unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}

#[test]
fn check_fa_prints_each_problem_in_persian_at_the_same_place_and_english_stays_the_default() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_round(tmp.path());
    replace_in(
        &dir.join("criteria.yaml"),
        "      input: area_m2\n",
        "      input: area_sqm\n",
    );
    let english = stderr(&arzyab(&["check", dir.to_str().unwrap()]));
    assert!(
        english.contains("`area_sqm` is not a declared input"),
        "{english}"
    );
    assert!(english.contains("1 problem(s)"), "{english}");
    let o = arzyab(&["check", "--fa", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let fa = stderr(&o);
    let place = english.split(": `area_sqm`").next().unwrap();
    let first = fa.lines().next().unwrap();
    assert!(first.contains(place), "{fa}");
    let message = first.split("\u{2069}: ").nth(1).unwrap();
    assert_eq!(arzyab::domain::persian_problem(message), None, "{fa}");
    assert!(message.contains("«area_sqm»"), "{fa}");
    let hint = fa.lines().nth(1).unwrap().trim();
    assert_eq!(hint, "راهنما: آیا منظورتان «area_m2» است؟", "{fa}");
    assert!(fa.contains("۱ ایراد"), "{fa}");
}
