//! The policy staff's and admins' pages in a real browser: a policy officer breaks a rule file on
//! disk and sees the diagnostic appear on the open rules page (htmx polls it, no reload), fixes it
//! and sees the new version live; an admin creates a reviewer and unlocks a locked holder.

use std::time::{Duration, Instant};

use arzyab::store::Backend;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::harness::{self, assert_accessible, screenshot, sign_in, text_of};
use crate::helpers::{TestApp, registry_csv};

/// Reads `css`'s text every 50 ms until `done` accepts it (at most ten seconds); the text and
/// how long it took.
async fn until(c: &Client, css: &str, done: impl Fn(&str) -> bool) -> (String, Duration) {
    let start = Instant::now();
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if done(&text) {
            return (text, start.elapsed());
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "`{css}` never changed as expected; last: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the page is still the one loaded when `marker` was set (no navigation since).
async fn same_page(c: &Client) -> bool {
    c.execute("return window.policyMarker === 1;", vec![])
        .await
        .unwrap()
        .as_bool()
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_officer_sees_a_broken_rule_files_diagnostic_on_the_open_page_then_the_fixed_version_live()
 {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn_watching(Backend::Sqlite).await;
    let admin = app.admin().await;
    app.staff(&admin, "policy1", "regulator", None).await;
    let url = format!("{}/", app.url);
    sign_in(&c, &url, "policy1", "policy1-password-1400").await;
    text_of(&c, "#round").await;
    c.goto(&format!("{}/rules", app.url)).await.unwrap();
    let live = text_of(&c, "#live-1400-2").await;
    assert_accessible(&c, "the rules page").await;
    c.execute("window.policyMarker = 1;", vec![]).await.unwrap();

    // A bad save in the editor: the diagnostic shows up on the open page.
    let criteria = app.rules_dir.join("1400-2/criteria.yaml");
    let original = std::fs::read_to_string(&criteria).unwrap();
    let line = original
        .lines()
        .position(|l| l == "    weight: 1.5")
        .unwrap()
        + 1;
    std::fs::write(
        &criteria,
        original.replace("    weight: 1.5\n", "      weight: 1.5\n"),
    )
    .unwrap();
    let at = format!("1400-2/criteria.yaml:{line}:7");
    let (diagnostics, took) = until(&c, "#diagnostics-1400-2", |t| t.contains(&at)).await;
    println!("the diagnostic was on the page {took:?} after the save");
    assert!(
        took < Duration::from_millis(2500),
        "half a second's poll plus the watcher's debounce; took {took:?}"
    );
    // In Persian, as the API's Persian message says it.
    let (_, rules) = app.get("/v1/rules", Some(&app.admin().await)).await;
    let fa = rules["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["round"] == "1400-2")
        .map(|r| r["last_attempt"]["errors"][0]["message"]["fa"].clone())
        .unwrap();
    assert!(
        diagnostics.contains(fa.as_str().unwrap()),
        "{fa} in {diagnostics}"
    );
    assert!(
        same_page(&c).await,
        "htmx replaced the part, the page was not reloaded"
    );
    assert_eq!(
        text_of(&c, "#live-1400-2").await,
        live,
        "the old version stays live"
    );
    assert_accessible(&c, "the rules page with a diagnostic").await;
    screenshot(&c, "rules-diagnostic").await;

    // Fixed (a note of the fix makes it a new version): the new version is live on the page.
    std::fs::write(&criteria, format!("{original}# fixed after a bad save\n")).unwrap();
    let (now_live, took) = until(&c, "#live-1400-2", |t| !t.is_empty() && t != live).await;
    println!("the fixed version was on the page {took:?} after the save");
    let (_, health) = app.get("/health", None).await;
    let hash = health["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["round"] == "1400-2")
        .unwrap()["hash"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(now_live.contains(&hash[..12]), "{now_live}");
    assert!(c.find(Locator::Id("diagnostics-1400-2")).await.is_err());
    assert!(same_page(&c).await);

    // The versions page compares the two.
    c.find(Locator::Id("versions-1400-2"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("compare"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let diff = text_of(&c, "#diff").await;
    assert!(diff.contains(&hash[..12]), "{diff}");
    assert_accessible(&c, "the versions page").await;
    screenshot(&c, "rules-versions").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_reviewer_and_unlocks_a_locked_holder() {
    let Some((_driver, c)) = harness::open().await else {
        return;
    };
    let app = TestApp::spawn_unthrottled(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, _) = app.import(&admin, &csv).await;
    assert_eq!(s, 200);
    let code = offices[0].1.clone();
    for _ in 0..5 {
        app.post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": "wrong-guess"}),
        )
        .await;
    }
    let url = format!("{}/", app.url);
    sign_in(&c, &url, "admin", "admin-password-1400").await;
    text_of(&c, "#round").await;
    c.goto(&format!("{}/admin/users", app.url)).await.unwrap();
    assert_accessible(&c, "the accounts page").await;

    // A reviewer for region 3.
    for (id, value) in [
        ("new-username", "rev3"),
        ("new-region", "۳"),
        ("new-password", "reviewer-three-secret"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    c.find(Locator::Css("#new-role option[value='reviewer']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("create-account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = text_of(&c, "#done").await;
    assert!(done.contains("rev3"), "{done}");
    let row = text_of(&c, "#account-rev3").await;
    assert!(row.contains("کارشناس منطقه"), "{row}");
    screenshot(&c, "admin-users").await;

    // The locked holder: listed as locked; one click unlocks.
    let row = text_of(&c, &format!("#account-{code}")).await;
    assert!(row.contains("قفل"), "{row}");
    c.find(Locator::Id(&format!("unlock-{code}")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The answer replaces the page (its `#done` said what the create did): wait for the new one.
    until(&c, "#done", |t| t.contains(&code)).await;
    assert_accessible(&c, "the accounts page after an unlock").await;
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": code}),
        )
        .await;
    assert_eq!(s, 200, "the holder is back in");
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": "rev3", "password": "reviewer-three-secret"}),
        )
        .await;
    assert_eq!(s, 200, "the reviewer signs in");
    c.close().await.unwrap();
}
