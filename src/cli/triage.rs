//! `arzyab triage`: the review flags of a population of offices offline, riskiest first, as the
//! reviewer's queue orders them (a file's previous round's values are its `previous.*` columns).

use std::path::Path;
use std::process::ExitCode;

use super::Format;
use crate::engine::triage::{Triage, assess_all};

/// Prints every file that raises a flag, riskiest first (then by license number), with its flags
/// explained; `fa` prints the reasons in Persian.
pub fn run(
    round: &Path,
    offices_path: &Path,
    format: Format,
    fa: bool,
) -> Result<ExitCode, String> {
    let rs = super::load(round)?;
    let records = crate::population::read_offices(offices_path).map_err(|e| e.to_string())?;
    // The same checks as `rank`: unknown columns and invalid files are refused with their reasons.
    super::load_offices(&rs, offices_path)?;
    let assessed = assess_all(&rs, &records);
    let mut flagged: Vec<(&str, Triage)> = records
        .iter()
        .zip(assessed)
        .filter_map(|(r, t)| {
            t.filter(|t| !t.flags.is_empty())
                .map(|t| (r.id.as_str(), t))
        })
        .collect();
    flagged.sort_by(|a, b| b.1.risk.cmp(&a.1.risk).then(a.0.cmp(b.0)));
    match format {
        Format::Json => {
            let doc: Vec<serde_json::Value> = flagged
                .iter()
                .map(|(id, t)| serde_json::json!({"office": id, "risk": t.risk, "flags": t.flags}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
            );
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(["office", "risk", "flag", "weight", "why_fa", "why_en"])
                .map_err(|e| e.to_string())?;
            for (id, t) in &flagged {
                for f in &t.flags {
                    w.write_record([
                        id.to_string(),
                        t.risk.to_string(),
                        f.id.clone(),
                        f.weight.to_string(),
                        f.why.fa.clone(),
                        f.why.en.clone(),
                    ])
                    .map_err(|e| e.to_string())?;
                }
            }
            w.flush().map_err(|e| e.to_string())?;
        }
        Format::Table => {
            for (id, t) in &flagged {
                println!("{id}  risk {}", t.risk);
                for f in &t.flags {
                    let why = if fa { &f.why.fa } else { &f.why.en };
                    println!("    {} (+{}): {why}", f.id, f.weight);
                }
            }
            println!(
                "{} of {} offices raise a flag; {} flags in round {}",
                flagged.len(),
                records.len(),
                rs.review.flags.len(),
                rs.round
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
