//! The console's simulation page over HTTP on both backends: the form holds the live rules'
//! values, a run with overrides shows the same numbers as the API's simulation of the same
//! candidate and is audited, wrong values are told at their fields, uploaded files replace the
//! live ones (a broken one is told by file and line), a sweep runs, and the report downloads.

use serde_json::{Value, json};

use crate::both_backends;
use crate::console::{plain, table_rows};
use crate::helpers::{TestApp, registry_csv};
use crate::page_client::{Page, get, post_multipart, sign_in};

both_backends!(spawn_single_slot =>
    a_busy_server_a_looping_script_and_a_broken_form_are_told_on_the_page_and_the_slot_is_freed,
);

both_backends!(
    the_form_holds_the_live_values_and_two_overrides_give_the_apis_numbers_and_an_audit_entry,
    a_wrong_value_a_clash_between_cut_points_and_an_empty_candidate_are_told_at_their_fields,
    an_uploaded_file_replaces_the_live_one_a_broken_one_is_told_by_line_and_the_report_downloads,
    a_sweep_runs_with_the_overrides_and_its_steps_are_in_the_report,
);

/// Twelve offices, ten of which filed; the regulator's API token and page session.
async fn filed(app: &TestApp) -> (String, String) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(12);
    app.import(&admin, &csv).await;
    crate::round_life::declare(app, &offices, 0..10).await;
    let token = app.staff(&admin, "regulator.sim", "regulator", None).await;
    let cookie = sign_in(app, "regulator.sim", "regulator.sim-password-1400").await;
    (token, cookie)
}

/// The value of the input named `name`.
fn input(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no input {name}"))
        + name.len()
        + 15;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// The text of the element with `id` (its first child element's end at the latest).
fn text_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let open = at + html[at..].find('>').unwrap() + 1;
    plain(&html[open..open + html[open..].find("</").unwrap()])
}

/// The text of the list with `id`, every item.
fn list_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    plain(&html[at + html[at..].find('>').unwrap() + 1..at + html[at..].find("</ul>").unwrap()])
}

/// Runs the form with `fields` (besides the token and the round) and `files`.
async fn run(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Page {
    let form = get(app, "/console/simulation", cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let csrf = form.csrf();
    let mut all = vec![("csrf", csrf.as_str()), ("round", "1400-2")];
    all.extend_from_slice(fields);
    post_multipart(app, path, cookie, &all, files).await
}

/// How many `simulation_run` entries the audit log has for round 1400-2.
async fn runs(app: &TestApp) -> usize {
    app.store
        .audit_entries(Some("round:1400-2"), 100)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == "simulation_run")
        .count()
}

/// The grade counts of the page's table, live then candidate.
fn page_grades(html: &str) -> ([i64; 3], [i64; 3]) {
    let rows = table_rows(html, "grade-counts");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let n = |s: &String| s.parse::<i64>().unwrap();
    (
        [n(&rows[0][1]), n(&rows[1][1]), n(&rows[2][1])],
        [n(&rows[0][2]), n(&rows[1][2]), n(&rows[2][2])],
    )
}

fn api_grades(v: &Value) -> [i64; 3] {
    let g = v.as_array().unwrap();
    [0, 1, 2].map(|i| g[i].as_i64().unwrap())
}

async fn the_form_holds_the_live_values_and_two_overrides_give_the_apis_numbers_and_an_audit_entry(
    app: TestApp,
) {
    let (token, cookie) = filed(&app).await;
    let form = get(&app, "/console/simulation", &cookie).await;
    assert_eq!(form.status, 200, "{}", form.html);
    // The live values, as the round's files have them.
    assert_eq!(input(&form.html, "weight:area"), "1.5");
    assert_eq!(input(&form.html, "max_points:area"), "10");
    assert_eq!(input(&form.html, "cut:grade_1"), "60");
    assert_eq!(input(&form.html, "cut:grade_2"), "35");
    assert_eq!(input(&form.html, "cap:overcharging"), "-30");
    assert!(form.html.contains("enctype=\"multipart/form-data\""));
    assert_eq!(runs(&app).await, 0, "opening the form runs nothing");

    // Two overrides, typed in Persian digits; every other value sent as it was.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[
            ("weight:area", "۳"),
            ("max_points:area", "10"),
            ("cut:grade_1", "۵۰"),
            ("cut:grade_2", "35"),
        ],
        &[],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let (s, api) = app
        .post(
            "/v1/rounds/1400-2/simulate",
            Some(&token),
            json!({"set": ["weight:area=3", "cut:grade_1=50"]}),
        )
        .await;
    assert_eq!(s, 200, "{api}");
    assert_eq!(
        api["simulation"]["overrides"],
        json!(["weight:area=3", "cut:grade_1=50"]),
        "the answer names the overrides it was made with"
    );
    let summary = &api["simulation"]["summary"];
    let (old, new) = page_grades(&page.html);
    assert_eq!(old, api_grades(&summary["grades_old"]));
    assert_eq!(new, api_grades(&summary["grades_new"]));
    assert_ne!(old, new, "the overrides move grades in this population");
    for (id, key) in [
        ("grades-up", "grades_up"),
        ("grades-down", "grades_down"),
        ("totals-changed", "totals_changed"),
        ("positions-changed", "positions_changed"),
    ] {
        assert_eq!(
            text_of(&page.html, id),
            summary[key].to_string(),
            "{id}: {summary}"
        );
    }
    // What was changed, in words, and the rule changes in business terms.
    let changed = list_of(&page.html, "changed");
    assert!(changed.contains("1.5 → 3"), "{changed}");
    assert!(changed.contains("60 → 50"), "{changed}");
    let changes = table_rows(&page.html, "rule-changes");
    assert_eq!(changes.len(), 2, "{changes:?}");
    // The report is the simulation report, inline.
    assert!(page.html.contains("id=\"simulation-report\""));
    assert!(
        page.html.contains("Rule-change simulation report"),
        "the report's heading is in the frame"
    );
    // The form keeps what was sent, so a second run starts from it.
    assert_eq!(input(&page.html, "weight:area"), "۳");
    // Both runs are audited (the page's and the API's).
    assert_eq!(runs(&app).await, 2);
    let entries = app
        .store
        .audit_entries(Some("round:1400-2"), 100)
        .await
        .unwrap();
    let by_page = entries
        .iter()
        .find(|a| a.action == "simulation_run" && a.actor == "regulator:regulator.sim")
        .expect("the page's run is audited as the regulator");
    let after = by_page.after.as_ref().unwrap().to_string();
    assert!(after.contains("weight:area=3"), "{after}");
    // Nothing official: no publication.
    let (_, publications) = app
        .get("/v1/rounds/1400-2/publications", Some(&token))
        .await;
    assert_eq!(publications["publications"], json!([]));
}

async fn a_wrong_value_a_clash_between_cut_points_and_an_empty_candidate_are_told_at_their_fields(
    app: TestApp,
) {
    let (_, cookie) = filed(&app).await;
    // A value that is not a number: the summary links to its input, the message is beside it.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("weight:area", "دو"), ("weight:personnel", "2")],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.html.contains("href=\"#set-weight-area\""),
        "{}",
        page.html
    );
    assert!(page.html.contains("id=\"set-weight-area-error\""));
    assert!(!page.html.contains("id=\"simulation-result\""));
    // A weight out of range.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("weight:area", "250")],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let message = text_of(&page.html, "set-weight-area-error");
    assert!(message.contains("100"), "{message}");
    // Grade 1 below grade 2: a clash between settings, told at the grading table.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("cut:grade_1", "30")],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("href=\"#grading\""), "{}", page.html);
    assert!(page.html.contains("id=\"grading-error\""));
    // Nothing changed at all.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("weight:area", "1.50")],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        page.html.contains("دست‌کم یک مقدار را تغییر دهید"),
        "{}",
        page.html
    );
    // A bad sweep range, at the sweep.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[
            ("sweep_key", "weight:area"),
            ("sweep_from", "3"),
            ("sweep_to", "1"),
            ("sweep_step", "0.5"),
        ],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("href=\"#sweep-key\""), "{}", page.html);
    // None of these ran.
    assert_eq!(runs(&app).await, 0);
}

async fn an_uploaded_file_replaces_the_live_one_a_broken_one_is_told_by_line_and_the_report_downloads(
    app: TestApp,
) {
    let (_, cookie) = filed(&app).await;
    let live = std::fs::read_to_string(app.rules_dir.join("1400-2/criteria.yaml")).unwrap();
    // A broken criteria file: told by file, line and column; nothing runs.
    let broken = live.replacen("weight: 1.5", "weight: [1.5", 1);
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[],
        &[("criteria.yaml", broken.as_bytes())],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    let problems = text_of(&page.html, "candidate-problems");
    assert!(problems.starts_with("criteria.yaml:"), "{problems}");
    assert!(page.html.contains("href=\"#files\""));
    assert_eq!(runs(&app).await, 0);

    // The same file with another weight: the live round's other files stay.
    let edited = live.replacen("weight: 1.5", "weight: 2.5", 1);
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[],
        &[("criteria.yaml", edited.as_bytes())],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let changes = table_rows(&page.html, "rule-changes");
    assert!(
        changes
            .iter()
            .any(|c| c[2] == "weight" && c[3] == "1.5" && c[4] == "2.5"),
        "{changes:?}"
    );
    assert!(list_of(&page.html, "changed").contains("criteria.yaml"));
    // The file is carried in the answered form: downloading the report needs no new upload.
    // (As base64: a browser would turn its line ends into CRLF, and the candidate's hash with them.)
    let carried = input(&page.html, "carried:criteria.yaml");
    let csrf = page.csrf();
    let carried_text = html_unescape(&carried);
    assert!(
        !carried_text.contains("weight"),
        "carried as base64: {carried_text}"
    );
    let download = post_multipart(
        &app,
        "/console/simulation/report",
        &cookie,
        &[
            ("csrf", &csrf),
            ("round", "1400-2"),
            ("carried:criteria.yaml", &carried_text),
        ],
        &[],
    )
    .await;
    assert_eq!(download.status, 200, "{}", download.html);
    assert!(download.html.starts_with("<!DOCTYPE html>"));
    assert!(download.html.contains("Rule-change simulation report"));
    assert!(
        download.html.contains("candidate/1400-2"),
        "the candidate is the uploaded bundle"
    );
    assert!(
        !download.html.contains("<script"),
        "one self-contained file"
    );
    assert_eq!(
        runs(&app).await,
        2,
        "the download is a run too, and audited"
    );
}

/// The text of an attribute value as the browser reads it (named and numeric references).
fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').unwrap_or(0);
        let name = &rest[1..end.max(1)];
        let c = match name {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            _ => name
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        match c {
            Some(c) if end > 0 => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

async fn a_sweep_runs_with_the_overrides_and_its_steps_are_in_the_report(app: TestApp) {
    let (token, cookie) = filed(&app).await;
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[
            ("weight:area", "2"),
            ("sweep_key", "cut:grade_2"),
            ("sweep_from", "۱۵"),
            ("sweep_to", "30"),
            ("sweep_step", "5"),
        ],
        &[],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.html);
    let changed = list_of(&page.html, "changed");
    assert!(changed.contains("(4"), "four steps: {changed}");
    let (s, api) = app
        .post(
            "/v1/rounds/1400-2/simulate",
            Some(&token),
            json!({"set": ["weight:area=2"], "sweep": "cut:grade_2=15:30:5"}),
        )
        .await;
    assert_eq!(s, 200, "{api}");
    let steps = api["sweep"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    let counts: Vec<&Value> = steps.iter().map(|s| &s["grades"]).collect();
    assert_ne!(
        counts.first(),
        counts.last(),
        "the sweep moves grades: {counts:?}"
    );
    // The report in the frame has the sweep's section, with each step's grade counts.
    let report = html_unescape(&page.html[page.html.find("srcdoc=\"").unwrap()..]);
    assert!(report.contains("id=\"sweep\""), "the sweep section");
    for step in steps {
        let g = &step["grades"];
        let row = format!(
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
            g[0], g[1], g[2]
        );
        assert!(report.contains(&row), "step {step}");
    }
    // The sweep keeps its setting in the answered form.
    assert!(
        page.html
            .contains("<option value=\"cut:grade_2\" selected>")
    );
}

/// The entries of the audit log that record simulation runs, newest first.
async fn run_entries(app: &TestApp) -> Vec<Value> {
    app.store
        .audit_entries(Some("round:1400-2"), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.action == "simulation_run")
        .map(|a| a.after.unwrap())
        .collect()
}

async fn a_busy_server_a_looping_script_and_a_broken_form_are_told_on_the_page_and_the_slot_is_freed(
    app: TestApp,
) {
    let (token, cookie) = filed(&app).await;
    let live = std::fs::read_to_string(app.rules_dir.join("1400-2/location.rhai")).unwrap();
    let looping = "fn location_points(location_type, distance_m, step_free) {\nloop { }\n}\n";

    // A wrong token: refused before anything is read or run.
    let page = post_multipart(
        &app,
        "/console/simulation",
        &cookie,
        &[("csrf", "not-the-token"), ("weight:area", "3")],
        &[],
    )
    .await;
    assert_eq!(page.status, 403, "{}", page.html);
    // A file that is not text, and a carried file that is not base64: told at the upload, with
    // the values typed still in the form.
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("weight:area", "3")],
        &[("criteria.yaml", &[0xff, 0xfe, 0x00])],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("href=\"#files\""), "{}", page.html);
    assert_eq!(input(&page.html, "weight:area"), "3");
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[
            ("weight:area", "3"),
            ("carried:criteria.yaml", "%%% not base64"),
        ],
        &[],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(page.html.contains("href=\"#files\""), "{}", page.html);
    // More than 1 MB of files: told at the upload, nothing runs.
    let big = format!("# {}\n{live}", "x".repeat(1024 * 1024));
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("weight:area", "3")],
        &[("location.rhai", big.as_bytes())],
    )
    .await;
    assert_eq!(page.status, 422, "{}", page.html);
    assert!(
        text_of(&page.html, "files-error").contains("یک مگابایت"),
        "{}",
        page.html
    );
    let before = run_entries(&app).await.len();

    // A script that loops holds the one slot: the page is told to retry, and is not audited.
    let bundle = {
        let dir = app.rules_dir.join("1400-2");
        let mut files = serde_json::Map::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.file_name().unwrap().to_str().unwrap().to_string();
                files.insert(name, json!(std::fs::read_to_string(&path).unwrap()));
            }
        }
        files.insert("location.rhai".into(), json!(looping));
        json!({ "files": files })
    };
    let request = app
        .client
        .post(format!("{}/v1/rounds/1400-2/simulate", app.url))
        .bearer_auth(&token)
        .json(&bundle);
    let first = tokio::spawn(async move { request.send().await.unwrap().status().as_u16() });
    for _ in 0..500 {
        let (_, h) = app.get("/health", None).await;
        if h["simulations"]["running"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let page = run(
        &app,
        &cookie,
        "/console/simulation",
        &[("weight:area", "3")],
        &[],
    )
    .await;
    assert_eq!(page.status, 503, "{}", page.html);
    assert!(page.html.contains("href=\"#run\""), "{}", page.html);
    assert!(
        page.html.contains("شبیه‌سازی در حال اجراست"),
        "{}",
        page.html
    );
    first.abort();
    // The abandoned run is stopped and its slot freed.
    let mut running = 1;
    for _ in 0..500 {
        let (_, h) = app.get("/health", None).await;
        running = h["simulations"]["running"].as_u64().unwrap();
        if running == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(running, 0, "the slot is freed when its client goes away");
    assert_eq!(
        run_entries(&app).await.len(),
        before,
        "no run was completed or stopped by its limits"
    );
}
