//! Settings of the server: defaults, overridden by environment variables, overridden by flags
//! (clap reads both; this module holds the defaults and their meaning).

use std::time::Duration;

/// Where the server listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The embedded default database: a SQLite file created on first start.
pub const DEFAULT_DATABASE: &str = "sqlite://data/arzyab.db";
/// The rules directory: one subdirectory per round.
pub const DEFAULT_RULES: &str = "rules";

/// Sign-in attempts allowed per minute for one username, by default.
pub const DEFAULT_LOGINS_PER_USERNAME: u32 = 10;
/// Sign-in attempts allowed per minute from one client address, by default: generous, because many
/// offices can share one address (a mobile carrier's NAT, a provincial network); the hashing bound
/// and the per-username limit are what hold a flood and a guesser.
pub const DEFAULT_LOGINS_PER_ADDRESS: u32 = 300;

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

/// How long a connection may take to send a complete request head, from being opened or from its
/// previous answer; hyper measures both with one timer, so this is also the idle timeout of a
/// kept-alive connection.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request body may take to arrive in full, from the end of its head (4 MB, the largest
/// body accepted, at about 0.5 Mbit/s).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long writing an answer may make no progress at all before the connection is closed: a
/// client that stops reading (its receive window full) would otherwise hold its connection for
/// ever. Any progress starts the wait again, so a slow but living link is never cut.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Open files kept free of connections: the database pool, the rules directory and its watcher,
/// logs, and rule files read during a reload.
pub const RESERVED_FILES: u64 = 64;

/// How the server protects itself from slow, idle and too many clients (README, "Operating the
/// server").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// See [`DEFAULT_HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`DEFAULT_BODY_TIMEOUT`].
    pub body_timeout: Duration,
    /// See [`DEFAULT_WRITE_TIMEOUT`].
    pub write_timeout: Duration,
    /// Connections open at once; one more is answered 503 and closed at once.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_connections: default_max_connections(),
        }
    }
}

/// A connection cap below the open-file limit, so the server never runs out of files while
/// accepting: the limit less [`RESERVED_FILES`], between 16 and 10,000 (1,024 where the limit
/// cannot be read).
pub fn default_max_connections() -> usize {
    match open_file_limit() {
        Some(files) => files.saturating_sub(RESERVED_FILES).clamp(16, 10_000) as usize,
        None => 1024,
    }
}

/// The process's soft limit on open files (`ulimit -n`), read from `/proc/self/limits`; `None`
/// where that file does not exist or says `unlimited`.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    line.split_whitespace().next()?.parse().ok()
}

/// A number of seconds, decimals allowed (`10`, `0.5`), as a duration; for the timeout flags.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "`{text}`: give a number of seconds above 0 and at most 86400"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_read_as_seconds_with_decimals() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("2s"), Ok(Duration::from_secs(2)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("ten").unwrap_err().contains("ten"));
    }

    #[test]
    fn the_default_connection_cap_leaves_room_below_the_open_file_limit() {
        let cap = default_max_connections() as u64;
        match open_file_limit() {
            Some(files) if files > RESERVED_FILES + 16 => {
                assert!(
                    cap + RESERVED_FILES <= files,
                    "{cap} + {RESERVED_FILES} > {files}"
                )
            }
            _ => assert!(cap >= 16),
        }
    }
}
