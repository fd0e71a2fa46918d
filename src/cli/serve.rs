//! `arzyab serve`: the HTTP API on SQLite (default) or PostgreSQL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, ShiftedClock, SystemClock};
use crate::http::{AppState, ServerLimits, app, serve_with};
use crate::live::{Origin, Registry};
use crate::live::{WatchSettings, watch};
use crate::store::Store;

/// Options of `serve`.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the bound address is printed).
    #[arg(long, env = "ARZYAB_LISTEN", default_value = crate::config::DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// sqlite://FILE or postgres://USER@HOST:PORT/DB
    #[arg(long, env = "ARZYAB_DATABASE", default_value = crate::config::DEFAULT_DATABASE)]
    pub database: String,
    /// The rules directory (one subdirectory per round).
    #[arg(long, env = "ARZYAB_RULES", default_value = crate::config::DEFAULT_RULES)]
    pub rules: PathBuf,
    /// Start the clock at this moment (rehearsals, training, demos of past rounds):
    /// `1400/01/20 09:00` (Tehran), `2021-04-09T09:00` (Tehran) or `2021-04-09T04:30:00Z`.
    #[arg(long, env = "ARZYAB_NOW")]
    pub now: Option<String>,
    /// Seed a small demo population and demo staff accounts if the database has no offices.
    #[arg(long)]
    pub demo: bool,
    /// Do not watch the rules directory (edits then need a restart).
    #[arg(long, env = "ARZYAB_NO_WATCH")]
    pub no_watch: bool,
    /// Sign-in attempts allowed per minute for one username (0: no limit).
    #[arg(long, env = "ARZYAB_LOGINS_PER_USERNAME", default_value_t = crate::config::DEFAULT_LOGINS_PER_USERNAME)]
    pub logins_per_username: u32,
    /// Sign-in attempts allowed per minute from one client address (0: no limit).
    #[arg(long, env = "ARZYAB_LOGINS_PER_ADDRESS", default_value_t = crate::config::DEFAULT_LOGINS_PER_ADDRESS)]
    pub logins_per_address: u32,
    /// Password hashes computed at once (default: the number of cores less one, at least one).
    #[arg(long, env = "ARZYAB_LOGIN_HASHES", value_parser = clap::value_parser!(u32).range(1..))]
    pub login_hashes: Option<u32>,
    /// Sign-ins that may wait for a hashing slot before the answer is 429 (default: twice the
    /// number of hashes at once).
    #[arg(long, env = "ARZYAB_LOGIN_QUEUE")]
    pub login_queue: Option<u32>,
    /// Log lines as JSON instead of text.
    #[arg(long, env = "ARZYAB_LOG_JSON")]
    pub log_json: bool,
    /// Mark the pages' cookies `Secure` on every request (TLS ends at a proxy in front). Without
    /// it they are `Secure` when the proxy sends `X-Forwarded-Proto: https`.
    #[arg(long, env = "ARZYAB_COOKIE_SECURE")]
    pub cookie_secure: bool,
    /// Seconds a connection may take to send a complete request head, from opening or from its
    /// previous answer (so also how long an idle kept-alive connection stays open).
    #[arg(long, env = "ARZYAB_HEADER_TIMEOUT", value_name = "SECONDS", default_value = "10", value_parser = crate::config::parse_seconds)]
    pub header_timeout: Duration,
    /// Seconds a request body may take to arrive in full, from the end of its head.
    #[arg(long, env = "ARZYAB_BODY_TIMEOUT", value_name = "SECONDS", default_value = "60", value_parser = crate::config::parse_seconds)]
    pub body_timeout: Duration,
    /// Seconds writing an answer may make no progress (the client stopped reading) before the
    /// connection is closed.
    #[arg(long, env = "ARZYAB_WRITE_TIMEOUT", value_name = "SECONDS", default_value = "30", value_parser = crate::config::parse_seconds)]
    pub write_timeout: Duration,
    /// Connections open at once; more are answered 503 and closed. Default: the open-file limit
    /// (`ulimit -n`) less 64, at most 10,000.
    #[arg(long, env = "ARZYAB_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

impl ServeArgs {
    /// The connection limits the flags (or their environment variables) set.
    fn limits(&self) -> ServerLimits {
        ServerLimits {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            write_timeout: self.write_timeout,
            max_connections: self
                .max_connections
                .unwrap_or_else(crate::config::default_max_connections)
                .max(1),
        }
    }
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ARZYAB_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn run(args: ServeArgs) -> Result<ExitCode, String> {
    init_logging(args.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let clock: Arc<dyn Clock> = match &args.now {
            Some(t) => {
                let start = crate::clock::parse_instant(t)?;
                tracing::warn!(start = %start, "SIMULATED CLOCK: deadlines are checked against a rehearsal time that starts at {start}, not the real time");
                Arc::new(ShiftedClock::starting_at(start))
            }
            None => Arc::new(SystemClock),
        };
        let store = Store::connect(&args.database).await.map_err(|e| e.to_string())?;
        let registry = Arc::new(Registry::new(&args.rules));
        // Every version that goes live is first stored, with its source, in the database.
        registry.set_version_log(Arc::new(store.clone()));
        registry.set_publication_check(Arc::new(store.clone()));
        // Rounds that fail to load (or their rule tests) are logged with every diagnostic.
        registry.reload_all(Origin::Startup, clock.now()).await;
        let live = registry.rounds();
        if live.is_empty() {
            tracing::warn!(rules = %args.rules.display(), "no round is live: add a round directory such as rules/1400-2");
        }
        for rs in live.values() {
            tracing::info!(round = %rs.round, version = %rs.version, hash = %&rs.hash()[..16], "round live");
        }
        if args.demo {
            super::demo_seed::seed(&crate::app::App::new(store.clone(), registry.clone(), clock.clone())).await?;
        }
        // Edits under the rules directory go live without a restart (see README).
        let _watcher = if args.no_watch {
            None
        } else {
            match watch(registry.clone(), clock.clone(), WatchSettings::default()) {
                Ok(w) => {
                    tracing::info!(rules = %args.rules.display(), "watching the rules directory");
                    Some(w)
                }
                Err(e) => {
                    tracing::error!(rules = %args.rules.display(), "the rules directory is not watched ({e}); rule edits need a restart");
                    None
                }
            }
        };
        let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        println!("arzyab listening on http://{addr}");
        tracing::info!(%addr, backend = ?store.backend, "serving");
        let limits = args.limits();
        let files = crate::config::open_file_limit();
        tracing::info!(max_connections = limits.max_connections, header_timeout = ?limits.header_timeout, body_timeout = ?limits.body_timeout, write_timeout = ?limits.write_timeout, open_file_limit = ?files, "connection limits");
        if let Some(files) = files
            && limits.max_connections as u64 + crate::config::RESERVED_FILES > files
        {
            tracing::warn!(max_connections = limits.max_connections, open_file_limit = files, "--max-connections is too close to the open-file limit: raise `ulimit -n` or lower it, or the server may fail to accept with \"too many open files\"");
        }
        let state = AppState::new(crate::app::App::new(store, registry, clock.clone()))
            .with_login_limits(&login_limits(&args))
            .with_cookie_secure(args.cookie_secure);
        let shutdown = crate::http::stopping_evaluations(&state, shutdown_signal());
        serve_with(listener, app(state), limits, shutdown).await.map_err(|e| e.to_string())?;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// The sign-in limits: the defaults, overridden by flags and environment.
fn login_limits(args: &ServeArgs) -> crate::config::LoginLimits {
    let defaults = crate::config::LoginLimits::default();
    let hash_concurrency = args
        .login_hashes
        .map_or(defaults.hash_concurrency, |n| n as usize);
    crate::config::LoginLimits {
        per_username_per_minute: args.logins_per_username,
        per_address_per_minute: args.logins_per_address,
        hash_concurrency,
        hash_queue: args
            .login_queue
            .map_or(2 * hash_concurrency, |n| n as usize),
    }
}

/// Ctrl-C or SIGTERM: stop accepting, finish what was accepted, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
