//! The command line: one file per subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod check;
mod demo_data;
mod demo_seed;
mod explain;
mod import;
mod rank;
mod serve;
mod simulate;
mod table;
mod test;
mod triage;

/// arzyab (ارزیاب): evaluation and ranking of Pishkhan and rural ICT offices.
#[derive(Parser, Debug)]
#[command(name = "arzyab", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate round directories; print every problem with file:line:column.
    Check {
        #[arg(required = true)]
        rounds: Vec<PathBuf>,
        /// Print diagnostics as JSON.
        #[arg(long)]
        json: bool,
        /// Print each problem's message and hint in Persian.
        #[arg(long)]
        fa: bool,
    },
    /// Run the rule tests under each round's tests/ directory.
    Test {
        #[arg(required = true)]
        rounds: Vec<PathBuf>,
        /// Print the report in Persian (each failure's facts, Persian digits).
        #[arg(long)]
        fa: bool,
    },
    /// Score, rank and grade a population of offices offline.
    Rank {
        round: PathBuf,
        /// Offices as .csv or .json.
        #[arg(long)]
        offices: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The scope whose positions order the output (default: the grading scope).
        #[arg(long)]
        scope: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The review flags of a population offline: offices raising any, riskiest first, each flag
    /// explained (previous round's values from the `previous.*` columns).
    Triage {
        round: PathBuf,
        /// Offices as .csv or .json.
        #[arg(long)]
        offices: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Reasons in Persian instead of English (table format).
        #[arg(long)]
        fa: bool,
    },
    /// Explain one office's score, rank and grade.
    Explain {
        round: PathBuf,
        #[arg(long)]
        offices: PathBuf,
        #[arg(long)]
        office: String,
        /// Persian instead of English.
        #[arg(long)]
        fa: bool,
        #[arg(long)]
        json: bool,
    },
    /// Start the HTTP API.
    Serve(serve::ServeArgs),
    /// Simulate a candidate rule set (a directory or --set overrides) against the live one.
    Simulate(simulate::SimulateArgs),
    /// Import data into the database.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Create the first admin account (password from ARZYAB_ADMIN_PASSWORD or standard input).
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long, env = "ARZYAB_DATABASE", default_value = crate::config::DEFAULT_DATABASE)]
        database: String,
    },
    /// Generate realistic synthetic offices for a round.
    DemoData {
        /// The round whose inputs the offices fill in.
        #[arg(long, default_value = "rules/1400-2")]
        round: PathBuf,
        #[arg(long, default_value_t = 1000)]
        offices: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Percent of offices that never filed.
        #[arg(long, default_value_t = 3)]
        non_filers: u32,
        /// Province→region map (default: the one shipped in rules/regions.yaml).
        #[arg(long)]
        regions: Option<PathBuf>,
        /// Output file (.csv or .json); standard output if absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// csv or json (default: the output file's extension; CSV on standard output).
        #[arg(long, value_enum)]
        format: Option<DataFormat>,
    },
}

/// The two forms of an office file.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Json,
}

/// What `import` loads.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// The office registry CSV: id, kind, region, province, name, holder_national_code.
    Offices {
        file: PathBuf,
        /// Report the file's problems in Persian instead of English.
        #[arg(long)]
        fa: bool,
        #[arg(long, env = "ARZYAB_DATABASE", default_value = crate::config::DEFAULT_DATABASE)]
        database: String,
    },
}

/// Output formats for tables of results.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Check { rounds, json, fa } => check::run(&rounds, json, fa),
        Command::Test { rounds, fa } => test::run(&rounds, fa),
        Command::Rank {
            round,
            offices,
            format,
            scope,
            output,
        } => rank::run(
            &round,
            &offices,
            format,
            scope.as_deref(),
            output.as_deref(),
        ),
        Command::Triage {
            round,
            offices,
            format,
            fa,
        } => triage::run(&round, &offices, format, fa),
        Command::Explain {
            round,
            offices,
            office,
            fa,
            json,
        } => explain::run(&round, &offices, &office, fa, json),
        Command::Serve(args) => serve::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Import(ImportCommand::Offices { file, fa, database }) => {
            import::offices(&file, fa, &database)
        }
        Command::CreateAdmin { username, database } => import::create_admin(&username, &database),
        Command::DemoData {
            round,
            offices,
            seed,
            non_filers,
            regions,
            output,
            format,
        } => demo_data::run(
            &round,
            offices,
            seed,
            non_filers,
            regions.as_deref(),
            output.as_deref(),
            format,
        ),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Loads a round, printing its diagnostics on failure.
fn load(round: &std::path::Path) -> Result<arzyab_rules::RuleSet, String> {
    arzyab_rules::load_round(round)
        .map_err(|d| format!("the rules of {} have problems:\n{d}", round.display()))
}

/// [`load`] with the problems in Persian, as `check --fa` prints them.
fn load_persian(round: &std::path::Path) -> Result<arzyab_rules::RuleSet, String> {
    arzyab_rules::load_round(round).map_err(|d| {
        let problems: Vec<String> = d.0.iter().map(check::persian).collect();
        // The path as a left-to-right island inside the Persian line.
        let path = format!("\u{2066}{}\u{2069}", round.display());
        let head = format!("قواعد {path} ایراد دارد:");
        [head]
            .into_iter()
            .chain(problems)
            .collect::<Vec<_>>()
            .join("\n")
    })
}

use crate::rules as arzyab_rules;

/// Reads and checks a population; every bad row and field is reported.
fn load_offices(
    rs: &crate::rules::RuleSet,
    path: &std::path::Path,
) -> Result<Vec<crate::engine::Office>, String> {
    let records = crate::population::read_offices(path).map_err(|e| e.to_string())?;
    let unknown = crate::engine::office::unknown_inputs(rs, &records);
    if !unknown.is_empty() {
        let lines: Vec<String> = unknown.iter().map(|e| format!("  {e}")).collect();
        return Err(format!(
            "{}: some columns are not inputs of round {}:\n{}",
            path.display(),
            rs.round,
            lines.join("\n")
        ));
    }
    prepared(rs, &records, path, "")
}

/// `offices` ranked under `rs`, or every office's scoring error, one a line.
fn ranked(
    rs: &crate::rules::RuleSet,
    offices: &[crate::engine::Office],
) -> Result<crate::engine::Ranking, String> {
    crate::engine::rank(rs, offices).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Every record of `path` prepared under `rs`, or the first 50 invalid files in one message
/// (`under` names the rules when that helps: ` under the rules of …`).
fn prepared(
    rs: &crate::rules::RuleSet,
    records: &[crate::engine::OfficeRecord],
    path: &std::path::Path,
    under: &str,
) -> Result<Vec<crate::engine::Office>, String> {
    let errors: Vec<String> = match crate::engine::prepare_all(rs, records) {
        Ok(offices) => return Ok(offices),
        Err(invalid) => invalid.iter().map(|e| e.to_string()).collect(),
    };
    let more = errors.len().saturating_sub(50);
    let mut msg = errors.into_iter().take(50).collect::<Vec<_>>().join("\n");
    if more > 0 {
        msg.push_str(&format!("\n… and {more} more"));
    }
    Err(format!(
        "{}: some offices' files are not valid{under}:\n{msg}",
        path.display()
    ))
}
