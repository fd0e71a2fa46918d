//! The wide pages on a phone (360 px) in a real browser: the review file page (declared, last
//! round and the referral form), the reviewer's queue, the console's dashboard, publication,
//! results table and triage report, the audit log, the rules pages and the accounts read
//! without sideways scrolling: neither
//! the page nor any table's box nor anything else on it is wider than the screen; the tables laid
//! out as cards are still tables to a screen reader, and every page passes the accessibility
//! check at that width.

use std::time::Duration;

use arzyab::store::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::console::declare;
use crate::harness::{self, assert_accessible, computed_role, overflows, sign_in, text_of};
use crate::helpers::{ADMIN, TestApp, registry_csv};

const REVIEWER: (&str, &str) = ("rev.one", "rev.one-password-1400");
const REGULATOR: (&str, &str) = ("regulator.x", "regulator.x-password-1400");

/// Fails unless the table `id`, laid out as cards on a phone, is still a table to a screen
/// reader: the table, a column heading, a row, a row heading and a cell keep their roles.
async fn assert_still_a_table(c: &Client, id: &str) {
    let roles = [
        ("table", format!("#{id}")),
        ("columnheader", format!("#{id} thead th")),
        ("row", format!("#{id} tbody tr")),
        ("rowheader", format!("#{id} tbody th")),
        ("cell", format!("#{id} tbody td")),
    ];
    for (expected, css) in roles {
        if c.find(Locator::Css(&css)).await.is_err() {
            continue;
        }
        assert_eq!(computed_role(c, &css).await, expected, "{css}");
    }
}

/// Opens `path` at phone width and fails if anything on it is wider than the screen; `table` is
/// the id of the table the page must show.
async fn assert_fits(c: &Client, url: &str, path: &str, table: &str) {
    c.goto(&format!("{url}{path}")).await.unwrap();
    text_of(c, &format!("#{table}")).await;
    let (vw, out) = overflows(c).await;
    assert!(vw <= 360, "the viewport is a phone's: {vw} px");
    assert!(out.is_empty(), "{path} at {vw} px: {out:#?}");
    assert_accessible(c, &format!("{path} at {vw} px")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_360_px_the_review_file_the_queue_and_the_console_tables_need_no_sideways_scrolling() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(6);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    app.staff(&admin, REVIEWER.0, "reviewer", Some(1)).await;
    app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    app.staff(&admin, REGULATOR.0, "regulator", None).await;
    declare(&app, &offices, 0..4).await;
    app.at("1400/02/06 09:00");
    let url = app.url.clone();
    c.set_window_size(360, 780).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The reviewer: the queue, and a file with its referral form (a note box per row), in
    // Persian and in English.
    sign_in(&c, &format!("{url}/"), REVIEWER.0, REVIEWER.1).await;
    assert_fits(&c, &url, "/review?lang=fa", "queue").await;
    assert_fits(&c, &url, "/review?lang=en", "queue").await;
    assert_still_a_table(&c, "queue").await;
    assert_fits(&c, &url, "/review/1400-2/P-0003?lang=fa", "declared").await;
    assert_fits(&c, &url, "/review/1400-2/P-0003?lang=en", "declared").await;
    // Laid out as cards, the table is still a table to a screen reader; each value shows its
    // column's heading.
    assert_still_a_table(&c, "declared").await;
    let label = c
        .execute(
            "const td = document.querySelector('#declared-area_m2'); \
             return [td.dataset.label, getComputedStyle(td, '::before').content];",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(label[0], "Declared", "{label}");
    assert!(label[1].as_str().unwrap().contains("Declared"), "{label}");

    // One file referred and corrected; every file gets the region's values.
    let reviewer = app.login(REVIEWER.0, REVIEWER.1).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0001/referral",
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_fits(&c, &url, "/review/1400-2/P-0001?lang=fa", "declared").await;
    let holder = app.login(&offices[0].1, &offices[0].1).await;
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&holder),
            json!({"values": {"area_m2": 40}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&holder),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for (i, o) in offices.iter().enumerate().take(4) {
        let name = ["rev.one", "rev.two"][o.2 as usize - 1];
        let token = app.login(name, &format!("{name}-password-1400")).await;
        let path = format!("/v1/rounds/1400-2/files/{}", o.0);
        let (_, file) = app.get(&path, Some(&token)).await;
        let values = json!({
            "association_score": 50 + 10 * i, "data_completeness_percent": 80,
            "distance_to_nearest_office_m": 1000, "satisfaction_percent": 70 + i,
        });
        let (s, b) = app
            .put(
                &format!("{path}/region-values"),
                Some(&token),
                json!({"values": values, "version": file["declaration"]["version"]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    // The regulator: the publication's preview; once the results are out, the results table,
    // the triage report, the dashboard and the audit log.
    app.at("1400/02/17 10:00");
    sign_in(&c, &format!("{url}/"), REGULATOR.0, REGULATOR.1).await;
    assert_fits(&c, &url, "/console/publish?lang=fa", "grades-nationwide").await;
    let regulator = app.login(REGULATOR.0, REGULATOR.1).await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_fits(&c, &url, "/console/publish?lang=fa", "publications").await;
    assert_fits(&c, &url, "/audit?lang=fa", "audit-entries").await;
    assert_fits(&c, &url, "/audit?lang=en", "audit-entries").await;
    assert_fits(&c, &url, "/console/results?round=1400-2&lang=fa", "results").await;
    assert_fits(&c, &url, "/console/results?round=1400-2&lang=en", "results").await;
    assert_still_a_table(&c, "results").await;
    assert_fits(
        &c,
        &url,
        "/console/triage?round=1400-2&lang=fa",
        "triage-outcomes",
    )
    .await;
    assert_fits(
        &c,
        &url,
        "/console/triage?round=1400-2&lang=en",
        "triage-outcomes",
    )
    .await;
    assert_fits(&c, &url, "/console?round=1400-2&lang=fa", "count-table").await;

    // Policy staff's and admins' tables: the rules' tests, the accounts.
    assert_fits(&c, &url, "/rules?lang=fa", "tests-1400-2").await;
    assert_fits(&c, &url, "/rules?lang=en", "tests-1400-2").await;
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_of(&c, "#national_code").await;
    sign_in(&c, &format!("{url}/"), ADMIN.0, ADMIN.1).await;
    assert_fits(&c, &url, "/admin/users?lang=fa", "accounts-table").await;
    assert_fits(&c, &url, "/admin/users?lang=en", "accounts-table").await;
    c.close().await.unwrap();
}
