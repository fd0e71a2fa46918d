//! Health, the error shape for malformed requests, the OpenAPI document, graceful shutdown.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(
    health_reports_the_database_the_clock_and_the_rule_hashes,
    malformed_oversized_and_mistyped_bodies_get_the_error_shape,
    the_openapi_document_matches_the_routes,
    graceful_shutdown_loses_no_accepted_write
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
            .declaration("1400-2", &id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("accepted write for {id} was lost"));
        assert_eq!(stored.office_values["area_m2"], json!(30 + i));
    }
}
