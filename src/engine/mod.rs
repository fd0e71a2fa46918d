//! The engine: pure computation over a compiled rule set — score, rank, grade, explain, test.
//! No I/O, no HTTP, no SQL.

pub mod explain;
pub mod office;
pub mod rank;
pub mod score;
pub mod simulate;
pub mod testing;
pub mod triage;

pub use office::{InvalidFile, Office, OfficeRecord, Raw, prepare, prepare_all};
pub use rank::{Placement, Ranking, ScoreTable, rank};
pub use score::{Score, ScoreError, score};

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
