//! A login flood against the real server: its peak memory and `/health` latency while 400 logins
//! for unknown usernames (each one a 19 MiB argon2 hash, the timing equalizer) arrive over 64
//! connections.
//!
//! The `arzyab` binary runs as a child process on loopback (127.0.0.1, port 0) against SQLite in a
//! temporary directory; its peak resident memory is its `VmHWM` in `/proc/PID/status`. While the
//! flood runs, one more connection asks `/health` every 20 ms. Three configurations:
//!
//! 1. the defaults (per client address and per username rate limits, hashing bounded by the core
//!    count with a short queue);
//! 2. no rate limits, the hashing bound only (a flood from many addresses);
//! 3. for comparison, hashing unbounded as before (`--login-hashes 512`): every connection hashes
//!    at once.
//!
//! Every loop is bounded in count and time. Run with `cargo bench --bench login_flood`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

const LOGINS: usize = 400;
const CONNECTIONS: usize = 64;
const HEALTH_EVERY: Duration = Duration::from_millis(20);
/// A hard stop for one flood.
const FLOOD_LIMIT: Duration = Duration::from_secs(120);

struct Run {
    name: &'static str,
    flags: &'static [&'static str],
}

const RUNS: [Run; 3] = [
    Run {
        name: "defaults",
        flags: &[],
    },
    Run {
        name: "no rate limits, hashing bound only",
        flags: &["--logins-per-address", "0", "--logins-per-username", "0"],
    },
    Run {
        name: "hashing unbounded (as before)",
        flags: &[
            "--logins-per-address",
            "0",
            "--logins-per-username",
            "0",
            "--login-hashes",
            "512",
            "--login-queue",
            "0",
        ],
    },
];

struct Outcome {
    ok_401: usize,
    refused_429: usize,
    other: usize,
    seconds: f64,
    rss_before_mb: f64,
    rss_peak_mb: f64,
    health_ms: Vec<f64>,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "login flood: {LOGINS} logins for unknown usernames over {CONNECTIONS} connections, /health every {} ms; {cores} cores",
        HEALTH_EVERY.as_millis()
    );
    println!();
    println!(
        "| configuration | 401 | 429 | other | flood | RSS before | peak RSS | /health p50 | /health p99 | /health max | n |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for run in &RUNS {
        let o = runtime.block_on(flood(run));
        let mut h = o.health_ms.clone();
        h.sort_by(f64::total_cmp);
        let pct = |p: f64| h[((h.len() - 1) as f64 * p).round() as usize];
        println!(
            "| {} | {} | {} | {} | {:.1} s | {:.0} MB | {:.0} MB | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
            run.name,
            o.ok_401,
            o.refused_429,
            o.other,
            o.seconds,
            o.rss_before_mb,
            o.rss_peak_mb,
            pct(0.5),
            pct(0.99),
            h[h.len() - 1],
            h.len()
        );
    }
    println!();
    println!("goal with the limits on: peak RSS < 200 MB and /health p99 < 50 ms");
}

/// Starts the server with `flags`, floods it, and stops it.
async fn flood(run: &Run) -> Outcome {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let database = format!("sqlite://{}", dir.path().join("flood.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_arzyab"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-watch",
            "--rules",
            rules,
        ])
        .args(["--database", &database])
        .args(run.flags)
        .env("ARZYAB_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start arzyab serve");
    let url = listening_url(&mut child);
    let server = Server(child);
    let health_client = reqwest::Client::new();
    for _ in 0..5 {
        health_client
            .get(format!("{url}/health"))
            .send()
            .await
            .expect("health");
    }
    let rss_before_mb = vm_kb(server.0.id(), "VmRSS:") / 1024.0;

    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let (done, url) = (done.clone(), url.clone());
        async move {
            let mut ms = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let resp = health_client.get(format!("{url}/health")).send().await;
                if resp.is_ok_and(|r| r.status().is_success()) {
                    ms.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                tokio::time::sleep(HEALTH_EVERY).await;
            }
            ms
        }
    });
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut statuses = Vec::new();
                for i in (c..LOGINS).step_by(CONNECTIONS) {
                    if started.elapsed() > FLOOD_LIMIT {
                        break;
                    }
                    let body =
                        json!({"username": format!("nobody-{i}"), "password": "wrong-guess-0000"});
                    let status = client
                        .post(format!("{url}/v1/auth/login"))
                        .json(&body)
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    statuses.push(status);
                }
                statuses
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for w in workers {
        statuses.extend(w.await.expect("worker"));
    }
    let seconds = started.elapsed().as_secs_f64();
    // A little longer, to see /health settle.
    tokio::time::sleep(Duration::from_millis(200)).await;
    done.store(true, Ordering::Relaxed);
    let health_ms = sampler.await.expect("sampler");
    let rss_peak_mb = vm_kb(server.0.id(), "VmHWM:") / 1024.0;
    let count = |s: u16| statuses.iter().filter(|x| **x == s).count();
    Outcome {
        ok_401: count(401),
        refused_429: count(429),
        other: statuses.len() - count(401) - count(429),
        seconds,
        rss_before_mb,
        rss_peak_mb,
        health_ms,
    }
}

/// Kills the server when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the child's stdout until it prints the address it bound, then drains it in a thread.
fn listening_url(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("arzyab listening on ") {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(url) => url,
        Err(_) => {
            let _ = child.kill();
            panic!("the server did not say where it listens");
        }
    }
}

/// A `/proc/PID/status` field in kB (`VmRSS:`, `VmHWM:`).
fn vm_kb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field is there")
}
