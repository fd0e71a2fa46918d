//! The policy staff's rules pages: each round's live version with its rule tests, the last attempt
//! to load its files with every diagnostic (file:line:column, message, hint) — polled every half
//! second by htmx, so a save in an editor shows its verdict within a second; without JavaScript the page shows the
//! state at load with a refresh link — and every version that was ever live, its files, and the
//! difference between two versions in business terms.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::Portal;
use super::assets::HTMX;
use super::layout::{Bounce, Layout, Visitor, app_error, render};
use crate::app::rules_console::{
    self, Change, LoadAttempt, READERS, RoundRules, VersionRow, VersionSource,
};
use crate::domain::JalaliDate;

/// An instant as the pages write it: Jalali date and Tehran time, in the page's digits.
pub(super) fn when(l: &Layout, ts: jiff::Timestamp) -> String {
    l.num(JalaliDate::date_time_of(ts))
}

/// The first characters of a content hash, enough to tell versions apart on screen.
fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    l: Layout,
    rounds: Vec<RoundRules>,
    htmx: &'static str,
}

#[derive(Template)]
#[template(path = "rules_status.html")]
struct RulesStatus {
    l: Layout,
    rounds: Vec<RoundRules>,
}

/// Shared by the page and its polled part.
trait Shows {
    fn l(&self) -> &Layout;

    fn when(&self, ts: &jiff::Timestamp) -> String {
        when(self.l(), *ts)
    }

    fn short<'a>(&self, hash: &'a str) -> &'a str {
        short(hash)
    }

    fn origin(&self, a: &LoadAttempt) -> &'static str {
        let l = self.l();
        match a.origin {
            Some("startup") => l.t("هنگام راه‌اندازی", "at start-up"),
            Some(_) => l.t("پس از ویرایش پرونده‌ها", "after the files were edited"),
            None => "",
        }
    }
}

impl Shows for RulesPage {
    fn l(&self) -> &Layout {
        &self.l
    }
}

impl Shows for RulesStatus {
    fn l(&self) -> &Layout {
        &self.l
    }
}

/// `GET /rules`: every round's live version, rule tests and last load attempt, kept fresh by a poll.
pub async fn show(State(portal): State<Portal>, v: Visitor) -> Result<Response, Bounce> {
    v.require(READERS)?;
    let rounds = rules_console::overview(&portal.app, &v.actor, true)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    let page = RulesPage {
        l: v.layout(),
        rounds,
        htmx: HTMX,
    };
    Ok(v.finish(render(StatusCode::OK, &page)))
}

/// `GET /rules/status`: the part of the rules page the poll replaces.
pub async fn status(State(portal): State<Portal>, v: Visitor) -> Result<Response, Bounce> {
    v.require(READERS)?;
    let rounds = rules_console::overview(&portal.app, &v.actor, true)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    Ok(render(
        StatusCode::OK,
        &RulesStatus {
            l: v.layout(),
            rounds,
        },
    ))
}

#[derive(Template)]
#[template(path = "rules_versions.html")]
struct VersionsPage {
    l: Layout,
    round: String,
    versions: Vec<VersionRow>,
    /// The two versions compared, older first, and what changed between them.
    compared: Option<(String, String, Vec<Change>)>,
}

impl VersionsPage {
    fn when(&self, ts: &jiff::Timestamp) -> String {
        when(&self.l, *ts)
    }

    fn short<'a>(&self, hash: &'a str) -> &'a str {
        short(hash)
    }

    fn origin<'a>(&'a self, origin: &'a str) -> &'a str {
        match origin {
            "startup" => self.l.t("راه‌اندازی", "start-up"),
            "file_watcher" => self.l.t("ویرایش پرونده‌ها", "file edit"),
            other => other,
        }
    }

    /// A change's section in the page's language.
    fn section<'a>(&'a self, c: &'a Change) -> &'a str {
        let l = &self.l;
        match c.section {
            "round" => l.t("دوره", "round"),
            "criterion" => l.t("شاخص", "criterion"),
            "penalty" => l.t("جریمه", "penalty"),
            "input" => l.t("پرسش", "input"),
            "grading" => l.t("رتبه‌بندی", "grading"),
            "ranking" => l.t("ترتیب", "ranking"),
            "calendar" => l.t("تقویم", "calendar"),
            other => other,
        }
    }

    fn label(&self, c: &Change) -> String {
        match &c.label {
            Some(label) => self.l.pick(label).to_string(),
            None => String::new(),
        }
    }
}

/// `?old=HASH&new=HASH`: the two versions to compare.
#[derive(Deserialize, Default)]
pub struct Compare {
    #[serde(default)]
    old: Option<String>,
    #[serde(default)]
    new: Option<String>,
}

/// `GET /rules/{round}/versions`: every version that was ever live; with `old` and `new`, what
/// changed between them in business terms.
pub async fn versions(
    State(portal): State<Portal>,
    Path(round): Path<String>,
    Query(q): Query<Compare>,
    v: Visitor,
) -> Result<Response, Bounce> {
    v.require(READERS)?;
    let refuse = |e| Bounce::from(app_error(v.layout(), e));
    let versions = rules_console::versions(&portal.app, &v.actor, &round)
        .await
        .map_err(refuse)?;
    let compared = match (
        q.old.filter(|s| !s.is_empty()),
        q.new.filter(|s| !s.is_empty()),
    ) {
        (Some(old), Some(new)) => {
            let changes = rules_console::diff_versions(&portal.app, &v.actor, &round, &old, &new)
                .await
                .map_err(refuse)?;
            Some((old, new, changes))
        }
        _ => None,
    };
    let page = VersionsPage {
        l: v.layout(),
        round,
        versions,
        compared,
    };
    Ok(v.finish(render(StatusCode::OK, &page)))
}

#[derive(Template)]
#[template(path = "rules_source.html")]
struct SourcePage {
    l: Layout,
    round: String,
    source: VersionSource,
}

/// `GET /rules/{round}/versions/{hash}`: a version's files, as they were when it was live.
pub async fn source(
    State(portal): State<Portal>,
    Path((round, hash)): Path<(String, String)>,
    v: Visitor,
) -> Result<Response, Bounce> {
    v.require(READERS)?;
    let source = rules_console::source(&portal.app, &v.actor, &round, &hash)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    let page = SourcePage {
        l: v.layout(),
        round,
        source,
    };
    Ok(v.finish(render(StatusCode::OK, &page)))
}

/// `GET /rules/{round}/versions/{old}/{new}/simulation`: what the change from `old` to `new` does
/// to the offices, as the simulation report (the stored declarations ranked under both).
pub async fn simulation(
    State(portal): State<Portal>,
    Path((round, old, new)): Path<(String, String, String)>,
    v: Visitor,
) -> Result<Response, Bounce> {
    v.require(READERS)?;
    let html = rules_console::what_the_change_does(&portal.app, &v.actor, &round, &old, &new)
        .await
        .map_err(|e| Bounce::from(app_error(v.layout(), e)))?;
    Ok(axum::response::IntoResponse::into_response((
        StatusCode::OK,
        [
            (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )))
}
