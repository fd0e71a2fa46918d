//! Hostile `/score` bodies against the real server binary over loopback: six clients each send
//! 4 MB bodies of 230,000 unknown input names while a seventh polls `/health`. Prints the server
//! process's peak memory (VmHWM, read from /proc), the size and time of the hostile answers, and
//! `/health` latency idle and under the load. Bounded: 6 × 20 hostile requests, 60 s at most.
//! Run with `cargo bench --bench abuse` (Linux: it reads /proc/<pid>/status); to compare builds,
//! point `ARZYAB_BENCH_SERVER` at another `arzyab` binary.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CLIENTS: usize = 6;
const REQUESTS_PER_CLIENT: usize = 20;
const BODY_BYTES: usize = 4_100_000;
const HEALTH_EVERY: Duration = Duration::from_millis(20);
const DEADLINE: Duration = Duration::from_secs(60);

/// The server process; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A /proc/<pid>/status field in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `{"office": …, "inputs": {"unknown_000000": 0, …}}` of about `BODY_BYTES`.
fn hostile_body() -> (String, usize) {
    let mut body = String::from(r#"{"office":{"kind":"pishkhan"},"inputs":{"#);
    let mut keys = 0;
    while body.len() + 20 < BODY_BYTES {
        if keys > 0 {
            body.push(',');
        }
        body.push_str(&format!("\"unknow_{keys:06}\":0"));
        keys += 1;
    }
    body.push_str("}}");
    (body, keys)
}

fn main() {
    let bin = std::env::var("ARZYAB_BENCH_SERVER")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_arzyab").to_string());
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("abuse.db").display());
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let made = Command::new(&bin)
        .args([
            "create-admin",
            "--username",
            "admin",
            "--database",
            &database,
        ])
        .env("ARZYAB_ADMIN_PASSWORD", "abuse-bench-password-1400")
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut child = Command::new(&bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .args(["--database", &database, "--now", "1400/01/20 09:00"])
        .arg("--rules")
        .arg(&rules)
        .env("ARZYAB_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let url = line
        .trim()
        .strip_prefix("arzyab listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(url, pid));
}

/// `/health` latencies until `stop` says so, and how many failed (no answer within 30 s, or not
/// 200); a failure counts as 30 s.
async fn health_latencies(
    client: &reqwest::Client,
    url: &str,
    stop: impl Fn() -> bool,
) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut failed = 0;
    while !stop() {
        let t = Instant::now();
        let ok = client
            .get(format!("{url}/health"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ok {
            times.push(t.elapsed());
        } else {
            failed += 1;
            times.push(Duration::from_secs(30));
        }
        tokio::time::sleep(HEALTH_EVERY).await;
    }
    times.sort();
    (times, failed)
}

async fn run(url: String, pid: u32) {
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "admin", "password": "abuse-bench-password-1400"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();
    let (body, keys) = hostile_body();

    let started = Instant::now();
    let (idle, _) =
        health_latencies(&client, &url, || started.elapsed() > Duration::from_secs(3)).await;
    let rss_idle = status_kib(pid, "VmHWM");

    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load_started = Instant::now();
    let mut senders = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, token, body, done) = (
            reqwest::Client::new(),
            url.clone(),
            token.clone(),
            body.clone(),
            done.clone(),
        );
        senders.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for _ in 0..REQUESTS_PER_CLIENT {
                if load_started.elapsed() > DEADLINE {
                    break;
                }
                let t = Instant::now();
                let answer = client
                    .post(format!("{url}/v1/rounds/1400-2/score"))
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                // A request that fails outright (reset, timed out) counts as status 0.
                let (status, len) = match answer {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        match resp.bytes().await {
                            Ok(b) => (status, b.len()),
                            Err(_) => (0, 0),
                        }
                    }
                    Err(_) => (0, 0),
                };
                answers.push((status, len, t.elapsed()));
            }
            done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answers
        }));
    }
    let (loaded, health_failed) = {
        let done = done.clone();
        health_latencies(&client, &url, move || {
            done.load(std::sync::atomic::Ordering::SeqCst) == CLIENTS
        })
        .await
    };
    let load_time = load_started.elapsed();
    let mut answers = Vec::new();
    for s in senders {
        answers.extend(s.await.unwrap());
    }
    let rss_peak = status_kib(pid, "VmHWM");
    let mut times: Vec<Duration> = answers.iter().map(|a| a.2).collect();
    times.sort();
    let statuses: std::collections::BTreeSet<u16> = answers.iter().map(|a| a.0).collect();
    let largest = answers.iter().map(|a| a.1).max().unwrap_or(0);

    println!(
        "\nhostile body: {keys} unknown input names, {:.1} MB; {} clients × {} requests in {:.1} s",
        body.len() as f64 / 1e6,
        CLIENTS,
        answers.len() / CLIENTS,
        load_time.as_secs_f64()
    );
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    println!("{:<44} {:>14}", "measure", "value");
    println!(
        "{:<44} {:>14}",
        "hostile answers: status",
        format!("{statuses:?}")
    );
    println!(
        "{:<44} {:>14}",
        "hostile answers: largest body",
        format!("{largest} B")
    );
    println!(
        "{:<44} {:>14}",
        "hostile answers: p50 time",
        ms(percentile(&times, 0.5))
    );
    println!(
        "{:<44} {:>14}",
        "hostile answers: max time",
        ms(percentile(&times, 1.0))
    );
    println!(
        "{:<44} {:>14}",
        format!("/health idle ({} requests): p50", idle.len()),
        ms(percentile(&idle, 0.5))
    );
    println!(
        "{:<44} {:>14}",
        "/health idle: p99",
        ms(percentile(&idle, 0.99))
    );
    println!(
        "{:<44} {:>14}",
        format!("/health under load ({} requests): p50", loaded.len()),
        ms(percentile(&loaded, 0.5))
    );
    println!(
        "{:<44} {:>14}",
        "/health under load: p99",
        ms(percentile(&loaded, 0.99))
    );
    println!(
        "{:<44} {:>14}",
        "/health under load: max",
        ms(percentile(&loaded, 1.0))
    );
    println!(
        "{:<44} {:>14}",
        "/health under load: failed (counted as 30 s)", health_failed
    );
    println!(
        "{:<44} {:>14}",
        "server peak RSS before the load",
        format!("{:.0} MB", rss_idle as f64 / 1024.0)
    );
    println!(
        "{:<44} {:>14}",
        "server peak RSS after the load",
        format!("{:.0} MB", rss_peak as f64 / 1024.0)
    );
}
