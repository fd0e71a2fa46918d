//! `arzyab triage` on demo data: every flag of the round is raised somewhere, the riskiest office
//! comes first, and the Persian reasons are wholly Persian.

use super::{ROUNDS, arzyab, demo, stderr, stdout};

#[test]
fn triage_of_demo_offices_raises_every_flag_riskiest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = demo(tmp.path(), ROUNDS[0], 200, "csv");
    let o = arzyab(&[
        "triage",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let files = doc.as_array().unwrap();
    let risks: Vec<f64> = files.iter().map(|f| f["risk"].as_f64().unwrap()).collect();
    assert!(risks.windows(2).all(|w| w[0] >= w[1]), "{risks:?}");
    for id in [
        "area_jump",
        "staff_jump",
        "near_grade_boundary",
        "area_outlier",
        "staff_outlier",
        "years_not_given",
        "insured_over_staff",
    ] {
        assert!(
            files
                .iter()
                .any(|f| f["flags"].as_array().unwrap().iter().any(|x| x["id"] == id)),
            "{id} raised by some demo office"
        );
    }
    let o = arzyab(&[
        "triage",
        ROUNDS[0],
        "--offices",
        csv.to_str().unwrap(),
        "--fa",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let reasons: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once("): ").map(|(_, why)| why))
        .collect();
    assert!(!reasons.is_empty(), "{out}");
    for why in reasons {
        assert!(!why.chars().any(|c| c.is_ascii_alphanumeric()), "{why}");
    }
}
