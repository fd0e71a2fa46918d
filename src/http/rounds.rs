//! Rounds: what each live rule set asks and how it scores, and the stateless score endpoints.

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, CurrentUser, Path};
use crate::domain::digits::to_persian_digits;
use crate::domain::{OfficeId, OfficeKind, RegionId};
use crate::engine::{OfficeRecord, Raw};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits};
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
async fn summary(state: &AppState, rs: &RuleSet) -> Result<Json, ApiError> {
    let now = state.clock.now();
    let events = super::results::events(state, rs.round).await?;
    let calendar = RoundCalendar::new(rs, events);
    Ok(json!({
        "round": rs.round.to_string(),
        "title": rs.title,
        "version": rs.version,
        "hash": rs.hash(),
        "loaded_at": state.rules.loaded_at(rs.round),
        "office_kinds": rs.office_kinds,
        "time_zone": rs.calendar.time_zone,
        "phases": calendar.windows().iter().map(|w| w.view()).collect::<Vec<_>>(),
        "correction": {"days": rs.calendar.correction.days, "max_referrals": rs.calendar.correction.max_referrals},
        "published_at": events.published_at,
        "finalized_at": events.finalized_at,
        "current_phase": calendar.current_phase(now),
    }))
}

/// Every live round with its phases (Jalali and ISO), version and content hash.
#[utoipa::path(get, path = "/v1/rounds", tag = "rounds", responses((status = 200, body = Object)))]
async fn list_rounds(State(state): State<AppState>) -> Result<axum::Json<Json>, ApiError> {
    let mut rounds = Vec::new();
    for rs in state.rules.rounds().values() {
        rounds.push(summary(&state, rs).await?);
    }
    Ok(axum::Json(json!({"rounds": rounds})))
}

fn input_json(d: &crate::rules::ruleset::InputDef) -> Json {
    let mut m = Map::new();
    m.insert("name".into(), json!(d.name));
    m.insert("label".into(), json!(d.label));
    m.insert("type".into(), json!(d.kind.name()));
    m.insert("supplied_by".into(), json!(d.supplied_by));
    if let Some(u) = &d.unit {
        m.insert("unit".into(), json!(u));
    }
    if let Some(range) = d.range {
        if let crate::rules::ruleset::Bounds::Between(lo, hi) = range {
            m.insert("range".into(), json!([lo, hi]));
        }
        if let Some(lo) = range.min() {
            m.insert("min".into(), json!(lo));
        }
        if let Some(hi) = range.max() {
            m.insert("max".into(), json!(hi));
        }
    }
    if let InputKind::Choice(values) = &d.kind {
        m.insert("values".into(), json!(values));
    }
    if d.kind == InputKind::Violations {
        m.insert("violation_kinds".into(), json!(d.violation_kinds));
    }
    m.insert(
        "when_missing".into(),
        match &d.when_missing {
            Missing::Error => json!("error"),
            Missing::ZeroPoints => json!("zero_points"),
            Missing::CarryOver => json!("carry_over"),
            Missing::Default(v) => json!({"default": crate::rules::value::to_json(d, v)}),
        },
    );
    if let Some(h) = &d.help {
        m.insert("help".into(), json!(h));
    }
    Json::Object(m)
}

/// A round in full: inputs (a form can be built from them), criteria, penalties, grading, ranking.
#[utoipa::path(get, path = "/v1/rounds/{round}", tag = "rounds",
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn get_round(
    State(state): State<AppState>,
    Path(round): Path<String>,
) -> Result<axum::Json<Json>, ApiError> {
    let rs = live_round(&state, &round)?;
    let mut doc = summary(&state, &rs).await?;
    let criteria: Vec<Json> = rs
        .criteria
        .iter()
        .map(|c| {
            json!({
                "id": c.id, "label": c.label, "clause": c.clause, "weight": c.weight,
                "max_points": c.max_points, "kind": c.rule.kind_name(),
                "applies_to": c.applies_to.kinds(),
                "reads": c.reads.iter().map(|i| rs.inputs[*i].name.clone()).collect::<Vec<_>>(),
                "runs": match &c.rule { Rule::Program(p) if !p.is_native() => "interpreted", _ => "native" },
            })
        })
        .collect();
    let penalties: Vec<Json> = rs
        .penalties
        .iter()
        .map(|p| json!({"id": p.id, "label": p.label, "clause": p.clause, "points": p.points, "repeat_points": p.repeat_points, "cap": p.cap, "applies_to": p.applies_to.kinds()}))
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
    let extra = json!({
        "notice": rs.notice,
        "legal_references": rs.legal_references,
        "inputs": rs.inputs.iter().map(input_json).collect::<Vec<_>>(),
        "criteria": criteria,
        "penalties": penalties,
        "grading": {
            "scope": g.scope, "method": g.method, "service_share_percent": g.service_share,
            "non_filers": g.non_filers, "fragile_margin": g.fragile_margin,
        },
        "ranking": {"scopes": rs.ranking.scopes, "tie_break": tie_break, "decimals": rs.ranking.decimals, "rounding": rs.ranking.rounding},
    });
    if let (Json::Object(d), Json::Object(e)) = (&mut doc, extra) {
        d.extend(e);
    }
    Ok(axum::Json(doc))
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
    id: Option<String>,
    #[schema(value_type = String, example = "pishkhan")]
    kind: OfficeKind,
    /// Region 1–9 (used for ranking scopes in a batch; default 1).
    region: Option<u8>,
    province: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScoreRequest {
    office: OfficeRef,
    #[serde(default = "yes")]
    filed: bool,
    /// Input name → value, as in the round's `inputs`.
    #[serde(default)]
    #[schema(value_type = Object)]
    inputs: InputMap,
    /// Last round's values, for `carry_over` inputs.
    #[serde(default)]
    #[schema(value_type = Object)]
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
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn score_one(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path(round): Path<String>,
    ApiJson(req): ApiJson<ScoreRequest>,
) -> Result<axum::Json<Json>, ApiError> {
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

fn score_request(rs: &RuleSet, req: ScoreRequest) -> Result<Json, ApiError> {
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
    Ok(json!({
        "round": rs.round.to_string(),
        "rules_version": rs.version,
        "rules_hash": rs.hash(),
        "explanation": explanation,
    }))
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
    offices: Vec<ScoreRequest>,
    /// Include each office's full explanation.
    #[serde(default)]
    explain: bool,
}

/// The most offices one batch may hold.
const MAX_BATCH: usize = 20_000;

/// Scores many offices and ranks them among themselves (positions are within this batch).
#[utoipa::path(post, path = "/v1/rounds/{round}/score/batch", tag = "scoring", request_body = BatchRequest, security(("bearer" = [])),
    params(("round" = String, Path, description = "e.g. 1400-2")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn score_batch(
    State(state): State<AppState>,
    _me: CurrentUser,
    Path(round): Path<String>,
    ApiJson(req): ApiJson<BatchRequest>,
) -> Result<axum::Json<Json>, ApiError> {
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
        let mut offices = Vec::with_capacity(req.offices.len());
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, o) in req.offices.iter().enumerate() {
            if let Err(e) = check_map_sizes(&rs, o, &format!("offices[{i}].")) {
                errors.push(e);
                continue;
            }
            match record_of(o, i) {
                Ok(r) => {
                    if !seen.insert(r.id.clone()) {
                        errors.push(FieldError::new(&format!("offices[{i}].office.id"), format!("دفتر {} دو بار آمده است", crate::domain::quoted(&r.id)), format!("office `{}` appears twice", r.id)));
                        continue;
                    }
                    match crate::engine::prepare(&rs, &r) {
                        Ok(office) => offices.push(office),
                        Err(e) => errors.extend(prefix(e.errors, &format!("offices[{i}].inputs."))),
                    }
                }
                Err(e) => errors.extend(prefix(vec![e], &format!("offices[{i}]."))),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Fields(errors));
        }
        let ranking = crate::engine::rank(&rs, &offices).map_err(score_errors)?;
        let scopes: Vec<&str> = rs.ranking.scopes.iter().map(|s| s.as_str()).collect();
        let results: Vec<Json> = offices
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let p = &ranking.placements[i];
                let mut r = json!({
                    "office": o.id.as_str(),
                    "total": ranking.scores.totals[i],
                    "grade": p.grade,
                    "service_share_percent": p.service_share,
                    "to_next_grade": p.to_next_grade,
                    "positions": scopes.iter().zip(&p.positions).map(|(s, v)| ((*s).to_string(), json!(v))).collect::<Map<_, _>>(),
                    "points": rs.criteria.iter().zip(ranking.scores.points_of(i)).map(|(c, v)| (c.id.clone(), json!(v))).collect::<Map<_, _>>(),
                    "penalties": rs.penalties.iter().zip(ranking.scores.penalties_of(i)).map(|(c, v)| (c.id.clone(), json!(v))).collect::<Map<_, _>>(),
                });
                if req.explain
                    && let Ok(e) = crate::engine::explain::explain(&rs, o, Some(p))
                {
                    r["explanation"] = json!(e);
                }
                r
            })
            .collect();
        Ok(json!({"round": rs.round.to_string(), "rules_version": rs.version, "rules_hash": rs.hash(), "results": results}))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(axum::Json(result))
}
