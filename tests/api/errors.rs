//! Every kind of error the API answers, provoked over HTTP: each `fa` text is wholly Persian.
//! (Every other API test checks the errors it meets too: see `helpers::assert_persian_error`.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, persian_texts, registry_csv};

both_backends!(every_kind_of_error_over_http_is_answered_in_persian_and_english);

/// A request as a client may send it: any method, content type, headers and bytes.
async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    headers: Vec<(&str, &str)>,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut r = app.client.request(method, format!("{}{path}", app.url));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(c) = content_type {
        r = r.header("content-type", c);
    }
    for (k, v) in headers {
        r = r.header(k, v);
    }
    let resp = r.body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn every_kind_of_error_over_http_is_answered_in_persian_and_english(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    let office = app.login(&offices[0].1, &offices[0].1).await;
    let reviewer = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let regulator = app.staff(&admin, "reg.one", "regulator", None).await;
    let json_type = Some("application/json");
    let mut answers: Vec<(&str, (u16, Value))> = Vec::new();

    answers.push(("not_found", app.get("/v1/nowhere", None).await));
    answers.push((
        "method_not_allowed",
        raw(
            &app,
            Method::DELETE,
            "/v1/auth/login",
            None,
            None,
            vec![],
            "",
        )
        .await,
    ));
    answers.push((
        "malformed_json",
        raw(
            &app,
            Method::POST,
            "/v1/auth/login",
            None,
            json_type,
            vec![],
            r#"{"username": "#,
        )
        .await,
    ));
    answers.push((
        "invalid_body",
        app.post("/v1/auth/login", None, json!({"username": 5}))
            .await,
    ));
    answers.push((
        "unsupported_media_type",
        raw(
            &app,
            Method::POST,
            "/v1/auth/login",
            None,
            Some("text/plain"),
            vec![],
            "hello",
        )
        .await,
    ));
    let huge = vec![b' '; arzyab::http::MAX_BODY_BYTES + 1];
    answers.push((
        "body_too_large",
        raw(
            &app,
            Method::POST,
            "/v1/auth/login",
            None,
            json_type,
            vec![],
            huge,
        )
        .await,
    ));
    answers.push((
        "unauthorized",
        app.get("/v1/rounds/1400-2/declaration", None).await,
    ));
    answers.push((
        "unauthorized",
        app.get("/v1/rounds/1400-2/declaration", Some("0badc0de"))
            .await,
    ));
    answers.push((
        "forbidden",
        app.post(
            "/v1/users",
            Some(&office),
            json!({"username": "x.y.z", "role": "admin", "password": "a-long-password"}),
        )
        .await,
    ));
    answers.push(("not_found", app.get("/v1/rounds/9999-9", None).await));
    answers.push(("not_found", app.get("/v1/rounds/abc", None).await));
    answers.push((
        "not_found",
        app.get(
            &format!("/v1/rules/1400-2/versions/{}", "ab".repeat(32)),
            Some(&admin),
        )
        .await,
    ));
    answers.push((
        "invalid_path",
        app.get("/v1/offices/%C0%AF", Some(&admin)).await,
    ));
    answers.push((
        "invalid_query",
        app.get("/v1/rounds/1400-2/files?region=abc", Some(&regulator))
            .await,
    ));
    answers.push((
        "invalid_query",
        app.get("/v1/rounds/1400-2/files?region=12", Some(&regulator))
            .await,
    ));
    answers.push((
        "forbidden",
        app.get("/v1/rounds/1400-2/files?region=2", Some(&reviewer))
            .await,
    ));

    // The office's declaration: values out of range, of the wrong type and unknown; a stale version.
    answers.push((
        "invalid_fields",
        app.put(
            "/v1/rounds/1400-2/declaration",
            Some(&office),
            json!({"values": {"area_m2": -5, "staff_cont": 3, "location_type": "downtown", "years_active": "many", "step_free_access": "perhaps", "association_score": 70}}),
        )
        .await,
    ));
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&office),
            json!({"values": {"area_m2": 40}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    answers.push((
        "conflict",
        app.put(
            "/v1/rounds/1400-2/declaration",
            Some(&office),
            json!({"values": {"area_m2": 41}, "version": 7}),
        )
        .await,
    ));
    let put = |key: &'static str, area: u32| {
        raw(
            &app,
            Method::PUT,
            "/v1/rounds/1400-2/declaration",
            Some(&office),
            json_type,
            vec![("idempotency-key", key)],
            json!({"values": {"area_m2": area}}).to_string(),
        )
    };
    answers.push(("invalid_idempotency_key", put("two words", 42).await));
    assert_eq!(put("key-1", 42).await.0, 200);
    answers.push(("idempotency_key_reused", put("key-1", 43).await));

    // The round's later steps, asked for too early.
    answers.push((
        "not_found",
        app.post(
            "/v1/rounds/1400-2/objection",
            Some(&office),
            json!({"text": "our area is larger", "criteria": ["area"]}),
        )
        .await,
    ));
    answers.push((
        "not_found",
        app.get("/v1/rounds/1400-2/results/mine", Some(&office))
            .await,
    ));
    answers.push((
        "outside_window",
        app.post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
            .await,
    ));
    answers.push((
        "outside_window",
        app.post(
            &format!("/v1/rounds/1400-2/files/{}/referral", offices[0].0),
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says otherwise"}}),
        )
        .await,
    ));

    // Accounts and imports.
    let (s, b) = app
        .import(
            &admin,
            "id,kind,region,holder_national_code\nP 1,kiosk,12,12345\n",
        )
        .await;
    answers.push(("invalid_rows", (s, b)));
    answers.push((
        "invalid_fields",
        app.post(
            "/v1/users",
            Some(&admin),
            json!({"username": "x", "role": "reviewer"}),
        )
        .await,
    ));
    answers.push((
        "conflict",
        app.post("/v1/users", Some(&admin), json!({"username": "rev.one", "role": "reviewer", "region": 1, "password": "a-long-password"}))
            .await,
    ));
    answers.push((
        "invalid_state",
        app.post("/v1/users/rev.one/tokens", Some(&admin), json!({}))
            .await,
    ));
    answers.push((
        "not_found",
        app.post("/v1/users/nobody/tokens", Some(&admin), json!({}))
            .await,
    ));

    // Scoring and simulation.
    answers.push((
        "invalid_fields",
        app.post(
            "/v1/rounds/1400-2/score",
            Some(&office),
            json!({"office": {"kind": "pishkhan", "region": 11}, "inputs": {"area_m2": 40}}),
        )
        .await,
    ));
    answers.push((
        "invalid_fields",
        app.post(
            "/v1/rounds/1400-2/score",
            Some(&office),
            json!({"office": {"kind": "pishkhan"}, "inputs": {"area_m2": 100000, "staf_count": 3, "location_type": "urban", "years_active": 1.5}}),
        )
        .await,
    ));
    answers.push((
        "nothing_to_simulate",
        app.post("/v1/rounds/1400-2/simulate", Some(&regulator), json!({}))
            .await,
    ));
    answers.push((
        "invalid_fields",
        app.post(
            "/v1/rounds/1400-2/simulate",
            Some(&regulator),
            json!({"set": ["weight:nothing=2"]}),
        )
        .await,
    ));

    // Wrong passwords until the account is locked (the last ones may be slowed or limited).
    let mut codes = Vec::new();
    for _ in 0..6 {
        let (s, b) = app
            .post(
                "/v1/auth/login",
                None,
                json!({"username": "rev.one", "password": "not-the-password"}),
            )
            .await;
        codes.push(b["error"]["code"].as_str().unwrap_or("").to_string());
        answers.push(("", (s, b)));
    }
    assert_eq!(codes[0], "login_failed", "{codes:?}");
    assert!(
        codes
            .iter()
            .any(|c| c == "locked" || c == "too_many_attempts"),
        "{codes:?}"
    );

    let mut walked = std::collections::BTreeSet::new();
    for (expected, (status, body)) in &answers {
        let code = body["error"]["code"].as_str().unwrap_or_default();
        if !expected.is_empty() {
            assert_eq!(code, *expected, "{status} {body}");
        }
        assert!(*status >= 400, "{status} {body}");
        let texts = persian_texts(body);
        assert!(!texts.is_empty(), "{body}");
        for (at, fa) in texts {
            assert_eq!(
                arzyab::domain::persian_problem(&fa),
                None,
                "{code} {at}: {fa}"
            );
        }
        assert!(
            !body["error"]["message"]["en"].as_str().unwrap().is_empty(),
            "{body}"
        );
        walked.insert(code.to_string());
    }
    assert!(walked.len() >= 18, "{walked:?}");

    // The same facts in both languages: the role, the count, the version, the offending values.
    let of = |code: &str| {
        answers
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, (_, b))| b.clone())
            .unwrap()
    };
    let forbidden = of("forbidden");
    assert!(
        forbidden["error"]["message"]["fa"]
            .as_str()
            .unwrap()
            .contains("دارنده پروانه دفتر"),
        "{forbidden}"
    );
    assert!(
        forbidden["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .starts_with("an office holder may not"),
        "{forbidden}"
    );
    let conflict = of("conflict");
    assert!(
        conflict["error"]["message"]["fa"]
            .as_str()
            .unwrap()
            .contains('۷'),
        "{conflict}"
    );
    let fields = of("invalid_fields");
    let fa_of = |field: &str| {
        fields["error"]["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["field"] == field)
            .map(|d| d["message"]["fa"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no detail for {field}: {fields}"))
    };
    assert!(fa_of("area_m2").contains("−۵"), "{fields}");
    assert!(fa_of("staff_cont").contains("«staff_cont»"), "{fields}");
    assert!(fa_of("location_type").contains("«downtown»"), "{fields}");
    let rows = of("invalid_rows");
    let row_fields: Vec<&str> = rows["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        row_fields,
        [
            "rows[2].id",
            "rows[2].kind",
            "rows[2].region",
            "rows[2].holder_national_code"
        ],
        "{rows}"
    );
}
