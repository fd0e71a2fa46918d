//! Simulation: what a candidate rule set would do to every office, before it is adopted.
//!
//! A [`Baseline`] is the population ranked under the live rules. [`simulate`] ranks the same
//! population under a candidate — another round directory, or the live rules with a few
//! [`Override`]s — and answers per office (old/new total, positions, grade) and in aggregate: the
//! grade-transition matrix, the rank-movement histogram, the offices that moved most and why, grade
//! counts per region and office kind, the fragile offices, and the rule changes in business terms.
//! [`sweep`] varies one setting over a range and counts grades at each step.
//!
//! The candidate's scores reuse the baseline's per-criterion points wherever a criterion's
//! definition did not change (see [`rescore`]); only totals, positions and grades are always
//! recomputed. Nothing here touches live rules or official results: it is pure computation.

pub mod diff;
pub mod overrides;
pub mod rescore;
pub mod sweep;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cmp::Reverse;

use rayon::prelude::*;
use serde::Serialize;

pub use diff::{RuleChange, diff};
pub use overrides::{Override, Param, Setting};
pub use rescore::{Plan, rescore, rescore_with, same_inputs};
pub use sweep::{Sweep, SweepError, SweepSpec, SweepStep, sweep};

use super::office::Office;
use super::rank::{Placement, Ranking, ScoreTable, compare, place, rank};
use super::score::ScoreError;
use crate::domain::{Fixed, Grade, Label, OfficeKind, RegionId, RoundingMode};
use crate::rules::RuleSet;
use crate::rules::model::Scope;
use crate::rules::ruleset::GradeMethod;

/// The population ranked under the live rules: the fixed side of every simulation. Build it once
/// and simulate many candidates against it; a server keeps the ranking between requests and
/// borrows it back with [`Baseline::borrowed`].
#[derive(Debug)]
pub struct Baseline<'a> {
    pub rs: &'a RuleSet,
    pub offices: &'a [Office],
    pub ranking: Cow<'a, Ranking>,
    /// Nationwide position of each office (computed when the rules do not rank nationwide).
    pub national: Cow<'a, [u32]>,
}

impl<'a> Baseline<'a> {
    /// Scores and ranks the population under the baseline rules.
    pub fn new(rs: &'a RuleSet, offices: &'a [Office]) -> Result<Self, Vec<ScoreError>> {
        Ok(Self::from_ranking(rs, offices, rank(rs, offices)?))
    }

    /// From a ranking already computed (e.g. the live results a server keeps).
    pub fn from_ranking(rs: &'a RuleSet, offices: &'a [Office], ranking: Ranking) -> Self {
        let national = national_positions(rs, offices, &ranking.scores, &ranking.placements);
        Baseline {
            rs,
            offices,
            ranking: Cow::Owned(ranking),
            national: Cow::Owned(national),
        }
    }

    /// A baseline over a ranking and nationwide positions kept from an earlier [`Baseline`] of the
    /// same rules and offices (see [`Baseline::into_parts`]), without ranking again.
    pub fn borrowed(
        rs: &'a RuleSet,
        offices: &'a [Office],
        ranking: &'a Ranking,
        national: &'a [u32],
    ) -> Self {
        assert_eq!(
            offices.len(),
            national.len(),
            "positions of the same offices"
        );
        Baseline {
            rs,
            offices,
            ranking: Cow::Borrowed(ranking),
            national: Cow::Borrowed(national),
        }
    }

    /// The ranking and nationwide positions, to keep for [`Baseline::borrowed`].
    pub fn into_parts(self) -> (Ranking, Vec<u32>) {
        (self.ranking.into_owned(), self.national.into_owned())
    }
}

/// Settings of a simulation.
#[derive(Clone, Debug)]
pub struct Options {
    /// How many of the offices that moved most are explained.
    pub top_movers: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { top_movers: 20 }
    }
}

/// Everything a regulator needs to judge a candidate.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Simulation {
    /// The live rules it was compared with.
    pub baseline: RulesInfo,
    /// The rules simulated.
    pub candidate: RulesInfo,
    /// The overrides the candidate was made with (`weight:area=2`, …); empty for a directory.
    #[schema(example = json!(["weight:area=2"]))]
    pub overrides: Vec<String>,
    /// What changed in the rules, in business terms.
    pub changes: Vec<RuleChange>,
    /// What had to be computed again (everything else was reused from the baseline).
    pub work: Work,
    /// Headline numbers.
    pub summary: Summary,
    /// `transitions[old][new]`: offices that went from grade `old + 1` to grade `new + 1`.
    /// Offices that did not file stay in the lowest grade on both sides.
    #[schema(example = json!([[10, 2, 0], [1, 18, 3], [0, 2, 24]]))]
    pub transitions: [[usize; 3]; 3],
    /// Nationwide rank movement (old position − new position: positive = moved up).
    pub movement: Vec<Bucket>,
    /// The offices that moved most, with the reasons.
    pub top_movers: Vec<Mover>,
    /// Grade counts per region.
    pub by_region: Vec<GroupCounts>,
    /// Grade counts per office kind.
    pub by_kind: Vec<GroupCounts>,
    /// Offices within the candidate's fragile margin of a grade boundary, closest first.
    pub fragile: Vec<FragileOffice>,
    /// Every office, in population order.
    pub offices: Vec<OfficeResult>,
}

/// Which rule set a side of the simulation is.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RulesInfo {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The rules' version.
    #[schema(example = "1400-2.1")]
    pub version: String,
    /// The round's title.
    pub title: Label,
    /// The first 16 hex digits of the rule files' content hash.
    #[schema(example = "e3b182c86564e600")]
    pub hash: String,
    /// The rules' directory, relative to the rules root (`candidate/<round>` for an uploaded bundle).
    #[schema(example = "1400-2")]
    pub dir: String,
    /// `nationwide`, `region`, `office_kind` or `region_and_kind`.
    #[schema(example = "nationwide")]
    pub grading_scope: &'static str,
    /// The grading method in words.
    #[schema(example = "cut points: grade 1 ≥ 70, grade 2 ≥ 50")]
    pub grading: String,
    /// How close to a grade boundary counts as fragile.
    pub fragile_margin: Fixed,
    /// Percent of services grades 1, 2 and 3 may offer.
    pub service_share: [Fixed; 3],
    /// The round's notice, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Label>,
}

impl RulesInfo {
    fn of(rs: &RuleSet) -> Self {
        RulesInfo {
            round: rs.round.to_string(),
            version: rs.version.clone(),
            title: rs.title.clone(),
            hash: rs.hash().chars().take(16).collect(),
            dir: rs.source.dir.display().to_string(),
            grading_scope: rs.grading.scope.as_str(),
            grading: match rs.grading.method {
                GradeMethod::CutPoints { grade_1, grade_2 } => {
                    format!("cut points: grade 1 ≥ {grade_1}, grade 2 ≥ {grade_2}")
                }
                GradeMethod::Shares { grade_1, grade_2 } => {
                    format!("shares: grade 1 {grade_1}%, grade 2 {grade_2}%")
                }
            },
            fragile_margin: rs.grading.fragile_margin,
            service_share: rs.grading.service_share,
            notice: rs.notice.clone(),
        }
    }
}

/// The work a simulation did beyond recomputing totals and placements.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Work {
    /// Criteria scored again.
    #[schema(example = json!(["area"]))]
    pub reevaluated_criteria: Vec<String>,
    /// Penalties computed again.
    #[schema(example = json!(["overcharging"]))]
    pub recomputed_penalties: Vec<String>,
    /// Whether offices that did not file were scored again.
    #[schema(example = false)]
    pub rescored_non_filers: bool,
}

/// Headline numbers.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// Offices simulated.
    #[schema(example = 60)]
    pub offices: usize,
    /// Offices that filed.
    #[schema(example = 48)]
    pub filers: usize,
    /// Offices that did not file.
    #[schema(example = 12)]
    pub non_filers: usize,
    /// Offices whose total changed.
    #[schema(example = 41)]
    pub totals_changed: usize,
    /// Offices whose grade changed.
    #[schema(example = 8)]
    pub grades_changed: usize,
    /// Offices whose grade got better (a smaller number).
    #[schema(example = 5)]
    pub grades_up: usize,
    /// Offices whose grade got worse.
    #[schema(example = 3)]
    pub grades_down: usize,
    /// Offices whose nationwide position changed.
    #[schema(example = 37)]
    pub positions_changed: usize,
    /// The most places an office moved up nationwide.
    #[schema(example = 9)]
    pub largest_rise: i64,
    /// The most places an office moved down nationwide (negative).
    #[schema(example = -7)]
    pub largest_fall: i64,
    /// The mean total of filers under the baseline.
    pub mean_total_old: Option<Fixed>,
    /// The mean total of filers under the candidate.
    pub mean_total_new: Option<Fixed>,
    /// Offices in grades 1, 2 and 3 under the baseline.
    #[schema(example = json!([12, 21, 27]))]
    pub grades_old: [usize; 3],
    /// Offices in grades 1, 2 and 3 under the candidate.
    #[schema(example = json!([14, 20, 26]))]
    pub grades_new: [usize; 3],
    /// Fragile offices under the baseline.
    #[schema(example = 4)]
    pub fragile_old: usize,
    /// Fragile offices under the candidate.
    #[schema(example = 6)]
    pub fragile_new: usize,
}

/// A bar of the rank-movement histogram: offices that moved by `min..=max` places (open-ended
/// when a bound is `None`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    /// The range in words.
    #[schema(example = "1 … 5")]
    pub label: String,
    /// The smallest movement counted (`null`: no bound).
    #[schema(example = 1)]
    pub min: Option<i64>,
    /// The largest movement counted (`null`: no bound).
    #[schema(example = 5)]
    pub max: Option<i64>,
    /// How many offices moved that much.
    #[schema(example = 17)]
    pub count: usize,
}

/// One office that moved, and why.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Mover {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's kind.
    pub kind: OfficeKind,
    /// The office's region (1–9).
    #[schema(example = 1)]
    pub region: u8,
    /// Its total under the baseline.
    pub old_total: Option<Fixed>,
    /// Its total under the candidate.
    pub new_total: Option<Fixed>,
    /// Its grade under the baseline.
    pub old_grade: Grade,
    /// Its grade under the candidate.
    pub new_grade: Grade,
    /// Its nationwide position under the baseline.
    #[schema(example = 14)]
    pub old_national: u32,
    /// Its nationwide position under the candidate.
    #[schema(example = 5)]
    pub new_national: u32,
    /// Places moved up nationwide (negative: down).
    #[schema(example = 9)]
    pub movement: i64,
    /// The differences that make up the change in total, largest first.
    pub reasons: Vec<Reason>,
}

/// One part of a change in an office's total.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// `criterion`, `penalty`, `rounding`, `filing` (scored on one side only), `others` (its own
    /// total did not change: other offices moved past it, or it past them) or `relative` (it
    /// moved against its own change because others changed more; `old` and `new` are the mean
    /// totals, `delta` is zero so that the reasons add up to the change in total).
    #[schema(example = "criterion")]
    pub kind: &'static str,
    /// The criterion's or penalty's id.
    #[schema(example = "area")]
    pub id: String,
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// For criteria: raw points and weight on each side (`None` where the criterion is absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_points: Option<Fixed>,
    /// Raw points under the candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_points: Option<Fixed>,
    /// The weight under the baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_weight: Option<Fixed>,
    /// The weight under the candidate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_weight: Option<Fixed>,
    /// The contribution (criteria: points × weight; penalties: points) on each side.
    pub old: Fixed,
    /// The contribution under the candidate.
    pub new: Fixed,
    /// `new − old`.
    pub delta: Fixed,
}

impl Reason {
    /// In words: `area: 9 × 1.5 = 13.5 → 9 × 3 = 27 (+13.5)`.
    pub fn describe(&self) -> String {
        let side = |p: Option<Fixed>, w: Option<Fixed>, c: Fixed| match (p, w) {
            (Some(p), Some(w)) => format!("{p} × {w} = {c}"),
            _ => "—".to_string(),
        };
        match self.kind {
            "criterion" => format!(
                "{}: {} → {} ({})",
                self.id,
                side(self.old_points, self.old_weight, self.old),
                side(self.new_points, self.new_weight, self.new),
                signed(self.delta)
            ),
            "penalty" => format!(
                "{}: {} → {} ({})",
                self.id,
                self.old,
                self.new,
                signed(self.delta)
            ),
            "rounding" => format!("rounding ({})", signed(self.delta)),
            "filing" => "did not file: scored on one side only".to_string(),
            "relative" => format!(
                "others changed more: the mean total went from {} to {}",
                self.old, self.new
            ),
            _ => "its own total did not change: other offices moved".to_string(),
        }
    }
}

/// `+1.5`, `-2`, `0`.
pub fn signed(x: Fixed) -> String {
    if x > Fixed::ZERO {
        format!("+{x}")
    } else {
        x.to_string()
    }
}

/// Grade counts of one region or office kind, before and after.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GroupCounts {
    /// The region number or the office kind.
    #[schema(example = "1")]
    pub group: String,
    /// The group's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// Offices in the group.
    #[schema(example = 12)]
    pub offices: usize,
    /// Offices in grades 1, 2 and 3 under the baseline.
    #[schema(example = json!([3, 4, 5]))]
    pub old: [usize; 3],
    /// Offices in grades 1, 2 and 3 under the candidate.
    #[schema(example = json!([4, 4, 4]))]
    pub new: [usize; 3],
    /// Offices whose grade changed.
    #[schema(example = 2)]
    pub grades_changed: usize,
}

/// An office close to a grade boundary under the candidate.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FragileOffice {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's kind.
    pub kind: OfficeKind,
    /// The office's region (1–9).
    #[schema(example = 1)]
    pub region: u8,
    /// Its total under the candidate.
    pub total: Option<Fixed>,
    /// Its grade under the candidate.
    pub grade: Grade,
    /// Points short of the next better grade.
    pub to_next_grade: Option<Fixed>,
    /// Distance to the nearest cut point (cut-point grading only).
    pub distance: Option<Fixed>,
    /// Whether it was fragile under the baseline too.
    #[schema(example = false)]
    pub was_fragile: bool,
}

/// One office, before and after.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OfficeResult {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// The office's kind.
    pub kind: OfficeKind,
    /// The office's region (1–9).
    #[schema(example = 1)]
    pub region: u8,
    /// The office's province code.
    #[schema(example = "THR")]
    pub province: String,
    /// Whether the office filed a declaration.
    #[schema(example = true)]
    pub filed: bool,
    /// Its total under the baseline.
    pub old_total: Option<Fixed>,
    /// Its total under the candidate.
    pub new_total: Option<Fixed>,
    /// `new_total − old_total` when both exist.
    pub delta: Option<Fixed>,
    /// Its grade under the baseline.
    pub old_grade: Grade,
    /// Its grade under the candidate.
    pub new_grade: Grade,
    /// Position in the grading scope of each side.
    #[schema(example = 3)]
    pub old_position: u32,
    /// Position in the candidate's grading scope.
    #[schema(example = 1)]
    pub new_position: u32,
    /// Nationwide position under the baseline.
    #[schema(example = 14)]
    pub old_national: u32,
    /// Nationwide position under the candidate.
    #[schema(example = 5)]
    pub new_national: u32,
    /// Places moved up nationwide (negative: down).
    #[schema(example = 9)]
    pub movement: i64,
    /// Whether it is fragile under the candidate.
    #[schema(example = false)]
    pub fragile: bool,
}

/// Ranks the population under `cand` and compares with the baseline. `cand_offices` are the
/// baseline's offices prepared against the candidate (the baseline's own when [`same_inputs`]).
pub fn simulate(
    base: &Baseline,
    cand: &RuleSet,
    cand_offices: &[Office],
    options: &Options,
) -> Result<Simulation, Vec<ScoreError>> {
    assert_eq!(
        base.offices.len(),
        cand_offices.len(),
        "the same population on both sides"
    );
    let plan = Plan::new(base.rs, cand);
    let table = rescore_with(&plan, &base.ranking.scores, cand, cand_offices)?;
    let placements = place(cand, cand_offices, &table);
    let national = national_positions(cand, cand_offices, &table, &placements);
    let after = Side {
        rs: cand,
        offices: cand_offices,
        scores: &table,
        placements: &placements,
        national: &national,
    };
    Ok(compare_sides(base, &after, &plan, options))
}

/// One side of the comparison.
struct Side<'a> {
    rs: &'a RuleSet,
    offices: &'a [Office],
    scores: &'a ScoreTable,
    placements: &'a [Placement],
    national: &'a [u32],
}

fn compare_sides(base: &Baseline, after: &Side, plan: &Plan, options: &Options) -> Simulation {
    let before = Side {
        rs: base.rs,
        offices: base.offices,
        scores: &base.ranking.scores,
        placements: &base.ranking.placements,
        national: &base.national,
    };
    let n = before.offices.len();
    let scope_index = |s: &Side| {
        s.rs.ranking
            .scopes
            .iter()
            .position(|x| *x == s.rs.grading.scope)
    };
    let (si_old, si_new) = (scope_index(&before), scope_index(after));
    let offices: Vec<OfficeResult> = (0..n)
        .into_par_iter()
        .map(|i| {
            let o = &before.offices[i];
            let (p, q) = (&before.placements[i], &after.placements[i]);
            let (old_total, new_total) = (before.scores.totals[i], after.scores.totals[i]);
            OfficeResult {
                office: o.id.to_string(),
                kind: o.kind,
                region: o.region.get(),
                province: o.province.clone(),
                filed: o.filed,
                old_total,
                new_total,
                delta: old_total.zip(new_total).map(|(a, b)| b.saturating_sub(a)),
                old_grade: p.grade,
                new_grade: q.grade,
                old_position: si_old.map_or(before.national[i], |s| p.positions[s]),
                new_position: si_new.map_or(after.national[i], |s| q.positions[s]),
                old_national: before.national[i],
                new_national: after.national[i],
                movement: before.national[i] as i64 - after.national[i] as i64,
                fragile: q.fragile,
            }
        })
        .collect();

    let mut transitions = [[0usize; 3]; 3];
    let mut summary = Summary {
        offices: n,
        ..Summary::default()
    };
    for (r, o) in offices.iter().enumerate() {
        transitions[o.old_grade.index()][o.new_grade.index()] += 1;
        summary.filers += o.filed as usize;
        summary.totals_changed += (o.old_total != o.new_total) as usize;
        summary.grades_up += (o.new_grade < o.old_grade) as usize;
        summary.grades_down += (o.new_grade > o.old_grade) as usize;
        summary.positions_changed += (o.movement != 0) as usize;
        summary.largest_rise = summary.largest_rise.max(o.movement);
        summary.largest_fall = summary.largest_fall.min(o.movement);
        summary.grades_old[o.old_grade.index()] += 1;
        summary.grades_new[o.new_grade.index()] += 1;
        summary.fragile_old += before.placements[r].fragile as usize;
        summary.fragile_new += o.fragile as usize;
    }
    summary.non_filers = n - summary.filers;
    summary.grades_changed = summary.grades_up + summary.grades_down;
    summary.mean_total_old = mean(&before.scores.totals);
    summary.mean_total_new = mean(&after.scores.totals);

    let movement = histogram(offices.iter().map(|o| o.movement));
    let top_movers = top_movers(&before, after, &offices, options.top_movers);
    let (by_region, by_kind) = group_counts(&offices);
    let fragile = fragile_offices(after, &before, &offices);
    Simulation {
        baseline: RulesInfo::of(before.rs),
        candidate: RulesInfo::of(after.rs),
        overrides: Vec::new(),
        changes: diff(before.rs, after.rs),
        work: Work {
            reevaluated_criteria: plan
                .reevaluated(after.rs)
                .into_iter()
                .map(String::from)
                .collect(),
            recomputed_penalties: plan
                .recomputed_penalties(after.rs)
                .into_iter()
                .map(String::from)
                .collect(),
            rescored_non_filers: plan.score_non_filers,
        },
        summary,
        transitions,
        movement,
        top_movers,
        by_region,
        by_kind,
        fragile,
        offices,
    }
}

/// Nationwide positions: from the placements when the rules rank nationwide, else by one sort.
fn national_positions(
    rs: &RuleSet,
    offices: &[Office],
    scores: &ScoreTable,
    placements: &[Placement],
) -> Vec<u32> {
    if let Some(si) = rs
        .ranking
        .scopes
        .iter()
        .position(|s| *s == Scope::Nationwide)
    {
        return placements.iter().map(|p| p.positions[si]).collect();
    }
    let mut order: Vec<usize> = (0..offices.len()).collect();
    order.par_sort_unstable_by(|&a, &b| compare(rs, offices, scores, a, b));
    let mut positions = vec![0; offices.len()];
    for (p, &i) in order.iter().enumerate() {
        positions[i] = p as u32 + 1;
    }
    positions
}

/// The mean of the totals that exist, to two decimals.
pub fn mean(totals: &[Option<Fixed>]) -> Option<Fixed> {
    let (sum, count) = totals
        .iter()
        .flatten()
        .fold((0i128, 0i128), |(s, c), t| (s + t.raw() as i128, c + 1));
    if count == 0 {
        return None;
    }
    let q = (2 * sum + count * sum.signum()) / (2 * count); // half away from zero
    Some(Fixed::from_raw(q as i64).round(2, RoundingMode::HalfUp))
}

/// Buckets of places moved: 0, 1–9, 10–99, 100–999, 1000+ in each direction.
fn histogram(moves: impl Iterator<Item = i64>) -> Vec<Bucket> {
    let edges: [(Option<i64>, Option<i64>); 9] = [
        (None, Some(-1000)),
        (Some(-999), Some(-100)),
        (Some(-99), Some(-10)),
        (Some(-9), Some(-1)),
        (Some(0), Some(0)),
        (Some(1), Some(9)),
        (Some(10), Some(99)),
        (Some(100), Some(999)),
        (Some(1000), None),
    ];
    let num = |x: i64| {
        if x > 0 {
            format!("+{x}")
        } else {
            x.to_string().replace('-', "−")
        }
    };
    let mut buckets: Vec<Bucket> = edges
        .iter()
        .map(|&(min, max)| Bucket {
            label: match (min, max) {
                (None, Some(hi)) => format!("≤ {}", num(hi)),
                (Some(lo), None) => format!("≥ {}", num(lo)),
                (Some(lo), Some(hi)) if lo == hi => num(lo),
                (Some(lo), Some(hi)) => format!("{} … {}", num(lo), num(hi)),
                (None, None) => "all".into(),
            },
            min,
            max,
            count: 0,
        })
        .collect();
    for m in moves {
        if let Some(b) = buckets
            .iter_mut()
            .find(|b| b.min.is_none_or(|lo| m >= lo) && b.max.is_none_or(|hi| m <= hi))
        {
            b.count += 1;
        }
    }
    buckets
}

fn top_movers(before: &Side, after: &Side, offices: &[OfficeResult], top: usize) -> Vec<Mover> {
    let means = mean(&before.scores.totals).zip(mean(&after.scores.totals));
    let mut moved: Vec<usize> = (0..offices.len())
        .filter(|&i| {
            let o = &offices[i];
            o.movement != 0 || o.old_grade != o.new_grade || o.old_total != o.new_total
        })
        .collect();
    let grade_jump = |o: &OfficeResult| (o.old_grade.get() as i64 - o.new_grade.get() as i64).abs();
    moved.par_sort_unstable_by_key(|&i| {
        let o = &offices[i];
        (
            Reverse(o.movement.abs()),
            Reverse(grade_jump(o)),
            Reverse(o.delta.map_or(Fixed::ZERO, Fixed::abs)),
            i,
        )
    });
    moved
        .into_iter()
        .take(top)
        .map(|i| {
            let o = &offices[i];
            Mover {
                office: o.office.clone(),
                kind: o.kind,
                region: o.region,
                old_total: o.old_total,
                new_total: o.new_total,
                old_grade: o.old_grade,
                new_grade: o.new_grade,
                old_national: o.old_national,
                new_national: o.new_national,
                movement: o.movement,
                reasons: {
                    let mut r = reasons(before, after, i);
                    let own = o.delta.unwrap_or(Fixed::ZERO);
                    let against = (o.movement < 0 && own > Fixed::ZERO)
                        || (o.movement > 0 && own < Fixed::ZERO);
                    if let Some((old, new)) = means.filter(|_| against) {
                        r.push(relative(old, new));
                    }
                    r
                },
            }
        })
        .collect()
}

/// Per-criterion and per-penalty differences that make up an office's change in total.
fn reasons(before: &Side, after: &Side, i: usize) -> Vec<Reason> {
    let (old_total, new_total) = (before.scores.totals[i], after.scores.totals[i]);
    let (Some(old_total), Some(new_total)) = (old_total, new_total) else {
        let kind = if old_total.is_some() || new_total.is_some() {
            "filing"
        } else {
            "others"
        };
        return vec![Reason::bare(kind, Fixed::ZERO, Fixed::ZERO, Fixed::ZERO)];
    };
    let mut out = criterion_reasons(before, after, i);
    out.extend(penalty_reasons(before, after, i));
    out.sort_by_key(|r| (Reverse(r.delta.abs()), r.id.clone()));
    let explained = out
        .iter()
        .fold(Fixed::ZERO, |s, r| s.saturating_add(r.delta));
    let rounding = new_total
        .saturating_sub(old_total)
        .saturating_sub(explained);
    if rounding != Fixed::ZERO {
        out.push(Reason::bare("rounding", Fixed::ZERO, Fixed::ZERO, rounding));
    }
    if out.is_empty() {
        out.push(Reason::bare("others", old_total, new_total, Fixed::ZERO));
    }
    out
}

/// The ids on both sides: the base's in order, then those only the candidate has.
fn ids_of_both<'a>(
    a: impl Iterator<Item = &'a str>,
    b: impl Iterator<Item = &'a str>,
    in_a: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = a.collect();
    ids.extend(b.filter(|id| !in_a(id)));
    ids
}

/// The criteria whose contribution (points × weight) differs between the sides for office `i`.
fn criterion_reasons(before: &Side, after: &Side, i: usize) -> Vec<Reason> {
    let (a, b) = (before.rs, after.rs);
    let ids = ids_of_both(
        a.criteria.iter().map(|c| c.id.as_str()),
        b.criteria.iter().map(|c| c.id.as_str()),
        |id| a.criterion_index(id).is_some(),
    );
    let mut out = Vec::new();
    for id in ids {
        let side = |s: &Side| {
            s.rs.criterion_index(id).map(|k| {
                let p = s.scores.points_of(i)[k];
                (p, s.rs.criteria[k].weight, k)
            })
        };
        let (x, y) = (side(before), side(after));
        let old = x.map_or(Fixed::ZERO, |x| x.0.mul(x.1));
        let new = y.map_or(Fixed::ZERO, |y| y.0.mul(y.1));
        if old != new {
            let label = match (y, x) {
                (Some(y), _) => b.criteria[y.2].label.clone(),
                (None, Some(x)) => a.criteria[x.2].label.clone(),
                (None, None) => unreachable!("the id comes from one of the sides"),
            };
            out.push(Reason {
                kind: "criterion",
                id: id.to_string(),
                label: Some(label),
                old_points: x.map(|x| x.0),
                new_points: y.map(|y| y.0),
                old_weight: x.map(|x| x.1),
                new_weight: y.map(|y| y.1),
                old,
                new,
                delta: new.saturating_sub(old),
            });
        }
    }
    out
}

/// The penalties whose points differ between the sides for office `i`.
fn penalty_reasons(before: &Side, after: &Side, i: usize) -> Vec<Reason> {
    let (a, b) = (before.rs, after.rs);
    let ids = ids_of_both(
        a.penalties.iter().map(|p| p.id.as_str()),
        b.penalties.iter().map(|p| p.id.as_str()),
        |id| a.penalty_index(id).is_some(),
    );
    let mut out = Vec::new();
    for id in ids {
        let side = |s: &Side| {
            s.rs.penalty_index(id)
                .map(|k| (s.scores.penalties_of(i)[k], k))
        };
        let (x, y) = (side(before), side(after));
        let old = x.map_or(Fixed::ZERO, |x| x.0);
        let new = y.map_or(Fixed::ZERO, |y| y.0);
        if old != new {
            let label = match (y, x) {
                (Some(y), _) => b.penalties[y.1].label.clone(),
                (None, Some(x)) => a.penalties[x.1].label.clone(),
                (None, None) => unreachable!("the id comes from one of the sides"),
            };
            out.push(Reason {
                label: Some(label),
                id: id.to_string(),
                ..Reason::bare("penalty", old, new, new.saturating_sub(old))
            });
        }
    }
    out
}

impl Reason {
    /// A reason of `kind` that names no criterion or penalty.
    fn bare(kind: &'static str, old: Fixed, new: Fixed, delta: Fixed) -> Self {
        Reason {
            kind,
            id: String::new(),
            label: None,
            old_points: None,
            new_points: None,
            old_weight: None,
            new_weight: None,
            old,
            new,
            delta,
        }
    }
}

fn relative(old: Fixed, new: Fixed) -> Reason {
    Reason {
        kind: "relative",
        id: String::new(),
        label: None,
        old_points: None,
        new_points: None,
        old_weight: None,
        new_weight: None,
        old,
        new,
        delta: Fixed::ZERO,
    }
}

fn group_counts(offices: &[OfficeResult]) -> (Vec<GroupCounts>, Vec<GroupCounts>) {
    let empty = |group: String, label: Option<Label>| GroupCounts {
        group,
        label,
        offices: 0,
        old: [0; 3],
        new: [0; 3],
        grades_changed: 0,
    };
    let mut regions: Vec<GroupCounts> = (1..=RegionId::COUNT)
        .map(|r| empty(r.to_string(), None))
        .collect();
    let mut kinds: Vec<GroupCounts> = OfficeKind::ALL
        .iter()
        .map(|k| {
            empty(
                k.as_str().into(),
                Some(Label::new(k.label_fa(), k.label_en())),
            )
        })
        .collect();
    for o in offices {
        for g in [
            &mut regions[o.region as usize - 1],
            &mut kinds[o.kind.index()],
        ] {
            g.offices += 1;
            g.old[o.old_grade.index()] += 1;
            g.new[o.new_grade.index()] += 1;
            g.grades_changed += (o.old_grade != o.new_grade) as usize;
        }
    }
    regions.retain(|g| g.offices > 0);
    kinds.retain(|g| g.offices > 0);
    (regions, kinds)
}

fn fragile_offices(after: &Side, before: &Side, offices: &[OfficeResult]) -> Vec<FragileOffice> {
    let cuts = match after.rs.grading.method {
        GradeMethod::CutPoints { grade_1, grade_2 } => Some([grade_1, grade_2]),
        GradeMethod::Shares { .. } => None,
    };
    let mut list: Vec<FragileOffice> = offices
        .iter()
        .enumerate()
        .filter(|(i, _)| after.placements[*i].fragile)
        .map(|(i, o)| {
            let p = &after.placements[i];
            FragileOffice {
                office: o.office.clone(),
                kind: o.kind,
                region: o.region,
                total: o.new_total,
                grade: p.grade,
                to_next_grade: p.to_next_grade,
                distance: cuts.zip(o.new_total).map(|(cuts, t)| {
                    cuts.iter()
                        .map(|c| t.saturating_sub(*c).abs())
                        .min()
                        .expect("two cut points")
                }),
                was_fragile: before.placements[i].fragile,
            }
        })
        .collect();
    list.sort_by(|a, b| {
        (a.distance.is_none(), a.distance, &a.office).cmp(&(
            b.distance.is_none(),
            b.distance,
            &b.office,
        ))
    });
    list
}
