//! The regional reviewer in a real browser: from the home page to the queue and a file, a field
//! referred back with a note (the file then reads as referred); and a decision on an objection.

use arzyab::store::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::harness::{self, sign_in, text_of};
use crate::helpers::{TestApp, registry_csv};

/// Two offices (P-0001 in region 1, P-0002 in region 2), P-0001's declaration filed, a reviewer
/// of region 1 and the regulator; the clock in the regional review.
async fn filed_and_in_review() -> TestApp {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    let (s, b) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{b}");
    let code = &offices[0].1;
    let holder = app.login(code, code).await;
    let values = json!({"area_m2": 55.5, "staff_count": 4, "insured_staff": 2,
        "location_type": "urban", "years_active": 6, "step_free_access": true});
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&holder),
            json!({"values": values}),
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
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
    app.at("1400/02/06 10:00");
    app
}

async fn click(c: &Client, css: &str) {
    text_of(c, css).await;
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn type_into(c: &Client, css: &str, text: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_refers_a_field_back_with_a_note_and_sees_the_file_as_referred() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = filed_and_in_review().await;
    sign_in(
        &c,
        &format!("{}/", app.url),
        "rev.one",
        "rev.one-password-1400",
    )
    .await;
    let region = text_of(&c, "#reviewer-region").await;
    assert_eq!(region, "۱");
    let deadline = text_of(&c, "#deadline").await;
    assert!(
        deadline.contains("بررسی"),
        "the review's deadline: {deadline}"
    );
    click(&c, "#queue-link").await;
    let waiting = text_of(&c, "#count-waiting").await;
    assert!(waiting.starts_with('۱'), "{waiting}");
    click(&c, "#file-P-0001 a").await;
    let state = text_of(&c, "#file-state").await;
    assert_eq!(state, "در انتظار بررسی");
    click(&c, "#refer-area_m2").await;
    type_into(&c, "#note-area_m2", "اجاره‌نامه ۴۰ متر مربع را نشان می‌دهد").await;
    click(&c, "#refer").await;
    let done = text_of(&c, "#done").await;
    assert!(done.contains("ارجاع شد"), "{done}");
    let state = text_of(&c, "#file-state").await;
    assert_eq!(state, "ارجاع به دفتر");
    let note = text_of(&c, "#referred-area_m2").await;
    assert!(note.contains("اجاره‌نامه ۴۰ متر مربع"), "{note}");
    // The office's file is referred in the API too.
    let (_, file) = app
        .get(
            "/v1/rounds/1400-2/files/P-0001",
            Some(&app.login("rev.one", "rev.one-password-1400").await),
        )
        .await;
    assert_eq!(file["declaration"]["status"], "referred", "{file}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_decides_an_objection_on_the_objections_page() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = filed_and_in_review().await;
    app.at("1400/02/16 10:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    app.at("1400/02/18 11:00");
    let (_, offices) = registry_csv(2);
    let code = &offices[0].1;
    let holder = app.login(code, code).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/objection",
            Some(&holder),
            json!({"text": "مساحت دفتر ۱۲۰ متر مربع است", "criteria": ["area"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");

    sign_in(
        &c,
        &format!("{}/", app.url),
        "rev.one",
        "rev.one-password-1400",
    )
    .await;
    click(&c, "#objections-link").await;
    let claim = text_of(&c, "#claim-P-0001").await;
    assert_eq!(claim, "مساحت دفتر ۱۲۰ متر مربع است");
    // A rejection without its reason: the summary links to the field, and nothing is decided.
    click(&c, "#reject-P-0001").await;
    click(&c, "#submit-decision-P-0001").await;
    let summary = text_of(&c, "#error-summary").await;
    assert!(summary.contains("دلیل"), "{summary}");
    let status = text_of(&c, "#status-P-0001").await;
    assert_eq!(status, "در انتظار تصمیم");
    type_into(&c, "#reason-P-0001", "اجاره‌نامه ۵۵ متر مربع را نشان می‌دهد").await;
    click(&c, "#submit-decision-P-0001").await;
    let done = text_of(&c, "#done").await;
    assert!(done.contains("ثبت شد"), "{done}");
    let status = text_of(&c, "#status-P-0001").await;
    assert_eq!(status, "رد شد");
    let reason = text_of(&c, "#reason-shown-P-0001").await;
    assert_eq!(reason, "اجاره‌نامه ۵۵ متر مربع را نشان می‌دهد");
    c.close().await.unwrap();
}
