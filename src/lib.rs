//! arzyab (ارزیاب): the rules engine for the half-yearly evaluation and ranking of Iran's
//! government-service counter offices, non-governmental public-sector counters and rural ICT offices.
#![forbid(unsafe_code)]

/// The command line, one file per subcommand.
pub mod cli;
/// Domain newtypes: national codes, rounds, Jalali dates, exact numbers, grades.
pub mod domain;
/// The engine: score, rank, grade, explain and test — pure computation, no I/O.
pub mod engine;
/// Populations of offices: CSV/JSON files and synthetic demo data.
pub mod population;
/// The rule language: load, validate and compile a round's YAML and Rhai files.
pub mod rules;
