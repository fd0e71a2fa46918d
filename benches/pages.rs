//! How fast the portal's pages are rendered with a national population in the database: 20,000
//! offices, 5,000 of them in region 1 (the reviewer's queue of a large region).
//!
//! The `arzyab` binary runs as a child process on loopback (127.0.0.1, port 0) against SQLite in a
//! temporary directory, its clock inside the round's self-declaration window. The registry is
//! imported with `arzyab import offices`; office holders and a region-1 reviewer sign in through the
//! sign-in form, as a browser would. Each page is then asked for `REQUESTS` times in a row (office
//! pages by a different office each time) and the table gives its latency percentiles and its
//! weight. Every loop is bounded in count. Run with `cargo bench --bench pages` (or, for a quick
//! upper bound from an unoptimized build, `cargo bench --profile dev --bench pages`).
//!
//! Goals (issue 14): each page p99 < 20 ms; the reviewer's queue of 5,000 files, paged and
//! filtered, < 50 ms; a page < 100 KB before fonts. The console's simulation runs (issue 15) rank
//! the whole population under two rule sets; they are measured `SIMULATIONS` times, for the record.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OFFICES: usize = 20_000;
/// Offices of region 1 (the large region whose reviewer's queue is measured).
const REGION_ONE: usize = 5_000;
const REQUESTS: usize = 300;
/// Office holders signed in (office pages rotate among them).
const HOLDERS: usize = 30;
const ADMIN: (&str, &str) = ("bench-admin", "bench-admin-password-1");
const REVIEWER: (&str, &str) = ("bench-reviewer", "bench-reviewer-password-1");
const REGULATOR: (&str, &str) = ("bench-regulator", "bench-regulator-password-1");

/// Who asks for a page.
#[derive(Clone, Copy)]
enum Who {
    Anonymous,
    Office,
    Reviewer,
    Regulator,
}

/// The pages measured: a name, a path, who asks. Paths that do not exist (yet) are reported as
/// such, not measured.
const PAGES: &[(&str, &str, Who)] = &[
    ("sign-in form", "/", Who::Anonymous),
    ("office home", "/", Who::Office),
    ("declaration form", "/declaration", Who::Office),
    ("check your answers", "/declaration/check", Who::Office),
    ("change password", "/account/password", Who::Office),
    ("file timeline", "/file", Who::Office),
    ("results", "/results", Who::Office),
    ("reviewer home", "/", Who::Reviewer),
    ("review queue, page 1", "/review", Who::Reviewer),
    (
        "review queue, filtered",
        "/review?status=submitted&kind=rural_ict",
        Who::Reviewer,
    ),
    ("review queue, page 40", "/review?page=40", Who::Reviewer),
    ("review queue, search", "/review?q=P-04999", Who::Reviewer),
    ("round dashboard", "/console", Who::Regulator),
    ("simulation form", "/console/simulation", Who::Regulator),
];

/// Simulation runs measured (each ranks the whole population twice and is audited).
const SIMULATIONS: usize = 30;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = format!("sqlite://{}", dir.path().join("pages.db").display());
    let registry = dir.path().join("registry.csv");
    let codes = write_registry(&registry);
    let started = Instant::now();
    cli(
        &["import", "offices", "--database", &database],
        Some(&registry),
    );
    let admin = Command::new(env!("CARGO_BIN_EXE_arzyab"))
        .args([
            "create-admin",
            "--username",
            ADMIN.0,
            "--database",
            &database,
        ])
        .env("ARZYAB_ADMIN_PASSWORD", ADMIN.1)
        .status()
        .expect("create-admin");
    assert!(admin.success(), "create-admin failed");
    let imported = started.elapsed();

    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let child = Command::new(env!("CARGO_BIN_EXE_arzyab"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-watch"])
        .args(["--rules", rules, "--database", &database])
        .args(["--now", "1400/01/25 09:00"])
        .args(["--logins-per-address", "0", "--logins-per-username", "0"])
        .env("ARZYAB_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start arzyab serve");
    let mut server = Server(child);
    let url = listening_url(&mut server.0);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    let token = api_login(&http, &url, ADMIN).await;
    let created = http
        .post(format!("{url}/v1/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "username": REVIEWER.0, "password": REVIEWER.1, "role": "reviewer", "region": 1
        }))
        .send()
        .await
        .expect("create the reviewer");
    assert!(
        created.status().is_success(),
        "create the reviewer: {}",
        created.text().await.unwrap_or_default()
    );
    let reviewer = page_sign_in(&http, &url, REVIEWER.0, REVIEWER.1).await;
    let created = http
        .post(format!("{url}/v1/users"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "username": REGULATOR.0, "password": REGULATOR.1, "role": "regulator"
        }))
        .send()
        .await
        .expect("create the regulator");
    assert!(created.status().is_success(), "create the regulator");
    let regulator = page_sign_in(&http, &url, REGULATOR.0, REGULATOR.1).await;
    let mut holders = Vec::new();
    for code in codes.iter().step_by(OFFICES / HOLDERS).take(HOLDERS) {
        holders.push(page_sign_in(&http, &url, code, code).await);
    }

    println!(
        "pages: {OFFICES} offices ({REGION_ONE} in region 1), SQLite, {REQUESTS} requests per page in a row; registry imported in {:.1} s",
        imported.as_secs_f64()
    );
    println!();
    println!("| page | status | p50 | p99 | max | weight |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, path, who) in PAGES {
        let mut ms = Vec::with_capacity(REQUESTS);
        let mut weight = 0;
        let mut status = 0;
        for i in 0..REQUESTS {
            let cookie = match who {
                Who::Anonymous => String::new(),
                Who::Office => holders[i % holders.len()].clone(),
                Who::Reviewer => reviewer.clone(),
                Who::Regulator => regulator.clone(),
            };
            let began = Instant::now();
            let resp = http
                .get(format!("{url}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .expect("page");
            status = resp.status().as_u16();
            let body = resp.bytes().await.expect("page body");
            ms.push(began.elapsed().as_secs_f64() * 1000.0);
            weight = body.len();
            if status == 404 {
                break;
            }
        }
        if status == 404 {
            println!("| {name} (`{path}`) | 404: not built yet | | | | |");
            continue;
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
        println!(
            "| {name} (`{path}`) | {status} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} KB |",
            pct(0.5),
            pct(0.99),
            ms[ms.len() - 1],
            weight as f64 / 1024.0
        );
    }
    simulation_runs(&http, &url, &regulator).await;
    println!();
    println!(
        "goals: each page p99 < 20 ms; the review queue < 50 ms; a page < 100 KB before fonts (the stylesheet is cached: {} KB)",
        include_bytes!("../assets/portal.css").len() / 1024
    );
}

/// The simulation page's run (two overrides, the report inline) and its download, `SIMULATIONS`
/// times each, as rows of the table.
async fn simulation_runs(http: &reqwest::Client, url: &str, regulator: &str) {
    let form = http
        .get(format!("{url}/console/simulation"))
        .header("cookie", regulator)
        .send()
        .await
        .expect("the simulation form")
        .text()
        .await
        .expect("the form's body");
    let at = form.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = &form[at..at + 64];
    const BOUNDARY: &str = "arzyab-bench-boundary";
    let body: String = [
        ("csrf", csrf),
        ("round", "1400-2"),
        ("weight:area", "3"),
        ("cut:grade_1", "50"),
    ]
    .iter()
    .map(|(k, v)| {
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
    })
    .chain([format!("--{BOUNDARY}--\r\n")])
    .collect();
    for (name, path) in [
        ("simulation run, two overrides", "/console/simulation"),
        ("simulation report download", "/console/simulation/report"),
    ] {
        let mut ms = Vec::with_capacity(SIMULATIONS);
        let (mut status, mut weight) = (0, 0);
        for _ in 0..SIMULATIONS {
            let began = Instant::now();
            let resp = http
                .post(format!("{url}{path}"))
                .header("cookie", regulator)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                )
                .body(body.clone())
                .send()
                .await
                .expect("a simulation");
            status = resp.status().as_u16();
            weight = resp.bytes().await.expect("its body").len();
            ms.push(began.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
        println!(
            "| {name} (`POST {path}`) | {status} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} KB |",
            pct(0.5),
            pct(0.99),
            ms[ms.len() - 1],
            weight as f64 / 1024.0
        );
    }
}

/// Writes the registry CSV: `OFFICES` offices, the first `REGION_ONE` in region 1, the rest
/// spread over regions 2–9. Gives the holders' national codes in order.
fn write_registry(path: &Path) -> Vec<String> {
    let mut csv = String::from("id,kind,region,province,name,holder_national_code\n");
    let mut codes = Vec::with_capacity(OFFICES);
    for i in 0..OFFICES {
        let code = arzyab::domain::NationalCode::from_prefix(100_000_000 + i as u32 * 7_919)
            .or_else(|| arzyab::domain::NationalCode::from_prefix(200_000_000 + i as u32))
            .expect("a national code");
        let region = if i < REGION_ONE { 1 } else { 2 + (i % 8) as u8 };
        let province = if region == 1 { "THR" } else { "EAZ" };
        let kind = if i % 5 == 4 { "rural_ict" } else { "pishkhan" };
        csv.push_str(&format!(
            "P-{:05},{kind},{region},{province},دفتر پیشخوان {i},{code}\n",
            i + 1
        ));
        codes.push(code.to_string());
    }
    std::fs::write(path, csv).expect("write the registry");
    codes
}

/// Runs an `arzyab` subcommand with `file` as its last argument, and insists it succeeds.
fn cli(args: &[&str], file: Option<&Path>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arzyab"));
    command.args(args);
    if let Some(file) = file {
        command.arg(file);
    }
    let out = command.output().expect("run arzyab");
    assert!(
        out.status.success(),
        "arzyab {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn api_login(http: &reqwest::Client, url: &str, (user, password): (&str, &str)) -> String {
    let body: serde_json::Value = http
        .post(format!("{url}/v1/auth/login"))
        .json(&serde_json::json!({"username": user, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    body["token"].as_str().expect("a token").to_string()
}

/// Signs in through the sign-in form as a browser does; gives the `Cookie` header of the session.
async fn page_sign_in(http: &reqwest::Client, url: &str, user: &str, password: &str) -> String {
    let form = http.get(format!("{url}/")).send().await.expect("form");
    let csrf_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("arzyab_csrf="))
        .and_then(|c| c.split(';').next())
        .expect("a csrf cookie")
        .to_string();
    let html = form.text().await.expect("form body");
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let token = &html[at..at + 64];
    let signed = http
        .post(format!("{url}/login"))
        .header("cookie", format!("arzyab_csrf={csrf_cookie}"))
        .form(&[
            ("national_code", user),
            ("password", password),
            ("csrf", token),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status().as_u16(), 303, "sign-in of {user}");
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("arzyab_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    format!("arzyab_session={session}")
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
