//! A round's own rule tests (`tests/*.yaml`): offices with the scores they must get.

use std::path::Path;

use crate::domain::Fixed;
use crate::rules::diagnostic::suggestion;
use crate::rules::model::*;
use crate::rules::ruleset::*;
use crate::rules::yaml::{Item, Located, OrderedMap};

use super::declared::Names;
use super::{Ctx, Hint, In};

/// Compiles every case of every test file.
pub(super) fn compile_all(
    cx: &mut Ctx,
    files: Vec<In<TestFile>>,
    criteria: (&[&str], &Names),
    penalties: (&[String], &Names),
) -> Vec<TestCase> {
    let mut tests = Vec::new();
    for In { file, value: t } in files {
        for case in t.cases.into_iter().filter_map(Item::ok) {
            tests.push(compile_test(cx, &file, case, criteria, penalties));
        }
    }
    tests
}

/// `criteria` and `penalties` are the loaded names and every declared one.
fn compile_test(
    cx: &mut Ctx,
    file: &Path,
    case: TestCaseSpec,
    (criteria, declared_criteria): (&[&str], &Names),
    (penalties, declared_penalties): (&[String], &Names),
) -> TestCase {
    let e = case.expect.value;
    let mut check = |names: &OrderedMap<Located<Fixed>>,
                     known: &[&str],
                     declared: &Names,
                     what: &str|
     -> Vec<(String, Fixed)> {
        names
            .0
            .iter()
            .filter_map(|(k, v)| {
                if known.contains(&k.value.as_str()) {
                    Some((k.value.clone(), v.value))
                } else {
                    if declared.lacks(k) {
                        cx.error(file, k, format!("`{}` is not a {what}", k.value))
                            .hint(suggestion(k, known));
                    }
                    None
                }
            })
            .collect()
    };
    let penalty_names: Vec<&str> = penalties.iter().map(String::as_str).collect();
    let expect = Expectation {
        points: check(&e.points, criteria, declared_criteria, "criterion"),
        contributions: check(&e.contributions, criteria, declared_criteria, "criterion"),
        penalties: check(&e.penalties, &penalty_names, declared_penalties, "penalty"),
        total: e.total.map(|t| t.value),
        grade: e.grade.map(|g| g.value),
        error: e.error.map(|x| x.value),
    };
    TestCase {
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
        expect,
    }
}
