//! `arzyab simulate`, run as a regulator would, on round 1400-2 with demo offices: the expected
//! changes are computed here independently, from `arzyab rank`'s per-criterion points and the
//! numbers in the round's files; the HTML report is rendered in headless Chromium.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arzyab::domain::Fixed;
use serde_json::Value;

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

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).expect("JSON output")
}

const ROUND: &str = "rules/1400-2";

/// 1000 demo offices of 1400-2 (with non-filers and violations) in `dir`.
fn demo(dir: &Path) -> PathBuf {
    let path = dir.join("offices.json");
    let o = arzyab(&[
        "demo-data",
        "--round",
        ROUND,
        "--offices",
        "1000",
        "--seed",
        "11",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    path
}

fn fixed(v: &Value) -> Option<Fixed> {
    match v {
        Value::Null => None,
        v => Some(v.to_string().parse().expect("a number")),
    }
}

/// The base ranking, per office: total, grade and raw points per criterion.
struct Base {
    total: Option<Fixed>,
    grade: u8,
    points: BTreeMap<String, Fixed>,
}

fn base_ranking(offices: &Path) -> BTreeMap<String, Base> {
    let doc = json(&arzyab(&[
        "rank",
        ROUND,
        "--offices",
        offices.to_str().unwrap(),
        "--format",
        "json",
    ]));
    doc["offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let points = o["points"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), fixed(v).unwrap()))
                .collect();
            (
                o["office"].as_str().unwrap().to_string(),
                Base {
                    total: fixed(&o["total"]),
                    grade: o["grade"].as_u64().unwrap() as u8,
                    points,
                },
            )
        })
        .collect()
}

fn simulate(offices: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "simulate",
        "--base",
        ROUND,
        "--offices",
        offices.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    json(&arzyab(&args))
}

fn by_office(sim: &Value) -> BTreeMap<String, &Value> {
    sim["offices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["office"].as_str().unwrap().to_string(), o))
        .collect()
}

fn transitions(sim: &Value) -> [[u64; 3]; 3] {
    let mut m = [[0; 3]; 3];
    for (r, row) in sim["transitions"].as_array().unwrap().iter().enumerate() {
        for (c, n) in row.as_array().unwrap().iter().enumerate() {
            m[r][c] = n.as_u64().unwrap();
        }
    }
    m
}

/// Grades by the cut points of rules/1400-2/round.yaml: 60 and 35.
fn grade_1400_2(total: Fixed) -> u8 {
    if total >= Fixed::from_int(60) {
        1
    } else if total >= Fixed::from_int(35) {
        2
    } else {
        3
    }
}

/// A copy of the round's rule files (without its tests) in `dir`.
fn copy_round(dir: &Path) -> PathBuf {
    let to = dir.join("1400-2");
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(ROUND)).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    to
}

#[test]
fn a_doubled_weight_moves_exactly_the_offices_with_points_for_it() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let base = base_ranking(&offices);
    let sim = simulate(&offices, &["--set", "weight:area=3"]);

    // The weight of `area` is 1.5 in criteria.yaml: doubled, each office gains 1.5 × its area
    // points. Area points are whole numbers, so the gain survives the rounding to 2 decimals.
    let change = &sim["changes"][0];
    assert_eq!(
        (
            &change["id"],
            &change["field"],
            &change["old"],
            &change["new"]
        ),
        (
            &Value::from("area"),
            &Value::from("weight"),
            &Value::from("1.5"),
            &Value::from("3")
        )
    );
    assert_eq!(sim["changes"].as_array().unwrap().len(), 1);
    let got = by_office(&sim);
    assert_eq!(got.len(), base.len());
    let mut expected_changed = BTreeSet::new();
    let mut expected_regraded = BTreeSet::new();
    let mut expected_transitions = [[0u64; 3]; 3];
    for (id, b) in &base {
        let o = got[id];
        let gain = b.points["area"].mul(Fixed::from_raw(15_000));
        let (new_total, new_grade) = match b.total {
            Some(t) => {
                let n = t.saturating_add(gain);
                (Some(n), grade_1400_2(n))
            }
            None => (None, 3), // did not file: stays in the lowest grade
        };
        assert_eq!(fixed(&o["old_total"]), b.total, "{id}");
        assert_eq!(fixed(&o["new_total"]), new_total, "{id}");
        assert_eq!(o["old_grade"].as_u64().unwrap() as u8, b.grade, "{id}");
        assert_eq!(o["new_grade"].as_u64().unwrap() as u8, new_grade, "{id}");
        if b.total.is_some() && gain != Fixed::ZERO {
            expected_changed.insert(id.clone());
            assert_eq!(fixed(&o["delta"]), Some(gain), "{id}");
        }
        if new_grade != b.grade {
            expected_regraded.insert(id.clone());
        }
        expected_transitions[b.grade as usize - 1][new_grade as usize - 1] += 1;
    }
    let changed: BTreeSet<String> = got
        .iter()
        .filter(|(_, o)| o["old_total"] != o["new_total"])
        .map(|(id, _)| id.clone())
        .collect();
    let regraded: BTreeSet<String> = got
        .iter()
        .filter(|(_, o)| o["old_grade"] != o["new_grade"])
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(changed, expected_changed);
    assert_eq!(regraded, expected_regraded);
    assert!(!regraded.is_empty());
    assert_eq!(transitions(&sim), expected_transitions);
    assert_eq!(
        sim["summary"]["totals_changed"].as_u64().unwrap() as usize,
        expected_changed.len()
    );
    assert_eq!(
        sim["summary"]["grades_changed"].as_u64().unwrap() as usize,
        expected_regraded.len()
    );
    // Nothing but the weights was evaluated again.
    assert_eq!(sim["work"]["reevaluated_criteria"], serde_json::json!([]));
    // Every top mover's reasons name the criterion and add up to its change.
    for m in sim["top_movers"].as_array().unwrap() {
        let id = m["office"].as_str().unwrap();
        let sum = m["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .fold(Fixed::ZERO, |s, r| {
                s.saturating_add(fixed(&r["delta"]).unwrap())
            });
        let b = &base[id];
        assert_eq!(
            sum,
            b.points["area"].mul(Fixed::from_raw(15_000)),
            "{id}: {m}"
        );
        assert_eq!(m["reasons"][0]["id"], "area", "{m}");
    }

    // The same change written into a candidate directory gives the same answer.
    let cand = copy_round(tmp.path());
    let criteria = std::fs::read_to_string(cand.join("criteria.yaml")).unwrap();
    std::fs::write(
        cand.join("criteria.yaml"),
        criteria.replacen("    weight: 1.5", "    weight: 3", 1),
    )
    .unwrap();
    let from_dir = simulate(&offices, &["--candidate", cand.to_str().unwrap()]);
    assert_eq!(from_dir["offices"], sim["offices"]);
    assert_eq!(from_dir["transitions"], sim["transitions"]);
    assert_eq!(from_dir["changes"], sim["changes"]);
}

#[test]
fn an_identical_candidate_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    for extra in [
        &["--candidate", ROUND][..],
        &["--set", "weight:area=1.5", "--set", "cut:grade_1=60"][..],
    ] {
        let sim = simulate(&offices, extra);
        assert_eq!(sim["changes"], serde_json::json!([]), "{extra:?}");
        let m = transitions(&sim);
        for (r, row) in m.iter().enumerate() {
            for (c, n) in row.iter().enumerate() {
                if r != c {
                    assert_eq!(*n, 0, "{extra:?}: {r}→{c}");
                }
            }
        }
        assert_eq!(m.iter().flatten().sum::<u64>(), 1000);
        for b in sim["movement"].as_array().unwrap() {
            let expected = if b["label"] == "0" { 1000 } else { 0 };
            assert_eq!(b["count"], expected, "{extra:?}: {b}");
        }
        assert_eq!(sim["summary"]["totals_changed"], 0);
        assert_eq!(sim["summary"]["grades_changed"], 0);
        assert_eq!(sim["summary"]["positions_changed"], 0);
        assert_eq!(sim["top_movers"], serde_json::json!([]));
        for o in sim["offices"].as_array().unwrap() {
            assert_eq!(o["movement"], 0);
            assert_eq!(o["old_total"], o["new_total"]);
        }
    }
    let o = arzyab(&[
        "simulate",
        "--base",
        ROUND,
        "--candidate",
        ROUND,
        "--offices",
        offices.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("none: the candidate scores and grades exactly as the base"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_cut_point_change_moves_exactly_the_offices_between_the_old_and_new_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let base = base_ranking(&offices);
    let sim = simulate(&offices, &["--set", "cut:grade_1=55"]);
    let got = by_office(&sim);
    let between: BTreeSet<&String> = base
        .iter()
        .filter(|(_, b)| {
            b.total
                .is_some_and(|t| t >= Fixed::from_int(55) && t < Fixed::from_int(60))
        })
        .map(|(id, _)| id)
        .collect();
    assert!(!between.is_empty());
    for (id, b) in &base {
        let o = got[id];
        assert_eq!(fixed(&o["new_total"]), b.total, "{id}");
        assert_eq!(o["movement"], 0, "{id}");
        let (old, new) = (
            o["old_grade"].as_u64().unwrap(),
            o["new_grade"].as_u64().unwrap(),
        );
        if between.contains(id) {
            assert_eq!((old, new), (2, 1), "{id}");
        } else {
            assert_eq!(old, new, "{id}");
        }
    }
    let m = transitions(&sim);
    assert_eq!(m[1][0] as usize, between.len());
    assert_eq!(
        sim["summary"]["grades_up"].as_u64().unwrap() as usize,
        between.len()
    );
    assert_eq!(sim["summary"]["grades_down"], 0);
    assert_eq!(
        sim["changes"][0]["field"], "cut_points.grade_1",
        "{}",
        sim["changes"]
    );
}

#[test]
fn a_broken_candidate_answers_with_its_diagnostics_and_exit_code_1() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let cand = copy_round(tmp.path());
    let criteria = std::fs::read_to_string(cand.join("criteria.yaml")).unwrap();
    std::fs::write(
        cand.join("criteria.yaml"),
        criteria.replacen("    weight: 1.5", "    wieght: 1.5", 1),
    )
    .unwrap();
    let line = criteria
        .lines()
        .position(|l| l.contains("weight: 1.5"))
        .unwrap()
        + 1;
    let report = tmp.path().join("report.html");
    let o = arzyab(&[
        "simulate",
        "--base",
        ROUND,
        "--candidate",
        cand.to_str().unwrap(),
        "--offices",
        offices.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "criteria.yaml:{line}:5: unknown key `wieght` in criterion"
        )),
        "{err}"
    );
    assert!(err.contains("hint: did you mean `weight`?"), "{err}");
    assert!(err.contains("1 problem(s)"), "{err}");
    assert!(stdout(&o).is_empty());
    assert!(!report.exists(), "no report for a broken candidate");
    // Exactly what `arzyab check` prints.
    let check = arzyab(&["check", cand.to_str().unwrap()]);
    assert_eq!(stderr(&check), err);

    // A misspelled override is refused with a suggestion.
    let o = arzyab(&[
        "simulate",
        "--base",
        ROUND,
        "--set",
        "weight:aera=2",
        "--offices",
        offices.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("there is no criterion `aera` (did you mean `area`?)"),
        "{}",
        stderr(&o)
    );
}

/// Every file under `dir` with its contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn a_simulation_writes_nothing_but_the_report_it_was_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let base = copy_round(&tmp.path().join("base"));
    let cand = copy_round(&tmp.path().join("cand"));
    let penalties = std::fs::read_to_string(cand.join("penalties.yaml")).unwrap();
    std::fs::write(
        cand.join("penalties.yaml"),
        penalties.replacen("cap: -30", "cap: -10", 1),
    )
    .unwrap();
    let before = snapshot(tmp.path());
    let report = tmp.path().join("report.html");
    let o = arzyab(&[
        "simulate",
        "--base",
        base.to_str().unwrap(),
        "--candidate",
        cand.to_str().unwrap(),
        "--offices",
        offices.to_str().unwrap(),
        "--format",
        "csv",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut after = snapshot(tmp.path());
    assert!(after.remove(&report).is_some_and(|r| !r.is_empty()));
    assert_eq!(before, after, "only the report may be written");
    // CSV: a header and one row per office.
    let csv = stdout(&o);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with(
        "office,kind,region,province,filed,old_total,new_total,delta,old_grade,new_grade"
    ));
    assert_eq!(lines.count(), 1000);
}

#[test]
fn a_sweep_counts_grades_at_every_step() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let base = base_ranking(&offices);
    let sim = simulate(&offices, &["--sweep", "weight:area=0:3:0.25"]);
    let steps = sim["sweep"]["steps"].as_array().unwrap();
    let values: Vec<String> = steps.iter().map(|s| s["value"].to_string()).collect();
    assert_eq!(
        values,
        [
            "0", "0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2", "2.25", "2.5", "2.75", "3"
        ]
    );
    // At the round's own weight (1.5) the counts are the base ranking's.
    let mut counts = [0u64; 3];
    for b in base.values() {
        counts[b.grade as usize - 1] += 1;
    }
    assert_eq!(steps[6]["grades"], serde_json::json!(counts));
    assert_eq!(steps[6]["grades_changed"], 0);
    // Independently: at weight w, an office's total is its base total + (w − 1.5) × area points.
    for s in steps {
        let w: Fixed = s["value"].to_string().parse().unwrap();
        let mut expected = [0u64; 3];
        for b in base.values() {
            let g = match b.total {
                Some(t) => {
                    let extra = b.points["area"].mul(w.saturating_sub(Fixed::from_raw(15_000)));
                    grade_1400_2(t.saturating_add(extra))
                }
                None => 3,
            };
            expected[g as usize - 1] += 1;
        }
        assert_eq!(s["grades"], serde_json::json!(expected), "at {w}");
    }
}

#[test]
fn the_next_round_as_candidate_shows_its_changes_and_regrades_by_shares() {
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let sim = simulate(&offices, &["--candidate", "rules/1401-1"]);
    let fields: BTreeSet<(String, String)> = sim["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, field) in [
        ("area", "weight"),
        ("association", "weight"),
        ("e_services", "added"),
        ("electronic_share_percent", "added"),
        ("location", "script location.rhai"),
        ("", "method"),
        ("", "self_declaration"),
    ] {
        assert!(
            fields.contains(&(id.to_string(), field.to_string())),
            "{id} {field}: {fields:?}"
        );
    }
    assert_eq!(
        sim["work"]["reevaluated_criteria"],
        serde_json::json!(["location", "e_services"])
    );
    assert_eq!(sim["candidate"]["grading_scope"], "region");
    // Shares: 58% of each region's filers in grade 1, rounded half up.
    let filers_by_region = sim["offices"].as_array().unwrap().iter().fold(
        BTreeMap::<u64, (u64, u64)>::new(),
        |mut m, o| {
            if !o["new_total"].is_null() {
                let e = m.entry(o["region"].as_u64().unwrap()).or_default();
                e.0 += 1;
                e.1 += (o["new_grade"] == 1) as u64;
            }
            m
        },
    );
    for (region, (filers, first)) in filers_by_region {
        assert_eq!(first, (filers * 58 + 50) / 100, "region {region}");
    }
}

/// Runs a command, killing it after `limit`.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    })
}

fn chromium_command(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn the_html_report_renders_in_headless_chromium_with_every_chart() {
    let Some(chromium) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "chromium is not on the PATH: CI must render the simulation report (.ci/run installs it)"
            );
        }
        // Straight to the process's stderr: the test harness would swallow `eprintln!`.
        use std::io::Write as _;
        let _ = std::io::stderr().write_all(
            b"\n!!!!!!!! SKIPPED: chromium is not on the PATH, so the simulation report was not rendered.\n\
              !!!!!!!! Install it (apt-get install chromium) to run this test; CI always runs it.\n\n",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let offices = demo(tmp.path());
    let report = tmp.path().join("report.html");
    let o = arzyab(&[
        "simulate",
        "--base",
        ROUND,
        "--set",
        "weight:area=3",
        "--offices",
        offices.to_str().unwrap(),
        "--sweep",
        "weight:area=0:3:0.25",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let url = format!("file://{}", report.display());

    let dom = run_with_timeout(
        chromium_command(&chromium, &tmp.path().join("profile-dom"))
            .arg("--dump-dom")
            .arg(&url),
        Duration::from_secs(120),
    );
    assert!(dom.status.success(), "{}", stderr(&dom));
    let dom = stdout(&dom);
    for id in [
        "chart-transitions",
        "chart-movement",
        "chart-regions",
        "chart-kinds",
        "chart-sweep",
    ] {
        assert!(
            dom.contains(&format!("<svg id=\"{id}\"")),
            "the rendered page has no <svg id=\"{id}\">"
        );
    }
    assert!(dom.contains("dir=\"rtl\""));
    assert!(dom.contains("weight:area=3"));

    let png = tmp.path().join("report.png");
    let shot = run_with_timeout(
        chromium_command(&chromium, &tmp.path().join("profile-png"))
            .arg(format!("--screenshot={}", png.display()))
            .arg("--window-size=1200,2400")
            .arg(&url),
        Duration::from_secs(120),
    );
    assert!(shot.status.success(), "{}", stderr(&shot));
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        bytes.len() > 50_000,
        "a blank page would be tiny: {} bytes",
        bytes.len()
    );
}
