//! `Idempotency-Key` on the round's writes: a retry with the same key gets the first answer and
//! writes nothing; the same key for another request is refused; parallel requests with one key
//! write once; keys belong to their user.

use reqwest::Method;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(
    a_retried_declaration_save_and_submission_answer_the_first_answer_and_write_once,
    retried_region_values_referral_objection_and_decision_answer_the_first_answer_and_write_once,
    the_same_key_with_another_body_or_route_is_refused_and_a_malformed_key_is_named,
    parallel_requests_with_one_key_write_once_and_all_get_the_same_answer,
    two_users_keys_do_not_collide,
);

const DECLARATION: &str = "/v1/rounds/1400-2/declaration";
const SUBMIT: &str = "/v1/rounds/1400-2/declaration/submit";

/// One request as a client sends it.
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub token: String,
    pub key: Option<String>,
    pub body: Option<Value>,
}

impl Req {
    pub fn new(method: Method, path: &str, token: &str) -> Req {
        Req {
            method,
            path: path.to_string(),
            token: token.to_string(),
            key: None,
            body: None,
        }
    }

    pub fn key(mut self, key: &str) -> Req {
        self.key = Some(key.to_string());
        self
    }

    pub fn body(mut self, body: Value) -> Req {
        self.body = Some(body);
        self
    }
}

/// An answer: status, the `Idempotent-Replayed` header, the JSON body.
pub(crate) type Reply = (u16, Option<String>, Value);

async fn send_to(client: &reqwest::Client, base: &str, r: &Req) -> Reply {
    let mut rb = client
        .request(r.method.clone(), format!("{base}{}", r.path))
        .bearer_auth(&r.token);
    if let Some(k) = &r.key {
        rb = rb.header("idempotency-key", k);
    }
    if let Some(b) = &r.body {
        rb = rb.json(b);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    crate::helpers::assert_persian_error(&body);
    (status, replayed, body)
}

pub(crate) async fn send(app: &TestApp, r: Req) -> Reply {
    send_to(&app.client, &app.url, &r).await
}

/// Sends every request at once; the answers come back in the order of the requests.
pub(crate) async fn all_at_once(app: &TestApp, requests: Vec<Req>) -> Vec<Reply> {
    let mut set = tokio::task::JoinSet::new();
    for (i, r) in requests.into_iter().enumerate() {
        let (client, base) = (app.client.clone(), app.url.clone());
        set.spawn(async move { (i, send_to(&client, &base, &r).await) });
    }
    let mut answers = set.join_all().await;
    answers.sort_by_key(|(i, _)| *i);
    answers.into_iter().map(|(_, a)| a).collect()
}

/// How many audit records of `action` a subject has.
pub(crate) async fn audited(app: &TestApp, subject: &str, action: &str) -> usize {
    app.store
        .audit_entries(Some(subject), 1000)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == action)
        .count()
}

pub(crate) fn good_values() -> Value {
    json!({"area_m2": 55.5, "staff_count": 4, "insured_staff": 2, "location_type": "urban", "years_active": 6, "step_free_access": true})
}

/// Imports offices P-0001 … P-0004 (regions 1, 2, 1, 2); returns (id, national code, region).
pub(crate) async fn offices(app: &TestApp) -> Vec<(String, String, u8)> {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(4);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    offices
}

/// The office's declaration, saved and submitted with good values (no keys).
pub(crate) async fn file(app: &TestApp, national_code: &str) {
    let t = app.login(national_code, national_code).await;
    let (s, b) = app
        .put(DECLARATION, Some(&t), json!({"values": good_values()}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app.post(SUBMIT, Some(&t), json!({})).await;
    assert_eq!(s, 200, "{b}");
}

async fn a_retried_declaration_save_and_submission_answer_the_first_answer_and_write_once(
    app: TestApp,
) {
    let offices = offices(&app).await;
    let code = &offices[0].1;
    let t = app.login(code, code).await;
    let save = || {
        Req::new(Method::PUT, DECLARATION, &t)
            .key("save-7f3a")
            .body(json!({"values": good_values()}))
    };
    let (s, replayed, first) = send(&app, save()).await;
    assert_eq!((s, replayed), (200, None), "{first}");
    assert_eq!(first["version"], 1);
    let again = send(&app, save()).await;
    assert_eq!(again, (200, Some("true".into()), first.clone()));
    let stored = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap();
    assert_eq!(stored.unwrap().version, 1, "the retry wrote nothing");
    let subject = "declaration:1400-2:P-0001";
    assert_eq!(audited(&app, subject, "declaration_saved").await, 1);

    let submit = |t: &str| {
        Req::new(Method::POST, SUBMIT, t)
            .key("submit-7f3a")
            .body(json!({}))
    };
    let (s, replayed, first) = send(&app, submit(&t)).await;
    assert_eq!((s, replayed), (200, None), "{first}");
    assert_eq!(first["status"], "submitted");
    // The answer was lost and the session ran out meanwhile: signed in again, the key still holds.
    app.clock.advance(jiff::SignedDuration::from_hours(13));
    let t = app.login(code, code).await;
    let again = send(&app, submit(&t)).await;
    assert_eq!(again, (200, Some("true".into()), first));
    assert_eq!(audited(&app, subject, "declaration_submitted").await, 1);
    // Without the key the same request is a new one, refused as the file is already submitted.
    let (s, _) = app.post(SUBMIT, Some(&t), json!({})).await;
    assert_eq!(s, 422);
}

async fn retried_region_values_referral_objection_and_decision_answer_the_first_answer_and_write_once(
    app: TestApp,
) {
    let offices = offices(&app).await;
    file(&app, &offices[0].1).await;
    file(&app, &offices[2].1).await;
    let admin = app.admin().await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;

    // Regional review: region values on P-0003, a referral of P-0001.
    app.at("1400/02/06 10:00");
    let rev = app.login("rev.one", "rev.one-password-1400").await;
    let values = || {
        Req::new(
            Method::PUT,
            "/v1/rounds/1400-2/files/P-0003/region-values",
            &rev,
        )
        .key("values-1")
        .body(json!({"values": {"association_score": 70}, "version": 2}))
    };
    let (s, replayed, first) = send(&app, values()).await;
    assert_eq!((s, replayed), (200, None), "{first}");
    assert_eq!(
        send(&app, values()).await,
        (200, Some("true".into()), first)
    );
    let subject = "declaration:1400-2:P-0003";
    assert_eq!(audited(&app, subject, "region_values_recorded").await, 1);

    let refer = || {
        Req::new(
            Method::POST,
            "/v1/rounds/1400-2/files/P-0001/referral",
            &rev,
        )
        .key("refer-1")
        .body(json!({"reasons": {"area_m2": "the lease says 40 m²"}}))
    };
    let (s, replayed, first) = send(&app, refer()).await;
    assert_eq!((s, replayed), (201, None), "{first}");
    assert_eq!(send(&app, refer()).await, (201, Some("true".into()), first));
    let referrals = app
        .store
        .referrals(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap();
    assert_eq!(referrals.len(), 1);
    assert_eq!(
        audited(&app, "declaration:1400-2:P-0001", "referred").await,
        1
    );

    // Publication (the referral has expired by then), an objection, and its decision.
    app.at("1400/02/16 10:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    let t3 = app.login(&offices[2].1, &offices[2].1).await;
    let object = || {
        Req::new(Method::POST, "/v1/rounds/1400-2/objection", &t3)
            .key("object-1")
            .body(json!({"text": "our area is 120 m², see the new lease", "criteria": ["area"]}))
    };
    let (s, replayed, first) = send(&app, object()).await;
    assert_eq!((s, replayed), (201, None), "{first}");
    assert_eq!(
        send(&app, object()).await,
        (201, Some("true".into()), first)
    );
    let subject = "objection:1400-2:P-0003";
    assert_eq!(audited(&app, subject, "objection_filed").await, 1);

    let rev = app.login("rev.one", "rev.one-password-1400").await;
    let decide = || {
        Req::new(Method::PUT, "/v1/rounds/1400-2/objections/P-0003", &rev)
            .key("decide-1")
            .body(json!({"corrections": {"area_m2": 120}, "decision": "accepted", "reason": "lease checked", "version": 1}))
    };
    let (s, replayed, first) = send(&app, decide()).await;
    assert_eq!((s, replayed), (200, None), "{first}");
    assert_eq!(first["status"], "accepted");
    assert_eq!(
        send(&app, decide()).await,
        (200, Some("true".into()), first)
    );
    assert_eq!(audited(&app, subject, "objection_decided").await, 1);
    let stored = app
        .store
        .objection(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0003"),
        )
        .await
        .unwrap();
    assert_eq!(stored.unwrap().version, 2);
}

async fn the_same_key_with_another_body_or_route_is_refused_and_a_malformed_key_is_named(
    app: TestApp,
) {
    let offices = offices(&app).await;
    let code = &offices[0].1;
    let t = app.login(code, code).await;
    let save = |t: &str, key: &str, area: f64| {
        let mut values = good_values();
        values["area_m2"] = json!(area);
        Req::new(Method::PUT, DECLARATION, t)
            .key(key)
            .body(json!({"values": values}))
    };
    assert_eq!(send(&app, save(&t, "k-1", 55.5)).await.0, 200);
    let (s, replayed, b) = send(&app, save(&t, "k-1", 70.0)).await;
    assert_eq!((s, replayed), (422, None), "{b}");
    assert_eq!(b["error"]["code"], "idempotency_key_reused");
    assert!(
        b["error"]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("PUT /v1/rounds/1400-2/declaration"),
        "{b}"
    );
    assert!(!b["error"]["message"]["fa"].as_str().unwrap().is_empty());
    let (s, _, b) = send(
        &app,
        Req::new(Method::POST, SUBMIT, &t)
            .key("k-1")
            .body(json!({})),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    let stored = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap();
    let stored = stored.unwrap();
    assert_eq!(
        (stored.version, stored.status.as_str()),
        (1, "draft"),
        "neither was written"
    );
    assert_eq!(stored.office_values["area_m2"], json!(55.5));

    // Malformed keys are named, in both languages, before anything is read or written.
    for bad in ["two words", &"k".repeat(256)] {
        let (s, _, b) = send(&app, save(&t, bad, 60.0)).await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (400, Some("invalid_idempotency_key")),
            "{b}"
        );
        assert!(
            b["error"]["message"]["fa"]
                .as_str()
                .unwrap()
                .contains("۲۵۵")
        );
        assert!(
            b["error"]["message"]["en"]
                .as_str()
                .unwrap()
                .contains("255")
        );
    }
    let (s, _, b) = send(&app, save(&t, &"k".repeat(255), 60.0)).await;
    assert_eq!((s, b["version"].as_i64()), (200, Some(2)), "{b}");

    // A day later the key is forgotten: the same key is a new request.
    app.clock.advance(jiff::SignedDuration::from_hours(25));
    let t = app.login(code, code).await;
    let (s, replayed, b) = send(&app, save(&t, "k-1", 70.0)).await;
    assert_eq!(
        (s, replayed, b["version"].as_i64()),
        (200, None, Some(3)),
        "{b}"
    );
    assert_eq!(b["values"]["area_m2"], json!(70.0));
}

async fn parallel_requests_with_one_key_write_once_and_all_get_the_same_answer(app: TestApp) {
    const N: usize = 8;
    let offices = offices(&app).await;
    let code = &offices[0].1;
    let t = app.login(code, code).await;
    for (path, key, body, action) in [
        (
            DECLARATION,
            "parallel-save",
            json!({"values": good_values()}),
            "declaration_saved",
        ),
        (
            SUBMIT,
            "parallel-submit",
            json!({}),
            "declaration_submitted",
        ),
    ] {
        let method = if path == SUBMIT {
            Method::POST
        } else {
            Method::PUT
        };
        let requests = (0..N)
            .map(|_| {
                Req::new(method.clone(), path, &t)
                    .key(key)
                    .body(body.clone())
            })
            .collect();
        let answers = all_at_once(&app, requests).await;
        let (status, _, first) = &answers[0];
        assert_eq!(*status, 200, "{first}");
        for (s, _, b) in &answers {
            assert_eq!(
                (s, b),
                (status, first),
                "{path}: every request gets the one answer"
            );
        }
        let replayed = answers.iter().filter(|a| a.1.is_some()).count();
        assert_eq!(replayed, N - 1, "{path}: one wrote, the others replayed");
        assert_eq!(
            audited(&app, "declaration:1400-2:P-0001", action).await,
            1,
            "{path}"
        );
    }
    let stored = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap();
    assert_eq!(stored.unwrap().version, 2, "one save and one submission");
}

async fn two_users_keys_do_not_collide(app: TestApp) {
    let offices = offices(&app).await;
    let mut answers = Vec::new();
    for (i, area) in [(0, 41.0), (1, 42.0)] {
        let code = &offices[i].1;
        let t = app.login(code, code).await;
        let mut values = good_values();
        values["area_m2"] = json!(area);
        answers.push(
            send(
                &app,
                Req::new(Method::PUT, DECLARATION, &t)
                    .key("the-same-key")
                    .body(json!({"values": values})),
            )
            .await,
        );
    }
    for ((s, replayed, b), (office, area)) in
        answers.iter().zip([("P-0001", 41.0), ("P-0002", 42.0)])
    {
        assert_eq!((*s, replayed), (200, &None), "{b}");
        assert_eq!(
            (b["office"].as_str(), &b["values"]["area_m2"]),
            (Some(office), &json!(area))
        );
        let stored = app
            .store
            .declaration(crate::helpers::rid("1400-2"), &crate::helpers::oid(office))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.office_values["area_m2"], json!(area));
    }
}
