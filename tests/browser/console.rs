//! The regulator's console in a real browser: the regulator follows the home page's link to the
//! dashboard, watches the counts move (live, then with the refresh link), reads the preview,
//! publishes and verifies with one click, then runs a simulation with two overrides and reads
//! the report.

use arzyab::store::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::harness::{self, assert_accessible, screenshot, sign_in, text_of};
use crate::helpers::{TestApp, registry_csv};

const REGULATOR: (&str, &str) = ("regulator.x", "regulator.x-password-1400");

/// An element's text with its whitespace (between table cells too) made single spaces.
async fn words(c: &Client, css: &str) -> String {
    text_of(c, css)
        .await
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Clicks the link or button `css`, once the page shows it, and waits for the next page to
/// replace this one.
async fn click(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    press(c, css).await;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("clicking `{css}` opened no page within 10 s");
}

/// Clicks the element `css`, once the page shows it.
async fn press(c: &Client, css: &str) {
    c.wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .click()
        .await
        .unwrap();
}

/// Offices `which` save and submit a declaration through the API.
pub(crate) async fn declare(
    app: &TestApp,
    offices: &[(String, String, u8)],
    which: std::ops::Range<usize>,
) {
    for i in which {
        let t = app.login(&offices[i].1, &offices[i].1).await;
        let values = json!({
            "area_m2": 20 + 10 * i, "staff_count": 1 + i % 4, "insured_staff": i % 3,
            "disabled_staff": 0, "location_type": "urban", "step_free_access": i % 2 == 0,
            "years_active": 3 + i,
        });
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({ "values": values }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = app
            .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regulator_watches_the_dashboard_publishes_after_the_preview_and_verifies() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(6);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    app.staff(&admin, REGULATOR.0, "regulator", None).await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    let url = format!("{}/", app.url);

    // From the home page to the dashboard: every office still to file.
    sign_in(&c, &url, REGULATOR.0, REGULATOR.1).await;
    click(&c, "#console-link a").await;
    assert_eq!(text_of(&c, "#phase-name").await, "خوداظهاری");
    let nation = words(&c, "#nationwide").await;
    assert!(nation.starts_with("کل کشور ۶ ۰ ۶"), "{nation}");
    assert_accessible(&c, "the round dashboard").await;
    screenshot(&c, "console-dashboard").await;

    // Two offices file: the counts change on the page by themselves (htmx polls every 10 s).
    declare(&app, &offices, 0..2).await;
    let mut nation = String::new();
    for _ in 0..40 {
        nation = words(&c, "#nationwide").await;
        if nation.starts_with("کل کشور ۶ ۲ ۴ ۲") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        nation.starts_with("کل کشور ۶ ۲ ۴ ۲"),
        "not updated in 20 s: {nation}"
    );

    // Two more file; the refresh link shows it at once.
    declare(&app, &offices, 2..4).await;
    click(&c, "#refresh").await;
    let nation = words(&c, "#nationwide").await;
    assert!(nation.starts_with("کل کشور ۶ ۴ ۲ ۴"), "{nation}");

    // The regions review; the publication phase opens.
    app.at("1400/02/06 09:00");
    for (i, o) in offices.iter().enumerate().take(4) {
        let name = ["rev.one", "rev.two"][o.2 as usize - 1];
        let reviewer = app.login(name, &format!("{name}-password-1400")).await;
        let path = format!("/v1/rounds/1400-2/files/{}", o.0);
        let (_, file) = app.get(&path, Some(&reviewer)).await;
        let values = json!({
            "association_score": 50 + 10 * i, "data_completeness_percent": 80,
            "distance_to_nearest_office_m": 1000, "satisfaction_percent": 70 + i,
        });
        let (s, b) = app
            .put(
                &format!("{path}/region-values"),
                Some(&reviewer),
                json!({"values": values, "version": file["declaration"]["version"]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    app.at("1400/02/17 10:00");
    sign_in(&c, &url, REGULATOR.0, REGULATOR.1).await;
    click(&c, "#console-link a").await;
    assert_eq!(text_of(&c, "#phase-name").await, "اعلام نتایج");

    // The preview, then the confirmation.
    click(&c, "#nav-publish").await;
    let grades = words(&c, "#grades-nationwide").await;
    assert!(grades.starts_with("کل کشور"), "{grades}");
    assert_accessible(&c, "the publication preview").await;
    screenshot(&c, "console-publish-preview").await;
    click(&c, "#publish").await;
    let first = text_of(&c, "#publication-first").await;
    assert!(first.contains("regulator:regulator.x"), "{first}");
    let (_, published) = app
        .get(
            "/v1/rounds/1400-2/results",
            Some(&app.login(REGULATOR.0, REGULATOR.1).await),
        )
        .await;
    assert_eq!(published["total"], 6, "{published}");

    // Verified with one click.
    click(&c, "#verify-first").await;
    let verdict = text_of(&c, "#verdict").await;
    assert!(verdict.starts_with("یکسان است"), "{verdict}");
    assert_accessible(&c, "the verification").await;
    screenshot(&c, "console-verify").await;

    // The results table, filtered to one region.
    click(&c, "#nav-results").await;
    press(&c, "#region option[value='2']").await;
    click(&c, "#apply").await;
    let matching = text_of(&c, "#matching").await;
    assert!(
        matching.starts_with("۳"),
        "region 2 has three offices: {matching}"
    );
    assert_accessible(&c, "the results table").await;
    screenshot(&c, "console-results").await;

    // A simulation with two overrides: the form holds the live values.
    click(&c, "#nav-simulation").await;
    let weight = c.find(Locator::Id("set-weight-area")).await.unwrap();
    assert_eq!(weight.prop("value").await.unwrap().as_deref(), Some("1.5"));
    // A wrong value first: the run is refused and the message stands beside the field.
    retype(&c, "#set-weight-area", "سه").await;
    click(&c, "#run").await;
    assert!(
        text_of(&c, "#error-summary")
            .await
            .contains("«weight:area»"),
        "{}",
        text_of(&c, "#error-summary").await
    );
    assert!(c.find(Locator::Id("set-weight-area-error")).await.is_ok());
    retype(&c, "#set-weight-area", "۳").await;
    retype(&c, "#set-cut-grade-1", "۵۰").await;
    click(&c, "#run").await;
    let changed = words(&c, "#changed").await;
    assert!(changed.contains("۱٫۵ → ۳"), "{changed}");
    assert!(changed.contains("۶۰ → ۵۰"), "{changed}");
    let (s, api) = app
        .post(
            "/v1/rounds/1400-2/simulate",
            Some(&app.login(REGULATOR.0, REGULATOR.1).await),
            json!({"set": ["weight:area=3", "cut:grade_1=50"]}),
        )
        .await;
    assert_eq!(s, 200, "{api}");
    let up = api["simulation"]["summary"]["grades_up"].to_string();
    assert_eq!(
        text_of(&c, "#grades-up").await,
        arzyab::domain::digits::to_persian_digits(&up)
    );
    assert_accessible(&c, "the simulation's outcome").await;
    screenshot(&c, "console-simulation").await;
    // On a 360 px phone nothing scrolls sideways (the tables are cards there).
    let (w, h) = c.get_window_size().await.unwrap();
    c.set_window_size(360, 780).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (vw, out) = harness::overflows(&c).await;
    assert!(out.is_empty(), "the simulation at {vw} px: {out:#?}");
    c.set_window_size(w as u32, h as u32).await.unwrap();
    // The report itself, in its frame.
    c.find(Locator::Id("simulation-report"))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    let report = text_of(&c, "header h1").await;
    assert!(report.contains("گزارش شبیه‌سازی"), "{report}");
    let overrides = text_of(&c, "header").await;
    assert!(overrides.contains("weight:area=3"), "{overrides}");
    c.enter_parent_frame().await.unwrap();
    c.close().await.unwrap();
}

/// Empties the input `css` and types `text` into it.
async fn retype(c: &Client, css: &str, text: &str) {
    let input = c.find(Locator::Css(css)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}
