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
    format: Option<super::DataFormat>,
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
    let mut records = demo::generate(
        &rs,
        &provinces,
        &DemoSettings {
            offices,
            seed,
            non_filers_percent: non_filers,
        },
    );
    // A few offices trip each review flag, for the reviewer's queue and its report.
    crate::population::demo_review::trip_review_flags(&rs, &mut records);
    use super::DataFormat;
    let format = match (format, output) {
        (Some(f), _) => f,
        (None, None) => DataFormat::Csv,
        (None, Some(p)) => match p.extension().and_then(|e| e.to_str()) {
            Some("csv") => DataFormat::Csv,
            Some("json") => DataFormat::Json,
            _ => {
                return Err(format!(
                    "{}: name the file .csv or .json, or give --format csv|json",
                    p.display()
                ));
            }
        },
    };
    let text = match format {
        DataFormat::Csv => crate::population::records_to_csv(&records),
        DataFormat::Json => crate::population::records_to_json(&records) + "\n",
    };
    match output {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))?;
            eprintln!("wrote {offices} offices to {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
