//! Hot reload under load: how long from saving a rule file to the new version serving, and whether
//! reloads — good and broken, alternating — ever make a score request fail or answer inconsistently.
//!
//! The server runs in this process on loopback (127.0.0.1, port 0) against SQLite in a temporary
//! directory, on a temporary copy of `rules/`, with the file watcher as `arzyab serve` starts it.
//!
//! 1. Save → serving: 20 edits of a label in `1400-2/criteria.yaml`; after each save the score
//!    endpoint is polled every 5 ms until its `rules_hash` is the hash of the saved files.
//! 2. Save → serving while the rules are being read: the same 20 edits with a thread reading
//!    every file of the round every 2 ms (as an editor or indexer does) and a client polling
//!    `GET /v1/rules` every 50 ms. Reads must not delay a reload.
//! 3. Steady load: a few client tasks post the same score request back to back, first for a while
//!    with no reloads, then during 100 reloads alternating good (the `data_completeness` weight
//!    toggled between 0.5 and 1, with the round's rule tests updated: 100 or 105 points) and
//!    broken (bad indentation in `criteria.yaml`). Every response must be 200, name one of the two
//!    good versions' hashes, and give that version's total. Latency percentiles of both phases are
//!    printed.
//!
//! Every loop is bounded in count and time. Run with `cargo bench --bench reload`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arzyab::clock::{Clock, SystemClock};
use arzyab::domain::{Role, RoundId};
use arzyab::http::AppState;
use arzyab::live::{Origin, Registry};
use arzyab::live::{WatchSettings, watch};
use arzyab::rules::compile::read_source;
use arzyab::store::Store;
use serde_json::{Value, json};

const CLIENTS: usize = 4;
const EDITS: usize = 20;
const RELOADS: usize = 100;
const WARM_UP: Duration = Duration::from_secs(2);
const BASELINE: Duration = Duration::from_secs(8);
/// The longest one reload may take to show before the run is declared failed.
const RELOAD_LIMIT: Duration = Duration::from_secs(10);
/// A hard stop for the load phase with reloads.
const LOAD_LIMIT: Duration = Duration::from_secs(180);
/// At most this many requests per client per phase.
const MAX_REQUESTS: usize = 500_000;
const PASSWORD: &str = "bench-admin-password-1400";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// The perfect office of 1400-2: 100 points, or 105 with the completeness weight doubled.
fn body() -> Value {
    json!({"office": {"kind": "pishkhan"}, "inputs": {
        "area_m2": 150, "staff_count": 10, "insured_staff": 7, "disabled_staff": 3,
        "location_type": "city_center", "distance_to_nearest_office_m": 2500, "step_free_access": true,
        "years_active": 12, "satisfaction_percent": 100, "association_score": 100,
        "data_completeness_percent": 100
    }})
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?}");
    text.replacen(from, to, 1)
}

/// The two files a good edit writes.
#[derive(Clone)]
struct Variant {
    criteria: String,
    cases: String,
}

fn write(round: &Path, v: &Variant) {
    std::fs::write(round.join("tests/cases.yaml"), &v.cases).unwrap();
    std::fs::write(round.join("criteria.yaml"), &v.criteria).unwrap();
}

/// The content hash the server will compute for a round whose files are `v`.
fn hash_of(round: &Path, v: &Variant, scratch: &Path) -> String {
    let dir = scratch.join("1400-2");
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(round, &dir);
    write(&dir, v);
    read_source(&dir).unwrap().hash
}

struct Server {
    url: String,
    client: reqwest::Client,
    token: String,
    admin: String,
    registry: Arc<Registry>,
}

async fn start(rules: &Path, db: &Path) -> (Server, arzyab::live::RulesWatcher) {
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("database");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let registry = Arc::new(Registry::new(rules));
    registry.set_version_log(Arc::new(store.clone()));
    let failures = registry.reload_all(Origin::Startup, clock.now()).await;
    assert!(failures.is_empty(), "{failures:?}");
    let watcher = watch(registry.clone(), clock.clone(), WatchSettings::default()).expect("watch");
    let hash = arzyab::accounts::hash_password(PASSWORD);
    let mut tx = store.pool.begin().await.unwrap();
    let admin = arzyab::store::users::NewUser {
        username: "admin",
        password_hash: Some(&hash),
        role: Role::Admin,
        office_id: None,
        region: None,
        national_code: None,
    };
    arzyab::store::users::insert_user(&mut tx, &admin, 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(arzyab::app::App::new(
        store,
        registry.clone(),
        clock.clone(),
    ));
    tokio::spawn(arzyab::http::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();
    let post = |path: &str, token: Option<&str>, body: Value| {
        let mut r = client.post(format!("{url}{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    };
    let login: Value = post(
        "/v1/auth/login",
        None,
        json!({"username": "admin", "password": PASSWORD}),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let admin = login["token"].as_str().expect("admin token").to_string();
    let s = post(
        "/v1/users",
        Some(&admin),
        json!({"username": "bench-client", "role": "api_client"}),
    )
    .send()
    .await
    .unwrap()
    .status();
    assert_eq!(s.as_u16(), 201);
    let t: Value = post("/v1/users/bench-client/tokens", Some(&admin), json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["token"].as_str().expect("client token").to_string();
    (
        Server {
            url,
            client,
            token,
            admin,
            registry,
        },
        watcher,
    )
}

/// One score request: its latency, and the hash and total it answered with (or why it failed).
async fn score(s: &Server) -> (Duration, Result<(String, f64), String>) {
    let t0 = Instant::now();
    let resp = s
        .client
        .post(format!("{}/v1/rounds/1400-2/score", s.url))
        .bearer_auth(&s.token)
        .json(&body())
        .send()
        .await;
    let out = match resp {
        Err(e) => Err(format!("request failed: {e}")),
        Ok(r) => {
            let status = r.status();
            match r.json::<Value>().await {
                Err(e) => Err(format!("{status}: unreadable body: {e}")),
                Ok(v) if status.is_success() => {
                    match (v["rules_hash"].as_str(), v["explanation"]["total"].as_f64()) {
                        (Some(h), Some(t)) => Ok((h.to_string(), t)),
                        _ => Err(format!("{status}: no hash or total: {v}")),
                    }
                }
                Ok(v) => Err(format!("{status}: {v}")),
            }
        }
    };
    (t0.elapsed(), out)
}

#[derive(Default)]
struct LoadStats {
    latencies: Vec<Duration>,
    failed: usize,
    inconsistent: usize,
    by_hash: HashMap<String, usize>,
    problems: Vec<String>,
}

impl LoadStats {
    fn merge(&mut self, other: LoadStats) {
        self.latencies.extend(other.latencies);
        self.failed += other.failed;
        self.inconsistent += other.inconsistent;
        for (h, n) in other.by_hash {
            *self.by_hash.entry(h).or_default() += n;
        }
        self.problems.extend(other.problems.into_iter().take(5));
    }
}

/// Posts score requests back to back until `stop` is set or `limit` passes.
async fn client_loop(
    s: Arc<Server>,
    expected: Arc<HashMap<String, f64>>,
    stop: Arc<AtomicBool>,
    limit: Duration,
) -> LoadStats {
    let start = Instant::now();
    let mut st = LoadStats::default();
    while !stop.load(Ordering::Relaxed)
        && start.elapsed() < limit
        && st.latencies.len() < MAX_REQUESTS
    {
        let (lat, out) = score(&s).await;
        st.latencies.push(lat);
        match out {
            Err(e) => {
                st.failed += 1;
                if st.problems.len() < 5 {
                    st.problems.push(e);
                }
            }
            Ok((hash, total)) => {
                if expected.get(&hash) != Some(&total) {
                    st.inconsistent += 1;
                    if st.problems.len() < 5 {
                        st.problems
                            .push(format!("hash {} answered total {total}", &hash[..16]));
                    }
                }
                *st.by_hash.entry(hash).or_default() += 1;
            }
        }
    }
    st
}

async fn load(
    s: &Arc<Server>,
    expected: &Arc<HashMap<String, f64>>,
    stop: &Arc<AtomicBool>,
    limit: Duration,
) -> Vec<tokio::task::JoinHandle<LoadStats>> {
    (0..CLIENTS)
        .map(|_| {
            tokio::spawn(client_loop(
                s.clone(),
                expected.clone(),
                stop.clone(),
                limit,
            ))
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, st: &mut LoadStats, wall: Duration) {
    st.latencies.sort();
    let l = &st.latencies;
    println!(
        "{name:<16} {:>7} req  {:>7.0} req/s  p50 {:>10}  p90 {:>10}  p99 {:>10}  max {:>10}  failed {}  inconsistent {}",
        l.len(),
        l.len() as f64 / wall.as_secs_f64(),
        ms(percentile(l, 0.50)),
        ms(percentile(l, 0.90)),
        ms(percentile(l, 0.99)),
        ms(percentile(l, 1.0)),
        st.failed,
        st.inconsistent
    );
}

/// [`EDITS`] edits of a label in `criteria.yaml` (starting from `criteria`); after each save the
/// score endpoint is polled every 5 ms until it names the saved files' hash. Sorted save → serving
/// times.
async fn edits(server: &Server, round: &Path, criteria: &str, tag: &str) -> Vec<Duration> {
    let mut times = Vec::with_capacity(EDITS);
    for i in 0..EDITS {
        let text = replace_once(
            criteria,
            "en: Office space",
            &format!("en: Office space ({tag} {i})"),
        );
        let t0 = Instant::now();
        std::fs::write(round.join("criteria.yaml"), &text).unwrap();
        let want = read_source(round).unwrap().hash;
        loop {
            let (_, out) = score(server).await;
            if matches!(&out, Ok((h, _)) if *h == want) {
                break;
            }
            assert!(
                t0.elapsed() < RELOAD_LIMIT,
                "{tag} {i} not served within {RELOAD_LIMIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        times.push(t0.elapsed());
    }
    times.sort();
    times
}

/// Waits until `done` holds, checking every 2 ms, for at most [`RELOAD_LIMIT`].
async fn until(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let t0 = Instant::now();
    while !done() {
        assert!(
            t0.elapsed() < RELOAD_LIMIT,
            "not within {RELOAD_LIMIT:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    t0.elapsed()
}

async fn run() {
    let tmp = tempfile::tempdir().unwrap();
    let rules: PathBuf = tmp.path().join("rules");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"), &rules);
    let scratch = tmp.path().join("scratch");
    let round = rules.join("1400-2");
    let id = RoundId::parse("1400-2").unwrap();
    let (server, _watcher) = start(&rules, &tmp.path().join("bench.db")).await;
    let server = Arc::new(server);
    println!(
        "hot reload on loopback {} — {CLIENTS} clients, SQLite, 1400-2",
        server.url
    );

    // 1. Save → serving.
    let original = Variant {
        criteria: std::fs::read_to_string(round.join("criteria.yaml")).unwrap(),
        cases: std::fs::read_to_string(round.join("tests/cases.yaml")).unwrap(),
    };
    let save_to_serving = edits(&server, &round, &original.criteria, "edit").await;
    println!(
        "save → serving   {EDITS} edits  min {}  p50 {}  p90 {}  max {}  (debounce {} included)",
        ms(save_to_serving[0]),
        ms(percentile(&save_to_serving, 0.5)),
        ms(percentile(&save_to_serving, 0.9)),
        ms(percentile(&save_to_serving, 1.0)),
        ms(WatchSettings::default().debounce)
    );

    // 2. Save → serving while a reader and a poller read the rules.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let (round, stop) = (round.clone(), stop.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            let mut passes = 0usize;
            while !stop.load(Ordering::Relaxed) && start.elapsed() < LOAD_LIMIT {
                for entry in std::fs::read_dir(&round).into_iter().flatten().flatten() {
                    let _ = std::fs::read(entry.path());
                }
                passes += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            passes
        })
    };
    let poller = {
        let (s, stop) = (server.clone(), stop.clone());
        tokio::spawn(async move {
            let start = Instant::now();
            let mut polls = 0usize;
            while !stop.load(Ordering::Relaxed) && start.elapsed() < LOAD_LIMIT {
                let r = s
                    .client
                    .get(format!("{}/v1/rules", s.url))
                    .bearer_auth(&s.admin)
                    .send()
                    .await
                    .expect("GET /v1/rules");
                assert!(r.status().is_success(), "GET /v1/rules: {}", r.status());
                polls += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            polls
        })
    };
    let while_read = edits(&server, &round, &original.criteria, "read edit").await;
    stop.store(true, Ordering::Relaxed);
    let passes = reader.join().unwrap();
    let polls = poller.await.unwrap();
    println!(
        "save → serving   {EDITS} edits, reader + poller  min {}  p50 {}  p90 {}  max {}  ({passes} directory reads, {polls} polls of /v1/rules)",
        ms(while_read[0]),
        ms(percentile(&while_read, 0.5)),
        ms(percentile(&while_read, 0.9)),
        ms(percentile(&while_read, 1.0)),
    );

    // 3. The versions a client may see, and what each must answer.
    let a = original.clone();
    let b = Variant {
        criteria: replace_once(&a.criteria, "    weight: 0.5\n", "    weight: 1\n"),
        cases: replace_once(
            &replace_once(
                &replace_once(
                    &replace_once(
                        &a.cases,
                        "contributions: { area: 15, data_completeness: 5 }",
                        "contributions: { area: 15, data_completeness: 10 }",
                    ),
                    "      total: 100 ",
                    "      total: 105 ",
                ),
                "contributions: { data_completeness: 1.5 }",
                "contributions: { data_completeness: 3 }",
            ),
            "      total: 29 ",
            "      total: 30.5 ",
        ),
    };
    let (hash_a, hash_b) = (hash_of(&round, &a, &scratch), hash_of(&round, &b, &scratch));
    let expected = Arc::new(HashMap::from([
        (hash_a.clone(), 100.0),
        (hash_b.clone(), 105.0),
    ]));
    write(&round, &a);
    let registry = server.registry.clone();
    until("version A live", || {
        registry.get(id).is_some_and(|rs| rs.hash() == hash_a)
    })
    .await;

    // Without reloads (after a short warm-up that is not counted).
    let stop = Arc::new(AtomicBool::new(false));
    for h in load(&server, &expected, &stop, WARM_UP).await {
        h.await.unwrap();
    }
    let t0 = Instant::now();
    let mut baseline = LoadStats::default();
    for h in load(&server, &expected, &stop, BASELINE).await {
        baseline.merge(h.await.unwrap());
    }
    let baseline_wall = t0.elapsed();

    // With 100 reloads, good and broken alternating.
    let t0 = Instant::now();
    let clients = load(&server, &expected, &stop, LOAD_LIMIT).await;
    let mut good = Vec::new();
    let mut broken = Vec::new();
    let mut current = a.clone();
    for i in 0..RELOADS {
        if i.is_multiple_of(2) {
            let (next, want) = if current.criteria == a.criteria {
                (b.clone(), hash_b.clone())
            } else {
                (a.clone(), hash_a.clone())
            };
            let w = Instant::now();
            write(&round, &next);
            until(&format!("reload {i} (good) live"), || {
                registry.get(id).is_some_and(|rs| rs.hash() == want)
            })
            .await;
            good.push(w.elapsed());
            current = next;
        } else {
            let bad = replace_once(
                &current.criteria,
                "    weight: 1.5\n",
                "      weight: 1.5\n",
            );
            let w = Instant::now();
            std::fs::write(round.join("criteria.yaml"), &bad).unwrap();
            let want = read_source(&round).unwrap().hash;
            until(&format!("reload {i} (broken) refused"), || {
                registry
                    .attempts()
                    .get("1400-2")
                    .is_some_and(|a| !a.ok && a.hash.as_deref() == Some(want.as_str()))
            })
            .await;
            broken.push(w.elapsed());
            assert!(expected.contains_key(registry.get(id).unwrap().hash()));
            // Back to the good files before the next good edit.
            std::fs::write(round.join("criteria.yaml"), &current.criteria).unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut with_reloads = LoadStats::default();
    for h in clients {
        with_reloads.merge(h.await.unwrap());
    }
    let reload_wall = t0.elapsed();

    println!();
    report("no reloads", &mut baseline, baseline_wall);
    report("100 reloads", &mut with_reloads, reload_wall);
    good.sort();
    broken.sort();
    println!(
        "reloads          {} good: save → live p50 {}  max {};  {} broken: save → refused p50 {}  max {}",
        good.len(),
        ms(percentile(&good, 0.5)),
        ms(percentile(&good, 1.0)),
        broken.len(),
        ms(percentile(&broken, 0.5)),
        ms(percentile(&broken, 1.0))
    );
    let mut seen: Vec<_> = with_reloads.by_hash.iter().collect();
    seen.sort();
    for (h, n) in seen {
        println!(
            "  responses under {} (total {}): {n}",
            &h[..16],
            expected.get(h).map_or("?".into(), |t| t.to_string())
        );
    }
    for p in baseline.problems.iter().chain(&with_reloads.problems) {
        println!("  problem: {p}");
    }
    let versions = registry.rounds();
    println!("live at the end: 1400-2 {}", &versions[&id].hash()[..16]);

    assert_eq!(baseline.failed + with_reloads.failed, 0, "failed responses");
    assert_eq!(
        baseline.inconsistent + with_reloads.inconsistent,
        0,
        "inconsistent responses"
    );
    assert!(
        with_reloads.by_hash.len() == 2,
        "both good versions should have served during the reloads"
    );
    let worst = percentile(&save_to_serving, 1.0)
        .max(percentile(&while_read, 1.0))
        .max(percentile(&good, 1.0));
    assert!(
        worst < Duration::from_secs(1),
        "save → serving took {} (target < 1 s)",
        ms(worst)
    );
    println!("ok: no failed or inconsistent responses; save → serving under 1 s");
}
