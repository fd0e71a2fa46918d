//! The whole round in one browser walk, as its people live it, against the real server on
//! SQLite: an office signs in with Persian digits and files its declaration; the region's
//! reviewer refers one field back with a note; the office reads the note and the deadline beside
//! the field, corrects it and sends it again; after publication the office reads its result and
//! files an objection; the reviewer decides it; the office reads the decision on its result and
//! its file's timeline. Every page visited passes the accessibility check, and each distinct page
//! is saved as `docs/screenshots/walk-NN-*.png` when `ARZYAB_SCREENSHOTS` is set.

use arzyab::domain::digits::{to_persian_digits, to_persian_number};
use arzyab::domain::{Fixed, JalaliDate};
use arzyab::store::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::harness::{self, assert_accessible, screenshot, sign_in, text_of};
use crate::helpers::{TestApp, registry_csv};

const REVIEWER: (&str, &str) = ("rev.one", "rev.one-password-1400");
const NOTE: &str = "اجاره‌نامه ۴۰ متر مربع را نشان می‌دهد";
const CLAIM: &str = "امتیاز مساحت با اجاره‌نامهٔ تازه کمتر از حق ما ثبت شده است";
const REASON: &str = "اجاره‌نامهٔ تازه همان ۴۰ متر مربع را نشان می‌دهد";

/// Clicks the element `css` names, once it is on the page.
async fn click(c: &Client, css: &str) {
    text_of(c, css).await;
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Empties the text box `css` names and types `text` into it.
async fn retype(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Checks the page the browser shows for accessibility and, when asked, saves it.
async fn visit(c: &Client, page: &str, shot: Option<&str>) {
    assert_accessible(c, page).await;
    if let Some(name) = shot {
        screenshot(c, name).await;
    }
}

/// Signs out with the header's button and waits for the sign-in form.
async fn sign_out(c: &Client) {
    click(c, "form[action='/logout'] button").await;
    text_of(c, "#national_code").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_round_in_one_walk_declaration_referral_correction_result_objection_decision() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    app.staff(&admin, REVIEWER.0, "reviewer", Some(1)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
    let (office, code) = (offices[0].0.clone(), offices[0].1.clone());
    let home = format!("{}/", app.url);

    // 1. The office signs in with its national code in Persian digits and files its declaration.
    c.goto(&home).await.unwrap();
    text_of(&c, "#national_code").await;
    visit(&c, "the sign-in form", Some("walk-01-sign-in")).await;
    sign_in(
        &c,
        &home,
        &to_persian_digits(&code),
        &to_persian_digits(&code),
    )
    .await;
    let phase = text_of(&c, "#phase").await;
    assert!(phase.contains("خوداظهاری"), "{phase}");
    visit(&c, "the office's home page", Some("walk-02-office-home")).await;
    click(&c, "#declaration-link").await;
    text_of(&c, "#declaration-form").await;
    visit(&c, "the declaration form", Some("walk-03-declaration")).await;
    for (field, typed) in [
        ("area_m2", "۵۵"),
        ("staff_count", "۴"),
        ("insured_staff", "۲"),
        ("disabled_staff", "۱"),
        ("years_active", "۶"),
    ] {
        retype(&c, &format!("#{field}"), typed).await;
    }
    click(&c, "#location_type-1").await;
    click(&c, "#step_free_access").await;
    click(&c, "#continue").await;
    let answers = text_of(&c, "#answers").await;
    assert!(answers.contains("۵۵ متر مربع"), "{answers}");
    assert!(answers.contains("شهری"), "{answers}");
    visit(&c, "check your answers", Some("walk-04-declaration-check")).await;
    click(&c, "#submit").await;
    let confirmation = text_of(&c, "#confirmation").await;
    assert!(confirmation.contains("فرستاده شد"), "{confirmation}");
    visit(
        &c,
        "the declaration's confirmation",
        Some("walk-05-declaration-done"),
    )
    .await;
    sign_out(&c).await;

    // 2. In the regional review, the region's reviewer finds the file and refers the area back.
    app.at("1400/02/06 10:00");
    sign_in(&c, &home, REVIEWER.0, REVIEWER.1).await;
    assert_eq!(text_of(&c, "#reviewer-region").await, "۱");
    visit(
        &c,
        "the reviewer's home page",
        Some("walk-06-reviewer-home"),
    )
    .await;
    click(&c, "#queue-link").await;
    let waiting = text_of(&c, "#count-waiting").await;
    assert!(waiting.starts_with('۱'), "{waiting}");
    visit(&c, "the review queue", Some("walk-07-review-queue")).await;
    click(&c, &format!("#file-{office} a")).await;
    assert_eq!(text_of(&c, "#file-state").await, "در انتظار بررسی");
    assert!(
        text_of(&c, "#declared-area_m2").await.contains("۵۵"),
        "the declared area"
    );
    visit(&c, "the review file", Some("walk-08-review-file")).await;
    click(&c, "#refer-area_m2").await;
    c.find(Locator::Css("#note-area_m2"))
        .await
        .unwrap()
        .send_keys(NOTE)
        .await
        .unwrap();
    click(&c, "#refer").await;
    assert!(text_of(&c, "#done").await.contains("ارجاع شد"));
    assert_eq!(text_of(&c, "#file-state").await, "ارجاع به دفتر");
    assert!(text_of(&c, "#referred-area_m2").await.contains(NOTE));
    visit(
        &c,
        "the review file after the referral",
        Some("walk-09-referred"),
    )
    .await;
    sign_out(&c).await;

    // 3. The office reads the note and the deadline beside the field, corrects it, sends again.
    sign_in(&c, &home, &code, &code).await;
    let home_deadline = text_of(&c, "#deadline").await;
    visit(&c, "the office's home page with a referral", None).await;
    click(&c, "#declaration-link").await;
    let note = text_of(&c, "#area_m2-note").await;
    assert!(note.contains(NOTE), "{note}");
    let by = text_of(&c, "#area_m2-note p:nth-of-type(2) strong").await;
    assert!(!by.is_empty(), "a deadline beside the field: {note}");
    assert!(
        home_deadline.contains(&by),
        "the home page counts down to the same deadline: {home_deadline} / {by}"
    );
    assert!(
        c.find(Locator::Css("input#staff_count")).await.is_err(),
        "only the referred field is open"
    );
    visit(&c, "the correction form", Some("walk-10-correction")).await;
    retype(&c, "#area_m2", "40").await;
    click(&c, "#continue").await;
    let answers = text_of(&c, "#answers").await;
    assert!(answers.contains("۴۰ متر مربع"), "{answers}");
    visit(&c, "check your corrected answers", None).await;
    click(&c, "#submit").await;
    text_of(&c, "#confirmation").await;
    visit(&c, "the correction's confirmation", None).await;
    let token = app.login(&code, &code).await;
    let (_, filed) = app.get("/v1/rounds/1400-2/declaration", Some(&token)).await;
    assert_eq!(filed["values"]["area_m2"], json!(40), "{filed}");
    assert_ne!(filed["status"], "referred", "{filed}");
    sign_out(&c).await;

    // 4. Published: the office reads its total, grade and explanation, and files an objection.
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
        .find(|r| r["office"] == office.as_str())
        .unwrap()
        .clone();
    let total: Fixed = serde_json::from_value(row["total"].clone()).unwrap();
    sign_in(&c, &home, &code, &code).await;
    click(&c, "#link-results").await;
    assert_eq!(
        text_of(&c, "#total").await,
        to_persian_number(&total.to_string())
    );
    let grade = text_of(&c, "#grade").await;
    assert!(
        grade.contains(&to_persian_digits(&row["grade"].to_string())),
        "{grade} / {row}"
    );
    // The explanation reads the corrected area, not the one first declared.
    let area = text_of(&c, "#criterion-area").await;
    assert!(area.contains("۴۰") && !area.contains("۵۵"), "{area}");
    let stage = text_of(&c, "#stage").await;
    assert!(
        stage.contains(&JalaliDate::new(1400, 2, 17).unwrap().long_fa()),
        "{stage}"
    );
    visit(&c, "the result page", Some("walk-11-results")).await;
    click(&c, "#object-link").await;
    text_of(&c, "#text").await;
    visit(&c, "the objection form", Some("walk-12-objection")).await;
    click(&c, "#criteria-area").await;
    c.find(Locator::Id("text"))
        .await
        .unwrap()
        .send_keys(CLAIM)
        .await
        .unwrap();
    click(&c, "#file-objection").await;
    assert_eq!(text_of(&c, "#confirmation h1").await, "اعتراض شما ثبت شد");
    visit(
        &c,
        "the objection's confirmation",
        Some("walk-13-objection-filed"),
    )
    .await;
    sign_out(&c).await;

    // 5. The reviewer decides the objection; the office reads it on its result and timeline.
    app.at("1400/02/18 11:00");
    sign_in(&c, &home, REVIEWER.0, REVIEWER.1).await;
    click(&c, "#objections-link").await;
    assert_eq!(text_of(&c, &format!("#claim-{office}")).await, CLAIM);
    visit(
        &c,
        "the region's objections",
        Some("walk-14-review-objections"),
    )
    .await;
    click(&c, &format!("#reject-{office}")).await;
    c.find(Locator::Css(&format!("#reason-{office}")))
        .await
        .unwrap()
        .send_keys(REASON)
        .await
        .unwrap();
    click(&c, &format!("#submit-decision-{office}")).await;
    assert!(text_of(&c, "#done").await.contains("ثبت شد"));
    assert_eq!(text_of(&c, &format!("#status-{office}")).await, "رد شد");
    visit(&c, "the objections after the decision", None).await;
    sign_out(&c).await;

    sign_in(&c, &home, &code, &code).await;
    click(&c, "#link-results").await;
    let status = text_of(&c, "#objection-status").await;
    assert!(status.starts_with("اعتراض رد شد"), "{status}");
    assert_eq!(
        text_of(&c, "#objection-reason").await,
        format!("دلیل منطقه: {REASON}")
    );
    visit(&c, "the result with the decision", Some("walk-15-decision")).await;
    c.goto(&format!("{}/file", app.url)).await.unwrap();
    for step in [
        "submitted",
        "referred",
        "corrected",
        "published",
        "objection_decided",
    ] {
        text_of(&c, &format!("#step-{step}")).await;
    }
    let decided = text_of(&c, "#step-objection_decided").await;
    assert!(decided.contains("اعتراض رد شد"), "{decided}");
    visit(&c, "the file's timeline", Some("walk-16-timeline")).await;
    c.close().await.unwrap();
}
