//! A real server on port 0 against a fresh database (SQLite file or PostgreSQL database), a client,
//! and the clock the test moves.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use arzyab::clock::{Clock, ManualClock, SystemClock};
use arzyab::config::LoginLimits;
use arzyab::http::AppState;
use arzyab::live::Registry;
use arzyab::store::{Backend, Store};
use serde_json::{Value, json};

/// The URL of the throwaway PostgreSQL server: `ARZYAB_TEST_POSTGRES_URL`, or one `.ci/pg` starts.
fn postgres_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("ARZYAB_TEST_POSTGRES_URL") {
            return url;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/pg");
        let out = std::process::Command::new("bash").arg(&script).arg("start").output().expect("run .ci/pg");
        assert!(
            out.status.success(),
            "could not start a throwaway PostgreSQL for the Postgres suite (.ci/pg start): {}\n\
             install PostgreSQL 15 server binaries (initdb, pg_ctl) or set ARZYAB_TEST_POSTGRES_URL",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

/// A fresh, empty database URL for one test.
async fn fresh_database(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.join("arzyab.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_url();
            let name = format!("arzyab_test_{}", hex(8));
            let mut conn = sqlx::PgConnection::connect(admin)
                .await
                .expect("connect to the test PostgreSQL");
            sqlx::Executor::execute(&mut conn, format!("create database {name}").as_str())
                .await
                .expect("create database");
            let (base, query) = admin.split_once('?').map_or((admin, ""), |(b, q)| (b, q));
            let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
            if query.is_empty() {
                format!("{base}/{name}")
            } else {
                format!("{base}/{name}?{query}")
            }
        }
    }
}

fn hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A second server on a [`TestApp`]'s database (see [`TestApp::replica`]).
pub struct Replica {
    pub url: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    /// The clock the server reads, moved by [`TestApp::at`] (unused on the real clock).
    pub clock: Arc<ManualClock>,
    /// Whether the server reads the machine's clock ([`TestApp::spawn_on_real_clock`]).
    real_clock: bool,
    /// The server's state (for its test seams).
    pub state: AppState,
    pub store: Store,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
    /// The live rule sets the server reads (to set a publication check, or replay a version).
    pub rules: Arc<Registry>,
    /// The rules directory the server reads: a temporary copy for [`TestApp::spawn_watching`].
    pub rules_dir: std::path::PathBuf,
    /// The rules-directory watcher of [`TestApp::spawn_watching`].
    pub watcher: Option<arzyab::live::RulesWatcher>,
    _rules_copy: Option<tempfile::TempDir>,
}

/// 1400/01/20 09:00 in Tehran: inside 1400-2's self-declaration window.
pub fn in_self_declaration() -> jiff::Timestamp {
    arzyab::clock::parse_instant("1400/01/20 09:00").unwrap()
}

pub const ADMIN: (&str, &str) = ("admin", "admin-password-1400");

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with_rules(
            backend,
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"),
        )
        .await
    }

    /// A server whose only sign-in limits are the lockout's: no rate limits, and room to hash
    /// 64 passwords at once.
    pub async fn spawn_unthrottled(backend: Backend) -> TestApp {
        let limits = LoginLimits {
            per_username_per_minute: 0,
            per_address_per_minute: 0,
            hash_concurrency: 64,
            hash_queue: 64,
        };
        Self::spawn_with_login_limits(backend, limits).await
    }

    /// A server with these sign-in limits instead of the defaults.
    pub async fn spawn_with_login_limits(backend: Backend, limits: LoginLimits) -> TestApp {
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        Self::launch(backend, &rules, false, false, &limits, None).await
    }

    pub async fn spawn_with_rules(backend: Backend, rules: &Path) -> TestApp {
        Self::launch(backend, rules, false, false, &LoginLimits::default(), None).await
    }

    /// A server on the machine's clock ([`SystemClock`], finer than a millisecond) and a
    /// temporary copy of `rules/` whose live versions are stored: edit a round's calendar under
    /// `app.rules_dir` so a phase is open today, then reload it.
    pub async fn spawn_on_real_clock(backend: Backend) -> TestApp {
        let copy = tempfile::tempdir().unwrap();
        let rules = copy.path().join("rules");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"), &rules);
        let mut app =
            Self::launch(backend, &rules, true, true, &LoginLimits::default(), None).await;
        app._rules_copy = Some(copy);
        app
    }

    /// A server that runs one simulation at a time and lets a candidate's script run for two
    /// minutes without a limit on operations: a looping script holds the slot while a test looks.
    pub async fn spawn_single_slot(backend: Backend) -> TestApp {
        let limits = arzyab::http::SimulationLimits {
            concurrent: 1,
            evaluation: arzyab::rules::budget::Limits {
                operations: u64::MAX,
                evaluation: std::time::Duration::from_secs(120),
                total: Some(std::time::Duration::from_secs(120)),
            },
        };
        let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        Self::launch(
            backend,
            &rules,
            false,
            false,
            &LoginLimits::default(),
            Some(limits),
        )
        .await
    }

    /// A server on a temporary copy of `rules/` that stores every version that goes live in the
    /// database and watches the copy: edit files under `app.rules_dir`, then poll.
    pub async fn spawn_watching(backend: Backend) -> TestApp {
        let copy = tempfile::tempdir().unwrap();
        let rules = copy.path().join("rules");
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"), &rules);
        let mut app =
            Self::launch(backend, &rules, true, false, &LoginLimits::default(), None).await;
        let watcher = arzyab::live::watch(
            app.rules.clone(),
            app.clock.clone(),
            arzyab::live::WatchSettings::default(),
        )
        .expect("watch the rules copy");
        app.watcher = Some(watcher);
        app._rules_copy = Some(copy);
        app
    }

    async fn launch(
        backend: Backend,
        rules: &Path,
        record_versions: bool,
        real_clock: bool,
        limits: &LoginLimits,
        simulation_limits: Option<arzyab::http::SimulationLimits>,
    ) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(backend, dir.path()).await;
        let store = Store::connect(&database_url)
            .await
            .expect("connect and migrate");
        let manual = Arc::new(ManualClock::new(in_self_declaration()));
        let clock: Arc<dyn Clock> = if real_clock {
            Arc::new(SystemClock)
        } else {
            manual.clone()
        };
        let registry = Arc::new(Registry::new(rules));
        let failures = if record_versions {
            registry.set_version_log(Arc::new(store.clone()));
            registry.set_publication_check(Arc::new(store.clone()));
            registry
                .reload_all(arzyab::live::Origin::Startup, clock.now())
                .await
        } else {
            registry.load_all(clock.now())
        };
        assert!(failures.is_empty(), "{failures:?}");
        // The first admin, as `arzyab create-admin` makes it.
        let hash = arzyab::accounts::hash_password(ADMIN.1);
        let mut tx = store.pool.begin().await.unwrap();
        let user = arzyab::store::users::NewUser {
            username: ADMIN.0,
            password_hash: Some(&hash),
            role: arzyab::domain::Role::Admin,
            office_id: None,
            region: None,
            national_code: None,
        };
        arzyab::store::users::insert_user(&mut tx, &user, 0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut state = AppState::new(arzyab::app::App::new(
            store.clone(),
            registry.clone(),
            clock.clone(),
        ))
        .with_login_limits(limits);
        if let Some(limits) = simulation_limits {
            state = state.with_simulation_limits(limits);
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(arzyab::http::serve(listener, state.clone(), async {
            let _ = rx.await;
        }));
        TestApp {
            url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            clock: manual,
            real_clock,
            state,
            store,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
            rules: registry,
            rules_dir: rules.to_path_buf(),
            watcher: None,
            _rules_copy: None,
        }
    }

    /// Another server on the same database, rules and clock, with memory of its own: a second API
    /// replica. It stops when the returned value is dropped.
    pub async fn replica(&self) -> Replica {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(arzyab::app::App::new(
            self.store.clone(),
            self.rules.clone(),
            self.state.clock.clone(),
        ));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(arzyab::http::serve(listener, state, async {
            let _ = rx.await;
        }));
        Replica { url, _shutdown: tx }
    }

    /// Stops accepting and waits for requests in flight to finish.
    pub async fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.unwrap().unwrap();
        }
    }

    pub fn at(&self, when: &str) {
        assert!(!self.real_clock, "the real clock cannot be moved");
        self.clock.set(arzyab::clock::parse_instant(when).unwrap());
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.request_at(&self.url, method, path, token, body).await
    }

    /// A request to the server at `base` (this one, or a [`Replica`]).
    pub async fn request_at(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.client.request(method, format!("{base}{path}"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        assert_persian_error(&body);
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.request(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::PUT, path, token, Some(body))
            .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/v1/auth/login",
                None,
                json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(status, 200, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// The last day of `phase` of `round`, as `GET /v1/rounds/{round}` gives it.
    pub async fn last_day(&self, round: &str, phase: &str) -> arzyab::domain::JalaliDate {
        let (s, body) = self.get(&format!("/v1/rounds/{round}"), None).await;
        assert_eq!(s, 200, "{body}");
        let day = body["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["phase"] == phase)
            .unwrap_or_else(|| panic!("no {phase} in {body}"))["last_day"]
            .as_str()
            .unwrap()
            .to_string();
        arzyab::domain::JalaliDate::parse(&day).unwrap()
    }

    pub async fn admin(&self) -> String {
        self.login(ADMIN.0, ADMIN.1).await
    }

    /// Imports offices through the API (CSV), returning the response.
    pub async fn import(&self, token: &str, csv: &str) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}/v1/offices/import", self.url))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.json().await.unwrap();
        assert_persian_error(&body);
        (status, body)
    }

    /// Creates a staff user and signs them in.
    pub async fn staff(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        region: Option<u8>,
    ) -> String {
        let password = format!("{username}-password-1400");
        let (s, b) = self
            .post(
                "/v1/users",
                Some(admin),
                json!({"username": username, "password": password, "role": role, "region": region}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        self.login(username, &password).await
    }
}

/// The `fa` texts of an error answer: its message and each detail's, with where they are.
pub fn persian_texts(body: &Value) -> Vec<(String, String)> {
    let error = &body["error"];
    let mut out = Vec::new();
    if let Some(fa) = error["message"]["fa"].as_str() {
        out.push(("message".to_string(), fa.to_string()));
    }
    for d in error["details"].as_array().into_iter().flatten() {
        if let Some(fa) = d["message"]["fa"].as_str() {
            out.push((format!("details[{}]", d["field"]), fa.to_string()));
        }
    }
    out
}

/// Fails unless every `fa` text of an error answer is wholly Persian (see
/// [`arzyab::domain::persian_problem`]). Every request a test sends through [`TestApp`] is checked,
/// so each error any API test meets is walked.
pub fn assert_persian_error(body: &Value) {
    for (at, fa) in persian_texts(body) {
        if let Some(problem) = arzyab::domain::persian_problem(&fa) {
            panic!("{} {at}: {problem}: {fa}\n{body}", body["error"]["code"]);
        }
    }
}

/// A registry CSV of `n` offices split over regions 1 and 2, with valid national codes.
pub fn registry_csv(n: usize) -> (String, Vec<(String, String, u8)>) {
    let mut csv = String::from("id,kind,region,province,name,holder_national_code\n");
    let mut offices = Vec::new();
    for i in 0..n {
        let code = arzyab::domain::NationalCode::from_prefix(100_000_000 + i as u32 * 7919)
            .unwrap_or_else(|| {
                arzyab::domain::NationalCode::from_prefix(200_000_000 + i as u32).unwrap()
            });
        let region = 1 + (i % 2) as u8;
        let id = format!("P-{:04}", i + 1);
        let kind = if i % 5 == 4 { "rural_ict" } else { "pishkhan" };
        csv.push_str(&format!(
            "{id},{kind},{region},{},دفتر {i},{}\n",
            if region == 1 { "THR" } else { "EAZ" },
            code
        ));
        offices.push((id, code.to_string(), region));
    }
    (csv, offices)
}

/// Copies a directory tree (a rules directory, a round).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs a test body against both backends, each with its own fresh server and database.
/// `both_backends!(spawn_watching => a, b)` starts each server with another `TestApp` constructor.
#[macro_export]
macro_rules! both_backends {
    ($spawn:ident => $($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::$spawn(arzyab::store::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::TestApp::$spawn(arzyab::store::Backend::Postgres).await).await
            }
        })*
    };
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::TestApp::spawn(arzyab::store::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::TestApp::spawn(arzyab::store::Backend::Postgres).await).await
            }
        })*
    };
}

/// A round id written in a test.
pub fn rid(text: &str) -> arzyab::domain::RoundId {
    arzyab::domain::RoundId::parse(text).unwrap()
}

/// A license number written in a test.
pub fn oid(text: &str) -> arzyab::domain::OfficeId {
    arzyab::domain::OfficeId::parse(text).unwrap()
}
