//! The portal's pages over HTTP: the sign-in form, its session cookie and CSRF token, the office
//! holder's home page, sign-out, the English toggle and the embedded assets.

use arzyab::domain::JalaliDate;
use arzyab::domain::digits::to_persian_digits;

use crate::both_backends;
use crate::helpers::{TestApp, in_self_declaration};
use crate::page_client::{client, get, office_and_form, post, sign_in};

both_backends!(
    an_office_holder_signs_in_on_the_page_with_persian_digits_and_sees_the_round_and_its_deadline,
    a_wrong_password_gives_the_form_again_with_an_error_summary_linking_to_the_field,
    a_sign_in_without_the_forms_csrf_token_is_refused_and_opens_no_session,
    a_locked_account_is_told_the_minutes_left_in_persian_digits,
    signing_out_needs_the_sessions_csrf_token_and_ends_the_session,
    the_english_toggle_renders_english_left_to_right_and_is_remembered,
    assets_are_embedded_and_served_with_long_cache_headers,
    a_referred_office_sees_its_correction_deadline_on_the_home_page,
    the_home_page_asks_to_change_the_first_password_until_it_is_changed,
);

both_backends!(spawn_on_real_clock =>
    on_the_machines_clock_the_home_page_shows_the_phase_the_api_shows,
);

async fn an_office_holder_signs_in_on_the_page_with_persian_digits_and_sees_the_round_and_its_deadline(
    app: TestApp,
) {
    let (code, cookie, csrf) = office_and_form(&app).await;
    let persian = to_persian_digits(&code);
    let signed_in = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &persian),
            ("password", &persian),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.html);
    let session = signed_in
        .cookie("arzyab_session")
        .expect("a session cookie");
    let set = signed_in
        .cookies
        .iter()
        .find(|c| c.starts_with("arzyab_session="))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(
        !set.contains("Secure"),
        "a plain request gets no Secure cookie: {set}"
    );

    let home = get(&app, "/", &format!("arzyab_session={session}")).await;
    assert_eq!(home.status, 200);
    assert!(
        home.html.contains("<html lang=\"fa\" dir=\"rtl\">"),
        "{}",
        home.html
    );
    assert!(home.html.contains("خوداظهاری"), "the phase: {}", home.html);
    // The deadline and the countdown come from the round's calendar.
    let (_, rounds) = app.get("/v1/rounds", None).await;
    let round = rounds["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["current_phase"] == "self_declaration")
        .expect("a round in self-declaration");
    let last = round["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == "self_declaration")
        .unwrap()["last_day"]
        .as_str()
        .unwrap();
    let last = JalaliDate::parse(last).unwrap();
    let days = JalaliDate::of_instant(in_self_declaration()).days_until(last);
    assert!(home.html.contains(&last.long_fa()), "{}", home.html);
    assert!(
        home.html.contains(&format!(
            "<strong>{}</strong> روز مانده",
            to_persian_digits(&days.to_string())
        )),
        "{}",
        home.html
    );
    // A session cookie from nowhere is nobody.
    let stranger = get(&app, "/", &format!("arzyab_session={}", "0".repeat(64))).await;
    assert!(stranger.html.contains("id=\"national_code\""));
}

async fn a_wrong_password_gives_the_form_again_with_an_error_summary_linking_to_the_field(
    app: TestApp,
) {
    let (code, cookie, csrf) = office_and_form(&app).await;
    let refused = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &code),
            ("password", "not-it-0000"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(refused.status, 401);
    assert!(refused.cookie("arzyab_session").is_none());
    let html = &refused.html;
    assert!(html.contains("class=\"error-summary\""), "{html}");
    assert!(
        html.contains("<a href=\"#password\">کد ملی یا گذرواژه درست نیست"),
        "{html}"
    );
    assert!(
        html.contains("id=\"password-error\""),
        "the message beside the field: {html}"
    );
    assert!(
        html.contains(&format!("value=\"{code}\"")),
        "the code is kept: {html}"
    );
    // An empty form names both fields.
    let empty = post(&app, "/login", &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(empty.status, 422);
    assert!(
        empty.html.contains("href=\"#national_code\"") && empty.html.contains("href=\"#password\"")
    );
}

async fn a_sign_in_without_the_forms_csrf_token_is_refused_and_opens_no_session(app: TestApp) {
    let (code, cookie, csrf) = office_and_form(&app).await;
    let forged = post(
        &app,
        "/login",
        "",
        &[
            ("national_code", &code),
            ("password", &code),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert!(forged.cookie("arzyab_session").is_none());
    let wrong = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &code),
            ("password", &code),
            ("csrf", &"f".repeat(64)),
        ],
    )
    .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.cookie("arzyab_session").is_none());
    assert!(
        wrong.html.contains("این فرم کهنه شده است"),
        "{}",
        wrong.html
    );
}

async fn a_locked_account_is_told_the_minutes_left_in_persian_digits(app: TestApp) {
    let (code, cookie, csrf) = office_and_form(&app).await;
    let mut last = None;
    for _ in 0..5 {
        last = Some(
            post(
                &app,
                "/login",
                &cookie,
                &[
                    ("national_code", &code),
                    ("password", "not-it-0000"),
                    ("csrf", &csrf),
                ],
            )
            .await,
        );
    }
    let locked = last.unwrap();
    assert_eq!(locked.status, 429, "{}", locked.html);
    let minutes = arzyab::accounts::LOCK_MINUTES.to_string();
    assert!(
        locked.html.contains(&format!(
            "برای {} دقیقه بسته شده است",
            to_persian_digits(&minutes)
        )),
        "{}",
        locked.html
    );
    // The right password does not open a locked account.
    let still = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &code),
            ("password", &code),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(still.status, 429);
}

async fn signing_out_needs_the_sessions_csrf_token_and_ends_the_session(app: TestApp) {
    let (code, cookie, csrf) = office_and_form(&app).await;
    let signed_in = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &code),
            ("password", &code),
            ("csrf", &csrf),
        ],
    )
    .await;
    let session = format!(
        "arzyab_session={}",
        signed_in.cookie("arzyab_session").unwrap()
    );
    let home = get(&app, "/", &session).await;
    let token = home.csrf();
    assert_ne!(token, csrf, "the session's token is not the sign-in form's");
    let forged = post(&app, "/logout", &session, &[("csrf", &csrf)]).await;
    assert_eq!(forged.status, 403);
    assert!(
        get(&app, "/", &session).await.html.contains("id=\"round\""),
        "still signed in"
    );
    let out = post(&app, "/logout", &session, &[("csrf", &token)]).await;
    assert_eq!(out.status, 303);
    assert!(
        out.cookies
            .iter()
            .any(|c| c.starts_with("arzyab_session=;") && c.contains("Max-Age=0"))
    );
    let after = get(&app, "/", &session).await;
    assert!(
        after.html.contains("id=\"national_code\""),
        "the old cookie opens nothing"
    );
}

async fn the_english_toggle_renders_english_left_to_right_and_is_remembered(app: TestApp) {
    let en = get(&app, "/?lang=en", "").await;
    assert!(
        en.html.contains("<html lang=\"en\" dir=\"ltr\">"),
        "{}",
        en.html
    );
    assert!(en.html.contains("National code") && !en.html.contains("کد ملی"));
    let remembered = en
        .cookie("arzyab_lang")
        .expect("the language is remembered");
    assert_eq!(remembered, "en");
    let again = get(&app, "/", "arzyab_lang=en").await;
    assert!(again.html.contains("dir=\"ltr\""));
    let fa = get(&app, "/", "").await;
    assert!(fa.html.contains("<html lang=\"fa\" dir=\"rtl\">") && fa.html.contains("کد ملی"));
}

async fn assets_are_embedded_and_served_with_long_cache_headers(app: TestApp) {
    let form = get(&app, "/", "").await;
    let href = form
        .html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap();
    let href = &href[..href.find('"').unwrap()];
    let resp = client()
        .get(format!("{}{href}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let h = resp.headers();
    assert_eq!(h["content-type"], "text/css; charset=utf-8");
    assert!(
        h["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=31536000")
    );
    assert!(resp.text().await.unwrap().contains("margin-inline"));
    let missing = client()
        .get(format!("{}/assets/nothing.css", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// The home page's path on the real clock: the example rounds lie in the past, so no phase is
/// open and no deadline is ahead, as the API says too.
async fn on_the_machines_clock_the_home_page_shows_the_phase_the_api_shows(app: TestApp) {
    let (_, rounds) = app.get("/v1/rounds", None).await;
    let rounds = rounds["rounds"].as_array().unwrap();
    assert!(!rounds.is_empty());
    assert!(
        rounds.iter().all(|r| r["current_phase"].is_null()),
        "the example rounds are over on the real clock: {rounds:?}"
    );
    let (code, cookie, csrf) = office_and_form(&app).await;
    let signed_in = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &code),
            ("password", &code),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.html);
    let session = format!(
        "arzyab_session={}",
        signed_in.cookie("arzyab_session").unwrap()
    );
    let home = get(&app, "/", &session).await;
    assert!(home.html.contains("هیچ مرحله‌ای باز نیست"), "{}", home.html);
    assert!(
        home.html.contains("اکنون مهلتی پیش روی شما نیست"),
        "{}",
        home.html
    );
    assert!(!home.html.contains("id=\"countdown\""));
}

async fn a_referred_office_sees_its_correction_deadline_on_the_home_page(app: TestApp) {
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
            serde_json::json!({"reasons": {"area_m2": "the lease says 40 m²"}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    app.at("1400/02/08 10:00");
    let form = get(&app, "/", "").await;
    let cookie = format!("arzyab_csrf={}", form.cookie("arzyab_csrf").unwrap());
    let signed_in = post(
        &app,
        "/login",
        &cookie,
        &[
            ("national_code", &code),
            ("password", &code),
            ("csrf", &form.csrf()),
        ],
    )
    .await;
    let session = format!(
        "arzyab_session={}",
        signed_in.cookie("arzyab_session").unwrap()
    );
    let home = get(&app, "/", &session).await;
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
    let now = arzyab::clock::parse_instant("1400/02/08 10:00").unwrap();
    let days = JalaliDate::of_instant(now).days_until(last);
    assert!(
        home.html.contains("مهلت اصلاح پرونده ارجاع‌شده"),
        "{}",
        home.html
    );
    assert!(home.html.contains(&last.long_fa()), "{}", home.html);
    assert!(
        home.html.contains(&format!(
            "<strong>{}</strong> روز مانده",
            to_persian_digits(&days.to_string())
        )),
        "{}",
        home.html
    );
}

async fn the_home_page_asks_to_change_the_first_password_until_it_is_changed(app: TestApp) {
    let (code, _, _) = office_and_form(&app).await;
    let cookie = sign_in(&app, &code, &code).await;
    let home = get(&app, "/", &cookie).await;
    assert!(home.html.contains("id=\"first-password\""), "{}", home.html);
    assert!(
        home.html.contains("href=\"/account/password\""),
        "{}",
        home.html
    );

    let token = app.login(&code, &code).await;
    let (s, body) = app
        .post(
            "/v1/auth/password",
            Some(&token),
            serde_json::json!({"current_password": code, "new_password": "a-new-secret-2026"}),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let cookie = sign_in(&app, &code, "a-new-secret-2026").await;
    let home = get(&app, "/", &cookie).await;
    assert_eq!(home.status, 200);
    assert!(
        !home.html.contains("id=\"first-password\""),
        "{}",
        home.html
    );
}
