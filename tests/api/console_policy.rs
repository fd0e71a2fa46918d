//! The policy staff's and admins' pages over the real server, on both backends: the rules page
//! while files are edited on disk, the versions diff, the admins' account actions and import, the
//! audit log's filters, and every page refused to the roles it is not for.

use arzyab::clock::Clock;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{ADMIN, TestApp, registry_csv};
use crate::page_client::{get, post, sign_in};
use crate::reload::{double_completeness_weight, edit, eventually, health_hash, new_hash};

both_backends!(spawn_watching =>
    the_rules_page_names_a_broken_files_line_until_it_is_fixed_then_shows_the_new_version_live,
);

both_backends!(spawn_unthrottled =>
    an_admin_creates_a_reviewer_who_can_sign_in_and_a_bad_field_is_named_beside_it,
    reset_and_unlock_let_a_holder_back_in_and_are_audited_and_disable_stops_sign_in,
);

both_backends!(
    the_audit_log_filters_by_who_action_office_round_and_date_and_pages,
    the_import_page_lists_each_bad_rows_problem_then_reports_what_it_imported,
    every_policy_and_admin_page_is_refused_to_the_roles_it_is_not_for,
);

/// A staff account created through the API and signed in on the pages: the session cookie.
async fn staff_cookie(app: &TestApp, username: &str, role: &str, region: Option<u8>) -> String {
    let admin = app.admin().await;
    app.staff(&admin, username, role, region).await;
    sign_in(app, username, &format!("{username}-password-1400")).await
}

async fn admin_cookie(app: &TestApp) -> String {
    sign_in(app, ADMIN.0, ADMIN.1).await
}

/// The part of `html` from the element with `id` on (enough to assert on one round's section).
fn from_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    &html[at..]
}

async fn the_rules_page_names_a_broken_files_line_until_it_is_fixed_then_shows_the_new_version_live(
    app: TestApp,
) {
    let cookie = staff_cookie(&app, "policy1", "regulator", None).await;
    let h0 = health_hash(&app, "1400-2").await;
    let page = get(&app, "/rules", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let round = from_id(&page.html, "round-1400-2");
    assert!(round.contains(&h0[..12]), "{round}");
    assert!(
        page.html.contains("hx-get=\"/rules/status\"") && page.html.contains("every 500ms"),
        "the page polls its status: {}",
        page.html
    );
    assert!(page.html.contains("id=\"refresh\""), "{}", page.html);
    assert!(round.contains("id=\"tests-1400-2\""), "{round}");
    assert!(!round.contains("class=\"failed\""), "{round}");

    // A bad save: the diagnostic, at its file, line and column, while the old version serves.
    let criteria = app.rules_dir.join("1400-2/criteria.yaml");
    let original = std::fs::read_to_string(&criteria).unwrap();
    let line = original
        .lines()
        .position(|l| l == "    weight: 1.5")
        .unwrap()
        + 1;
    edit(&criteria, "    weight: 1.5\n", "      weight: 1.5\n");
    let at = format!("1400-2/criteria.yaml:{line}:7");
    let broken = eventually("the diagnostic on the rules page", || async {
        let p = get(&app, "/rules/status", &cookie).await;
        assert_eq!(p.status, 200, "{}", p.html);
        p.html.contains(&at).then_some(p.html)
    })
    .await;
    let round = from_id(&broken, "round-1400-2");
    assert!(round.contains("attempt-failed"), "{round}");
    // The message in the page's language: the API's own Persian text, and in English the English.
    let (_, rules) = app.get("/v1/rules", Some(&app.admin().await)).await;
    let entry = rules["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["round"] == "1400-2")
        .unwrap()
        .clone();
    let message = &entry["last_attempt"]["errors"][0]["message"];
    let fa = message["fa"].as_str().unwrap();
    assert!(round.contains(fa), "{fa} in {round}");
    let english = get(&app, "/rules/status?lang=en", &cookie).await;
    let round_en = from_id(&english.html, "round-1400-2");
    assert!(round_en.contains("YAML syntax"), "{round_en}");
    assert!(
        round.contains(&h0[..12]),
        "the old version is still live: {round}"
    );
    assert!(
        !broken.contains(app.rules_dir.to_str().unwrap()),
        "the server's own paths are never shown"
    );

    // Fixed, with the weight of data completeness doubled (and the rule tests to match).
    std::fs::write(&criteria, &original).unwrap();
    double_completeness_weight(&app.rules_dir.join("1400-2"));
    let h1 = new_hash(&app, "1400-2", &h0).await;
    let fixed = eventually("the new version on the rules page", || async {
        let p = get(&app, "/rules/status", &cookie).await;
        let round = from_id(&p.html, "round-1400-2").to_string();
        (round.contains(&h1[..12]) && round.contains("attempt-ok")).then_some(round)
    })
    .await;
    assert!(!fixed.contains(&at), "{fixed}");

    // The versions page lists both, and their diff names the changed weight.
    let versions = get(&app, "/rules/1400-2/versions", &cookie).await;
    assert_eq!(versions.status, 200, "{}", versions.html);
    assert!(versions.html.contains(&h0) && versions.html.contains(&h1));
    let diff = get(
        &app,
        &format!("/rules/1400-2/versions?old={h0}&new={h1}"),
        &cookie,
    )
    .await;
    assert_eq!(diff.status, 200, "{}", diff.html);
    let changes = from_id(&diff.html, "changes");
    assert_eq!(changes.matches("class=\"change\"").count(), 1, "{changes}");
    assert!(changes.contains("data_completeness"), "{changes}");
    assert!(changes.contains(">weight<"), "{changes}");
    assert!(
        changes.contains(">0.5<") && changes.contains(">1<"),
        "{changes}"
    );
    // "What this change does": the simulation report of the newer version against the older.
    let link = format!("/rules/1400-2/versions/{h0}/{h1}/simulation");
    assert!(diff.html.contains(&link), "{}", diff.html);
    let report = get(&app, &link, &cookie).await;
    assert_eq!(report.status, 200, "{}", report.html);
    assert!(report.html.contains("Simulation"), "{}", report.html);
    assert!(
        report.html.contains("data_completeness"),
        "the report names the change"
    );
    let log = get(&app, "/audit?action=simulation_run", &cookie).await;
    assert!(log.html.contains(&h1), "the run is audited: {}", log.html);
    let source = get(&app, &format!("/rules/1400-2/versions/{h1}"), &cookie).await;
    assert_eq!(source.status, 200, "{}", source.html);
    assert!(source.html.contains("criteria.yaml"), "{}", source.html);
}

async fn an_admin_creates_a_reviewer_who_can_sign_in_and_a_bad_field_is_named_beside_it(
    app: TestApp,
) {
    let cookie = admin_cookie(&app).await;
    let form = get(&app, "/admin/users", &cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let csrf = form.csrf();
    let password = "reviewer-nine-password";

    // A reviewer without a region: named in the summary and beside the field; nothing created.
    let refused = post(
        &app,
        "/admin/users",
        &cookie,
        &[
            ("csrf", &csrf),
            ("username", "rev9"),
            ("role", "reviewer"),
            ("region", ""),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains("href=\"#new-region\""),
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("id=\"new-region-error\""),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("value=\"rev9\""), "the name is kept");
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": "rev9", "password": password}),
        )
        .await;
    assert_eq!(s, 401);

    // Without the session's token: refused.
    let forged = post(
        &app,
        "/admin/users",
        &cookie,
        &[("username", "rev9"), ("role", "reviewer"), ("region", "3")],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.html);

    let created = post(
        &app,
        "/admin/users",
        &cookie,
        &[
            ("csrf", &csrf),
            ("username", "rev9"),
            ("role", "reviewer"),
            ("region", "۳"),
            ("password", password),
        ],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.html);
    let list = get(&app, "/admin/users?done=created&who=rev9", &cookie).await;
    assert!(list.html.contains("id=\"done\""), "{}", list.html);
    let row = from_id(&list.html, "account-rev9");
    assert!(row.contains("۳"), "the region, in Persian digits: {row}");
    let reviewer = sign_in(&app, "rev9", password).await;
    let (s, me) = {
        let p = get(&app, "/", &reviewer).await;
        (p.status, p.html)
    };
    assert_eq!(s, 200);
    assert!(
        me.contains("کارشناس منطقه"),
        "signed in as a reviewer: {me}"
    );
}

async fn reset_and_unlock_let_a_holder_back_in_and_are_audited_and_disable_stops_sign_in(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, _) = app.import(&admin, &csv).await;
    assert_eq!(s, 200);
    let code = offices[0].1.clone();
    let cookie = admin_cookie(&app).await;
    let csrf = get(&app, "/admin/users", &cookie).await.csrf();

    // The holder chooses a password, forgets it; the admin puts the national code back.
    let holder = app.login(&code, &code).await;
    let (s, b) = app
        .post(
            "/v1/auth/password",
            Some(&holder),
            json!({"current_password": code, "new_password": "a-secret-of-my-own-1403"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": code}),
        )
        .await;
    assert_eq!(s, 401);
    let reset = post(
        &app,
        "/admin/users/reset",
        &cookie,
        &[("csrf", &csrf), ("username", &code)],
    )
    .await;
    assert_eq!(reset.status, 303, "{}", reset.html);
    app.login(&code, &code).await;

    // Locked by five wrong passwords: listed as locked, unlocked by the admin, in at once.
    for _ in 0..5 {
        let (s, _) = app
            .post(
                "/v1/auth/login",
                None,
                json!({"username": code, "password": "wrong-guess"}),
            )
            .await;
        assert!(matches!(s, 401 | 423 | 429), "{s}");
    }
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": code, "password": code}),
        )
        .await;
    assert_ne!(s, 200, "locked");
    let list = get(&app, "/admin/users", &cookie).await;
    let row = from_id(&list.html, &format!("account-{code}"));
    assert!(row.contains("class=\"locked\""), "{row}");
    assert!(row.contains(&format!("id=\"unlock-{code}\"")), "{row}");
    let unlocked = post(
        &app,
        "/admin/users/unlock",
        &cookie,
        &[("csrf", &csrf), ("username", &code)],
    )
    .await;
    assert_eq!(unlocked.status, 303, "{}", unlocked.html);
    app.login(&code, &code).await;

    // Both are in the audit log, by the admin, about the holder's account.
    for action in ["password_reset", "account_unlocked"] {
        let log = get(&app, &format!("/audit?action={action}"), &cookie).await;
        assert_eq!(log.status, 200, "{}", log.html);
        let entries = from_id(&log.html, "audit-entries");
        assert_eq!(
            entries.matches("class=\"audit-entry\"").count(),
            1,
            "{entries}"
        );
        assert!(entries.contains(&format!("user:{code}")), "{entries}");
        assert!(entries.contains("admin:admin"), "{entries}");
    }

    // An unknown account is named beside the field.
    let unknown = post(
        &app,
        "/admin/users/unlock",
        &cookie,
        &[("csrf", &csrf), ("username", "nobody-here")],
    )
    .await;
    assert_eq!(unknown.status, 422, "{}", unknown.html);
    assert!(
        unknown.html.contains("href=\"#unlock-username\""),
        "{}",
        unknown.html
    );

    // Disabled: neither the password nor an earlier session works any more.
    let reviewer_api = app.staff(&admin, "rev4", "reviewer", Some(4)).await;
    let reviewer_page = sign_in(&app, "rev4", "rev4-password-1400").await;
    let disabled = post(
        &app,
        "/admin/users/disable",
        &cookie,
        &[("csrf", &csrf), ("username", "rev4")],
    )
    .await;
    assert_eq!(disabled.status, 303, "{}", disabled.html);
    let (s, _) = app
        .post(
            "/v1/auth/login",
            None,
            json!({"username": "rev4", "password": "rev4-password-1400"}),
        )
        .await;
    assert_eq!(s, 401);
    let (s, _) = app.get("/v1/auth/me", Some(&reviewer_api)).await;
    assert_eq!(s, 401);
    let home = get(&app, "/", &reviewer_page).await;
    assert!(
        home.html.contains("id=\"national_code\""),
        "back to the sign-in form"
    );

    // The API's own endpoints call the same commands, for admins only.
    let (s, _) = app
        .post(
            &format!("/v1/users/{code}/unlock"),
            Some(&holder_token(&app, &code).await),
            json!({}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .post(
            &format!("/v1/users/{code}/password-reset"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) = app
        .post("/v1/users/admin/disable", Some(&admin), json!({}))
        .await;
    assert_eq!(s, 422, "an admin cannot disable themselves: {b}");
}

async fn holder_token(app: &TestApp, code: &str) -> String {
    app.login(code, code).await
}

async fn the_audit_log_filters_by_who_action_office_round_and_date_and_pages(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(30);
    let (s, _) = app.import(&admin, &csv).await;
    assert_eq!(s, 200);
    let cookie = staff_cookie(&app, "reg1", "regulator", None).await;
    let count = |html: &str| {
        from_id(html, "audit-entries")
            .matches("class=\"audit-entry\"")
            .count()
    };

    // By action: one entry per office imported.
    let imported = get(&app, "/audit?action=office_imported", &cookie).await;
    assert_eq!(imported.status, 200, "{}", imported.html);
    assert_eq!(count(&imported.html), 30);
    // By office: the office itself (and, later, its declarations); its "after" is shown.
    let office = &offices[0].0;
    let one = get(&app, &format!("/audit?office={office}"), &cookie).await;
    assert_eq!(count(&one.html), 1, "{}", one.html);
    assert!(one.html.contains(&format!("office:{office}")));
    assert!(one.html.contains("class=\"after\""), "{}", one.html);
    // By who: the regulator's own sign-ins only (through the API, then the pages).
    let me = get(&app, "/audit?actor=reg1", &cookie).await;
    assert_eq!(count(&me.html), 2, "{}", me.html);
    assert_eq!(
        me.html.matches("class=\"action\">login<").count(),
        2,
        "{}",
        me.html
    );
    // By round: nothing of round 1400-2 happened yet.
    let round = get(&app, "/audit?round=1400-2", &cookie).await;
    assert_eq!(count(&round.html), 0, "{}", round.html);

    // By date (Jalali): today holds everything, tomorrow nothing.
    let today = arzyab::domain::JalaliDate::of_instant(app.clock.now());
    let day =
        |d: arzyab::domain::JalaliDate| format!("{}/{:02}/{:02}", d.year(), d.month(), d.day());
    let all = get(
        &app,
        &format!("/audit?from={}&to={}", day(today), day(today)),
        &cookie,
    )
    .await;
    assert_eq!(all.status, 200, "{}", all.html);
    let total = count(&all.html);
    assert_eq!(total, 50, "a full first page");
    let later = get(
        &app,
        &format!("/audit?from={}", day(today.add_days(1))),
        &cookie,
    )
    .await;
    assert_eq!(count(&later.html), 0, "{}", later.html);

    // Paged by the database: 30 offices, 30 accounts, sign-ins — more than a page of 50.
    assert!(all.html.contains("id=\"next-page\""), "{}", all.html);
    let second = get(&app, "/audit?page=2", &cookie).await;
    let on_second = count(&second.html);
    assert!(on_second >= 10, "{on_second}");
    assert!(second.html.contains("id=\"previous-page\""));
    assert!(!second.html.contains("id=\"next-page\""));
    let first_ids: Vec<&str> = all
        .html
        .match_indices("id=\"entry-")
        .map(|(i, _)| &all.html[i..i + 16])
        .collect();
    assert!(
        first_ids.iter().all(|id| !second.html.contains(id)),
        "pages do not overlap"
    );

    // A bad date is named beside its field.
    let bad = get(&app, "/audit?from=1403/13/40", &cookie).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("href=\"#from\""), "{}", bad.html);
    assert!(bad.html.contains("id=\"from-error\""), "{}", bad.html);
}

async fn the_import_page_lists_each_bad_rows_problem_then_reports_what_it_imported(app: TestApp) {
    let cookie = admin_cookie(&app).await;
    let form = get(&app, "/admin/import", &cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let csrf = form.csrf();
    let (csv, offices) = registry_csv(2);
    let bad = csv.replacen(",1,THR,", ",12,THR,", 1);
    let refused = post(
        &app,
        "/admin/import",
        &cookie,
        &[("csrf", &csrf), ("csv", &bad)],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("href=\"#csv\""), "{}", refused.html);
    let problems = from_id(&refused.html, "import-problems");
    assert_eq!(
        problems.matches("class=\"problem-row\"").count(),
        1,
        "{problems}"
    );
    assert!(problems.contains("<td>۲</td>"), "line 2: {problems}");
    assert!(problems.contains(">region<"), "{problems}");
    assert!(
        refused.html.contains(&offices[1].0),
        "the text stays in the box"
    );
    let admin = app.admin().await;
    let (s, _) = app
        .get(&format!("/v1/offices/{}", offices[0].0), Some(&admin))
        .await;
    assert_eq!(s, 404, "nothing was imported");

    let imported = post(
        &app,
        "/admin/import",
        &cookie,
        &[("csrf", &csrf), ("csv", &csv)],
    )
    .await;
    assert_eq!(imported.status, 200, "{}", imported.html);
    assert!(
        imported.html.contains("id=\"created\">۲<"),
        "{}",
        imported.html
    );
    let accounts = from_id(&imported.html, "accounts-created");
    for (_, code, _) in &offices {
        assert!(accounts.contains(code.as_str()), "{accounts}");
    }
    let again = post(
        &app,
        "/admin/import",
        &cookie,
        &[("csrf", &csrf), ("csv", &csv)],
    )
    .await;
    assert!(again.html.contains("id=\"unchanged\">۲<"), "{}", again.html);
}

async fn every_policy_and_admin_page_is_refused_to_the_roles_it_is_not_for(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    app.import(&admin, &csv).await;
    let holder = sign_in(&app, &offices[0].1, &offices[0].1).await;
    let reviewer = staff_cookie(&app, "rev1", "reviewer", Some(1)).await;
    let regulator = staff_cookie(&app, "reg1", "regulator", None).await;
    let admin_page = admin_cookie(&app).await;
    let rules = ["/rules", "/rules/status", "/rules/1400-2/versions"];
    let admin_only = ["/admin/users", "/admin/import"];
    for path in rules.iter().chain(&admin_only).chain(&["/audit"]) {
        for (who, cookie) in [("holder", &holder), ("reviewer", &reviewer)] {
            let p = get(&app, path, cookie).await;
            assert_eq!(p.status, 403, "{who} on {path}: {}", p.html);
        }
        let p = get(&app, path, &admin_page).await;
        assert_eq!(p.status, 200, "admin on {path}: {}", p.html);
        let p = get(&app, path, "").await;
        assert_eq!(p.status, 303, "nobody on {path}");
    }
    for path in rules.iter().chain(&["/audit"]) {
        let p = get(&app, path, &regulator).await;
        assert_eq!(p.status, 200, "regulator on {path}: {}", p.html);
    }
    for path in admin_only {
        let p = get(&app, path, &regulator).await;
        assert_eq!(p.status, 403, "regulator on {path}: {}", p.html);
    }
    // The home page links each role to its pages, and only to them.
    let home = get(&app, "/", &regulator).await;
    assert!(home.html.contains("id=\"link-rules\"") && home.html.contains("id=\"link-audit\""));
    assert!(!home.html.contains("id=\"link-accounts\""), "{}", home.html);
    let home = get(&app, "/", &admin_page).await;
    assert!(home.html.contains("id=\"link-accounts\"") && home.html.contains("id=\"link-import\""));
    let home = get(&app, "/", &reviewer).await;
    assert!(!home.html.contains("id=\"policy-links\""), "{}", home.html);
    let csrf = get(&app, "/", &regulator).await.csrf();
    for path in [
        "/admin/users/unlock",
        "/admin/users/disable",
        "/admin/users/reset",
    ] {
        let p = post(
            &app,
            path,
            &regulator,
            &[("csrf", &csrf), ("username", "admin")],
        )
        .await;
        assert_eq!(p.status, 403, "regulator posting {path}: {}", p.html);
    }
}
