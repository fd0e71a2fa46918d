//! The API's list of a region's files (`GET /v1/rounds/{round}/files`) on both backends, against
//! the reviewer's queue page it shares its query path with: the same files in the same order by
//! risk, pages that add up to the whole list, each status filter counting what the list shows, and
//! an accepted file still `submitted` in the API's words.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};
use crate::idempotency::good_values;
use crate::page_client::{Page, get, sign_in};

both_backends!(the_api_file_list_pages_filters_and_orders_as_the_reviewers_queue_page);

const REVIEWER: (&str, &str) = ("rev.one", "rev.one-password-1400");

/// The license numbers of the files listed on a queue page, in order.
fn listed(page: &Page) -> Vec<String> {
    page.html
        .split("<tr id=\"file-")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The API's list at `query` (after `?`), as the reviewer: (total, files).
async fn list(app: &TestApp, token: &str, query: &str) -> (i64, Vec<Value>) {
    let (s, b) = app
        .get(&format!("/v1/rounds/1400-2/files?{query}"), Some(token))
        .await;
    assert_eq!(s, 200, "{query}: {b}");
    (
        b["total"].as_i64().unwrap(),
        b["files"].as_array().unwrap().clone(),
    )
}

fn ids(files: &[Value]) -> Vec<String> {
    files
        .iter()
        .map(|f| f["office"].as_str().unwrap().to_string())
        .collect()
}

/// A file's place in the risk order as the API reports it: risk (higher first), deadline, license.
fn risk_key(f: &Value) -> (std::cmp::Reverse<i64>, String, String) {
    (
        // Risks are sums of flag weights; thousandths keep a fractional weight's order.
        std::cmp::Reverse((f["triage"]["risk"].as_f64().unwrap() * 1000.0).round() as i64),
        f["triage"]["deadline_at"].as_str().unwrap().to_string(),
        f["office"].as_str().unwrap().to_string(),
    )
}

async fn the_api_file_list_pages_filters_and_orders_as_the_reviewers_queue_page(app: TestApp) {
    // 130 offices: 65 in region 1 (P-0001, P-0003 …). Twenty of them file; every third declares
    // more insured staff than staff (a flag), so risks differ.
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(130);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    let region_1: Vec<&(String, String, u8)> = offices.iter().filter(|o| o.2 == 1).collect();
    for (i, (_, code, _)) in region_1.iter().take(21).enumerate() {
        let mut values = good_values();
        if i % 3 == 0 {
            values["insured_staff"] = json!(9);
        }
        let t = app.login(code, code).await;
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({ "values": values }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        // The last one stays a draft.
        if i < 20 {
            let (s, b) = app
                .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
                .await;
            assert_eq!(s, 200, "{b}");
        }
    }
    app.staff(&admin, REVIEWER.0, "reviewer", Some(1)).await;
    app.at("1400/02/06 10:00");
    let token = app.login(REVIEWER.0, REVIEWER.1).await;
    // One file referred (its deadline is the correction's), one accepted.
    let (referred, accepted) = (&region_1[3].0, &region_1[4].0);
    let (s, b) = app
        .post(
            &format!("/v1/rounds/1400-2/files/{referred}/referral"),
            Some(&token),
            json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .post(
            &format!("/v1/rounds/1400-2/files/{accepted}/acceptance"),
            Some(&token),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // By risk, the whole region on one page: in the order of the API's own risks and deadlines.
    let (total, all) = list(&app, &token, "sort=risk&per_page=500").await;
    assert_eq!((total, all.len()), (65, 65));
    let mut expected = all.clone();
    expected.sort_by_key(risk_key);
    assert_eq!(
        ids(&all),
        ids(&expected),
        "ordered by risk, deadline, license"
    );
    let risks: std::collections::BTreeSet<String> = all
        .iter()
        .map(|f| f["triage"]["risk"].to_string())
        .collect();
    assert!(risks.len() > 1, "the files differ in risk: {risks:?}");
    assert!(all.iter().all(|f| f["region"] == 1));

    // Pages of seven add up to the whole list; past the last page, none.
    let mut paged = Vec::new();
    for page in 1..=10 {
        let (t, files) = list(&app, &token, &format!("sort=risk&per_page=7&page={page}")).await;
        assert_eq!(t, 65);
        paged.extend(ids(&files));
    }
    assert_eq!(paged, ids(&all));
    let (t, past) = list(&app, &token, "sort=risk&per_page=7&page=11").await;
    assert_eq!((t, past.len()), (65, 0));

    // The queue page (by risk, fifty a page) lists the same files in the same order.
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let first = get(&app, "/review?lang=en", &cookie).await;
    assert_eq!(first.status, 200, "{}", first.html);
    let second = get(&app, "/review?lang=en&page=2", &cookie).await;
    let mut on_pages = listed(&first);
    on_pages.extend(listed(&second));
    assert_eq!(on_pages, ids(&all), "the page and the API agree");

    // By license number: the same files, in license order.
    let (_, by_office) = list(&app, &token, "per_page=500").await;
    let mut sorted = ids(&all);
    sorted.sort();
    assert_eq!(ids(&by_office), sorted);

    // Each status counts the files the whole list shows in it, and lists only them.
    for status in ["not_started", "draft", "submitted", "referred"] {
        let shown: Vec<String> = by_office
            .iter()
            .filter(|f| f["status"] == status)
            .map(|f| f["office"].as_str().unwrap().to_string())
            .collect();
        let (t, files) = list(&app, &token, &format!("status={status}&per_page=500")).await;
        assert_eq!(t as usize, shown.len(), "{status}");
        assert_eq!(ids(&files), shown, "{status}");
    }
    let status_of = |id: &str| {
        by_office
            .iter()
            .find(|f| f["office"] == id)
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(
        status_of(accepted),
        "submitted",
        "accepted is still submitted"
    );
    assert_eq!(status_of(referred), "referred");
    assert_eq!(status_of(&region_1[20].0), "draft");
    let (t, files) = list(&app, &token, "status=filed").await;
    assert_eq!(
        (t, files.len()),
        (0, 0),
        "a word that is no status matches nothing"
    );
}
