//! The after-round triage report in the regulator's console: for each review flag, how many
//! flagged files the review changed and how many unflagged ones, to tune next round's flags;
//! the same figures as `GET /v1/rounds/{round}/triage/outcomes`, and the same CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::Portal;
use super::console::{RoundQuery, console_visitor, current_round, given};
use super::layout::{Bounce, Layout, Visitor, app_error, failure, render};
use crate::app::triage;

/// One flag's row, as the page writes it.
struct Row {
    id: String,
    label: String,
    weight: String,
    flagged: String,
    flagged_changed: String,
    flagged_share: String,
    unflagged: String,
    unflagged_changed: String,
    unflagged_share: String,
}

#[derive(Template)]
#[template(path = "console_triage.html")]
struct TriagePage {
    l: Layout,
    round: String,
    files: String,
    changed: String,
    rows: Vec<Row>,
}

/// `changed` of `of` as a percent with one decimal, or a dash when `of` is 0.
fn share(l: &Layout, changed: usize, of: usize) -> String {
    if of == 0 {
        "—".into()
    } else {
        let percent = format!("{:.1}", changed as f64 * 100.0 / of as f64);
        match l.lang {
            super::session::Lang::Fa => format!("{}٪", l.num(percent).replace('.', "٫")),
            super::session::Lang::En => format!("{percent} %"),
        }
    }
}

/// `GET /console/triage?round=`: the after-round report of the round's review flags.
pub async fn page(
    State(portal): State<Portal>,
    Query(q): Query<RoundQuery>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let round = current_round(&portal, &visitor, given(&q.round)).await?;
    let l = visitor.layout();
    let response = match triage::outcomes(&portal.app, &visitor.actor, &round, None).await {
        Ok(o) => {
            let rows = o
                .flags
                .iter()
                .map(|f| Row {
                    id: f.id.clone(),
                    label: l.pick(&f.label).to_string(),
                    weight: l.num(f.weight),
                    flagged: l.num(f.flagged),
                    flagged_changed: l.num(f.flagged_changed),
                    flagged_share: share(&l, f.flagged_changed, f.flagged),
                    unflagged: l.num(f.unflagged),
                    unflagged_changed: l.num(f.unflagged_changed),
                    unflagged_share: share(&l, f.unflagged_changed, f.unflagged),
                })
                .collect();
            render(
                StatusCode::OK,
                &TriagePage {
                    round: round.clone(),
                    files: l.num(o.files),
                    changed: l.num(o.changed),
                    rows,
                    l,
                },
            )
        }
        Err(e) => app_error(l, e),
    };
    Ok(visitor.finish(response))
}

/// `GET /console/triage.csv?round=`: the same report as CSV (the API's columns).
pub async fn csv(
    State(portal): State<Portal>,
    Query(q): Query<RoundQuery>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let visitor = console_visitor(visitor)?;
    let round = current_round(&portal, &visitor, given(&q.round)).await?;
    let outcomes = triage::outcomes(&portal.app, &visitor.actor, &round, None)
        .await
        .map_err(|e| Bounce::from(app_error(visitor.layout(), e)))?;
    let body = triage::outcomes_csv(&outcomes).map_err(|e| Bounce::from(failure(e)))?;
    Ok(super::console_export::download(
        "text/csv; charset=utf-8",
        format!("triage-outcomes-{round}.csv"),
        body,
    ))
}
