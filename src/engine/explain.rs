//! Explanations: why an office got its score, rank and grade — what an office reads before it
//! decides whether to object. Built only on request, by re-scoring the one office with a trace.

use std::fmt::Write as _;

use serde::Serialize;

use super::office::Office;
use super::rank::Placement;
use super::score::{ScoreError, Trace, score};
use crate::domain::{Fixed, Grade, Label};
use crate::rules::RuleSet;
use crate::rules::value;

/// The full explanation of one office's result.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub office: String,
    pub office_kind: String,
    pub region: u8,
    pub round: String,
    pub rules_version: String,
    pub rules_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Label>,
    pub filed: bool,
    pub criteria: Vec<CriterionLine>,
    pub penalties: Vec<PenaltyLine>,
    /// Σ contributions.
    pub criteria_total: Fixed,
    /// Σ penalty points (≤ 0).
    pub penalty_total: Fixed,
    /// Rounded total; `None` for a non-filer in the lowest grade.
    pub total: Option<Fixed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placement: Option<PlacementLine>,
}

/// One criterion in an explanation.
#[derive(Clone, Debug, Serialize)]
pub struct CriterionLine {
    pub id: String,
    pub label: Label,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    pub kind: &'static str,
    pub applies: bool,
    pub inputs: Vec<InputLine>,
    pub matched: String,
    pub points: Fixed,
    /// Set when the raw points were cut to `max_points`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<Fixed>,
    pub max_points: Fixed,
    pub weight: Fixed,
    pub contribution: Fixed,
}

/// An input a criterion read.
#[derive(Clone, Debug, Serialize)]
pub struct InputLine {
    pub name: String,
    pub label: Label,
    /// The value as written in files; `null` when missing.
    pub value: serde_json::Value,
    pub missing: bool,
    pub carried_over: bool,
}

/// One penalty kind in an explanation.
#[derive(Clone, Debug, Serialize)]
pub struct PenaltyLine {
    pub id: String,
    pub label: Label,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
    pub violations: Vec<ViolationLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_at: Option<Fixed>,
    pub points: Fixed,
}

#[derive(Clone, Debug, Serialize)]
pub struct ViolationLine {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub points: Fixed,
}

/// Rank and grade, in words.
#[derive(Clone, Debug, Serialize)]
pub struct PlacementLine {
    pub grade: Grade,
    pub service_share_percent: Fixed,
    pub positions: Vec<PositionLine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_next_grade: Option<Fixed>,
    pub fragile: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct PositionLine {
    pub scope: &'static str,
    pub position: u32,
    pub of: u32,
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
    let mut criteria = Vec::new();
    let mut criteria_total = Fixed::ZERO;
    for (i, c) in rs.criteria.iter().enumerate() {
        let t = &trace.criteria[i];
        let contribution = s.points[i].mul(c.weight);
        criteria_total = criteria_total.saturating_add(contribution);
        criteria.push(CriterionLine {
            id: c.id.clone(),
            label: c.label.clone(),
            clause: c.clause.clone(),
            kind: c.rule.kind_name(),
            applies: t.applies,
            inputs: c
                .reads
                .iter()
                .map(|&slot| {
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
                    }
                })
                .collect(),
            matched: if !t.applies {
                format!("does not apply to {}", office.kind)
            } else if !t.missing.is_empty() {
                "missing input: zero points".to_string()
            } else {
                t.matched.clone()
            },
            points: s.points[i],
            capped_from: (t.uncapped != s.points[i] && t.applies).then_some(t.uncapped),
            max_points: c.max_points,
            weight: c.weight,
            contribution,
        });
    }
    let mut penalties = Vec::new();
    let mut penalty_total = Fixed::ZERO;
    for (k, p) in rs.penalties.iter().enumerate() {
        let occurrences = &trace.penalties.occurrences[k];
        if occurrences.is_empty() {
            continue;
        }
        penalty_total = penalty_total.saturating_add(s.penalties[k]);
        penalties.push(PenaltyLine {
            id: p.id.clone(),
            label: p.label.clone(),
            clause: p.clause.clone(),
            violations: occurrences
                .iter()
                .map(|&(slot, n, points)| {
                    let v = match &office.values[slot] {
                        Some(crate::rules::value::Value::Violations(list)) => list.get(n).cloned(),
                        _ => None,
                    };
                    ViolationLine {
                        date: v.as_ref().and_then(|v| v.date.map(|d| d.to_string())),
                        note: v.and_then(|v| v.note),
                        points,
                    }
                })
                .collect(),
            capped_at: trace.penalties.capped[k].then_some(s.penalties[k]),
            points: s.penalties[k],
        });
    }
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
        placement: placement.map(|p| PlacementLine {
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
        }),
    })
}

impl Explanation {
    /// A readable text, in English (`fa = false`) or Persian.
    pub fn render(&self, fa: bool) -> String {
        let l = |label: &Label| {
            if fa {
                label.fa.clone()
            } else {
                label.en.clone()
            }
        };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} {} — {} {} ({}) — {} {} (v{} #{})",
            if fa { "دفتر" } else { "Office" },
            self.office,
            if fa { "منطقه" } else { "region" },
            self.region,
            self.office_kind,
            if fa { "دوره" } else { "round" },
            self.round,
            self.rules_version,
            &self.rules_hash[..12.min(self.rules_hash.len())]
        );
        if let Some(n) = &self.notice {
            let _ = writeln!(out, "  ! {}", l(n));
        }
        if !self.filed {
            let _ = writeln!(
                out,
                "  {}",
                if fa {
                    "این دفتر خوداظهاری نکرده است."
                } else {
                    "This office did not file its self-declaration."
                }
            );
        }
        let _ = writeln!(out);
        for c in &self.criteria {
            let _ = writeln!(
                out,
                "  {:<28} {:>7} × {:<4} = {:>7}   {}",
                l(&c.label),
                c.points.to_string(),
                c.weight.to_string(),
                c.contribution.to_string(),
                c.clause.clone().unwrap_or_default()
            );
            for i in &c.inputs {
                let mut v = if i.missing {
                    "—".to_string()
                } else {
                    i.value.to_string()
                };
                if i.carried_over {
                    v.push_str(if fa {
                        " (از دوره قبل)"
                    } else {
                        " (carried over)"
                    });
                }
                let _ = writeln!(out, "      {} = {}", l(&i.label), v);
            }
            let mut how = c.matched.clone();
            if let Some(from) = c.capped_from {
                how.push_str(&format!("; {from} capped at {}", c.max_points));
            }
            let _ = writeln!(out, "      → {how}");
        }
        for p in &self.penalties {
            let _ = writeln!(
                out,
                "  {:<28} {:>7}   {}",
                l(&p.label),
                p.points.to_string(),
                p.clause.clone().unwrap_or_default()
            );
            for v in &p.violations {
                let _ = writeln!(
                    out,
                    "      {} {} {}",
                    v.date.clone().unwrap_or_default(),
                    v.points,
                    v.note.clone().unwrap_or_default()
                );
            }
            if let Some(c) = p.capped_at {
                let _ = writeln!(out, "      → {} {c}", if fa { "سقف:" } else { "capped at" });
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {}: {} {} {} = {}",
            if fa { "جمع" } else { "Total" },
            self.criteria_total,
            if self.penalty_total < Fixed::ZERO {
                "−"
            } else {
                "+"
            },
            self.penalty_total.abs(),
            self.total.map_or("—".to_string(), |t| t.to_string())
        );
        if let Some(p) = &self.placement {
            let _ = writeln!(
                out,
                "  {} {} — {} {}%",
                if fa { "رتبه" } else { "Grade" },
                p.grade,
                if fa {
                    "سهم خدمات"
                } else {
                    "service share"
                },
                p.service_share_percent
            );
            for pos in &p.positions {
                let _ = writeln!(out, "    {}: {} / {}", pos.scope, pos.position, pos.of);
            }
            if let Some(gap) = p.to_next_grade {
                let _ = writeln!(
                    out,
                    "  {} {gap} {}",
                    if fa {
                        "برای رتبه بهتر"
                    } else {
                        "Points lacking for the next grade:"
                    },
                    if fa { "امتیاز کم است" } else { "" }
                );
            }
            if p.fragile {
                let _ = writeln!(
                    out,
                    "  {}",
                    if fa {
                        "نزدیک مرز رتبه است."
                    } else {
                        "Close to a grade boundary."
                    }
                );
            }
        }
        out
    }
}
