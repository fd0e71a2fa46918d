//! Settings of the server: defaults, overridden by environment variables, overridden by flags
//! (clap reads both; this module holds the defaults and their meaning).

/// Where the server listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The embedded default database: a SQLite file created on first start.
pub const DEFAULT_DATABASE: &str = "sqlite://data/arzyab.db";
/// The rules directory: one subdirectory per round.
pub const DEFAULT_RULES: &str = "rules";

/// Sign-in attempts allowed per minute for one username, by default.
pub const DEFAULT_LOGINS_PER_USERNAME: u32 = 10;
/// Sign-in attempts allowed per minute from one client address, by default.
pub const DEFAULT_LOGINS_PER_ADDRESS: u32 = 60;

/// Limits on sign-in attempts, against password guessing and against floods that would exhaust
/// memory and CPU (every password check is an argon2 hash holding 19 MiB for tens of
/// milliseconds). Each server (replica) keeps its own counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginLimits {
    /// Attempts per minute for one username: a burst of this many, then one every 60/n seconds.
    /// 0 turns the limit off.
    pub per_username_per_minute: u32,
    /// Attempts per minute from one client address (as the server sees it: behind a proxy, the
    /// proxy's). 0 turns the limit off.
    pub per_address_per_minute: u32,
    /// Password hashes computed at once; at least 1.
    pub hash_concurrency: usize,
    /// Attempts that may wait for a hashing slot; beyond them the answer is 429 at once.
    pub hash_queue: usize,
}

impl Default for LoginLimits {
    /// As many hashes at once as there are cores less one (at least one), so a core is left for
    /// every other request, and twice as many waiting.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let hashes = cores.saturating_sub(1).max(1);
        LoginLimits {
            per_username_per_minute: DEFAULT_LOGINS_PER_USERNAME,
            per_address_per_minute: DEFAULT_LOGINS_PER_ADDRESS,
            hash_concurrency: hashes,
            hash_queue: 2 * hashes,
        }
    }
}
