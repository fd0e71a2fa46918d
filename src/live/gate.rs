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
