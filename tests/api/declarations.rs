//! Self-declaration: drafts, submission inside the window only, schema errors, carried-over data.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(
    an_office_saves_a_draft_and_submits_inside_the_window,
    outside_the_window_the_error_names_the_window_in_jalali_and_iso,
    every_bad_field_gets_its_own_message_in_both_languages,
    values_unchanged_from_the_previous_round_are_carried_over_on_submit,
    two_writers_cannot_silently_overwrite_each_other,
);

fn good_values() -> serde_json::Value {
    json!({"area_m2": 55.5, "staff_count": 4, "insured_staff": 2, "location_type": "urban", "years_active": 6, "step_free_access": true})
}

async fn an_office_saves_a_draft_and_submits_inside_the_window(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(2);
    app.import(&admin, &csv).await;
    let token = app.login(&offices[0].1, &offices[0].1).await;
    let (s, view) = app.get("/v1/rounds/1400-2/declaration", Some(&token)).await;
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["status"], "not_started");
    assert_eq!(view["window"]["first_day"], "1400/01/17");
    assert_eq!(view["window"]["last_day_iso"], "2021-04-25");
    assert_eq!(view["window"]["open_now"], true);
    // Region- and inspection-supplied inputs are not in the office's form.
    let names: Vec<&str> = view["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"area_m2")
            && !names.contains(&"association_score")
            && !names.contains(&"violations")
    );

    let (s, draft) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": {"area_m2": "۵۵٫۵", "staff_count": 4}}),
        )
        .await;
    assert_eq!(s, 200, "{draft}");
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["version"], 1);
    // Submitting without the required inputs lists each one.
    let (s, body) = app
        .post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let missing: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(missing, vec!["location_type", "years_active"]);
    let (s, _) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": good_values(), "version": 1}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, done) = app
        .post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["status"], "submitted");
    assert!(
        done["submitted_at"]
            .as_str()
            .unwrap()
            .starts_with("2021-04-09")
    );
    // RFC 3339 in UTC, and the same instant as read in Tehran beside it.
    let submitted: jiff::Timestamp = done["submitted_at"].as_str().unwrap().parse().unwrap();
    assert!(
        done["submitted_at"].as_str().unwrap().ends_with('Z'),
        "{done}"
    );
    assert_eq!(
        done["submitted_at_jalali"],
        arzyab::domain::JalaliDate::date_time_of(submitted)
    );
    assert!(
        done["submitted_at_jalali"]
            .as_str()
            .unwrap()
            .starts_with("1400/01/20 ")
    );
    let stored = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.office_values["area_m2"], json!(55.5));
    // After submitting, the file is closed to edits.
    let (s, body) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": {"area_m2": 60}}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (422, Some("invalid_state"))
    );
    // Every change is audited with before and after.
    let audit = app
        .store
        .audit_entries(Some("declaration:1400-2:P-0001"), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "declaration_submitted",
            "declaration_saved",
            "declaration_saved"
        ]
    );
    assert_eq!(audit[0].before.as_ref().unwrap()["status"], "draft");
    assert_eq!(audit[0].after.as_ref().unwrap()["status"], "submitted");
}

async fn outside_the_window_the_error_names_the_window_in_jalali_and_iso(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let token = app.login(&offices[0].1, &offices[0].1).await;
    // One second before the window opens (17 Farvardin 1400, 00:00 Tehran = 2021-04-05T19:30Z).
    app.at("2021-04-05T19:29:59Z");
    let (s, body) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": good_values()}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let e = &body["error"];
    assert_eq!(e["code"], "outside_window");
    assert_eq!(e["window"]["first_day"], "1400/01/17");
    assert_eq!(e["window"]["last_day"], "1400/02/05");
    assert_eq!(e["window"]["first_day_iso"], "2021-04-06");
    assert_eq!(e["window"]["last_day_iso"], "2021-04-25");
    assert!(
        e["message"]["en"].as_str().unwrap().contains(
            "17 Farvardin 1400 (2021-04-06) to the end of 5 Ordibehesht 1400 (2021-04-25)"
        ),
        "{e}"
    );
    assert!(
        e["message"]["fa"]
            .as_str()
            .unwrap()
            .contains("۱۷ فروردین ۱۴۰۰"),
        "{e}"
    );
    // The first and last instants of the window are inside it.
    app.at("2021-04-05T19:30:00Z");
    assert_eq!(
        app.put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": good_values()})
        )
        .await
        .0,
        200
    );
    app.at("1400/02/05 23:59");
    let token = app.login(&offices[0].1, &offices[0].1).await;
    assert_eq!(
        app.post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&token),
            json!({})
        )
        .await
        .0,
        200
    );
    // The day after, it is closed.
    let (other, _) = registry_csv(2);
    let admin = app.admin().await;
    assert_eq!(app.import(&admin, &other).await.0, 200);
    let token2 = app
        .login(&registry_csv(2).1[1].1, &registry_csv(2).1[1].1)
        .await;
    app.at("1400/02/06 00:00");
    let (s, body) = app
        .post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&token2),
            json!({}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (422, Some("outside_window"))
    );
}

async fn every_bad_field_gets_its_own_message_in_both_languages(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let token = app.login(&offices[0].1, &offices[0].1).await;
    let values = json!({
        "area_m2": -3,
        "staff_count": 2.5,
        "location_type": "centre",
        "association_score": 90,
        "violations": [],
        "floor_area": 10,
        "step_free_access": "maybe",
    });
    let (s, body) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": values}),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    let details = body["error"]["details"].as_array().unwrap();
    let by_field = |f: &str| {
        details
            .iter()
            .find(|d| d["field"] == f)
            .unwrap_or_else(|| panic!("no error for {f}: {body}"))
    };
    assert!(
        by_field("area_m2")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("outside the allowed range 0 to 5000")
    );
    assert!(
        by_field("staff_count")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("whole number")
    );
    assert!(
        by_field("location_type")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("not an allowed value")
    );
    assert!(
        by_field("association_score")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("recorded by the region")
    );
    assert!(
        by_field("violations")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("recorded by inspection")
    );
    assert!(
        by_field("floor_area")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("not an input of round 1400-2")
    );
    assert!(
        by_field("step_free_access")["message"]["en"]
            .as_str()
            .unwrap()
            .contains("not yes/no")
    );
    assert_eq!(details.len(), 7);
    assert!(
        details
            .iter()
            .all(|d| !d["message"]["fa"].as_str().unwrap().is_empty())
    );
    // Nothing was stored.
    assert!(
        app.store
            .declaration(
                crate::helpers::rid("1400-2"),
                &crate::helpers::oid("P-0001")
            )
            .await
            .unwrap()
            .is_none()
    );
}

async fn values_unchanged_from_the_previous_round_are_carried_over_on_submit(app: TestApp) {
    // Round 1401-1's previous round is 1400-2: file 1400-2 first, then submit 1401-1 with changes only.
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let token = app.login(&offices[0].1, &offices[0].1).await;
    app.put(
        "/v1/rounds/1400-2/declaration",
        Some(&token),
        json!({"values": good_values()}),
    )
    .await;
    assert_eq!(
        app.post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&token),
            json!({})
        )
        .await
        .0,
        200
    );
    app.at("1401/07/12 10:00");
    let token = app.login(&offices[0].1, &offices[0].1).await;
    let (s, view) = app.get("/v1/rounds/1401-1/declaration", Some(&token)).await;
    assert_eq!(s, 200);
    assert_eq!(view["previous_round"]["round"], "1400-2");
    assert_eq!(view["previous_round"]["values"]["area_m2"], json!(55.5));
    let (s, _) = app
        .put(
            "/v1/rounds/1401-1/declaration",
            Some(&token),
            json!({"values": {"staff_count": 6}}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, done) = app
        .post(
            "/v1/rounds/1401-1/declaration/submit",
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["values"]["staff_count"], 6);
    assert_eq!(done["values"]["area_m2"], json!(55.5));
    let carried: Vec<&str> = done["carried_over"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        carried.contains(&"area_m2")
            && carried.contains(&"location_type")
            && !carried.contains(&"staff_count"),
        "{carried:?}"
    );
}

async fn two_writers_cannot_silently_overwrite_each_other(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let a = app.login(&offices[0].1, &offices[0].1).await;
    let b = app.login(&offices[0].1, &offices[0].1).await;
    assert_eq!(
        app.put(
            "/v1/rounds/1400-2/declaration",
            Some(&a),
            json!({"values": {"area_m2": 40}})
        )
        .await
        .0,
        200
    );
    // Both read version 1; the first write wins, the second is told to reload.
    assert_eq!(
        app.put(
            "/v1/rounds/1400-2/declaration",
            Some(&a),
            json!({"values": {"area_m2": 41}, "version": 1})
        )
        .await
        .0,
        200
    );
    let (s, body) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&b),
            json!({"values": {"area_m2": 42}, "version": 1}),
        )
        .await;
    assert_eq!((s, body["error"]["code"].as_str()), (409, Some("conflict")));
    let stored = app
        .store
        .declaration(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.office_values["area_m2"], json!(41));
}
