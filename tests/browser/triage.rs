//! The reviewer's queue ordered by risk in a real browser: the file whose area jumped since last
//! round comes first, its flag's reason readable in its row, and the page passes the
//! accessibility check; and the regulator's after-round triage report (`/console/triage`), after a
//! referral corrected a flagged file, passes it too, in Persian and in English.

use arzyab::store::Backend;
use serde_json::{Value, json};

use crate::harness::{self, assert_accessible, computed_label, screenshot, sign_in, text_of};
use crate::helpers::{TestApp, registry_csv};

fn values(area: f64) -> Value {
    json!({"area_m2": area, "staff_count": 4, "insured_staff": 2,
        "location_type": "urban", "years_active": 6, "step_free_access": true})
}

/// Saves and submits `values` as the office's declaration of `round`.
async fn declare(app: &TestApp, code: &str, round: &str, values: Value) {
    let t = app.login(code, code).await;
    let path = format!("/v1/rounds/{round}/declaration");
    let (s, b) = app.put(&path, Some(&t), json!({ "values": values })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .post(&format!("{path}/submit"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_puts_the_file_whose_area_jumped_first_with_its_reason() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    // P-0001 and P-0003 are in region 1.
    let (csv, offices) = registry_csv(3);
    let (s, b) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{b}");
    let (first, third) = (offices[0].1.clone(), offices[2].1.clone());
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    declare(&app, &first, "1400-2", values(55.5)).await;
    declare(&app, &third, "1400-2", values(55.5)).await;
    app.at("1401/07/15 10:00");
    declare(&app, &first, "1401-1", values(55.5)).await;
    declare(&app, &third, "1401-1", values(130.0)).await;
    app.at("1401/07/30 10:00");

    sign_in(
        &c,
        &format!("{}/", app.url),
        "rev.one",
        "rev.one-password-1400",
    )
    .await;
    c.goto(&format!("{}/review?round=1401-1", app.url))
        .await
        .unwrap();
    let first_row = text_of(&c, "#queue tbody tr:first-child").await;
    assert!(
        first_row.contains("P-0003"),
        "the riskiest first: {first_row}"
    );
    assert!(
        first_row.contains("۱۳۰") && first_row.contains("۵۵٫۵"),
        "the jump with its numbers: {first_row}"
    );
    let second_row = text_of(&c, "#queue tbody tr:nth-child(2)").await;
    assert!(second_row.contains("P-0001"), "{second_row}");
    let count = text_of(&c, "#flag-count-area_jump").await;
    assert!(count.ends_with('۱'), "{count}");
    assert_accessible(&c, "the reviewer's queue ordered by risk").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_triage_report_after_a_corrected_referral_passes_the_accessibility_check() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    // P-0001 and P-0003 are in region 1; P-0003's area jumps in 1401-1.
    let (csv, offices) = registry_csv(3);
    let (s, b) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{b}");
    let (first, third) = (offices[0].1.clone(), offices[2].1.clone());
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
    declare(&app, &first, "1400-2", values(55.5)).await;
    declare(&app, &third, "1400-2", values(55.5)).await;
    app.at("1401/07/15 10:00");
    declare(&app, &first, "1401-1", values(55.5)).await;
    declare(&app, &third, "1401-1", values(130.0)).await;
    app.at("1401/07/30 10:00");

    // The reviewer refers the jumped area back; the office corrects it.
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .post(
            "/v1/rounds/1401-1/files/P-0003/referral",
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says 56 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    declare(&app, &third, "1401-1", json!({"area_m2": 56})).await;

    sign_in(
        &c,
        &format!("{}/", app.url),
        "regulator.x",
        "regulator.x-password-1400",
    )
    .await;
    for lang in ["fa", "en"] {
        c.goto(&format!(
            "{}/console/triage?round=1401-1&lang={lang}",
            app.url
        ))
        .await
        .unwrap();
        let changed = text_of(&c, "#flag-area_jump .flagged-changed").await;
        assert!(
            changed == "۱" || changed == "1",
            "the corrected file counts: {changed}"
        );
        assert_accessible(&c, &format!("the triage report ({lang})")).await;
        // Each column heading names its own column to a screen reader ("changed" of the flagged
        // files, or of the unflagged ones).
        let mut names = Vec::new();
        for i in 1..=8 {
            let css = format!("#triage-outcomes thead th:nth-child({i})");
            names.push(computed_label(&c, &css).await);
        }
        let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "{names:?}");
    }
    screenshot(&c, "console-triage").await;
    c.close().await.unwrap();
}
