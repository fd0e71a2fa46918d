//! `arzyab test`: run each round's rule tests and print a pass/fail report, in English or (with
//! `--fa`) in Persian.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::domain::digits::to_persian_digits;
use crate::engine::testing::run_tests;

pub fn run(rounds: &[PathBuf], fa: bool) -> Result<ExitCode, String> {
    let (mut passed, mut failed) = (0, 0);
    for dir in rounds {
        let rs = if fa {
            super::load_persian(dir)?
        } else {
            super::load(dir)?
        };
        if rs.tests.is_empty() {
            if fa {
                println!(
                    "{}: آزمونی برای قواعد نیست (نمونه‌ها را در «{}/tests/» بگذارید)",
                    dir.display(),
                    dir.display()
                );
            } else {
                println!(
                    "{}: no rule tests (add cases under {}/tests/)",
                    dir.display(),
                    dir.display()
                );
            }
        }
        for r in run_tests(&rs) {
            if r.passed() {
                passed += 1;
                println!("  {}    {}", if fa { "درست" } else { "ok" }, r.name);
            } else {
                failed += 1;
                println!(
                    "  {}  {}  ({})",
                    if fa { "نادرست" } else { "FAIL" },
                    r.name,
                    r.at
                );
                for f in if fa { &r.failures_fa } else { &r.failures } {
                    println!("          {f}");
                }
            }
        }
    }
    println!();
    if fa {
        println!(
            "{} درست، {} نادرست",
            to_persian_digits(&passed.to_string()),
            to_persian_digits(&failed.to_string())
        );
    } else {
        println!("{passed} passed, {failed} failed");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
