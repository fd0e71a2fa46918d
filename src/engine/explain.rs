//! Explanations: why an office got its score, rank and grade — what an office reads before it
//! decides whether to object. Built only on request, by re-scoring the one office with a trace.

use std::fmt::Write as _;

use serde::Serialize;

use unicode_width::UnicodeWidthStr;

use super::office::Office;
use super::rank::{Decider, Placement, Ranking, ScoreTable, decider, group_of};
use super::score::{CriterionTrace, Matched, PenaltyTrace, ScoreError, Trace, score};
use crate::domain::digits::to_persian_number;
use crate::domain::{Fixed, Grade, Label};
use crate::rules::RuleSet;
use crate::rules::ruleset::{Rule, TieBreak};
use crate::rules::script::ProgramStep;
use crate::rules::value;

/// The full explanation of one office's result.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's kind.
    #[schema(example = "pishkhan")]
    pub office_kind: String,
    /// The office's region (1–9).
    #[schema(example = 1)]
    pub region: u8,
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The rules' version.
    #[schema(example = "1400-2.1")]
    pub rules_version: String,
    /// The content hash of the rules.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    pub rules_hash: String,
    /// The round's notice, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Label>,
    /// Whether the office filed a declaration.
    #[schema(example = true)]
    pub filed: bool,
    /// Every criterion: what it read, what matched, its points.
    pub criteria: Vec<CriterionLine>,
    /// Every penalty with its violations.
    pub penalties: Vec<PenaltyLine>,
    /// Σ contributions.
    pub criteria_total: Fixed,
    /// Σ penalty points (≤ 0).
    pub penalty_total: Fixed,
    /// Rounded total; `None` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    /// Grade and positions, when the whole population is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementLine>,
    /// The offices just above and below in the grading scope, and what decided between them
    /// (filled when the whole population is known, see [`neighbours`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub neighbours: Vec<NeighbourLine>,
    /// Decimals the round shows totals with.
    #[serde(skip)]
    pub decimals: u32,
}

/// One criterion in an explanation.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CriterionLine {
    /// The criterion's id.
    #[schema(example = "area")]
    pub id: String,
    /// Its name.
    pub label: Label,
    /// The clause of the regulation it implements.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Table 5-1, row 1")]
    pub clause: Option<String>,
    /// `bands`, `table`, `linear`, `formula`, `script` …
    #[schema(example = "bands")]
    pub kind: &'static str,
    /// Whether it scores this kind of office.
    #[schema(example = true)]
    pub applies: bool,
    /// The inputs it read, with their values.
    pub inputs: Vec<InputLine>,
    /// The band, row, formula or script that produced the points, in Persian and English.
    pub matched: Label,
    /// Points before weighting.
    pub points: Fixed,
    /// Set when the raw points were cut to `max_points`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<Fixed>,
    /// The most points it gives before weighting.
    pub max_points: Fixed,
    /// What its points are multiplied by.
    pub weight: Fixed,
    /// `points × weight`.
    pub contribution: Fixed,
    /// For a lowered formula or script: each `let` with its value and each `if` with the branch
    /// taken, in the order they ran (empty when interpreted, or when the criterion did not run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<ProgramStep>,
}

/// An input a criterion read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InputLine {
    /// The input's name.
    #[schema(example = "area_m2")]
    pub name: String,
    /// What the form shows.
    pub label: Label,
    /// The value as written in files; `null` when missing.
    #[schema(schema_with = written_value_schema)]
    pub value: serde_json::Value,
    /// Whether the value was missing.
    #[schema(example = false)]
    pub missing: bool,
    /// Whether the value came from the previous round.
    #[schema(example = false)]
    pub carried_over: bool,
    /// A choice's or yes/no value's words, where the value itself is a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown: Option<Label>,
}

/// The schema of an input's value as written in files: any JSON value (a number, yes/no, a
/// choice's name, a Jalali date, a list of violations, or null).
fn written_value_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
        .description(Some("The value as written in files; `null` when missing."))
        .examples([serde_json::json!(85.5)])
        .build()
}

/// One penalty kind in an explanation.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PenaltyLine {
    /// The penalty's id.
    #[schema(example = "overcharging")]
    pub id: String,
    /// Its name.
    pub label: Label,
    /// The clause of the regulation it implements.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Table 5-1, negative points, row 1")]
    pub clause: Option<String>,
    /// The office's violations of this kind.
    pub violations: Vec<ViolationLine>,
    /// Set when the points were cut to the penalty's cap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_at: Option<Fixed>,
    /// Points deducted (≤ 0).
    pub points: Fixed,
}

/// One violation counted under a penalty.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ViolationLine {
    /// The violation's kind as written in the office's file.
    #[schema(example = "overcharging")]
    pub kind: String,
    /// When it happened (Jalali).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "1400/01/25")]
    pub date: Option<String>,
    /// What the inspector wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "دریافت وجه اضافه از مراجعه‌کننده")]
    pub note: Option<String>,
    /// Points deducted for it (≤ 0).
    pub points: Fixed,
}

/// Rank and grade, in words.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlacementLine {
    /// The office's grade.
    pub grade: Grade,
    /// Percent of the services available in its area it may offer.
    pub service_share_percent: Fixed,
    /// Its position in each ranking scope.
    pub positions: Vec<PositionLine>,
    /// Points short of the next better grade; absent in grade 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_next_grade: Option<Fixed>,
    /// True when the total is within the fragile margin of a cut point.
    #[schema(example = false)]
    pub fragile: bool,
}

/// A position in one ranking scope.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PositionLine {
    /// The ranking scope.
    #[schema(example = "nationwide")]
    pub scope: &'static str,
    /// The position in it, from 1.
    #[schema(example = 5)]
    pub position: u32,
    /// How many offices it ranks.
    #[schema(example = 60)]
    pub of: u32,
}

/// Whether a neighbour stands just above or just below the explained office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Above,
    Below,
}

/// The office just above or below, and the step of the ranking that put the one ahead of the other.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NeighbourLine {
    /// Above or below this office.
    pub relation: Relation,
    /// The neighbour's license number.
    #[schema(example = "P-THR-000002")]
    pub office: String,
    /// Its total; `None` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    /// The scope both positions are in (the grading scope).
    #[schema(example = "nationwide")]
    pub scope: &'static str,
    /// 1-based step of the tie-break chain that decided; `None` when filing decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 1)]
    pub step: Option<usize>,
    /// What decided, with both offices' values.
    pub decided_by: Label,
}

/// Explains one office. `placement` comes from ranking the population it belongs to, if known.
pub fn explain(
    rs: &RuleSet,
    office: &Office,
    placement: Option<&Placement>,
) -> Result<Explanation, ScoreError> {
    let skip =
        !office.filed && rs.grading.non_filers == crate::rules::model::NonFilerPolicy::LowestGrade;
    let mut trace = Trace::default();
    let s = score(rs, office, Some(&mut trace))?;
    let criteria: Vec<CriterionLine> = (0..rs.criteria.len())
        .map(|i| criterion_line(rs, office, i, &trace.criteria[i], s.points[i]))
        .collect();
    let criteria_total = criteria
        .iter()
        .fold(Fixed::ZERO, |sum, c| sum.saturating_add(c.contribution));
    let penalties: Vec<PenaltyLine> = (0..rs.penalties.len())
        .filter_map(|k| penalty_line(rs, office, k, &trace.penalties, s.penalties[k]))
        .collect();
    let penalty_total = penalties
        .iter()
        .fold(Fixed::ZERO, |sum, p| sum.saturating_add(p.points));
    Ok(Explanation {
        office: office.id.to_string(),
        office_kind: office.kind.to_string(),
        region: office.region.get(),
        round: rs.round.to_string(),
        rules_version: rs.version.clone(),
        rules_hash: rs.hash().to_string(),
        notice: rs.notice.clone(),
        filed: office.filed,
        criteria,
        penalties,
        criteria_total,
        penalty_total,
        total: (!skip).then_some(s.total),
        placement: placement.map(|p| placement_line(rs, p)),
        neighbours: Vec::new(),
        decimals: rs.ranking.decimals,
    })
}

/// The `i`th criterion's line: its inputs, what matched, its points (`points`, after the cap)
/// and their weighted contribution, and the steps of its program when it ran.
fn criterion_line(
    rs: &RuleSet,
    office: &Office,
    i: usize,
    t: &CriterionTrace,
    points: Fixed,
) -> CriterionLine {
    let c = &rs.criteria[i];
    CriterionLine {
        id: c.id.clone(),
        label: c.label.clone(),
        clause: c.clause.clone(),
        kind: c.rule.kind_name(),
        applies: t.applies,
        inputs: c
            .reads
            .iter()
            .map(|&slot| input_line(rs, office, slot))
            .collect(),
        matched: outcome(office, t),
        points,
        capped_from: (t.uncapped != points && t.applies).then_some(t.uncapped),
        max_points: c.max_points,
        weight: c.weight,
        contribution: points.mul(c.weight),
        steps: if t.applies && t.missing.is_empty() {
            program_steps(rs, &c.rule, office)
        } else {
            Vec::new()
        },
    }
}

/// One input a criterion read, as the office's file holds it (in `slot`).
fn input_line(rs: &RuleSet, office: &Office, slot: usize) -> InputLine {
    let def = &rs.inputs[slot];
    let v = &office.values[slot];
    InputLine {
        name: def.name.clone(),
        label: def.label.clone(),
        value: v
            .as_ref()
            .map_or(serde_json::Value::Null, |v| value::to_json(def, v)),
        missing: v.is_none(),
        carried_over: office.carried_over[slot],
        shown: v.as_ref().and_then(|v| shown_value(def, v)),
    }
}

/// What decided a criterion's points: it does not apply to the office's kind, an input it needs
/// is missing, or the band, row or formula that matched.
fn outcome(office: &Office, t: &CriterionTrace) -> Label {
    if !t.applies {
        Label::new(
            format!("برای دفتر {} نیست", office.kind.label_fa()),
            format!("does not apply to {}", office.kind),
        )
    } else if !t.missing.is_empty() {
        Label::new(
            "ورودی لازم خالی است: امتیاز صفر",
            "missing input: zero points",
        )
    } else {
        matched_label(&t.matched)
    }
}

/// The `k`th penalty's line with each violation it counted and `points` taken off; `None` when
/// the office has no violation of that kind.
fn penalty_line(
    rs: &RuleSet,
    office: &Office,
    k: usize,
    trace: &PenaltyTrace,
    points: Fixed,
) -> Option<PenaltyLine> {
    let occurrences = &trace.occurrences[k];
    if occurrences.is_empty() {
        return None;
    }
    let p = &rs.penalties[k];
    Some(PenaltyLine {
        id: p.id.clone(),
        label: p.label.clone(),
        clause: p.clause.clone(),
        violations: occurrences
            .iter()
            .map(|&(slot, n, points)| {
                let v = match &office.values[slot] {
                    Some(value::Value::Violations(list)) => list.get(n).cloned(),
                    _ => None,
                };
                ViolationLine {
                    kind: v.as_ref().map_or_else(|| p.id.clone(), |v| v.kind.clone()),
                    date: v.as_ref().and_then(|v| v.date.map(|d| d.to_string())),
                    note: v.and_then(|v| v.note),
                    points,
                }
            })
            .collect(),
        capped_at: trace.capped[k].then_some(points),
        points,
    })
}

/// Where the office placed: grade, service share, its position in each ranking scope.
fn placement_line(rs: &RuleSet, p: &Placement) -> PlacementLine {
    PlacementLine {
        grade: p.grade,
        service_share_percent: p.service_share,
        positions: rs
            .ranking
            .scopes
            .iter()
            .enumerate()
            .map(|(i, s)| PositionLine {
                scope: s.as_str(),
                position: p.positions[i],
                of: p.group_sizes[i],
            })
            .collect(),
        to_next_grade: p.to_next_grade,
        fragile: p.fragile,
    }
}

/// The office's neighbours in the grading scope: the one just above and the one just below, each
/// with the step of the ranking that decided between them.
pub fn neighbours(
    rs: &RuleSet,
    offices: &[Office],
    ranking: &Ranking,
    index: usize,
) -> Vec<NeighbourLine> {
    let scope = rs.grading.scope;
    let Some(si) = rs.ranking.scopes.iter().position(|s| *s == scope) else {
        return Vec::new();
    };
    let mine = &ranking.placements[index];
    let group = |i: usize| group_of(scope, &offices[i]);
    let at = |position: u32| {
        (0..offices.len())
            .find(|&i| group(i) == group(index) && ranking.placements[i].positions[si] == position)
    };
    let mut out = Vec::new();
    let above = mine.positions[si].checked_sub(1).filter(|p| *p > 0);
    for (relation, other) in [
        (Relation::Above, above.and_then(at)),
        (Relation::Below, at(mine.positions[si] + 1)),
    ] {
        let Some(other) = other else { continue };
        let (first, second) = match relation {
            Relation::Above => (other, index),
            Relation::Below => (index, other),
        };
        let d = decider(rs, offices, &ranking.scores, first, second);
        out.push(NeighbourLine {
            relation,
            office: offices[other].id.to_string(),
            total: ranking.scores.totals[other],
            scope: scope.as_str(),
            step: match d {
                Decider::Link(k) => Some(k + 1),
                _ => None,
            },
            decided_by: describe_decider(rs, offices, &ranking.scores, d, first, second),
        });
    }
    out
}

/// Says in both languages what put `first` ahead of `second`, with both values.
fn describe_decider(
    rs: &RuleSet,
    offices: &[Office],
    scores: &ScoreTable,
    d: Decider,
    first: usize,
    second: usize,
) -> Label {
    let (a, b) = (offices[first].id.as_str(), offices[second].id.as_str());
    let show = |f: Fixed| f.to_string_with_decimals(rs.ranking.decimals);
    let link = match d {
        Decider::Filing => {
            return Label::new(
                format!("دفتر «{a}» خوداظهاری کرده و دفتر «{b}» نکرده است"),
                format!("{a} filed its self-declaration and {b} did not"),
            );
        }
        Decider::Nothing => return Label::new("هیچ تفاوتی ندارند", "nothing tells them apart"),
        Decider::Link(k) => k,
    };
    let steps = rs.ranking.tie_break.len();
    let (step_fa, step_en) = (
        format!(
            "گام {} از {} ترتیب رتبه‌بندی",
            fa_num(&(link + 1).to_string()),
            fa_num(&steps.to_string())
        ),
        format!("step {} of {steps} of the ranking order", link + 1),
    );
    let (what_fa, what_en, va, vb) = match rs.ranking.tie_break[link] {
        TieBreak::Total { .. } => (
            "جمع امتیاز".to_string(),
            "total".to_string(),
            scores.totals[first].map_or("—".into(), show),
            scores.totals[second].map_or("—".into(), show),
        ),
        TieBreak::Criterion { index, .. } => {
            let c = &rs.criteria[index];
            let v = |i: usize| show(scores.points_of(i)[index].mul(c.weight));
            (
                format!("امتیاز وزن‌دار معیار «{}»", c.label.fa),
                format!("weighted points of criterion “{}”", c.label.en),
                v(first),
                v(second),
            )
        }
        TieBreak::Input { index, .. } => {
            let def = &rs.inputs[index];
            let v = |i: usize| {
                offices[i].values[index]
                    .as_ref()
                    .map_or("—".to_string(), |v| match value::to_json(def, v) {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
            };
            (
                format!("ورودی «{}»", def.label.fa),
                format!("input “{}”", def.label.en),
                v(first),
                v(second),
            )
        }
        TieBreak::OfficeId { .. } => (
            "شماره پروانه (همه گام‌های دیگر برابرند)".to_string(),
            "license number (every other step is equal)".to_string(),
            a.to_string(),
            b.to_string(),
        ),
    };
    Label::new(
        format!(
            "{step_fa}، {what_fa}: {} در برابر {}",
            fa_num(&va),
            fa_num(&vb)
        ),
        format!("{step_en}, {what_en}: {va} against {vb}"),
    )
}

/// The words for a coded value: a choice's label, or yes/no.
fn shown_value(def: &crate::rules::ruleset::InputDef, v: &value::Value) -> Option<Label> {
    match (&def.kind, v) {
        (crate::rules::ruleset::InputKind::Choice(values), value::Value::Choice(i)) => {
            values.get(*i as usize).map(|c| c.label.clone())
        }
        (_, value::Value::Bool(true)) => Some(Label::new("بله", "yes")),
        (_, value::Value::Bool(false)) => Some(Label::new("خیر", "no")),
        _ => None,
    }
}

/// A criterion's trace in both languages.
fn matched_label(m: &Matched) -> Label {
    let n = |f: &Fixed| f.to_string();
    match m {
        Matched::Nothing => Label::new("—", "—"),
        Matched::Band { at_least, below } => match (at_least, below) {
            (Some(lo), Some(hi)) => Label::new(
                format!("{} ≤ مقدار < {}", fa_num(&n(lo)), fa_num(&n(hi))),
                format!("{lo} ≤ value < {hi}"),
            ),
            (Some(lo), None) => Label::new(
                format!("مقدار ≥ {}", fa_num(&n(lo))),
                format!("value ≥ {lo}"),
            ),
            (None, Some(hi)) => Label::new(
                format!("مقدار < {}", fa_num(&n(hi))),
                format!("value < {hi}"),
            ),
            (None, None) => Label::new("هر مقدار", "any value"),
        },
        Matched::NoBand { value } => Label::new(
            format!("{} در هیچ بازه‌ای نیست", fa_num(&n(value))),
            format!("{value} is in no band"),
        ),
        Matched::Linear {
            value,
            from,
            per_unit,
            cap,
        } => Label::new(
            format!(
                "({} − {}) × {}، بین ۰ و {}",
                fa_num(&n(value)),
                fa_num(&n(from)),
                fa_num(&n(per_unit)),
                fa_num(&n(cap))
            ),
            format!("({value} − {from}) × {per_unit}, between 0 and {cap}"),
        ),
        Matched::Row { name } => Label::new(format!("ردیف «{name}»"), format!("row `{name}`")),
        Matched::Otherwise { name } => Label::new(
            format!("«{name}» در جدول نیست: امتیاز سایر موارد"),
            format!("`{name}` is not listed: otherwise"),
        ),
        Matched::Formula { text } => {
            Label::new(format!("فرمول «{text}»"), format!("formula {text}"))
        }
        Matched::Script { name } => Label::new(
            format!("تابع «{name}» از پرونده اسکریپت"),
            format!("script {name}"),
        ),
    }
}

/// Drops the spaces an empty last column leaves at the end of the line just written.
fn trim_line_end(out: &mut String) {
    let body = out.trim_end_matches('\n').trim_end_matches(' ').len();
    out.truncate(body);
    out.push('\n');
}

/// What a lowered program did for the office (run again, only for the explanation).
fn program_steps(rs: &RuleSet, rule: &Rule, office: &Office) -> Vec<ProgramStep> {
    let Rule::Program(p) = rule else {
        return Vec::new();
    };
    let values: Option<Vec<&value::Value>> = p
        .args
        .iter()
        .map(|&slot| office.values[slot].as_ref())
        .collect();
    values
        .and_then(|values| p.trace(&rs.inputs, &values))
        .unwrap_or_default()
}

/// A number or date as Persian text reads it.
fn fa_num(text: &str) -> String {
    to_persian_number(text)
}

/// A step of a lowered program: `let base = 6`, `if distance_m >= 2000 → not taken`; in Persian
/// the code stays in «» and values read in Persian.
fn render_step(step: &ProgramStep, fa: bool) -> String {
    match (step, fa) {
        (ProgramStep::Let { name, value }, false) => format!("let {name} = {value}"),
        (ProgramStep::Let { name, value }, true) => {
            let value = match value.as_str() {
                "true" => "بله".to_string(),
                "false" => "خیر".to_string(),
                v => fa_num(v),
            };
            format!("مقدار «{name}» = {value}")
        }
        (ProgramStep::Branch { condition, taken }, false) => format!(
            "if {condition} → {}",
            if *taken { "taken" } else { "not taken (else)" }
        ),
        (ProgramStep::Branch { condition, taken }, true) => format!(
            "شرط «{condition}»: {}",
            if *taken {
                "برقرار بود"
            } else {
                "برقرار نبود"
            }
        ),
    }
}

/// Isolates each Latin run quoted in Persian text (`«P-THR-000001»`, `«min(a, 2)»`) between the
/// Unicode marks LRI and PDI, so a bidirectional display keeps it left-to-right and in place
/// instead of reordering its parts around the Persian words. The marks have no display width, so
/// columns padded by width stay aligned.
fn isolate_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('«') {
        let (before, after) = rest.split_at(open + '«'.len_utf8());
        out.push_str(before);
        let Some(close) = after.find('»') else {
            rest = after;
            break;
        };
        let inner = &after[..close];
        if inner.chars().any(|c| c.is_ascii_alphanumeric()) {
            out.push('\u{2066}');
            out.push_str(inner);
            out.push('\u{2069}');
        } else {
            out.push_str(inner);
        }
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}

/// A scope's name in Persian.
fn scope_fa(scope: &str) -> &'static str {
    match scope {
        "nationwide" => "کشوری",
        "region" => "منطقه",
        "office_kind" => "نوع دفتر",
        "region_and_kind" => "منطقه و نوع دفتر",
        _ => "دامنه",
    }
}

impl Explanation {
    /// A readable text, in English (`fa = false`) or wholly in Persian with Persian digits. Columns
    /// are padded by display width, so Persian labels line up as English ones do.
    pub fn render(&self, fa: bool) -> String {
        let r = Renderer {
            fa,
            decimals: self.decimals,
        };
        let mut out = String::new();
        self.render_header(&r, &mut out);
        let _ = writeln!(out);
        let cols = Columns::of(self, &r);
        for c in &self.criteria {
            render_criterion(c, &r, &cols, &mut out);
        }
        for p in &self.penalties {
            render_penalty(p, &r, &cols, &mut out);
        }
        let _ = writeln!(out);
        self.render_total(&r, &mut out);
        if let Some(p) = &self.placement {
            render_placement(p, &r, &mut out);
        }
        for n in &self.neighbours {
            render_neighbour(n, &r, &mut out);
        }
        if fa { isolate_quoted(&out) } else { out }
    }

    /// The office, region, kind, round and rule set; then the notice and whether the office filed.
    fn render_header(&self, r: &Renderer, out: &mut String) {
        let kind = crate::domain::OfficeKind::parse(&self.office_kind);
        let hash = &self.rules_hash[..12.min(self.rules_hash.len())];
        let _ = writeln!(
            out,
            "{} {} — {} {} ({}) — {} {} ({} {} {})",
            r.t("دفتر", "Office"),
            r.quoted(&self.office),
            r.t("منطقه", "region"),
            r.num(self.region.to_string()),
            kind.map_or(self.office_kind.clone(), |k| r.t(k.label_fa(), k.as_str())),
            r.t("دوره", "round"),
            r.digits(&self.round),
            r.t("نسخه", "v"),
            r.digits(&self.rules_version),
            r.quoted(&format!("#{hash}"))
        );
        if let Some(n) = &self.notice {
            let _ = writeln!(out, "  ! {}", r.l(n));
        }
        if !self.filed {
            let _ = writeln!(
                out,
                "  {}",
                r.t(
                    "این دفتر خوداظهاری نکرده است.",
                    "This office did not file its self-declaration."
                )
            );
        }
    }

    /// The total line: criteria, penalties, and their sum.
    fn render_total(&self, r: &Renderer, out: &mut String) {
        let _ = writeln!(
            out,
            "  {}: {} {} {} = {}",
            r.t("جمع", "Total"),
            r.col(self.criteria_total),
            if self.penalty_total < Fixed::ZERO {
                "−"
            } else {
                "+"
            },
            r.col(self.penalty_total.abs()),
            self.total.map_or("—".to_string(), |f| r.total(f))
        );
    }
}

/// The language of one rendering and the number formats that follow from it.
struct Renderer {
    fa: bool,
    decimals: u32,
}

impl Renderer {
    /// The text in the rendering's language.
    fn t(&self, fa_text: &str, en_text: &str) -> String {
        if self.fa {
            fa_text.to_string()
        } else {
            en_text.to_string()
        }
    }

    /// A label in the rendering's language.
    fn l(&self, label: &Label) -> String {
        self.t(&label.fa, &label.en)
    }

    /// Clauses are written in one language in the rule files: shown in the English text only.
    fn clause(&self, c: &Option<String>) -> String {
        if self.fa {
            String::new()
        } else {
            c.clone().unwrap_or_default()
        }
    }

    /// A number, in Persian digits when Persian.
    fn num(&self, text: String) -> String {
        if self.fa { fa_num(&text) } else { text }
    }

    /// Identifiers such as `1400-2`: Persian digits, the hyphen kept.
    fn digits(&self, text: &str) -> String {
        if self.fa {
            crate::domain::digits::to_persian_digits(text)
        } else {
            text.to_string()
        }
    }

    /// A name or code in «» when Persian, so it keeps its own direction.
    fn quoted(&self, text: &str) -> String {
        if self.fa {
            format!("«{text}»")
        } else {
            text.to_string()
        }
    }

    /// A table cell's number.
    fn col(&self, f: Fixed) -> String {
        self.num(f.to_string())
    }

    /// A total, with the rule set's decimals.
    fn total(&self, f: Fixed) -> String {
        self.num(f.to_string_with_decimals(self.decimals))
    }
}

/// The widths that align the criteria and penalties as one table: label, points × weight =
/// contribution, clause.
struct Columns {
    label: usize,
    number: usize,
    weight: usize,
}

impl Columns {
    /// The widest label and numbers over all criteria and penalties.
    fn of(e: &Explanation, r: &Renderer) -> Self {
        let label = e
            .criteria
            .iter()
            .map(|c| r.l(&c.label))
            .chain(e.penalties.iter().map(|p| p.id.clone()))
            .map(|s| s.width())
            .max()
            .unwrap_or(0)
            .max(
                e.penalties
                    .iter()
                    .map(|p| r.l(&p.label).width())
                    .max()
                    .unwrap_or(0),
            );
        let number = e
            .criteria
            .iter()
            .flat_map(|c| [r.col(c.points), r.col(c.contribution)])
            .chain(e.penalties.iter().map(|p| r.col(p.points)))
            .map(|s| s.width())
            .max()
            .unwrap_or(1);
        let weight = e
            .criteria
            .iter()
            .map(|c| r.col(c.weight).width())
            .max()
            .unwrap_or(1);
        Self {
            label,
            number,
            weight,
        }
    }

    /// A label padded to the label column.
    fn pad(&self, text: &str) -> String {
        left(text.to_string(), self.label)
    }
}

/// The text padded on the right to `w` display columns.
fn left(text: String, w: usize) -> String {
    format!("{text}{}", " ".repeat(w.saturating_sub(text.width())))
}

/// The text padded on the left to `w` display columns.
fn right(text: String, w: usize) -> String {
    format!("{}{text}", " ".repeat(w.saturating_sub(text.width())))
}

/// One criterion's row, then its inputs, program steps and how its points were reached.
fn render_criterion(c: &CriterionLine, r: &Renderer, cols: &Columns, out: &mut String) {
    let _ = writeln!(
        out,
        "  {}  {} × {} = {}   {}",
        cols.pad(&r.l(&c.label)),
        right(r.col(c.points), cols.number),
        left(r.col(c.weight), cols.weight),
        right(r.col(c.contribution), cols.number),
        r.clause(&c.clause)
    );
    trim_line_end(out);
    for i in &c.inputs {
        let _ = writeln!(out, "      {} = {}", r.l(&i.label), input_value(i, r));
    }
    for step in &c.steps {
        let _ = writeln!(out, "      {}", render_step(step, r.fa));
    }
    let mut how = r.l(&c.matched);
    if let Some(from) = c.capped_from {
        how.push_str(&if r.fa {
            format!(
                "؛ {} به سقف {} رسید",
                fa_num(&from.to_string()),
                fa_num(&c.max_points.to_string())
            )
        } else {
            format!("; {from} capped at {}", c.max_points)
        });
    }
    let _ = writeln!(out, "      → {how}");
}

/// An input's value as shown: a dash when missing, its label when it has one, and whether it
/// was carried over from the last round.
fn input_value(i: &InputLine, r: &Renderer) -> String {
    let mut v = if i.missing {
        "—".to_string()
    } else if let Some(shown) = &i.shown {
        r.l(shown)
    } else {
        match &i.value {
            serde_json::Value::String(s) => r.num(s.clone()),
            other => r.num(other.to_string()),
        }
    };
    if i.carried_over {
        v.push_str(&r.t(" (از دوره قبل)", " (carried over)"));
    }
    v
}

/// One penalty's row, then its violations and its cap.
fn render_penalty(p: &PenaltyLine, r: &Renderer, cols: &Columns, out: &mut String) {
    let _ = writeln!(
        out,
        "  {}  {}   {}",
        cols.pad(&r.l(&p.label)),
        right(r.col(p.points), cols.number),
        r.clause(&p.clause)
    );
    trim_line_end(out);
    for v in &p.violations {
        // The kind is the penalty's id: its label heads the lines already.
        let mut line = if r.fa || v.kind == p.id {
            "      ".to_string()
        } else {
            format!("      {} ", v.kind)
        };
        if let Some(d) = &v.date {
            line.push_str(&format!("{} {} ", r.t("در", "on"), r.num(d.clone())));
        }
        line.push_str(&format!("{} {}", r.col(v.points), r.t("امتیاز", "points")));
        if let Some(note) = &v.note {
            line.push_str(&format!(" — {}", r.quoted(note)));
        }
        let _ = writeln!(out, "{line}");
    }
    if let Some(c) = p.capped_at {
        let _ = writeln!(out, "      → {} {}", r.t("سقف:", "capped at"), r.col(c));
    }
}

/// The grade, service share, positions per scope, the gap to the next grade and fragility.
fn render_placement(p: &PlacementLine, r: &Renderer, out: &mut String) {
    let _ = writeln!(
        out,
        "  {} {} — {} {}{}",
        r.t("رتبه", "Grade"),
        r.num(p.grade.to_string()),
        r.t("سهم خدمات", "service share"),
        r.num(p.service_share_percent.to_string()),
        r.t("٪", "%")
    );
    for pos in &p.positions {
        let _ = writeln!(
            out,
            "    {}: {} {} {}",
            r.t(scope_fa(pos.scope), pos.scope),
            r.num(pos.position.to_string()),
            r.t("از", "of"),
            r.num(pos.of.to_string())
        );
    }
    if let Some(gap) = p.to_next_grade {
        let _ = writeln!(
            out,
            "  {}",
            if r.fa {
                format!("برای رتبه بهتر {} امتیاز کم است.", fa_num(&gap.to_string()))
            } else {
                format!("Points lacking for the next grade: {gap}")
            }
        );
    }
    if p.fragile {
        let _ = writeln!(
            out,
            "  {}",
            r.t("نزدیک مرز رتبه است.", "Close to a grade boundary.")
        );
    }
}

/// The office just above or below, its total, and what decided between them.
fn render_neighbour(n: &NeighbourLine, r: &Renderer, out: &mut String) {
    let who = match (n.relation, r.fa) {
        (Relation::Above, true) => "دفتر بالاتر",
        (Relation::Above, false) => "Just above",
        (Relation::Below, true) => "دفتر پایین‌تر",
        (Relation::Below, false) => "Just below",
    };
    let _ = writeln!(
        out,
        "  {who}: {} ({}) — {}",
        r.quoted(&n.office),
        n.total.map_or("—".to_string(), |f| r.total(f)),
        r.l(&n.decided_by)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_runs_in_quotes_are_isolated_without_changing_the_display_width() {
        let text = "دفتر «P-THR-000001» و «مرکز شهر» و فرمول «min(a, 2)»";
        let isolated = isolate_quoted(text);
        assert_eq!(
            isolated,
            "دفتر «\u{2066}P-THR-000001\u{2069}» و «مرکز شهر» و فرمول «\u{2066}min(a, 2)\u{2069}»"
        );
        assert_eq!(isolated.width(), text.width());
        assert_eq!(isolate_quoted("بی‌نشان «باز"), "بی‌نشان «باز");
    }
}
