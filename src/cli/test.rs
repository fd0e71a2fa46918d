//! `arzyab test`: run each round's rule tests and print a pass/fail report.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::engine::testing::run_tests;

pub fn run(rounds: &[PathBuf]) -> Result<ExitCode, String> {
    let (mut passed, mut failed) = (0, 0);
    for dir in rounds {
        let rs = super::load(dir)?;
        if rs.tests.is_empty() {
            println!(
                "{}: no rule tests (add cases under {}/tests/)",
                dir.display(),
                dir.display()
            );
        }
        for r in run_tests(&rs) {
            if r.passed() {
                passed += 1;
                println!("  ok    {}", r.name);
            } else {
                failed += 1;
                println!("  FAIL  {}  ({})", r.name, r.at);
                for f in &r.failures {
                    println!("          {f}");
                }
            }
        }
    }
    println!("\n{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
