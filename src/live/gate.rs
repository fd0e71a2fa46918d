//! The gate a version passes before it may go live: it compiles, it is the round its directory
//! names, and it passes every one of its own rule tests (run by the engine).

use std::path::Path;

use crate::domain::{RoundId, quoted};
use crate::rules::compile::{compile_source, read_source};
use crate::rules::{Diagnostic, Diagnostics, Position, RuleSet};

/// The outcome of the blocking part of a reload.
pub(super) enum Prepared {
    Missing,
    Unchanged,
    Failed(Option<String>, Diagnostics),
    Ready(Box<RuleSet>),
}

/// Reads, compiles and tests a round directory (blocking: run it in `spawn_blocking`).
pub(super) fn prepare(
    id: RoundId,
    dir: &Path,
    live: Option<&str>,
    failed: Option<&str>,
) -> Prepared {
    if !dir.is_dir() {
        return Prepared::Missing;
    }
    let source = match read_source(dir) {
        Ok(s) => s,
        Err(d) => return Prepared::Failed(None, d),
    };
    if Some(source.hash.as_str()) == live || Some(source.hash.as_str()) == failed {
        return Prepared::Unchanged;
    }
    let hash = source.hash.clone();
    match compile_source(source).and_then(|rs| checked(id, rs)) {
        Ok(rs) => Prepared::Ready(Box::new(rs)),
        Err(d) => Prepared::Failed(Some(hash), d),
    }
}

/// A compiled rule set may go live only if it is the round its directory names and passes every
/// one of its rule tests; failing cases come back as diagnostics at the case's line.
pub(super) fn checked(id: RoundId, rs: RuleSet) -> Result<RuleSet, Diagnostics> {
    if rs.round != id {
        return Err(Diagnostics(vec![
            Diagnostic::new(
                Position::file(&rs.source.dir),
                format!("the directory of round {id} holds round {}", rs.round),
                format!(
                    "پوشهٔ دورهٔ {} قواعد دورهٔ {} را دارد",
                    quoted(id),
                    quoted(rs.round)
                ),
            )
            .with_hint(
                "name the directory after `round: id:` in round.yaml",
                "پوشه را به نام «round: id:» در «round.yaml» بنامید",
            ),
        ]));
    }
    let results = crate::engine::testing::run_tests(&rs);
    let failures: Vec<Diagnostic> = results
        .iter()
        .zip(&rs.tests)
        .filter(|(r, _)| !r.passed())
        .flat_map(|(r, case)| {
            r.failures.iter().zip(&r.failures_fa).map(move |(f, f_fa)| {
                Diagnostic::new(
                    Position::new(&case.file, case.line, 1),
                    format!("rule test `{}` failed: {f}", r.name),
                    format!("آزمون قاعدهٔ {} نگذشت: {f_fa}", quoted(&r.name)),
                )
                .with_hint(
                    "fix the rules or the test's expected values; the previous version stays live",
                    "قواعد یا مقدارهای مورد انتظار آزمون را درست کنید؛ نسخهٔ پیشین همچنان برقرار است",
                )
            })
        })
        .collect();
    if failures.is_empty() {
        Ok(rs)
    } else {
        Err(Diagnostics(failures))
    }
}

#[cfg(test)]
mod tests {
    use super::checked;
    use crate::domain::label::numbers_differ;
    use crate::domain::{RoundId, persian_problem};
    use crate::rules::load_round;
    use crate::rules::test_support::{edit, example};

    #[test]
    fn a_failing_rule_test_says_in_persian_which_case_which_value_and_both_numbers() {
        let (_t, dir) = example();
        edit(&dir, "criteria.yaml", "weight: 1.5", "weight: 2");
        let rs = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
        let id = RoundId::parse("1400-2").unwrap();
        let diags = checked(id, rs).expect_err("the rule tests fail").0;
        assert!(diags.len() > 3, "{diags:#?}");
        for d in &diags {
            let message = d.message_label();
            assert_eq!(persian_problem(&message.fa), None, "{message:?}");
            assert_eq!(numbers_differ(&message), None, "{message:?}");
            let hint = d.hint.as_ref().expect("a hint");
            assert_eq!(persian_problem(&hint.fa), None, "{hint:?}");
        }
        // The basic office's area now counts 7 × 2 = 14 instead of 10.5.
        let area = diags
            .iter()
            .find(|d| {
                d.message
                    .contains("contribution of `area`: expected 10.5, got 14")
                    && d.message.contains("area exactly 40")
            })
            .unwrap_or_else(|| panic!("{diags:#?}"));
        assert!(
            area.message_fa
                .contains("«area exactly 40 falls in the 40..60 band"),
            "{}",
            area.message_fa
        );
        assert!(
            area.message_fa
                .contains("سهم «area» در جمع: انتظار ۱۰٫۵ بود ولی ۱۴ شد"),
            "{}",
            area.message_fa
        );
    }
}
