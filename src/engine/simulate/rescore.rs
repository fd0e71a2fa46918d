//! Rescoring a population under a candidate rule set, reusing what the baseline already computed.
//!
//! Most candidates change weights, caps or grade cut points. A criterion's raw points depend only
//! on its definition (rule, inputs, `max_points`, the office kinds it applies to) and on the
//! office's values of the inputs it reads; a penalty kind's points only on its own definition and
//! the office's recorded violations. So the [`Plan`] matches every candidate criterion and penalty
//! with an identical baseline one, by id, and only the rest is evaluated again. Totals (Σ points ×
//! weight + penalties, rounded) are always recomputed: they are cheap and they are what changes.

use rayon::prelude::*;

use crate::domain::Fixed;
use crate::engine::office::Office;
use crate::engine::rank::ScoreTable;
use crate::engine::score::{ScoreError, score_into};
use crate::rules::RuleSet;
use crate::rules::budget::Budget;
use crate::rules::model::NonFilerPolicy;
use crate::rules::ruleset::{Criterion, InputDef, InputKind, Penalty, Rule};
use crate::rules::script::{Program, ProgramSource};

/// What a candidate can take over from the baseline's score table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Per candidate criterion: the baseline criterion whose raw points are reused, if identical.
    pub criteria: Vec<Option<usize>>,
    /// Per candidate penalty: the baseline penalty whose points are reused, if identical.
    pub penalties: Vec<Option<usize>>,
    /// Whether offices that did not file must be scored from scratch (the baseline placed them in
    /// the lowest grade without scoring them; the candidate scores their carried-over data).
    pub score_non_filers: bool,
}

impl Plan {
    /// Compares the two compiled rule sets, by id.
    pub fn new(base: &RuleSet, cand: &RuleSet) -> Plan {
        let criteria = cand
            .criteria
            .iter()
            .map(|c| {
                base.criterion_index(&c.id)
                    .filter(|&i| same_criterion(base, &base.criteria[i], cand, c))
            })
            .collect();
        let violations_same = same_violation_inputs(base, cand);
        let penalties = cand
            .penalties
            .iter()
            .map(|p| {
                base.penalty_index(&p.id)
                    .filter(|&i| violations_same && same_penalty(&base.penalties[i], p))
            })
            .collect();
        Plan {
            criteria,
            penalties,
            score_non_filers: base.grading.non_filers == NonFilerPolicy::LowestGrade
                && cand.grading.non_filers != NonFilerPolicy::LowestGrade,
        }
    }

    /// Ids of the candidate's criteria that are evaluated again.
    pub fn reevaluated<'a>(&self, cand: &'a RuleSet) -> Vec<&'a str> {
        cand.criteria
            .iter()
            .zip(&self.criteria)
            .filter(|(_, from)| from.is_none())
            .map(|(c, _)| c.id.as_str())
            .collect()
    }

    /// Ids of the candidate's penalties that are computed again.
    pub fn recomputed_penalties<'a>(&self, cand: &'a RuleSet) -> Vec<&'a str> {
        cand.penalties
            .iter()
            .zip(&self.penalties)
            .filter(|(_, from)| from.is_none())
            .map(|(p, _)| p.id.as_str())
            .collect()
    }
}

/// The candidate's score table, computed from the baseline's where the rules did not change.
///
/// `offices` are prepared against the candidate from the same records, in the same order, as the
/// offices `base_table` was computed from. The result equals `score_all(cand, offices)`.
pub fn rescore(
    base_table: &ScoreTable,
    base: &RuleSet,
    cand: &RuleSet,
    offices: &[Office],
) -> Result<ScoreTable, Vec<ScoreError>> {
    rescore_with(&Plan::new(base, cand), base_table, cand, offices)
}

/// Points, penalties, totals and errors of one chunk of offices.
type ChunkScores = (Vec<Fixed>, Vec<Fixed>, Vec<Option<Fixed>>, Vec<ScoreError>);

/// [`rescore`] with a plan already made (sweeps make one per step).
pub fn rescore_with(
    plan: &Plan,
    base_table: &ScoreTable,
    cand: &RuleSet,
    offices: &[Office],
) -> Result<ScoreTable, Vec<ScoreError>> {
    assert_eq!(
        base_table.totals.len(),
        offices.len(),
        "the baseline table and the offices must be the same population"
    );
    let rescorer = Rescorer {
        plan,
        base_table,
        cand,
        reuse_penalties: plan.penalties.iter().all(Option::is_some),
    };
    let budget = Budget::current();
    let chunks: Vec<ChunkScores> = offices
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(ci, chunk)| {
            let _budget = Budget::enter(budget.clone());
            rescorer.chunk(ci, chunk)
        })
        .collect();
    let (c, p) = (cand.criteria.len(), cand.penalties.len());
    let mut table = ScoreTable {
        criteria: c,
        penalty_kinds: p,
        points: Vec::with_capacity(offices.len() * c),
        penalties: Vec::with_capacity(offices.len() * p),
        totals: Vec::with_capacity(offices.len()),
    };
    let mut errors = Vec::new();
    for (pts, pens, tots, errs) in chunks {
        table.points.extend(pts);
        table.penalties.extend(pens);
        table.totals.extend(tots);
        errors.extend(errs);
    }
    if errors.is_empty() {
        Ok(table)
    } else {
        Err(errors)
    }
}

/// Offices per parallel chunk.
const CHUNK: usize = 1024;

/// One rescoring: the plan, the baseline's table it reuses, and the candidate.
struct Rescorer<'a> {
    plan: &'a Plan,
    base_table: &'a ScoreTable,
    cand: &'a RuleSet,
    /// Every penalty is identical to a baseline one: copy them all.
    reuse_penalties: bool,
}

impl Rescorer<'_> {
    /// The scores of chunk `ci` of the offices.
    fn chunk(&self, ci: usize, chunk: &[Office]) -> ChunkScores {
        let (c, p) = (self.cand.criteria.len(), self.cand.penalties.len());
        let mut pts = vec![Fixed::ZERO; chunk.len() * c];
        let mut pens = vec![Fixed::ZERO; chunk.len() * p];
        let mut tots = vec![None; chunk.len()];
        let mut errors = Vec::new();
        for (j, office) in chunk.iter().enumerate() {
            let row = &mut pts[j * c..(j + 1) * c];
            let pen = &mut pens[j * p..(j + 1) * p];
            match self.office(ci * CHUNK + j, office, row, pen) {
                Ok(total) => tots[j] = total,
                Err(e) => errors.push(e),
            }
        }
        (pts, pens, tots, errors)
    }

    /// Office `i`'s points and penalties into `row` and `pen`, and its total; `None` for an office
    /// that did not file and is not scored.
    fn office(
        &self,
        i: usize,
        office: &Office,
        row: &mut [Fixed],
        pen: &mut [Fixed],
    ) -> Result<Option<Fixed>, ScoreError> {
        let cand = self.cand;
        if !office.filed && cand.grading.non_filers == NonFilerPolicy::LowestGrade {
            return Ok(None);
        }
        if !office.filed && self.plan.score_non_filers {
            return score_into(cand, office, row, pen, None).map(Some);
        }
        let base_points = self.base_table.points_of(i);
        // The same sums in the same order as `score_into`, so saturation matches too.
        let mut sum = Fixed::ZERO;
        for (k, criterion) in cand.criteria.iter().enumerate() {
            let points = match self.plan.criteria[k] {
                Some(b) => base_points[b],
                None => crate::engine::score::criterion_points(cand, criterion, office, None)
                    .map(|raw| raw.max(Fixed::ZERO).min(criterion.max_points))
                    .map_err(|message| ScoreError {
                        office: office.id.to_string(),
                        criterion: criterion.id.clone(),
                        message,
                    })?,
            };
            row[k] = points;
            sum = sum.saturating_add(points.mul(criterion.weight));
        }
        if self.reuse_penalties {
            let base_pens = self.base_table.penalties_of(i);
            for (k, from) in self.plan.penalties.iter().enumerate() {
                pen[k] = base_pens[from.expect("all reused")];
            }
        } else {
            crate::engine::score::penalty_points(cand, office, pen, None);
        }
        let penalty_sum = pen.iter().fold(Fixed::ZERO, |s, x| s.saturating_add(*x));
        sum = sum.saturating_add(penalty_sum);
        Ok(Some(
            sum.round(cand.ranking.decimals, cand.ranking.rounding),
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Sameness of definitions across two compiled rule sets (slots may differ: compare by name).

/// Whether an input gets the same value from the same record under both declarations.
pub(super) fn same_input_def(a: &InputDef, b: &InputDef) -> bool {
    let same_kind = match (&a.kind, &b.kind) {
        (InputKind::Choice(x), InputKind::Choice(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| x.name == y.name)
        }
        (x, y) => x == y,
    };
    a.name == b.name
        && same_kind
        && a.range == b.range
        && a.when_missing == b.when_missing
        && a.violation_kinds == b.violation_kinds
}

/// Whether offices prepared against `a` are valid, value for value, for `b`.
pub fn same_inputs(a: &RuleSet, b: &RuleSet) -> bool {
    a.inputs.len() == b.inputs.len()
        && a.inputs
            .iter()
            .zip(&b.inputs)
            .all(|(x, y)| same_input_def(x, y))
}

fn same_violation_inputs(a: &RuleSet, b: &RuleSet) -> bool {
    let list = |rs: &RuleSet| -> Vec<usize> {
        (0..rs.inputs.len())
            .filter(|&i| rs.inputs[i].kind == InputKind::Violations)
            .collect()
    };
    let (x, y) = (list(a), list(b));
    x.len() == y.len()
        && x.iter()
            .zip(&y)
            .all(|(&i, &j)| same_input_def(&a.inputs[i], &b.inputs[j]))
}

fn same_penalty(a: &Penalty, b: &Penalty) -> bool {
    a.id == b.id
        && a.points == b.points
        && a.repeat_points == b.repeat_points
        && a.cap == b.cap
        && a.applies_to == b.applies_to
}

/// Whether a criterion gives the same raw points under both rule sets (its weight aside).
fn same_criterion(a_rs: &RuleSet, a: &Criterion, b_rs: &RuleSet, b: &Criterion) -> bool {
    let input = |x: usize, y: usize| same_input_def(&a_rs.inputs[x], &b_rs.inputs[y]);
    if a.max_points != b.max_points || a.applies_to != b.applies_to {
        return false;
    }
    match (&a.rule, &b.rule) {
        (Rule::Bands { input: i, bands: x }, Rule::Bands { input: j, bands: y }) => {
            input(*i, *j) && x == y
        }
        (
            Rule::Linear {
                input: i,
                from: f1,
                per_unit: p1,
                cap: c1,
            },
            Rule::Linear {
                input: j,
                from: f2,
                per_unit: p2,
                cap: c2,
            },
        ) => input(*i, *j) && f1 == f2 && p1 == p2 && c1 == c2,
        (
            Rule::Lookup {
                input: i,
                points: x,
                otherwise: o1,
            },
            Rule::Lookup {
                input: j,
                points: y,
                otherwise: o2,
            },
        ) => input(*i, *j) && x == y && o1 == o2,
        (Rule::Program(p), Rule::Program(q)) => {
            p.args.len() == q.args.len()
                && p.args.iter().zip(&q.args).all(|(x, y)| input(*x, *y))
                && same_program(a_rs, p, b_rs, q)
        }
        _ => false,
    }
}

fn same_program(a_rs: &RuleSet, p: &Program, b_rs: &RuleSet, q: &Program) -> bool {
    match (&p.source, &q.source) {
        (
            ProgramSource::Formula {
                text: t1,
                names: n1,
                ..
            },
            ProgramSource::Formula {
                text: t2,
                names: n2,
                ..
            },
        ) => t1 == t2 && n1 == n2,
        (
            ProgramSource::Function { file: f1, name: n1 },
            ProgramSource::Function { file: f2, name: n2 },
        ) => {
            // A function may call others of its file: the whole file must be the same.
            n1 == n2 && script_text(a_rs, *f1).is_some_and(|t| script_text(b_rs, *f2) == Some(t))
        }
        _ => false,
    }
}

/// The text and round-relative path of a compiled script file.
pub(super) fn script_source(rs: &RuleSet, file: usize) -> Option<(&str, &str)> {
    let path = &rs.scripts.files.get(file)?.path;
    rs.source
        .files
        .iter()
        .find(|f| rs.source.dir.join(&f.path) == *path)
        .map(|f| (f.path.as_str(), f.text.as_str()))
}

fn script_text(rs: &RuleSet, file: usize) -> Option<&str> {
    script_source(rs, file).map(|(_, text)| text)
}
