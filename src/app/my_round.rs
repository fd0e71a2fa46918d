//! An office holder's view of its own round: the status timeline of its file (submitted, under
//! review, referred, corrected, published, objection filed and decided, final), and its result with
//! the explanation in business terms, the points missing for the next grade, the share of services
//! its grade allows and its objection. Queries only: the objection itself is filed by
//! [`super::publication::object`], the command the JSON API calls too.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Deserialize;

use super::{Actor, App, AppError};
use crate::domain::records::{Objection, Publication, StoredResult};
use crate::domain::{Fixed, Grade, Label, ObjectionStatus, ReferralStatus, Stage};
use crate::rules::RuleSet;
use crate::workflow::calendar::{Events, RoundCalendar, Window};
use crate::workflow::{Phase, review};

/// The steps of a file's life, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Submitted,
    UnderReview,
    Referred,
    Corrected,
    Published,
    ObjectionFiled,
    ObjectionDecided,
    Final,
}

impl Step {
    /// Every step, in the order a file goes through them.
    pub const ALL: [Step; 8] = [
        Step::Submitted,
        Step::UnderReview,
        Step::Referred,
        Step::Corrected,
        Step::Published,
        Step::ObjectionFiled,
        Step::ObjectionDecided,
        Step::Final,
    ];

    /// The step's name, as the timeline writes it.
    pub fn label(self) -> Label {
        match self {
            Step::Submitted => Label::new("ثبت نهایی خوداظهاری", "Self-declaration submitted"),
            Step::UnderReview => {
                Label::new("بررسی در اداره کل منطقه", "Under review by the region")
            }
            Step::Referred => Label::new("ارجاع برای اصلاح", "Referred back for correction"),
            Step::Corrected => Label::new("اصلاح و ثبت دوباره", "Corrected and resubmitted"),
            Step::Published => Label::new("اعلام نتایج", "Results published"),
            Step::ObjectionFiled => Label::new("ثبت اعتراض", "Objection filed"),
            Step::ObjectionDecided => Label::new("تصمیم درباره اعتراض", "Objection decided"),
            Step::Final => Label::new("اعلام رتبه نهایی", "Final ranks published"),
        }
    }

    /// The id the pages give the step (stable, for links and tests).
    pub fn id(self) -> &'static str {
        match self {
            Step::Submitted => "submitted",
            Step::UnderReview => "under_review",
            Step::Referred => "referred",
            Step::Corrected => "corrected",
            Step::Published => "published",
            Step::ObjectionFiled => "objection_filed",
            Step::ObjectionDecided => "objection_decided",
            Step::Final => "final",
        }
    }
}

/// Where a file stands on one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Happened, and a later step happened too.
    Done,
    /// The latest step that happened: where the file is now.
    Current,
    /// Not yet.
    Ahead,
    /// Will not happen in this round (never referred, no objection, not filed in time).
    Skipped,
}

/// One step of the timeline.
#[derive(Clone, Debug)]
pub struct TimelineStep {
    pub step: Step,
    pub progress: Progress,
    /// When it happened; `None` while it has not.
    pub at: Option<Timestamp>,
    /// What it means for the office (a decision, why it was skipped, when it is expected).
    pub note: Option<Label>,
    /// The reviewer's note on each referred input: the input's label and the note.
    pub reasons: Vec<(Label, String)>,
    /// The deadline that applies to the step (a correction, an objection).
    pub deadline: Option<Timestamp>,
    /// The reason a region gave for its decision on the objection.
    pub decision_reason: Option<String>,
}

impl TimelineStep {
    fn new(step: Step) -> Self {
        TimelineStep {
            step,
            progress: Progress::Ahead,
            at: None,
            note: None,
            reasons: Vec::new(),
            deadline: None,
            decision_reason: None,
        }
    }

    fn done(mut self, at: Timestamp) -> Self {
        self.progress = Progress::Done;
        self.at = Some(at);
        self
    }

    fn skipped(mut self, why: Label) -> Self {
        self.progress = Progress::Skipped;
        self.note = Some(why);
        self
    }

    fn expected(mut self, note: Label) -> Self {
        self.note = Some(note);
        self
    }
}

/// An office's file of one round, step by step.
#[derive(Clone, Debug)]
pub struct Timeline {
    pub round: crate::domain::RoundId,
    pub title: Label,
    pub steps: Vec<TimelineStep>,
}

/// The round an office's file and result pages are about: the live round with a phase open now;
/// between rounds, the latest one that published results (its result stays readable after its
/// final ranks); else the latest live round.
pub async fn round_of_pages(app: &App) -> Result<Option<(Arc<RuleSet>, Events)>, AppError> {
    let now = app.clock.now();
    let rounds = app.rules.rounds();
    let mut published = None;
    for rs in rounds.values().rev() {
        let events = super::publication::events(app, rs.round).await?;
        if RoundCalendar::new(rs, events).current_phase(now).is_some() {
            return Ok(Some((rs.clone(), events)));
        }
        if published.is_none() && events.published_at.is_some() {
            published = Some((rs.clone(), events));
        }
    }
    match published {
        Some(chosen) => Ok(Some(chosen)),
        None => super::home::current_round(app).await,
    }
}

/// `round` as a person named it (a live round, else `NotFound`), or, when none is named, the
/// [`round_of_pages`].
pub async fn round_named(
    app: &App,
    round: Option<&str>,
) -> Result<Option<(Arc<RuleSet>, Events)>, AppError> {
    match round {
        Some(round) => {
            let rs = app.live_round(round)?;
            let events = super::publication::events(app, rs.round).await?;
            Ok(Some((rs, events)))
        }
        None => round_of_pages(app).await,
    }
}

/// The status timeline of the actor's own file in `round` (default: [`round_of_pages`]; office
/// holders only); `None` when no round is live.
#[tracing::instrument(skip_all)]
pub async fn timeline(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<Option<Timeline>, AppError> {
    let office = actor.own_office()?.clone();
    let Some((rs, events)) = round_named(app, round).await? else {
        return Ok(None);
    };
    let file = super::declarations::mine(app, actor, &rs.round.to_string()).await?;
    let now = file.now;
    let calendar = RoundCalendar::new(&rs, events);
    let referrals = app.store.referrals(rs.round, &office).await?;
    let objection = app.store.objection(rs.round, &office).await?;
    let first_submission = first_submission(app, &rs, &office).await?;
    let submitted_at = first_submission.or(file
        .declaration
        .as_ref()
        .and_then(|d| d.submitted_at)
        .map(crate::domain::from_millis));

    let review_window = calendar.window(Phase::RegionalReview);
    let self_declaration = calendar.window(Phase::SelfDeclaration);
    let publication = calendar.window(Phase::Publication);
    let objection_window = calendar.window(Phase::Objection);
    let final_window = calendar.window(Phase::Final);
    let review_over = now >= review_window.closes_at || events.published_at.is_some();

    let mut steps = Vec::with_capacity(Step::ALL.len());
    steps.push(match submitted_at {
        Some(at) => TimelineStep::new(Step::Submitted).done(at),
        None if now >= self_declaration.closes_at => {
            TimelineStep::new(Step::Submitted).skipped(Label::new(
                "خوداظهاری در مهلت ثبت نهایی نشد",
                "the self-declaration was not submitted in time",
            ))
        }
        None => TimelineStep {
            deadline: Some(self_declaration.closes_at),
            ..TimelineStep::new(Step::Submitted)
        },
    });
    steps.push(match submitted_at {
        Some(at) if now >= review_window.opens_at => {
            TimelineStep::new(Step::UnderReview).done(at.max(review_window.opens_at))
        }
        Some(_) => TimelineStep::new(Step::UnderReview).expected(expected(&review_window)),
        None if now >= self_declaration.closes_at => TimelineStep::new(Step::UnderReview)
            .skipped(Label::new("پرونده‌ای ثبت نشد", "no file was submitted")),
        None => TimelineStep::new(Step::UnderReview),
    });
    let referral = referrals.last();
    steps.push(match referral {
        Some(r) => TimelineStep {
            reasons: r
                .reasons
                .iter()
                .map(|(name, why)| {
                    let label = rs.inputs.iter().find(|i| i.name == *name).map_or_else(
                        || Label::new(name.clone(), name.clone()),
                        |i| i.label.clone(),
                    );
                    let why = why.as_str().map_or_else(|| why.to_string(), str::to_string);
                    (label, why)
                })
                .collect(),
            deadline: Some(review::referral_window(r).closes_at),
            ..TimelineStep::new(Step::Referred).done(crate::domain::from_millis(r.referred_at))
        },
        None if review_over => TimelineStep::new(Step::Referred).skipped(Label::new(
            "پرونده ارجاع نشد",
            "the file was not referred back",
        )),
        None => TimelineStep::new(Step::Referred),
    });
    steps.push(match referral {
        Some(r) => match (r.status, r.resolved_at) {
            (ReferralStatus::Resubmitted, Some(at)) => {
                TimelineStep::new(Step::Corrected).done(crate::domain::from_millis(at))
            }
            (ReferralStatus::Open, _) => TimelineStep {
                deadline: Some(review::referral_window(r).closes_at),
                ..TimelineStep::new(Step::Corrected)
            },
            _ => TimelineStep::new(Step::Corrected).skipped(Label::new(
                "در مهلت اصلاح نشد؛ پرونده همان‌گونه که ارجاع شد ماند",
                "not corrected in time; the file stands as it was when referred",
            )),
        },
        None if review_over => TimelineStep::new(Step::Corrected)
            .skipped(Label::new("اصلاحی لازم نبود", "no correction was needed")),
        None => TimelineStep::new(Step::Corrected),
    });
    steps.push(match events.published_at {
        Some(at) => TimelineStep::new(Step::Published).done(at),
        None => TimelineStep::new(Step::Published).expected(expected(&publication)),
    });
    let objection_open = calendar.is_open(Phase::Objection, now);
    steps.push(match &objection {
        Some(o) => {
            TimelineStep::new(Step::ObjectionFiled).done(crate::domain::from_millis(o.filed_at))
        }
        None if objection_open => TimelineStep {
            deadline: Some(objection_window.closes_at),
            ..TimelineStep::new(Step::ObjectionFiled).expected(Label::new(
                "اگر به نتیجه اعتراض دارید، اکنون می‌توانید آن را ثبت کنید",
                "if you disagree with your result, you may object now",
            ))
        },
        None if events.published_at.is_some() => TimelineStep::new(Step::ObjectionFiled)
            .skipped(Label::new("اعتراضی ثبت نشد", "no objection was filed")),
        None => TimelineStep::new(Step::ObjectionFiled).expected(expected(&objection_window)),
    });
    steps.push(match &objection {
        Some(o) => match (o.status, o.decided_at) {
            (ObjectionStatus::Pending, _) | (_, None) => TimelineStep {
                deadline: Some(final_window.closes_at),
                ..TimelineStep::new(Step::ObjectionDecided).expected(decides_by(&final_window))
            },
            (status, Some(at)) => TimelineStep {
                note: Some(decision(status)),
                decision_reason: o.decision_reason.clone(),
                ..TimelineStep::new(Step::ObjectionDecided).done(crate::domain::from_millis(at))
            },
        },
        None if events.published_at.is_some() && !objection_open => {
            TimelineStep::new(Step::ObjectionDecided)
                .skipped(Label::new("اعتراضی در کار نبود", "there was no objection"))
        }
        None => TimelineStep::new(Step::ObjectionDecided),
    });
    steps.push(match events.finalized_at {
        Some(at) => TimelineStep::new(Step::Final).done(at),
        None => TimelineStep::new(Step::Final).expected(expected(&final_window)),
    });
    if let Some(last) = steps
        .iter_mut()
        .rev()
        .find(|s| s.progress == Progress::Done)
    {
        last.progress = Progress::Current;
    }
    Ok(Some(Timeline {
        round: rs.round,
        title: rs.title.clone(),
        steps,
    }))
}

/// When the office first submitted its declaration, as the audit log recorded it (a resubmission
/// after a referral moves the declaration's own `submitted_at`).
async fn first_submission(
    app: &App,
    rs: &RuleSet,
    office: &crate::domain::OfficeId,
) -> Result<Option<Timestamp>, AppError> {
    let subject = format!("declaration:{}:{office}", rs.round);
    Ok(app
        .store
        .audit_entries(Some(&subject), 500)
        .await?
        .into_iter()
        .filter(|e| e.action == "declaration_submitted")
        .map(|e| e.at)
        .min()
        .map(crate::domain::from_millis))
}

/// "Expected between … and …", for a step whose phase has not come.
fn expected(w: &Window) -> Label {
    Label::new(
        format!("از {} تا {}", w.first_day.long_fa(), w.last_day.long_fa()),
        format!(
            "expected from {} to {}",
            w.first_day.long_en(),
            w.last_day.long_en()
        ),
    )
}

/// When the region decides a pending objection: before the final ranks are announced.
pub fn decides_by(final_window: &Window) -> Label {
    Label::new(
        format!(
            "اداره کل منطقه پیش از اعلام رتبه نهایی، تا پایان {}، درباره اعتراض تصمیم می‌گیرد",
            final_window.last_day.long_fa()
        ),
        format!(
            "the region decides before the final ranks are announced, by the end of {}",
            final_window.last_day.long_en()
        ),
    )
}

/// An objection's decision in words.
pub fn decision(status: ObjectionStatus) -> Label {
    match status {
        ObjectionStatus::Accepted => Label::new("اعتراض پذیرفته شد", "the objection was accepted"),
        ObjectionStatus::Rejected => Label::new("اعتراض رد شد", "the objection was rejected"),
        ObjectionStatus::Pending => {
            Label::new("در انتظار تصمیم منطقه", "awaiting the region's decision")
        }
    }
}

/// A criterion of a published result, as its explanation stored it.
#[derive(Clone, Debug, Deserialize)]
pub struct CriterionResult {
    pub id: String,
    pub label: Label,
    /// Whether the criterion applies to this kind of office.
    pub applies: bool,
    /// The band, row or formula that gave the points, in words.
    pub matched: Label,
    pub points: Fixed,
    pub max_points: Fixed,
    pub weight: Fixed,
    /// Points × weight: what the criterion adds to the total.
    pub contribution: Fixed,
    pub inputs: Vec<InputResult>,
}

/// A value a criterion read.
#[derive(Clone, Debug, Deserialize)]
pub struct InputResult {
    pub label: Label,
    /// The value as written in the file; `null` when missing.
    pub value: serde_json::Value,
    pub missing: bool,
    /// Taken from last round's file (left unchanged by the office).
    pub carried_over: bool,
    /// A choice's words, where the value is a code.
    #[serde(default)]
    pub shown: Option<Label>,
}

/// A penalty of a published result: its kind, the violations counted, the points taken.
#[derive(Clone, Debug, Deserialize)]
pub struct PenaltyResult {
    pub id: String,
    pub label: Label,
    pub violations: Vec<ViolationResult>,
    pub points: Fixed,
}

/// One violation counted under a penalty.
#[derive(Clone, Debug, Deserialize)]
pub struct ViolationResult {
    /// The violation's kind (the penalty's id).
    pub kind: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    pub points: Fixed,
}

/// A position in one ranking scope (`region`, `nationwide`, `office_kind`).
#[derive(Clone, Debug, Deserialize)]
pub struct PositionResult {
    pub scope: String,
    pub position: u32,
    pub of: u32,
}

#[derive(Deserialize)]
struct Document {
    stage: Stage,
    filed: bool,
    total: Option<Fixed>,
    grade: Grade,
    service_share_percent: Fixed,
    to_next_grade: Option<Fixed>,
    explanation: DocExplanation,
}

#[derive(Deserialize)]
struct DocExplanation {
    #[serde(default)]
    notice: Option<Label>,
    criteria: Vec<CriterionResult>,
    penalties: Vec<PenaltyResult>,
    criteria_total: Fixed,
    penalty_total: Fixed,
    #[serde(default)]
    placement: Option<DocPlacement>,
}

#[derive(Deserialize)]
struct DocPlacement {
    positions: Vec<PositionResult>,
}

/// One publication's result of an office, read from its stored document.
#[derive(Clone, Debug)]
pub struct StageResult {
    pub stage: Stage,
    pub published_at: Timestamp,
    pub filed: bool,
    /// `None` for an office that did not file, placed in the lowest grade.
    pub total: Option<Fixed>,
    pub grade: Grade,
    /// Percent of the services available in its area the office may offer.
    pub service_share_percent: Fixed,
    pub positions: Vec<PositionResult>,
    /// Points missing for the next better grade; `None` in the best grade.
    pub to_next_grade: Option<Fixed>,
    pub criteria: Vec<CriterionResult>,
    pub penalties: Vec<PenaltyResult>,
    pub criteria_total: Fixed,
    pub penalty_total: Fixed,
    /// The rule set's notice (e.g. that its points are illustrative).
    pub notice: Option<Label>,
}

/// An office's objection as its holder reads it back: the claim, and the region's decision.
#[derive(Clone, Debug)]
pub struct MyObjection {
    pub filed_at: Timestamp,
    /// The claim, as written.
    pub text: String,
    /// The criteria and penalties objected to (ids of the round).
    pub criteria: Vec<String>,
    pub status: ObjectionStatus,
    /// The region's reason, once decided.
    pub decision_reason: Option<String>,
    pub decided_at: Option<Timestamp>,
}

impl From<Objection> for MyObjection {
    fn from(o: Objection) -> Self {
        MyObjection {
            filed_at: crate::domain::from_millis(o.filed_at),
            text: o.text,
            criteria: o.criteria,
            status: o.status,
            decision_reason: o.decision_reason,
            decided_at: o.decided_at.map(crate::domain::from_millis),
        }
    }
}

/// The actor's result in the current round, or when it comes.
#[derive(Clone, Debug)]
pub struct MyResult {
    pub round: crate::domain::RoundId,
    pub title: Label,
    /// The latest published result (the final one once the round is finalized); `None` before
    /// publication.
    pub result: Option<StageResult>,
    /// The first result, when `result` is the final one (what changed).
    pub first: Option<StageResult>,
    /// When the results are published (planned, or as published).
    pub publication: Window,
    /// The objection window (planned until results are published).
    pub objection_window: Window,
    /// When the final ranks are announced (the region decides objections before).
    pub final_window: Window,
    /// Whether an objection may be filed now (window open, none filed yet).
    pub may_object: bool,
    /// The office's objection, if it filed one.
    pub objection: Option<MyObjection>,
    /// The share of services each grade allows (grades 1, 2, 3).
    pub service_shares: [Fixed; 3],
}

/// The actor's own result in `round` (default: [`round_of_pages`]; office holders only): the
/// latest publication's, with the first one beside it once the round is finalized; `None` when no
/// round is live.
#[tracing::instrument(skip_all)]
pub async fn my_result(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<Option<MyResult>, AppError> {
    let office = actor.own_office()?.clone();
    let Some((rs, events)) = round_named(app, round).await? else {
        return Ok(None);
    };
    let now = app.clock.now();
    let calendar = RoundCalendar::new(&rs, events);
    let publications = app.store.publications(rs.round).await?;
    let mut first = None;
    let mut last = None;
    for p in &publications {
        let read = stage_result(app, p, office.as_str()).await?;
        match p.stage {
            Stage::First => first = read,
            Stage::Final => last = read,
        }
    }
    let objection = app.store.objection(rs.round, &office).await?;
    let (result, first) = match last {
        Some(last) => (Some(last), first),
        None => (first, None),
    };
    Ok(Some(MyResult {
        round: rs.round,
        title: rs.title.clone(),
        may_object: result.is_some()
            && objection.is_none()
            && calendar.is_open(Phase::Objection, now),
        result,
        first,
        publication: calendar.window(Phase::Publication),
        objection_window: calendar.window(Phase::Objection),
        final_window: calendar.window(Phase::Final),
        objection: objection.map(Into::into),
        service_shares: rs.grading.service_share,
    }))
}

/// The criteria and penalties an office may object to, with their labels, in the round's order.
pub async fn objectable(
    app: &App,
    actor: &Actor,
    round: Option<&str>,
) -> Result<Vec<(String, Label)>, AppError> {
    actor.own_office()?;
    let Some((rs, _)) = round_named(app, round).await? else {
        return Ok(Vec::new());
    };
    Ok(rs
        .criteria
        .iter()
        .map(|c| (c.id.clone(), c.label.clone()))
        .chain(rs.penalties.iter().map(|p| (p.id.clone(), p.label.clone())))
        .collect())
}

/// One office's result in publication `p`, read back from the document it stored.
async fn stage_result(
    app: &App,
    p: &Publication,
    office: &str,
) -> Result<Option<StageResult>, AppError> {
    let Some(r): Option<StoredResult> = app
        .store
        .publication_results(p.id, None, Some(office))
        .await?
        .pop()
    else {
        return Ok(None);
    };
    let doc: Document = serde_json::from_value(r.document(p.id)?).map_err(|e| {
        crate::store::StoreError::Corrupt {
            table: "publication_results",
            row: format!("{}/{office}", p.id),
            problem: format!("the result document does not read as a result ({e})"),
        }
    })?;
    Ok(Some(StageResult {
        stage: doc.stage,
        published_at: crate::domain::from_millis(p.published_at),
        filed: doc.filed,
        total: doc.total,
        grade: doc.grade,
        service_share_percent: doc.service_share_percent,
        positions: doc
            .explanation
            .placement
            .map(|pl| pl.positions)
            .unwrap_or_default(),
        to_next_grade: doc.to_next_grade,
        criteria: doc.explanation.criteria,
        penalties: doc.explanation.penalties,
        criteria_total: doc.explanation.criteria_total,
        penalty_total: doc.explanation.penalty_total,
        notice: doc.explanation.notice,
    }))
}
