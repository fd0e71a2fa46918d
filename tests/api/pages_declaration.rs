//! The office holder's declaration pages over HTTP, on both backends: the form built from the
//! live round's inputs (Persian digits, errors beside the field and in the summary, drafts), check
//! your answers, submission and confirmation, corrections after a referral, the form following a
//! rule file edited on disk, and the change-password page.

use std::time::{Duration, Instant};

use arzyab::domain::JalaliDate;
use arzyab::domain::digits::to_persian_digits;
use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::page_client::{Page, get, post, sign_in};

both_backends!(
    the_form_is_the_rounds_office_inputs_and_takes_persian_digits_into_a_kept_draft,
    a_bad_value_is_told_beside_its_field_and_in_the_summary_and_nothing_is_stored,
    a_form_read_before_another_save_is_refused_rather_than_overwriting_it,
    submitting_without_the_required_answers_names_each_on_the_check_page_and_files_nothing,
    continue_shows_check_your_answers_then_submit_confirms_with_the_review_window,
    last_rounds_values_are_prefilled_marked_and_carried_over_when_left_unchanged,
    after_a_referral_only_the_referred_field_opens_with_the_note_and_the_deadline,
    outside_the_window_the_form_is_read_only_and_names_the_window,
    the_inline_field_check_answers_the_fields_error_and_stores_nothing,
    the_password_page_refuses_a_wrong_current_password_and_keeps_this_session_after_a_change,
);

both_backends!(spawn_watching =>
    a_relabelled_input_and_a_new_office_input_show_on_the_next_page_load,
);

/// One office holder signed in on the pages: national code and session cookie.
async fn office(app: &TestApp) -> (String, String) {
    let offices = crate::idempotency::offices(app).await;
    let code = offices[0].1.clone();
    let cookie = sign_in(app, &code, &code).await;
    (code, cookie)
}

/// The value of the hidden `version` field.
fn version(page: &Page) -> String {
    let at = page
        .html
        .find("name=\"version\" value=\"")
        .expect("a version field")
        + 22;
    let end = page.html[at..].find('"').unwrap();
    page.html[at..at + end].to_string()
}

/// The office's declaration as the API shows it.
async fn api_declaration(app: &TestApp, code: &str) -> serde_json::Value {
    api_declaration_of(app, code, "1400-2").await
}

/// The office's declaration of `round` as the API shows it.
async fn api_declaration_of(app: &TestApp, code: &str, round: &str) -> serde_json::Value {
    let token = app.login(code, code).await;
    let (s, body) = app
        .get(&format!("/v1/rounds/{round}/declaration"), Some(&token))
        .await;
    assert_eq!(s, 200, "{body}");
    body
}

/// Every office input of 1400-2, in Persian digits where it is a number.
fn persian_answers() -> Vec<(&'static str, String)> {
    vec![
        ("area_m2", "۵۵٫۵".to_string()),
        ("staff_count", to_persian_digits("4")),
        ("insured_staff", to_persian_digits("2")),
        ("disabled_staff", to_persian_digits("1")),
        ("location_type", "urban".to_string()),
        ("step_free_access", "true".to_string()),
        ("years_active", to_persian_digits("6")),
    ]
}

async fn post_form(
    app: &TestApp,
    cookie: &str,
    form: &Page,
    action: &str,
    answers: &[(&str, String)],
) -> Page {
    let csrf = form.csrf();
    let version = version(form);
    let mut fields: Vec<(&str, &str)> =
        vec![("csrf", &csrf), ("version", &version), ("action", action)];
    fields.extend(answers.iter().map(|(k, v)| (*k, v.as_str())));
    post(app, "/declaration", cookie, &fields).await
}

async fn the_form_is_the_rounds_office_inputs_and_takes_persian_digits_into_a_kept_draft(
    app: TestApp,
) {
    let (code, cookie) = office(&app).await;
    let home = get(&app, "/", &cookie).await;
    assert!(
        home.html.contains("href=\"/declaration\""),
        "the home page links to the declaration: {}",
        home.html
    );
    assert!(home.html.contains("id=\"next-step\""), "{}", home.html);

    let form = get(&app, "/declaration", &cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let rs = app.rules.get(crate::helpers::rid("1400-2")).unwrap();
    for input in &rs.inputs {
        let editable = format!("name=\"{}\"", input.name);
        match input.supplied_by {
            arzyab::rules::model::Supplier::Office => {
                assert!(form.html.contains(&input.label.fa), "{}", input.name);
                assert!(
                    form.html.contains(&editable),
                    "{}: {}",
                    input.name,
                    form.html
                );
            }
            _ => assert!(
                !form.html.contains(&editable),
                "{} is not the office's to fill",
                input.name
            ),
        }
    }
    // The unit and range come from the rule file, in Persian digits.
    assert!(form.html.contains("متر مربع"), "{}", form.html);
    assert!(form.html.contains("از ۰ تا ۵۰۰۰"), "{}", form.html);

    let saved = post_form(&app, &cookie, &form, "save", &persian_answers()).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let again = get(&app, "/declaration?saved=1", &cookie).await;
    assert!(again.html.contains("id=\"saved\""), "{}", again.html);
    assert!(
        again.html.contains("value=\"۵۵.۵\"") && again.html.contains("value=\"۴\""),
        "the draft's values are shown again: {}",
        again.html
    );
    assert!(
        again.html.contains(
            "id=\"location_type-1\" name=\"location_type\" type=\"radio\" value=\"urban\" checked"
        ),
        "{}",
        again.html
    );
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["status"], "draft");
    assert_eq!(api["values"]["area_m2"], json!(55.5));
    assert_eq!(api["values"]["staff_count"], json!(4));
    assert_eq!(api["values"]["step_free_access"], json!(true));
    assert_eq!(api["values"]["location_type"], json!("urban"));

    // In English, the same form, left to right.
    let en = get(&app, "/declaration?lang=en", &cookie).await;
    assert!(en.html.contains("dir=\"ltr\""), "{}", en.html);
    assert!(en.html.contains("Usable office area"), "{}", en.html);
    assert!(en.html.contains("value=\"55.5\""), "{}", en.html);
}

async fn a_bad_value_is_told_beside_its_field_and_in_the_summary_and_nothing_is_stored(
    app: TestApp,
) {
    let (code, cookie) = office(&app).await;
    let form = get(&app, "/declaration", &cookie).await;
    let mut answers = persian_answers();
    answers[0].1 = to_persian_digits("9999");
    answers[1].1 = "چهار".to_string();
    let refused = post_form(&app, &cookie, &form, "save", &answers).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    let html = &refused.html;
    assert!(html.contains("id=\"error-summary\""), "{html}");
    assert!(html.contains("<a href=\"#area_m2\">"), "{html}");
    assert!(html.contains("<a href=\"#staff_count\">"), "{html}");
    assert!(html.contains("id=\"area_m2-error\""), "{html}");
    assert!(html.contains("id=\"staff_count-error\""), "{html}");
    assert!(
        html.contains("value=\"۹۹۹۹\"") && html.contains("value=\"چهار\""),
        "what was typed is kept: {html}"
    );
    // The message is the API's: the same check, in Persian.
    let token = app.login(&code, &code).await;
    let (s, api_refusal) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&token),
            json!({"values": {"area_m2": 9999}}),
        )
        .await;
    assert_eq!(s, 422);
    let message = api_refusal.to_string();
    let fa = api_refusal["error"]["details"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["field"] == "area_m2"))
        .and_then(|d| d["message"]["fa"].as_str())
        .unwrap_or_else(|| panic!("a Persian message for area_m2: {message}"));
    assert!(html.contains(fa), "{fa} in {html}");
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["status"], "not_started", "{api}");
    assert_eq!(api["version"], 0);
}

async fn continue_shows_check_your_answers_then_submit_confirms_with_the_review_window(
    app: TestApp,
) {
    let (code, cookie) = office(&app).await;
    let form = get(&app, "/declaration", &cookie).await;
    let next = post_form(&app, &cookie, &form, "continue", &persian_answers()).await;
    assert_eq!(next.status, 303, "{}", next.html);
    let check = get(&app, "/declaration/check", &cookie).await;
    assert_eq!(check.status, 200);
    assert!(check.html.contains("id=\"answers\""), "{}", check.html);
    assert!(
        check
            .html
            .contains("href=\"/declaration#area_m2\" id=\"change-area_m2\""),
        "{}",
        check.html
    );
    assert!(check.html.contains("۵۵٫۵ متر مربع"), "{}", check.html);
    assert!(
        check.html.contains("شهری"),
        "the choice's label: {}",
        check.html
    );
    let check_en = get(&app, "/declaration/check?lang=en", &cookie).await;
    assert!(
        check_en.html.contains("Check your answers") && check_en.html.contains("55.5 m²"),
        "{}",
        check_en.html
    );
    assert!(check_en.html.contains("Urban"), "{}", check_en.html);
    let submitted = post(
        &app,
        "/declaration/submit",
        &cookie,
        &[("csrf", &check.csrf())],
    )
    .await;
    assert_eq!(submitted.status, 303, "{}", submitted.html);
    let done = get(&app, "/declaration/done", &cookie).await;
    assert_eq!(done.status, 200);
    assert!(done.html.contains("id=\"confirmation\""), "{}", done.html);
    let review_last = app.last_day("1400-2", "regional_review").await;
    assert!(
        done.html.contains(&review_last.long_fa()),
        "the review window's last day: {}",
        done.html
    );
    let done_en = get(&app, "/declaration/done?lang=en", &cookie).await;
    assert!(
        done_en.html.contains("What happens next") && done_en.html.contains(&review_last.long_en()),
        "{}",
        done_en.html
    );
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["status"], "submitted", "{api}");
    // Submitted, the form is read-only and the check page leads to the confirmation.
    let form = get(&app, "/declaration", &cookie).await;
    assert!(
        !form.html.contains("id=\"declaration-form\""),
        "{}",
        form.html
    );
    let check = get(&app, "/declaration/check", &cookie).await;
    assert_eq!(check.status, 303);
}

async fn after_a_referral_only_the_referred_field_opens_with_the_note_and_the_deadline(
    app: TestApp,
) {
    let offices = crate::idempotency::offices(&app).await;
    let code = offices[0].1.clone();
    crate::idempotency::file(&app, &code).await;
    let admin = app.admin().await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.at("1400/02/06 10:00");
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, b) = app
        .post(
            "/v1/rounds/1400-2/files/P-0001/referral",
            Some(&reviewer),
            json!({"reasons": {"area_m2": "سند اجاره ۴۰ متر مربع را نشان می‌دهد"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    app.at("1400/02/08 10:00");
    let cookie = sign_in(&app, &code, &code).await;
    let form = get(&app, "/declaration", &cookie).await;
    assert_eq!(form.status, 200);
    let html = &form.html;
    assert!(html.contains("name=\"area_m2\""), "{html}");
    assert!(
        !html.contains("name=\"staff_count\""),
        "a field not referred is read-only: {html}"
    );
    assert!(html.contains("id=\"staff_count-value\""), "{html}");
    assert!(html.contains("id=\"area_m2-note\""), "{html}");
    assert!(html.contains("سند اجاره ۴۰ متر مربع"), "{html}");
    let referral = &app
        .store
        .referrals(
            crate::helpers::rid("1400-2"),
            &crate::helpers::oid("P-0001"),
        )
        .await
        .unwrap()[0];
    let last =
        JalaliDate::of_instant(jiff::Timestamp::from_millisecond(referral.deadline_at).unwrap())
            .add_days(-1);
    assert!(html.contains(&last.long_fa()), "the deadline: {html}");

    // A forged change to a field not referred is refused by the command, nothing stored.
    let forged = post_form(
        &app,
        &cookie,
        &form,
        "save",
        &[("staff_count", "9".to_string())],
    )
    .await;
    assert_eq!(forged.status, 422, "{}", forged.html);
    assert!(
        forged.html.contains("<a href=\"#staff_count\">"),
        "{}",
        forged.html
    );
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["values"]["staff_count"], json!(4), "{api}");

    let corrected = post_form(
        &app,
        &cookie,
        &form,
        "continue",
        &[("area_m2", to_persian_digits("40"))],
    )
    .await;
    assert_eq!(corrected.status, 303, "{}", corrected.html);
    let check = get(&app, "/declaration/check", &cookie).await;
    assert!(check.html.contains("۴۰ متر مربع"), "{}", check.html);
    let sent = post(
        &app,
        "/declaration/submit",
        &cookie,
        &[("csrf", &check.csrf())],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["status"], "submitted", "{api}");
    assert_eq!(api["values"]["area_m2"], json!(40));
}

async fn outside_the_window_the_form_is_read_only_and_names_the_window(app: TestApp) {
    let (code, _) = office(&app).await;
    app.at("1400/02/10 10:00");
    let cookie = sign_in(&app, &code, &code).await;
    let closed = get(&app, "/declaration", &cookie).await;
    assert_eq!(closed.status, 200);
    assert!(
        !closed.html.contains("id=\"declaration-form\""),
        "{}",
        closed.html
    );
    let last = app.last_day("1400-2", "self_declaration").await;
    assert!(
        closed.html.contains(&last.long_fa()),
        "the window is named: {}",
        closed.html
    );
    // A form posted after the window closed: the API's refusal, nothing stored.
    let csrf = closed.csrf();
    let mut late: Vec<(&str, &str)> = vec![("csrf", &csrf), ("action", "save")];
    let answers = persian_answers();
    late.extend(answers.iter().map(|(k, v)| (*k, v.as_str())));
    let late = post(&app, "/declaration", &cookie, &late).await;
    assert_eq!(late.status, 422, "{}", late.html);
    assert!(late.html.contains("id=\"problem\""), "{}", late.html);
    assert!(late.html.contains(&last.long_fa()), "{}", late.html);
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["status"], "not_started");
}

async fn the_inline_field_check_answers_the_fields_error_and_stores_nothing(app: TestApp) {
    let (code, cookie) = office(&app).await;
    let form = get(&app, "/declaration", &cookie).await;
    assert!(
        form.html
            .contains("hx-post=\"/declaration/fields/area_m2\""),
        "{}",
        form.html
    );
    assert!(form.html.contains("/assets/htmx-2."), "{}", form.html);
    let bad = post(
        &app,
        "/declaration/fields/area_m2",
        &cookie,
        &[("csrf", &form.csrf()), ("area_m2", "۹۹۹۹۹")],
    )
    .await;
    assert_eq!(bad.status, 200);
    assert!(bad.html.contains("id=\"area_m2-error\""), "{}", bad.html);
    let good = post(
        &app,
        "/declaration/fields/area_m2",
        &cookie,
        &[("csrf", &form.csrf()), ("area_m2", "۱۲۰")],
    )
    .await;
    assert!(!good.html.contains("error"), "{}", good.html);
    let forged = post(
        &app,
        "/declaration/fields/area_m2",
        &cookie,
        &[("csrf", &"0".repeat(64)), ("area_m2", "۱۲۰")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["version"], 0, "{api}");
    let htmx = get(&app, "/assets/htmx-2.0.11.min.js", "").await;
    assert_eq!(htmx.status, 200);
    assert!(htmx.html.contains("htmx"));
}

async fn a_relabelled_input_and_a_new_office_input_show_on_the_next_page_load(app: TestApp) {
    let (_, cookie) = office(&app).await;
    let before = get(&app, "/declaration", &cookie).await;
    assert!(before.html.contains("مساحت مفید دفتر"), "{}", before.html);
    assert!(!before.html.contains("name=\"queue_screens\""));
    let inputs = app.rules_dir.join("1400-2/inputs.yaml");
    let text = std::fs::read_to_string(&inputs).unwrap();
    let text = text
        .replacen(
            "label: { fa: مساحت مفید دفتر, en: Usable office area }",
            "label: { fa: مساحت مفید سالن دفتر, en: Usable hall area }",
            1,
        )
        .replacen(
            "inputs:\n",
            "inputs:\n  queue_screens:\n    label: { fa: تعداد نمایشگرهای نوبت‌دهی, en: Queue display screens }\n    type: integer\n    range: [0, 20]\n    supplied_by: office\n    when_missing: { default: 0 }\n\n",
            1,
        );
    assert!(text.contains("مساحت مفید سالن دفتر") && text.contains("queue_screens"));
    std::fs::write(&inputs, text).unwrap();
    let start = Instant::now();
    let after = loop {
        let page = get(&app, "/declaration", &cookie).await;
        if page.html.contains("name=\"queue_screens\"") {
            break page;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the new input not shown within 10 s: {}",
            page.html
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        after.html.contains("مساحت مفید سالن دفتر"),
        "{}",
        after.html
    );
    assert!(
        after.html.contains("تعداد نمایشگرهای نوبت‌دهی"),
        "{}",
        after.html
    );
    assert!(after.html.contains("از ۰ تا ۲۰"), "{}", after.html);
    // The new input is saved like any other.
    let saved = post_form(
        &app,
        &cookie,
        &after,
        "save",
        &[("queue_screens", to_persian_digits("3"))],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let again = get(&app, "/declaration", &cookie).await;
    assert!(
        again
            .html
            .contains("name=\"queue_screens\" type=\"text\" value=\"۳\""),
        "{}",
        again.html
    );
}

async fn the_password_page_refuses_a_wrong_current_password_and_keeps_this_session_after_a_change(
    app: TestApp,
) {
    let (code, cookie) = office(&app).await;
    let other_session = sign_in(&app, &code, &code).await;
    let form = get(&app, "/account/password", &cookie).await;
    assert_eq!(form.status, 200);
    assert!(
        form.html.contains("id=\"current_password\""),
        "{}",
        form.html
    );
    let new = "a-new-password-1400";
    let wrong = post(
        &app,
        "/account/password",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("current_password", "not-it-at-all"),
            ("new_password", new),
            ("confirm_password", new),
        ],
    )
    .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    assert!(
        wrong
            .html
            .contains("<a href=\"#current_password\">گذرواژه فعلی نادرست است"),
        "the command's message, in the summary: {}",
        wrong.html
    );
    assert!(wrong.html.contains("id=\"current_password-error\""));
    let short = post(
        &app,
        "/account/password",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("current_password", &code),
            ("new_password", "short"),
            ("confirm_password", "short"),
        ],
    )
    .await;
    assert_eq!(short.status, 422);
    assert!(
        short.html.contains("id=\"new_password-error\""),
        "{}",
        short.html
    );
    let mismatch = post(
        &app,
        "/account/password",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("current_password", &code),
            ("new_password", new),
            ("confirm_password", "a-new-password-1401"),
        ],
    )
    .await;
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.html.contains("id=\"confirm_password-error\""));
    // Nothing changed so far: the first password still signs in.
    app.login(&code, &code).await;

    let changed = post(
        &app,
        "/account/password",
        &cookie,
        &[
            ("csrf", &form.csrf()),
            ("current_password", &code),
            ("new_password", new),
            ("confirm_password", new),
        ],
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.html);
    let told = get(&app, "/account/password?changed=1", &cookie).await;
    assert_eq!(told.status, 200, "this session continues");
    assert!(
        told.html.contains("id=\"password-changed\""),
        "{}",
        told.html
    );
    let home = get(&app, "/", &cookie).await;
    assert!(
        !home.html.contains("id=\"first-password\""),
        "{}",
        home.html
    );
    // The other session was signed out, as the page says.
    let elsewhere = get(&app, "/declaration", &other_session).await;
    assert_eq!(elsewhere.status, 303);
    sign_in(&app, &code, new).await;
}

async fn last_rounds_values_are_prefilled_marked_and_carried_over_when_left_unchanged(
    app: TestApp,
) {
    // Round 1401-1's previous round is 1400-2: file 1400-2, then open 1401-1's form.
    let offices = crate::idempotency::offices(&app).await;
    let code = offices[0].1.clone();
    crate::idempotency::file(&app, &code).await;
    app.at("1401/07/12 10:00");
    let cookie = sign_in(&app, &code, &code).await;
    let form = get(&app, "/declaration", &cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(
        form.html.contains("۱۴۰۱-۱"),
        "the current round: {}",
        form.html
    );
    assert!(
        form.html
            .contains("id=\"area_m2\" name=\"area_m2\" type=\"text\" value=\"۵۵.۵\""),
        "last round's value is prefilled: {}",
        form.html
    );
    assert!(
        form.html.contains("id=\"area_m2-last\""),
        "and marked: {}",
        form.html
    );
    assert!(
        form.html.contains("id=\"staff_count-last\""),
        "{}",
        form.html
    );

    // The browser posts every prefilled value; only the changed one is declared.
    let mut answers: Vec<(&str, String)> = vec![
        ("area_m2", "۵۵.۵".into()),
        ("staff_count", "۶".into()),
        ("insured_staff", "۲".into()),
        ("location_type", "urban".into()),
        ("step_free_access", "true".into()),
        ("years_active", "۶".into()),
    ];
    let saved = post_form(&app, &cookie, &form, "save", &answers).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let api = api_declaration_of(&app, &code, "1401-1").await;
    assert_eq!(api["values"]["staff_count"], json!(6), "{api}");
    assert!(api["values"].get("area_m2").is_none(), "{api}");
    let again = get(&app, "/declaration", &cookie).await;
    assert!(again.html.contains("id=\"area_m2-last\""), "{}", again.html);
    assert!(
        !again.html.contains("id=\"staff_count-last\""),
        "{}",
        again.html
    );

    answers.retain(|(k, _)| *k == "area_m2");
    let next = post_form(&app, &cookie, &again, "continue", &answers).await;
    assert_eq!(next.status, 303, "{}", next.html);
    let check = get(&app, "/declaration/check", &cookie).await;
    assert!(
        check
            .html
            .contains("مقدار دورهٔ قبل؛ تأییدشده به شمار می‌آید"),
        "{}",
        check.html
    );
    let sent = post(
        &app,
        "/declaration/submit",
        &cookie,
        &[("csrf", &check.csrf())],
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.html);
    let api = api_declaration_of(&app, &code, "1401-1").await;
    let carried = api["carried_over"].to_string();
    assert!(
        carried.contains("area_m2") && !carried.contains("staff_count"),
        "{carried}"
    );
}

async fn a_form_read_before_another_save_is_refused_rather_than_overwriting_it(app: TestApp) {
    let (code, cookie) = office(&app).await;
    let first = get(&app, "/declaration", &cookie).await;
    let second = get(&app, "/declaration", &cookie).await;
    let saved = post_form(&app, &cookie, &first, "save", &persian_answers()).await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let stale = post_form(
        &app,
        &cookie,
        &second,
        "save",
        &[("staff_count", to_persian_digits("9"))],
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.html);
    assert!(stale.html.contains("id=\"problem\""), "{}", stale.html);
    assert!(stale.html.contains("تغییر کرده است"), "{}", stale.html);
    assert!(
        stale.html.contains("value=\"۹\""),
        "what was typed is kept: {}",
        stale.html
    );
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["values"]["staff_count"], json!(4), "{api}");
}

async fn submitting_without_the_required_answers_names_each_on_the_check_page_and_files_nothing(
    app: TestApp,
) {
    let (code, cookie) = office(&app).await;
    let check = get(&app, "/declaration/check", &cookie).await;
    assert_eq!(check.status, 200);
    assert!(check.html.contains("id=\"submit\""), "{}", check.html);
    // Without the session's token nothing happens.
    let forged = post(
        &app,
        "/declaration/submit",
        &cookie,
        &[("csrf", &"0".repeat(64))],
    )
    .await;
    assert_eq!(forged.status, 403);
    let refused = post(
        &app,
        "/declaration/submit",
        &cookie,
        &[("csrf", &check.csrf())],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    // Every office input the round requires (no default, nothing from last round) is named.
    let rs = app.rules.get(crate::helpers::rid("1400-2")).unwrap();
    let required: Vec<&str> = rs
        .inputs
        .iter()
        .filter(|i| {
            i.supplied_by == arzyab::rules::model::Supplier::Office
                && matches!(
                    i.when_missing,
                    arzyab::rules::ruleset::Missing::Error
                        | arzyab::rules::ruleset::Missing::CarryOver
                )
        })
        .map(|i| i.name.as_str())
        .collect();
    assert!(!required.is_empty());
    for name in &required {
        assert!(
            refused
                .html
                .contains(&format!("<a href=\"/declaration#{name}\">")),
            "{name} in the summary: {}",
            refused.html
        );
        assert!(
            refused.html.contains(&format!("id=\"{name}-error\"")),
            "{name} beside its answer: {}",
            refused.html
        );
    }
    assert!(
        !refused
            .html
            .contains("<a href=\"/declaration#insured_staff\">")
    );
    let api = api_declaration(&app, &code).await;
    assert_eq!(api["status"], "not_started", "{api}");
}
