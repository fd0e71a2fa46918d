//! Simulation over the round's stored declarations: what a candidate rule set would do to every
//! office, before it is adopted. The API and the console's simulation page run the same use case
//! here. It never changes live rules or official results; every run is audited.
//!
//! Simulations are costly and an uploaded bundle's scripts are untrusted: a few run at once (the
//! rest are refused at once), and each runs under a [`Budget`] that stops its evaluations at the
//! sandbox's limits, at the request's time budget, when its client goes away, or at shutdown.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::population::{Population, prepare_all, score_errors};
use super::{Actor, App, AppError};
use crate::domain::digits::{to_persian_count, to_persian_duration};
use crate::domain::{Label, Role, quoted};
use crate::engine::ScoreError;
use crate::engine::simulate::overrides::{self, Override, Param, Setting};
use crate::engine::simulate::sweep::{Sweep, SweepError, SweepSpec};
use crate::engine::simulate::{self, Options, Simulation};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits, Seconds, Stop, Stopped};
use crate::rules::compile::compile_source;
use crate::rules::ruleset::{GradeMethod, Source, SourceFile};
use crate::rules::value::FieldError;

/// Who may run simulations.
const SIMULATORS: &[Role] = &[Role::Regulator, Role::Admin];

/// How many simulations may run at once, and what a candidate's scripts may spend.
#[derive(Clone, Copy, Debug)]
pub struct SimulationLimits {
    /// Simulations running at once; one more is refused ([`AppError::Busy`]) until one ends.
    pub concurrent: usize,
    /// Per evaluation (operations, time), and `total` for all of a request's evaluations.
    pub evaluation: Limits,
}

impl Default for SimulationLimits {
    /// Two at once (each uses every core), 30 s per request.
    fn default() -> Self {
        SimulationLimits {
            concurrent: 2,
            evaluation: Limits {
                total: Some(Duration::from_secs(30)),
                ..Limits::default()
            },
        }
    }
}

/// The server's simulation slots.
pub struct Slots {
    limits: SimulationLimits,
    slots: Arc<Semaphore>,
}

impl Slots {
    /// `limits.concurrent` free slots.
    pub fn new(limits: SimulationLimits) -> Self {
        Slots {
            limits,
            slots: Arc::new(Semaphore::new(limits.concurrent)),
        }
    }

    /// Simulations running now (each holds its slot until its computation has ended, even when
    /// its client went away).
    pub fn running(&self) -> usize {
        self.limits.concurrent - self.slots.available_permits()
    }

    /// The most simulations that run at once.
    pub fn limit(&self) -> usize {
        self.limits.concurrent
    }

    /// A slot, or [`AppError::Busy`] at once.
    fn start(&self) -> Result<OwnedSemaphorePermit, AppError> {
        self.slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::Busy {
                running: self.running(),
                retry_after_seconds: 5,
            })
    }
}

/// The rule files a candidate is made of.
#[derive(Clone, Debug, Default)]
pub enum Bundle {
    /// The live rules' own files (the candidate is the overrides alone).
    #[default]
    Live,
    /// A whole round, path → text, as in `rules/<round>/` (what the API uploads).
    Whole(BTreeMap<String, String>),
    /// Some files, path → text, each replacing the live file of the same path (or, when no live
    /// file has that path, the only one with the same name); the rest are the live ones. What a
    /// person uploads after editing one or two files.
    Changed(BTreeMap<String, String>),
}

/// A candidate as its author wrote it: the texts are parsed here, so every front end gets the same
/// errors (`set[i]` and `sweep` name the part that is wrong).
#[derive(Clone, Debug, Default)]
pub struct Candidate {
    /// Overrides of the rules, `KEY=VALUE` (`weight:area=2`, `cut:grade_1=55`).
    pub set: Vec<String>,
    /// The rule files it is made of.
    pub bundle: Bundle,
    /// One setting varied over a range, `KEY=FROM:TO:STEP`.
    pub sweep: Option<String>,
    /// How many of the offices that moved most to explain.
    pub top: usize,
    /// Keep every office's old and new result in the answer.
    pub include_offices: bool,
}

/// What a candidate would do, and with a sweep, the grade counts at every step.
pub struct Outcome {
    /// What the candidate would change.
    pub simulation: Simulation,
    /// With a sweep: the grade counts at every step.
    pub sweep: Option<Sweep>,
}

impl Outcome {
    /// The report `arzyab simulate --report` writes: one self-contained HTML file.
    pub fn report(&self) -> String {
        crate::report::simulation::render(&self.simulation, self.sweep.as_ref())
    }

    /// The headline of the outcome, for a page that shows the report beside it.
    pub fn headline(&self) -> Headline {
        let s = &self.simulation.summary;
        Headline {
            candidate_hash: self.simulation.candidate.hash.clone(),
            offices: s.offices,
            filers: s.filers,
            grades_old: s.grades_old,
            grades_new: s.grades_new,
            grades_up: s.grades_up,
            grades_down: s.grades_down,
            totals_changed: s.totals_changed,
            positions_changed: s.positions_changed,
            largest_rise: s.largest_rise,
            largest_fall: s.largest_fall,
            changes: self
                .simulation
                .changes
                .iter()
                .cloned()
                .map(super::rules_console::Change::from)
                .collect(),
            sweep_steps: self.sweep.as_ref().map(|w| w.steps.len()),
        }
    }
}

/// A simulation's headline numbers and its rule changes in business terms.
pub struct Headline {
    /// The candidate rule set's content hash (its first 16 hex digits).
    pub candidate_hash: String,
    /// Offices compared, and of them those that filed.
    pub offices: usize,
    pub filers: usize,
    /// Offices in grades 1, 2 and 3 under the live rules, then under the candidate.
    pub grades_old: [usize; 3],
    pub grades_new: [usize; 3],
    /// Offices whose grade got better, and worse.
    pub grades_up: usize,
    pub grades_down: usize,
    /// Offices whose total, and whose nationwide position, changed.
    pub totals_changed: usize,
    pub positions_changed: usize,
    /// The most places an office rose, and fell (negative), nationwide.
    pub largest_rise: i64,
    pub largest_fall: i64,
    /// What changed in the rules, in business terms.
    pub changes: Vec<super::rules_console::Change>,
    /// The sweep's number of steps, when one ran.
    pub sweep_steps: Option<usize>,
}

/// Runs `candidate` against the live rules of `round` over the round's stored declarations, and
/// records the run in the audit log.
pub async fn run(
    app: &App,
    actor: &Actor,
    round: &str,
    candidate: Candidate,
) -> Result<Outcome, AppError> {
    actor.require(SIMULATORS)?;
    let base = app.live_round(round)?;
    let (set, spec) = parse(&candidate)?;
    // Refused at once when the slots are taken; the slot is held until the computation ends,
    // even when the caller went away meanwhile (the compile and the computation hold it).
    let slot = Arc::new(app.simulations.start()?);
    // The candidate's evaluations: stopped at the request's time budget, when the caller goes
    // away (this future is dropped), or when the server shuts down.
    let budget = app.evaluations.child(app.simulations.limits.evaluation);
    let _cancel = budget.cancel_on_drop();
    let uploaded: Vec<String> = match &candidate.bundle {
        Bundle::Live => Vec::new(),
        Bundle::Whole(f) | Bundle::Changed(f) => f.keys().cloned().collect(),
    };
    let source = candidate_source(&base, candidate.bundle)?;
    let cand = compile(source, &set, slot.clone()).await?;
    // Files whose referral deadline passed stand as they were referred, as in the results.
    super::review::expire_due_referrals(app, base.round, app.clock.now()).await?;
    let population = app
        .populations
        .get(app, base)
        .await
        .map_err(|e| unless_stopped(&budget, &[], e))?;
    let work = Work {
        top: candidate.top.min(500),
        include_offices: candidate.include_offices,
        spec,
        budget: budget.clone(),
    };
    let computed = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work.compute(&population, cand)
    })
    .await
    .map_err(AppError::internal)?;
    let mut what = json!({"set": candidate.set, "files": uploaded, "sweep": candidate.sweep});
    // A run that was stopped or failed is recorded too: it ran, and spent what it spent.
    let (mut simulation, sweep) = match computed {
        Ok(done) => done,
        Err(e) => {
            what["outcome"] = json!(match &e {
                AppError::Stopped { stopped, .. } => describe_stop(stopped, None, None).0,
                _ => "failed",
            });
            record(app, actor, round, &what).await?;
            return Err(e);
        }
    };
    for side in [&mut simulation.baseline, &mut simulation.candidate] {
        side.dir = shown_dir(&side.dir, &app.rules.dir);
    }
    simulation.overrides = set.iter().map(Override::to_string).collect();
    what["outcome"] = json!("done");
    what["candidate_hash"] = json!(simulation.candidate.hash);
    record(app, actor, round, &what).await?;
    Ok(Outcome { simulation, sweep })
}

/// What the live rules of version `base` would become under `cand`, over the round's stored
/// declarations (no sweep, the default number of movers); for comparing two versions.
pub(super) async fn compare(
    app: &App,
    base: Arc<RuleSet>,
    cand: Arc<RuleSet>,
) -> Result<Simulation, AppError> {
    // A simulation like any other: a slot, the time budget, stopped when the caller goes away.
    let slot = app.simulations.start()?;
    let budget = app.evaluations.child(app.simulations.limits.evaluation);
    let _cancel = budget.cancel_on_drop();
    let population = app
        .populations
        .get(app, base)
        .await
        .map_err(|e| unless_stopped(&budget, &[], e))?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let _budget = Budget::enter(Some(budget.clone()));
        let baseline = population.baseline();
        let own = if simulate::same_inputs(&population.rs, &cand) {
            None
        } else {
            Some(prepare_all(&cand, &population.records)?)
        };
        let offices = own.as_deref().unwrap_or(&population.offices);
        simulate::simulate(&baseline, &cand, offices, &Options::default())
            .map_err(|e| unless_stopped(&budget, &e, score_errors(e.clone())))
    })
    .await
    .map_err(AppError::internal)?
}

/// One setting a simulation may change, with its value in the live rules: what the console's
/// simulation form shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingView {
    /// The override's key: `weight:area`, `cut:grade_1`, `scope`.
    pub key: String,
    /// What it is, in words: «وزن» / «weight».
    pub what: Label,
    /// The criterion or penalty it belongs to; none for the round's grading settings.
    pub of: Option<Label>,
    /// The live value as an override writes it (`1.5`, `none`, `region`).
    pub value: String,
    /// The values it may take, when it is a choice (the grading scope), with their names.
    pub choices: Vec<(String, Label)>,
    /// Whether a sweep can vary it.
    pub numeric: bool,
}

/// Where grades are given, in words.
fn scope_name(scope: crate::rules::model::Scope) -> Label {
    use crate::rules::model::Scope;
    match scope {
        Scope::Nationwide => Label::new("سراسر کشور با هم", "nationwide"),
        Scope::Region => Label::new("هر منطقه جدا", "each region apart"),
        Scope::OfficeKind => Label::new("هر نوع دفتر جدا", "each office kind apart"),
        Scope::RegionAndKind => Label::new(
            "هر نوع دفتر در هر منطقه جدا",
            "each office kind in each region apart",
        ),
    }
}

/// The settings of a round's live rules that a simulation may change, grouped as the rules are:
/// criteria, penalties, grading.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Every round with live rules, oldest first (the form can switch between them).
    pub rounds: Vec<String>,
    /// The round, its live version and that version's content hash.
    pub round: String,
    pub version: String,
    pub hash: String,
    /// Each criterion's weight and maximum points.
    pub criteria: Vec<SettingView>,
    /// Each penalty's points the first time and its cap.
    pub penalties: Vec<SettingView>,
    /// Cut points or shares, service shares, the fragile margin, the scope.
    pub grading: Vec<SettingView>,
}

/// The live settings of `round`, with their values, for a form that changes some of them.
pub fn settings(app: &App, actor: &Actor, round: &str) -> Result<Settings, AppError> {
    actor.require(SIMULATORS)?;
    let rs = app.live_round(round)?;
    let view = |param: Param, what: Label, of: Option<&Label>| -> Option<SettingView> {
        let value = param.get(&rs).ok()?;
        Some(SettingView {
            key: param.to_string(),
            what,
            of: of.cloned(),
            value: value.to_string(),
            choices: match value {
                Setting::Scope(_) => crate::rules::model::Scope::ALL
                    .iter()
                    .map(|s| (s.as_str().to_string(), scope_name(*s)))
                    .collect(),
                _ => Vec::new(),
            },
            numeric: param.is_numeric(),
        })
    };
    let criteria = rs
        .criteria
        .iter()
        .flat_map(|c| {
            [
                view(
                    Param::Weight(c.id.clone()),
                    Label::new("وزن", "weight"),
                    Some(&c.label),
                ),
                view(
                    Param::MaxPoints(c.id.clone()),
                    Label::new("سقف امتیاز", "maximum points"),
                    Some(&c.label),
                ),
            ]
        })
        .flatten()
        .collect();
    let penalties = rs
        .penalties
        .iter()
        .flat_map(|p| {
            [
                view(
                    Param::PenaltyPoints(p.id.clone()),
                    Label::new("امتیاز منفی بار نخست", "points the first time"),
                    Some(&p.label),
                ),
                view(
                    Param::PenaltyCap(p.id.clone()),
                    Label::new("سقف کسر در دوره", "most taken off in a round"),
                    Some(&p.label),
                ),
            ]
        })
        .flatten()
        .collect();
    let mut grading = Vec::new();
    for g in 1..=2u8 {
        let fa = crate::domain::digits::to_persian_digits(&g.to_string());
        grading.extend(match rs.grading.method {
            GradeMethod::CutPoints { .. } => view(
                Param::Cut(g),
                Label::new(
                    format!("کمترین امتیاز درجهٔ {fa}"),
                    format!("least total for grade {g}"),
                ),
                None,
            ),
            GradeMethod::Shares { .. } => view(
                Param::Share(g),
                Label::new(
                    format!("درصد دفترهای درجهٔ {fa}"),
                    format!("percent of offices in grade {g}"),
                ),
                None,
            ),
        });
    }
    for g in 1..=3u8 {
        let fa = crate::domain::digits::to_persian_digits(&g.to_string());
        grading.extend(view(
            Param::ServiceShare(g),
            Label::new(
                format!("درصد خدمات درجهٔ {fa}"),
                format!("percent of services for grade {g}"),
            ),
            None,
        ));
    }
    grading.extend(view(
        Param::FragileMargin,
        Label::new("فاصلهٔ شکننده از مرز درجه", "fragile margin from a boundary"),
        None,
    ));
    grading.extend(view(
        Param::GradingScope,
        Label::new("دامنهٔ درجه‌بندی", "where grades are given"),
        None,
    ));
    Ok(Settings {
        rounds: app.rules.rounds().keys().map(|r| r.to_string()).collect(),
        round: rs.round.to_string(),
        version: rs.version.clone(),
        hash: rs.hash().to_string(),
        criteria,
        penalties,
        grading,
    })
}

/// One problem of a candidate's rule files: where, what, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CandidateProblem {
    /// `criteria.yaml:12:5`, the file as the candidate names it.
    pub at: String,
    /// What is wrong, and what to do.
    pub message: Label,
    pub hint: Option<Label>,
}

/// The problems of a candidate that did not compile ([`AppError::Rules`]); none for other errors.
pub fn candidate_problems(e: &AppError) -> Vec<CandidateProblem> {
    let AppError::Rules(diagnostics) = e else {
        return Vec::new();
    };
    diagnostics
        .iter()
        .map(|d| {
            let file = d.at.file.display().to_string();
            // Uploaded bundles compile under `candidate/<round>/`; the person knows the file alone.
            let file = match file.split_once("candidate/") {
                Some((_, rest)) => rest.split_once('/').map_or(rest, |(_, f)| f).to_string(),
                None => file,
            };
            CandidateProblem {
                at: format!("{file}:{}:{}", d.at.line, d.at.column),
                message: d.message_label(),
                hint: d.hint.clone(),
            }
        })
        .collect()
}

/// The candidate's overrides and sweep, parsed; a candidate with nothing in it is refused.
fn parse(c: &Candidate) -> Result<(Vec<Override>, Option<SweepSpec>), AppError> {
    let nothing_uploaded = match &c.bundle {
        Bundle::Live => true,
        Bundle::Whole(f) | Bundle::Changed(f) => f.is_empty(),
    };
    if c.set.is_empty() && nothing_uploaded && c.sweep.is_none() {
        return Err(AppError::BadRequest(
            "nothing_to_simulate",
            Label::new(
                "قواعد پیشنهادی را بدهید («set»، «files» یا «sweep»)",
                "give a candidate: `set` overrides, uploaded `files`, or a `sweep`",
            ),
        ));
    }
    let set: Vec<Override> = c
        .set
        .iter()
        .enumerate()
        .map(|(i, s)| Override::parse(s).map_err(|e| field(&format!("set[{i}]"), e)))
        .collect::<Result<_, _>>()?;
    let spec = c
        .sweep
        .as_deref()
        .map(|s| SweepSpec::parse(s).map_err(|e| field("sweep", e)))
        .transpose()?;
    Ok((set, spec))
}

fn field(name: &str, message: Label) -> AppError {
    AppError::from(vec![FieldError {
        field: name.to_string(),
        message,
    }])
}

/// The candidate's source: the live rules' own, an uploaded round, or the live files with some
/// replaced. A changed file whose name is not a live path and is the name of two live files is
/// refused (which one it replaces would be a guess).
fn candidate_source(base: &RuleSet, bundle: Bundle) -> Result<Source, AppError> {
    let round = base.round;
    let files: Vec<SourceFile> = match bundle {
        Bundle::Live => return Ok(base.source.clone()),
        Bundle::Whole(files) => files
            .into_iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect(),
        Bundle::Changed(changed) => replace_files(base.source.files.clone(), changed)?,
    };
    Ok(Source {
        dir: std::path::PathBuf::from(format!("candidate/{round}")),
        hash: crate::rules::compile::hash_files(&files),
        files,
    })
}

/// `files` with each of `changed` in place of the file of the same path, else of the only file
/// of the same name, else added.
fn replace_files(
    mut files: Vec<SourceFile>,
    changed: BTreeMap<String, String>,
) -> Result<Vec<SourceFile>, AppError> {
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    for (path, text) in changed {
        if let Some(f) = files.iter_mut().find(|f| f.path == path) {
            f.text = text;
            continue;
        }
        let same_name: Vec<usize> = (0..files.len())
            .filter(|&i| name(&files[i].path) == name(&path))
            .collect();
        match same_name[..] {
            [] => files.push(SourceFile { path, text }),
            [i] => files[i].text = text,
            _ => {
                let paths: Vec<&str> = same_name.iter().map(|&i| files[i].path.as_str()).collect();
                return Err(field(
                    "files",
                    Label::new(
                        format!(
                            "نام {} از آنِ چند پروندهٔ قواعد فعال است ({})؛ پرونده را با مسیرش بفرستید",
                            quoted(&path),
                            paths.iter().map(quoted).collect::<Vec<_>>().join("، ")
                        ),
                        format!(
                            "`{path}` is the name of several live rule files ({}); send it with its path",
                            paths.join(", ")
                        ),
                    ),
                ));
            }
        }
    }
    Ok(files)
}

/// The candidate: a fresh compile of its source (a compiled rule set cannot be cloned), then the
/// overrides on top, each problem named by the override it is in (`set[i]`), or `set` for a clash
/// between settings.
async fn compile(
    source: Source,
    set: &[Override],
    slot: Arc<OwnedSemaphorePermit>,
) -> Result<RuleSet, AppError> {
    let mut cand = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        compile_source(source)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|d| AppError::Rules(d.0))?;
    let mut problems: Vec<FieldError> = set
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            o.param
                .set(&mut cand, o.value)
                .err()
                .map(|message| FieldError {
                    field: format!("set[{i}]"),
                    message,
                })
        })
        .collect();
    problems.extend(
        overrides::check(&cand)
            .into_iter()
            .map(|message| FieldError {
                field: "set".to_string(),
                message,
            }),
    );
    if !problems.is_empty() {
        return Err(AppError::from(problems));
    }
    Ok(cand)
}

/// What one simulation computes besides the candidate itself, and the budget it runs under.
struct Work {
    top: usize,
    include_offices: bool,
    spec: Option<SweepSpec>,
    budget: Arc<Budget>,
}

impl Work {
    /// Simulates the candidate over the population, and sweeps it when asked; blocking work.
    fn compute(
        self,
        population: &Population,
        mut cand: RuleSet,
    ) -> Result<(Simulation, Option<Sweep>), AppError> {
        let work = self.budget;
        let _budget = Budget::enter(Some(work.clone()));
        let baseline = population.baseline();
        let cand_own = if simulate::same_inputs(&population.rs, &cand) {
            None
        } else {
            Some(prepare_all(&cand, &population.records)?)
        };
        let cand_offices = cand_own.as_deref().unwrap_or(&population.offices);
        let mut sim = simulate::simulate(
            &baseline,
            &cand,
            cand_offices,
            &Options {
                top_movers: self.top,
            },
        )
        .map_err(|e| unless_stopped(&work, &e, score_errors(e.clone())))?;
        let sweep = match &self.spec {
            Some(spec) => Some(
                simulate::sweep(&baseline, &mut cand, cand_offices, spec)
                    .map_err(|e| sweep_error(&work, &e))?,
            ),
            None => None,
        };
        if !self.include_offices {
            sim.offices.clear();
        }
        Ok((sim, sweep))
    }
}

/// `error` of work under `budget`, or what stopped the budget's evaluations (naming the office and
/// criterion of the first evaluation that was stopped, when `failed` has it).
fn unless_stopped(budget: &Budget, failed: &[ScoreError], error: AppError) -> AppError {
    let Some(stopped) = budget.stopped() else {
        return error;
    };
    let own = stopped.stop.to_string();
    let at = failed
        .iter()
        .find(|e| e.message == own)
        .or_else(|| failed.first());
    AppError::Stopped {
        stopped: stopped.clone(),
        office: at.map(|e| e.office.clone()),
        criterion: at.map(|e| e.criterion.clone()),
    }
}

/// A failed sweep as the field error on `sweep`, or what stopped its evaluations.
fn sweep_error(work: &Budget, e: &SweepError) -> AppError {
    let (failed, message) = match e {
        SweepError::Score(f) => (
            f.as_slice(),
            Label::new("محاسبه در یکی از گام‌ها ناموفق بود", e.to_string()),
        ),
        SweepError::Setting(l) => (&[][..], l.clone()),
    };
    unless_stopped(work, failed, field("sweep", message))
}

/// Where a rule set came from, as a client may see it: its path under the rules directory
/// (`1400-2`) or the uploaded bundle's name (`candidate/1400-2`), never the server's own paths.
fn shown_dir(dir: &str, root: &std::path::Path) -> String {
    let dir = std::path::Path::new(dir);
    // Live rule sets are compiled from `root/<round>`; an uploaded bundle is `candidate/<round>`.
    match dir.strip_prefix(root) {
        Ok(relative) => relative.display().to_string(),
        Err(_) if dir.is_relative() => dir.display().to_string(),
        Err(_) => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// The code and message of stopped evaluations: `evaluation_limit`, `evaluation_timeout`,
/// `cancelled` or `shutting_down`, naming the office and criterion when known.
pub fn describe_stop(
    stopped: &Stopped,
    office: Option<&str>,
    criterion: Option<&str>,
) -> (&'static str, Label) {
    let program = stopped.program.as_deref().unwrap_or("a script");
    let at = match (office, criterion) {
        (Some(o), Some(c)) => format!("{program} of criterion `{c}`, for office {o}"),
        _ => program.to_string(),
    };
    let at_fa = match (office, criterion) {
        (Some(o), Some(c)) => format!("معیار {} برای دفتر {}", quoted(c), quoted(o)),
        _ => "یکی از معیارها".to_string(),
    };
    match stopped.stop {
        Stop::Operations(n) => (
            "evaluation_limit",
            Label::new(
                format!(
                    "اجرای اسکریپت {at_fa} پس از {} عملیات متوقف شد (حلقهٔ بی‌پایان؟)",
                    to_persian_count(n)
                ),
                format!("{at} was stopped after {n} operations (an endless loop?)"),
            ),
        ),
        Stop::EvaluationTime(d) => (
            "evaluation_timeout",
            Label::new(
                format!(
                    "اجرای اسکریپت {at_fa} بیش از {}، سقف زمان یک محاسبه، طول کشید و متوقف شد",
                    to_persian_duration(d)
                ),
                format!(
                    "{at} ran longer than {}, the limit for one evaluation, and was stopped",
                    Seconds(d)
                ),
            ),
        ),
        Stop::Budget(d) => (
            "evaluation_timeout",
            Label::new(
                format!(
                    "محاسبه‌ها از زمان مجاز این درخواست ({}) فراتر رفت و متوقف شد (در {at_fa})",
                    to_persian_duration(d)
                ),
                format!(
                    "the evaluations took longer than this request's time budget of {} and were stopped (at {at})",
                    Seconds(d)
                ),
            ),
        ),
        Stop::Cancelled => (
            "cancelled",
            Label::new(Stop::Cancelled.persian(), Stop::Cancelled.to_string()),
        ),
        Stop::ShuttingDown => (
            "shutting_down",
            Label::new(
                "سرور در حال خاموش شدن است و محاسبه متوقف شد؛ کمی بعد دوباره تلاش کنید",
                "the server is shutting down and stopped the evaluations; try again shortly",
            ),
        ),
    }
}

/// The message of [`AppError::Busy`].
pub fn describe_busy(running: usize) -> Label {
    Label::new(
        format!(
            "هم‌اکنون {} شبیه‌سازی در حال اجراست که بیشترین تعداد مجاز است؛ چند ثانیه دیگر دوباره تلاش کنید",
            to_persian_count(running as u64)
        ),
        format!(
            "{} running, the most allowed at once; try again in a few seconds",
            if running == 1 {
                "1 simulation is".to_string()
            } else {
                format!("{running} simulations are")
            }
        ),
    )
}

/// Records a simulation in the audit log: who tried what on `round`. Simulations change neither
/// live rules nor results; the record is their only write.
#[tracing::instrument(skip_all, fields(round))]
pub async fn record(
    app: &App,
    actor: &Actor,
    round: &str,
    what: &serde_json::Value,
) -> Result<(), AppError> {
    let now = app.clock.now().as_millisecond();
    let mut tx = app.begin(super::Claim::default()).await?;
    crate::store::audit::record(
        &mut tx,
        now,
        actor.name(),
        "simulation_run",
        &format!("round:{round}"),
        None,
        Some(what),
    )
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<SourceFile> {
        paths
            .iter()
            .map(|p| SourceFile {
                path: p.to_string(),
                text: format!("old {p}"),
            })
            .collect()
    }

    fn changed(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn a_changed_file_replaces_the_live_one_by_path_then_by_its_only_name_else_is_added() {
        let live = files(&["criteria.yaml", "tests/cases.yaml", "round.yaml"]);
        let out = replace_files(
            live,
            changed(&[
                ("round.yaml", "new round"),
                ("cases.yaml", "new cases"),
                ("extra.rhai", "new script"),
            ]),
        )
        .unwrap();
        let text = |p: &str| out.iter().find(|f| f.path == p).map(|f| f.text.as_str());
        assert_eq!(text("round.yaml"), Some("new round"));
        assert_eq!(
            text("tests/cases.yaml"),
            Some("new cases"),
            "by its only name"
        );
        assert_eq!(
            text("criteria.yaml"),
            Some("old criteria.yaml"),
            "untouched"
        );
        assert_eq!(text("extra.rhai"), Some("new script"), "added");
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn a_name_of_two_live_files_is_refused_naming_both() {
        let live = files(&["tests/cases.yaml", "more/cases.yaml"]);
        let Err(AppError::Refused(crate::workflow::WorkflowError::Fields(f))) =
            replace_files(live, changed(&[("cases.yaml", "x")]))
        else {
            panic!("an ambiguous name is refused");
        };
        assert_eq!(f[0].field, "files");
        assert!(
            f[0].message.en.contains("tests/cases.yaml"),
            "{}",
            f[0].message.en
        );
        assert!(
            f[0].message.en.contains("more/cases.yaml"),
            "{}",
            f[0].message.en
        );
        assert_eq!(crate::domain::persian_problem(&f[0].message.fa), None);
        // With its path it is not ambiguous.
        let live = files(&["tests/cases.yaml", "more/cases.yaml"]);
        assert!(replace_files(live, changed(&[("more/cases.yaml", "x")])).is_ok());
    }

    #[test]
    fn a_stop_is_told_wholly_in_persian_with_the_same_numbers() {
        for stop in [
            Stop::Operations(200_000),
            Stop::EvaluationTime(Duration::from_secs(1)),
            Stop::Budget(Duration::from_secs(30)),
            Stop::Cancelled,
            Stop::ShuttingDown,
        ] {
            let fa = stop.persian();
            assert!(!fa.chars().any(|c| c.is_ascii_alphanumeric()), "{fa}");
            let (_, label) = describe_stop(
                &Stopped {
                    stop,
                    program: Some("script `x`".into()),
                },
                Some("P-1"),
                Some("location"),
            );
            assert_eq!(
                crate::domain::persian_problem(&label.fa),
                None,
                "{}",
                label.fa
            );
            assert_eq!(crate::domain::label::numbers_differ(&label), None);
            if !matches!(stop, Stop::Cancelled | Stop::ShuttingDown) {
                assert!(label.fa.contains("«P-1»"), "{}", label.fa);
                assert!(label.fa.contains("«location»"), "{}", label.fa);
            }
        }
        assert_eq!(
            crate::domain::label::numbers_differ(&describe_busy(3)),
            None
        );
    }
}
