//! Simulation through the API over stored declarations: 20,000 offices in a fresh SQLite database,
//! a candidate (a weight override) against the live 1400-2 rules, and a 13-step sweep, each timed
//! end to end over loopback HTTP (best and median of several runs). The first simulation after a
//! write to the stored population loads and ranks it again; later ones reuse it. Run with
//! `cargo bench --bench simulate_api`; it prints a table and the targets (300 ms and 2 s).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arzyab::clock::{Clock, ManualClock};
use arzyab::domain::{DeclarationStatus, NationalCode, Role};
use arzyab::engine::Raw;
use arzyab::http::AppState;
use arzyab::live::Registry;
use arzyab::population::demo::{self, DemoSettings};
use arzyab::rules::model::Supplier;
use arzyab::store::Store;
use arzyab::store::declarations::{DeclarationRow, save_declaration};
use arzyab::store::offices::OfficeRow;
use serde_json::{Map, Value, json};

const OFFICES: usize = 20_000;
const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ))
    .await
    .unwrap();
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let clock = Arc::new(ManualClock::new(
        arzyab::clock::parse_instant("1400/02/10 10:00").unwrap(),
    ));
    let registry = Arc::new(Registry::new(&rules));
    assert!(registry.load_all(clock.now()).is_empty());
    let rs = registry.get("1400-2".parse().unwrap()).unwrap();

    // 20,000 demo offices with stored, submitted declarations (office and region values).
    let started = Instant::now();
    let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).unwrap();
    let records = demo::generate(
        &rs,
        &provinces,
        &DemoSettings {
            offices: OFFICES,
            seed: 20,
            non_filers_percent: 3,
        },
    );
    let rows: Vec<OfficeRow> = records
        .iter()
        .enumerate()
        .map(|(i, r)| OfficeRow {
            id: r.id.clone(),
            kind: r.kind,
            region: r.region,
            province: r.province.clone(),
            name: String::new(),
            holder_national_code: NationalCode::from_prefix(100_000_000 + i as u32 * 37).unwrap(),
        })
        .collect();
    store.import_offices(&rows, "bench", 0).await.unwrap();
    let mut tx = store.pool.begin().await.unwrap();
    for r in records.iter().filter(|r| r.filed) {
        let (mut office_values, mut region_values) = (Map::new(), Map::new());
        for (name, raw) in &r.inputs {
            let Raw::Json(v) = raw else { continue };
            let def = rs.inputs.iter().find(|d| d.name == *name).unwrap();
            if def.supplied_by == Supplier::Office {
                office_values.insert(name.clone(), v.clone());
            } else {
                region_values.insert(name.clone(), v.clone());
            }
        }
        let d = DeclarationRow {
            round: rs.round,
            office_id: r.id.clone(),
            status: DeclarationStatus::Submitted,
            office_values,
            region_values,
            carried_over: vec![],
            version: 0,
            updated_at: 0,
            submitted_at: Some(0),
        };
        save_declaration(&mut tx, &d, None, 0).await.unwrap();
    }
    let hash = arzyab::accounts::hash_password("regulator-password-1400");
    let user = arzyab::store::users::NewUser {
        username: "regulator",
        password_hash: Some(&hash),
        role: Role::Regulator,
        office_id: None,
        region: None,
        national_code: None,
    };
    arzyab::store::users::insert_user(&mut tx, &user, 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    println!(
        "setup: {OFFICES} offices with stored declarations in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let writer = store.clone();
    let state = AppState::new(arzyab::app::App::new(store, registry, clock.clone()));
    tokio::spawn(arzyab::http::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "regulator", "password": "regulator-password-1400"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_string();

    let simulate = |body: Value| {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            let t = Instant::now();
            let resp = client
                .post(format!("{url}/v1/rounds/1400-2/simulate"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                resp.status().as_u16(),
                200,
                "{}",
                resp.text().await.unwrap()
            );
            let _: Value = resp.json().await.unwrap();
            t.elapsed()
        }
    };
    let candidate = json!({"set": ["weight:area=3"]});
    // The first simulation of a server loads, prepares and ranks every stored file.
    let first = simulate(candidate.clone()).await;
    let mut table = vec![("first simulation (loads every file)", first, first, None)];
    for (name, body, target, after_write) in [
        (
            "candidate, first after an office changed",
            &candidate,
            Duration::from_millis(300),
            true,
        ),
        (
            "candidate vs live (weight:area=3)",
            &candidate,
            Duration::from_millis(300),
            false,
        ),
        (
            "13-step sweep (weight:area=0:3:0.25)",
            &json!({"sweep": "weight:area=0:3:0.25"}),
            Duration::from_secs(2),
            false,
        ),
    ] {
        let mut times = Vec::new();
        for (run, row) in rows.iter().take(RUNS).enumerate() {
            if after_write {
                // An office's record changes (as a re-import would): the kept population is stale.
                let mut row = row.clone();
                row.name = format!("renamed {run}");
                let report = writer.import_offices(&[row], "bench", 0).await.unwrap();
                assert_eq!(report.updated, 1);
            }
            times.push(simulate(body.clone()).await);
        }
        times.sort();
        table.push((name, times[0], times[RUNS / 2], Some(target)));
    }
    println!(
        "\n{:<42} {:>10} {:>10} {:>10}  verdict",
        "request (20,000 stored declarations)", "best", "median", "target"
    );
    let ms = |d: Duration| format!("{:.0}ms", d.as_secs_f64() * 1e3);
    for (name, best, median, target) in table {
        let (target, verdict) = match target {
            Some(t) if median < t => (ms(t), "PASS"),
            Some(t) => (ms(t), "FAIL"),
            None => ("—".to_string(), ""),
        };
        println!(
            "{name:<42} {:>10} {:>10} {target:>10}  {verdict}",
            ms(best),
            ms(median)
        );
    }
}
