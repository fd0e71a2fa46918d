//! A whole round through the API with an injected clock: 56 offices in two regions self-declare
//! (some late, some never), reviewers review and refer, offices correct, the regulator publishes,
//! offices object, reviewers decide, the regulator finalizes. Results are checked against values
//! computed here, independently of the engine, from 1400-2's rule files.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(a_whole_round_from_self_declaration_to_final_ranks_and_services);

const N: usize = 56;
const LOCATIONS: [&str; 4] = ["city_center", "urban", "suburban", "village"];

fn office_values(i: usize) -> Value {
    json!({
        "area_m2": 18 + 3 * i,
        "staff_count": 1 + i % 6,
        "insured_staff": i % 5,
        "disabled_staff": i % 3 / 2,
        "location_type": LOCATIONS[i % 4],
        "step_free_access": i.is_multiple_of(2),
        "years_active": i % 15,
    })
}

fn region_values(i: usize) -> Value {
    let mut v = json!({
        "association_score": 40 + i % 50,
        "data_completeness_percent": 50 + (i * 7) % 50,
        "distance_to_nearest_office_m": 500 * (i % 6),
        "satisfaction_percent": 60 + i % 40,
    });
    if i.is_multiple_of(7) {
        v["violations"] =
            json!([{"kind": "overcharging", "date": "1400/01/30", "note": "inspection visit"}]);
    }
    v
}

/// 1400-2's rules, written out by hand (points × weight, in hundredths to stay exact).
fn expected_total(o: &Value, r: &Value) -> i64 {
    let n = |v: &Value| (v.as_f64().unwrap() * 100.0).round() as i64; // hundredths
    let area = n(&o["area_m2"]);
    let area_pts = match area {
        a if a < 2000 => 0,
        a if a < 4000 => 4,
        a if a < 6000 => 7,
        a if a < 10000 => 9,
        _ => 10,
    } * 150;
    let staff = o["staff_count"].as_i64().unwrap();
    let insured = o["insured_staff"].as_i64().unwrap();
    let disabled = o["disabled_staff"].as_i64().unwrap();
    let personnel = ((staff * 2).min(12) + insured.min(4) + (disabled * 2).min(4)).min(20) * 100;
    let base = match o["location_type"].as_str().unwrap() {
        "city_center" => 8,
        "urban" => 6,
        "suburban" => 5,
        _ => 7,
    };
    let d = r["distance_to_nearest_office_m"].as_i64().unwrap();
    let spread = if d >= 2000 {
        4
    } else if d >= 1000 {
        2
    } else {
        0
    };
    let access = if o["step_free_access"].as_bool().unwrap() {
        3
    } else {
        0
    };
    let location = (base + spread + access).min(15) * 100;
    let history = o["years_active"].as_i64().unwrap().min(10) * 100;
    let sat = ((n(&r["satisfaction_percent"]) - 5000) * 40 / 100).clamp(0, 2000);
    let assoc = (n(&r["association_score"]) * 15 / 100).min(1500);
    let dc = n(&r["data_completeness_percent"]);
    let completeness = match dc {
        x if x < 5000 => 0,
        x if x < 8000 => 3,
        x if x < 9500 => 6,
        _ => 10,
    } * 50;
    let penalty = r["violations"].as_array().map_or(0, |v| v.len() as i64) * -500;
    area_pts + personnel + location + history + sat + assoc + completeness + penalty
}

fn grade_of(total_hundredths: i64) -> u64 {
    if total_hundredths >= 6000 {
        1
    } else if total_hundredths >= 3500 {
        2
    } else {
        3
    }
}

async fn a_whole_round_from_self_declaration_to_final_ranks_and_services(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(N);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    let id = |i: usize| offices[i].0.clone();
    let region = |i: usize| offices[i].2;
    let login = |i: usize| {
        let code = offices[i].1.clone();
        let app = &app;
        async move { app.login(&code, &code).await }
    };

    // Self-declaration: 0..50 file on time; 50 and 51 try after the deadline; 52..56 never file.
    app.at("1400/01/20 09:00");
    for i in 0..50 {
        let t = login(i).await;
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({"values": office_values(i)}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = app
            .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
    }
    app.at("1400/02/06 08:00");
    for i in [50, 51] {
        let t = login(i).await;
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({"values": office_values(i)}),
            )
            .await;
        assert_eq!(
            (s, b["error"]["code"].as_str()),
            (422, Some("outside_window")),
            "late filing is refused"
        );
    }

    // Regional review by the reviewers of regions 1 and 2.
    let admin = app.admin().await;
    let rev1 = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let rev2 = app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    let regulator = app.staff(&admin, "regulator.x", "regulator", None).await;
    let reviewer = |i: usize| if region(i) == 1 { &rev1 } else { &rev2 };
    let (s, list) = app
        .get(
            "/v1/rounds/1400-2/files?status=submitted&per_page=10&page=2",
            Some(&rev1),
        )
        .await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["total"], 25, "region 1 has 25 submitted files");
    assert_eq!(list["files"].as_array().unwrap().len(), 10);
    assert!(
        list["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["region"] == 1)
    );
    let (s, _) = app
        .get("/v1/rounds/1400-2/files?region=2", Some(&rev1))
        .await;
    assert_eq!(s, 403, "a reviewer cannot list another region");
    for i in 0..50 {
        let (s, file) = app
            .get(
                &format!("/v1/rounds/1400-2/files/{}", id(i)),
                Some(reviewer(i)),
            )
            .await;
        assert_eq!(s, 200, "{file}");
        let version = file["declaration"]["version"].as_i64().unwrap();
        let (s, b) = app
            .put(
                &format!("/v1/rounds/1400-2/files/{}/region-values", id(i)),
                Some(reviewer(i)),
                json!({"values": region_values(i), "version": version}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    // Refusals during the review.
    let (s, _) = app
        .put(
            &format!("/v1/rounds/1400-2/files/{}/region-values", id(1)),
            Some(&rev1),
            json!({"values": {"association_score": 10}, "version": 1}),
        )
        .await;
    assert_eq!(s, 404, "another region's file is not found");
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/files/{}/region-values", id(0)),
            Some(&rev1),
            json!({"values": {"area_m2": 10}, "version": 3}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["field"].as_str()),
        (422, Some("area_m2")),
        "office-declared values are referred, not overwritten"
    );
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/files/{}/region-values", id(2)),
            Some(&rev1),
            json!({"values": {"association_score": 10}, "version": 1}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("conflict")),
        "a stale version cannot overwrite"
    );
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&login(4).await),
            json!({"values": {"area_m2": 99}}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("invalid_state")),
        "a submitted file is closed to the office during the review"
    );

    // Referrals: office 0 (region 1) and office 1 (region 2); one referral per file in 1400-2.
    let (s, r) = app
        .post(
            &format!("/v1/rounds/1400-2/files/{}/referral", id(0)),
            Some(&rev1),
            json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{r}");
    assert_eq!(
        r["deadline"]["last_day"], "1400/02/11",
        "5 days after the referral day"
    );
    let (s, _) = app
        .post(
            &format!("/v1/rounds/1400-2/files/{}/referral", id(1)),
            Some(&rev2),
            json!({"reasons": {"staff_count": "insurance list shows 2"}}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, b) = app
        .post(
            &format!("/v1/rounds/1400-2/files/{}/referral", id(0)),
            Some(&rev1),
            json!({"reasons": {"staff_count": "x"}}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("invalid_state"))
    );
    app.at("1400/02/09 10:00");
    let t0 = login(0).await;
    let (s, v) = app.get("/v1/rounds/1400-2/declaration", Some(&t0)).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("referred")));
    assert_eq!(v["referral"]["reasons"]["area_m2"], "the lease says 40 m²");
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&t0),
            json!({"values": {"staff_count": 6}}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["details"][0]["field"].as_str()),
        (422, Some("staff_count")),
        "only referred fields change"
    );
    let (s, _) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&t0),
            json!({"values": {"area_m2": 40}}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = app
        .post("/v1/rounds/1400-2/declaration/submit", Some(&t0), json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("submitted")));
    // Office 1 corrects but never resubmits: the referral expires and the file stands as it was.
    let t1 = login(1).await;
    assert_eq!(
        app.put(
            "/v1/rounds/1400-2/declaration",
            Some(&t1),
            json!({"values": {"staff_count": 2}})
        )
        .await
        .0,
        200
    );
    app.at("1400/02/12 00:01");
    let t1 = login(1).await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/declaration/submit", Some(&t1), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("invalid_state")),
        "{b}"
    );
    let stored = app
        .store
        .declaration("1400-2", &id(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.office_values["staff_count"],
        office_values(1)["staff_count"]
    );

    // Publication: not before its window, not by a reviewer; then by the regulator.
    let regulator = {
        app.at("1400/02/15 12:00");
        let _ = regulator;
        app.login("regulator.x", "regulator.x-password-1400").await
    };
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("outside_window"))
    );
    app.at("1400/02/16 10:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let rev1 = app.login("rev.one", "rev.one-password-1400").await;
    assert_eq!(
        app.post("/v1/rounds/1400-2/publish", Some(&rev1), json!({}))
            .await
            .0,
        403
    );
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["publication"]["office_count"], N);
    assert_eq!(
        app.post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
            .await
            .0,
        409,
        "published once"
    );

    // Independent expectations.
    let mut ov: HashMap<String, Value> = (0..N).map(|i| (id(i), office_values(i))).collect();
    ov.insert(id(0), {
        let mut v = office_values(0);
        v["area_m2"] = json!(40);
        v
    });
    let rv: HashMap<String, Value> = (0..N).map(|i| (id(i), region_values(i))).collect();
    let check = |results: &[Value], ov: &HashMap<String, Value>| {
        assert_eq!(results.len(), N);
        for r in results {
            let office = r["office"].as_str().unwrap();
            let i = offices.iter().position(|o| o.0 == office).unwrap();
            if i >= 50 {
                assert_eq!(
                    (r["filed"].as_bool(), r["grade"].as_u64()),
                    (Some(false), Some(3)),
                    "{office} never filed"
                );
                assert_eq!(r["service_share_percent"], 30);
                continue;
            }
            let want = expected_total(&ov[office], &rv[office]);
            let got = (r["total"].as_f64().unwrap() * 100.0).round() as i64;
            assert_eq!(got, want, "total of {office}");
            let g = grade_of(want);
            assert_eq!(r["grade"].as_u64(), Some(g), "grade of {office}");
            assert_eq!(
                r["service_share_percent"],
                json!([100, 70, 30][g as usize - 1])
            );
        }
    };
    let (s, all) = app
        .get("/v1/rounds/1400-2/results?per_page=1000", Some(&regulator))
        .await;
    assert_eq!(s, 200, "{all}");
    check(all["results"].as_array().unwrap(), &ov);
    // Nationwide positions follow total, then association points, then years, then license number.
    let mut order: Vec<&Value> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["filed"] == true)
        .collect();
    order.sort_by(|a, b| {
        let key = |r: &Value| {
            let o = r["office"].as_str().unwrap();
            (
                (r["total"].as_f64().unwrap() * 100.0) as i64,
                (rv[o]["association_score"].as_f64().unwrap() * 15.0) as i64,
                ov[o]["years_active"].as_i64().unwrap(),
            )
        };
        key(b)
            .cmp(&key(a))
            .then(a["office"].as_str().cmp(&b["office"].as_str()))
    });
    for (n, r) in order.iter().enumerate() {
        assert_eq!(
            r["positions"]["nationwide"].as_u64(),
            Some(n as u64 + 1),
            "position of {}",
            r["office"]
        );
    }
    // Reviewers see their region only; offices their own result with what they lack.
    let (_, r1) = app
        .get("/v1/rounds/1400-2/results?per_page=1000", Some(&rev1))
        .await;
    assert!(
        r1["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["region"] == 1)
    );
    assert_eq!(
        app.get("/v1/rounds/1400-2/results?region=2", Some(&rev1))
            .await
            .0,
        403
    );
    let t3 = login(3).await;
    let (s, mine) = app.get("/v1/rounds/1400-2/results/mine", Some(&t3)).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["result"]["office"], id(3));
    assert_eq!(mine["may_object"], true);
    let g3 = mine["result"]["grade"].as_u64().unwrap();
    if g3 > 1 {
        let cut = [60.0, 35.0][g3 as usize - 2];
        assert!(
            (mine["result"]["to_next_grade"].as_f64().unwrap()
                - (cut - mine["result"]["total"].as_f64().unwrap()))
            .abs()
                < 1e-9
        );
    }
    assert_eq!(
        mine["result"]["explanation"]["criteria"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    let resp = app
        .client
        .get(format!("{}/v1/rounds/1400-2/results.csv", app.url))
        .bearer_auth(&regulator)
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv_text = resp.text().await.unwrap();
    assert_eq!(csv_text.lines().count(), N + 1);

    // Objections: offices 3 and 5 object in time; office 7 too late.
    app.at("1400/02/18 11:00");
    let t3 = login(3).await;
    let t5 = login(5).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/objection",
            Some(&t3),
            json!({"text": "our area is 120 m², see the new lease", "criteria": ["area"]}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(
        app.post(
            "/v1/rounds/1400-2/objection",
            Some(&t3),
            json!({"text": "once more, please", "criteria": ["area"]})
        )
        .await
        .0,
        409
    );
    assert_eq!(
        app.post(
            "/v1/rounds/1400-2/objection",
            Some(&t5),
            json!({"text": "the association score is too low", "criteria": ["association"]})
        )
        .await
        .0,
        201
    );
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/objection",
            Some(&t5),
            json!({"text": "x", "criteria": ["nonexistent"]}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    // Finalizing before the objection window closes is refused; so is it with a pending objection.
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("outside_window")),
        "{b}"
    );
    app.at("1400/02/24 12:00");
    let rev1 = app.login("rev.one", "rev.one-password-1400").await;
    let rev2 = app.login("rev.two", "rev.two-password-1400").await;
    let region_of_3 = if region(3) == 1 { &rev1 } else { &rev2 };
    let region_of_5 = if region(5) == 1 { &rev1 } else { &rev2 };
    let (_, objs) = app
        .get("/v1/rounds/1400-2/objections", Some(region_of_3))
        .await;
    assert!(
        objs["objections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["office_id"] == id(3))
    );
    let (s, b) = app.put(&format!("/v1/rounds/1400-2/objections/{}", id(3)), Some(region_of_3), json!({"corrections": {"area_m2": 120}, "decision": "accepted", "reason": "lease checked", "version": 1})).await;
    assert_eq!(s, 200, "{b}");
    let other_region = if region(5) == 1 { &rev2 } else { &rev1 };
    assert_eq!(
        app.put(
            &format!("/v1/rounds/1400-2/objections/{}", id(5)),
            Some(other_region),
            json!({"decision": "rejected", "reason": "x", "version": 1})
        )
        .await
        .0,
        404
    );
    app.at("1400/02/25 09:00");
    let t7 = login(7).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/objection",
            Some(&t7),
            json!({"text": "too late to object now", "criteria": ["area"]}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("outside_window"))
    );
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("invalid_state")),
        "{b}"
    );
    let reviewer5 = if region(5) == 1 {
        app.login("rev.one", "rev.one-password-1400").await
    } else {
        app.login("rev.two", "rev.two-password-1400").await
    };
    let _ = region_of_5;
    assert_eq!(app.put(&format!("/v1/rounds/1400-2/objections/{}", id(5)), Some(&reviewer5), json!({"decision": "rejected", "reason": "score confirmed by the association", "version": 1})).await.0, 200);
    let (s, fin) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{fin}");
    let changed: Vec<&str> = fin["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["office"].as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&id(3).as_str()),
        "the accepted objection changed office 3: {changed:?}"
    );
    let c3 = fin["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["office"] == id(3))
        .unwrap();
    assert_ne!(c3["total"]["first"], c3["total"]["final"]);
    // A rejected objection changes no inputs: office 5 may move only because others did.
    if let Some(c5) = fin["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["office"] == id(5))
    {
        assert_eq!(c5["total"]["first"], c5["total"]["final"]);
        assert_eq!(c5["grade"]["first"], c5["grade"]["final"]);
    }
    // Everyone whose position moved is listed with both positions.
    assert!(
        fin["changed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["total"]["first"] != c["total"]["final"]
                || c["positions"]["first"] != c["positions"]["final"]
                || c["grade"]["first"] != c["grade"]["final"])
    );

    // Final results match the corrected inputs; services follow the final grade.
    ov.insert(id(3), {
        let mut v = office_values(3);
        v["area_m2"] = json!(120);
        v
    });
    let (_, all) = app
        .get("/v1/rounds/1400-2/results?per_page=1000", Some(&regulator))
        .await;
    assert_eq!(all["stage"], "final");
    check(all["results"].as_array().unwrap(), &ov);
    let (s, services) = app
        .get("/v1/rounds/1400-2/services", Some(&regulator))
        .await;
    assert_eq!(s, 200);
    let services = services["services"].as_array().unwrap();
    assert_eq!(services.len(), N);
    for s in services {
        let g = s["grade"].as_u64().unwrap();
        assert_eq!(
            s["service_share_percent"].as_str().unwrap(),
            ["100", "70", "30"][g as usize - 1]
        );
    }
    let (_, mine) = app
        .get("/v1/rounds/1400-2/services", Some(&login(3).await))
        .await;
    assert_eq!(mine["services"].as_array().unwrap().len(), 1);

    // Both publications can be reproduced byte for byte from what is stored.
    for stage in ["first", "final"] {
        let (s, v) = app
            .get(
                &format!("/v1/rounds/1400-2/publications/{stage}/verify"),
                Some(&regulator),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["identical"], true, "{v}");
    }
    // Objections are closed after finalization, even to the office's own region.
    let reviewer3 = if region(3) == 1 { "rev.one" } else { "rev.two" };
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/objections/{}", id(3)),
            Some(
                &app.login(reviewer3, &format!("{reviewer3}-password-1400"))
                    .await,
            ),
            json!({"decision": "rejected", "reason": "late", "version": 2}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("invalid_state")),
        "{b}"
    );
    // Everything was audited.
    let audit = app.store.audit_entries(None, 10_000).await.unwrap();
    for action in [
        "region_values_recorded",
        "referred",
        "declaration_corrected",
        "declaration_resubmitted",
        "referral_expired",
        "round_published",
        "objection_filed",
        "objection_decided",
        "round_finalized",
    ] {
        assert!(
            audit.iter().any(|a| a.action == action),
            "no audit record for {action}"
        );
    }
}
