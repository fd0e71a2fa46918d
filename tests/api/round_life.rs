//! A whole round through the API with an injected clock: 56 offices in two regions self-declare
//! (some late, some never), reviewers review and refer, offices correct, the regulator publishes
//! (at an instant finer than a millisecond), offices object, reviewers decide, the regulator
//! finalizes. Results are checked against values computed here, independently of the engine, from
//! 1400-2's rule files. The same path runs on the machine's real clock; the calendar every view
//! shows is checked against what each action accepts; and a reload in the middle of a publication
//! must not change the rules it uses or stamps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arzyab::domain::{JalaliDate, RoundId};
use arzyab::live::{Origin, Reloaded};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(
    a_whole_round_from_self_declaration_to_final_ranks_and_services,
    an_early_publication_moves_objection_and_final_and_every_view_shows_what_is_enforced,
);
both_backends!(spawn_on_real_clock =>
    a_round_on_the_real_clock_publishes_results_that_verify_identical_for_every_office,
);
both_backends!(spawn_watching =>
    rules_reloaded_in_the_middle_of_a_publication_are_neither_used_nor_stamped,
);

const N: usize = 56;
const LOCATIONS: [&str; 4] = ["city_center", "urban", "suburban", "village"];

pub(crate) fn office_values(i: usize) -> Value {
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

pub(crate) fn region_values(i: usize) -> Value {
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
        .declaration(crate::helpers::rid("1400-2"), &crate::helpers::oid(&id(1)))
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
    // Published at an instant finer than the millisecond the publication is stored with.
    app.clock.advance(SignedDuration::from_nanos(123_456_789));
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["publication"]["office_count"], N);
    // An RFC 3339 instant (to the millisecond stored), and the Jalali reading beside it.
    let stored = jiff::Timestamp::from_millisecond(
        arzyab::clock::parse_instant("1400/02/16 10:00")
            .unwrap()
            .as_millisecond()
            + 123,
    )
    .unwrap();
    assert_eq!(p["publication"]["published_at"], json!(stored));
    assert_eq!(p["publication"]["published_at"], "2021-05-06T05:30:00.123Z");
    assert_eq!(p["publication"]["published_at_jalali"], "1400/02/16 10:00");
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
    let objection_3 = b;
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
    let listed = objs["objections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["office_id"] == id(3))
        .unwrap();
    // The id the filing answered is the id the list and the file show.
    assert_eq!(listed["id"], objection_3["id"], "{listed}");
    assert!(objection_3["id"].as_i64().unwrap() > 0, "{objection_3}");
    let (_, file) = app
        .get(
            &format!("/v1/rounds/1400-2/files/{}", id(3)),
            Some(region_of_3),
        )
        .await;
    assert_eq!(file["objection"]["id"], objection_3["id"], "{file}");
    assert_eq!(listed["filed_at"], "2021-05-08T06:30:00Z");
    assert_eq!(listed["filed_at_jalali"], "1400/02/18 11:00");
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
    // The pending office is named in both languages.
    for lang in ["fa", "en"] {
        let text = b["error"]["message"][lang].as_str().unwrap();
        assert!(text.contains(&id(5)) && !text.contains(&id(3)), "{b}");
    }
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
    // Totals are exact decimals, as numbers, like everywhere else.
    assert!(
        c3["total"]["first"].is_number() && c3["total"]["final"].is_number(),
        "{c3}"
    );
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
    // One representation: an office's share is the same JSON value in /services and /results.
    let results = all["results"].as_array().unwrap();
    for s in services {
        let r = results.iter().find(|r| r["office"] == s["office"]).unwrap();
        assert_eq!(
            s["service_share_percent"], r["service_share_percent"],
            "{s} {r}"
        );
    }
    for s in services {
        let g = s["grade"].as_u64().unwrap();
        assert_eq!(
            s["service_share_percent"],
            json!([100, 70, 30][g as usize - 1]),
            "{s}"
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

/// The phase named `name` in a round's view.
fn phase(round: &Value, name: &str) -> Value {
    round["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == name)
        .unwrap_or_else(|| panic!("no phase {name} in {round}"))
        .clone()
}

/// Offices `which` save and submit their declaration (the caller has opened the self-declaration).
pub(crate) async fn declare(
    app: &TestApp,
    offices: &[(String, String, u8)],
    which: std::ops::Range<usize>,
) {
    for i in which {
        let t = app.login(&offices[i].1, &offices[i].1).await;
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
}

/// The regions record their values on offices `which` (the caller has opened the review).
pub(crate) async fn review(
    app: &TestApp,
    reviewers: [&str; 2],
    offices: &[(String, String, u8)],
    which: std::ops::Range<usize>,
) {
    for i in which {
        let reviewer = reviewers[offices[i].2 as usize - 1];
        let path = format!("/v1/rounds/1400-2/files/{}", offices[i].0);
        let (s, file) = app.get(&path, Some(reviewer)).await;
        assert_eq!(s, 200, "{file}");
        let (s, b) = app
            .put(
                &format!("{path}/region-values"),
                Some(reviewer),
                json!({"values": region_values(i), "version": file["declaration"]["version"]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

pub(crate) async fn object(app: &TestApp, office: &(String, String, u8)) -> (u16, Value) {
    let t = app.login(&office.1, &office.1).await;
    app.post(
        "/v1/rounds/1400-2/objection",
        Some(&t),
        json!({"text": "the association score is too low", "criteria": ["association"]}),
    )
    .await
}

async fn an_early_publication_moves_objection_and_final_and_every_view_shows_what_is_enforced(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(8);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    declare(&app, &offices, 0..8).await;
    app.at("1400/02/06 09:00");
    let admin = app.admin().await;
    let rev1 = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let rev2 = app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
    review(&app, [&rev1, &rev2], &offices, 0..8).await;

    // Before anything is published, the rule file's plan: objection 02/21–02/27.
    app.at("1400/02/17 09:00");
    let (s, round) = app.get("/v1/rounds/1400-2", None).await;
    assert_eq!(s, 200, "{round}");
    assert_eq!(round["current_phase"], "publication", "{}", round["phases"]);
    assert_eq!(
        (
            &phase(&round, "objection")["first_day"],
            &phase(&round, "objection")["last_day"]
        ),
        (&json!("1400/02/21"), &json!("1400/02/27"))
    );

    // Published on 02/17, the second day of its window: objection runs to the end of 02/24 and
    // the final ranks follow for the rule file's 10 days.
    app.at("1400/02/17 10:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    let window = p["objection_window"].clone();
    assert_eq!(
        (&window["first_day"], &window["last_day"]),
        (&json!("1400/02/17"), &json!("1400/02/24"))
    );
    let published_at: jiff::Timestamp = p["publication"]["published_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(window["opens_at"], json!(published_at));
    let (_, round) = app.get("/v1/rounds/1400-2", None).await;
    assert_eq!(phase(&round, "objection"), window, "{}", round["phases"]);
    let fin = phase(&round, "final");
    assert_eq!(
        (&fin["first_day"], &fin["last_day"]),
        (&json!("1400/02/25"), &json!("1400/03/03"))
    );
    assert_eq!(
        phase(&round, "publication")["closes_at"],
        json!(published_at)
    );

    // At each instant the phase shown is the one whose action is accepted, and a refusal names
    // the window shown.
    let instants = [
        ("1400/02/17 10:00", "objection"),
        ("1400/02/24 23:59", "objection"),
        ("1400/02/25 00:00", "final"),
        ("1400/02/26 12:00", "final"),
    ];
    for (n, (when, expected)) in instants.into_iter().enumerate() {
        app.at(when);
        app.clock.advance(SignedDuration::from_secs(1));
        let (_, round) = app.get("/v1/rounds/1400-2", None).await;
        assert_eq!(round["current_phase"], expected, "at {when}");
        let (s, b) = object(&app, &offices[n]).await;
        if expected == "objection" {
            assert_eq!(s, 201, "an objection at {when}: {b}");
        } else {
            assert_eq!(
                (s, b["error"]["code"].as_str()),
                (422, Some("outside_window")),
                "an objection at {when}: {b}"
            );
            assert_eq!(
                b["error"]["window"],
                phase(&round, "objection"),
                "at {when}"
            );
        }
        let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
        let (s, b) = app
            .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
            .await;
        assert_eq!(s, 422, "finalize at {when}: {b}");
        if expected == "final" {
            // The window is open; what stops it is the objections still pending.
            assert_eq!(
                b["error"]["code"], "invalid_state",
                "finalize at {when}: {b}"
            );
        } else {
            assert_eq!(
                b["error"]["code"], "outside_window",
                "finalize at {when}: {b}"
            );
            assert_eq!(b["error"]["window"], phase(&round, "final"), "at {when}");
        }
    }

    // Decided, the round is finalized on the last day of its final window, which ends there.
    for office in &offices[..2] {
        let name = ["rev.one", "rev.two"][office.2 as usize - 1];
        let reviewer = app.login(name, &format!("{name}-password-1400")).await;
        let (s, b) = app
            .put(
                &format!("/v1/rounds/1400-2/objections/{}", office.0),
                Some(&reviewer),
                json!({"decision": "rejected", "reason": "score confirmed", "version": 1}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    app.at("1400/03/03 23:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, f) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{f}");
    let finalized_at: Timestamp = f["publication"]["published_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (_, round) = app.get("/v1/rounds/1400-2", None).await;
    assert_eq!(round["current_phase"], Value::Null, "{}", round["phases"]);
    assert_eq!(phase(&round, "final")["closes_at"], json!(finalized_at));
}

/// Moves round 1400-2's calendar in the app's rules copy so that its self-declaration began
/// `days_ago` days before today in Tehran, makes that version live, and returns its hash.
async fn calendar_started(app: &TestApp, days_ago: i64) -> String {
    let path = app.rules_dir.join("1400-2/round.yaml");
    let start = JalaliDate::of_instant(Timestamp::now()).add_days(-days_ago);
    let text: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("    start: ") {
                format!("    start: {start}")
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    let round = RoundId::parse("1400-2").unwrap();
    let Reloaded::Live(rs) = app
        .rules
        .reload(round, Origin::FileWatcher, Timestamp::now())
        .await
    else {
        panic!("the calendar moved to {start} did not go live");
    };
    rs.hash().to_string()
}

async fn a_round_on_the_real_clock_publishes_results_that_verify_identical_for_every_office(
    app: TestApp,
) {
    const N: usize = 12;
    assert!(!app.state.clock.simulated(), "the machine's clock");
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(N);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    let rev1 = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let rev2 = app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    let regulator = app.staff(&admin, "regulator.x", "regulator", None).await;

    // Today is in the self-declaration, then in the review, then in the publication window.
    calendar_started(&app, 0).await;
    declare(&app, &offices, 0..N - 2).await;
    calendar_started(&app, 20).await;
    review(&app, [&rev1, &rev2], &offices, 0..N - 2).await;
    let hash = calendar_started(&app, 30).await;
    let (_, round) = app.get("/v1/rounds/1400-2", None).await;
    assert_eq!(round["current_phase"], "publication", "{}", round["phases"]);
    let before = Timestamp::now();
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(p["publication"]["office_count"], N);
    assert_eq!(p["publication"]["rules_hash"], hash);
    let published_at: jiff::Timestamp = p["publication"]["published_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        before.as_millisecond() <= published_at.as_millisecond(),
        "{p}"
    );

    // Every office's result recomputes byte for byte, with the stamp the publication stored.
    let (s, v) = app
        .get(
            "/v1/rounds/1400-2/publications/first/verify",
            Some(&regulator),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["identical"], true, "{v}");
    assert_eq!(v["mismatches"], json!([]));
    assert_eq!(v["recomputed_snapshot_hash"], v["stored_snapshot_hash"]);
    let stored = app
        .store
        .publication_results(p["publication"]["id"].as_i64().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(stored.len(), N);
    for r in &stored {
        let doc: Value = serde_json::from_str(&r.result).unwrap();
        assert_eq!(
            doc["published_at"],
            json!(published_at.to_string()),
            "{}",
            r.office_id
        );
        assert_eq!(doc["rules_hash"], hash, "{}", r.office_id);
    }
    let filed = stored.iter().filter(|r| r.filed).count();
    assert_eq!(filed, N - 2);

    // The objection window opened with the publication: an office objects at once, and the
    // finalization is refused with the final window the round shows.
    let (_, round) = app.get("/v1/rounds/1400-2", None).await;
    assert_eq!(round["current_phase"], "objection", "{}", round["phases"]);
    assert_eq!(phase(&round, "objection")["opens_at"], json!(published_at));
    let (s, b) = object(&app, &offices[3]).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("outside_window")),
        "{b}"
    );
    assert_eq!(b["error"]["window"], phase(&round, "final"));
}

async fn rules_reloaded_in_the_middle_of_a_publication_are_neither_used_nor_stamped(app: TestApp) {
    const N: usize = 10;
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(N);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    declare(&app, &offices, 0..N).await;
    app.at("1400/02/06 09:00");
    let admin = app.admin().await;
    let rev1 = app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    let rev2 = app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    review(&app, [&rev1, &rev2], &offices, 0..N).await;
    let round = RoundId::parse("1400-2").unwrap();
    let h0 = app.rules.get(round).unwrap().hash().to_string();

    // Once the publication has taken its rules, the completeness weight doubles (with the
    // round's rule tests updated) and that version goes live.
    let reloaded: Arc<Mutex<Option<String>>> = Arc::default();
    let (rules, dir, seen) = (
        app.rules.clone(),
        app.rules_dir.join("1400-2"),
        reloaded.clone(),
    );
    app.state.set_publication_hook(Arc::new(move || {
        let (rules, dir, seen) = (rules.clone(), dir.clone(), seen.clone());
        Box::pin(async move {
            if seen.lock().unwrap().is_some() {
                return;
            }
            crate::reload::double_completeness_weight(&dir);
            // The watcher may have been first; either way the new version is live after this.
            let outcome = rules
                .reload(round, Origin::FileWatcher, Timestamp::now())
                .await;
            assert!(matches!(outcome, Reloaded::Live(_) | Reloaded::Unchanged));
            *seen.lock().unwrap() = Some(rules.get(round).unwrap().hash().to_string());
        })
    }));

    app.at("1400/02/16 10:00");
    let regulator = app
        .staff(&app.admin().await, "regulator.x", "regulator", None)
        .await;
    let (s, p) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{p}");
    let h1 = reloaded.lock().unwrap().clone().expect("the hook ran");
    assert_ne!(h1, h0, "the reload went live during the publication");
    assert_eq!(app.rules.get(round).unwrap().hash(), h1);

    // Stamped and used: the version live when the publication began, 1400-2 as written.
    assert_eq!(p["publication"]["rules_hash"], h0);
    let stored = app
        .store
        .publication_results(p["publication"]["id"].as_i64().unwrap(), None, None)
        .await
        .unwrap();
    assert_eq!(stored.len(), N);
    for r in &stored {
        let doc: Value = serde_json::from_str(&r.result).unwrap();
        assert_eq!(doc["rules_hash"], h0, "{}", r.office_id);
        let i = offices
            .iter()
            .position(|o| o.0 == r.office_id.as_str())
            .unwrap();
        let want = expected_total(&office_values(i), &region_values(i));
        let got = (doc["total"].as_f64().unwrap() * 100.0).round() as i64;
        assert_eq!(
            got, want,
            "total of {} under the rules it names",
            r.office_id
        );
    }
    let (s, v) = app
        .get(
            "/v1/rounds/1400-2/publications/first/verify",
            Some(&regulator),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["identical"], true, "{v}");
}
