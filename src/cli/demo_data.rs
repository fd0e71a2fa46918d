//! `arzyab demo-data`: realistic synthetic offices for a round.

use std::path::Path;
use std::process::ExitCode;

use crate::population::demo::{self, DemoSettings};

pub fn run(
    round: &Path,
    offices: usize,
    seed: u64,
    non_filers: u32,
    regions: Option<&Path>,
    output: Option<&Path>,
) -> Result<ExitCode, String> {
    let rs = super::load(round)?;
    let regions_text = match regions {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => demo::DEFAULT_REGIONS.to_string(),
    };
    let provinces = demo::parse_regions(&regions_text)?;
    if non_filers > 100 {
        return Err("--non-filers is a percent from 0 to 100".into());
    }
    let records = demo::generate(
        &rs,
        &provinces,
        &DemoSettings {
            offices,
            seed,
            non_filers_percent: non_filers,
        },
    );
    let text = match output.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
        Some("csv") => crate::population::records_to_csv(&records),
        Some("json") | None => crate::population::records_to_json(&records),
        Some(other) => return Err(format!("unknown output type `.{other}`: use .csv or .json")),
    };
    match output {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))?;
            eprintln!("wrote {offices} offices to {}", p.display());
        }
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
