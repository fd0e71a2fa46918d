//! The office holder's file, result and objection pages over HTTP: the status timeline as the file
//! moves through a round, the result beside the API's numbers, the objection form (its inline
//! errors, its window) and the region's decision shown back.

use arzyab::domain::digits::{to_persian_digits, to_persian_number};
use arzyab::domain::{Fixed, JalaliDate};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, oid, registry_csv, rid};
use crate::page_client::{Page, get, post, sign_in};

both_backends!(spawn_unthrottled =>
    the_timeline_shows_each_step_as_the_file_moves_from_submission_to_the_final_ranks,
    the_result_page_shows_the_apis_numbers_for_the_office_and_only_its_own,
    before_publication_the_result_page_says_when_results_come,
    an_objection_with_an_empty_claim_shows_the_error_beside_the_field_and_stores_nothing,
    an_objection_after_its_window_is_refused_on_the_page_with_the_windows_dates,
    the_home_page_links_the_file_the_result_and_the_objection_by_phase,
    an_accepted_objection_shows_the_final_result_and_what_changed_from_the_first,
    an_office_that_did_not_file_reads_so_on_its_timeline_and_its_result,
);

/// One office's declared values: `i` varies the total.
fn office_values(i: usize) -> Value {
    let location = ["city_center", "urban", "suburban", "village"][i % 4];
    json!({
        "area_m2": 20 + 15 * i,
        "staff_count": 1 + i % 6,
        "insured_staff": i % 5,
        "disabled_staff": 0,
        "location_type": location,
        "step_free_access": i.is_multiple_of(2),
        "years_active": 2 + i,
    })
}

/// Imports `n` offices (regions 1 and 2 alternately); their license ids, codes and regions.
async fn offices(app: &TestApp, n: usize) -> Vec<(String, String, u8)> {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(n);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    offices
}

/// Office `i` saves and submits its declaration through the API.
async fn declare(app: &TestApp, offices: &[(String, String, u8)], i: usize) {
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

/// The regions record their values on every office (during the review).
async fn review(app: &TestApp, offices: &[(String, String, u8)]) {
    for (i, o) in offices.iter().enumerate() {
        let name = ["rev.one", "rev.two"][o.2 as usize - 1];
        let reviewer = app.login(name, &format!("{name}-password-1400")).await;
        let path = format!("/v1/rounds/1400-2/files/{}", o.0);
        let (s, file) = app.get(&path, Some(&reviewer)).await;
        assert_eq!(s, 200, "{file}");
        let mut values =
            json!({"association_score": 40 + 9 * i, "satisfaction_percent": 60 + 7 * i});
        if i == 1 {
            values["violations"] =
                json!([{"kind": "overcharging", "date": "1400/01/30", "note": "بازرسی میدانی"}]);
        }
        let (s, b) = app
            .put(
                &format!("{path}/region-values"),
                Some(&reviewer),
                json!({"values": values, "version": file["declaration"]["version"]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

/// Creates the reviewers of regions 1 and 2 and the regulator.
async fn staff(app: &TestApp) {
    let admin = app.admin().await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    app.staff(&admin, "regulator.x", "regulator", None).await;
}

async fn regulator(app: &TestApp) -> String {
    app.login("regulator.x", "regulator.x-password-1400").await
}

/// `n` offices declared and reviewed, the round published on 1400/02/17 10:00.
async fn published(app: &TestApp, n: usize) -> Vec<(String, String, u8)> {
    let offices = offices(app, n).await;
    for i in 0..n {
        declare(app, &offices, i).await;
    }
    staff(app).await;
    app.at("1400/02/06 09:00");
    review(app, &offices).await;
    app.at("1400/02/17 10:00");
    let (s, p) = app
        .post(
            "/v1/rounds/1400-2/publish",
            Some(&regulator(app).await),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    offices
}

/// The `<li>` of a timeline step.
fn step<'a>(page: &'a Page, id: &str) -> &'a str {
    let html = &page.html;
    let at = html
        .find(&format!("id=\"step-{id}\""))
        .unwrap_or_else(|| panic!("no step {id} in {html}"));
    let start = html[..at].rfind("<li").unwrap();
    let end = at + html[at..].find("</li>").unwrap();
    &html[start..end]
}

/// The text of the element with `id` up to its first child tag.
fn text_of<'a>(page: &'a Page, id: &str) -> &'a str {
    let html = &page.html;
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let open = at + html[at..].find('>').unwrap() + 1;
    let close = open + html[open..].find('<').unwrap();
    html[open..close].trim()
}

/// The HTML of the element with `id` up to the end of its paragraph.
fn element<'a>(page: &'a Page, id: &str) -> &'a str {
    let html = &page.html;
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    &html[at..at + html[at..].find("</p>").unwrap()]
}

/// Which step the timeline marks as the current one.
fn current_step(page: &Page) -> String {
    let html = &page.html;
    let at = html
        .find("aria-current=\"step\"")
        .unwrap_or_else(|| panic!("no current step in {html}"));
    let li = html[..at].rfind("<li").unwrap();
    let id = li + html[li..].find("id=\"step-").unwrap() + 9;
    html[id..id + html[id..].find('"').unwrap()].to_string()
}

async fn the_timeline_shows_each_step_as_the_file_moves_from_submission_to_the_final_ranks(
    app: TestApp,
) {
    let offices = offices(&app, 2).await;
    let code = offices[0].1.clone();
    staff(&app).await;

    // Nothing filed yet: no step has happened, the submission carries its deadline.
    let cookie = sign_in(&app, &code, &code).await;
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(file.status, 200, "{}", file.html);
    assert!(
        !file.html.contains("aria-current=\"step\""),
        "{}",
        file.html
    );
    let submitted = step(&file, "submitted");
    assert!(submitted.contains("step-ahead"), "{submitted}");
    let last_day = JalaliDate::new(1400, 2, 5).unwrap().long_fa();
    assert!(
        submitted.contains(&format!("تا پایان {last_day}")),
        "the self-declaration runs to the end of 5 Ordibehesht: {submitted}"
    );

    // Submitted: that step is the current one, with its Jalali date and time in Persian digits.
    declare(&app, &offices, 0).await;
    declare(&app, &offices, 1).await;
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "submitted");
    let submitted = step(&file, "submitted");
    let day = JalaliDate::new(1400, 1, 20).unwrap().long_fa();
    assert!(
        submitted.contains(&format!("{day}، ساعت ۰۹:۰۰")),
        "{submitted}"
    );

    // The review opens: under review.
    app.at("1400/02/06 10:00");
    let cookie = sign_in(&app, &code, &code).await;
    assert_eq!(
        current_step(&get(&app, "/file", &cookie).await),
        "under_review"
    );

    // Referred, with the reviewer's note beside the input's label and the correction deadline.
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, referral) = app
        .post(
            &format!("/v1/rounds/1400-2/files/{}/referral", offices[0].0),
            Some(&reviewer),
            json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{referral}");
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "referred");
    let referred = step(&file, "referred");
    assert!(referred.contains("مساحت مفید دفتر"), "{referred}");
    assert!(referred.contains("the lease says 40 m²"), "{referred}");
    let deadline = arzyab::store::from_millis(
        app.store
            .referrals(rid("1400-2"), &oid(&offices[0].0))
            .await
            .unwrap()[0]
            .deadline_at,
    );
    // Five days to correct: to the end of the day before the instant it closes (midnight).
    let last_day = JalaliDate::of_instant(deadline).add_days(-1).long_fa();
    assert!(
        referred.contains(&format!("تا پایان {last_day}")),
        "{referred}"
    );
    assert!(step(&file, "corrected").contains("step-ahead"));

    // Corrected and resubmitted two days later; the first submission keeps its own date.
    app.at("1400/02/08 11:30");
    let holder = app.login(&code, &code).await;
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&holder),
            json!({"values": {"area_m2": 40}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/declaration/submit",
            Some(&holder),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let cookie = sign_in(&app, &code, &code).await;
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "corrected");
    let corrected = step(&file, "corrected");
    let day = JalaliDate::new(1400, 2, 8).unwrap().long_fa();
    assert!(
        corrected.contains(&format!("{day}، ساعت ۱۱:۳۰")),
        "{corrected}"
    );
    assert!(step(&file, "submitted").contains(&JalaliDate::new(1400, 1, 20).unwrap().long_fa()));

    // Published.
    review(&app, &offices).await;
    app.at("1400/02/17 10:00");
    let (s, p) = app
        .post(
            "/v1/rounds/1400-2/publish",
            Some(&regulator(&app).await),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let cookie = sign_in(&app, &code, &code).await;
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "published");
    assert!(step(&file, "objection_filed").contains("step-ahead"));

    // Objection filed on the page: the confirmation says when the region decides.
    app.at("1400/02/18 09:15");
    let cookie = sign_in(&app, &code, &code).await;
    let form = get(&app, "/objection", &cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let filed = post(
        &app,
        "/objection",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("criteria", "association"),
            ("text", "امتیاز انجمن کمتر از امتیاز کارنامهٔ ما ثبت شده است"),
        ],
    )
    .await;
    assert_eq!(filed.status, 303, "{}", filed.html);
    let confirmation = get(&app, "/objection/filed", &cookie).await;
    assert_eq!(confirmation.status, 200, "{}", confirmation.html);
    let final_last = app.last_day("1400-2", "final").await;
    assert!(
        text_of(&confirmation, "decides-by").contains(&final_last.long_fa()),
        "{}",
        confirmation.html
    );
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "objection_filed");
    let results = get(&app, "/results", &cookie).await;
    assert_eq!(
        text_of(&results, "objection-text"),
        "امتیاز انجمن کمتر از امتیاز کارنامهٔ ما ثبت شده است"
    );
    assert!(
        element(&results, "objection-status").contains("در انتظار تصمیم منطقه"),
        "{}",
        results.html
    );

    // The region decides: the decision and its reason on the timeline and the result page.
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/objections/{}", offices[0].0),
            Some(&reviewer),
            json!({"decision": "rejected", "reason": "کارنامهٔ انجمن همین امتیاز را تأیید می‌کند", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "objection_decided");
    let decided = step(&file, "objection_decided");
    assert!(decided.contains("اعتراض رد شد"), "{decided}");
    assert!(
        decided.contains("کارنامهٔ انجمن همین امتیاز را تأیید می‌کند"),
        "{decided}"
    );
    let results = get(&app, "/results", &cookie).await;
    assert!(results.html.contains("اعتراض رد شد"), "{}", results.html);
    assert_eq!(
        text_of(&results, "objection-reason"),
        "دلیل منطقه: کارنامهٔ انجمن همین امتیاز را تأیید می‌کند"
    );

    // Final ranks: the last step, and the result page compares them with the first result.
    app.at("1400/03/03 23:00");
    let (s, f) = app
        .post(
            "/v1/rounds/1400-2/finalize",
            Some(&regulator(&app).await),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{f}");
    let cookie = sign_in(&app, &code, &code).await;
    let file = get(&app, "/file", &cookie).await;
    assert_eq!(current_step(&file), "final");
    let results = get(&app, "/results", &cookie).await;
    assert!(results.html.contains("id=\"changes\""), "{}", results.html);
    assert!(
        text_of(&results, "stage").starts_with("رتبهٔ نهایی"),
        "{}",
        results.html
    );
}

/// The number a page writes for a decimal the API sent.
fn fa(n: &Value) -> String {
    let f: Fixed = serde_json::from_value(n.clone()).unwrap_or_else(|e| panic!("{n}: {e}"));
    to_persian_number(&f.to_string())
}

async fn the_result_page_shows_the_apis_numbers_for_the_office_and_only_its_own(app: TestApp) {
    let offices = published(&app, 4).await;
    let (s, list) = app
        .get("/v1/rounds/1400-2/results", Some(&regulator(&app).await))
        .await;
    assert_eq!(s, 200, "{list}");
    let rows = list["results"].as_array().unwrap();
    let mut totals = Vec::new();
    let mut penalised = Vec::new();
    for o in &offices {
        let row = rows.iter().find(|r| r["office"] == o.0.as_str()).unwrap();
        let cookie = sign_in(&app, &o.1, &o.1).await;
        let page = get(&app, "/results", &cookie).await;
        assert_eq!(page.status, 200, "{}", page.html);
        assert_eq!(text_of(&page, "total"), fa(&row["total"]), "{}", o.0);
        assert_eq!(
            text_of(&page, "grade"),
            format!("رتبهٔ {}", to_persian_digits(&row["grade"].to_string()))
        );
        for (scope, position) in row["positions"].as_object().unwrap() {
            assert!(
                text_of(&page, &format!("position-{scope}"))
                    .starts_with(&format!("{} از", to_persian_digits(&position.to_string()))),
                "{scope}: {}",
                page.html
            );
        }
        assert_eq!(
            text_of(&page, "service-share"),
            format!("{}٪", fa(&row["service_share_percent"]))
        );
        let holder = app.login(&o.1, &o.1).await;
        let (s, services) = app.get("/v1/rounds/1400-2/services", Some(&holder)).await;
        assert_eq!(s, 200, "{services}");
        assert_eq!(
            text_of(&page, "service-share"),
            format!("{}٪", fa(&services["services"][0]["service_share_percent"]))
        );
        let next = text_of(&page, "to-next-grade");
        match row["to_next_grade"].is_null() {
            true => assert_eq!(next, "شما در بهترین رتبه هستید.", "{}", page.html),
            false => assert!(next.contains(&fa(&row["to_next_grade"])), "{next}"),
        }
        // Each criterion's points and why, from the same document the API serves.
        let (_, mine) = app
            .get("/v1/rounds/1400-2/results/mine", Some(&holder))
            .await;
        for c in mine["result"]["explanation"]["criteria"]
            .as_array()
            .unwrap()
        {
            let id = c["id"].as_str().unwrap();
            let at = page
                .html
                .find(&format!("id=\"criterion-{id}\""))
                .unwrap_or_else(|| panic!("no criterion {id}"));
            let row = &page.html[at..at + page.html[at..].find("</tr>").unwrap()];
            assert!(row.contains(c["label"]["fa"].as_str().unwrap()), "{row}");
            assert!(row.contains(&fa(&c["contribution"])), "{row}");
        }
        // Penalties with their kind and date, as the explanation counted them.
        for p in mine["result"]["explanation"]["penalties"]
            .as_array()
            .unwrap()
        {
            let id = p["id"].as_str().unwrap();
            let at = page.html.find(&format!("id=\"penalty-{id}\"")).unwrap();
            let line = &page.html[at..at + page.html[at..].find("</li>\n").unwrap()];
            assert!(line.contains(p["label"]["fa"].as_str().unwrap()), "{line}");
            for v in p["violations"].as_array().unwrap() {
                let day = JalaliDate::parse(v["date"].as_str().unwrap()).unwrap();
                assert!(line.contains(&day.long_fa()), "{line}");
                assert!(line.contains(&fa(&v["points"])), "{line}");
            }
            penalised.push(o.0.clone());
        }
        totals.push(text_of(&page, "total").to_string());
        // In English, left to right with Latin digits.
        let en = get(&app, "/results?lang=en", &cookie).await;
        assert!(en.html.contains("dir=\"ltr\""), "{}", en.html);
        let total: Fixed = serde_json::from_value(row["total"].clone()).unwrap();
        assert_eq!(text_of(&en, "total"), total.to_string());
        assert_eq!(text_of(&en, "grade"), format!("grade {}", row["grade"]));
    }
    // Each office reads its own result: the pages differ as the API's totals do.
    let distinct: std::collections::BTreeSet<_> = totals.iter().collect();
    assert!(distinct.len() > 1, "{totals:?}");
    assert_eq!(
        penalised,
        [offices[1].0.clone()],
        "office 2's violation is shown"
    );

    // A round named in the path: the same result; a round that is not live is not found.
    let cookie = sign_in(&app, &offices[0].1, &offices[0].1).await;
    let named = get(&app, "/round/1400-2/results", &cookie).await;
    assert_eq!(named.status, 200, "{}", named.html);
    assert_eq!(text_of(&named, "total"), totals[0]);
    assert_eq!(get(&app, "/round/1400-2/file", &cookie).await.status, 200);
    for path in [
        "/round/1399-1/results",
        "/round/1399-1/file",
        "/round/nonsense/results",
    ] {
        let missing = get(&app, path, &cookie).await;
        assert_eq!(missing.status, 404, "{path}: {}", missing.html);
        assert!(missing.html.contains("id=\"problem\""), "{path}");
    }

    // No other role reads an office's result or file on these pages.
    let reviewer = sign_in(&app, "rev.one", "rev.one-password-1400").await;
    for path in ["/results", "/file", "/objection"] {
        let page = get(&app, path, &reviewer).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.html.contains("این صفحه برای نقش شما نیست"), "{path}");
        assert!(!page.html.contains("id=\"total\""), "{path}");
    }
    // Nobody signed in is sent to sign in.
    let anonymous = get(&app, "/results", "").await;
    assert_eq!(anonymous.status, 303);
}

async fn before_publication_the_result_page_says_when_results_come(app: TestApp) {
    let offices = offices(&app, 1).await;
    let cookie = sign_in(&app, &offices[0].1, &offices[0].1).await;
    let page = get(&app, "/results", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(!page.html.contains("id=\"total\""));
    let (_, round) = app.get("/v1/rounds/1400-2", None).await;
    let publication = round["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == "publication")
        .unwrap()
        .clone();
    let first = JalaliDate::parse(publication["first_day"].as_str().unwrap()).unwrap();
    let expected = page
        .html
        .split("id=\"results-expected\"")
        .nth(1)
        .unwrap()
        .split("</p>")
        .next()
        .unwrap();
    assert!(expected.contains(&first.long_fa()), "{expected}");
    // No objection form before there is a result.
    let form = get(&app, "/objection", &cookie).await;
    assert_eq!(form.status, 200);
    assert!(!form.html.contains("name=\"text\""), "{}", form.html);
}

async fn an_objection_with_an_empty_claim_shows_the_error_beside_the_field_and_stores_nothing(
    app: TestApp,
) {
    let offices = published(&app, 2).await;
    let code = &offices[0].1;
    let cookie = sign_in(&app, code, code).await;
    let form = get(&app, "/objection", &cookie).await;
    assert!(form.html.contains("name=\"text\""), "{}", form.html);
    let page = post(
        &app,
        "/objection",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("criteria", "association"),
            ("text", "   "),
        ],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("id=\"error-summary\""));
    assert!(page.html.contains("href=\"#text\""), "{}", page.html);
    assert!(text_of(&page, "text-error").contains("متن اعتراض را بنویسید"));
    // What was chosen stays chosen.
    assert!(
        page.html
            .contains("value=\"association\" id=\"criteria-association\" checked"),
        "{}",
        page.html
    );
    assert_eq!(
        app.store
            .objection(rid("1400-2"), &oid(&offices[0].0))
            .await
            .unwrap(),
        None
    );
    // A form without its token is refused and stores nothing either.
    let forged = post(
        &app,
        "/objection",
        &cookie,
        &[
            ("csrf", &"f".repeat(64)),
            ("criteria", "association"),
            ("text", "امتیاز انجمن کمتر از کارنامهٔ ما است"),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(
        app.store
            .objection(rid("1400-2"), &oid(&offices[0].0))
            .await
            .unwrap(),
        None
    );
}

async fn an_objection_after_its_window_is_refused_on_the_page_with_the_windows_dates(app: TestApp) {
    let offices = published(&app, 2).await;
    let code = &offices[0].1;
    // Published on 02/17: objections run to the end of 02/24.
    app.at("1400/02/25 08:00");
    let cookie = sign_in(&app, code, code).await;
    let form = get(&app, "/objection", &cookie).await;
    assert_eq!(form.status, 200);
    assert!(!form.html.contains("name=\"text\""), "{}", form.html);
    let window = text_of(&form, "objection-window");
    assert!(
        window.contains(&JalaliDate::new(1400, 2, 17).unwrap().long_fa())
            && window.contains(&JalaliDate::new(1400, 2, 24).unwrap().long_fa()),
        "{window}"
    );
    let refused = post(
        &app,
        "/objection",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("criteria", "association"),
            ("text", "امتیاز انجمن کمتر از کارنامهٔ ما است"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused
            .html
            .contains(&JalaliDate::new(1400, 2, 24).unwrap().long_fa()),
        "{}",
        refused.html
    );
    assert_eq!(
        app.store
            .objection(rid("1400-2"), &oid(&offices[0].0))
            .await
            .unwrap(),
        None
    );
    let results = get(&app, "/results", &cookie).await;
    assert!(
        results.html.contains("id=\"objection-closed\""),
        "{}",
        results.html
    );
    assert!(!results.html.contains("id=\"object-link\""));
}

async fn the_home_page_links_the_file_the_result_and_the_objection_by_phase(app: TestApp) {
    let offices = offices(&app, 2).await;
    let code = offices[0].1.clone();
    let cookie = sign_in(&app, &code, &code).await;
    let home = get(&app, "/", &cookie).await;
    assert!(home.html.contains("id=\"link-file\""), "{}", home.html);
    assert_eq!(text_of(&home, "link-results"), "زمان اعلام نتایج");
    assert!(!home.html.contains("id=\"link-objection\""));

    for i in 0..2 {
        declare(&app, &offices, i).await;
    }
    staff(&app).await;
    app.at("1400/02/06 09:00");
    review(&app, &offices).await;
    app.at("1400/02/17 10:00");
    let (s, p) = app
        .post(
            "/v1/rounds/1400-2/publish",
            Some(&regulator(&app).await),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let cookie = sign_in(&app, &code, &code).await;
    let home = get(&app, "/", &cookie).await;
    assert_eq!(text_of(&home, "link-results"), "نتیجهٔ ارزیابی");
    assert!(home.html.contains("id=\"link-objection\""), "{}", home.html);
    let results = get(&app, "/results", &cookie).await;
    assert!(
        results.html.contains("id=\"object-link\""),
        "{}",
        results.html
    );
}

async fn an_accepted_objection_shows_the_final_result_and_what_changed_from_the_first(
    app: TestApp,
) {
    let offices = published(&app, 2).await;
    let code = &offices[0].1;
    let cookie = sign_in(&app, code, code).await;
    let form = get(&app, "/objection", &cookie).await;
    let filed = post(
        &app,
        "/objection",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("criteria", "association"),
            ("text", "امتیاز انجمن کمتر از کارنامهٔ ما ثبت شده است"),
        ],
    )
    .await;
    assert_eq!(filed.status, 303, "{}", filed.html);
    // The page and the API file the same objection.
    let holder = app.login(code, code).await;
    let (_, mine) = app
        .get("/v1/rounds/1400-2/results/mine", Some(&holder))
        .await;
    assert_eq!(
        mine["objection"]["criteria"],
        json!(["association"]),
        "{mine}"
    );
    assert_eq!(mine["may_object"], json!(false));

    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/objections/{}", offices[0].0),
            Some(&reviewer),
            json!({"corrections": {"association_score": 100}, "decision": "accepted", "reason": "کارنامهٔ انجمن بازبینی شد", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.at("1400/03/03 23:00");
    let regulator = regulator(&app).await;
    let (s, f) = app
        .post("/v1/rounds/1400-2/finalize", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{f}");
    let row = |list: &Value| {
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["office"] == offices[0].0.as_str())
            .unwrap()
            .clone()
    };
    let (_, first) = app
        .get("/v1/rounds/1400-2/results?stage=first", Some(&regulator))
        .await;
    let (_, last) = app
        .get("/v1/rounds/1400-2/results?stage=final", Some(&regulator))
        .await;
    let (first, last) = (row(&first), row(&last));
    assert_ne!(
        first["total"], last["total"],
        "the correction changed the total"
    );

    let cookie = sign_in(&app, code, code).await;
    let page = get(&app, "/results", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(text_of(&page, "stage").starts_with("رتبهٔ نهایی"));
    assert_eq!(text_of(&page, "total"), fa(&last["total"]));
    let at = page.html.find("id=\"change-total\"").expect("what changed");
    let change = &page.html[at..at + page.html[at..].find("</tr>").unwrap()];
    assert!(
        change.find(&fa(&first["total"])).unwrap() < change.find(&fa(&last["total"])).unwrap(),
        "first, then final: {change}"
    );
    assert!(page.html.contains("اعتراض پذیرفته شد"), "{}", page.html);
    assert_eq!(
        text_of(&page, "objection-reason"),
        "دلیل منطقه: کارنامهٔ انجمن بازبینی شد"
    );
}

async fn an_office_that_did_not_file_reads_so_on_its_timeline_and_its_result(app: TestApp) {
    let offices = offices(&app, 3).await;
    declare(&app, &offices, 0).await;
    declare(&app, &offices, 1).await;
    staff(&app).await;
    app.at("1400/02/17 10:00");
    let (s, p) = app
        .post(
            "/v1/rounds/1400-2/publish",
            Some(&regulator(&app).await),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{p}");
    let code = &offices[2].1;
    let cookie = sign_in(&app, code, code).await;
    let file = get(&app, "/file", &cookie).await;
    let submitted = step(&file, "submitted");
    assert!(submitted.contains("step-skipped"), "{submitted}");
    assert!(
        submitted.contains("خوداظهاری در مهلت ثبت نهایی نشد"),
        "{submitted}"
    );
    assert!(step(&file, "under_review").contains("step-skipped"));
    assert_eq!(current_step(&file), "published");
    let results = get(&app, "/results", &cookie).await;
    assert!(
        results.html.contains("id=\"not-filed\""),
        "{}",
        results.html
    );
    assert_eq!(text_of(&results, "total"), "بدون امتیاز (خوداظهاری نکرده)");
    assert_eq!(text_of(&results, "grade"), "رتبهٔ ۳");
}
