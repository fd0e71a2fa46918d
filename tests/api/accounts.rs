//! Sign-in with the national code, password change, lockout, import, roles and scopes.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(
    an_office_holder_signs_in_with_the_national_code_as_username_and_password,
    changing_username_and_password_retires_the_old_ones,
    repeated_failures_are_slowed_then_locked_and_the_response_says_so,
    importing_the_same_registry_twice_changes_nothing,
    a_bad_registry_is_refused_whole_with_every_row_problem,
    roles_and_scopes_are_enforced,
);

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
        lefts[0].contains("4 attempt(s) left") && lefts[3].contains("1 attempt(s) left"),
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
            .contains("locked for 15 more minute(s)")
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
    let rows: Vec<(u64, &str)> = body["error"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["row"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rows,
        vec![(3, "kind"), (4, "region"), (4, "holder_national_code")]
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
