//! `arzyab check --fa`: each problem of a broken round in Persian, message and hint, at the same
//! file:line:column as the English.

use super::{arzyab, copy_round, replace_in, stderr};

/// Left-to-right isolate and its end, around the place in the Persian output.
const LRI: char = '\u{2066}';
const PDI: char = '\u{2069}';

#[test]
fn check_fa_prints_a_calendar_mistake_and_its_hint_in_persian_at_its_file_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_round(tmp.path());
    let text = replace_in(
        &dir.join("round.yaml"),
        "  regional_review:\n    after: self_declaration",
        "  regional_review:\n    after: self_declaraton",
    );
    let line = text
        .lines()
        .position(|l| l.contains("after: self_declaraton"))
        .unwrap()
        + 1;
    let column = text
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("self_declaraton")
        .unwrap()
        + 1;
    let place = format!("round.yaml:{line}:{column}");

    let english = stderr(&arzyab(&["check", dir.to_str().unwrap()]));
    assert!(english.contains(&place), "{english}");
    assert!(
        english.contains(
            "`self_declaraton` is not a phase\n    hint: did you mean `self_declaration`?"
        ),
        "{english}"
    );

    let o = arzyab(&["check", "--fa", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let fa = stderr(&o);
    let mut lines = fa.lines();
    let first = lines.next().unwrap();
    let (at, message) = first.split_once(&format!("{PDI}: ")).unwrap();
    assert!(at.starts_with(LRI) && at.ends_with(&place), "{fa}");
    assert_eq!(message, "«self_declaraton» مرحله‌ای نیست", "{fa}");
    assert_eq!(
        lines.next().unwrap().trim(),
        "راهنما: آیا منظورتان «self_declaration» است؟",
        "{fa}"
    );
    for line in fa.lines() {
        let text: String = line.chars().filter(|c| *c != LRI && *c != PDI).collect();
        let persian = text.split_once(": ").map_or(text.as_str(), |(_, t)| t);
        if !text.contains(&place) {
            assert_eq!(arzyab::domain::persian_problem(persian), None, "{line}");
        }
    }
}

#[test]
fn check_fa_prints_a_penalty_mistake_with_its_numbers_in_persian_digits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_round(tmp.path());
    let text = replace_in(
        &dir.join("penalties.yaml"),
        "    points: -20\n",
        "    points: 20\n",
    );
    let line = text.lines().position(|l| l == "    points: 20").unwrap() + 1;
    let o = arzyab(&["check", "--fa", dir.to_str().unwrap()]);
    let fa = stderr(&o);
    let first = fa.lines().next().unwrap();
    assert!(
        first.contains(&format!("penalties.yaml:{line}:13{PDI}: ")),
        "{fa}"
    );
    assert!(
        first.ends_with("امتیاز جریمه باید منفی باشد، ولی ۲۰ نوشته شده است"),
        "{fa}"
    );
    assert_eq!(
        fa.lines().nth(1).unwrap().trim(),
        "راهنما: برای کاستن امتیاز −۲۰ بنویسید",
        "{fa}"
    );
}
