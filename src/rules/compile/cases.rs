//! A round's own rule tests (`tests/*.yaml`): offices with the scores they must get.

use std::path::Path;

use crate::domain::{Fixed, Label, quoted};
use crate::rules::diagnostic::suggest;
use crate::rules::model::*;
use crate::rules::ruleset::*;
use crate::rules::yaml::{Item, Located, OrderedMap};

use super::declared::Names;
use super::{Ctx, Hint, In, fa};

/// Compiles every case of every test file.
pub(super) fn compile_all(
    cx: &mut Ctx,
    files: Vec<In<TestFile>>,
    criteria: (&[&str], &Names),
    penalties: (&[String], &Names),
    (flags, declared_flags): (&[&str], &Names),
    (inputs, declared_inputs): (&[&str], &Names),
) -> Vec<TestCase> {
    let mut tests = Vec::new();
    for In { file, value: t } in files {
        for case in t.cases.into_iter().filter_map(Item::ok) {
            let mut test = compile_test(cx, &file, case, criteria, penalties);
            test.1.expect.flags = test.0.flags.as_ref().map(|given| {
                given
                    .iter()
                    .filter(|id| {
                        let known = flags.contains(&id.value.as_str());
                        if !known && declared_flags.lacks(id) {
                            cx.error(
                                &file,
                                *id,
                                format!("`{}` is not a review flag", id.value),
                                format!("{} نشانهٔ بررسی این دوره نیست", quoted(&id.value)),
                            )
                            .hint_label(suggest(id, flags));
                        }
                        known
                    })
                    .map(|id| id.value.clone())
                    .collect()
            });
            test.1.expect.risk = test.0.risk.map(|r| r.value);
            test.1.peers = test
                .0
                .peers
                .0
                .iter()
                .filter(|(name, _)| {
                    let known = inputs.contains(&name.value.as_str());
                    if !known && declared_inputs.lacks(name) {
                        cx.error(
                            &file,
                            name,
                            format!("`{}` is not a declared input", name.value),
                            format!("{} در ورودی‌های دوره تعریف نشده است", quoted(&name.value)),
                        )
                        .hint_label(suggest(name, inputs));
                    }
                    known
                })
                .map(|(name, p)| {
                    (
                        name.value.clone(),
                        p.value.median,
                        p.value.mad,
                        p.value.mean_ad,
                    )
                })
                .collect();
            if let Some((_, p)) = test
                .0
                .peers
                .0
                .iter()
                .find(|(_, p)| p.value.mad < Fixed::ZERO || p.value.mean_ad < Fixed::ZERO)
            {
                cx.error(
                    &file,
                    p,
                    format!(
                        "a MAD or mean deviation cannot be negative ({}, {})",
                        p.value.mad, p.value.mean_ad
                    ),
                    format!(
                        "میانهٔ انحراف مطلق و میانگین انحراف نمی‌توانند منفی باشند ({}، {})",
                        fa(p.value.mad),
                        fa(p.value.mean_ad)
                    ),
                )
                .hint(
                    "the median absolute deviation is 0 or more",
                    "میانهٔ انحراف مطلق ۰ یا بیشتر است",
                );
            }
            tests.push(test.1);
        }
    }
    tests
}

/// What a case expects of the review flags, and its peers, read before the rest is compiled.
struct ReviewPart {
    flags: Option<Vec<Located<String>>>,
    risk: Option<Located<Fixed>>,
    peers: OrderedMap<Located<PeerSpec>>,
}

/// `criteria` and `penalties` are the loaded names and every declared one.
fn compile_test(
    cx: &mut Ctx,
    file: &Path,
    case: TestCaseSpec,
    (criteria, declared_criteria): (&[&str], &Names),
    (penalties, declared_penalties): (&[String], &Names),
) -> (ReviewPart, TestCase) {
    let mut e = case.expect.value;
    let review = ReviewPart {
        flags: e.flags.take(),
        risk: e.risk.take(),
        peers: case.peers,
    };
    let criterion = Label::new("معیار", "criterion");
    let penalty = Label::new("جریمهٔ", "penalty");
    let mut check = |names: &OrderedMap<Located<Fixed>>,
                     known: &[&str],
                     declared: &Names,
                     what: &Label|
     -> Vec<(String, Fixed)> {
        names
            .0
            .iter()
            .filter_map(|(k, v)| {
                if known.contains(&k.value.as_str()) {
                    Some((k.value.clone(), v.value))
                } else {
                    if declared.lacks(k) {
                        cx.error(
                            file,
                            k,
                            format!("`{}` is not a {}", k.value, what.en),
                            format!("{} {} این دوره نیست", quoted(&k.value), what.fa),
                        )
                        .hint_label(suggest(k, known));
                    }
                    None
                }
            })
            .collect()
    };
    let penalty_names: Vec<&str> = penalties.iter().map(String::as_str).collect();
    let expect = Expectation {
        points: check(&e.points, criteria, declared_criteria, &criterion),
        contributions: check(&e.contributions, criteria, declared_criteria, &criterion),
        penalties: check(&e.penalties, &penalty_names, declared_penalties, &penalty),
        total: e.total.map(|t| t.value),
        grade: e.grade.map(|g| g.value),
        error: e.error.map(|x| x.value),
        flags: None,
        risk: None,
    };
    let case = TestCase {
        file: file.to_path_buf(),
        line: case.name.line,
        name: case.name.value,
        kind: case.kind,
        filed: case.filed.unwrap_or(true),
        inputs: case
            .inputs
            .0
            .into_iter()
            .map(|(k, v)| (k.value, v))
            .collect(),
        previous: case
            .previous
            .0
            .into_iter()
            .map(|(k, v)| (k.value, v))
            .collect(),
        peers: Vec::new(),
        expect,
    };
    (review, case)
}
