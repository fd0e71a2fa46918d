//! What a signed-in person's home page shows: the live round, its phase now, and the deadline
//! that applies to them, from the same [`RoundCalendar`] every guard asks.

use std::sync::Arc;

use jiff::Timestamp;

use super::{Actor, App, AppError};
use crate::domain::{JalaliDate, Label, Role, RoundId};
use crate::rules::RuleSet;
use crate::store::users::User;
use crate::workflow::calendar::{Events, Phase, RoundCalendar, Window};

/// The round a home page is about, seen at one instant.
#[derive(Clone, Debug)]
pub struct RoundHome {
    pub round: RoundId,
    pub title: Label,
    /// The phase open now; none between phases, before or after the round.
    pub phase: Option<Phase>,
    /// The next deadline that applies to the viewer, if any is still ahead.
    pub deadline: Option<Deadline>,
    /// Whether the round's first results are published (results and objections to read).
    pub published: bool,
}

/// A deadline with what it closes and the whole days left until its last day.
#[derive(Clone, Debug)]
pub struct Deadline {
    /// What closes: "self-declaration", "objection" …
    pub what: Label,
    pub last_day: JalaliDate,
    pub closes_at: Timestamp,
    /// Days from today (Tehran) to the last day; 0 on the last day itself.
    pub days_left: i64,
}

/// The signed-in user's session, if `token_hash` names one still valid at the clock's now.
pub async fn session_user(app: &App, token_hash: &str) -> Result<Option<User>, AppError> {
    let now = app.clock.now().as_millisecond();
    Ok(app
        .store
        .session(token_hash, now)
        .await?
        .map(|(_, user)| user))
}

/// The phases in which an office has something to do, in order.
const OFFICE_PHASES: [Phase; 2] = [Phase::SelfDeclaration, Phase::Objection];

/// The phases in which a regional reviewer has something to do, in order.
const REVIEWER_PHASES: [Phase; 2] = [Phase::RegionalReview, Phase::Objection];

/// The home of a signed-in person: the live round running now (else the latest), its phase, and,
/// for an office holder, the office's next deadline: the correction deadline while its file is
/// referred back, else self-declaration, then the objection window; for a reviewer, the regional
/// review, then the objections. `None` when no round is live.
pub async fn office_home(app: &App, actor: &Actor) -> Result<Option<RoundHome>, AppError> {
    let now = app.clock.now();
    let Some((rs, events)) = current_round(app).await? else {
        return Ok(None);
    };
    let calendar = RoundCalendar::new(&rs, events);
    if actor.role != Role::Office {
        // A reviewer's deadline: the regional review, then (once results are out) the objections.
        let deadline = (actor.role == Role::Reviewer)
            .then(|| {
                REVIEWER_PHASES
                    .into_iter()
                    .map(|p| calendar.window(p))
                    .find(|w| {
                        now < w.closes_at
                            && (w.phase != Phase::Objection || events.published_at.is_some())
                    })
                    .map(|w| deadline_of(&w, now))
            })
            .flatten();
        return Ok(Some(RoundHome {
            round: rs.round,
            title: rs.title.clone(),
            phase: calendar.current_phase(now),
            deadline,
            published: events.published_at.is_some(),
        }));
    }
    let file = super::declarations::mine(app, actor, &rs.round.to_string()).await?;
    let correction = file.referral.as_ref().map(|r| Deadline {
        what: Label::new("اصلاح پرونده ارجاع‌شده", "correcting the referred file"),
        ..deadline_of(&crate::workflow::review::referral_window(r), now)
    });
    let deadline = correction.or_else(|| {
        OFFICE_PHASES
            .into_iter()
            .map(|p| calendar.window(p))
            .find(|w| {
                now < w.closes_at && (w.phase != Phase::Objection || events.published_at.is_some())
            })
            .map(|w| deadline_of(&w, now))
    });
    Ok(Some(RoundHome {
        round: rs.round,
        title: rs.title.clone(),
        phase: calendar.current_phase(now),
        deadline,
        published: events.published_at.is_some(),
    }))
}

/// The round the pages are about: the live round with a phase open now, else the latest live
/// round; with what has happened in it. `None` when no round is live.
pub async fn current_round(app: &App) -> Result<Option<(Arc<RuleSet>, Events)>, AppError> {
    let now = app.clock.now();
    let rounds = app.rules.rounds();
    let mut chosen = None;
    for rs in rounds.values().rev() {
        let events = super::publication::events(app, rs.round).await?;
        let open = RoundCalendar::new(rs, events).current_phase(now).is_some();
        if chosen.is_none() || open {
            chosen = Some((rs.clone(), events));
        }
        if open {
            break;
        }
    }
    Ok(chosen)
}

fn deadline_of(w: &Window, now: Timestamp) -> Deadline {
    Deadline {
        what: w.phase.label(),
        last_day: w.last_day,
        closes_at: w.closes_at,
        days_left: JalaliDate::of_instant(now).days_until(w.last_day).max(0),
    }
}
