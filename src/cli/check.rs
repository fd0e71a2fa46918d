//! `arzyab check`: validate round directories.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::rules::load_round;

pub fn run(rounds: &[PathBuf], json: bool) -> Result<ExitCode, String> {
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
