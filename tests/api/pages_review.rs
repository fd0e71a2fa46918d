//! The regional reviewer's pages over HTTP, on both backends: the queue's counts and filters agree
//! with the JSON API, it pages by fifty and searches; a referral with notes reaches the office;
//! acceptance; two reviewers on one file (the second is told, nothing is overwritten); another
//! region's file is refused; an objection is decided on the objections page.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, oid, registry_csv, rid};
use crate::idempotency::good_values;
use crate::page_client::{Page, get, post, sign_in};

both_backends!(
    the_queue_counts_and_filters_agree_with_the_api_and_page_by_fifty,
    the_queue_searches_by_license_number_and_by_name,
    a_reviewer_refers_fields_back_with_a_note_each_and_the_office_finds_its_file_referred,
    a_referral_without_a_note_is_shown_again_with_the_error_beside_the_field,
    accepting_a_file_counts_it_reviewed_on_the_page_and_in_the_api,
    the_second_of_two_reviewers_saving_one_file_is_told_someone_else_changed_it,
    a_reviewer_never_sees_another_regions_file_and_an_office_holder_no_queue,
    an_objection_is_decided_on_the_objections_page_with_a_new_value,
);

const REVIEWER: (&str, &str) = ("rev.one", "rev.one-password-1400");

/// Imports `n` offices (odd-numbered licenses in region 1), files the declarations of `filed`
/// (license numbers), creates reviewers of regions 1 and 2 and the regulator, and moves the clock
/// into the regional review.
async fn round_in_review(app: &TestApp, n: usize, filed: &[&str]) -> Vec<(String, String, u8)> {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(n);
    let (s, b) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{b}");
    for id in filed {
        let code = &offices.iter().find(|o| o.0 == *id).unwrap().1;
        let t = app.login(code, code).await;
        let (s, b) = app
            .put(
                "/v1/rounds/1400-2/declaration",
                Some(&t),
                json!({"values": good_values()}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = app
            .post("/v1/rounds/1400-2/declaration/submit", Some(&t), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
    }
    app.staff(&admin, REVIEWER.0, "reviewer", Some(1)).await;
    app.staff(&admin, "rev.two", "reviewer", Some(1)).await;
    app.staff(&admin, "rev.east", "reviewer", Some(2)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
    app.at("1400/02/06 10:00");
    offices
}

async fn reviewer_token(app: &TestApp) -> String {
    app.login(REVIEWER.0, REVIEWER.1).await
}

/// The number a count at the top of an English queue page shows.
fn count(page: &Page, id: &str) -> i64 {
    let at = page
        .html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}: {}", page.html));
    let rest = &page.html[at..];
    let start = rest.find("<span class=\"count\">").unwrap() + 20;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].parse().unwrap()
}

/// The license numbers of the files listed on a queue page, in order.
fn listed(page: &Page) -> Vec<String> {
    page.html
        .split("<tr id=\"file-")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The value of the first hidden `name` field of a page.
fn hidden(page: &Page, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = page
        .html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name}: {}", page.html))
        + key.len();
    page.html[at..at + page.html[at..].find('"').unwrap()].to_string()
}

/// The API's total of a region's files in `status`.
async fn api_total(app: &TestApp, token: &str, status: &str) -> i64 {
    let (s, b) = app
        .get(
            &format!("/v1/rounds/1400-2/files?status={status}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["total"].as_i64().unwrap()
}

async fn the_queue_counts_and_filters_agree_with_the_api_and_page_by_fifty(app: TestApp) {
    // 130 offices: 65 in region 1 (P-0001, P-0003 …); five of them file.
    let filed = ["P-0001", "P-0003", "P-0005", "P-0007", "P-0009"];
    let offices = round_in_review(&app, 130, &filed).await;
    let token = reviewer_token(&app).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0003/referral",
            Some(&token),
            json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0005/acceptance",
            Some(&token),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let page = get(&app, "/review?sort=office&lang=en", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let submitted = api_total(&app, &token, "submitted").await;
    let referred = api_total(&app, &token, "referred").await;
    let not_started = api_total(&app, &token, "not_started").await;
    let draft = api_total(&app, &token, "draft").await;
    assert_eq!(count(&page, "count-all"), 65);
    assert_eq!(count(&page, "count-filed"), submitted + referred);
    assert_eq!(count(&page, "count-filed"), 5);
    assert_eq!(count(&page, "count-not-filed"), not_started + draft);
    assert_eq!(count(&page, "count-referred"), referred);
    assert_eq!(count(&page, "count-referred"), 1);
    assert_eq!(count(&page, "count-reviewed"), 1);
    assert_eq!(count(&page, "count-waiting"), 3);
    // Self-declaration is closed: every file not filed is past its deadline.
    assert_eq!(count(&page, "count-overdue"), 60);

    // Fifty a page, in license order (the sort chosen), the next page linked.
    let first = listed(&page);
    let region_1: Vec<String> = offices
        .iter()
        .filter(|o| o.2 == 1)
        .map(|o| o.0.clone())
        .collect();
    assert_eq!(first, region_1[..50]);
    assert!(
        page.html
            .contains("id=\"next-page\" href=\"/review?sort=office&#38;page=2\"")
    );
    let second = get(&app, "/review?sort=office&page=2&lang=en", &cookie).await;
    assert_eq!(listed(&second), region_1[50..]);
    assert!(!second.html.contains("id=\"next-page\""));
    assert!(
        second.html.contains("Files 51 to 65 of 65"),
        "{}",
        second.html
    );

    // Filters: each status as the API lists it; kind and province.
    let referred_page = get(&app, "/review?status=referred&lang=en", &cookie).await;
    assert_eq!(listed(&referred_page), ["P-0003"]);
    let waiting = get(&app, "/review?status=waiting", &cookie).await;
    assert_eq!(listed(&waiting), ["P-0001", "P-0007", "P-0009"]);
    let not_filed = get(&app, "/review?status=not_filed", &cookie).await;
    assert_eq!(
        listed(&not_filed).len() as i64,
        (not_started + draft).min(50)
    );
    assert!(
        listed(&not_filed)
            .iter()
            .all(|id| !filed.contains(&id.as_str()))
    );
    let rural: Vec<String> = (0..130)
        .filter(|i| i % 2 == 0 && i % 5 == 4)
        .map(|i| format!("P-{:04}", i + 1))
        .collect();
    let rural_page = get(&app, "/review?kind=rural_ict&lang=en", &cookie).await;
    assert_eq!(listed(&rural_page), rural);
    assert_eq!(count(&rural_page, "count-all"), rural.len() as i64);
    let elsewhere = get(&app, "/review?province=EAZ", &cookie).await;
    assert!(
        listed(&elsewhere).is_empty(),
        "region 1's offices are all in THR"
    );

    // An unknown filter value is named beside its control, and the rest still lists.
    let bad = get(&app, "/review?status=lost&lang=en", &cookie).await;
    assert_eq!(bad.status, 200);
    assert!(bad.html.contains("id=\"error-summary\""), "{}", bad.html);
    assert!(bad.html.contains("href=\"#status\""));
    assert_eq!(listed(&bad).len(), 50);
}

async fn the_queue_searches_by_license_number_and_by_name(app: TestApp) {
    let offices = round_in_review(&app, 130, &[]).await;
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let by_id = get(&app, "/review?q=p-0003", &cookie).await;
    assert_eq!(listed(&by_id), ["P-0003"]);
    // Names are "دفتر {i}" (i from 0): "دفتر 12" matches 12 and 120…128 of region 1.
    let expected: Vec<String> = offices
        .iter()
        .enumerate()
        .filter(|(i, o)| o.2 == 1 && format!("دفتر {i}").contains("دفتر 12"))
        .map(|(_, o)| o.0.clone())
        .collect();
    let by_name = get(&app, "/review?q=%D8%AF%D9%81%D8%AA%D8%B1+12", &cookie).await;
    assert_eq!(listed(&by_name), expected);
    // Persian digits search alike; a region 2 office is never found.
    let persian = get(&app, "/review?q=P-%DB%B0%DB%B0%DB%B0%DB%B3", &cookie).await;
    assert_eq!(listed(&persian), ["P-0003"]);
    let other = get(&app, "/review?q=P-0002", &cookie).await;
    assert!(listed(&other).is_empty());
}

async fn a_reviewer_refers_fields_back_with_a_note_each_and_the_office_finds_its_file_referred(
    app: TestApp,
) {
    let offices = round_in_review(&app, 4, &["P-0001"]).await;
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let file = get(&app, "/review/1400-2/P-0001", &cookie).await;
    assert_eq!(file.status, 200, "{}", file.html);
    assert!(file.html.contains("id=\"refer-form\""));
    assert!(file.html.contains("id=\"declared-area_m2\""));
    let referred = post(
        &app,
        "/review/1400-2/P-0001/referral",
        &cookie,
        &[
            ("csrf", &file.csrf()),
            ("version", &hidden(&file, "version")),
            ("refer.area_m2", "1"),
            ("note.area_m2", "اجاره‌نامه ۴۰ متر مربع را نشان می‌دهد"),
            ("refer.staff_count", "1"),
            ("note.staff_count", "فهرست بیمه سه نفر است"),
            ("note.insured_staff", ""),
        ],
    )
    .await;
    assert_eq!(referred.status, 303, "{}", referred.html);
    let after = get(&app, "/review/1400-2/P-0001?done=referred", &cookie).await;
    assert!(after.html.contains("id=\"referral\""), "{}", after.html);
    assert!(after.html.contains("id=\"referred-area_m2\""));
    assert!(!after.html.contains("id=\"refer-form\""), "referred once");

    let code = &offices[0].1;
    let holder = app.login(code, code).await;
    let (s, b) = app
        .get("/v1/rounds/1400-2/declaration", Some(&holder))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "referred", "{b}");
    let reasons = &b["referral"]["reasons"];
    assert_eq!(
        reasons,
        &json!({"area_m2": "اجاره‌نامه ۴۰ متر مربع را نشان می‌دهد", "staff_count": "فهرست بیمه سه نفر است"}),
        "{b}"
    );
    let audit = app
        .store
        .audit_entries(Some("declaration:1400-2:P-0001"), 20)
        .await
        .unwrap();
    let referral = audit.iter().find(|a| a.action == "referred").unwrap();
    assert_eq!(referral.actor, "reviewer:rev.one");
}

async fn a_referral_without_a_note_is_shown_again_with_the_error_beside_the_field(app: TestApp) {
    round_in_review(&app, 2, &["P-0001"]).await;
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let file = get(&app, "/review/1400-2/P-0001?lang=en", &cookie).await;
    let refused = post(
        &app,
        "/review/1400-2/P-0001/referral",
        &cookie,
        &[
            ("csrf", &file.csrf()),
            ("version", &hidden(&file, "version")),
            ("refer.area_m2", "1"),
            ("note.area_m2", " "),
            ("refer.staff_count", "1"),
            ("note.staff_count", "the insurance list shows three"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains("href=\"#note-area_m2\""),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("the insurance list shows three"),
        "kept"
    );
    // Nothing is referred, and a form without a chosen field is refused the same way.
    let d = app
        .store
        .declaration(rid("1400-2"), &oid("P-0001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status.as_str(), "submitted");
    let empty = post(
        &app,
        "/review/1400-2/P-0001/referral",
        &cookie,
        &[
            ("csrf", &file.csrf()),
            ("version", &hidden(&file, "version")),
        ],
    )
    .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.html.contains("href=\"#refer-fields\""),
        "{}",
        empty.html
    );
    // Without the session's token nothing happens.
    let forged = post(
        &app,
        "/review/1400-2/P-0001/referral",
        &cookie,
        &[
            ("csrf", "0"),
            ("version", &hidden(&file, "version")),
            ("refer.area_m2", "1"),
            ("note.area_m2", "x"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);
}

async fn accepting_a_file_counts_it_reviewed_on_the_page_and_in_the_api(app: TestApp) {
    round_in_review(&app, 6, &["P-0001", "P-0003", "P-0005"]).await;
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let file = get(&app, "/review/1400-2/P-0001", &cookie).await;
    assert!(file.html.contains("id=\"accept-form\""), "{}", file.html);
    let accepted = post(
        &app,
        "/review/1400-2/P-0001/acceptance",
        &cookie,
        &[
            ("csrf", &file.csrf()),
            ("version", &hidden(&file, "version")),
        ],
    )
    .await;
    assert_eq!(accepted.status, 303, "{}", accepted.html);
    let after = get(&app, "/review/1400-2/P-0001?lang=en", &cookie).await;
    assert!(after.html.contains("id=\"accepted\""), "{}", after.html);
    assert!(!after.html.contains("id=\"accept-form\""));

    // The API accepts the same way, at the version read; a stale version is a conflict.
    let token = reviewer_token(&app).await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0003/acceptance",
            Some(&token),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0003/acceptance",
            Some(&token),
            json!({"version": 2}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 3);
    assert_eq!(b["accepted_by"], "reviewer:rev.one");
    let queue = get(&app, "/review?lang=en", &cookie).await;
    assert_eq!(count(&queue, "count-reviewed"), 2);
    assert_eq!(count(&queue, "count-waiting"), 1);
    let reviewed = get(&app, "/review?status=reviewed", &cookie).await;
    assert_eq!(listed(&reviewed), ["P-0001", "P-0003"]);

    // A change to an accepted file puts it back in the waiting files.
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/files/P-0003/region-values",
            Some(&token),
            json!({"values": {"association_score": 70}, "version": 3}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let queue = get(&app, "/review?lang=en", &cookie).await;
    assert_eq!(count(&queue, "count-reviewed"), 1);
    assert_eq!(count(&queue, "count-waiting"), 2);
}

async fn the_second_of_two_reviewers_saving_one_file_is_told_someone_else_changed_it(app: TestApp) {
    round_in_review(&app, 2, &["P-0001"]).await;
    let first = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let second = sign_in(&app, "rev.two", "rev.two-password-1400").await;
    let page_1 = get(&app, "/review/1400-2/P-0001", &first).await;
    let page_2 = get(&app, "/review/1400-2/P-0001", &second).await;
    assert_eq!(hidden(&page_1, "version"), hidden(&page_2, "version"));
    let saved = post(
        &app,
        "/review/1400-2/P-0001/region-values",
        &first,
        &[
            ("csrf", &page_1.csrf()),
            ("version", &hidden(&page_1, "version")),
            ("region.association_score", "۷۰"),
        ],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let late = post(
        &app,
        "/review/1400-2/P-0001/region-values",
        &second,
        &[
            ("csrf", &page_2.csrf()),
            ("version", &hidden(&page_2, "version")),
            ("region.association_score", "80"),
        ],
    )
    .await;
    assert_eq!(late.status, 409, "{}", late.html);
    assert!(late.html.contains("id=\"conflict\""), "{}", late.html);
    assert!(
        late.html
            .contains("href=\"/review/1400-2/P-0001\" id=\"reload\"")
    );
    assert!(
        late.html.contains("value=\"80\""),
        "the typed value is kept"
    );
    let d = app
        .store
        .declaration(rid("1400-2"), &oid("P-0001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.region_values["association_score"], json!(70));

    // A referral and an acceptance from the stale page are refused alike, and so is the API's
    // referral at a stale version.
    for (path, extra) in [
        (
            "referral",
            vec![("refer.area_m2", "1"), ("note.area_m2", "x")],
        ),
        ("acceptance", vec![]),
    ] {
        let mut form = vec![
            ("csrf", page_2.csrf()),
            ("version", hidden(&page_2, "version")),
        ];
        form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let stale = post(
            &app,
            &format!("/review/1400-2/P-0001/{path}"),
            &second,
            &form,
        )
        .await;
        assert_eq!(stale.status, 409, "{path}: {}", stale.html);
    }
    let token = app.login("rev.two", "rev.two-password-1400").await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0001/referral",
            Some(&token),
            json!({"reasons": {"area_m2": "x"}, "version": 2}),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{b}"
    );
    let d = app
        .store
        .declaration(rid("1400-2"), &oid("P-0001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.status.as_str(), "submitted");
}

async fn a_reviewer_never_sees_another_regions_file_and_an_office_holder_no_queue(app: TestApp) {
    let offices = round_in_review(&app, 4, &["P-0001", "P-0002"]).await;
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let hidden_file = get(&app, "/review/1400-2/P-0002", &cookie).await;
    let missing = get(&app, "/review/1400-2/P-9999", &cookie).await;
    assert_eq!(hidden_file.status, 404, "{}", hidden_file.html);
    let main = |p: &Page| p.html[p.html.find("<main").unwrap()..].to_string();
    assert_eq!(
        main(&hidden_file),
        main(&missing),
        "another region's file reads as missing"
    );
    let page = get(&app, "/review/1400-2/P-0002", &cookie).await;
    let form = [
        ("csrf", page.csrf()),
        ("version", "2".to_string()),
        ("region.association_score", "70".to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let write = post(&app, "/review/1400-2/P-0002/region-values", &cookie, &form).await;
    assert_eq!(write.status, 404, "{}", write.html);
    let east = sign_in(&app, "rev.east", "rev.east-password-1400").await;
    assert_eq!(get(&app, "/review/1400-2/P-0002", &east).await.status, 200);
    let queue = get(&app, "/review", &east).await;
    assert_eq!(listed(&queue), ["P-0002", "P-0004"]);
    // The regulator reads any region's file, without the forms.
    let regulator = sign_in(&app, "regulator.x", "regulator.x-password-1400").await;
    let read = get(&app, "/review/1400-2/P-0002", &regulator).await;
    assert_eq!(read.status, 200, "{}", read.html);
    assert!(!read.html.contains("id=\"region-form\""));
    let code = &offices[0].1;
    let holder = sign_in(&app, code, code).await;
    assert_eq!(get(&app, "/review", &holder).await.status, 403);
    assert_eq!(
        get(&app, "/review/1400-2/P-0001", &holder).await.status,
        403
    );
}

async fn an_objection_is_decided_on_the_objections_page_with_a_new_value(app: TestApp) {
    let offices = round_in_review(&app, 4, &["P-0001", "P-0003"]).await;
    app.at("1400/02/16 10:00");
    let regulator = app.login("regulator.x", "regulator.x-password-1400").await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    app.at("1400/02/18 11:00");
    for (i, text) in [
        (0, "our area is 120 m², see the new lease"),
        (2, "the association score is too low"),
    ] {
        let code = &offices[i].1;
        let t = app.login(code, code).await;
        let (s, b) = app
            .post(
                "/v1/rounds/1400-2/objection",
                Some(&t),
                json!({"text": text, "criteria": ["area"]}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let cookie = sign_in(&app, REVIEWER.0, REVIEWER.1).await;
    let home = get(&app, "/", &cookie).await;
    assert!(
        home.html.contains("id=\"objections-link\""),
        "{}",
        home.html
    );
    let page = get(&app, "/review/objections", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("our area is 120 m², see the new lease"));
    assert!(page.html.contains("id=\"decide-P-0001\""));

    // A rejection without a reason is told beside the field; nothing is decided.
    let refused = post(
        &app,
        "/review/1400-2/P-0003/objection",
        &cookie,
        &[
            ("csrf", &page.csrf()),
            ("version", "1"),
            ("decision", "rejected"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains("href=\"#reason-P-0003\""),
        "{}",
        refused.html
    );

    let decided = post(
        &app,
        "/review/1400-2/P-0001/objection",
        &cookie,
        &[
            ("csrf", &page.csrf()),
            ("version", "1"),
            ("decision", "accepted"),
            ("input", "area_m2"),
            ("value", "۱۲۰"),
            ("reason", "اجاره‌نامه تازه بررسی شد"),
        ],
    )
    .await;
    assert_eq!(decided.status, 303, "{}", decided.html);
    let token = reviewer_token(&app).await;
    let (s, b) = app.get("/v1/rounds/1400-2/objections", Some(&token)).await;
    assert_eq!(s, 200, "{b}");
    let by_office = |id: &str| -> Value {
        b["objections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["office_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{b}"))
    };
    let first = by_office("P-0001");
    assert_eq!(first["status"], "accepted", "{first}");
    assert_eq!(first["corrections"]["area_m2"], json!(120), "{first}");
    assert_eq!(by_office("P-0003")["status"], "pending");
    let after = get(&app, "/review/objections?lang=en", &cookie).await;
    assert!(!after.html.contains("id=\"decide-P-0001\""), "decided once");
    assert!(after.html.contains("id=\"decide-P-0003\""));
    // The same decision again, from the page read before, is refused.
    let again = post(
        &app,
        "/review/1400-2/P-0001/objection",
        &cookie,
        &[
            ("csrf", &page.csrf()),
            ("version", "1"),
            ("decision", "rejected"),
            ("reason", "x"),
        ],
    )
    .await;
    assert!(matches!(again.status, 409 | 422), "{}", again.status);
}
