//! What a policy officer meets when working from `docs/rules.md` alone: office files, the
//! output formats of `rank` and `demo-data`, and `explain` in both languages.

use super::{ROUNDS, arzyab, demo, stderr, stdout};

/// Lines of Persian text with identifiers inside «» taken out: what must be wholly Persian.
fn latin_outside_quotes(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let mut kept = String::new();
            let mut depth = 0;
            for c in line.chars() {
                match c {
                    '«' => depth += 1,
                    '»' => depth -= 1,
                    _ if depth == 0 => kept.push(c),
                    _ => {}
                }
            }
            kept.chars()
                .any(|c| c.is_ascii_alphanumeric())
                .then(|| line.to_string())
        })
        .collect()
}

#[test]
fn rank_shows_each_offices_penalty_and_total_with_the_rounds_two_decimals() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = demo(tmp.path(), ROUNDS[0], 300, "csv");
    let o = arzyab(&[
        "rank",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (penalty, total) = (col("penalty"), col("total"));
    let two_decimals = |s: &str| {
        s.split_once('.')
            .is_some_and(|(w, f)| f.len() == 2 && w.trim_start_matches('-').parse::<u64>().is_ok())
    };
    let mut penalised = 0;
    let mut filed = 0;
    for row in reader.records() {
        let row = row.unwrap();
        if &row[total] == "not filed" {
            continue;
        }
        filed += 1;
        assert!(
            two_decimals(&row[total]),
            "total `{}` in {row:?}",
            &row[total]
        );
        assert!(
            two_decimals(&row[penalty]),
            "penalty `{}` in {row:?}",
            &row[penalty]
        );
        if row[penalty].starts_with('-') {
            penalised += 1;
        }
    }
    assert!(filed > 250, "{filed} filed offices");
    assert!(
        penalised > 0,
        "the demo population has offices with violations"
    );
    let table = arzyab(&["rank", ROUNDS[0], "--offices", csv.to_str().unwrap()]);
    let first = stdout(&table)
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    assert!(
        first.split_whitespace().any(two_decimals),
        "the table shows totals with two decimals: {first}"
    );
}

#[test]
fn a_column_that_is_not_an_input_is_reported_once_with_a_hint_about_violations() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = demo(tmp.path(), ROUNDS[0], 40, "csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{},overcharging,staf_count\n", lines.next().unwrap());
    for line in lines {
        out.push_str(line);
        out.push_str(",1400/01/10,3\n");
    }
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, out).unwrap();
    let o = arzyab(&["rank", ROUNDS[0], "--offices", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert_eq!(
        err.matches("`overcharging` is not an input").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("penalties go in `violations`: kind@date; kind@date"),
        "{err}"
    );
    assert!(err.contains("40 offices give a value"), "{err}");
    assert_eq!(
        err.matches("`staf_count` is not an input").count(),
        1,
        "{err}"
    );
    assert!(
        err.contains("staff_count"),
        "a did-you-mean for the typo: {err}"
    );
    assert!(!err.contains("office P-"), "no per-office cascade: {err}");
}

#[test]
fn demo_data_on_standard_output_is_the_same_csv_as_the_file_and_format_picks_json() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("o.csv");
    let args = ["demo-data", "--offices", "30", "--seed", "5"];
    let to_file = arzyab(&[&args[..], &["-o", file.to_str().unwrap()]].concat());
    assert!(to_file.status.success(), "{}", stderr(&to_file));
    let piped = arzyab(&args);
    assert_eq!(stdout(&piped), std::fs::read_to_string(&file).unwrap());
    assert!(stdout(&piped).starts_with("id,kind,region,province,filed,"));

    let json_file = tmp.path().join("o.json");
    arzyab(&[&args[..], &["-o", json_file.to_str().unwrap()]].concat());
    let json = arzyab(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(stdout(&json), std::fs::read_to_string(&json_file).unwrap());
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 30);

    let odd = arzyab(
        &[
            &args[..],
            &["-o", tmp.path().join("o.txt").to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(!odd.status.success());
    assert!(
        stderr(&odd).contains("--format csv|json"),
        "{}",
        stderr(&odd)
    );
}

#[test]
fn explain_in_persian_is_wholly_persian_and_says_what_decided_against_the_neighbours() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = demo(tmp.path(), ROUNDS[0], 300, "csv");
    let o = arzyab(&[
        "rank",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let offices = doc["offices"].as_array().unwrap();
    // An office in the middle, with violations if the population has one there.
    let id = offices
        .iter()
        .skip(100)
        .find(|o| {
            o["penalties"]
                .as_object()
                .unwrap()
                .values()
                .any(|v| v.as_f64().unwrap_or(0.0) < 0.0)
        })
        .unwrap_or(&offices[150])["office"]
        .as_str()
        .unwrap()
        .to_string();
    let fa = arzyab(&[
        "explain",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--office",
        &id,
        "--fa",
    ]);
    assert!(fa.status.success(), "{}", stderr(&fa));
    let text = stdout(&fa);
    let latin = latin_outside_quotes(&text);
    assert!(
        latin.is_empty(),
        "Latin letters or digits in the Persian text:\n{}",
        latin.join("\n")
    );
    for words in ["دفتر بالاتر", "دفتر پایین‌تر", "ترتیب رتبه‌بندی", "کشوری"]
    {
        assert!(text.contains(words), "`{words}` in\n{text}");
    }

    let en = arzyab(&[
        "explain",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--office",
        &id,
        "--json",
    ]);
    let e: serde_json::Value = serde_json::from_str(&stdout(&en)).unwrap();
    let neighbours = e["neighbours"].as_array().unwrap();
    assert_eq!(neighbours.len(), 2, "{e}");
    assert_eq!(neighbours[0]["relation"], "above");
    assert_eq!(neighbours[1]["relation"], "below");
    for n in neighbours {
        assert!(
            n["decided_by"]["en"].as_str().unwrap().contains("against"),
            "{n}"
        );
    }
    // Every criterion says how it matched in both languages.
    for c in e["criteria"].as_array().unwrap() {
        assert!(!c["matched"]["fa"].as_str().unwrap().is_empty(), "{c}");
        assert!(!c["matched"]["en"].as_str().unwrap().is_empty(), "{c}");
    }
    // Penalties name each violation's kind and date.
    for p in e["penalties"].as_array().unwrap() {
        for v in p["violations"].as_array().unwrap() {
            assert_eq!(v["kind"], p["id"], "{v}");
            assert!(
                v["date"]
                    .as_str()
                    .is_some_and(|d| d.matches('/').count() == 2),
                "{v}"
            );
        }
    }
}

#[test]
fn the_tie_break_step_is_named_when_two_offices_have_equal_totals() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = demo(tmp.path(), ROUNDS[0], 5, "csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Two copies of one office under two license numbers: everything ties but the number.
    let twin = lines[1].replacen("-00000", "-90000", 1);
    assert_ne!(twin, lines[1]);
    lines.push(twin.clone());
    let path = tmp.path().join("twins.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let id = twin.split(',').next().unwrap();
    let o = arzyab(&[
        "explain",
        ROUNDS[0],
        "--offices",
        path.to_str().unwrap(),
        "--office",
        id,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let above = e["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["relation"] == "above")
        .expect("the twin with the lower license number stands just above");
    assert_eq!(above["office"], lines[1].split(',').next().unwrap());
    assert!(
        above["decided_by"]["en"]
            .as_str()
            .unwrap()
            .contains("license number"),
        "{above}"
    );
}

#[test]
fn explain_in_persian_is_wholly_persian_and_aligned_on_both_rounds_for_every_kind_of_office() {
    use unicode_width::UnicodeWidthStr;
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
        let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let offices = doc["offices"].as_array().unwrap();
        // Spread over the ranking, plus every office with a penalty among the first 150.
        let mut ids: Vec<String> = offices
            .iter()
            .enumerate()
            .filter(|(i, o)| {
                i % 30 == 0
                    || (*i < 150
                        && o["penalties"]
                            .as_object()
                            .unwrap()
                            .values()
                            .any(|v| v.as_f64().unwrap_or(0.0) < 0.0))
            })
            .map(|(_, o)| o["office"].as_str().unwrap().to_string())
            .collect();
        ids.dedup();
        let mut traces = std::collections::BTreeSet::new();
        for id in &ids {
            let fa = arzyab(&[
                "explain",
                round,
                "--offices",
                csv.to_str().unwrap(),
                "--office",
                id,
                "--fa",
            ]);
            assert!(fa.status.success(), "{}", stderr(&fa));
            let text = stdout(&fa);
            for line in text.lines() {
                assert_eq!(
                    arzyab::domain::persian_problem(line),
                    None,
                    "{round} {id}: {line}"
                );
            }
            assert!(text.contains(&format!("«\u{2066}{id}\u{2069}»")), "{text}");
            // Criteria rows: `×` and `=` stand in the same display column on every row.
            let rows: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with("   ") && l.contains(" × "))
                .collect();
            assert!(rows.len() >= 7, "{text}");
            for mark in ['×', '='] {
                let columns: std::collections::BTreeSet<usize> = rows
                    .iter()
                    .map(|l| l[..l.find(mark).unwrap()].width())
                    .collect();
                assert_eq!(columns.len(), 1, "`{mark}` moves in {round} {id}:\n{text}");
            }
            for (what, words) in [
                ("band", "≤ مقدار"),
                ("linear", "، بین ۰ و "),
                ("formula", "فرمول «"),
                ("script", "از پرونده اسکریپت"),
                ("penalty", "\n      در ۱"),
                ("positions", "کشوری: "),
            ] {
                if text.contains(words) {
                    traces.insert(what);
                }
            }
        }
        assert_eq!(
            traces.len(),
            6,
            "{round}: the offices explained show every kind of trace, only {traces:?}"
        );
    }
}

#[test]
fn import_prints_each_row_problem_as_the_api_names_it_in_english_or_persian() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("registry.csv");
    std::fs::write(
        &file,
        "id,kind,region,holder_national_code\nP-1,pishkhan,1,0076229645\nP-2,kiosk,12,12345\n",
    )
    .unwrap();
    let database = format!("sqlite://{}", tmp.path().join("a.db").display());
    let path = file.to_str().unwrap();
    let en = arzyab(&["import", "offices", path, "--database", &database]);
    assert!(!en.status.success());
    let err = stderr(&en);
    for line in [
        format!("{path}:3: rows[3].kind: `kiosk` is not an office kind"),
        format!("{path}:3: rows[3].region: region 12 does not exist"),
        format!("{path}:3: rows[3].holder_national_code: a national code has 10 digits"),
        "3 problems in the file; nothing was imported".to_string(),
    ] {
        assert!(err.contains(&line), "`{line}` in\n{err}");
    }
    let fa = arzyab(&["import", "offices", path, "--fa", "--database", &database]);
    assert!(!fa.status.success());
    let err = stderr(&fa);
    let problems: Vec<&str> = err.lines().filter(|l| l.contains("rows[")).collect();
    assert_eq!(problems.len(), 3, "{err}");
    for line in &problems {
        let message = line.rsplit_once(": ").unwrap().1;
        assert_eq!(arzyab::domain::persian_problem(message), None, "{line}");
    }
    assert!(problems[0].contains("«kiosk»"), "{err}");
    assert!(problems[1].contains("۱۲"), "{err}");
    assert!(err.contains("۳ ایراد در فایل"), "{err}");
}
