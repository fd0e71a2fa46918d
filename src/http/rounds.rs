//! Rounds: what each live rule set asks and how it scores, and the stateless score endpoints.

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::body::rounds as body;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use crate::domain::digits::to_persian_digits;
use crate::domain::{OfficeId, OfficeKind, RegionId};
use crate::engine::{OfficeRecord, Raw};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
use crate::rules::model::{NonFilerPolicy, Supplier};
use crate::rules::ruleset::{GradeMethod, InputKind, Missing, Rule, TieBreak};
use crate::rules::value::FieldError;
use crate::workflow::calendar::RoundCalendar;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_rounds))
        .routes(routes!(get_round))
        .routes(routes!(score_one))
        .routes(routes!(score_batch))
}

/// The live rule set of a round named in a path.
pub fn live_round(state: &AppState, round: &str) -> Result<Arc<RuleSet>, ApiError> {
    Ok(state.live_round(round)?)
}

/// A round's identity and its calendar as enforced now: every phase's window and the phase open.
async fn summary(state: &AppState, rs: &RuleSet) -> Result<body::RoundSummary, ApiError> {
    let now = state.clock.now();
    let events = super::results::events(state, rs.round).await?;
    let calendar = RoundCalendar::new(rs, events);
    Ok(body::RoundSummary {
        round: rs.round.to_string(),
        title: rs.title.clone(),
        version: rs.version.clone(),
        hash: rs.hash().to_string(),
        loaded_at: state.rules.loaded_at(rs.round),
        office_kinds: rs.office_kinds.clone(),
        time_zone: rs.calendar.time_zone.to_string(),
        phases: calendar.windows().iter().map(|w| w.body()).collect(),
        correction: body::Correction {
            days: rs.calendar.correction.days,
            max_referrals: rs.calendar.correction.max_referrals,
        },
        published_at: events.published_at,
        published_at_jalali: events.published_at.map(super::body::jalali),
        finalized_at: events.finalized_at,
        finalized_at_jalali: events.finalized_at.map(super::body::jalali),
        current_phase: calendar.current_phase(now),
    })
}

/// Every live round with its phases (Jalali and ISO), version and content hash.
#[utoipa::path(get, path = "/v1/rounds", tag = "rounds", responses((status = 200, body = body::RoundList)))]
async fn list_rounds(
    State(state): State<AppState>,
) -> Result<axum::Json<body::RoundList>, ApiError> {
    let mut rounds = Vec::new();
    for rs in state.rules.rounds().values() {
        rounds.push(summary(&state, rs).await?);
    }
    Ok(axum::Json(body::RoundList { rounds }))
}

fn input_body(d: &crate::rules::ruleset::InputDef) -> body::Input {
    let range = d.range;
    body::Input {
        name: d.name.clone(),
        label: d.label.clone(),
        kind: d.kind.name(),
        supplied_by: match d.supplied_by {
            Supplier::Office => "office",
            Supplier::Region => "region",
            Supplier::Inspection => "inspection",
        },
        unit: d.unit.clone(),
        range: match range {
            Some(crate::rules::ruleset::Bounds::Between(lo, hi)) => Some([lo, hi]),
            _ => None,
        },
        min: range.and_then(|r| r.min()),
        max: range.and_then(|r| r.max()),
        values: match &d.kind {
            InputKind::Choice(values) => Some(
                values
                    .iter()
                    .map(|v| body::Choice {
                        name: v.name.clone(),
                        label: v.label.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        },
        violation_kinds: (d.kind == InputKind::Violations).then(|| d.violation_kinds.clone()),
        when_missing: match &d.when_missing {
            Missing::Error => body::WhenMissing::Policy("error"),
            Missing::ZeroPoints => body::WhenMissing::Policy("zero_points"),
            Missing::CarryOver => body::WhenMissing::Policy("carry_over"),
            Missing::Default(v) => body::WhenMissing::Default {
                default: crate::rules::value::to_json(d, v),
            },
        },
        help: d.help.clone(),
    }
}

/// A round in full: inputs (a form can be built from them), criteria, penalties, grading, ranking.
#[utoipa::path(get, path = "/v1/rounds/{round}", tag = "rounds",
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = body::RoundDetail), (status = 404, body = ErrorBody)))]
async fn get_round(
    State(state): State<AppState>,
    Path(round): Path<String>,
) -> Result<axum::Json<body::RoundDetail>, ApiError> {
    let rs = live_round(&state, &round)?;
    let summary = summary(&state, &rs).await?;
    let criteria = rs
        .criteria
        .iter()
        .map(|c| body::Criterion {
            id: c.id.clone(),
            label: c.label.clone(),
            clause: c.clause.clone(),
            weight: c.weight,
            max_points: c.max_points,
            kind: c.rule.kind_name(),
            applies_to: c.applies_to.kinds(),
            reads: c.reads.iter().map(|i| rs.inputs[*i].name.clone()).collect(),
            runs: match &c.rule {
                Rule::Program(p) if !p.is_native() => "interpreted",
                _ => "native",
            },
        })
        .collect();
    let penalties = rs
        .penalties
        .iter()
        .map(|p| body::Penalty {
            id: p.id.clone(),
            label: p.label.clone(),
            clause: p.clause.clone(),
            points: p.points,
            repeat_points: p.repeat_points.clone(),
            cap: p.cap,
            applies_to: p.applies_to.kinds(),
        })
        .collect();
    let g = &rs.grading;
    let tie_break: Vec<String> = rs
        .ranking
        .tie_break
        .iter()
        .map(|t| match *t {
            TieBreak::Total { descending } => format!("total {}", order(descending)),
            TieBreak::Criterion { index, descending } => {
                format!("criterion {} {}", rs.criteria[index].id, order(descending))
            }
            TieBreak::Input { index, descending } => {
                format!("input {} {}", rs.inputs[index].name, order(descending))
            }
            TieBreak::OfficeId { descending } => format!("office_id {}", order(descending)),
        })
        .collect();
    let (method, grade_1, grade_2) = match g.method {
        GradeMethod::CutPoints { grade_1, grade_2 } => ("cut_points", grade_1, grade_2),
        GradeMethod::Shares { grade_1, grade_2 } => ("shares", grade_1, grade_2),
    };
    Ok(axum::Json(body::RoundDetail {
        summary,
        notice: rs.notice.clone(),
        legal_references: rs
            .legal_references
            .iter()
            .map(|l| body::LegalReference {
                id: l.id.clone(),
                label: l.label.clone(),
            })
            .collect(),
        inputs: rs.inputs.iter().map(input_body).collect(),
        criteria,
        penalties,
        grading: body::Grading {
            scope: g.scope.as_str(),
            method: body::GradeMethod {
                method,
                grade_1,
                grade_2,
            },
            service_share_percent: g.service_share,
            non_filers: match g.non_filers {
                NonFilerPolicy::LowestGrade => "lowest_grade",
                NonFilerPolicy::ScoreCarriedOver => "score_carried_over",
            },
            fragile_margin: g.fragile_margin,
        },
        ranking: body::Ranking {
            scopes: rs.ranking.scopes.iter().map(|s| s.as_str()).collect(),
            tie_break,
            decimals: rs.ranking.decimals,
            rounding: rs.ranking.rounding,
        },
    }))
}

fn order(descending: bool) -> &'static str {
    if descending {
        "descending"
    } else {
        "ascending"
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OfficeRef {
    /// License number (optional for a one-off score).
    #[schema(example = "P-THR-000001")]
    id: Option<String>,
    /// Pishkhan, non-governmental or rural ICT.
    #[schema(value_type = String, example = "pishkhan")]
    kind: OfficeKind,
    /// Region 1–9 (used for ranking scopes in a batch; default 1).
    #[schema(example = 1)]
    region: Option<u8>,
    /// The province's code.
    #[schema(example = "THR")]
    province: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScoreRequest {
    /// The office to score.
    office: OfficeRef,
    /// Whether the office filed a declaration (default true).
    #[serde(default = "yes")]
    #[schema(example = true)]
    filed: bool,
    /// Input name → value, as in the round's `inputs`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, super::body::InputValue>)]
    inputs: InputMap,
    /// Last round's values, for `carry_over` inputs.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, super::body::InputValue>)]
    previous: InputMap,
}

/// The most names of one input map that are kept while a request is parsed; beyond it names are
/// only counted, so a hostile map of 230,000 names costs no memory beyond its body before it is
/// refused (see [`INPUT_NAMES_PER_INPUT`]).
const KEPT_INPUT_NAMES: usize = 4096;

/// An input map as sent: its names and values (the first [`KEPT_INPUT_NAMES`]) and how many names
/// it had.
#[derive(Default)]
struct InputMap {
    values: Map<String, Json>,
    sent: usize,
}

impl<'de> Deserialize<'de> for InputMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Counting;
        impl<'de> serde::de::Visitor<'de> for Counting {
            type Value = InputMap;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of input names and values")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<InputMap, A::Error> {
                let mut map = InputMap::default();
                while map.sent < KEPT_INPUT_NAMES {
                    let Some((name, value)) = a.next_entry::<String, Json>()? else {
                        return Ok(map);
                    };
                    map.values.insert(name, value);
                    map.sent += 1;
                }
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {
                    map.sent += 1;
                }
                Ok(map)
            }
        }
        d.deserialize_map(Counting)
    }
}

fn yes() -> bool {
    true
}

fn record_of(req: &ScoreRequest, index: usize) -> Result<OfficeRecord, FieldError> {
    let id = match &req.office.id {
        Some(id) => {
            OfficeId::parse(id).map_err(|e| FieldError::new("office.id", e.fa(), e.to_string()))?
        }
        None => OfficeId::parse(&format!("office-{}", index + 1)).expect("valid id"),
    };
    let region = RegionId::new(req.office.region.unwrap_or(1) as i64)
        .map_err(|e| FieldError::new("office.region", e.fa(), e.to_string()))?;
    Ok(OfficeRecord {
        id,
        kind: req.office.kind,
        region,
        province: req.office.province.clone().unwrap_or_default(),
        filed: req.filed,
        inputs: req
            .inputs
            .values
            .iter()
            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
            .collect(),
        previous: req
            .previous
            .values
            .iter()
            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
            .collect(),
    })
}

/// An input map (`inputs`, `previous`) may hold at most this many names per input of the round,
/// and never fewer than [`MIN_INPUT_NAMES`]: room for last round's names and a few mistakes, while
/// a hostile map of 230,000 names is refused with one error instead of one per name.
pub const INPUT_NAMES_PER_INPUT: usize = 4;
/// See [`INPUT_NAMES_PER_INPUT`].
pub const MIN_INPUT_NAMES: usize = 64;

/// Refuses an office whose `inputs` or `previous` names more inputs than the round could use.
fn check_map_sizes(rs: &RuleSet, req: &ScoreRequest, field_prefix: &str) -> Result<(), FieldError> {
    let limit = (INPUT_NAMES_PER_INPUT * rs.inputs.len()).clamp(MIN_INPUT_NAMES, KEPT_INPUT_NAMES);
    for (name, map) in [("inputs", &req.inputs), ("previous", &req.previous)] {
        if map.sent > limit {
            return Err(FieldError::new(
                &format!("{field_prefix}{name}"),
                to_persian_digits(&format!(
                    "حداکثر {limit} نام ورودی پذیرفته می‌شود (این دوره {} ورودی دارد)، اما {} نام فرستاده شد",
                    rs.inputs.len(),
                    map.sent
                )),
                format!(
                    "at most {limit} input names are accepted (round {} has {} inputs), got {}",
                    rs.round,
                    rs.inputs.len(),
                    map.sent
                ),
            ));
        }
    }
    Ok(())
}

fn prefix(errors: Vec<FieldError>, p: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = format!("{p}{}", e.field);
            e
        })
        .collect()
}

/// Scores one office under the live rule set: inputs in, full explanation out. Nothing is stored.
#[utoipa::path(post, path = "/v1/rounds/{round}/score", tag = "scoring", request_body = ScoreRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = body::Scored), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn score_one(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path(round): Path<String>,
    ApiJson(req): ApiJson<ScoreRequest>,
) -> Result<axum::Json<body::Scored>, ApiError> {
    let rs = live_round(&state, &round)?;
    // Checking, scoring and explaining are CPU work, done off the async workers (where the
    // request, however large, is also dropped), stopped at shutdown like every evaluation.
    let work = state.evaluations.child(Limits::default());
    let doc = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        score_request(&rs, req)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(axum::Json(doc))
}

fn score_request(rs: &RuleSet, req: ScoreRequest) -> Result<body::Scored, ApiError> {
    check_map_sizes(rs, &req, "").map_err(|e| ApiError::Fields(vec![e]))?;
    let record = record_of(&req, 0).map_err(|e| ApiError::Fields(vec![e]))?;
    let office = crate::engine::prepare(rs, &record)
        .map_err(|e| ApiError::Fields(prefix(e.errors, "inputs.")))?;
    let ranking = crate::engine::rank(rs, std::slice::from_ref(&office)).map_err(score_errors)?;
    // A lone office's grade is meaningful only under cut points.
    let placement =
        matches!(rs.grading.method, GradeMethod::CutPoints { .. }).then(|| &ranking.placements[0]);
    let explanation = crate::engine::explain::explain(rs, &office, placement)
        .map_err(|e| score_errors(vec![e]))?;
    Ok(body::Scored {
        round: rs.round.to_string(),
        rules_version: rs.version.clone(),
        rules_hash: rs.hash().to_string(),
        explanation,
    })
}

fn score_errors(errors: Vec<crate::engine::ScoreError>) -> ApiError {
    ApiError::Fields(
        errors
            .into_iter()
            .map(|e| {
                FieldError::new(
                    &format!("criteria.{}", e.criterion),
                    format!(
                        "محاسبه معیار {} ناموفق بود",
                        crate::domain::quoted(&e.criterion)
                    ),
                    e.message,
                )
            })
            .collect(),
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BatchRequest {
    /// The offices to score and rank together.
    offices: Vec<ScoreRequest>,
    /// Include each office's full explanation.
    #[serde(default)]
    #[schema(example = false)]
    explain: bool,
}

/// The most offices one batch may hold.
const MAX_BATCH: usize = 20_000;

/// Every office of a batch checked and prepared, or every problem of the batch, each under its
/// `offices[i].` field (an office id twice is a problem too).
fn prepare_batch(rs: &RuleSet, req: &BatchRequest) -> Result<Vec<crate::engine::Office>, ApiError> {
    let mut offices = Vec::with_capacity(req.offices.len());
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, o) in req.offices.iter().enumerate() {
        if let Err(e) = check_map_sizes(rs, o, &format!("offices[{i}].")) {
            errors.push(e);
            continue;
        }
        match record_of(o, i) {
            Ok(r) => {
                if !seen.insert(r.id.clone()) {
                    errors.push(FieldError::new(
                        &format!("offices[{i}].office.id"),
                        format!("دفتر {} دو بار آمده است", crate::domain::quoted(&r.id)),
                        format!("office `{}` appears twice", r.id),
                    ));
                    continue;
                }
                match crate::engine::prepare(rs, &r) {
                    Ok(office) => offices.push(office),
                    Err(e) => errors.extend(prefix(e.errors, &format!("offices[{i}].inputs."))),
                }
            }
            Err(e) => errors.extend(prefix(vec![e], &format!("offices[{i}]."))),
        }
    }
    if errors.is_empty() {
        Ok(offices)
    } else {
        Err(ApiError::Fields(errors))
    }
}

/// Scores many offices and ranks them among themselves (positions are within this batch).
#[utoipa::path(post, path = "/v1/rounds/{round}/score/batch", tag = "scoring", request_body = BatchRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = body::BatchScored), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn score_batch(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path(round): Path<String>,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<axum::Json<body::BatchScored>, ApiError> {
    let rs = live_round(&state, &round)?;
    if req.offices.len() > MAX_BATCH {
        return Err(ApiError::Fields(vec![FieldError::new(
            "offices",
            crate::domain::digits::to_persian_digits(&format!(
                "حداکثر {MAX_BATCH} دفتر در هر درخواست پذیرفته می‌شود، اما {} دفتر فرستاده شد",
                req.offices.len()
            )),
            format!(
                "at most {MAX_BATCH} offices per batch, got {}",
                req.offices.len()
            ),
        )]));
    }
    // Stopped at shutdown, like every evaluation the server runs.
    let work = state.evaluations.child(Limits::default());
    let result = tokio::task::spawn_blocking(move || {
        let _budget = Budget::enter(Some(work));
        let offices = prepare_batch(&rs, &req)?;
        let ranking = crate::engine::rank(&rs, &offices).map_err(score_errors)?;
        let scopes: Vec<&str> = rs.ranking.scopes.iter().map(|s| s.as_str()).collect();
        let results: Vec<body::BatchResult> = offices
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let p = &ranking.placements[i];
                body::BatchResult {
                    office: o.id.as_str().to_string(),
                    total: ranking.scores.totals[i],
                    grade: p.grade,
                    service_share_percent: p.service_share,
                    to_next_grade: p.to_next_grade,
                    positions: scopes
                        .iter()
                        .map(|s| (*s).to_string())
                        .zip(p.positions.iter().copied())
                        .collect(),
                    points: rs
                        .criteria
                        .iter()
                        .map(|c| c.id.clone())
                        .zip(ranking.scores.points_of(i).iter().copied())
                        .collect(),
                    penalties: rs
                        .penalties
                        .iter()
                        .map(|c| c.id.clone())
                        .zip(ranking.scores.penalties_of(i).iter().copied())
                        .collect(),
                    explanation: req
                        .explain
                        .then(|| crate::engine::explain::explain(&rs, o, Some(p)).ok())
                        .flatten(),
                }
            })
            .collect();
        Ok::<_, ApiError>(body::BatchScored {
            round: rs.round.to_string(),
            rules_version: rs.version.clone(),
            rules_hash: rs.hash().to_string(),
            results,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(axum::Json(result))
}
