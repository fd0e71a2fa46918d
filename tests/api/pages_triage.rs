//! Review triage on the reviewer's pages, on both backends: a value that jumped since the office's
//! previous round raises its flag, the file moves to the top of the queue (sorted by risk by
//! default), its row says why with the numbers in the page's language, the region's box counts the
//! flag, and the file page shows the flag at the top.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::TestApp;
use crate::idempotency::{good_values, offices};
use crate::page_client::{Page, get, sign_in};

both_backends!(a_jumped_area_moves_the_file_to_the_top_of_the_queue_page_saying_why);

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

/// The license numbers of the files listed on a queue page, in order.
fn listed(page: &Page) -> Vec<String> {
    page.html
        .split("<tr id=\"file-")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The HTML of one file's row on a queue page.
fn row<'a>(page: &'a Page, office: &str) -> &'a str {
    let at = page
        .html
        .find(&format!("<tr id=\"file-{office}\""))
        .unwrap_or_else(|| panic!("no row for {office}: {}", page.html));
    let rest = &page.html[at..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// The text of the element with `id` up to its first child's end (enough for a count).
fn text_at<'a>(page: &'a Page, id: &str) -> &'a str {
    let at = page
        .html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}: {}", page.html));
    let rest = &page.html[at..];
    &rest[..rest.find("</li>").unwrap_or(rest.len())]
}

async fn a_jumped_area_moves_the_file_to_the_top_of_the_queue_page_saying_why(app: TestApp) {
    // P-0001 and P-0003 are region 1's offices; both declared 55.5 m² in 1400-2.
    let offices = offices(&app).await;
    let (first, third) = (offices[0].1.clone(), offices[2].1.clone());
    let admin = app.admin().await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    declare(&app, &first, "1400-2", good_values()).await;
    declare(&app, &third, "1400-2", good_values()).await;
    app.at("1401/07/15 10:00");
    declare(&app, &first, "1401-1", good_values()).await;

    let cookie = sign_in(&app, "rev.one", "rev.one-password-1400").await;
    let before = get(&app, "/review?round=1401-1", &cookie).await;
    assert_eq!(before.status, 200, "{}", before.html);
    assert_eq!(
        listed(&before),
        ["P-0001", "P-0003"],
        "no flag yet: by deadline, then license"
    );
    assert!(
        !row(&before, "P-0003").contains("flag-area_jump"),
        "{}",
        before.html
    );

    // The third office files an area far above last round's: a jump since 1400-2.
    let mut jumped = good_values();
    jumped["area_m2"] = json!(130);
    declare(&app, &third, "1401-1", jumped).await;
    app.at("1401/07/30 10:00");
    let cookie = sign_in(&app, "rev.one", "rev.one-password-1400").await;
    let reviewer = app.login("rev.one", "rev.one-password-1400").await;
    let (s, file) = app
        .get("/v1/rounds/1401-1/files/P-0003", Some(&reviewer))
        .await;
    assert_eq!(s, 200, "{file}");
    let why = &file["triage"]["flags"][0]["why"];
    let (why_fa, why_en) = (why["fa"].as_str().unwrap(), why["en"].as_str().unwrap());

    let page = get(&app, "/review?round=1401-1", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(
        listed(&page),
        ["P-0003", "P-0001"],
        "the riskiest file first"
    );
    let top = row(&page, "P-0003");
    assert!(top.contains(why_fa), "the row says why: {top}");
    assert!(
        top.contains("۱۳۰") && !top.contains("130"),
        "Persian digits: {top}"
    );
    let risk = top
        .split("<td class=\"risk\"")
        .nth(1)
        .and_then(|rest| rest.split("</td>").next())
        .unwrap_or_default();
    assert!(risk.ends_with(">۳"), "the risk: {top}");
    assert!(
        !row(&page, "P-0001").contains("<li"),
        "no flag on the other file"
    );
    let count = text_at(&page, "flag-count-area_jump");
    assert!(count.contains("<span class=\"count\">۱</span>"), "{count}");
    let count = text_at(&page, "flag-count-insured_over_staff");
    assert!(count.contains("<span class=\"count\">۰</span>"), "{count}");

    // The order by license number stays a choice; a choice the queue does not know is named.
    let by_office = get(&app, "/review?round=1401-1&sort=office", &cookie).await;
    assert_eq!(listed(&by_office), ["P-0001", "P-0003"]);
    let bad = get(&app, "/review?round=1401-1&sort=size", &cookie).await;
    assert_eq!(bad.status, 200, "{}", bad.html);
    assert!(bad.html.contains("href=\"#sort\""), "{}", bad.html);
    assert_eq!(
        listed(&bad),
        ["P-0003", "P-0001"],
        "by risk, as the default"
    );

    // The file page shows the flag at the top.
    let file_page = get(&app, "/review/1401-1/P-0003", &cookie).await;
    assert_eq!(file_page.status, 200, "{}", file_page.html);
    let flags_at = file_page
        .html
        .find("id=\"file-flags\"")
        .expect("the flags box");
    assert!(
        flags_at < file_page.html.find("id=\"declared\"").unwrap(),
        "the flags come before the declaration"
    );
    assert!(file_page.html.contains(why_fa), "{}", file_page.html);
    let plain = get(&app, "/review/1401-1/P-0001", &cookie).await;
    assert!(!plain.html.contains("id=\"file-flags\""), "{}", plain.html);

    // In English, the same reason with its numbers.
    let en = get(&app, "/review?round=1401-1&lang=en", &cookie).await;
    assert_eq!(listed(&en), ["P-0003", "P-0001"]);
    assert!(row(&en, "P-0003").contains(why_en), "{}", en.html);
    assert!(why_en.contains("130"), "{why_en}");
}
