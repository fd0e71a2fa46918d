//! Health, the error shape for malformed requests, the OpenAPI document, graceful shutdown; and
//! the server under abuse: corrupt stored rows, hostile input maps, panics, idle, slow and too
//! many connections (raw sockets on loopback, against a server with short limits).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use arzyab::http::{AppState, ServerLimits};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(
    health_reports_the_database_the_clock_and_the_rule_hashes,
    malformed_oversized_and_mistyped_bodies_get_the_error_shape,
    the_openapi_document_matches_the_routes,
    graceful_shutdown_loses_no_accepted_write,
    a_declaration_with_an_unknown_status_or_broken_json_is_an_error_naming_the_row_not_a_draft,
    a_corrupt_referral_objection_or_published_result_is_an_error_naming_the_row,
    malformed_paths_and_query_strings_answer_in_the_json_error_shape,
    every_documented_route_answers_a_malformed_path_or_query_in_the_json_error_shape,
    a_score_request_naming_230000_inputs_gets_one_small_error,
    a_batch_with_hundreds_of_bad_fields_lists_fifty_and_counts_the_rest,
    a_panicking_handler_answers_the_json_500_and_the_connection_stays_up,
    an_idle_connection_and_a_half_sent_head_are_closed_after_the_header_timeout,
    a_body_dripping_past_the_body_timeout_is_answered_408_in_the_error_shape,
    a_client_that_stops_reading_its_answer_is_closed_after_the_write_timeout,
    requests_that_are_not_readable_http_are_answered_in_the_json_error_shape,
    connections_over_the_cap_are_refused_at_once_while_health_still_answers
);

async fn health_reports_the_database_the_clock_and_the_rule_hashes(app: TestApp) {
    let (s, h) = app.get("/health", None).await;
    assert_eq!(s, 200);
    assert_eq!(h["status"], "ok");
    assert_eq!(h["simulated_clock"], true);
    assert!(h["warning"].as_str().unwrap().contains("SIMULATED CLOCK"));
    assert!(h["now"].as_str().unwrap().starts_with("2021-04-09"));
    let rules = h["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert!(
        rules
            .iter()
            .all(|r| r["hash"].as_str().unwrap().len() == 64)
    );
}

async fn malformed_oversized_and_mistyped_bodies_get_the_error_shape(app: TestApp) {
    let post = |body: String, ct: &str| {
        app.client
            .post(format!("{}/v1/auth/login", app.url))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let r = post("{not json".into(), "application/json").await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let b: serde_json::Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "malformed_json");
    assert!(!b["error"]["message"]["fa"].as_str().unwrap().is_empty());
    let r = post(json!({"username": "a"}).to_string(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "invalid_body"
    );
    let r = post(
        json!({"username": "a", "password": "b"}).to_string(),
        "text/plain",
    )
    .await
    .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let huge = format!(
        "{{\"username\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(arzyab::http::MAX_BODY_BYTES + 10)
    );
    let r = post(huge, "application/json").await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "body_too_large"
    );
    let (s, b) = app.get("/v1/nothing-here", None).await;
    assert_eq!((s, b["error"]["code"].as_str()), (404, Some("not_found")));
    let (s, b) = app
        .request(reqwest::Method::DELETE, "/v1/rounds", None, None)
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
}

async fn the_openapi_document_matches_the_routes(app: TestApp) {
    let (s, doc) = app.get("/openapi.json", None).await;
    assert_eq!(s, 200);
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "{:?}", paths.keys());
    // Every documented operation exists: it never answers 404/405 for a missing route.
    for (path, ops) in paths {
        let concrete = path
            .replace("{round}", "1400-2")
            .replace("{id}", "P-0001")
            .replace("{username}", "admin");
        for method in ops.as_object().unwrap().keys() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, body) = app.request(m, &concrete, None, None).await;
            assert!(s != 405, "{method} {path} is documented but not routed");
            assert!(
                s != 404 || body["error"]["message"]["en"] != "this path was not found",
                "{method} {path} is documented but not routed"
            );
            // Every error response has the documented shape.
            if s >= 400 {
                assert!(body["error"]["code"].is_string(), "{method} {path}: {body}");
            }
        }
    }
    // Every documented error response refers to the shared error schema.
    let login = &paths["/v1/auth/login"]["post"]["responses"]["401"];
    assert!(login.to_string().contains("ErrorBody"), "{login}");
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
}

async fn graceful_shutdown_loses_no_accepted_write(mut app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(12);
    app.import(&admin, &csv).await;
    let mut tokens = Vec::new();
    for (_, code, _) in &offices {
        tokens.push(app.login(code, code).await);
    }
    // Fire twelve writes at once and shut down while they are in flight.
    let mut writes = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let req = app
            .client
            .put(format!("{}/v1/rounds/1400-2/declaration", app.url))
            .bearer_auth(token)
            .json(&json!({"values": {"area_m2": 30 + i}}))
            .send();
        writes.push(tokio::spawn(req));
    }
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.shut_down().await;
    let mut accepted = Vec::new();
    for (i, w) in writes.into_iter().enumerate() {
        if let Ok(Ok(resp)) = w.await
            && resp.status().is_success()
        {
            accepted.push(i);
        }
    }
    assert!(
        !accepted.is_empty(),
        "some writes were accepted before shutdown"
    );
    for i in accepted {
        let id = format!("P-{:04}", i + 1);
        let stored = app
            .store
            .declaration(crate::helpers::rid("1400-2"), &crate::helpers::oid(&id))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("accepted write for {id} was lost"));
        assert_eq!(stored.office_values["area_m2"], json!(30 + i));
    }
}

/// Changes a stored row by hand, as a bad migration or a manual edit would.
async fn corrupt(app: &TestApp, sql: &str, binds: &[&str]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    let done = q.execute(&app.store.pool).await.unwrap();
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

/// Asserts a 500 `corrupt_row` whose English message names `row` (e.g. `declarations row 1400-2/P-0001`).
fn assert_corrupt(s: u16, b: &Value, row: &str) {
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (500, Some("corrupt_row")),
        "{b}"
    );
    let en = b["error"]["message"]["en"].as_str().unwrap();
    assert!(en.contains(row), "{en} does not name {row}");
    assert!(!b["error"]["message"]["fa"].as_str().unwrap().is_empty());
}

async fn a_declaration_with_an_unknown_status_or_broken_json_is_an_error_naming_the_row_not_a_draft(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    let office = app.login(&offices[0].1, &offices[0].1).await;
    let reviewer = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&office),
            json!({"values": {"area_m2": 40, "staff_count": 3, "location_type": "urban", "years_active": 4}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&office),
            json!({}),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("submitted")), "{b}");
    let row = "declarations row 1400-2/P-0001";

    corrupt(
        &app,
        "update declarations set status = 'fild' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&office))
        .await;
    assert_corrupt(s, &b, row);
    let (s, b) = app.get("/v1/rounds/1400-2/files", Some(&reviewer)).await;
    assert_corrupt(s, &b, row);
    let e = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("{row}: status `fild` is not a status")
    );

    corrupt(
        &app,
        "update declarations set status = 'submitted', office_values = '{\"area_m2\": 4' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&office))
        .await;
    assert_corrupt(s, &b, row);
    let (s, b) = app.get("/v1/rounds/1400-2/files", Some(&reviewer)).await;
    assert_corrupt(s, &b, row);
    let e = app
        .store
        .declarations(crate::helpers::rid("1400-2"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("{row}: office_values is not JSON")),
        "{e}"
    );

    corrupt(
        &app,
        "update declarations set office_values = '[]' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&office))
        .await;
    assert_corrupt(s, &b, row);

    // Repaired by hand, the same file reads as filed again.
    corrupt(
        &app,
        "update declarations set office_values = '{\"area_m2\": 40}' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&office))
        .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("submitted")), "{b}");
}

async fn a_corrupt_referral_objection_or_published_result_is_an_error_naming_the_row(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    for (_, code, _) in &offices {
        let t = app.login(code, code).await;
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({"values": {"area_m2": 40, "staff_count": 3, "location_type": "urban", "years_active": 4}}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = app
            .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
    }
    // A referral whose reasons were damaged: the office reading its referred file is told.
    app.at("1400/02/06 10:00");
    let admin = app.admin().await;
    let reviewer = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0001/referral",
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says 30 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let office = app.login(&offices[0].1, &offices[0].1).await;
    corrupt(
        &app,
        "update referrals set reasons = 'lease' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&office))
        .await;
    assert_corrupt(s, &b, "referrals row 1");
    corrupt(
        &app,
        "update referrals set reasons = '{}', status = 'opened' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&office))
        .await;
    assert_corrupt(s, &b, "referrals row 1");
    corrupt(
        &app,
        "update referrals set status = 'open' where office_id = $1",
        &["P-0001"],
    )
    .await;

    // Published results.
    app.at("1400/02/16 10:00");
    let admin = app.admin().await;
    let regulator = app.staff(&admin, "regulator.x", "regulator", None).await;
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    let publication = p["publication"]["id"].as_i64().unwrap();
    let office = app.login(&offices[0].1, &offices[0].1).await;
    let (s, mine) = app
        .get("/v1/rounds/1400-2/results/mine", Some(&office))
        .await;
    assert_eq!(s, 200, "{mine}");
    let result_row = format!("publication_results row {publication}/P-0001");
    corrupt(
        &app,
        "update publication_results set result = '{\"total\": ' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/results/mine", Some(&office))
        .await;
    assert_corrupt(s, &b, &result_row);
    let (s, b) = app.get("/v1/rounds/1400-2/results", Some(&regulator)).await;
    assert_corrupt(s, &b, &result_row);
    let resp = app
        .client
        .get(format!("{}/v1/rounds/1400-2/results.csv", app.url))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap();
    let s = resp.status().as_u16();
    assert_corrupt(s, &resp.json().await.unwrap(), &result_row);
    // The stored inputs, which a replay of the publication reads.
    let original = mine["result"].to_string();
    corrupt(
        &app,
        "update publication_results set result = $1, inputs = 'values' where office_id = $2",
        &[&original, "P-0001"],
    )
    .await;
    let (s, b) = app
        .get(
            "/v1/rounds/1400-2/publications/first/verify",
            Some(&regulator),
        )
        .await;
    assert_corrupt(s, &b, &result_row);
    let (s, b) = app.get("/v1/rounds/1400-2/results", Some(&regulator)).await;
    assert_corrupt(s, &b, &result_row);

    // An objection with an unknown status is not silently pending (nor accepted).
    corrupt(
        &app,
        "update publication_results set inputs = '{}' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/objection",
            Some(&office),
            json!({"text": "the area was measured wrongly", "criteria": ["area"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    corrupt(
        &app,
        "update objections set status = 'acepted' where office_id = $1",
        &["P-0001"],
    )
    .await;
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/results/mine", Some(&office))
        .await;
    assert_corrupt(s, &b, "objections row 1");
    let (s, b) = app
        .get("/v1/rounds/1400-2/objections", Some(&reviewer))
        .await;
    assert_corrupt(s, &b, "objections row 1");

    // Finalization stops at a damaged first result, before anything is written.
    corrupt(
        &app,
        "update objections set status = 'rejected' where office_id = $1",
        &["P-0001"],
    )
    .await;
    corrupt(
        &app,
        "update publication_results set result = '[' where office_id = $1",
        &["P-0002"],
    )
    .await;
    app.at("1400/02/25 09:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_corrupt(
        s,
        &b,
        &format!("publication_results row {publication}/P-0002"),
    );
    let (s, b) = app
        .get("/v1/rounds/1400-2/publications", Some(&regulator))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["publications"].as_array().unwrap().len(), 1, "{b}");
}

/// A content type that is JSON (`application/json`, with or without parameters).
fn is_json(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

async fn malformed_paths_and_query_strings_answer_in_the_json_error_shape(app: TestApp) {
    let admin = app.admin().await;
    for (path, code) in [
        ("/v1/rounds/1400-2/files?region=abc", "invalid_query"),
        ("/v1/rounds/1400-2/results?page=-1", "invalid_query"),
        ("/v1/offices/%C0%AF", "invalid_path"),
        ("/v1/rounds/%FF/files", "invalid_path"),
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", app.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{path}");
        assert!(is_json(&resp), "{path}: {:?}", resp.headers());
        let b: Value = resp.json().await.unwrap();
        assert_eq!(b["error"]["code"], code, "{path}: {b}");
        assert!(!b["error"]["message"]["fa"].as_str().unwrap().is_empty());
        assert!(!b["error"]["message"]["en"].as_str().unwrap().is_empty());
    }
}

async fn every_documented_route_answers_a_malformed_path_or_query_in_the_json_error_shape(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (_, doc) = app.get("/openapi.json", None).await;
    let mut with_params = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // A path parameter that is not UTF-8 once decoded, on every route that has one.
            if path.contains('{') {
                with_params += 1;
                let bad: String = path
                    .split('/')
                    .map(|seg| if seg.starts_with('{') { "%C0%AF" } else { seg })
                    .collect::<Vec<_>>()
                    .join("/");
                let resp = app
                    .client
                    .request(method.clone(), format!("{}{bad}", app.url))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                assert!(
                    is_json(&resp),
                    "{method} {bad}: {status} {:?}",
                    resp.headers()
                );
                let b: Value = resp.json().await.unwrap();
                assert_eq!(
                    (status, b["error"]["code"].as_str()),
                    (400, Some("invalid_path")),
                    "{method} {bad}: {b}"
                );
            }
            // Query strings of the wrong type, on every route that reads (no side effects).
            if method == reqwest::Method::GET {
                let good = path
                    .replace("{round}", "1400-2")
                    .replace("{stage}", "first")
                    .replace("{id}", "P-0001")
                    .replace("{office}", "P-0001")
                    .replace("{username}", "admin")
                    .replace("{hash}", "0");
                let url = format!("{}{good}?region=abc&page=x&per_page=-1", app.url);
                let resp = app
                    .client
                    .get(&url)
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                if status >= 400 {
                    assert!(is_json(&resp), "GET {url}: {status} {:?}", resp.headers());
                    let b: Value = resp.json().await.unwrap();
                    assert!(b["error"]["code"].is_string(), "GET {url}: {b}");
                }
            }
        }
    }
    assert!(
        with_params >= 10,
        "{with_params} routes with path parameters"
    );
}

async fn admin_and_unknown_inputs(app: &TestApp, names: usize) -> (String, String) {
    let admin = app.admin().await;
    let mut body = String::from(r#"{"office":{"kind":"pishkhan"},"inputs":{"#);
    for i in 0..names {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!("\"unknow_{i:06}\":0"));
    }
    body.push_str("}}");
    (admin, body)
}

async fn a_score_request_naming_230000_inputs_gets_one_small_error(app: TestApp) {
    let (admin, body) = admin_and_unknown_inputs(&app, 230_000).await;
    assert!(body.len() > 4_000_000 && body.len() <= arzyab::http::MAX_BODY_BYTES);
    let resp = app
        .client
        .post(format!("{}/v1/rounds/1400-2/score", app.url))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let text = resp.text().await.unwrap();
    assert!(text.len() < 2_000, "{} bytes: {text}", text.len());
    let b: Value = serde_json::from_str(&text).unwrap();
    let details = b["error"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 1, "{b}");
    assert_eq!(details[0]["field"], "inputs");
    let en = details[0]["message"]["en"].as_str().unwrap();
    assert!(en.contains("got 230000"), "{en}");
    let fa = details[0]["message"]["fa"].as_str().unwrap();
    assert!(
        fa.contains("۲۳۰۰۰۰") && !fa.chars().any(|c| c.is_ascii_digit()),
        "{fa}"
    );
    // A map the round could use is still scored (or refused per field) as before.
    let (_, small) = admin_and_unknown_inputs(&app, 3).await;
    let resp = app
        .client
        .post(format!("{}/v1/rounds/1400-2/score", app.url))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(small)
        .send()
        .await
        .unwrap();
    let b: Value = resp.json().await.unwrap();
    assert_ne!(b["error"]["details"][0]["field"], "inputs", "{b}");
}

async fn a_batch_with_hundreds_of_bad_fields_lists_fifty_and_counts_the_rest(app: TestApp) {
    let admin = app.admin().await;
    let offices: Vec<Value> = (0..120)
        .map(|i| json!({"office": {"id": format!("B-{i:04}"), "kind": "pishkhan"}, "inputs": {"area_m2": "big"}}))
        .collect();
    let resp = app
        .client
        .post(format!("{}/v1/rounds/1400-2/score/batch", app.url))
        .bearer_auth(&admin)
        .json(&json!({"offices": offices}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let text = resp.text().await.unwrap();
    assert!(text.len() < 20_000, "{} bytes", text.len());
    let b: Value = serde_json::from_str(&text).unwrap();
    let e = &b["error"];
    let errors: usize = e["message"]["en"]
        .as_str()
        .unwrap()
        .strip_suffix(" fields are not valid")
        .unwrap()
        .parse()
        .unwrap();
    assert!(errors >= 120, "at least one error per office: {errors}");
    let details = e["details"].as_array().unwrap();
    assert_eq!(details.len(), arzyab::http::error::MAX_DETAILS + 1);
    assert_eq!(details[0]["field"], "offices[0].inputs.area_m2");
    let last = details.last().unwrap();
    let more = errors - arzyab::http::error::MAX_DETAILS;
    assert_eq!(last["message"]["en"], format!("and {more} more"));
    assert_eq!(
        last["message"]["fa"],
        format!(
            "و {} مورد دیگر",
            arzyab::domain::digits::to_persian_digits(&more.to_string())
        )
    );
    assert_eq!(e["omitted"], more);
}

/// A server on the test's database with `limits` (and `extra` routes), for raw-socket tests; it
/// stops when the returned sender is dropped.
async fn limited_server(
    app: &TestApp,
    limits: ServerLimits,
    extra: axum::Router<AppState>,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(arzyab::app::App::new(
        app.store.clone(),
        app.rules.clone(),
        app.clock.clone(),
    ));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(arzyab::http::serve_with(
        listener,
        arzyab::http::app_with(state, extra),
        limits,
        async {
            let _ = rx.await;
        },
    ));
    (addr, tx)
}

/// Sends `request` on `stream` and reads one answer (framed by Content-Length): status, head and
/// body.
async fn exchange(stream: &mut TcpStream, request: &str) -> (u16, String, String) {
    stream.write_all(request.as_bytes()).await.unwrap();
    read_answer(stream).await
}

async fn read_answer(stream: &mut (impl AsyncRead + Unpin)) -> (u16, String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(
            n > 0,
            "closed before an answer: {}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let status = head[9..12].parse().unwrap();
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).to_string();
    (status, head, body)
}

/// How long until the server closes `stream` (end of file or reset), reading and discarding;
/// `None` if it is still open after `limit`.
async fn closed_within(stream: &mut (impl AsyncRead + Unpin), limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        let left = limit.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

const HEALTH: &str = "GET /health HTTP/1.1\r\nhost: localhost\r\n\r\n";

async fn a_panicking_handler_answers_the_json_500_and_the_connection_stays_up(app: TestApp) {
    async fn panics() -> &'static str {
        panic!("a deliberate panic in a test route")
    }
    let panics = axum::Router::new().route("/v1/test/panic", axum::routing::get(panics));
    let (addr, _stop) = limited_server(&app, ServerLimits::default(), panics).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (status, head, body) = exchange(
        &mut stream,
        "GET /v1/test/panic HTTP/1.1\r\nhost: localhost\r\n\r\n",
    )
    .await;
    assert_eq!(status, 500, "{head}{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let b: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(b["error"]["code"], "internal");
    assert!(
        !body.contains("deliberate"),
        "the panic message is logged, not shown: {body}"
    );
    // The same connection serves the next request.
    let (status, _, body) = exchange(&mut stream, HEALTH).await;
    assert_eq!(status, 200, "{body}");
}

fn short(header: f64, body: f64, max_connections: usize) -> ServerLimits {
    ServerLimits {
        header_timeout: Duration::from_secs_f64(header),
        body_timeout: Duration::from_secs_f64(body),
        write_timeout: Duration::from_secs(30),
        max_connections,
    }
}

async fn an_idle_connection_and_a_half_sent_head_are_closed_after_the_header_timeout(app: TestApp) {
    let (addr, _stop) = limited_server(&app, short(0.5, 5.0, 64), axum::Router::new()).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /health HTTP/1.1\r\nhost: loc")
        .await
        .unwrap();
    let mut kept = TcpStream::connect(addr).await.unwrap();
    let (status, _, _) = exchange(&mut kept, HEALTH).await;
    assert_eq!(status, 200);
    for (what, stream) in [
        ("idle", &mut idle),
        ("half-sent head", &mut half),
        ("kept-alive after an answer", &mut kept),
    ] {
        let closed = closed_within(stream, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("the {what} connection is still open after 5 s"));
        assert!(
            closed < Duration::from_secs(3),
            "{what}: closed after {closed:?}"
        );
    }
    // A client that keeps up is not affected.
    let mut fresh = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut fresh, HEALTH).await.0, 200);
}

async fn requests_that_are_not_readable_http_are_answered_in_the_json_error_shape(app: TestApp) {
    let (addr, _stop) = limited_server(&app, ServerLimits::default(), axum::Router::new()).await;
    let many_headers: String = (0..150).map(|i| format!("x-header-{i}: {i}\r\n")).collect();
    let cases = [
        (
            "a malformed request line",
            "GARBAGE\r\n\r\n".to_string(),
            400,
            "malformed_request",
        ),
        (
            "a malformed header",
            "GET /health HTTP/1.1\r\nhost localhost\r\n\r\n".to_string(),
            400,
            "malformed_request",
        ),
        (
            "too many headers",
            format!("GET /health HTTP/1.1\r\nhost: localhost\r\n{many_headers}\r\n"),
            431,
            "headers_too_large",
        ),
    ];
    for (what, request, status, code) in cases {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let (s, head, body) = exchange(&mut stream, &request).await;
        assert_eq!(s, status, "{what}: {head}{body}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{what}: {head}"
        );
        let b: Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"));
        assert_eq!(b["error"]["code"], code, "{what}: {b}");
        assert!(!b["error"]["message"]["fa"].as_str().unwrap().is_empty());
        assert!(
            closed_within(&mut stream, Duration::from_secs(5))
                .await
                .is_some(),
            "{what}: the connection is closed after the answer"
        );
    }
    // A readable request on a fresh connection is served as always.
    let mut fresh = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut fresh, HEALTH).await.0, 200);
}

async fn a_client_that_stops_reading_its_answer_is_closed_after_the_write_timeout(app: TestApp) {
    const BIG: usize = 32 << 20;
    async fn big() -> Vec<u8> {
        vec![b'x'; BIG]
    }
    let route = axum::Router::new().route("/v1/test/big", axum::routing::get(big));
    let limits = ServerLimits {
        write_timeout: Duration::from_secs(1),
        ..short(5.0, 5.0, 64)
    };
    let (addr, _stop) = limited_server(&app, limits, route).await;
    // A small receive window, and nothing read: the server's writes stall within a few kB.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    stream
        .write_all(b"GET /v1/test/big HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The server gave up on the answer: what is buffered arrives, then the connection ends,
    // long before the 32 MB.
    let mut received = 0;
    let mut chunk = vec![0u8; 64 << 10];
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received += n,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "still open after the write timeout ({received} bytes read)"
    );
    assert!(received < BIG, "the whole answer arrived: {received} bytes");
    // A client that reads gets the whole answer.
    let mut reader = TcpStream::connect(addr).await.unwrap();
    reader
        .write_all(b"GET /v1/test/big HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut all = Vec::new();
    reader.read_to_end(&mut all).await.unwrap();
    assert!(all.len() > BIG, "{} bytes", all.len());
}

async fn a_body_dripping_past_the_body_timeout_is_answered_408_in_the_error_shape(app: TestApp) {
    let (addr, _stop) = limited_server(&app, short(5.0, 1.0, 64), axum::Router::new()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = r#"{"username": "admin", "password": "admin-password-1400"}"#;
    stream
        .write_all(
            format!(
                "POST /v1/auth/login HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // One byte every 200 ms: each read is prompt, the whole body (11 s) is not.
    let started = Instant::now();
    let (mut rd, mut wr) = stream.split();
    let dripping = async {
        for b in body.as_bytes() {
            if wr.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        std::future::pending::<()>().await
    };
    let (status, head, answer) = tokio::select! {
        answer = read_answer(&mut rd) => answer,
        () = dripping => unreachable!(),
    };
    assert_eq!(status, 408, "{head}{answer}");
    let b: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(b["error"]["code"], "body_timeout");
    assert!(
        b["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("1 s"),
        "{b}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        closed_within(&mut rd, Duration::from_secs(3))
            .await
            .is_some()
    );
}

async fn connections_over_the_cap_are_refused_at_once_while_health_still_answers(app: TestApp) {
    let (addr, _stop) = limited_server(&app, short(2.0, 5.0, 8), axum::Router::new()).await;
    let mut keeper = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut keeper, HEALTH).await.0, 200);
    let mut idle = Vec::new();
    for _ in 0..7 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // The ninth gets a 503 in the error shape and is closed, without waiting for anything.
    let started = Instant::now();
    let mut over = TcpStream::connect(addr).await.unwrap();
    let (status, head, body) = read_answer(&mut over).await;
    assert_eq!(status, 503, "{head}{body}");
    let b: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(b["error"]["code"], "too_many_connections");
    assert!(
        closed_within(&mut over, Duration::from_secs(1))
            .await
            .is_some()
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // A connection the server already holds still gets answers.
    assert_eq!(exchange(&mut keeper, HEALTH).await.0, 200);
    // Once the idle ones time out, new connections are served again.
    for s in &mut idle {
        assert!(closed_within(s, Duration::from_secs(5)).await.is_some());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fresh = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut fresh, HEALTH).await.0, 200);
}
