//! Sweeps: one setting varied over a range (e.g. a weight from 0 to 3 in steps of 0.25), with the
//! grade counts, the mean total and the number of grade changes at each step.

use serde::Serialize;

use super::overrides::{self, Param, Setting};
use super::rescore::{Plan, rescore_with};
use super::{Baseline, mean};
use crate::domain::digits::to_persian_number;
use crate::domain::{Fixed, Label, quoted};
use crate::engine::office::Office;
use crate::engine::rank::place;
use crate::engine::score::ScoreError;
use crate::rules::RuleSet;

/// The most steps one sweep may take.
pub const MAX_STEPS: usize = 1000;

/// What to vary: `KEY=FROM:TO:STEP`, e.g. `weight:area=0:3:0.25` (both ends included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepSpec {
    pub param: Param,
    pub from: Fixed,
    pub to: Fixed,
    pub step: Fixed,
}

impl SweepSpec {
    /// Parses `KEY=FROM:TO:STEP`.
    pub fn parse(text: &str) -> Result<SweepSpec, Label> {
        let fa = |n: &dyn std::fmt::Display| to_persian_number(&n.to_string());
        let (key, range) = text.split_once('=').ok_or_else(|| {
            Label::new(
                format!(
                    "{} به شکل «KEY=FROM:TO:STEP» نیست، مانند «weight:area=0:3:0.25»",
                    quoted(text)
                ),
                format!("`{text}` is not KEY=FROM:TO:STEP, e.g. weight:area=0:3:0.25"),
            )
        })?;
        let param = Param::parse(key)?;
        if !param.is_numeric() {
            return Err(Label::new(
                format!(
                    "{} عدد نیست و نمی‌توان آن را گام‌به‌گام تغییر داد",
                    quoted(&param)
                ),
                format!("{param} is not a number: it cannot be swept"),
            ));
        }
        let parts: Vec<&str> = range.split(':').collect();
        let [from, to, step] = parts[..] else {
            return Err(Label::new(
                format!(
                    "{} به شکل «FROM:TO:STEP» نیست، مانند «0:3:0.25» (هر دو سر شامل است)",
                    quoted(range)
                ),
                format!("`{range}` is not FROM:TO:STEP, e.g. 0:3:0.25 (both ends included)"),
            ));
        };
        let num = |s: &str| {
            s.trim()
                .parse::<Fixed>()
                .map_err(|e| overrides::number_error(&param, &e))
        };
        let (from, to, step) = (num(from)?, num(to)?, num(step)?);
        let spec = SweepSpec {
            param,
            from,
            to,
            step,
        };
        if spec.step <= Fixed::ZERO {
            return Err(Label::new(
                format!("گام باید بیش از ۰ باشد، نه {}", fa(&spec.step)),
                format!("the step must be above 0, not {}", spec.step),
            ));
        }
        if spec.from > spec.to {
            return Err(Label::new(
                format!(
                    "آغاز ({}) نباید از پایان ({}) بیشتر باشد",
                    fa(&spec.from),
                    fa(&spec.to)
                ),
                format!("FROM ({}) must not be above TO ({})", spec.from, spec.to),
            ));
        }
        let steps = (spec.to.raw() - spec.from.raw()) / spec.step.raw() + 1;
        if steps as usize > MAX_STEPS {
            return Err(Label::new(
                format!(
                    "{} گام بیش از اندازه است: هر بررسی گام‌به‌گام حداکثر {} گام دارد",
                    fa(&steps),
                    fa(&MAX_STEPS)
                ),
                format!("{steps} steps is too many: a sweep takes at most {MAX_STEPS}"),
            ));
        }
        Ok(spec)
    }

    /// `from`, `from + step`, … up to `to` (exact: no floating point drift).
    pub fn values(&self) -> Vec<Fixed> {
        let mut out = Vec::new();
        let mut v = self.from;
        while v <= self.to && out.len() < MAX_STEPS {
            out.push(v);
            v = v.saturating_add(self.step);
        }
        out
    }
}

/// The result of a sweep.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Sweep {
    /// The key swept, e.g. `weight:area`.
    #[schema(example = "weight:area")]
    pub param: String,
    /// The value the candidate has.
    #[schema(example = "1.5")]
    pub current: String,
    /// The value the baseline has, if the baseline has the setting at all.
    #[schema(example = "1.5")]
    pub baseline_value: Option<String>,
    /// Grade counts under the baseline, for reference.
    #[schema(example = json!([12, 21, 27]))]
    pub baseline_grades: [usize; 3],
    /// One step per value swept.
    pub steps: Vec<SweepStep>,
}

/// One step of a sweep. A value the rules refuse (e.g. a cut point for grade 1 below grade 2's)
/// gives a step with only `error`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SweepStep {
    /// The value at this step.
    pub value: Fixed,
    /// Offices in grades 1, 2 and 3 at this step; absent when the step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!([14, 20, 26]))]
    pub grades: Option<[usize; 3]>,
    /// The mean total of filers at this step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_total: Option<Fixed>,
    /// Offices whose grade differs from the baseline's.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 3)]
    pub grades_changed: Option<usize>,
    /// Why the step could not be computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "the weight must be greater than 0")]
    pub error: Option<String>,
}

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{}", .0.en)]
    Setting(Label),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Score(Vec<ScoreError>),
}

/// Varies `spec.param` of `cand` over the range and ranks the population at each step. The
/// candidate is left with the value it had.
pub fn sweep(
    base: &Baseline,
    cand: &mut RuleSet,
    cand_offices: &[Office],
    spec: &SweepSpec,
) -> Result<Sweep, SweepError> {
    let original = spec.param.get(cand).map_err(SweepError::Setting)?;
    let result = steps(base, cand, cand_offices, spec);
    spec.param
        .set(cand, original)
        .expect("the value it had is valid");
    let mut baseline_grades = [0; 3];
    for p in &base.ranking.placements {
        baseline_grades[p.grade.index()] += 1;
    }
    Ok(Sweep {
        param: spec.param.to_string(),
        current: original.to_string(),
        baseline_value: spec.param.get(base.rs).ok().map(|v| v.to_string()),
        baseline_grades,
        steps: result.map_err(SweepError::Score)?,
    })
}

fn steps(
    base: &Baseline,
    cand: &mut RuleSet,
    offices: &[Office],
    spec: &SweepSpec,
) -> Result<Vec<SweepStep>, Vec<ScoreError>> {
    let mut out = Vec::new();
    for value in spec.values() {
        let refused = |error: String| SweepStep {
            value,
            grades: None,
            mean_total: None,
            grades_changed: None,
            error: Some(error),
        };
        if let Err(e) = spec.param.set(cand, Setting::Number(value)) {
            out.push(refused(e.en));
            continue;
        }
        let problems = overrides::check(cand);
        if !problems.is_empty() {
            let en: Vec<String> = problems.into_iter().map(|p| p.en).collect();
            out.push(refused(en.join("; ")));
            continue;
        }
        let plan = Plan::new(base.rs, cand);
        let table = rescore_with(&plan, &base.ranking.scores, cand, offices)?;
        let placements = place(cand, offices, &table);
        let mut grades = [0; 3];
        let mut changed = 0;
        for (p, old) in placements.iter().zip(&base.ranking.placements) {
            grades[p.grade.index()] += 1;
            changed += (p.grade != old.grade) as usize;
        }
        out.push(SweepStep {
            value,
            grades: Some(grades),
            mean_total: mean(&table.totals),
            grades_changed: Some(changed),
            error: None,
        });
    }
    Ok(out)
}
