//! The stateless score endpoints and the round descriptions a client builds forms from.

use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

both_backends!(
    the_score_endpoint_explains_a_score_under_the_live_rules,
    a_batch_is_scored_and_ranked_among_itself,
    rounds_describe_phases_inputs_and_criteria
);

async fn client_token(app: &TestApp) -> String {
    let admin = app.admin().await;
    let (s, _) = app
        .post(
            "/v1/users",
            Some(&admin),
            json!({"username": "ministry-app", "role": "api_client"}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, body) = app
        .post("/v1/users/ministry-app/tokens", Some(&admin), json!({}))
        .await;
    assert_eq!(s, 201, "{body}");
    body["token"].as_str().unwrap().to_string()
}

async fn the_score_endpoint_explains_a_score_under_the_live_rules(app: TestApp) {
    let token = client_token(&app).await;
    let body = json!({
        "office": {"kind": "pishkhan"},
        "inputs": {
            "area_m2": 40, "staff_count": 7, "insured_staff": 5, "disabled_staff": 1,
            "location_type": "city_center", "distance_to_nearest_office_m": 2500, "step_free_access": true,
            "years_active": 12, "satisfaction_percent": 80, "association_score": 60, "data_completeness_percent": 90,
            "violations": [{"kind": "overcharging", "date": "1400/02/10"}, {"kind": "overcharging", "date": "1400/03/01"}]
        }
    });
    let (s, r) = app
        .post("/v1/rounds/1400-2/score", Some(&token), body)
        .await;
    assert_eq!(s, 200, "{r}");
    let e = &r["explanation"];
    let points = |id: &str| {
        e["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["points"]
            .as_f64()
            .unwrap()
    };
    // Computed from the rule files by hand:
    // area 40 → band 40..60 = 7 (×1.5 = 10.5); personnel min(14,12)+min(5,4)+min(2,4) = 18;
    // location 8+4+3 = 15; history min(12,10) = 10; satisfaction (80−50)×0.4 = 12;
    // association 60×0.15 = 9; completeness 90 → 6 (×0.5 = 3); overcharging −5 −8 = −13.
    assert_eq!(points("area"), 7.0);
    assert_eq!(points("personnel"), 18.0);
    assert_eq!(points("location"), 15.0);
    assert_eq!(points("holder_history"), 10.0);
    assert_eq!(points("satisfaction"), 12.0);
    assert_eq!(points("association"), 9.0);
    assert_eq!(points("data_completeness"), 6.0);
    assert_eq!(e["penalty_total"], -13);
    assert_eq!(
        e["total"],
        json!(10.5 + 18.0 + 15.0 + 10.0 + 12.0 + 9.0 + 3.0 - 13.0)
    );
    assert_eq!(e["placement"]["grade"], 1);
    assert_eq!(r["rules_hash"].as_str().unwrap().len(), 64);
    // Schema errors come back per field; no token → 401; unknown round → 404.
    let (s, bad) = app
        .post(
            "/v1/rounds/1400-2/score",
            Some(&token),
            json!({"office": {"kind": "pishkhan"}, "inputs": {"area_m2": "big"}}),
        )
        .await;
    assert_eq!(s, 422, "{bad}");
    let fields: Vec<&str> = bad["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"inputs.area_m2") && fields.contains(&"inputs.staff_count"),
        "{fields:?}"
    );
    assert_eq!(
        app.post("/v1/rounds/1400-2/score", None, json!({})).await.0,
        401
    );
    let (s, nf) = app
        .post(
            "/v1/rounds/1399-1/score",
            Some(&token),
            json!({"office": {"kind": "pishkhan"}}),
        )
        .await;
    assert_eq!((s, nf["error"]["code"].as_str()), (404, Some("not_found")));
}

async fn a_batch_is_scored_and_ranked_among_itself(app: TestApp) {
    let token = client_token(&app).await;
    let office = |id: &str, area: i64, region: u8| json!({"office": {"id": id, "kind": "pishkhan", "region": region}, "inputs": {"area_m2": area, "staff_count": 3, "location_type": "urban", "years_active": 5}});
    let body =
        json!({"offices": [office("A-1", 30, 1), office("A-2", 150, 1), office("A-3", 70, 2)]});
    let (s, r) = app
        .post("/v1/rounds/1400-2/score/batch", Some(&token), body)
        .await;
    assert_eq!(s, 200, "{r}");
    let results = r["results"].as_array().unwrap();
    let pos = |id: &str| {
        results.iter().find(|x| x["office"] == id).unwrap()["positions"]["nationwide"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((pos("A-2"), pos("A-3"), pos("A-1")), (1, 2, 3));
    let region = |id: &str| {
        results.iter().find(|x| x["office"] == id).unwrap()["positions"]["region"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((region("A-2"), region("A-1"), region("A-3")), (1, 2, 1));
    // One bad office refuses the batch, naming it.
    let body =
        json!({"offices": [office("A-1", 30, 1), office("A-1", 40, 1), office("A-3", -1, 2)]});
    let (s, r) = app
        .post("/v1/rounds/1400-2/score/batch", Some(&token), body)
        .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = r["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["offices[1].office.id", "offices[2].inputs.area_m2"]
    );
}

async fn rounds_describe_phases_inputs_and_criteria(app: TestApp) {
    let (s, list) = app.get("/v1/rounds", None).await;
    assert_eq!(s, 200);
    let rounds: Vec<&str> = list["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["round"].as_str().unwrap())
        .collect();
    assert_eq!(rounds, vec!["1400-2", "1401-1"]);
    let (s, r) = app.get("/v1/rounds/1400-2", None).await;
    assert_eq!(s, 200);
    assert_eq!(r["current_phase"], "self_declaration");
    let phases = r["phases"].as_array().unwrap();
    assert_eq!(phases[0]["first_day"], "1400/01/17");
    assert_eq!(phases[0]["first_day_iso"], "2021-04-06");
    assert_eq!(phases[1]["phase"], "regional_review");
    assert_eq!(phases[1]["first_day"], "1400/02/06");
    assert_eq!(phases[1]["last_day"], "1400/02/15");
    let area = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "area_m2")
        .unwrap();
    assert_eq!(area["label"]["fa"], "مساحت مفید دفتر");
    assert_eq!(area["range"], json!([0, 5000]));
    assert_eq!((&area["min"], &area["max"]), (&json!(0), &json!(5000)));
    let location = r["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "location")
        .unwrap();
    assert_eq!(
        (location["kind"].as_str(), location["runs"].as_str()),
        (Some("script"), Some("native"))
    );
    assert_eq!(r["hash"].as_str().unwrap().len(), 64);
    assert_eq!(app.get("/v1/rounds/1400-3", None).await.0, 404);
}
