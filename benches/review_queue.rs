//! The reviewer's queue with a big region: 20,000 offices in a fresh SQLite database, 5,000 of
//! them in region 1 (about 80 % filed, some accepted, some referred). Times the queue query
//! (`app::queue::queue`, counts and one page of fifty) under each filter, and the whole page over
//! loopback HTTP (best and median of several runs); and the API's file list
//! (`app::file_list::file_list` and `GET /v1/rounds/{round}/files`), which shares the queue's query
//! path, under the same filters. Run with `cargo bench --bench review_queue`; it prints a table
//! and the target (50 ms a page).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arzyab::app::Actor;
use arzyab::app::file_list::{self, ListQuery};
use arzyab::app::queue::{self, QueueQuery, QueueSort};
use arzyab::clock::{Clock, ManualClock};
use arzyab::domain::{DeclarationStatus, NationalCode, OfficeId, OfficeKind, RegionId, Role};
use arzyab::http::AppState;
use arzyab::live::Registry;
use arzyab::store::Store;
use arzyab::store::declarations::{DeclarationRow, save_declaration};
use arzyab::store::offices::OfficeRow;
use serde_json::{Map, json};

const OFFICES: usize = 20_000;
const IN_REGION: usize = 5_000;
const RUNS: usize = 9;
const TARGET: Duration = Duration::from_millis(50);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

fn stats(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2])
}

/// `RUNS` requests for `url` with the header `auth` (a session cookie or a bearer token): the
/// best and median time, and the answer's size.
async fn over_http(
    client: &reqwest::Client,
    url: &str,
    auth: (&str, &str),
) -> (Duration, Duration, usize) {
    let mut times = Vec::new();
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let resp = client.get(url).header(auth.0, auth.1).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{url}");
        bytes = resp.bytes().await.unwrap().len();
        times.push(t.elapsed());
    }
    let (best, median) = stats(times);
    (best, median, bytes)
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
        arzyab::clock::parse_instant("1400/02/06 10:00").unwrap(),
    ));
    let registry = Arc::new(Registry::new(&rules));
    assert!(registry.load_all(clock.now()).is_empty());
    let rs = registry.get("1400-2".parse().unwrap()).unwrap();

    let started = Instant::now();
    let rows: Vec<OfficeRow> = (0..OFFICES)
        .map(|i| OfficeRow {
            id: OfficeId::parse(&format!("P-{:05}", i + 1)).unwrap(),
            kind: OfficeKind::ALL[i % 3],
            region: RegionId::new(if i < IN_REGION { 1 } else { 2 + (i % 8) as i64 }).unwrap(),
            province: ["THR", "QOM", "MRK", "SMN"][i % 4].to_string(),
            name: format!("دفتر {i}"),
            holder_national_code: NationalCode::from_prefix(100_000_000 + i as u32 * 37).unwrap(),
        })
        .collect();
    store.import_offices(&rows, "bench", 0).await.unwrap();
    let mut tx = store.pool.begin().await.unwrap();
    for (i, o) in rows.iter().enumerate().filter(|(i, _)| i % 5 != 0) {
        let d = DeclarationRow {
            round: rs.round,
            office_id: o.id.clone(),
            status: if i % 11 == 0 {
                DeclarationStatus::Referred
            } else {
                DeclarationStatus::Submitted
            },
            office_values: Map::from_iter([("area_m2".to_string(), json!(50 + i % 40))]),
            region_values: Map::new(),
            carried_over: vec![],
            version: 0,
            updated_at: 0,
            submitted_at: Some(0),
        };
        save_declaration(&mut tx, &d, None, 0).await.unwrap();
        if i % 7 == 0 && d.status == DeclarationStatus::Submitted {
            arzyab::store::queue::accept_declaration(&mut tx, rs.round, &o.id, 1, "bench", 0)
                .await
                .unwrap();
        }
    }
    let hash = arzyab::accounts::hash_password("reviewer-password-1400");
    let user = arzyab::store::users::NewUser {
        username: "reviewer1",
        password_hash: Some(&hash),
        role: Role::Reviewer,
        office_id: None,
        region: Some(1),
        national_code: None,
    };
    arzyab::store::users::insert_user(&mut tx, &user, 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    println!(
        "setup: {OFFICES} offices ({IN_REGION} in region 1), 80 % filed, in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let state = AppState::new(arzyab::app::App::new(
        store.clone(),
        registry,
        clock.clone(),
    ));
    let reviewer = Actor::user(&store.user_by_username("reviewer1").await.unwrap().unwrap());
    let cases: [(&str, QueueQuery); 7] = [
        ("no filter, page 1", QueueQuery::default()),
        (
            "no filter, page 100 (last)",
            QueueQuery {
                page: Some("100".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "status=waiting",
            QueueQuery {
                status: Some("waiting".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "status=overdue",
            QueueQuery {
                status: Some("overdue".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "kind=rural_ict, province=QOM",
            QueueQuery {
                kind: Some("rural_ict".into()),
                province: Some("QOM".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "search by license",
            QueueQuery {
                q: Some("P-0042".into()),
                ..QueueQuery::default()
            },
        ),
        (
            "search by name",
            QueueQuery {
                q: Some("دفتر 12".into()),
                ..QueueQuery::default()
            },
        ),
    ];
    println!(
        "\n{:<32} {:>10} {:>10} {:>8}",
        "queue query", "best", "median", "files"
    );
    let mut worst = Duration::ZERO;
    for (name, q) in &cases {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let page = queue::queue(&state, &reviewer, q).await.unwrap();
            times.push(t.elapsed());
            total = page.total;
        }
        let (best, median) = stats(times);
        worst = worst.max(median);
        println!("{name:<32} {best:>10.1?} {median:>10.1?} {total:>8}");
    }

    let api_cases: [(&str, ListQuery); 5] = [
        (
            "sort=risk, page 1",
            ListQuery {
                sort: QueueSort::Risk,
                page: 1,
                per_page: 50,
                ..ListQuery::default()
            },
        ),
        (
            "sort=risk, page 100 (last)",
            ListQuery {
                sort: QueueSort::Risk,
                page: 100,
                per_page: 50,
                ..ListQuery::default()
            },
        ),
        (
            "by license, page 1",
            ListQuery {
                page: 1,
                per_page: 50,
                ..ListQuery::default()
            },
        ),
        (
            "status=submitted, sort=risk",
            ListQuery {
                status: Some("submitted".into()),
                sort: QueueSort::Risk,
                page: 1,
                per_page: 50,
                ..ListQuery::default()
            },
        ),
        (
            "sort=risk, 500 a page",
            ListQuery {
                sort: QueueSort::Risk,
                page: 1,
                per_page: 500,
                ..ListQuery::default()
            },
        ),
    ];
    println!(
        "\n{:<32} {:>10} {:>10} {:>8}",
        "API file list query", "best", "median", "files"
    );
    for (name, q) in &api_cases {
        let mut times = Vec::new();
        let mut total = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let list = file_list::file_list(&state, &reviewer, "1400-2", q)
                .await
                .unwrap();
            times.push(t.elapsed());
            total = list.total;
        }
        let (best, median) = stats(times);
        worst = worst.max(median);
        println!("{name:<32} {best:>10.1?} {median:>10.1?} {total:>8}");
    }

    // The whole page over HTTP: sign in through the form, then GET /review.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(arzyab::http::serve(listener, state, std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(format!("{url}/")).send().await.unwrap();
    let csrf_cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("arzyab_csrf="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let html = form.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let token = &html[at..at + 64];
    let signed = client
        .post(format!("{url}/login"))
        .header("cookie", &csrf_cookie)
        .form(&[
            ("national_code", "reviewer1"),
            ("password", "reviewer-password-1400"),
            ("csrf", token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status().as_u16(), 303);
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("arzyab_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    println!(
        "\n{:<32} {:>10} {:>10} {:>8}",
        "page over HTTP", "best", "median", "bytes"
    );
    for path in [
        "/review",
        "/review?page=60",
        "/review?status=waiting&kind=pishkhan",
        "/review?q=P-0042",
        "/review/1400-2/P-00042",
    ] {
        let (best, median, bytes) =
            over_http(&client, &format!("{url}{path}"), ("cookie", &session)).await;
        worst = worst.max(median);
        println!("{path:<32} {best:>10.1?} {median:>10.1?} {bytes:>8}");
    }
    // The API's list over HTTP, with a bearer token.
    let login: serde_json::Value = client
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "reviewer1", "password": "reviewer-password-1400"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = format!("Bearer {}", login["token"].as_str().unwrap());
    println!(
        "\n{:<32} {:>10} {:>10} {:>8}",
        "API list over HTTP", "best", "median", "bytes"
    );
    for path in [
        "/v1/rounds/1400-2/files?sort=risk",
        "/v1/rounds/1400-2/files?sort=risk&page=100",
        "/v1/rounds/1400-2/files",
        "/v1/rounds/1400-2/files?status=submitted&sort=risk",
    ] {
        let (best, median, bytes) =
            over_http(&client, &format!("{url}{path}"), ("authorization", &bearer)).await;
        worst = worst.max(median);
        let short = path.trim_start_matches("/v1/rounds/1400-2");
        println!("{short:<32} {best:>10.1?} {median:>10.1?} {bytes:>8}");
    }
    println!(
        "\ntarget: every queue page under {TARGET:?} (median); slowest median {worst:.1?}: {}",
        if worst < TARGET { "met" } else { "NOT met" }
    );
}
