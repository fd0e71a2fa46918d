//! Rule diagnostics in both languages over the real server, on both backends: a broken rule file's
//! diagnostic in `GET /v1/rules` has its message and hint as `{fa, en}`, and the rules page shows
//! the hint in the page's language.

use arzyab::domain::persian_problem;

use crate::both_backends;
use crate::helpers::{ADMIN, TestApp};
use crate::page_client::{get, sign_in};
use crate::reload::{edit, eventually};

both_backends!(spawn_watching =>
    a_broken_files_diagnostic_has_its_message_and_hint_in_persian_and_english_in_the_api_and_on_the_page,
);

async fn a_broken_files_diagnostic_has_its_message_and_hint_in_persian_and_english_in_the_api_and_on_the_page(
    app: TestApp,
) {
    let admin = app.admin().await;
    edit(
        &app.rules_dir.join("1400-2/criteria.yaml"),
        "    weight: 1.5\n",
        "    wieght: 1.5\n",
    );
    let diagnostic = eventually("the refused load in /v1/rules", || async {
        let (s, body) = app.get("/v1/rules", Some(&admin)).await;
        assert_eq!(s, 200, "{body}");
        let round = body["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["round"] == "1400-2")
            .cloned()?;
        let errors = round["last_attempt"]["errors"].as_array()?.clone();
        errors.first().cloned()
    })
    .await;
    assert_eq!(diagnostic["file"], "1400-2/criteria.yaml", "{diagnostic}");
    assert_eq!(
        diagnostic["message"]["en"], "unknown key `wieght` in criterion",
        "{diagnostic}"
    );
    assert_eq!(
        diagnostic["hint"]["en"], "did you mean `weight`?",
        "{diagnostic}"
    );
    let message_fa = diagnostic["message"]["fa"].as_str().unwrap();
    let hint_fa = diagnostic["hint"]["fa"].as_str().unwrap();
    for fa in [message_fa, hint_fa] {
        assert_eq!(persian_problem(fa), None, "{fa}");
    }
    assert_eq!(message_fa, "کلید «wieght» در معیار شناخته نیست");
    assert_eq!(hint_fa, "آیا منظورتان «weight» است؟");

    let cookie = sign_in(&app, ADMIN.0, ADMIN.1).await;
    let fa = get(&app, "/rules/status", &cookie).await;
    assert_eq!(fa.status, 200, "{}", fa.html);
    assert!(fa.html.contains(hint_fa), "{}", fa.html);
    assert!(!fa.html.contains("did you mean"), "{}", fa.html);
    let en = get(&app, "/rules/status?lang=en", &cookie).await;
    assert_eq!(en.status, 200, "{}", en.html);
    assert!(en.html.contains("did you mean"), "{}", en.html);
    assert!(!en.html.contains(hint_fa), "{}", en.html);
}
