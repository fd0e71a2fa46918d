//! What every browser test needs: a chromedriver on a free port, a headless chromium session,
//! and small steps (read an element's text, sign in through the form).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

/// The first of `names` found on `PATH` (or as an absolute path).
pub fn program(names: &[&str]) -> Option<PathBuf> {
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
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_driver(chromedriver: &PathBuf) -> Driver {
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

pub async fn browser(driver: &Driver, chromium: &PathBuf) -> Client {
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

pub async fn text_of(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
        .text()
        .await
        .unwrap()
}

pub async fn sign_in(c: &Client, url: &str, code: &str, password: &str) {
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
    // The answer has loaded once it shows either a signed-in page (its sign-out form) or the
    // sign-in form's error summary; a step taken before that would read the old page.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("form[action='/logout'], .error-summary"))
        .await
        .unwrap_or_else(|e| panic!("no page after signing in as {code}: {e}"));
}

/// A browser session for a test, or `None` (after saying so loudly) on a machine without
/// chromium; under CI (`CI` set) a missing browser fails the test instead.
pub async fn open() -> Option<(Driver, Client)> {
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
        return None;
    };
    let driver = start_driver(&chromedriver).await;
    let client = browser(&driver, &chromium).await;
    Some((driver, client))
}

/// axe-core's script (`.ci/run` installs it with npm into `.ci/axe/`; `ARZYAB_AXE_JS` names
/// another copy), or `None` after saying so loudly; under CI a missing copy fails the test.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("ARZYAB_AXE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join(".ci/axe/node_modules/axe-core/axe.min.js")
        });
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the accessibility checks: {} ({e}); .ci/run installs axe-core",
                path.display()
            );
            eprintln!(
                "\n!!! SKIPPED the accessibility check: no axe-core at {} \
                 (npm install --prefix .ci/axe axe-core@4.14.1) !!!\n",
                path.display()
            );
            None
        }
    }
}

/// The serious and critical accessibility violations axe-core finds on the page the browser
/// shows (each with its rule, impact, help text and elements), or `None` without axe-core.
pub async fn serious_violations(c: &Client, page: &str) -> Option<Vec<serde_json::Value>> {
    let axe = axe_source()?;
    c.execute(&axe, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("inject axe-core into {page}: {e}"));
    let result = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               axe.run(document, { resultTypes: ["violations"] })
                  .then(r => done(r.violations.map(v => ({
                      id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.map(n => n.target.join(" ")) }))))
                  .catch(e => done({ error: String(e) }));"#,
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("run axe-core on {page}: {e}"));
    assert!(
        result.get("error").is_none(),
        "axe-core failed on {page}: {result}"
    );
    Some(
        result
            .as_array()
            .expect("axe-core's violations")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .cloned()
            .collect(),
    )
}

/// Fails on any serious or critical accessibility violation axe-core finds on the page the
/// browser shows; `page` names the page in the failure.
pub async fn assert_accessible(c: &Client, page: &str) {
    let Some(serious) = serious_violations(c, page).await else {
        return;
    };
    assert!(
        serious.is_empty(),
        "{page}: {} serious or critical accessibility violation(s): {}",
        serious.len(),
        serde_json::to_string_pretty(&serious).unwrap()
    );
}

/// With `ARZYAB_SCREENSHOTS` set, saves the page at desktop width (1280 px) and phone width
/// (360 px) as `docs/screenshots/<name>-desktop.png` and `<name>-phone.png` (the README shows
/// them); otherwise does nothing, so test runs leave the tree unchanged.
pub async fn screenshot(c: &Client, name: &str) {
    if std::env::var_os("ARZYAB_SCREENSHOTS").is_none() {
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let (w, h) = c.get_window_size().await.unwrap();
    for (suffix, width, height) in [("desktop", 1280, 900), ("phone", 360, 780)] {
        c.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let png = c.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}-{suffix}.png")), png).unwrap();
    }
    c.set_window_size(w as u32, h as u32).await.unwrap();
}

/// WebDriver's "Get Computed Role" and "Get Computed Label" of one element: what the browser's
/// accessibility tree tells a screen reader the element is, and what it is called.
#[derive(Debug)]
struct Computed {
    /// `computedrole` or `computedlabel`.
    what: &'static str,
    element: String,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Computed {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        let session = session_id.expect("a session");
        base_url.join(&format!(
            "session/{session}/element/{}/{}",
            self.element, self.what
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::GET, None)
    }
}

async fn computed(c: &Client, css: &str, what: &'static str) -> String {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"));
    let element = e.element_id().to_string();
    c.issue_cmd(Computed { what, element })
        .await
        .unwrap_or_else(|err| panic!("{what} of `{css}`: {err}"))
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The role the browser gives the first element `css` in its accessibility tree (`table`,
/// `row`, `cell`, `columnheader` …): what a screen reader is told it is.
pub async fn computed_role(c: &Client, css: &str) -> String {
    computed(c, css, "computedrole").await
}

/// The accessible name the browser gives the first element `css`: what a screen reader reads.
pub async fn computed_label(c: &Client, css: &str) -> String {
    computed(c, css, "computedlabel").await
}
