//! Rule tests: the cases under a round's `tests/` that policy staff write to check their own edits.

use serde::Serialize;

use super::office::{OfficeRecord, Raw, prepare};
use super::score::score;
use super::triage::{MIN_PEERS, Spread, assess};
use crate::domain::{Fixed, OfficeId, RegionId, quoted};
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
    /// The same failures in Persian, one for each of `failures` (identifiers inside «»).
    #[serde(skip)]
    pub failures_fa: Vec<String>,
}

/// A case's failures as they are found, each in English and Persian.
#[derive(Default)]
struct Failures {
    en: Vec<String>,
    fa: Vec<String>,
}

impl Failures {
    fn push(&mut self, en: String, fa: String) {
        self.en.push(en);
        self.fa.push(fa);
    }
}

/// A number or a list of ids in Persian digits.
fn p(x: impl std::fmt::Display) -> String {
    crate::domain::digits::to_persian_number(&x.to_string())
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
    failures: &mut Failures,
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
            let why_fa: Vec<String> = t
                .flags
                .iter()
                .map(|f| format!("{}: {}", quoted(&f.id), f.why.fa))
                .collect();
            let ids = |ids: &[&str]| ids.iter().map(quoted).collect::<Vec<_>>().join("، ");
            failures.push(
                format!(
                    "flags: expected [{}], got [{}]{}",
                    want.join(", "),
                    got.join(", "),
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", why.join("; "))
                    }
                ),
                format!(
                    "نشانه‌ها: انتظار [{}] بود ولی [{}] برافراشته شد{}",
                    ids(&want),
                    ids(&got),
                    if why_fa.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", why_fa.join("؛ "))
                    }
                ),
            );
        }
    }
    if let Some(want) = case.expect.risk
        && t.risk != want
    {
        failures.push(
            format!("risk: expected {want}, got {}", t.risk),
            format!("خطر: انتظار {} بود ولی {} شد", p(want), p(t.risk)),
        );
    }
}

fn run_case(rs: &RuleSet, case: &TestCase) -> CaseResult {
    let mut failures = Failures::default();
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
        .map_err(|e| {
            e.errors
                .iter()
                .map(|f| {
                    (
                        f.to_string(),
                        format!("{}: {}", quoted(&f.field), f.message.fa),
                    )
                })
                .collect::<Vec<_>>()
        })
        .and_then(|office| {
            let s = score(rs, &office, None).map_err(|e| {
                vec![(
                    e.to_string(),
                    format!(
                        "امتیاز معیار {} حساب نشد: اجرای برنامه خطا داد",
                        quoted(&e.criterion)
                    ),
                )]
            })?;
            if e.flags.is_some() || e.risk.is_some() {
                check_triage(rs, case, &record, &office, &mut failures);
            }
            Ok(s)
        });
    match (outcome, &e.error) {
        (Err(errors), Some(expected)) => {
            if !errors.iter().any(|(m, _)| m.contains(expected.as_str())) {
                let (en, fa): (Vec<String>, Vec<String>) = errors.into_iter().unzip();
                failures.push(
                    format!(
                        "expected an error containing {expected:?}, got: {}",
                        en.join("; ")
                    ),
                    format!(
                        "انتظار خطایی با {} بود ولی این خطا آمد: {}",
                        quoted(expected),
                        fa.join("؛ ")
                    ),
                );
            }
        }
        (Err(errors), None) => {
            let (en, fa): (Vec<String>, Vec<String>) = errors.into_iter().unzip();
            failures.push(
                format!("the file was refused: {}", en.join("; ")),
                format!("پرونده پذیرفته نشد: {}", fa.join("؛ ")),
            )
        }
        (Ok(s), Some(expected)) => failures.push(
            format!(
                "expected an error containing {expected:?}, but it scored {}",
                s.total
            ),
            format!(
                "انتظار خطایی با {} بود ولی امتیاز {} داده شد",
                quoted(expected),
                p(s.total)
            ),
        ),
        (Ok(s), None) => {
            let mut cmp = |(what, what_fa): (String, String), got: Fixed, want: Fixed| {
                if got != want {
                    failures.push(
                        format!("{what}: expected {want}, got {got}"),
                        format!("{what_fa}: انتظار {} بود ولی {} شد", p(want), p(got)),
                    );
                }
            };
            for (id, want) in &e.points {
                let i = rs.criterion_index(id).expect("checked at compile time");
                cmp(
                    (
                        format!("points of `{id}`"),
                        format!("امتیاز {}", quoted(id)),
                    ),
                    s.points[i],
                    *want,
                );
            }
            for (id, want) in &e.contributions {
                let i = rs.criterion_index(id).expect("checked at compile time");
                cmp(
                    (
                        format!("contribution of `{id}`"),
                        format!("سهم {} در جمع", quoted(id)),
                    ),
                    s.points[i].mul(rs.criteria[i].weight),
                    *want,
                );
            }
            for (id, want) in &e.penalties {
                let i = rs.penalty_index(id).expect("checked at compile time");
                cmp(
                    (format!("penalty `{id}`"), format!("جریمهٔ {}", quoted(id))),
                    s.penalties[i],
                    *want,
                );
            }
            if let Some(want) = e.total {
                cmp(("total".into(), "جمع امتیاز".into()), s.total, want);
            }
            let non_filer = !case.filed
                && rs.grading.non_filers == crate::rules::model::NonFilerPolicy::LowestGrade;
            if let Some(want) = e.grade.filter(|_| non_filer) {
                if want != 3 {
                    failures.push(
                        format!(
                            "grade: expected {want}, got 3 (the office did not file: lowest grade)"
                        ),
                        format!(
                            "درجه: انتظار {} بود ولی ۳ شد (دفتر خوداظهاری نکرده است: پایین‌ترین درجه)",
                            p(want)
                        ),
                    );
                }
            } else if let Some(want) = e.grade {
                match rs.grading.method {
                    GradeMethod::CutPoints { grade_1, grade_2 } => {
                        let got = if s.total >= grade_1 { 1 } else if s.total >= grade_2 { 2 } else { 3 };
                        if got != want {
                            failures.push(
                                format!("grade: expected {want}, got {got} (total {})", s.total),
                                format!(
                                    "درجه: انتظار {} بود ولی {} شد (جمع امتیاز {})",
                                    p(want),
                                    p(got),
                                    p(s.total)
                                ),
                            );
                        }
                    }
                    GradeMethod::Shares { .. } => failures.push(
                        "grade: this round grades by population shares, so one office's grade depends on the others; check the total instead".into(),
                        "درجه: این دوره با سهم جمعیت درجه می‌دهد، پس درجهٔ هر دفتر به دفترهای دیگر بستگی دارد؛ به جای آن جمع امتیاز را بیازمایید".into(),
                    ),
                }
            }
        }
    }
    CaseResult {
        name: case.name.clone(),
        at: format!("{}:{}", case.file.display(), case.line),
        failures: failures.en,
        failures_fa: failures.fa,
    }
}
