//! The portal in a real browser: Debian's headless `chromium`, driven through `chromedriver` with
//! fantoccini, against the real server on SQLite. Assertions read the rendered page.
//!
//! Skips loudly when chromium or chromedriver is missing, except under CI (`CI` set), where it
//! fails: `.ci/run` installs both.

#[allow(dead_code, unused_macros)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use arzyab::domain::JalaliDate;
use arzyab::domain::digits::to_persian_digits;
use arzyab::store::Backend;
use fantoccini::{Client, ClientBuilder, Locator};
use helpers::{TestApp, in_self_declaration, registry_csv};

/// The first of `names` found on `PATH` (or as an absolute path).
fn program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        let direct = PathBuf::from(name);
        if direct.is_absolute() && direct.exists() {
            return Some(direct);
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.exists())
    })
}

/// A chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver(chromedriver: &PathBuf) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not listen on port {port} within 10 s");
}

async fn browser(driver: &Driver, chromium: &PathBuf) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1024,768"],
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("open a chromium session")
}

async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
        .text()
        .await
        .unwrap()
}

async fn sign_in(c: &Client, url: &str, code: &str, password: &str) {
    c.goto(url).await.unwrap();
    c.find(Locator::Id("national_code"))
        .await
        .unwrap()
        .send_keys(code)
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_signs_in_with_persian_digits_sees_its_deadline_and_a_wrong_password_shows_the_error_summary()
 {
    let (Some(chromium), Some(chromedriver)) = (
        program(&["chromium", "chromium-browser", "google-chrome"]),
        program(&["chromedriver"]),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser tests: .ci/run installs chromium and chromium-driver"
        );
        eprintln!(
            "\n!!! SKIPPED: the browser tests need `chromium` and `chromedriver` on PATH \
             (Debian: apt-get install chromium chromium-driver) !!!\n"
        );
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    let code = to_persian_digits(&offices[0].1);
    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;
    let url = format!("{}/", app.url);

    // A wrong password: the form again, a summary at the top whose link leads to the field.
    sign_in(&c, &url, &code, "not-it-0000").await;
    let summary = text_of(&c, ".error-summary").await;
    assert!(summary.contains("کد ملی یا گذرواژه درست نیست"), "{summary}");
    let beside = text_of(&c, "#password-error").await;
    assert!(beside.contains("درست نیست"), "{beside}");
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

    // English, then signing out leads back to the form.
    c.find(Locator::Id("lang-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let countdown = text_of(&c, "#countdown").await;
    assert_eq!(countdown, format!("{days} days left"));
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    text_of(&c, "#national_code").await;
    c.close().await.unwrap();
}
