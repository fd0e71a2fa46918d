//! The declaration in a real browser, with the keyboard only: an office holder signs in with
//! Persian digits, tabs to the declaration, fills it in (Persian digits, radios with the space
//! bar), continues to "check your answers", submits with Enter and reads the confirmation.

use arzyab::domain::digits::to_persian_digits;
use arzyab::store::Backend;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::harness::{self, assert_accessible, screenshot, text_of};
use crate::helpers::{TestApp, registry_csv};

/// Presses `key` (or types text) into whatever has the focus.
async fn press(c: &Client, key: &str) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
}

/// The focused element's `id` and `name`.
async fn focused(c: &Client) -> (String, String) {
    let e = c.active_element().await.unwrap();
    let id = e.attr("id").await.unwrap().unwrap_or_default();
    let name = e.attr("name").await.unwrap().unwrap_or_default();
    (id, name)
}

/// Tabs forward until the element with `id` has the focus (at most 60 presses).
async fn tab_to(c: &Client, id: &str) {
    for _ in 0..60 {
        if focused(c).await.0 == id {
            return;
        }
        press(c, &Key::Tab).await;
    }
    panic!("`#{id}` never got the focus by Tab");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_fills_and_submits_its_declaration_with_the_keyboard_only_and_sees_the_confirmation()
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

    // Sign in: type the national code in Persian digits, Tab, the password, Enter.
    c.goto(&format!("{}/", app.url)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("national_code"))
        .await
        .unwrap()
        .send_keys(&code)
        .await
        .unwrap();
    press(&c, &Key::Tab).await;
    assert_eq!(focused(&c).await.0, "password");
    press(&c, &code).await;
    press(&c, &Key::Enter).await;
    text_of(&c, "#next-step").await;

    // From the home page to the declaration, by Tab and Enter.
    tab_to(&c, "declaration-link").await;
    press(&c, &Key::Enter).await;
    text_of(&c, "#declaration-form").await;
    assert_accessible(&c, "the declaration form").await;
    screenshot(&c, "declaration").await;

    // Fill every office input in the order Tab reaches it; radios take the space bar.
    let typed = [
        ("area_m2", "۵۵٫۵"),
        ("staff_count", "۴"),
        ("insured_staff", "۲"),
        ("disabled_staff", "۱"),
        ("years_active", "۶"),
    ];
    let radios = ["location_type", "step_free_access"];
    let mut filled = Vec::new();
    press(&c, &Key::Tab).await;
    for _ in 0..60 {
        let (id, name) = focused(&c).await;
        if id == "continue" {
            break;
        }
        if let Some((_, text)) = typed.iter().find(|(n, _)| *n == name) {
            press(&c, text).await;
            filled.push(name);
        } else if radios.contains(&name.as_str()) {
            press(&c, &Key::Space).await;
            filled.push(name);
        }
        press(&c, &Key::Tab).await;
    }
    assert_eq!(
        focused(&c).await.0,
        "continue",
        "Tab reaches Continue after the fields"
    );
    assert_eq!(filled.len(), typed.len() + radios.len(), "{filled:?}");
    press(&c, &Key::Enter).await;

    // Check your answers, then submit with the keyboard.
    let answers = text_of(&c, "#answers").await;
    assert!(answers.contains("۵۵٫۵ متر مربع"), "{answers}");
    assert!(answers.contains("مرکز شهر"), "the first choice: {answers}");
    assert_accessible(&c, "check your answers").await;
    screenshot(&c, "declaration-check").await;
    tab_to(&c, "submit").await;
    press(&c, &Key::Enter).await;

    // The confirmation says what happens next and by when.
    let confirmation = text_of(&c, "#confirmation").await;
    assert!(confirmation.contains("فرستاده شد"), "{confirmation}");
    let review_last = app.last_day("1400-2", "regional_review").await;
    let next = text_of(&c, "#next").await;
    assert!(next.contains(&review_last.long_fa()), "{next}");
    assert_accessible(&c, "the confirmation").await;
    screenshot(&c, "declaration-done").await;

    // The change-password page passes the same accessibility check.
    c.goto(&format!("{}/account/password", app.url))
        .await
        .unwrap();
    text_of(&c, "#current_password").await;
    assert_accessible(&c, "the change-password page").await;
    screenshot(&c, "password").await;

    let token = app.login(&offices[0].1, &offices[0].1).await;
    let (_, filed) = app.get("/v1/rounds/1400-2/declaration", Some(&token)).await;
    assert_eq!(filed["status"], "submitted", "{filed}");
    assert_eq!(filed["values"]["area_m2"], serde_json::json!(55.5));
    assert_eq!(filed["values"]["location_type"], "city_center");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_javascript_a_bad_value_is_named_beside_its_field_as_it_is_left_and_nothing_is_saved()
{
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    let code = &offices[0].1;
    harness::sign_in(&c, &format!("{}/", app.url), code, code).await;
    text_of(&c, "#next-step").await;
    c.goto(&format!("{}/declaration", app.url)).await.unwrap();
    c.wait()
        .for_element(Locator::Id("area_m2"))
        .await
        .unwrap()
        .send_keys("۹۹۹۹۹")
        .await
        .unwrap();
    press(&c, &Key::Tab).await;
    // htmx asks the server as the field is left; the page is not reloaded.
    let beside = text_of(&c, "#area_m2-check .error-message").await;
    assert!(!beside.is_empty(), "an error beside the field");
    assert_eq!(
        focused(&c).await.1,
        "staff_count",
        "the focus moved on, no reload"
    );
    let token = app.login(code, code).await;
    let (_, body) = app.get("/v1/rounds/1400-2/declaration", Some(&token)).await;
    assert_eq!(body["version"], 0, "nothing saved: {body}");

    // Saving anyway gives the summary at the top, linking to the field, and still saves nothing.
    c.find(Locator::Id("save-draft"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let summary = text_of(&c, "#error-summary").await;
    assert!(summary.contains(&beside), "{summary} / {beside}");
    assert_accessible(&c, "the declaration form with errors").await;
    screenshot(&c, "declaration-error").await;
    let (_, body) = app.get("/v1/rounds/1400-2/declaration", Some(&token)).await;
    assert_eq!(body["version"], 0, "nothing saved: {body}");
    c.close().await.unwrap();
}
