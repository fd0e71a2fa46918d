//! `arzyab check`: validate round directories.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::domain::digits::to_persian_digits;
use crate::rules::{Diagnostic, load_round};

/// A diagnostic for `check --fa`: its place (a left-to-right island, so that it reads as written
/// inside right-to-left text), the Persian message and the Persian hint.
pub(super) fn persian(d: &Diagnostic) -> String {
    let mut out = format!("{LRI}{}{PDI}: {}", d.at, d.message_fa);
    if let Some(hint) = d.hint_fa() {
        out.push('\n');
        out.push_str(&format!("    راهنما: {hint}"));
    }
    out
}

/// Left-to-right isolate and its end: a path inside Persian text.
const LRI: char = '\u{2066}';
const PDI: char = '\u{2069}';

pub fn run(rounds: &[PathBuf], json: bool, fa: bool) -> Result<ExitCode, String> {
    let mut ok = true;
    let mut all = Vec::new();
    for dir in rounds {
        match load_round(dir) {
            Ok(rs) => {
                if !json {
                    let native = rs
                        .criteria
                        .iter()
                        .filter(|c| !matches!(&c.rule, crate::rules::ruleset::Rule::Program(p) if !p.is_native()))
                        .count();
                    println!(
                        "{}: ok — round {} v{}, {} inputs, {} criteria ({} native, {} interpreted), {} penalties, {} rule tests, hash {}",
                        dir.display(),
                        rs.round,
                        rs.version,
                        rs.inputs.len(),
                        rs.criteria.len(),
                        native,
                        rs.criteria.len() - native,
                        rs.penalties.len(),
                        rs.tests.len(),
                        &rs.hash()[..16]
                    );
                }
            }
            Err(diags) => {
                ok = false;
                if json {
                    all.extend(diags.0);
                } else if fa {
                    for d in &diags.0 {
                        eprintln!("{}", persian(d));
                    }
                    eprintln!(
                        "{LRI}{}{PDI}: {} ایراد",
                        dir.display(),
                        to_persian_digits(&diags.0.len().to_string())
                    );
                } else {
                    eprintln!("{diags}");
                    eprintln!("{}: {} problem(s)", dir.display(), diags.0.len());
                }
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&all).expect("diagnostics serialize")
        );
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
