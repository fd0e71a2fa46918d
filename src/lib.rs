//! arzyab (ارزیاب): the rules engine for the half-yearly evaluation and ranking of Iran's
//! government-service counter offices, non-governmental public-sector counters and rural ICT offices.
#![forbid(unsafe_code)]

/// The architecture test: which room may use which (docs/architecture.md).
#[cfg(test)]
mod architecture;

/// Accounts: password hashing, tokens, the login-failure policy.
pub mod accounts;
/// The application layer: every state change of a round is one command, whoever asks.
pub mod app;
/// The command line, one file per subcommand.
pub mod cli;
/// The clock deadlines are checked against (real, shifted for rehearsals, or manual in tests).
pub mod clock;
/// Server settings and their defaults.
pub mod config;
/// Domain newtypes: national codes, rounds, Jalali dates, exact numbers, grades.
pub mod domain;
/// The engine: score, rank, grade, explain and test — pure computation, no I/O.
pub mod engine;
/// The HTTP API.
pub mod http;
/// Live rules: the rule sets being served, reloaded from their files and recorded as they go live.
pub mod live;
/// Populations of offices: CSV/JSON files and synthetic demo data.
pub mod population;
/// Self-contained HTML reports (inline CSS and SVG charts), e.g. of a simulation.
pub mod report;
/// The rule language: load, validate and compile a round's YAML and Rhai files (a pure compiler).
pub mod rules;
/// Storage on SQLite or PostgreSQL.
pub mod store;
/// The portal: server-rendered pages over the application layer.
pub mod web;
/// The round's calendar and a declaration's life.
pub mod workflow;
