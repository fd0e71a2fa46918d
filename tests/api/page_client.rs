//! A client for the portal's pages: form posts with cookies, no redirects followed, and the
//! sign-in an office holder or any user goes through.

use crate::helpers::{TestApp, registry_csv};

/// A page answer: status, the `Set-Cookie` headers, the body.
pub struct Page {
    pub status: u16,
    pub cookies: Vec<String>,
    pub html: String,
}

impl Page {
    /// The value a `Set-Cookie` header gives `name`, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap().to_string())
        })
    }

    /// The value of the hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"csrf\" value=\"")
            .expect("a csrf field")
            + 19;
        self.html[at..at + 64].to_string()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn page(resp: reqwest::Response) -> Page {
    Page {
        status: resp.status().as_u16(),
        cookies: resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect(),
        html: resp.text().await.unwrap(),
    }
}

pub async fn get(app: &TestApp, path: &str, cookie: &str) -> Page {
    page(
        client()
            .get(format!("{}{path}", app.url))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn post(app: &TestApp, path: &str, cookie: &str, form: &[(&str, &str)]) -> Page {
    page(
        client()
            .post(format!("{}{path}", app.url))
            .header("cookie", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form.iter()
                    .map(|(k, v)| format!("{k}={}", urlencode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Imports one office and opens the sign-in form: its holder's national code, and the form's
/// cookie and token.
pub async fn office_and_form(app: &TestApp) -> (String, String, String) {
    let admin = app.admin().await;
    let (csv, offices) = registry_csv(1);
    let (s, report) = app.import(&admin, &csv).await;
    assert_eq!(s, 200, "{report}");
    let form = get(app, "/", "").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("id=\"national_code\""), "{}", form.html);
    let cookie = format!(
        "arzyab_csrf={}",
        form.cookie("arzyab_csrf").expect("a csrf cookie")
    );
    let token = form.csrf();
    (offices[0].1.clone(), cookie, token)
}

/// Signs `username` in through the sign-in form: the `Cookie` header of the session.
pub async fn sign_in(app: &TestApp, username: &str, password: &str) -> String {
    let form = get(app, "/", "").await;
    let cookie = format!(
        "arzyab_csrf={}",
        form.cookie("arzyab_csrf").expect("a csrf cookie")
    );
    let signed = post(
        app,
        "/login",
        &cookie,
        &[
            ("national_code", username),
            ("password", password),
            ("csrf", &form.csrf()),
        ],
    )
    .await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    format!(
        "arzyab_session={}",
        signed.cookie("arzyab_session").expect("a session cookie")
    )
}

/// Posts a `multipart/form-data` form: text `fields`, and `files` (file name, bytes) sent as the
/// field `files`, as a browser sends a form with a file input.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Page {
    const BOUNDARY: &str = "arzyab-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (file, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    page(
        client()
            .post(format!("{}{path}", app.url))
            .header("cookie", cookie)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}
