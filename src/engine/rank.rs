//! Ranking a population: score everyone (on both cores), order by the tie-break chain in every
//! declared scope, give grades by cut points or population shares, and the service share.

use std::cmp::Ordering;

use rayon::prelude::*;
use serde::Serialize;

use super::office::Office;
use super::score::{ScoreError, score_into};
use crate::domain::{Fixed, Grade};
use crate::rules::RuleSet;
use crate::rules::budget::Budget;
use crate::rules::model::{NonFilerPolicy, Scope};
use crate::rules::ruleset::{GradeMethod, TieBreak};
use crate::rules::value::Value;

/// Every office's points, in one flat table (rows in population order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreTable {
    pub criteria: usize,
    pub penalty_kinds: usize,
    /// `criteria` raw points per office.
    pub points: Vec<Fixed>,
    /// `penalty_kinds` penalty points per office.
    pub penalties: Vec<Fixed>,
    /// Rounded total per office; `None` for non-filers placed in the lowest grade.
    pub totals: Vec<Option<Fixed>>,
}

impl ScoreTable {
    pub fn points_of(&self, office: usize) -> &[Fixed] {
        &self.points[office * self.criteria..(office + 1) * self.criteria]
    }

    pub fn penalties_of(&self, office: usize) -> &[Fixed] {
        &self.penalties[office * self.penalty_kinds..(office + 1) * self.penalty_kinds]
    }
}

/// Points, penalties, totals and errors of one chunk of offices.
type ChunkScores = (Vec<Fixed>, Vec<Fixed>, Vec<Option<Fixed>>, Vec<ScoreError>);

/// Scores every office on all cores. Fails with every office whose script failed.
pub fn score_all(rs: &RuleSet, offices: &[Office]) -> Result<ScoreTable, Vec<ScoreError>> {
    let c = rs.criteria.len();
    let p = rs.penalties.len();
    let n = offices.len();
    const CHUNK: usize = 1024;
    let budget = Budget::current();
    let chunks: Vec<ChunkScores> = offices
        .par_chunks(CHUNK)
        .map(|chunk| {
            let _budget = Budget::enter(budget.clone());
            let mut pts = vec![Fixed::ZERO; chunk.len() * c];
            let mut pens = vec![Fixed::ZERO; chunk.len() * p];
            let mut tots = vec![None; chunk.len()];
            let mut errors = Vec::new();
            for (j, office) in chunk.iter().enumerate() {
                if !office.filed && rs.grading.non_filers == NonFilerPolicy::LowestGrade {
                    continue;
                }
                let row = &mut pts[j * c..(j + 1) * c];
                let pen = &mut pens[j * p..(j + 1) * p];
                match score_into(rs, office, row, pen, None) {
                    Ok(t) => tots[j] = Some(t),
                    Err(e) => errors.push(e),
                }
            }
            (pts, pens, tots, errors)
        })
        .collect();
    let mut points = Vec::with_capacity(n * c);
    let mut penalties = Vec::with_capacity(n * p);
    let mut totals = Vec::with_capacity(n);
    let mut errors = Vec::new();
    for (pts, pens, tots, errs) in chunks {
        points.extend(pts);
        penalties.extend(pens);
        totals.extend(tots);
        errors.extend(errs);
    }
    if errors.is_empty() {
        Ok(ScoreTable {
            criteria: c,
            penalty_kinds: p,
            points,
            penalties,
            totals,
        })
    } else {
        Err(errors)
    }
}

/// An office's place in the population.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Placement {
    /// Position (1 = first) in each of the rule set's ranking scopes, in their order.
    pub positions: Vec<u32>,
    /// How many offices share each scope group with this one.
    pub group_sizes: Vec<u32>,
    pub grade: Grade,
    /// Percent of the services available in its area the office may offer.
    pub service_share: Fixed,
    /// Points the office lacks to reach the next better grade (`None` at grade 1 or for non-filers).
    pub to_next_grade: Option<Fixed>,
    /// Within the rule set's fragile margin of a grade boundary.
    pub fragile: bool,
}

/// The ranking of a whole population.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranking {
    pub scores: ScoreTable,
    pub placements: Vec<Placement>,
}

/// Scores and ranks a population.
pub fn rank(rs: &RuleSet, offices: &[Office]) -> Result<Ranking, Vec<ScoreError>> {
    let scores = score_all(rs, offices)?;
    let placements = place(rs, offices, &scores);
    Ok(Ranking { scores, placements })
}

/// The group an office is ranked in under `scope` (its region, its kind, both, or everyone).
pub(crate) fn group_of(scope: Scope, o: &Office) -> u32 {
    match scope {
        Scope::Nationwide => 0,
        Scope::Region => o.region.get() as u32,
        Scope::OfficeKind => o.kind.index() as u32,
        Scope::RegionAndKind => o.region.get() as u32 * 4 + o.kind.index() as u32,
    }
}

fn input_key(v: &Option<Value>) -> Fixed {
    match v {
        Some(Value::Number(n)) => *n,
        Some(Value::Bool(b)) => Fixed::from_int(*b as i64),
        Some(Value::Choice(c)) => Fixed::from_int(*c as i64),
        _ => Fixed::MIN,
    }
}

/// Orders two offices by the tie-break chain: filers before non-filers, then each link.
pub fn compare(
    rs: &RuleSet,
    offices: &[Office],
    scores: &ScoreTable,
    a: usize,
    b: usize,
) -> Ordering {
    let (ta, tb) = (scores.totals[a], scores.totals[b]);
    match (ta.is_some(), tb.is_some()) {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    for link in &rs.ranking.tie_break {
        let descending = match *link {
            TieBreak::Total { descending }
            | TieBreak::Criterion { descending, .. }
            | TieBreak::Input { descending, .. }
            | TieBreak::OfficeId { descending } => descending,
        };
        let ord = link_order(rs, offices, scores, *link, a, b);
        let ord = if descending { ord.reverse() } else { ord };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// What put one office ahead of another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    /// One filed its self-declaration and the other did not.
    Filing,
    /// The first link of the tie-break chain (its index) where they differ.
    Link(usize),
    /// Nothing tells them apart (only the same office).
    Nothing,
}

/// Which step of the ranking decided between `a` and `b`: the step [`compare`] stops at.
pub fn decider(
    rs: &RuleSet,
    offices: &[Office],
    scores: &ScoreTable,
    a: usize,
    b: usize,
) -> Decider {
    if scores.totals[a].is_some() != scores.totals[b].is_some() {
        return Decider::Filing;
    }
    rs.ranking
        .tie_break
        .iter()
        .position(|link| link_order(rs, offices, scores, *link, a, b) != Ordering::Equal)
        .map_or(Decider::Nothing, Decider::Link)
}

/// How one link of the chain orders `a` and `b` (before its direction is applied).
fn link_order(
    rs: &RuleSet,
    offices: &[Office],
    scores: &ScoreTable,
    link: TieBreak,
    a: usize,
    b: usize,
) -> Ordering {
    match link {
        TieBreak::Total { .. } => scores.totals[a].cmp(&scores.totals[b]),
        TieBreak::Criterion { index, .. } => {
            let w = rs.criteria[index].weight;
            scores.points_of(a)[index]
                .mul(w)
                .cmp(&scores.points_of(b)[index].mul(w))
        }
        TieBreak::Input { index, .. } => {
            input_key(&offices[a].values[index]).cmp(&input_key(&offices[b].values[index]))
        }
        TieBreak::OfficeId { .. } => offices[a].id.cmp(&offices[b].id),
    }
}

/// Offices in ranking order: each office's tie-break chain is turned into integer keys once, so the
/// sort compares integers; the license number is compared only when every other link ties.
pub fn sorted_order(rs: &RuleSet, offices: &[Office], scores: &ScoreTable) -> Vec<usize> {
    let links: Vec<TieBreak> = rs
        .ranking
        .tie_break
        .iter()
        .copied()
        .filter(|t| !matches!(t, TieBreak::OfficeId { .. }))
        .collect();
    let width = links.len() + 1;
    let mut keys = vec![0i64; offices.len() * width];
    keys.par_chunks_mut(width).enumerate().for_each(|(i, k)| {
        // Filers first, then each link; descending links are negated so everything sorts ascending.
        k[0] = scores.totals[i].is_none() as i64;
        for (j, link) in links.iter().enumerate() {
            let (value, descending) = match *link {
                TieBreak::Total { descending } => {
                    (scores.totals[i].map_or(i64::MIN, |t| t.raw()), descending)
                }
                TieBreak::Criterion { index, descending } => (
                    scores.points_of(i)[index]
                        .mul(rs.criteria[index].weight)
                        .raw(),
                    descending,
                ),
                TieBreak::Input { index, descending } => {
                    (input_key(&offices[i].values[index]).raw(), descending)
                }
                TieBreak::OfficeId { .. } => unreachable!("filtered out"),
            };
            k[j + 1] = if descending {
                value.saturating_neg()
            } else {
                value
            };
        }
    });
    let id_descending = rs
        .ranking
        .tie_break
        .iter()
        .any(|t| matches!(t, TieBreak::OfficeId { descending: true }));
    let mut order: Vec<usize> = (0..offices.len()).collect();
    order.par_sort_unstable_by(|&a, &b| {
        keys[a * width..(a + 1) * width]
            .cmp(&keys[b * width..(b + 1) * width])
            .then_with(|| {
                let o = offices[a].id.cmp(&offices[b].id);
                if id_descending { o.reverse() } else { o }
            })
    });
    order
}

/// Positions, grades and service shares from a score table.
pub fn place(rs: &RuleSet, offices: &[Office], scores: &ScoreTable) -> Vec<Placement> {
    let n = offices.len();
    let scopes = &rs.ranking.scopes;
    let mut placements: Vec<Placement> = (0..n)
        .map(|_| Placement {
            positions: vec![0; scopes.len()],
            group_sizes: vec![0; scopes.len()],
            grade: Grade::LOWEST,
            service_share: rs.grading.service_share[2],
            to_next_grade: None,
            fragile: false,
        })
        .collect();
    // One sort by the chain serves every scope: splitting the order by group keeps it.
    let order = sorted_order(rs, offices, scores);
    let grading_scope = scopes.iter().position(|s| *s == rs.grading.scope);
    for (si, scope) in scopes.iter().enumerate() {
        let mut groups: std::collections::BTreeMap<u32, Vec<usize>> =
            std::collections::BTreeMap::new();
        for &i in &order {
            groups
                .entry(group_of(*scope, &offices[i]))
                .or_default()
                .push(i);
        }
        for members in groups.values() {
            for (pos, &i) in members.iter().enumerate() {
                placements[i].positions[si] = pos as u32 + 1;
                placements[i].group_sizes[si] = members.len() as u32;
            }
            if Some(si) == grading_scope {
                grade_group(rs, scores, members, &mut placements);
            }
        }
    }
    placements
}

/// The cut point (grade 1's, then grade 2's) that `total` is less than `margin` from, if any: the
/// one test for a fragile office in rankings and simulations and for the review's `near_boundary`.
pub fn near_cut(total: Fixed, cuts: [Fixed; 2], margin: Fixed) -> Option<(usize, Fixed)> {
    cuts.into_iter()
        .enumerate()
        .find(|(_, c)| total.saturating_sub(*c).abs() < margin)
}

/// Round-half-up of `n × percent / 100`.
fn share_count(n: usize, percent: Fixed) -> usize {
    let scaled = n as i128 * percent.raw() as i128; // in ten-thousandths of a percent
    let denom = 100 * Fixed::SCALE as i128;
    ((scaled * 2 + denom) / (2 * denom)) as usize
}

fn grade_group(rs: &RuleSet, scores: &ScoreTable, members: &[usize], placements: &mut [Placement]) {
    let margin = rs.grading.fragile_margin;
    let filers: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&i| scores.totals[i].is_some())
        .collect();
    let share = |g: Grade| rs.grading.service_share[g.index()];
    match rs.grading.method {
        GradeMethod::CutPoints { grade_1, grade_2 } => {
            for &i in &filers {
                let t = scores.totals[i].expect("filer");
                let grade = if t >= grade_1 {
                    Grade::new(1)
                } else if t >= grade_2 {
                    Grade::new(2)
                } else {
                    Grade::new(3)
                }
                .expect("1..=3");
                let p = &mut placements[i];
                p.grade = grade;
                p.service_share = share(grade);
                p.to_next_grade = match grade.get() {
                    1 => None,
                    2 => Some(grade_1.saturating_sub(t)),
                    _ => Some(grade_2.saturating_sub(t)),
                };
                p.fragile = near_cut(t, [grade_1, grade_2], margin).is_some();
            }
        }
        GradeMethod::Shares { grade_1, grade_2 } => {
            let n = filers.len();
            let k1 = share_count(n, grade_1).min(n);
            let k12 = share_count(n, grade_1.saturating_add(grade_2)).clamp(k1, n);
            let total = |i: usize| scores.totals[i].expect("filer");
            for (pos, &i) in filers.iter().enumerate() {
                let grade = if pos < k1 {
                    1
                } else if pos < k12 {
                    2
                } else {
                    3
                };
                let grade = Grade::new(grade).expect("1..=3");
                let t = total(i);
                // The last office inside the better grade sets the bar.
                let bar = match grade.get() {
                    2 if k1 > 0 => Some(total(filers[k1 - 1])),
                    3 if k12 > 0 => Some(total(filers[k12 - 1])),
                    _ => None,
                };
                let p = &mut placements[i];
                p.grade = grade;
                p.service_share = share(grade);
                p.to_next_grade = bar.map(|b| b.saturating_sub(t).max(Fixed::ZERO));
                let near = |k: usize| {
                    k > 0
                        && k < n
                        && total(filers[k - 1]).saturating_sub(total(filers[k])) < margin
                        && (pos + 1 == k || pos == k)
                };
                p.fragile =
                    near(k1) || near(k12) || bar.is_some_and(|b| b.saturating_sub(t) < margin);
            }
        }
    }
    // Non-filers in the lowest grade, with the lowest service share.
    for &i in members.iter().filter(|&&i| scores.totals[i].is_none()) {
        placements[i].grade = Grade::LOWEST;
        placements[i].service_share = share(Grade::LOWEST);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_counts_round_half_up() {
        assert_eq!(share_count(10, Fixed::from_int(55)), 6);
        assert_eq!(share_count(1, Fixed::from_int(55)), 1);
        assert_eq!(share_count(1, Fixed::from_int(45)), 0);
        assert_eq!(share_count(200, Fixed::from_int(30)), 60);
        assert_eq!(share_count(0, Fixed::from_int(50)), 0);
    }
}
