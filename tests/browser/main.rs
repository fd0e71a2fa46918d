//! The portal in a real browser: Debian's headless `chromium`, driven through `chromedriver` with
//! fantoccini, against the real server on SQLite. Assertions read the rendered page.
//!
//! Skips loudly when chromium or chromedriver is missing, except under CI (`CI` set), where it
//! fails: `.ci/run` installs both.

#[allow(dead_code, unused_macros)]
#[path = "../api/helpers.rs"]
mod helpers;

mod console;
mod console_policy;
mod declaration;
mod harness;
mod phone;
mod results;
mod review;
mod triage;
mod walk;

use arzyab::domain::JalaliDate;
use arzyab::domain::digits::to_persian_digits;
use arzyab::store::Backend;
use fantoccini::Locator;
use harness::{assert_accessible, screenshot, serious_violations, sign_in, text_of};
use helpers::{TestApp, in_self_declaration, registry_csv};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_signs_in_with_persian_digits_sees_its_deadline_and_a_wrong_password_shows_the_error_summary()
 {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    let code = to_persian_digits(&offices[0].1);
    let url = format!("{}/", app.url);

    // A wrong password: the form again, a summary at the top whose link leads to the field.
    c.goto(&url).await.unwrap();
    text_of(&c, "#national_code").await;
    assert_accessible(&c, "the sign-in form").await;
    screenshot(&c, "sign-in").await;
    sign_in(&c, &url, &code, "not-it-0000").await;
    let summary = text_of(&c, ".error-summary").await;
    assert!(summary.contains("کد ملی یا گذرواژه درست نیست"), "{summary}");
    let beside = text_of(&c, "#password-error").await;
    assert!(beside.contains("درست نیست"), "{beside}");
    assert_accessible(&c, "the sign-in form with an error").await;
    screenshot(&c, "sign-in-error").await;
    c.find(Locator::Css(".error-summary a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .ends_with("#password")
    );

    // The right one, typed in Persian digits: the home page with the round and the deadline.
    sign_in(&c, &url, &code, &code).await;
    let phase = text_of(&c, "#phase").await;
    assert!(phase.contains("خوداظهاری"), "{phase}");
    let (_, rounds) = app.get("/v1/rounds", None).await;
    let last = rounds["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["current_phase"] == "self_declaration")
        .and_then(|r| {
            r["phases"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["phase"] == "self_declaration")
        })
        .expect("a round in self-declaration")["last_day"]
        .as_str()
        .unwrap()
        .to_string();
    let last = JalaliDate::parse(&last).unwrap();
    let deadline = text_of(&c, "#deadline").await;
    assert!(deadline.contains(&last.long_fa()), "{deadline}");
    let days = JalaliDate::of_instant(in_self_declaration()).days_until(last);
    let countdown = text_of(&c, "#countdown").await;
    assert_eq!(
        countdown,
        format!("{} روز مانده", to_persian_digits(&days.to_string()))
    );
    let dir = c
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("dir")
        .await
        .unwrap();
    assert_eq!(dir.as_deref(), Some("rtl"));
    assert_accessible(&c, "the home page").await;
    screenshot(&c, "home").await;

    // English, then signing out leads back to the form.
    c.find(Locator::Id("lang-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let countdown = text_of(&c, "#countdown").await;
    assert_eq!(countdown, format!("{days} days left"));
    assert_accessible(&c, "the home page in English").await;
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_of(&c, "#national_code").await;
    c.close().await.unwrap();
}

/// The accessibility check itself can fail: a page with an unlabelled field and an image without
/// a text alternative has serious violations.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accessibility_check_finds_the_violations_of_a_page_made_badly() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    c.goto(
        "data:text/html,<html><body><form><input type=text></form><img src=x.png></body></html>",
    )
    .await
    .unwrap();
    let Some(found) = serious_violations(&c, "a bad page").await else {
        return;
    };
    let rules: Vec<&str> = found.iter().filter_map(|v| v["id"].as_str()).collect();
    assert!(rules.contains(&"label"), "{rules:?}");
    assert!(rules.contains(&"image-alt"), "{rules:?}");
    c.close().await.unwrap();
}
