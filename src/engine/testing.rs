//! Rule tests: the cases under a round's `tests/` that policy staff write to check their own edits.

use serde::Serialize;

use super::office::{OfficeRecord, Raw, prepare};
use super::score::score;
use super::triage::{MIN_PEERS, Spread, assess};
use crate::domain::{Fixed, OfficeId, RegionId};
use crate::rules::RuleSet;
use crate::rules::budget::{Budget, Limits, MAX_TEST_RUN_TIME};
use crate::rules::ruleset::{GradeMethod, TestCase};

/// The outcome of one case.
#[derive(Clone, Debug, Serialize)]
pub struct CaseResult {
    pub name: String,
    /// `file:line` of the case.
    pub at: String,
    /// Empty when the case passed.
    pub failures: Vec<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every rule test of the rule set, within [`MAX_TEST_RUN_TIME`] together. Each case has a
/// budget of its own under that one, so a case that expects a script to be stopped stops no other.
pub fn run_tests(rs: &RuleSet) -> Vec<CaseResult> {
    let current = Budget::current();
    let limits = Limits {
        total: Some(MAX_TEST_RUN_TIME),
        ..current.as_deref().map(Budget::limits).unwrap_or_default()
    };
    let run = match &current {
        Some(b) => b.child(limits),
        None => Budget::new(limits),
    };
    rs.tests
        .iter()
        .map(|case| {
            let _case = Budget::enter(Some(run.child(Limits {
                total: None,
                ..limits
            })));
            run_case(rs, case)
        })
        .collect()
}

/// Compares the review flags raised on the case's file (against the case's `peers:`) with the
/// ones it expects, and its risk.
fn check_triage(
    rs: &RuleSet,
    case: &TestCase,
    record: &OfficeRecord,
    office: &super::Office,
    failures: &mut Vec<String>,
) {
    let mut peers = vec![None; rs.inputs.len()];
    for (name, median, mad, mean_ad) in &case.peers {
        if let Some(slot) = rs.input_index(name) {
            peers[slot] = Some(Spread {
                median: *median,
                mad: *mad,
                mean_ad: *mean_ad,
                count: MIN_PEERS,
            });
        }
    }
    let t = assess(rs, record, office, &peers);
    let raised: Vec<&str> = t.flags.iter().map(|f| f.id.as_str()).collect();
    if let Some(want) = &case.expect.flags {
        let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
        let mut got = raised.clone();
        want.sort_unstable();
        got.sort_unstable();
        if want != got {
            let why: Vec<String> = t
                .flags
                .iter()
                .map(|f| format!("{}: {}", f.id, f.why.en))
                .collect();
            failures.push(format!(
                "flags: expected [{}], got [{}]{}",
                want.join(", "),
                got.join(", "),
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join("; "))
                }
            ));
        }
    }
    if let Some(want) = case.expect.risk
        && t.risk != want
    {
        failures.push(format!("risk: expected {want}, got {}", t.risk));
    }
}

fn run_case(rs: &RuleSet, case: &TestCase) -> CaseResult {
    let mut failures = Vec::new();
    let record = OfficeRecord {
        id: OfficeId::parse("TEST").expect("valid id"),
        kind: case.kind,
        region: RegionId::new(1).expect("valid region"),
        province: String::new(),
        filed: case.filed,
        inputs: case
            .inputs
            .iter()
            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
            .collect(),
        previous: case
            .previous
            .iter()
            .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
            .collect(),
    };
    let e = &case.expect;
    let outcome = prepare(rs, &record)
        .map_err(|e| e.errors.iter().map(|f| f.to_string()).collect::<Vec<_>>())
        .and_then(|office| {
            let s = score(rs, &office, None).map_err(|e| vec![e.to_string()])?;
            if e.flags.is_some() || e.risk.is_some() {
                check_triage(rs, case, &record, &office, &mut failures);
            }
            Ok(s)
        });
    match (outcome, &e.error) {
        (Err(errors), Some(expected)) => {
            if !errors.iter().any(|m| m.contains(expected.as_str())) {
                failures.push(format!(
                    "expected an error containing {expected:?}, got: {}",
                    errors.join("; ")
                ));
            }
        }
        (Err(errors), None) => {
            failures.push(format!("the file was refused: {}", errors.join("; ")))
        }
        (Ok(s), Some(expected)) => failures.push(format!(
            "expected an error containing {expected:?}, but it scored {}",
            s.total
        )),
        (Ok(s), None) => {
            let mut cmp = |what: &str, got: Fixed, want: Fixed| {
                if got != want {
                    failures.push(format!("{what}: expected {want}, got {got}"));
                }
            };
            for (id, want) in &e.points {
                let i = rs.criterion_index(id).expect("checked at compile time");
                cmp(&format!("points of `{id}`"), s.points[i], *want);
            }
            for (id, want) in &e.contributions {
                let i = rs.criterion_index(id).expect("checked at compile time");
                cmp(
                    &format!("contribution of `{id}`"),
                    s.points[i].mul(rs.criteria[i].weight),
                    *want,
                );
            }
            for (id, want) in &e.penalties {
                let i = rs.penalty_index(id).expect("checked at compile time");
                cmp(&format!("penalty `{id}`"), s.penalties[i], *want);
            }
            if let Some(want) = e.total {
                cmp("total", s.total, want);
            }
            let non_filer = !case.filed
                && rs.grading.non_filers == crate::rules::model::NonFilerPolicy::LowestGrade;
            if let Some(want) = e.grade.filter(|_| non_filer) {
                if want != 3 {
                    failures.push(format!(
                        "grade: expected {want}, got 3 (the office did not file: lowest grade)"
                    ));
                }
            } else if let Some(want) = e.grade {
                match rs.grading.method {
                    GradeMethod::CutPoints { grade_1, grade_2 } => {
                        let got = if s.total >= grade_1 { 1 } else if s.total >= grade_2 { 2 } else { 3 };
                        if got != want {
                            failures.push(format!("grade: expected {want}, got {got} (total {})", s.total));
                        }
                    }
                    GradeMethod::Shares { .. } => failures.push(
                        "grade: this round grades by population shares, so one office's grade depends on the others; check the total instead".into(),
                    ),
                }
            }
        }
    }
    CaseResult {
        name: case.name.clone(),
        at: format!("{}:{}", case.file.display(), case.line),
        failures,
    }
}
