//! Simulation over the round's stored declarations: what a candidate rule set would do to every
//! office, before it is adopted. Never changes live rules or official results; every run is audited.
//!
//! Simulations are costly and an uploaded bundle's scripts are untrusted: a few run at once (the
//! rest are refused at once), and each runs under a [`Budget`] that stops its evaluations at the
//! sandbox's limits, at the request's time budget, when its client goes away, or at shutdown.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::simulate::Simulated;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use super::rounds::live_round;
use crate::app::simulation::{self as app_population, Population, prepare_all, score_errors};
use crate::domain::{Label, Role};
use crate::engine::ScoreError;
use crate::engine::simulate::overrides::{self, Override};
use crate::engine::simulate::sweep::Sweep;
use crate::engine::simulate::sweep::{SweepError, SweepSpec};
use crate::engine::simulate::{self, Options, Simulation};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::rules::compile::compile_source;
use crate::rules::ruleset::{Source, SourceFile};
use crate::rules::value::FieldError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run_simulation))
}

/// How many simulations may run at once, and what a candidate's scripts may spend.
#[derive(Clone, Copy, Debug)]
pub struct SimulationLimits {
    /// Simulations running at once; one more is refused (`503`, `Retry-After`) until one ends.
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
pub(super) struct Simulations {
    limits: SimulationLimits,
    slots: Arc<Semaphore>,
}

impl Simulations {
    pub fn new(limits: SimulationLimits) -> Self {
        Simulations {
            limits,
            slots: Arc::new(Semaphore::new(limits.concurrent)),
        }
    }

    /// Simulations running now (each holds its slot until its computation has ended, even when
    /// its client went away).
    pub fn running(&self) -> usize {
        self.limits.concurrent - self.slots.available_permits()
    }

    pub fn limit(&self) -> usize {
        self.limits.concurrent
    }

    /// A slot, or `503 too_many_simulations` at once.
    fn start(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy {
                running: self.running(),
                retry_after_seconds: 5,
            })
    }
}

/// `error` of work under `budget`, or what stopped the budget's evaluations (naming the office and
/// criterion of the first evaluation that was stopped, when `failed` has it).
fn unless_stopped(budget: &Budget, failed: &[ScoreError], error: ApiError) -> ApiError {
    let Some(stopped) = budget.stopped() else {
        return error;
    };
    let own = stopped.stop.to_string();
    let at = failed
        .iter()
        .find(|e| e.message == own)
        .or_else(|| failed.first());
    ApiError::Stopped {
        stopped: stopped.clone(),
        office: at.map(|e| e.office.clone()),
        criterion: at.map(|e| e.criterion.clone()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SimulationRequest {
    /// Overrides of the live rules, e.g. `["weight:area=2", "cap:overcharging=-30", "cut:grade_1=55"]`.
    #[serde(default)]
    #[schema(example = json!(["weight:area=2", "cut:grade_1=55"]))]
    set: Vec<String>,
    /// An uploaded candidate bundle: every file of the round (path → text), as in `rules/<round>/`.
    #[serde(default)]
    #[schema(example = json!({"criteria.yaml": "criteria:\n  - id: area\n"}))]
    files: BTreeMap<String, String>,
    /// Vary one setting over a range, e.g. `weight:area=0:3:0.25`.
    #[schema(example = "weight:area=0:3:0.5")]
    sweep: Option<String>,
    /// How many of the offices that moved most to explain (default 20).
    #[schema(example = 20)]
    top: Option<usize>,
    /// Include every office's old and new result (large for big populations).
    #[serde(default)]
    #[schema(example = false)]
    include_offices: bool,
}

fn field(name: &str, message: Label) -> ApiError {
    ApiError::Fields(vec![FieldError {
        field: name.to_string(),
        message,
    }])
}

/// Runs a candidate (overrides of the live rules, or an uploaded bundle) against the live rule set
/// over the round's stored declarations.
#[utoipa::path(post, path = "/v1/rounds/{round}/simulate", tag = "simulation", request_body = SimulationRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = Simulated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "invalid candidate, or its scripts were stopped (`evaluation_limit`, `evaluation_timeout`)"),
        (status = 503, body = ErrorBody, description = "`too_many_simulations` (with Retry-After) or `shutting_down`")))]
async fn run_simulation(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(round): Path<String>,
    ApiJson(req): ApiJson<SimulationRequest>,
) -> Result<axum::Json<Simulated>, ApiError> {
    me.require(&[Role::Regulator, Role::Admin])?;
    let base = live_round(&state, &round)?;
    let (set, spec) = parse_request(&req)?;
    // Refused at once when the slots are taken; the slot is held until the computation ends.
    let slot = state.simulations.start()?;
    // The candidate's evaluations: stopped at the request's time budget, when the client goes
    // away (this handler is dropped), or when the server shuts down.
    let budget = state.evaluations.child(state.simulations.limits.evaluation);
    let _cancel = budget.cancel_on_drop();
    let source = candidate_source(&base, &req.files, &round);
    let cand = compile_candidate(source, &set).await?;
    // Files whose referral deadline passed stand as they were referred, as in the results.
    crate::app::review::expire_due_referrals(&state, base.round, state.clock.now()).await?;
    let population = state
        .populations
        .get(&state, base)
        .await
        .map_err(|e| unless_stopped(&budget, &[], e.into()))?;
    let run = Run {
        top: req.top.unwrap_or(20).min(500),
        include_offices: req.include_offices,
        spec,
        budget: budget.clone(),
    };
    let (mut sim, sweep) = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        run.compute(&population, cand)
    })
    .await
    .map_err(ApiError::internal)??;
    for side in [&mut sim.baseline, &mut sim.candidate] {
        side.dir = shown_dir(&side.dir, &state.rules.dir);
    }
    let what = json!({"set": req.set, "files": req.files.keys().collect::<Vec<_>>(), "sweep": req.sweep, "candidate_hash": sim.candidate});
    app_population::record_simulation(&state, &me.actor(), &round, &what).await?;
    Ok(axum::Json(Simulated {
        simulation: sim,
        sweep,
    }))
}

/// The request's overrides and sweep, parsed; a request with no candidate at all is refused.
fn parse_request(req: &SimulationRequest) -> Result<(Vec<Override>, Option<SweepSpec>), ApiError> {
    if req.set.is_empty() && req.files.is_empty() && req.sweep.is_none() {
        return Err(ApiError::BadRequest(
            "nothing_to_simulate",
            Label::new(
                "قواعد پیشنهادی را بدهید («set»، «files» یا «sweep»)",
                "give a candidate: `set` overrides, uploaded `files`, or a `sweep`",
            ),
        ));
    }
    let set: Vec<Override> = req
        .set
        .iter()
        .enumerate()
        .map(|(i, s)| Override::parse(s).map_err(|e| field(&format!("set[{i}]"), e)))
        .collect::<Result<_, _>>()?;
    let spec = req
        .sweep
        .as_deref()
        .map(|s| SweepSpec::parse(s).map_err(|e| field("sweep", e)))
        .transpose()?;
    Ok((set, spec))
}

/// The candidate's source: the uploaded bundle, or the live rules' own when none was uploaded.
fn candidate_source(base: &RuleSet, files: &BTreeMap<String, String>, round: &str) -> Source {
    if files.is_empty() {
        return base.source.clone();
    }
    let files: Vec<SourceFile> = files
        .iter()
        .map(|(p, t)| SourceFile {
            path: p.clone(),
            text: t.clone(),
        })
        .collect();
    Source {
        dir: std::path::PathBuf::from(format!("candidate/{round}")),
        hash: crate::rules::compile::hash_files(&files),
        files,
    }
}

/// The candidate: a fresh compile of its source (a compiled rule set cannot be cloned), then the
/// overrides on top.
async fn compile_candidate(source: Source, set: &[Override]) -> Result<RuleSet, ApiError> {
    let mut cand = tokio::task::spawn_blocking(move || compile_source(source))
        .await
        .map_err(ApiError::internal)?
        .map_err(|d| ApiError::Rules(d.0))?;
    overrides::apply(&mut cand, set).map_err(|problems| {
        ApiError::Fields(
            problems
                .into_iter()
                .map(|message| FieldError {
                    field: "set".to_string(),
                    message,
                })
                .collect(),
        )
    })?;
    Ok(cand)
}

/// What one simulation computes besides the candidate itself, and the budget it runs under.
struct Run {
    top: usize,
    include_offices: bool,
    spec: Option<SweepSpec>,
    budget: Arc<Budget>,
}

impl Run {
    /// Simulates the candidate over the population, and sweeps it when asked; blocking work.
    fn compute(
        self,
        population: &Population,
        mut cand: RuleSet,
    ) -> Result<(Simulation, Option<Sweep>), ApiError> {
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
        .map_err(|e| unless_stopped(&work, &e, score_errors(e.clone()).into()))?;
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

/// A failed sweep as the field error on `sweep`, or what stopped its evaluations.
fn sweep_error(work: &Budget, e: &SweepError) -> ApiError {
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
