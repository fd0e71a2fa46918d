//! Sign-in with the national code, password change, lockout, import, roles and scopes.

use serde_json::json;

use arzyab::config::LoginLimits;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

/// Each test on both backends, on a server with the sign-in limits that `$limits()` returns.
macro_rules! with_login_limits {
    ($($name:ident: $limits:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let limits = super::$limits();
                let app = $crate::helpers::TestApp::spawn_with_login_limits(arzyab::store::Backend::Sqlite, limits);
                super::$name(app.await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let limits = super::$limits();
                let app = $crate::helpers::TestApp::spawn_with_login_limits(arzyab::store::Backend::Postgres, limits);
                super::$name(app.await).await
            }
        })*
    };
}

both_backends!(
    an_office_holder_signs_in_with_the_national_code_as_username_and_password,
    changing_username_and_password_retires_the_old_ones,
    repeated_failures_are_slowed_then_locked_and_the_response_says_so,
    importing_the_same_registry_twice_changes_nothing,
    a_bad_registry_is_refused_whole_with_every_row_problem,
    roles_and_scopes_are_enforced,
    a_replaced_holder_loses_the_office_and_the_new_holder_signs_in,
    holders_who_swap_offices_both_sign_in_with_their_national_codes,
    the_initial_password_is_accepted_in_persian_and_arabic_indic_digits,
    creating_renaming_and_signing_in_accept_and_refuse_the_same_usernames,
);

both_backends!(spawn_unthrottled =>
    fifty_parallel_wrong_passwords_on_an_office_account_get_at_most_five_checks,
    fifty_parallel_wrong_passwords_on_a_staff_account_get_at_most_five_checks,
);

with_login_limits!(
    logins_beyond_the_per_username_limit_are_refused_with_retry_after: three_per_username,
    logins_beyond_the_per_address_limit_are_refused_with_retry_after: three_per_address,
    a_flood_beyond_the_hashing_bound_gets_429_not_queued_work: one_hash_no_queue,
);

fn three_per_username() -> LoginLimits {
    LoginLimits {
        per_username_per_minute: 3,
        per_address_per_minute: 0,
        ..LoginLimits::default()
    }
}

fn three_per_address() -> LoginLimits {
    LoginLimits {
        per_username_per_minute: 0,
        per_address_per_minute: 3,
        ..LoginLimits::default()
    }
}

fn one_hash_no_queue() -> LoginLimits {
    LoginLimits {
        per_username_per_minute: 0,
        per_address_per_minute: 0,
        hash_concurrency: 1,
        hash_queue: 0,
    }
}

async fn an_office_holder_signs_in_with_the_national_code_as_username_and_password(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(4);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    let (_, code, _) = &offices[0];
    // Persian digits and dashes in the username are accepted.
    let persian: String = code
        .chars()
        .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect();
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": persian, "password": code}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["user"]["role"], "office");
    assert_eq!(body["user"]["office_id"], "P-0001");
    assert_eq!(body["user"]["initial_password"], true);
    let token = body["token"].as_str().unwrap();
    let (s, me) = app.get("/v1/auth/me", Some(token)).await;
    assert_eq!((s, me["username"].as_str()), (200, Some(code.as_str())));
    // Someone else's national code is not this holder's password.
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": offices[1].1}),
        )
        .await;
    assert_eq!(s, 401);
    // Login is audited.
    let audit = app
        .store
        .audit_entries(Some(&format!("user:{code}")), 10)
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.action == "login"));
}

async fn changing_username_and_password_retires_the_old_ones(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    let code = &offices[0].1;
    let token = app.login(code, code).await;
    // Too short, and equal to the national code, are refused field by field.
    let (s, body) = app
        .post(
            "/v1/auth/password",
            Some(&token),
            json!({"current_password": code, "new_password": "short"}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "new_password");
    let (s, body) = app
        .post(
            "/v1/auth/password",
            Some(&token),
            json!({"current_password": "wrong-one-123", "new_password": "a-good-passphrase"}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["details"][0]["field"].as_str()),
        (422, Some("current_password"))
    );
    // The other office's holder cannot take a username already in use.
    let (s, body) = app.post("/v1/auth/password", Some(&token), json!({"current_password": code, "new_password": "a-good-passphrase", "new_username": offices[1].1})).await;
    assert_eq!(s, 409, "{body}");
    let (s, body) = app.post("/v1/auth/password", Some(&token), json!({"current_password": code, "new_password": "a-good-passphrase", "new_username": "office.tehran.1"})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["username"], "office.tehran.1");
    assert_eq!(body["initial_password"], false);
    // Old username and old password no longer work; the new ones do; this session still works.
    assert_eq!(
        app.post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": code})
        )
        .await
        .0,
        401
    );
    assert_eq!(
        app.post(
            "/v1/auth/login",
            None,
            json!({"username": "office.tehran.1", "password": code})
        )
        .await
        .0,
        401
    );
    app.login("office.tehran.1", "a-good-passphrase").await;
    assert_eq!(app.get("/v1/auth/me", Some(&token)).await.0, 200);
    let audit = app
        .store
        .audit_entries(Some(&format!("user:{code}")), 10)
        .await
        .unwrap();
    let change = audit
        .iter()
        .find(|a| a.action == "credentials_changed")
        .expect("audited");
    assert_eq!(change.before.as_ref().unwrap()["username"], code.as_str());
    assert_eq!(
        change.after.as_ref().unwrap()["username"],
        "office.tehran.1"
    );
}

async fn repeated_failures_are_slowed_then_locked_and_the_response_says_so(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let code = &offices[0].1;
    let mut lefts = Vec::new();
    for _ in 0..4 {
        let (s, body) = app
            .post(
                "/v1/auth/login",
                None,
                json!({"username": code, "password": "not-it-0000"}),
            )
            .await;
        assert_eq!(s, 401, "{body}");
        assert_eq!(body["error"]["code"], "login_failed");
        lefts.push(body["error"]["message"]["en"].as_str().unwrap().to_string());
    }
    assert!(
        lefts[0].contains("4 attempts left") && lefts[3].contains("1 attempt left"),
        "{lefts:?}"
    );
    let started = std::time::Instant::now();
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": "not-it-0000"}),
        )
        .await;
    assert_eq!(s, 429, "{body}");
    assert_eq!(body["error"]["code"], "locked");
    assert_eq!(body["error"]["retry_after_seconds"], 15 * 60);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Locked: even the right password is refused until the lock ends.
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": code}),
        )
        .await;
    assert_eq!(s, 429, "{body}");
    assert!(
        body["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("locked for 15 more minutes")
    );
    app.clock.advance(jiff::SignedDuration::from_mins(16));
    app.login(code, code).await;
}

async fn importing_the_same_registry_twice_changes_nothing(app: TestApp) {
    let admin = app.admin().await;
    let (csv, _) = registry_csv(30);
    let (s, first) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(
        (first["created"].as_u64(), first["unchanged"].as_u64()),
        (Some(30), Some(0))
    );
    assert_eq!(first["accounts_created"].as_array().unwrap().len(), 30);
    let audit_before = app.store.audit_entries(None, 1000).await.unwrap().len();
    let (_, second) = app.import(&admin, &csv).await;
    assert_eq!(
        (
            second["created"].as_u64(),
            second["updated"].as_u64(),
            second["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(30))
    );
    assert_eq!(
        app.store.audit_entries(None, 1000).await.unwrap().len(),
        audit_before
    );
    // A changed row is an update, audited with before and after.
    let changed = csv.replacen("P-0001,pishkhan,1,THR", "P-0001,pishkhan,1,ALB", 1);
    let (_, third) = app.import(&admin, &changed).await;
    assert_eq!(
        (third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(1), Some(29))
    );
    let audit = app
        .store
        .audit_entries(Some("office:P-0001"), 10)
        .await
        .unwrap();
    assert_eq!(audit[0].before.as_ref().unwrap()["province"], "THR");
    assert_eq!(audit[0].after.as_ref().unwrap()["province"], "ALB");
}

async fn a_bad_registry_is_refused_whole_with_every_row_problem(app: TestApp) {
    let admin = app.admin().await;
    let csv = "id,kind,region,province,name,holder_national_code\n\
               P-1,pishkhan,1,THR,a,0076229645\n\
               P-2,kiosk,1,THR,b,1583250689\n\
               P-3,pishkhan,11,THR,c,0684159415\n";
    let (s, body) = app.import(&admin, csv).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_rows", "{body}");
    let rows: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        vec![
            "rows[3].kind",
            "rows[4].region",
            "rows[4].holder_national_code"
        ]
    );
    let details = body["error"]["details"].as_array().unwrap();
    assert!(
        details[0]["message"]["fa"]
            .as_str()
            .unwrap()
            .contains("«kiosk»"),
        "{body}"
    );
    assert!(
        details[1]["message"]["fa"].as_str().unwrap().contains("۱۱"),
        "{body}"
    );
    assert!(
        details[1]["message"]["en"].as_str().unwrap().contains("11"),
        "{body}"
    );
    assert_eq!(
        body["error"]["message"]["en"],
        "3 problems in the file; nothing was imported"
    );
    assert!(
        app.store.offices(None).await.unwrap().is_empty(),
        "nothing was written"
    );
    // Not CSV at all.
    let resp = app
        .client
        .post(format!("{}/v1/offices/import", app.url))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
}

async fn roles_and_scopes_are_enforced(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(4);
    app.import(&admin, &csv).await;
    let office1 = app.login(&offices[0].1, &offices[0].1).await; // P-0001, region 1
    let reviewer1 = app.staff(&admin, "reviewer.r1", "reviewer", Some(1)).await;
    let regulator = app.staff(&admin, "regulator.1", "regulator", None).await;
    // Offices and reviewers cannot import or create users.
    for token in [&office1, &reviewer1, &regulator] {
        let (s, body) = app.import(token, &csv).await;
        assert_eq!(s, 403, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
        let (s, _) = app
            .post(
                "/v1/users",
                Some(token),
                json!({"username": "x-user", "password": "a-good-passphrase", "role": "admin"}),
            )
            .await;
        assert_eq!(s, 403);
    }
    // An office sees its own office only; a reviewer only their region's. Others are not found.
    assert_eq!(app.get("/v1/offices/P-0001", Some(&office1)).await.0, 200);
    assert_eq!(app.get("/v1/offices/P-0002", Some(&office1)).await.0, 404);
    assert_eq!(app.get("/v1/offices/P-0001", Some(&reviewer1)).await.0, 200);
    let (s, body) = app.get("/v1/offices/P-0002", Some(&reviewer1)).await;
    assert_eq!(s, 404, "{body}");
    assert_eq!(app.get("/v1/offices/P-0002", Some(&regulator)).await.0, 200);
    // Reviewers and regulators have no self-declaration.
    assert_eq!(
        app.get("/v1/rounds/1400-2/declaration", Some(&reviewer1))
            .await
            .0,
        403
    );
    // No token, a wrong token.
    assert_eq!(app.get("/v1/offices/P-0001", None).await.0, 401);
    let (s, body) = app.get("/v1/offices/P-0001", Some("not-a-token")).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    // Sessions expire.
    app.clock.advance(jiff::SignedDuration::from_hours(13));
    assert_eq!(app.get("/v1/auth/me", Some(&office1)).await.0, 401);
    // A reviewer needs a region; office accounts come from imports only.
    let admin = app.admin().await;
    let (s, body) = app
        .post(
            "/v1/users",
            Some(&admin),
            json!({"username": "rev-x", "password": "a-good-passphrase", "role": "reviewer"}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["details"][0]["field"].as_str()),
        (422, Some("region"))
    );
    let (s, _) = app
        .post(
            "/v1/users",
            Some(&admin),
            json!({"username": "off-x", "password": "a-good-passphrase", "role": "office"}),
        )
        .await;
    assert_eq!(s, 422);
}

/// `code` written with the digits that start at `zero` (Persian `۰`, Arabic-Indic `٠`).
fn with_digits(code: &str, zero: char) -> String {
    code.chars()
        .map(|c| char::from_u32(zero as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect()
}

/// The registry of `registry_csv(n)` with office `id`'s holder replaced by `code`.
fn with_holder(csv: &str, id: &str, code: &str) -> String {
    csv.lines()
        .map(|line| match line.strip_prefix(&format!("{id},")) {
            Some(_) => {
                let (rest, _) = line.rsplit_once(',').unwrap();
                format!("{rest},{code}\n")
            }
            None => format!("{line}\n"),
        })
        .collect()
}

async fn a_replaced_holder_loses_the_office_and_the_new_holder_signs_in(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    let old = offices[0].1.clone();
    let old_token = app.login(&old, &old).await;
    let (s, body) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&old_token),
            json!({"values": {"staff_count": 4}}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let new = arzyab::domain::NationalCode::from_prefix(300_000_007)
        .unwrap()
        .to_string();
    let (s, report) = app.import(&admin, &with_holder(&csv, "P-0001", &new)).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["updated"], 1);
    assert_eq!(report["accounts_created"], json!([new]));
    // The old holder's session, username and password are all gone.
    for path in ["/v1/auth/me", "/v1/rounds/1400-2/declaration"] {
        let (s, body) = app.get(path, Some(&old_token)).await;
        assert_eq!(s, 401, "{path}: {body}");
    }
    let (s, body) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&old_token),
            json!({"values": {"staff_count": 9}}),
        )
        .await;
    assert_eq!(s, 401, "{body}");
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": old, "password": old}),
        )
        .await;
    assert_eq!(s, 401, "{body}");
    // The new holder signs in with their national code and reads the office's declaration.
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": new, "password": new}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["user"]["office_id"], "P-0001");
    let new_token = body["token"].as_str().unwrap();
    let (s, view) = app
        .get("/v1/rounds/1400-2/declaration", Some(new_token))
        .await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["values"]["staff_count"], 4);
    // Both changes are audited; importing the same file again changes nothing.
    let retired = app
        .store
        .audit_entries(Some(&format!("user:{old}")), 10)
        .await
        .unwrap();
    let retired = retired
        .iter()
        .find(|a| a.action == "account_retired")
        .expect("the retirement is audited");
    assert_eq!(retired.before.as_ref().unwrap()["office"], "P-0001");
    assert_eq!(retired.after.as_ref().unwrap()["replaced_by"], new.as_str());
    let created = app
        .store
        .audit_entries(Some(&format!("user:{new}")), 10)
        .await
        .unwrap();
    assert!(created.iter().any(|a| a.action == "account_created"));
    let (_, again) = app.import(&admin, &with_holder(&csv, "P-0001", &new)).await;
    assert_eq!(
        (
            again["unchanged"].as_u64(),
            again["accounts_created"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );
}

async fn holders_who_swap_offices_both_sign_in_with_their_national_codes(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    let (a, b) = (offices[0].1.clone(), offices[1].1.clone());
    let swapped = with_holder(&with_holder(&csv, "P-0001", &b), "P-0002", &a);
    let (s, report) = app.import(&admin, &swapped).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(report["updated"], 2);
    for (code, office) in [(&a, "P-0002"), (&b, "P-0001")] {
        let (s, body) = app
            .post(
                "/v1/auth/login",
                None,
                json!({"username": code, "password": code}),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["user"]["office_id"], office);
    }
}

async fn the_initial_password_is_accepted_in_persian_and_arabic_indic_digits(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let code = &offices[0].1;
    for zero in ['۰', '٠'] {
        let typed = with_digits(code, zero);
        let (s, body) = app
            .post(
                "/v1/auth/login",
                None,
                json!({"username": typed, "password": typed}),
            )
            .await;
        assert_eq!(s, 200, "{zero}: {body}");
    }
    // Neither counted as a failure: a wrong password now leaves four attempts.
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": "not-it-0000"}),
        )
        .await;
    assert_eq!(s, 401, "{body}");
    assert!(
        body["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("4 attempts left"),
        "{body}"
    );
}

/// Fires 50 wrong passwords for `username` at once; returns how many were checked (the account's
/// failure count: every check of a wrong password adds one) and the statuses.
async fn burst_of_wrong_passwords(app: &TestApp, username: &str) -> (i64, Vec<u16>) {
    let attempts = (0..50).map(|i| {
        let (client, url) = (reqwest::Client::new(), format!("{}/v1/auth/login", app.url));
        let body = json!({"username": username, "password": format!("wrong-guess-{i:04}")});
        async move {
            let resp = client.post(url).json(&body).send().await.unwrap();
            resp.status().as_u16()
        }
    });
    let handles: Vec<_> = attempts.map(tokio::spawn).collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    let user = app.store.user_by_username(username).await.unwrap().unwrap();
    (user.failed_logins, statuses)
}

async fn assert_at_most_five_checks(app: &TestApp, username: &str, password: &str) {
    let (counted, statuses) = burst_of_wrong_passwords(app, username).await;
    let failed = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // A 401 is a checked wrong password; the count also holds the check that locked (a 429).
    let checked = counted.max(failed as i64);
    eprintln!("{username}: {checked} checked, {failed} x 401, {refused} x 429");
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {statuses:?}"
    );
    assert!(failed <= 4, "{statuses:?}");
    assert_eq!(failed + refused, 50, "{statuses:?}");
    // Locked now: the right password is refused too.
    let (s, body) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": username, "password": password}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (429, Some("locked")),
        "{body}"
    );
}

async fn fifty_parallel_wrong_passwords_on_an_office_account_get_at_most_five_checks(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let code = &offices[0].1;
    assert_at_most_five_checks(&app, code, code).await;
}

async fn fifty_parallel_wrong_passwords_on_a_staff_account_get_at_most_five_checks(app: TestApp) {
    let admin = app.admin().await;
    app.staff(&admin, "regulator.1", "regulator", None).await;
    assert_at_most_five_checks(&app, "regulator.1", "regulator.1-password-1400").await;
}

/// A login answered with its status, `Retry-After` header and body.
async fn raw_login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (u16, Option<String>, serde_json::Value) {
    let resp = app
        .client
        .post(format!("{}/v1/auth/login", app.url))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, resp.json().await.unwrap())
}

/// A 429 in the one error shape, with `Retry-After` equal to the body's delay, and Persian text
/// without Latin digits.
fn assert_too_many(
    status: u16,
    retry: Option<String>,
    body: &serde_json::Value,
    code: &str,
) -> i64 {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some(code)),
        "{body}"
    );
    let seconds = body["error"]["retry_after_seconds"].as_i64().unwrap();
    assert!(seconds >= 1, "{body}");
    assert_eq!(retry, Some(seconds.to_string()));
    let fa = body["error"]["message"]["fa"].as_str().unwrap();
    assert!(
        !fa.is_empty() && !fa.chars().any(|c| c.is_ascii_digit()),
        "{fa}"
    );
    assert!(!body["error"]["message"]["en"].as_str().unwrap().is_empty());
    seconds
}

async fn logins_beyond_the_per_username_limit_are_refused_with_retry_after(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let code = &offices[0].1;
    for _ in 0..3 {
        let (s, _, body) = raw_login(&app, code, "not-it-0000").await;
        assert_eq!(s, 401, "{body}");
    }
    let (s, retry, body) = raw_login(&app, code, code).await;
    let seconds = assert_too_many(s, retry, &body, "too_many_attempts");
    assert!(seconds <= 20, "one attempt in 20 s comes back: {body}");
    assert!(
        body["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("username")
    );
    // Refused before any check: the lockout did not count it.
    let user = app.store.user_by_username(code).await.unwrap().unwrap();
    assert_eq!(user.failed_logins, 3);
    // Another username is counted apart.
    app.admin().await;
}

async fn logins_beyond_the_per_address_limit_are_refused_with_retry_after(app: TestApp) {
    app.admin().await;
    for name in ["nobody-1", "nobody-2"] {
        let (s, _, body) = raw_login(&app, name, "not-it-0000").await;
        assert_eq!(s, 401, "{body}");
    }
    let (s, retry, body) = raw_login(&app, "nobody-3", "not-it-0000").await;
    assert_too_many(s, retry, &body, "too_many_attempts");
    assert!(
        body["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("address")
    );
}

async fn a_flood_beyond_the_hashing_bound_gets_429_not_queued_work(app: TestApp) {
    // Unknown usernames: each attempt costs one hash (the timing equalizer).
    let attempts: Vec<_> = (0..40)
        .map(|i| {
            let app_url = app.url.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let resp = client
                    .post(format!("{app_url}/v1/auth/login"))
                    .json(&json!({"username": format!("nobody-{i}"), "password": "not-it-0000"}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let retry = resp
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                (
                    status,
                    retry,
                    resp.json::<serde_json::Value>().await.unwrap(),
                )
            })
        })
        .collect();
    let mut answered = Vec::new();
    for a in attempts {
        answered.push(a.await.unwrap());
    }
    let busy: Vec<_> = answered.iter().filter(|(s, ..)| *s == 429).collect();
    let checked = answered.iter().filter(|(s, ..)| *s == 401).count();
    eprintln!(
        "hashing bound 1, no queue: {checked} x 401, {} x 429",
        busy.len()
    );
    assert_eq!(checked + busy.len(), 40, "{answered:?}");
    assert!(!busy.is_empty(), "no attempt was refused: {answered:?}");
    for (s, retry, body) in busy {
        assert_too_many(*s, retry.clone(), body, "busy");
    }
}

async fn creating_renaming_and_signing_in_accept_and_refuse_the_same_usernames(app: TestApp) {
    let admin = app.admin().await;
    let password = "a-good-passphrase-1400";
    // Typed with Persian digits and spaces: created, and signed in however it is typed.
    let (s, body) = app
        .post(
            "/v1/users",
            Some(&admin),
            json!({"username": " regulator۳ ", "password": password, "role": "regulator"}),
        )
        .await;
    assert_eq!(
        (s, body["username"].as_str()),
        (201, Some("regulator3")),
        "{body}"
    );
    app.login("regulator3", password).await;
    let token = app.login("regulator۳", password).await;
    let refused = ["ab", "two words", "کاربر", "a/b/c"];
    for name in refused {
        let (s, body) = app
            .post(
                "/v1/users",
                Some(&admin),
                json!({"username": name, "password": password, "role": "regulator"}),
            )
            .await;
        assert_eq!(s, 422, "{name}: {body}");
        assert_eq!(body["error"]["details"][0]["field"], "username", "{name}");
        let (s, body) = app
            .post(
                "/v1/auth/password",
                Some(&token),
                json!({"current_password": password, "new_password": "another-passphrase-1", "new_username": name}),
            )
            .await;
        assert_eq!(s, 422, "{name}: {body}");
        assert_eq!(
            body["error"]["details"][0]["field"], "new_username",
            "{name}"
        );
        let (s, body) = app
            .post(
                "/v1/auth/login",
                None,
                json!({"username": name, "password": password}),
            )
            .await;
        assert_eq!(s, 401, "{name}: {body}");
    }
    // Renamed with Persian digits: stored as ASCII, and signed in either way.
    let (s, body) = app
        .post(
            "/v1/auth/password",
            Some(&token),
            json!({"current_password": password, "new_password": "another-passphrase-1", "new_username": "staff.۲"}),
        )
        .await;
    assert_eq!(
        (s, body["username"].as_str()),
        (200, Some("staff.2")),
        "{body}"
    );
    app.login("staff.2", "another-passphrase-1").await;
    app.login("staff.۲", "another-passphrase-1").await;
}
