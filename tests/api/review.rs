//! Regional review against probing and races: another region's office answers exactly as a
//! missing one, and a due referral expires once however many requests find it due at once.

use arzyab::domain::ReferralStatus;
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::idempotency::{Req, all_at_once, audited, file, offices, send};

both_backends!(
    an_office_one_may_not_see_answers_exactly_as_one_that_does_not_exist,
    a_due_referral_found_by_parallel_requests_expires_once_and_every_request_is_answered,
);

async fn an_office_one_may_not_see_answers_exactly_as_one_that_does_not_exist(app: TestApp) {
    let offices = offices(&app).await;
    let admin = app.admin().await;
    let reviewer = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let holder = app.login(&offices[0].1, &offices[0].1).await;
    let cases = [
        (Method::GET, "/v1/offices/{id}", &reviewer, None),
        (Method::GET, "/v1/offices/{id}", &holder, None),
        (Method::GET, "/v1/rounds/1400-2/files/{id}", &reviewer, None),
        (Method::GET, "/v1/rounds/1400-2/files/{id}", &holder, None),
        (
            Method::PUT,
            "/v1/rounds/1400-2/files/{id}/region-values",
            &reviewer,
            Some(json!({"values": {"association_score": 70}, "version": 1})),
        ),
        (
            Method::POST,
            "/v1/rounds/1400-2/files/{id}/referral",
            &reviewer,
            Some(json!({"reasons": {"area_m2": "check the lease"}})),
        ),
        (
            Method::PUT,
            "/v1/rounds/1400-2/objections/{id}",
            &reviewer,
            Some(json!({"decision": "rejected", "reason": "checked", "version": 1})),
        ),
    ];
    for (method, path, token, body) in cases {
        let ask = |id: &str| {
            let r = Req::new(method.clone(), &path.replace("{id}", id), token);
            match &body {
                Some(b) => r.body(b.clone()),
                None => r,
            }
        };
        // P-0002 is in region 2 and is not the holder's office; P-9999 does not exist.
        let hidden = send(&app, ask("P-0002")).await;
        let missing = send(&app, ask("P-9999")).await;
        assert_eq!(hidden.0, 404, "{method} {path}: {}", hidden.2);
        assert_eq!(hidden, missing, "{method} {path}");
        assert_eq!(hidden.2["error"]["code"], "not_found");
    }
    // The office one may see still answers.
    for (path, token) in [
        ("/v1/offices/P-0001", &reviewer),
        ("/v1/offices/P-0001", &holder),
        ("/v1/rounds/1400-2/files/P-0001", &reviewer),
        ("/v1/rounds/1400-2/files/P-0001", &holder),
    ] {
        assert_eq!(app.get(path, Some(token)).await.0, 200, "{path}");
    }
}

async fn a_due_referral_found_by_parallel_requests_expires_once_and_every_request_is_answered(
    app: TestApp,
) {
    let offices = offices(&app).await;
    let code = offices[0].1.clone();
    file(&app, &code).await;
    let admin = app.admin().await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.at("1400/02/06 10:00");
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0001/referral",
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // The office corrects but never resubmits.
    app.at("1400/02/08 10:00");
    let holder = app.login(&code, &code).await;
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&holder),
            json!({"values": {"area_m2": 40}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // Past the deadline, many reads at once each find the referral due.
    app.at("1400/02/12 00:01");
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let holder = app.login(&code, &code).await;
    let requests = (0..12)
        .map(|i| match i % 3 {
            0 => Req::new(Method::GET, "/v1/rounds/1400-2/files/P-0001", &reviewer),
            1 => Req::new(Method::GET, "/v1/rounds/1400-2/declaration", &holder),
            _ => Req::new(Method::GET, "/v1/rounds/1400-2/files", &reviewer),
        })
        .collect();
    for (s, _, b) in all_at_once(&app, requests).await {
        assert_eq!(s, 200, "{b}");
    }
    assert_eq!(
        audited(&app, "declaration:1400-2:P-0001", "referral_expired").await,
        1
    );
    let referrals = app
        .store
        .referrals(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap();
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0].status, ReferralStatus::Expired);
    let d = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status.as_str(), "submitted");
    assert_eq!(
        d.office_values["area_m2"],
        json!(55.5),
        "the file stands as it was when referred"
    );
}
