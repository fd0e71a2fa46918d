//! Populations of offices: read from CSV or JSON files, or generated for demos and benchmarks.

pub mod demo;
/// Demo offices that trip the round's review flags.
pub mod demo_review;
mod file;
pub mod register;

pub use file::{PopulationError, read_offices, records_to_csv, records_to_json};
