//! Settings of the server: defaults, overridden by environment variables, overridden by flags
//! (clap reads both; this module holds the defaults and their meaning).

/// Where the server listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The embedded default database: a SQLite file created on first start.
pub const DEFAULT_DATABASE: &str = "sqlite://data/arzyab.db";
/// The rules directory: one subdirectory per round.
pub const DEFAULT_RULES: &str = "rules";
