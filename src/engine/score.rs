//! Scoring one office: every criterion and penalty, with exact arithmetic and the declared rounding.
//!
//! The same function serves batch ranking (no trace, no allocation beyond the output row) and
//! explanations (with a trace that records what each criterion read and matched).

use serde::Serialize;

use super::office::Office;
use crate::domain::Fixed;
use crate::rules::RuleSet;
use crate::rules::ruleset::{Criterion, InputKind, Rule};
use crate::rules::value::Value;

/// A criterion whose script failed for an office.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error)]
#[error("office {office}, criterion `{criterion}`: {message}")]
pub struct ScoreError {
    pub office: String,
    pub criterion: String,
    pub message: String,
}

/// An office's points: raw points per criterion, penalty points per kind, and the rounded total.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Score {
    /// Raw points per criterion (after the 0..max_points cap, before the weight).
    pub points: Vec<Fixed>,
    /// Points taken off per penalty kind (≤ 0).
    pub penalties: Vec<Fixed>,
    /// Σ points × weight + Σ penalties, rounded as the rule set says.
    pub total: Fixed,
}

/// What the trace records about one criterion.
#[derive(Clone, Debug, Default)]
pub struct CriterionTrace {
    pub applies: bool,
    /// Inputs the criterion needed but the file lacks (they give zero points).
    pub missing: Vec<usize>,
    /// The band, row or formula that produced the points.
    pub matched: Matched,
    /// Points before the cap at max_points.
    pub uncapped: Fixed,
}

/// What produced a criterion's points, kept as data so an explanation can say it in either language.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Matched {
    /// Nothing recorded (the criterion does not apply, or an input is missing).
    #[default]
    Nothing,
    /// The band `at_least ≤ value < below` (either end open).
    Band {
        at_least: Option<Fixed>,
        below: Option<Fixed>,
    },
    /// The value fell in no band.
    NoBand { value: Fixed },
    /// `(value − from) × per_unit`, kept between 0 and `cap`.
    Linear {
        value: Fixed,
        from: Fixed,
        per_unit: Fixed,
        cap: Fixed,
    },
    /// The lookup row of this choice (or yes/no).
    Row { name: String },
    /// The choice has no row of its own: the `otherwise` points.
    Otherwise { name: String },
    /// A formula written in the criterion.
    Formula { text: String },
    /// A function of a script file.
    Script { name: String },
}

/// The penalty side of a trace: per kind, each occurrence's points in order.
#[derive(Clone, Debug, Default)]
pub struct PenaltyTrace {
    pub occurrences: Vec<Vec<(usize, usize, Fixed)>>,
    pub capped: Vec<bool>,
}

/// Detail recorded while scoring, for explanations.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    pub criteria: Vec<CriterionTrace>,
    pub penalties: PenaltyTrace,
}

/// Raw points of one criterion for an office (before the cap at `max_points`).
// Long on purpose: one arm per criterion kind, inlined into the scoring loop (the engine bench's
// hot path); calls out of it cost measurable time per office.
#[inline(always)]
pub(crate) fn criterion_points(
    rs: &RuleSet,
    c: &Criterion,
    office: &Office,
    mut trace: Option<&mut CriterionTrace>,
) -> Result<Fixed, String> {
    if !c.applies_to.contains(office.kind) {
        return Ok(Fixed::ZERO);
    }
    if let Some(t) = trace.as_deref_mut() {
        t.applies = true;
        t.missing = c
            .reads
            .iter()
            .copied()
            .filter(|s| office.values[*s].is_none())
            .collect();
    }
    let number = |slot: usize| match &office.values[slot] {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    };
    let raw = match &c.rule {
        Rule::Bands { input, bands } => match number(*input) {
            Some(v) => match bands.iter().find(|b| b.matches(v)) {
                Some(b) => {
                    if let Some(t) = trace {
                        t.matched = Matched::Band {
                            at_least: b.at_least,
                            below: b.below,
                        };
                    }
                    b.points
                }
                None => {
                    if let Some(t) = trace {
                        t.matched = Matched::NoBand { value: v };
                    }
                    Fixed::ZERO
                }
            },
            None => Fixed::ZERO,
        },
        Rule::Linear {
            input,
            from,
            per_unit,
            cap,
        } => match number(*input) {
            Some(v) => {
                let p = v.saturating_sub(*from).mul(*per_unit);
                let p = p.max(Fixed::ZERO).min(*cap);
                if let Some(t) = trace {
                    t.matched = Matched::Linear {
                        value: v,
                        from: *from,
                        per_unit: *per_unit,
                        cap: *cap,
                    };
                }
                p
            }
            None => Fixed::ZERO,
        },
        Rule::Lookup {
            input,
            points,
            otherwise,
        } => {
            let row = match &office.values[*input] {
                Some(Value::Choice(i)) => Some(*i as usize),
                Some(Value::Bool(b)) => Some(*b as usize),
                _ => None,
            };
            match row {
                Some(r) => {
                    let p = points[r].or(*otherwise).unwrap_or(Fixed::ZERO);
                    if let Some(t) = trace {
                        let def = &rs.inputs[*input];
                        let name = match &def.kind {
                            InputKind::Choice(values) => values[r].name.clone(),
                            _ => (r == 1).to_string(),
                        };
                        t.matched = if points[r].is_some() {
                            Matched::Row { name }
                        } else {
                            Matched::Otherwise { name }
                        };
                    }
                    p
                }
                None => Fixed::ZERO,
            }
        }
        Rule::Program(p) => {
            // On the stack: this runs for every office, so no allocation here.
            static UNSET: Value = Value::Bool(false);
            let mut values = [&UNSET; crate::rules::script::MAX_ARGS];
            for (i, slot) in p.args.iter().enumerate() {
                match &office.values[*slot] {
                    Some(v) => values[i] = v,
                    None => return Ok(Fixed::ZERO),
                }
            }
            let values = &values[..p.args.len()];
            let points = p.run(&rs.scripts, &rs.inputs, values)?;
            if let Some(t) = trace {
                t.matched = match &p.source {
                    crate::rules::script::ProgramSource::Formula { text, .. } => {
                        Matched::Formula { text: text.clone() }
                    }
                    crate::rules::script::ProgramSource::Function { name, .. } => {
                        Matched::Script { name: name.clone() }
                    }
                };
            }
            points
        }
    };
    Ok(raw)
}

/// Scores one office. `trace`, when given, is filled for an explanation.
pub fn score(
    rs: &RuleSet,
    office: &Office,
    trace: Option<&mut Trace>,
) -> Result<Score, ScoreError> {
    let mut out = Score {
        points: vec![Fixed::ZERO; rs.criteria.len()],
        penalties: vec![Fixed::ZERO; rs.penalties.len()],
        total: Fixed::ZERO,
    };
    score_into(rs, office, &mut out.points, &mut out.penalties, trace).map(|total| {
        out.total = total;
        out
    })
}

/// Scores into caller-provided rows (the batch path); returns the rounded total.
pub fn score_into(
    rs: &RuleSet,
    office: &Office,
    points: &mut [Fixed],
    penalties: &mut [Fixed],
    trace: Option<&mut Trace>,
) -> Result<Fixed, ScoreError> {
    let Some(trace) = trace else {
        // The hot path: the same steps with every trace branch gone once inlined.
        let mut sum = Fixed::ZERO;
        for (c, row) in rs.criteria.iter().zip(points.iter_mut()) {
            let raw = criterion_points(rs, c, office, None)
                .map_err(|message| score_error(office, c, message))?;
            *row = raw.max(Fixed::ZERO).min(c.max_points);
            sum = sum.saturating_add(row.mul(c.weight));
        }
        sum = sum.saturating_add(penalty_points(rs, office, penalties, None));
        return Ok(sum.round(rs.ranking.decimals, rs.ranking.rounding));
    };
    trace.criteria = vec![CriterionTrace::default(); rs.criteria.len()];
    trace.penalties = PenaltyTrace {
        occurrences: vec![Vec::new(); rs.penalties.len()],
        capped: vec![false; rs.penalties.len()],
    };
    let mut sum = Fixed::ZERO;
    for (i, c) in rs.criteria.iter().enumerate() {
        let t = &mut trace.criteria[i];
        let raw = criterion_points(rs, c, office, Some(t))
            .map_err(|message| score_error(office, c, message))?;
        t.uncapped = raw;
        points[i] = raw.max(Fixed::ZERO).min(c.max_points);
        sum = sum.saturating_add(points[i].mul(c.weight));
    }
    sum = sum.saturating_add(penalty_points(
        rs,
        office,
        penalties,
        Some(&mut trace.penalties),
    ));
    Ok(sum.round(rs.ranking.decimals, rs.ranking.rounding))
}

#[cold]
fn score_error(office: &Office, c: &Criterion, message: String) -> ScoreError {
    ScoreError {
        office: office.id.to_string(),
        criterion: c.id.clone(),
        message,
    }
}

/// Fills per-kind penalty points and returns their sum.
pub(crate) fn penalty_points(
    rs: &RuleSet,
    office: &Office,
    out: &mut [Fixed],
    mut trace: Option<&mut PenaltyTrace>,
) -> Fixed {
    out.fill(Fixed::ZERO);
    if rs.penalties.is_empty() {
        return Fixed::ZERO;
    }
    // Occurrences so far per kind, set up only for an office with violations (most have none).
    let mut counts: Option<[u32; 64]> = None;
    for (slot, v) in office.values.iter().enumerate() {
        let Some(Value::Violations(list)) = v else {
            continue;
        };
        for (n, violation) in list.iter().enumerate() {
            let counts = counts.get_or_insert([0; 64]);
            let k = violation.penalty as usize;
            if k >= counts.len() || !rs.penalties[k].applies_to.contains(office.kind) {
                continue;
            }
            let p = rs.penalties[k].points_for(counts[k] as usize);
            counts[k] += 1;
            out[k] = out[k].saturating_add(p);
            if let Some(t) = trace.as_deref_mut() {
                t.occurrences[k].push((slot, n, p));
            }
        }
    }
    let mut sum = Fixed::ZERO;
    for (k, p) in rs.penalties.iter().enumerate() {
        if let Some(cap) = p.cap
            && out[k] < cap
        {
            out[k] = cap;
            if let Some(t) = trace.as_deref_mut() {
                t.capped[k] = true;
            }
        }
        sum = sum.saturating_add(out[k]);
    }
    sum
}
