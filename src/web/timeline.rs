//! The status timeline of an office holder's file (`GET /file`): submitted, under review, referred
//! (with the reviewer's notes and the correction deadline), corrected, published, objection filed
//! and decided, final — each with its date and time, the current step marked. Built by
//! [`crate::app::my_round::timeline`].

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::Portal;
use super::layout::{Bounce, Layout, Visitor, app_error, render};
use super::results::{deadline, when};
use crate::app::my_round::{self, Progress, Timeline, TimelineStep};
use crate::domain::Role;

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    l: Layout,
    title: String,
    round: String,
    steps: Vec<StepView>,
}

/// One step as the page writes it, in the page's language.
struct StepView {
    id: &'static str,
    name: String,
    /// `done`, `current`, `ahead` or `skipped` (a class, and the words beside it).
    state: &'static str,
    state_text: String,
    when: String,
    note: Option<String>,
    reasons: Vec<(String, String)>,
    deadline: Option<String>,
    decision_reason: Option<String>,
}

fn view(l: Layout, t: Timeline) -> TimelinePage {
    let steps = t.steps.into_iter().map(|s| step_view(&l, s)).collect();
    TimelinePage {
        title: l.pick(&t.title).to_string(),
        round: l.num(t.round),
        steps,
        l,
    }
}

fn step_view(l: &Layout, s: TimelineStep) -> StepView {
    let (state, state_text) = match s.progress {
        Progress::Done => ("done", l.t("انجام شد", "done")),
        Progress::Current => ("current", l.t("مرحلهٔ کنونی", "current step")),
        Progress::Ahead => ("ahead", l.t("هنوز نه", "not yet")),
        Progress::Skipped => ("skipped", l.t("رخ نداد", "did not happen")),
    };
    StepView {
        id: s.step.id(),
        name: l.pick(&s.step.label()).to_string(),
        state,
        state_text: state_text.to_string(),
        when: s
            .at
            .map_or_else(|| l.t("هنوز نه", "not yet").to_string(), |at| when(l, at)),
        note: s.note.as_ref().map(|n| l.pick(n).to_string()),
        reasons: s
            .reasons
            .iter()
            .map(|(label, why)| (l.pick(label).to_string(), why.clone()))
            .collect(),
        deadline: s.deadline.map(|d| deadline(l, d)),
        decision_reason: s.decision_reason,
    }
}

/// `GET /file`: the signed-in office's file in the round of the pages, step by step.
pub async fn file(State(portal): State<Portal>, visitor: Visitor) -> Result<Response, Bounce> {
    file_page(&portal, &visitor, None).await
}

/// `GET /round/{round}/file`: the signed-in office's file in a round it names.
pub async fn round_file(
    State(portal): State<Portal>,
    visitor: Visitor,
    Path(round): Path<String>,
) -> Result<Response, Bounce> {
    file_page(&portal, &visitor, Some(&round)).await
}

async fn file_page(
    portal: &Portal,
    visitor: &Visitor,
    round: Option<&str>,
) -> Result<Response, Bounce> {
    visitor.require(&[Role::Office])?;
    let response = match my_round::timeline(&portal.app, &visitor.actor, round).await {
        Ok(Some(t)) => render(StatusCode::OK, &view(visitor.layout(), t)),
        Ok(None) => visitor.refuse(
            StatusCode::NOT_FOUND,
            visitor.l.t("دوره‌ای در جریان نیست", "No round is running"),
        ),
        Err(e) => app_error(visitor.layout(), e),
    };
    Ok(visitor.finish(response))
}
