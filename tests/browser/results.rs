//! After publication, an office holder reads its result in the browser, follows the link to the
//! objection form, is told what is missing, files the objection and reads the confirmation; then
//! the region's decision shows on the result page.

use arzyab::domain::digits::to_persian_number;
use arzyab::domain::{Fixed, JalaliDate};
use arzyab::store::Backend;
use fantoccini::Locator;
use serde_json::json;

use crate::harness::{self, assert_accessible, screenshot, sign_in, text_of};
use crate::helpers::{TestApp, registry_csv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_publication_an_office_reads_its_result_and_files_an_objection() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    for (i, o) in offices.iter().enumerate() {
        let t = app.login(&o.1, &o.1).await;
        let values = json!({"area_m2": 30 + 20 * i, "staff_count": 2 + i, "years_active": 4, "location_type": "urban"});
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({"values": values}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = app
            .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
    }
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
    app.at("1400/02/17 10:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    let (_, list) = app.get("/v1/rounds/1400-2/results", Some(&regulator)).await;
    let row = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["office"] == offices[0].0.as_str())
        .unwrap()
        .clone();
    let total: Fixed = serde_json::from_value(row["total"].clone()).unwrap();

    // Signed in, the home page links the result; the result reads as the API has it.
    let code = offices[0].1.clone();
    sign_in(&c, &format!("{}/", app.url), &code, &code).await;
    c.find(Locator::Id("link-results"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_of(&c, "#total").await,
        to_persian_number(&total.to_string())
    );
    let stage = text_of(&c, "#stage").await;
    assert!(
        stage.contains(&JalaliDate::new(1400, 2, 17).unwrap().long_fa()),
        "{stage}"
    );
    let services = text_of(&c, "#services").await;
    assert!(services.contains("٪"), "{services}");
    assert_accessible(&c, "the result page").await;
    screenshot(&c, "results").await;

    // The objection form: a claim left empty is named in the summary and beside the field.
    c.find(Locator::Id("object-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("criteria-association"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("file-objection"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = text_of(&c, ".error-summary").await;
    assert!(summary.contains("متن اعتراض را بنویسید"), "{summary}");
    let beside = text_of(&c, "#text-error").await;
    assert!(beside.contains("متن اعتراض را بنویسید"), "{beside}");
    let still = c
        .find(Locator::Id("criteria-association"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(still.as_deref(), Some("true"), "the choice is kept");
    assert_accessible(&c, "the objection form with an error").await;
    screenshot(&c, "objection-error").await;

    // Written and filed: the confirmation says when the region decides.
    c.find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys("امتیاز انجمن کمتر از کارنامهٔ ما ثبت شده است")
        .await
        .unwrap();
    c.find(Locator::Id("file-objection"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let confirmation = text_of(&c, "#confirmation h1").await;
    assert_eq!(confirmation, "اعتراض شما ثبت شد");
    let last_day = app.last_day("1400-2", "final").await;
    let next = text_of(&c, "#decides-by").await;
    assert!(next.contains(&last_day.long_fa()), "{next}");
    assert_accessible(&c, "the objection's confirmation").await;
    screenshot(&c, "objection-filed").await;

    // The region decides; the result page shows the decision and its reason.
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/objections/{}", offices[0].0),
            Some(&reviewer),
            json!({"decision": "rejected", "reason": "کارنامهٔ انجمن همین امتیاز را تأیید می‌کند", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    c.goto(&format!("{}/results", app.url)).await.unwrap();
    let status = text_of(&c, "#objection-status").await;
    assert!(status.starts_with("اعتراض رد شد"), "{status}");
    assert_eq!(
        text_of(&c, "#objection-reason").await,
        "دلیل منطقه: کارنامهٔ انجمن همین امتیاز را تأیید می‌کند"
    );
    c.goto(&format!("{}/file", app.url)).await.unwrap();
    let decided = text_of(&c, "#step-objection_decided").await;
    assert!(decided.contains("اعتراض رد شد"), "{decided}");
    assert_accessible(&c, "the file's timeline").await;
    screenshot(&c, "file").await;
    c.close().await.unwrap();
}
