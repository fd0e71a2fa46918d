//! The audit log page (regulators and admins): filtered by who, action, office, round and date
//! (Jalali, Persian or Latin digits), each entry with its state before and after, paged by the
//! database. A bad date is named beside its field and the log is shown unfiltered by it.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::Portal;
use super::layout::{Bounce, FieldError, Layout, Visitor, app_error, error_of, render};
use crate::app::audit_log::{self, AuditFilter, AuditPage};
use crate::domain::{JalaliDate, Role};

/// The filters as typed (kept to show them again and to build the paging links).
#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    round: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<String>,
}

impl AuditQuery {
    /// The query string of these filters on page `page`.
    fn link(&self, page: i64) -> String {
        let mut pairs: Vec<String> = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("office", &self.office),
            ("round", &self.round),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect();
        pairs.push(format!("page={page}"));
        format!("/audit?{}", pairs.join("&"))
    }
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditLogPage {
    l: Layout,
    q: AuditQuery,
    errors: Vec<FieldError>,
    log: AuditPage,
}

impl AuditLogPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }

    fn when(&self, at: &i64) -> String {
        super::rules::when(&self.l, crate::domain::from_millis(*at))
    }

    fn json(&self, v: &Option<serde_json::Value>) -> String {
        match v {
            Some(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
            None => String::new(),
        }
    }

    fn link(&self, page: i64) -> String {
        self.q.link(page)
    }
}

/// A Jalali date filter, or its error on `field`.
fn date(l: &Layout, field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<JalaliDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match JalaliDate::parse(text) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError {
                field: field.to_string(),
                message: l
                    .t(
                        "تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ بنویسید",
                        "Write the date as 1403/05/12 (Jalali)",
                    )
                    .to_string(),
            });
            None
        }
    }
}

/// `GET /audit`: a page of the log, newest first, under the filters given.
pub async fn show(
    State(portal): State<Portal>,
    Query(q): Query<AuditQuery>,
    v: Visitor,
) -> Result<Response, Bounce> {
    v.require(&[Role::Regulator, Role::Admin])?;
    let l = v.layout();
    let mut errors = Vec::new();
    let from = date(&l, "from", &q.from, &mut errors);
    let to = date(&l, "to", &q.to, &mut errors);
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = AuditFilter {
        actor: text(&q.actor),
        action: text(&q.action),
        office: text(&crate::domain::digits::to_ascii_digits(&q.office)),
        round: text(&crate::domain::digits::to_ascii_digits(&q.round)),
        from: from.map(|d| d.start_in_tehran().as_millisecond()),
        until: to.map(|d| d.add_days(1).start_in_tehran().as_millisecond()),
    };
    let page = q
        .page
        .as_deref()
        .and_then(|p| {
            crate::domain::digits::to_ascii_digits(p)
                .parse::<i64>()
                .ok()
        })
        .unwrap_or(1);
    let log = audit_log::audit_page(&portal.app, &v.actor, &filter, page)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AuditLogPage { l, q, errors, log };
    Ok(v.finish(render(status, &page)))
}
