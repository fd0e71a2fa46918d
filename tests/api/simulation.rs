//! Simulation over stored declarations: the diff is what the rules imply, nothing official
//! changes, broken candidates answer with diagnostics, and every run is audited.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(a_weight_change_is_simulated_over_stored_declarations_and_changes_nothing_official);
both_backends!(simulations_follow_every_change_to_the_stored_population_on_every_replica);

/// The office with national code `code` files a declaration of `area` m².
async fn file(app: &TestApp, code: &str, area: usize) {
    let t = app.login(code, code).await;
    let values =
        json!({"area_m2": area, "staff_count": 3, "location_type": "urban", "years_active": 5});
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&t),
            json!({"values": values}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn a_weight_change_is_simulated_over_stored_declarations_and_changes_nothing_official(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(12);
    app.import(&admin, &csv).await;
    // Ten offices file; office i declares 18 + 3i m² (office 0 is below the first band: 0 points).
    for (i, (_, code, _)) in offices.iter().enumerate().take(10) {
        file(&app, code, 18 + 3 * i).await;
    }
    let regulator = app.staff(&admin, "regulator.sim", "regulator", None).await;
    let hash_before = app.get("/health", None).await.1["rules"].clone();
    let (s, body) = app.post("/v1/rounds/1400-2/simulate", Some(&regulator), json!({"set": ["weight:area=3"], "include_offices": true, "sweep": "weight:area=0:3:1"})).await;
    assert_eq!(s, 200, "{body}");
    let sim = &body["simulation"];
    // Where the rules came from, without the server's own paths.
    assert_eq!(sim["baseline"]["dir"], "1400-2", "{}", sim["baseline"]);
    assert_eq!(sim["candidate"]["dir"], "1400-2", "{}", sim["candidate"]);
    assert_eq!(sim["summary"]["offices"], 12);
    assert_eq!(sim["summary"]["filers"], 10);
    // Weight 1.5 → 3 adds 1.5 × the area points: every filer but office 0 (18 m² → 0 points) moves.
    assert_eq!(sim["summary"]["totals_changed"], 9);
    for o in sim["offices"].as_array().unwrap() {
        let i: usize = o["office"].as_str().unwrap()[2..].parse::<usize>().unwrap() - 1;
        if i >= 10 {
            assert_eq!(o["filed"], false);
            continue;
        }
        let area = 18 + 3 * i;
        let points = match area {
            a if a < 20 => 0.0,
            a if a < 40 => 4.0,
            a if a < 60 => 7.0,
            a if a < 100 => 9.0,
            _ => 10.0,
        };
        let delta = o["delta"].as_f64().unwrap_or(0.0);
        assert!(
            (delta - points * 1.5).abs() < 1e-9,
            "office {i}: delta {delta}, area points {points}"
        );
    }
    assert_eq!(body["sweep"]["steps"].as_array().unwrap().len(), 4);
    // Nothing official changed: no publication, same live rules.
    assert!(
        app.store
            .publications(crate::helpers::rid("1400-2"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.get("/health", None).await.1["rules"], hash_before);
    assert!(
        app.store
            .audit_entries(Some("round:1400-2"), 10)
            .await
            .unwrap()
            .iter()
            .any(|a| a.action == "simulation_run")
    );
    // A broken uploaded candidate answers with its diagnostics; reviewers may not simulate.
    let (s, bad) = app
        .post(
            "/v1/rounds/1400-2/simulate",
            Some(&regulator),
            json!({"files": {"round.yaml": "round:\n  id: 1400-2\n  titel: x\n"}}),
        )
        .await;
    assert_eq!(
        (s, bad["error"]["code"].as_str()),
        (422, Some("invalid_rules")),
        "{bad}"
    );
    assert!(
        bad["error"]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["line"] == 3 && d["message"]["en"].as_str().unwrap().contains("titel")),
        "{bad}"
    );
    let reviewer = app.staff(&admin, "reviewer.sim", "reviewer", Some(1)).await;
    assert_eq!(
        app.post(
            "/v1/rounds/1400-2/simulate",
            Some(&reviewer),
            json!({"set": ["weight:area=3"]})
        )
        .await
        .0,
        403
    );
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/simulate",
            Some(&regulator),
            json!({"set": ["wieght:area=3"]}),
        )
        .await;
    assert_eq!(s, 422, "{b}");
}

/// A server keeps the ranked population between simulations; a write on any replica must still
/// show in the next simulation on every replica, patched or loaded whole, exactly as a server that
/// never kept anything would compute it.
async fn simulations_follow_every_change_to_the_stored_population_on_every_replica(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(14);
    app.import(&admin, &csv).await;
    for (i, (_, code, _)) in offices.iter().enumerate().take(10) {
        file(&app, code, 18 + 3 * i).await;
    }
    let regulator = app
        .staff(&admin, "regulator.cache", "regulator", None)
        .await;
    let replica = app.replica().await;
    let simulate = async |base: &str| {
        let (s, body) = app
            .request_at(
                base,
                reqwest::Method::POST,
                "/v1/rounds/1400-2/simulate",
                Some(&regulator),
                Some(json!({"set": ["weight:area=3"], "include_offices": true})),
            )
            .await;
        assert_eq!(s, 200, "{body}");
        body["simulation"].clone()
    };
    let office = |sim: &serde_json::Value, id: &str| {
        sim["offices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["office"] == id)
            .unwrap_or_else(|| panic!("{id} in {sim}"))
            .clone()
    };
    let (ten, eleven) = (&offices[10].0, &offices[11].0);
    // Both servers load the population; neither has office 10 filing.
    for base in [&app.url, &replica.url] {
        let sim = simulate(base).await;
        assert_eq!(sim["summary"]["filers"], 10);
        assert_eq!(office(&sim, ten)["filed"], false);
    }

    // Office 10 files 70 m² through the first server: both see it (one by patching its copy).
    file(&app, &offices[10].1, 70).await;
    for base in [&app.url, &replica.url] {
        let sim = simulate(base).await;
        assert_eq!(sim["summary"]["filers"], 11, "{base}");
        let o = office(&sim, ten);
        assert_eq!(o["filed"], true);
        // 70 m² is in the 60–99 band: 9 points, weight 1.5 → 3.
        assert_eq!(o["delta"].as_f64().unwrap(), 9.0 * 1.5, "{base}: {o}");
    }

    // A new office (a re-import of the registry with two more) makes every server load again.
    let (csv, offices) = registry_csv(16);
    app.import(&admin, &csv).await;
    file(&app, &offices[11].1, 40).await;
    let patched = simulate(&replica.url).await;
    assert_eq!(patched["summary"]["offices"], 16);
    assert_eq!(patched["summary"]["filers"], 12);
    assert_eq!(office(&patched, eleven)["filed"], true);

    // Whatever each server kept, its answer is what a fresh server computes from the database.
    let fresh = app.replica().await;
    let expected = simulate(&fresh.url).await;
    for base in [&app.url, &replica.url] {
        let sim = simulate(base).await;
        assert_eq!(sim["offices"], expected["offices"], "{base}");
        assert_eq!(sim["summary"], expected["summary"], "{base}");
    }
}
