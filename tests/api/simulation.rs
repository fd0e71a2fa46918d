//! Simulation over stored declarations: the diff is what the rules imply, nothing official
//! changes, broken candidates answer with diagnostics, and every run is audited.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};

both_backends!(a_weight_change_is_simulated_over_stored_declarations_and_changes_nothing_official);

async fn a_weight_change_is_simulated_over_stored_declarations_and_changes_nothing_official(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(12);
    app.import(&admin, &csv).await;
    // Ten offices file; office i declares 18 + 3i m² (office 0 is below the first band: 0 points).
    for (i, (_, code, _)) in offices.iter().enumerate().take(10) {
        let t = app.login(code, code).await;
        let values = json!({"area_m2": 18 + 3 * i, "staff_count": 3, "location_type": "urban", "years_active": 5});
        assert_eq!(
            app.put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({"values": values})
            )
            .await
            .0,
            200
        );
        assert_eq!(
            app.post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
                .await
                .0,
            200
        );
    }
    let regulator = app.staff(&admin, "regulator.sim", "regulator", None).await;
    let hash_before = app.get("/health", None).await.1["rules"].clone();
    let (s, body) = app.post("/v1/rounds/1400-2/simulate", Some(&regulator), json!({"set": ["weight:area=3"], "include_offices": true, "sweep": "weight:area=0:3:1"})).await;
    assert_eq!(s, 200, "{body}");
    let sim = &body["simulation"];
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
    assert!(app.store.publications("1400-2").await.unwrap().is_empty());
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
            .any(|d| d["line"] == 3 && d["message"].as_str().unwrap().contains("titel")),
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
