//! The regulator's console over HTTP, on both backends: the dashboard's counts against the API's
//! file and objection lists as files move, publishing after the preview, verifying, finalizing with
//! the changed results listed, the results table's filters, sorting and paging, its CSV and Excel
//! downloads (the workbook read back), and every console page refused to the other roles.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use arzyab::domain::digits::to_ascii_digits;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, registry_csv};
use crate::page_client::{client, get, post, sign_in};
use crate::round_life::{declare, object, review};

both_backends!(
    the_dashboard_counts_equal_the_apis_file_lists_as_files_move,
    the_regulator_publishes_after_the_preview_verifies_and_finalizes_with_the_changes_listed,
    the_results_table_filters_sorts_and_pages_on_the_server_and_tells_a_bad_filter_by_its_field,
    the_csv_and_excel_downloads_have_the_tables_columns_and_the_sheet_reads_right_to_left,
    every_console_page_is_refused_to_an_office_holder_and_a_reviewer,
);

const REGULATOR: (&str, &str) = ("regulator.x", "regulator.x-password-1400");

/// A staff member's API token and page session, signed in now (sessions end as the clock moves).
async fn staff_in(app: &TestApp, name: &str) -> (String, String) {
    let password = format!("{name}-password-1400");
    (
        app.login(name, &password).await,
        sign_in(app, name, &password).await,
    )
}

/// The text of an element's inner HTML without tags, with Latin digits.
pub(crate) fn plain(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    to_ascii_digits(out.trim())
}

/// The cells (`<th>` and `<td>`) of the table row with `id`, as plain text.
fn row(html: &str, id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<tr id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id} in {html}"));
    let end = start + html[start..].find("</tr>").unwrap();
    cells(&html[start..end])
}

fn cells(tr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = tr;
    while let Some(at) = rest.find(['<']) {
        rest = &rest[at..];
        let is_cell = rest.starts_with("<td") || rest.starts_with("<th");
        if !is_cell {
            rest = &rest[1..];
            continue;
        }
        let open_end = rest.find('>').unwrap() + 1;
        let close = rest.find(&format!("</{}>", &rest[1..3])).unwrap();
        out.push(plain(&rest[open_end..close]));
        rest = &rest[close..];
    }
    out
}

/// Every body row of the table with `id`: its cells as plain text.
pub(crate) fn table_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let body = start + html[start..].find("<tbody>").unwrap();
    let end = body + html[body..].find("</tbody>").unwrap();
    html[body..end]
        .split("</tr>")
        .filter(|tr| tr.contains("<tr"))
        .map(cells)
        .collect()
}

/// The column headings of the table with `id`.
fn table_head(html: &str, id: &str) -> Vec<String> {
    let start = html.find(&format!("id=\"{id}\"")).unwrap();
    let head = start + html[start..].find("<thead>").unwrap();
    let end = head + html[head..].find("</thead>").unwrap();
    cells(&html[head..end])
}

/// How many files of `region` the API lists with `status` (all when `None`).
async fn api_files(app: &TestApp, token: &str, region: u8, status: Option<&str>) -> i64 {
    let status = status.map_or(String::new(), |s| format!("&status={s}"));
    let (s, b) = app
        .get(
            &format!("/v1/rounds/1400-2/files?region={region}&per_page=1{status}"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["total"].as_i64().unwrap()
}

/// The dashboard's row of `region` against the API's lists: offices, filed, not filed, in review,
/// referred, objections open; overdue as the test expects it.
async fn assert_dashboard_matches_api(app: &TestApp, page: &str, token: &str, overdue: [i64; 2]) {
    let mut nationwide = [0i64; 7];
    for region in [1u8, 2] {
        let n = |status| api_files(app, token, region, status);
        let (submitted, referred) = (n(Some("submitted")).await, n(Some("referred")).await);
        let (_, objections) = app
            .get(
                &format!("/v1/rounds/1400-2/objections?region={region}"),
                Some(token),
            )
            .await;
        let open = objections["objections"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["status"] == "pending")
            .count() as i64;
        let expected = [
            n(None).await,
            submitted + referred,
            n(Some("not_started")).await + n(Some("draft")).await,
            submitted,
            referred,
            overdue[region as usize - 1],
            open,
        ];
        let shown: Vec<i64> = row(page, &format!("region-{region}"))[1..]
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        assert_eq!(shown, expected, "region {region}");
        for (t, e) in nationwide.iter_mut().zip(expected) {
            *t += e;
        }
    }
    let shown: Vec<i64> = row(page, "nationwide")[1..]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!(shown, nationwide, "nationwide");
}

async fn the_dashboard_counts_equal_the_apis_file_lists_as_files_move(app: TestApp) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(10);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    let regulator = app.staff(&admin, REGULATOR.0, "regulator", None).await;
    app.staff(&admin, "rev.one", "reviewer", Some(1)).await;
    app.staff(&admin, "rev.two", "reviewer", Some(2)).await;
    let cookie = sign_in(&app, REGULATOR.0, REGULATOR.1).await;

    // Before anyone files: every office not filed, and the phase with its days left.
    let page = get(&app, "/console", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("id=\"phase-name\">خوداظهاری<"),
        "{}",
        page.html
    );
    // 1400/01/20 to the end of 1400/02/05: 16 days left, in Persian digits.
    assert!(page.html.contains("<strong>۱۶</strong>"), "{}", page.html);
    assert!(
        page.html.contains("۱۷ فروردین ۱۴۰۰"),
        "the window in Jalali: {}",
        page.html
    );
    assert_dashboard_matches_api(&app, &page.html, &regulator, [0, 0]).await;
    assert_eq!(row(&page.html, "nationwide")[1..3], ["10", "0"]);

    // Eight file, one keeps a draft.
    declare(&app, &offices, 0..8).await;
    let t = app.login(&offices[8].1, &offices[8].1).await;
    let (s, b) = app
        .put(
            "/v1/rounds/1400-2/declaration",
            Some(&t),
            json!({"values": {"area_m2": 30}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let page = get(&app, "/console", &cookie).await;
    assert_dashboard_matches_api(&app, &page.html, &regulator, [0, 0]).await;
    assert_eq!(row(&page.html, "nationwide")[1..4], ["10", "8", "2"]);

    // The review: one file of each region is referred back.
    app.at("1400/02/06 09:00");
    let (regulator, cookie) = staff_in(&app, REGULATOR.0).await;
    let (rev1, _) = staff_in(&app, "rev.one").await;
    let (rev2, _) = staff_in(&app, "rev.two").await;
    review(&app, [&rev1, &rev2], &offices, 0..8).await;
    for (i, reviewer) in [(0, &rev1), (1, &rev2)] {
        let (s, b) = app
            .post(
                &format!("/v1/rounds/1400-2/files/{}/referral", offices[i].0),
                Some(reviewer),
                json!({"reasons": {"area_m2": "the lease says otherwise"}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let page = get(&app, "/console", &cookie).await;
    assert!(page.html.contains("بررسی اداره کل منطقه"), "{}", page.html);
    assert_dashboard_matches_api(&app, &page.html, &regulator, [0, 0]).await;
    assert_eq!(row(&page.html, "region-1")[5], "1", "referred in region 1");

    // Their correction windows pass uncorrected: overdue, no longer referred.
    app.at("1400/02/14 09:00");
    let (regulator, cookie) = staff_in(&app, REGULATOR.0).await;
    let page = get(&app, "/console", &cookie).await;
    assert_dashboard_matches_api(&app, &page.html, &regulator, [1, 1]).await;
    assert_eq!(row(&page.html, "nationwide")[5..7], ["0", "2"]);

    // Published, two offices object: open objections counted per region.
    app.at("1400/02/17 10:00");
    let (regulator, _) = staff_in(&app, REGULATOR.0).await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    app.at("1400/02/17 11:00");
    for o in &offices[2..4] {
        assert_eq!(object(&app, o).await.0, 201);
    }
    let (regulator, cookie) = staff_in(&app, REGULATOR.0).await;
    let page = get(&app, "/console", &cookie).await;
    assert!(
        page.html.contains("id=\"phase-name\">اعتراض<"),
        "{}",
        page.html
    );
    assert_dashboard_matches_api(&app, &page.html, &regulator, [1, 1]).await;
    assert_eq!(row(&page.html, "nationwide")[7], "2");
    // The counts alone, as htmx polls them: the same section, no page around it.
    let partial = get(&app, "/console/counts", &cookie).await;
    assert_eq!(partial.status, 200);
    assert!(!partial.html.contains("<html"), "{}", partial.html);
    assert!(
        partial.html.contains("hx-trigger=\"every 10s\""),
        "{}",
        partial.html
    );
    assert_dashboard_matches_api(&app, &partial.html, &regulator, [1, 1]).await;

    // In English, left to right, with Latin digits.
    let page = get(&app, "/console?lang=en", &cookie).await;
    assert!(page.html.contains("dir=\"ltr\""), "{}", page.html);
    assert!(page.html.contains("Objections open"), "{}", page.html);
    assert_eq!(row(&page.html, "nationwide")[0], "Nationwide");
}

/// Ten offices filed and reviewed, the clock in the publication phase; the regulator's session.
async fn ready_to_publish(app: &TestApp) -> (Vec<(String, String, u8)>, String, String) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(10);
    assert_eq!(app.import(&admin, &csv).await.0, 200);
    for (name, role, region) in [
        (REGULATOR.0, "regulator", None),
        ("rev.one", "reviewer", Some(1)),
        ("rev.two", "reviewer", Some(2)),
    ] {
        app.staff(&admin, name, role, region).await;
    }
    declare(app, &offices, 0..9).await;
    app.at("1400/02/06 09:00");
    let (rev1, _) = staff_in(app, "rev.one").await;
    let (rev2, _) = staff_in(app, "rev.two").await;
    review(app, [&rev1, &rev2], &offices, 0..9).await;
    app.at("1400/02/17 10:00");
    let (regulator, cookie) = staff_in(app, REGULATOR.0).await;
    (offices, regulator, cookie)
}

/// Grade counts (1, 2, 3) of the API's results of `stage`.
async fn api_grades(app: &TestApp, token: &str, stage: &str) -> BTreeMap<u8, [i64; 3]> {
    let (s, b) = app
        .get(
            &format!("/v1/rounds/1400-2/results?stage={stage}&per_page=1000"),
            Some(token),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let mut grades = BTreeMap::new();
    for r in b["results"].as_array().unwrap() {
        let region = r["region"].as_u64().unwrap() as u8;
        let g = r["grade"].as_u64().unwrap() as usize;
        grades.entry(region).or_insert([0; 3])[g - 1] += 1;
    }
    grades
}

/// The grade counts per region of the page's grade table `table`.
fn page_grades(html: &str, table: &str) -> BTreeMap<u8, [i64; 3]> {
    assert!(
        html.contains(&format!("id=\"{table}\"")),
        "no {table}: {html}"
    );
    [1u8, 2]
        .into_iter()
        .map(|r| {
            let c = row(html, &format!("grades-region-{r}"));
            (r, [1, 2, 3].map(|i| c[i].parse().unwrap()))
        })
        .collect()
}

async fn the_regulator_publishes_after_the_preview_verifies_and_finalizes_with_the_changes_listed(
    app: TestApp,
) {
    let (offices, regulator, cookie) = ready_to_publish(&app).await;

    // The preview: what would be published, and the confirmation form.
    let preview = get(&app, "/console/publish", &cookie).await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(preview.html.contains("id=\"preview\""), "{}", preview.html);
    assert!(
        preview.html.contains("id=\"publish-form\""),
        "{}",
        preview.html
    );
    assert!(
        preview.html.contains("دورهٔ پیش نتیجهٔ اعلام‌شده‌ای ندارد"),
        "1400-1 published nothing: {}",
        preview.html
    );
    let previewed = page_grades(&preview.html, "preview-grades");
    let total: i64 = row(&preview.html, "grades-nationwide")[1..]
        .iter()
        .map(|c| c.parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 10, "every office is in the preview");
    let (_, publications) = app
        .get("/v1/rounds/1400-2/publications", Some(&regulator))
        .await;
    assert_eq!(
        publications["publications"],
        json!([]),
        "a preview stores nothing"
    );

    // Without the form's token nothing is published.
    let refused = post(&app, "/console/publish", &cookie, &[("csrf", "0")]).await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    let (_, publications) = app
        .get("/v1/rounds/1400-2/publications", Some(&regulator))
        .await;
    assert_eq!(publications["publications"], json!([]));

    // Confirmed: published as previewed.
    let published = post(
        &app,
        "/console/publish",
        &cookie,
        &[("csrf", &preview.csrf())],
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.html);
    assert_eq!(api_grades(&app, &regulator, "first").await, previewed);
    let page = get(&app, "/console/publish", &cookie).await;
    assert!(!page.html.contains("id=\"publish-form\""), "{}", page.html);
    assert!(
        page.html.contains("id=\"publication-first\""),
        "{}",
        page.html
    );
    assert_eq!(page_grades(&page.html, "published-grades"), previewed);
    assert!(
        page.html.contains("id=\"finalize-closed\""),
        "{}",
        page.html
    );
    let again = post(&app, "/console/publish", &cookie, &[("csrf", &page.csrf())]).await;
    assert_eq!(
        again.status, 409,
        "a second publication is refused: {}",
        again.html
    );
    assert!(again.html.contains("قبلاً اعلام شده است"), "{}", again.html);

    // Verify with one click: identical, with the API's hashes.
    let verified = get(&app, "/console/verify?stage=first", &cookie).await;
    assert_eq!(verified.status, 200, "{}", verified.html);
    let (_, v) = app
        .get(
            "/v1/rounds/1400-2/publications/first/verify",
            Some(&regulator),
        )
        .await;
    assert_eq!(v["identical"], true, "{v}");
    assert!(
        verified.html.contains("data-identical=\"true\""),
        "{}",
        verified.html
    );
    assert!(
        verified
            .html
            .contains(v["stored_snapshot_hash"].as_str().unwrap()),
        "{}",
        verified.html
    );

    // Objections: one accepted with a correction, one rejected; then the final ranks.
    app.at("1400/02/17 11:00");
    for o in &offices[..2] {
        assert_eq!(object(&app, o).await.0, 201);
    }
    let rev1 = app.login("rev.one", "rev.one-password-1400").await;
    let rev2 = app.login("rev.two", "rev.two-password-1400").await;
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/objections/{}", offices[0].0),
            Some(&rev1),
            json!({"corrections": {"association_score": 100}, "decision": "accepted", "reason": "the association's letter", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .put(
            &format!("/v1/rounds/1400-2/objections/{}", offices[1].0),
            Some(&rev2),
            json!({"decision": "rejected", "reason": "score confirmed", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.at("1400/02/26 12:00");
    let (regulator, cookie) = staff_in(&app, REGULATOR.0).await;
    let page = get(&app, "/console/publish", &cookie).await;
    assert!(page.html.contains("id=\"finalize-form\""), "{}", page.html);
    let finalized = post(
        &app,
        "/console/finalize",
        &cookie,
        &[("csrf", &page.csrf())],
    )
    .await;
    assert_eq!(finalized.status, 303, "{}", finalized.html);

    // The changes listed are the offices whose result differs between the API's two lists.
    let results = |stage: &'static str| {
        let app = &app;
        let regulator = &regulator;
        async move {
            let (_, b) = app
                .get(
                    &format!("/v1/rounds/1400-2/results?stage={stage}&per_page=1000"),
                    Some(regulator),
                )
                .await;
            b["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let key = json!([r["total"], r["grade"], r["positions"]]);
                    (r["office"].as_str().unwrap().to_string(), key)
                })
                .collect::<BTreeMap<String, Value>>()
        }
    };
    let (first, last) = (results("first").await, results("final").await);
    let changed: BTreeSet<&String> = first.keys().filter(|o| first[*o] != last[*o]).collect();
    assert!(
        changed.contains(&offices[0].0),
        "the corrected office changed"
    );
    // Finalized, no phase of 1400-2 is open: the console turns to the next round, and the
    // finalized one is asked for by name (the redirect after finalizing names it).
    let page = get(&app, "/console/publish?round=1400-2", &cookie).await;
    assert!(
        page.html.contains("id=\"publication-final\""),
        "{}",
        page.html
    );
    let listed: BTreeSet<String> = table_rows(&page.html, "change-table")
        .into_iter()
        .map(|c| c[0].clone())
        .collect();
    assert_eq!(listed, changed.into_iter().cloned().collect());
    let why = row(&page.html, &format!("change-{}", offices[0].0));
    assert!(why[3].contains("اعتراض پذیرفته شد"), "{why:?}");
    assert!(why[3].contains("association_score"), "{why:?}");
    let english = get(&app, "/console/publish?round=1400-2&lang=en", &cookie).await;
    let why = row(&english.html, &format!("change-{}", offices[0].0));
    assert!(
        why[3].starts_with("objection accepted; corrected: association_score"),
        "{why:?}"
    );
    let verified = get(&app, "/console/verify?round=1400-2&stage=final", &cookie).await;
    assert!(
        verified.html.contains("data-identical=\"true\""),
        "{}",
        verified.html
    );
}

/// Published first results of ten offices; the regulator's token and session.
async fn published(app: &TestApp) -> (String, String) {
    let (_, regulator, cookie) = ready_to_publish(app).await;
    let (s, b) = app
        .post("/v1/rounds/1400-2/publish", Some(&regulator), json!({}))
        .await;
    assert_eq!(s, 201, "{b}");
    (regulator, cookie)
}

/// The API's results: office → (region, kind, grade, total).
async fn api_results(app: &TestApp, token: &str) -> BTreeMap<String, Value> {
    let (_, b) = app
        .get("/v1/rounds/1400-2/results?per_page=1000", Some(token))
        .await;
    b["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["office"].as_str().unwrap().to_string(),
                json!([r["region"], r["kind"], r["grade"], r["total"]]),
            )
        })
        .collect()
}

async fn the_results_table_filters_sorts_and_pages_on_the_server_and_tells_a_bad_filter_by_its_field(
    app: TestApp,
) {
    let (regulator, cookie) = published(&app).await;
    let api = api_results(&app, &regulator).await;

    let all = get(&app, "/console/results?per_page=500", &cookie).await;
    assert_eq!(all.status, 200, "{}", all.html);
    let rows = table_rows(&all.html, "results");
    assert_eq!(rows.len(), api.len());
    for r in &rows {
        let a = &api[&r[0]];
        assert_eq!(r[1], a[0].to_string(), "region of {}", r[0]);
        assert_eq!(r[5], a[2].to_string(), "grade of {}", r[0]);
    }

    // Each filter keeps exactly the API's rows that match it.
    for (query, keep) in [
        (
            "region=2",
            Box::new(|a: &Value| a[0] == 2) as Box<dyn Fn(&Value) -> bool>,
        ),
        ("kind=rural_ict", Box::new(|a: &Value| a[1] == "rural_ict")),
        ("grade=3", Box::new(|a: &Value| a[2] == 3)),
        (
            "region=۱&grade=3",
            Box::new(|a: &Value| a[0] == 1 && a[2] == 3),
        ),
    ] {
        let page = get(&app, &format!("/console/results?{query}"), &cookie).await;
        assert_eq!(page.status, 200, "{query}: {}", page.html);
        let shown: BTreeSet<String> = table_rows(&page.html, "results")
            .into_iter()
            .map(|c| c[0].clone())
            .collect();
        let expected: BTreeSet<String> = api
            .iter()
            .filter(|(_, a)| keep(a))
            .map(|(o, _)| o.clone())
            .collect();
        assert_eq!(shown, expected, "{query}");
    }

    // Sorted by total, highest first; paged three at a time, the pages cover every row once.
    let mut seen = Vec::new();
    let mut path = "/console/results?sort=total&dir=desc&per_page=3".to_string();
    loop {
        let page = get(&app, &path, &cookie).await;
        let rows = table_rows(&page.html, "results");
        assert!(rows.len() <= 3, "{}", page.html);
        seen.extend(rows);
        let Some(at) = page.html.find("id=\"next-page\" href=\"") else {
            break;
        };
        let href = &page.html[at + 21..];
        path = href[..href.find('"').unwrap()]
            .replace("&amp;", "&")
            .replace("&#38;", "&");
    }
    assert_eq!(seen.len(), api.len(), "every row on exactly one page");
    let totals: Vec<f64> = seen
        .iter()
        .map(|r| r[4].parse().unwrap_or(f64::NEG_INFINITY))
        .collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");

    // A region that does not exist: the error summary links to the field, the message beside it.
    let bad = get(&app, "/console/results?region=12&grade=3", &cookie).await;
    assert_eq!(bad.status, 200);
    assert!(bad.html.contains("href=\"#region\""), "{}", bad.html);
    assert!(
        bad.html
            .contains("id=\"region-error\">منطقه باید عددی از ۱ تا ۹ باشد"),
        "{}",
        bad.html
    );
    let shown = table_rows(&bad.html, "results");
    assert!(
        shown.iter().all(|r| r[5] == "3"),
        "the valid filter still applies"
    );
}

/// The parsed CSV of a download: header and rows.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

async fn download(app: &TestApp, path: &str, cookie: &str) -> (u16, String, Vec<u8>) {
    let resp = client()
        .get(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let mime = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, mime, resp.bytes().await.unwrap().to_vec())
}

async fn the_csv_and_excel_downloads_have_the_tables_columns_and_the_sheet_reads_right_to_left(
    app: TestApp,
) {
    let (regulator, cookie) = published(&app).await;
    let page = get(&app, "/console/results?region=1", &cookie).await;
    let columns = table_head(&page.html, "results");
    let shown = table_rows(&page.html, "results");

    let (status, mime, body) = download(&app, "/console/results.csv?region=1", &cookie).await;
    assert_eq!((status, mime.as_str()), (200, "text/csv; charset=utf-8"));
    let (header, rows) = parse_csv(std::str::from_utf8(&body).unwrap());
    assert_eq!(header, columns, "the table's columns");
    assert_eq!(header[0], "دفتر");
    assert_eq!(rows, shown, "the table's rows");
    let api = api_results(&app, &regulator).await;
    for r in &rows {
        assert_eq!(json!([r[5].parse::<u8>().unwrap()]), json!([api[&r[0]][2]]));
        let total = api[&r[0]][3].as_f64();
        assert_eq!(r[4].parse().ok(), total, "the total of {}", r[0]);
    }

    let (status, mime, body) = download(&app, "/console/results.xlsx?region=1", &cookie).await;
    assert_eq!(status, 200);
    assert_eq!(
        mime,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(body.clone())).unwrap();
    assert_eq!(book.sheet_names(), vec!["نتایج".to_string()]);
    let range = book.worksheet_range("نتایج").unwrap();
    let sheet: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(sheet[0], header, "the same columns");
    assert_eq!(sheet.len() - 1, rows.len(), "the same rows");
    for (cells, csv_row) in sheet[1..].iter().zip(&rows) {
        for (x, c) in cells.iter().zip(csv_row) {
            match (x.parse::<f64>(), c.parse::<f64>()) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{cells:?} against {csv_row:?}"),
                _ => assert_eq!(x, c, "{cells:?} against {csv_row:?}"),
            }
        }
    }
    // The sheet reads right to left: the flag is in the sheet's XML (calamine does not expose it).
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(xml.contains("rightToLeft=\"1\""), "{xml}");

    // In English the sheet reads left to right, with English headings.
    let (_, _, body) = download(&app, "/console/results.xlsx?lang=en", &cookie).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    assert!(!xml.contains("rightToLeft"), "{xml}");
}

async fn every_console_page_is_refused_to_an_office_holder_and_a_reviewer(app: TestApp) {
    let (offices, regulator, _) = ready_to_publish(&app).await;
    let office = sign_in(&app, &offices[0].1, &offices[0].1).await;
    let reviewer = sign_in(&app, "rev.one", "rev.one-password-1400").await;
    for cookie in [&office, &reviewer] {
        for path in [
            "/console",
            "/console/counts",
            "/console/publish",
            "/console/verify?stage=first",
            "/console/results",
            "/console/results.csv",
            "/console/results.xlsx",
            "/console/simulation",
        ] {
            let page = get(&app, path, cookie).await;
            assert_eq!(page.status, 403, "{path}: {}", page.html);
            assert!(
                page.html.contains("این صفحه برای نقش شما نیست"),
                "{path}: {}",
                page.html
            );
        }
        let home = get(&app, "/", cookie).await;
        assert!(!home.html.contains("id=\"console-link\""), "{}", home.html);
        let token = home.csrf();
        for path in [
            "/console/publish",
            "/console/finalize",
            "/console/simulation",
            "/console/simulation/report",
        ] {
            let page = post(&app, path, cookie, &[("csrf", &token)]).await;
            assert_eq!(page.status, 403, "{path}: {}", page.html);
        }
    }
    let (_, publications) = app
        .get("/v1/rounds/1400-2/publications", Some(&regulator))
        .await;
    assert_eq!(publications["publications"], json!([]), "nothing published");
    // Not signed in: to the sign-in form.
    assert_eq!(get(&app, "/console", "").await.status, 303);
    // The regulator's home page links to the console.
    let cookie = sign_in(&app, REGULATOR.0, REGULATOR.1).await;
    let home = get(&app, "/", &cookie).await;
    assert!(home.html.contains("id=\"console-link\""), "{}", home.html);
}
