//! Review triage over HTTP: a value that jumped since the office's previous round raises its
//! flag, moves the file up the reviewer's queue and shows in the region's counts; after the
//! review, the outcomes report counts the file the flag predicted and the review corrected.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::idempotency::{good_values, offices};
use crate::page_client::{get, sign_in};

both_backends!(
    a_jumped_area_raises_its_flag_moves_the_file_up_and_the_outcomes_count_its_correction
);

/// Saves and submits `values` as the office's declaration of `round`.
async fn declare(app: &TestApp, code: &str, round: &str, values: Value) {
    let t = app.login(code, code).await;
    let path = format!("/v1/rounds/{round}/declaration");
    let (s, b) = app.put(&path, Some(&t), json!({ "values": values })).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .post(&format!("{path}/submit"), Some(&t), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
}

fn ids(list: &Value) -> Vec<&str> {
    list["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["office"].as_str().unwrap())
        .collect()
}

async fn a_jumped_area_raises_its_flag_moves_the_file_up_and_the_outcomes_count_its_correction(
    app: TestApp,
) {
    // P-0001 and P-0003 are region 1's offices.
    let offices = offices(&app).await;
    let (first, third) = (offices[0].1.clone(), offices[2].1.clone());
    let admin = app.admin().await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    // Round 1400-2 is 1401-1's previous round: both offices declare 55.5 m².
    declare(&app, &first, "1400-2", good_values()).await;
    declare(&app, &third, "1400-2", good_values()).await;
    app.at("1401/07/15 10:00");
    declare(&app, &first, "1401-1", good_values()).await;
    let mut jumped = good_values();
    jumped["area_m2"] = json!(130);
    declare(&app, &third, "1401-1", jumped).await;

    app.at("1401/07/30 10:00");
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, by_id) = app.get("/v1/rounds/1401-1/files", Some(&reviewer)).await;
    assert_eq!(s, 200, "{by_id}");
    assert_eq!(ids(&by_id), ["P-0001", "P-0003"]);
    let (s, queue) = app
        .get("/v1/rounds/1401-1/files?sort=risk", Some(&reviewer))
        .await;
    assert_eq!(s, 200, "{queue}");
    assert_eq!(
        ids(&queue),
        ["P-0003", "P-0001"],
        "the jumped file comes first"
    );
    let top = &queue["files"][0]["triage"];
    assert_eq!(top["risk"], json!(3), "{top}");
    assert_eq!(top["flags"][0]["id"], "area_jump");
    assert_eq!(top["flags"][0]["kind"], "jump");
    assert_eq!(
        top["flags"][0]["why"]["en"],
        "Usable office area grew from 55.5 to 130 m², +134 % since 1400-2"
    );
    assert_eq!(
        top["flags"][0]["why"]["fa"],
        "مساحت مفید دفتر از ۵۵٫۵ به ۱۳۰ متر مربع رسید، ۱۳۴٪ بیشتر از دوره ۱۴۰۰-۲"
    );
    assert_eq!(queue["files"][1]["triage"]["risk"], json!(0));
    assert_eq!(queue["files"][1]["triage"]["flags"], json!([]));
    let (s, b) = app
        .get("/v1/rounds/1401-1/files?sort=size", Some(&reviewer))
        .await;
    assert_eq!(s, 400, "{b}");

    // The file itself carries the same flags; its holder sees none.
    let (s, file) = app
        .get("/v1/rounds/1401-1/files/P-0003", Some(&reviewer))
        .await;
    assert_eq!(s, 200, "{file}");
    assert_eq!(file["triage"], *top);
    let holder = app.login(&third, &third).await;
    let (s, own) = app
        .get("/v1/rounds/1401-1/files/P-0003", Some(&holder))
        .await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(own["triage"], Value::Null);

    // The region's counts per flag.
    let (s, summary) = app
        .get("/v1/rounds/1401-1/triage/summary", Some(&reviewer))
        .await;
    assert_eq!(s, 200, "{summary}");
    assert_eq!(summary["region"], 1);
    assert_eq!(
        (summary["files"].clone(), summary["flagged"].clone()),
        (json!(2), json!(1))
    );
    let count = |id: &str| {
        summary["flags"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .map(|f| f["files"].clone())
    };
    assert_eq!(count("area_jump"), Some(json!(1)));
    assert_eq!(count("insured_over_staff"), Some(json!(0)));
    let (s, b) = app
        .get("/v1/rounds/1401-1/triage/summary?region=2", Some(&reviewer))
        .await;
    assert_eq!(s, 403, "another region's counts are not a reviewer's: {b}");

    // The review refers the area; the office corrects it and submits again.
    let (s, b) = app
        .post(
            "/v1/rounds/1401-1/files/P-0003/referral",
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says 56 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    declare(&app, &third, "1401-1", json!({"area_m2": 56})).await;
    let (_, queue) = app
        .get("/v1/rounds/1401-1/files?sort=risk", Some(&reviewer))
        .await;
    assert_eq!(queue["files"][0]["triage"]["risk"], json!(0), "{queue}");

    // After the round: the flag predicted the one correction; no unflagged file was changed.
    let (s, out) = app
        .get("/v1/rounds/1401-1/triage/outcomes", Some(&reviewer))
        .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(
        (out["files"].clone(), out["changed"].clone()),
        (json!(2), json!(1))
    );
    let jump = out["flags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "area_jump")
        .unwrap();
    assert_eq!(
        [
            &jump["flagged"],
            &jump["flagged_changed"],
            &jump["unflagged"],
            &jump["unflagged_changed"]
        ],
        [&json!(1), &json!(1), &json!(1), &json!(0)],
        "{out}"
    );
    let (status, csv) = app
        .get("/v1/rounds/1401-1/triage/outcomes.csv", Some(&reviewer))
        .await;
    assert_eq!(status, 200, "{csv}");
    let csv = csv.as_str().unwrap();
    assert!(
        csv.starts_with("flag,kind,label_fa,label_en,weight,flagged,"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("area_jump,jump,") && l.ends_with(",3,1,1,100.0,1,0,0.0")),
        "{csv}"
    );

    // The regulator's console shows the same report, and downloads the same CSV; an office
    // holder is refused it.
    let admin = app.admin().await;
    app.staff(&admin, "reg.one", "regulator", None).await;
    let regulator = sign_in(&app, "reg.one", "reg.one-password-1400").await;
    let page = get(&app, "/console/triage?round=1401-1", &regulator).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let row = page
        .html
        .split("<tr id=\"flag-area_jump\">")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap_or_else(|| panic!("no area_jump row: {}", page.html));
    for (class, n) in [
        ("flagged", "۱"),
        ("flagged-changed", "۱"),
        ("unflagged", "۱"),
        ("unflagged-changed", "۰"),
    ] {
        // The cell of that class (its other attributes, such as the phone layout's label, aside).
        let cell = row
            .split(&format!("<td class=\"{class}\""))
            .nth(1)
            .and_then(|rest| rest.split("</td>").next())
            .unwrap_or_default();
        assert!(cell.ends_with(&format!(">{n}")), "{class}: {row}");
    }
    assert!(row.contains("۱۰۰٫۰٪"), "{row}");
    assert!(
        page.html.contains("id=\"triage-changed\">۱<"),
        "{}",
        page.html
    );
    let download = get(&app, "/console/triage.csv?round=1401-1", &regulator).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.html, csv, "the page's CSV is the API's");
    let holder = sign_in(&app, &first, &first).await;
    let refused = get(&app, "/console/triage?round=1401-1", &holder).await;
    assert_eq!(refused.status, 403, "{}", refused.html);
}
