//! Criteria: the common checks (id, weight, maximum points, office kinds, one way of scoring),
//! then one file per way of scoring — `bands`, `linear`, `lookup`, `formula`, `script`.

mod bands;
mod formula;
mod linear;
mod lookup;
mod script;

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use super::declared::Declared;
use super::{Ctx, Hint, In, check_id, fa, kinds, num};
use crate::domain::{Fixed, quoted};
use crate::rules::diagnostic::{Position, suggest};
use crate::rules::model::CriterionSpec;
use crate::rules::ruleset::{Criterion, InputDef, InputKind, KindSet, Rule, Source, SourceFile};
use crate::rules::script::{ScriptFile, Scripts};
use crate::rules::yaml::Located;

/// The round's Rhai script files, compiled once in one sandboxed engine.
pub(super) struct CompiledScripts<'s> {
    pub engine: rhai::Engine,
    /// Every function a script or formula may call.
    pub known: BTreeSet<String>,
    /// The files that compiled.
    pub scripts: Scripts,
    /// The names of the files that compiled, in the order of `scripts.files`.
    pub names: Vec<String>,
    /// Every script file of the round, including those that did not compile.
    pub files: Vec<&'s SourceFile>,
}

/// Compiles every script file of the round, reporting each problem at its line.
pub(super) fn compile_scripts<'s>(
    cx: &mut Ctx,
    source: &Source,
    rhai_files: Vec<&'s SourceFile>,
) -> CompiledScripts<'s> {
    let engine = crate::rules::script::sandboxed_engine();
    let known = crate::rules::script::known_functions(&engine);
    let mut scripts = Scripts::default();
    let mut names: Vec<String> = Vec::new();
    for f in &rhai_files {
        let path = source.dir.join(&f.path);
        match crate::rules::script::compile_file(&engine, &known, &f.text) {
            Ok(ast) => {
                scripts.files.push(ScriptFile {
                    path: path.clone(),
                    ast,
                });
                names.push(f.path.clone());
            }
            Err(problems) => {
                for p in problems {
                    let d = cx.error_at(
                        Position::new(&path, p.line, p.column),
                        p.message.en,
                        format!("در برنامهٔ {}: {}", quoted(&f.path), p.message.fa),
                    );
                    if let Some(h) = p.hint {
                        d.hint_label(h);
                    }
                }
            }
        }
    }
    CompiledScripts {
        engine,
        known,
        scripts,
        names,
        files: rhai_files,
    }
}

/// What a criterion may refer to: the round's inputs and scripts.
pub(super) struct Env<'a> {
    pub source: &'a Source,
    pub inputs: &'a [InputDef],
    pub input_names: &'a [&'a str],
    pub declared: &'a Declared,
    pub scripts: &'a CompiledScripts<'a>,
    pub kinds_in_round: KindSet,
}

impl Env<'_> {
    /// The index of a loaded input; reports a name that is certainly not declared.
    pub(super) fn resolve(
        &self,
        cx: &mut Ctx,
        file: &Path,
        name: &Located<String>,
    ) -> Option<usize> {
        let found = self.input_names.iter().position(|n| *n == name.value);
        // An input declared but not loaded has its own diagnostic.
        if found.is_none() && self.declared.inputs.lacks(name) {
            cx.error(
                file,
                name,
                format!("`{}` is not a declared input", name.value),
                format!("{} در ورودی‌های دوره تعریف نشده است", quoted(&name.value)),
            )
            .hint_label(suggest(name, self.input_names));
        }
        found
    }
}

/// Compiles every criterion that has no problem of its own.
pub(super) fn compile(cx: &mut Ctx, env: &Env, criteria: &[In<CriterionSpec>]) -> Vec<Criterion> {
    let mut compiled = Vec::new();
    let mut ids = HashSet::new();
    for In { file, value: c } in criteria {
        if !ids.insert(c.id.value.clone()) {
            cx.error(
                file,
                &c.id,
                format!("criterion `{}` is defined twice", *c.id),
                format!("معیار {} دو بار تعریف شده است", quoted(&c.id.value)),
            );
        }
        let applies_to = check_common(cx, env, file, c);
        let Some((rule, reads)) = compile_rule(cx, env, file, c) else {
            continue;
        };
        compiled.push(Criterion {
            id: c.id.value.clone(),
            label: c.label.clone(),
            clause: c.clause.as_ref().map(|c| c.value.clone()),
            weight: *c.weight,
            max_points: *c.max_points,
            applies_to,
            rule,
            reads,
        });
    }
    compiled
}

/// Checks what every criterion has: a valid id, weight and maximum, and office kinds of the round.
fn check_common(cx: &mut Ctx, env: &Env, file: &Path, c: &CriterionSpec) -> KindSet {
    check_id(cx, file, &c.id);
    if c.weight.value < Fixed::ZERO || c.weight.value > Fixed::from_int(100) {
        cx.error(
            file,
            &c.weight,
            format!("weight {} is out of range", *c.weight),
            format!("وزن {} بیرون از بازهٔ مجاز است", fa(*c.weight)),
        )
        .hint(
            "weights run from 0 to 100; use a penalty for negative points",
            "وزن از ۰ تا ۱۰۰ است؛ برای امتیاز منفی جریمه تعریف کنید",
        );
    }
    if c.max_points.value <= Fixed::ZERO || c.max_points.value > Fixed::from_int(1000) {
        cx.error(
            file,
            &c.max_points,
            format!("max_points {} is out of range", *c.max_points),
            format!(
                "{} برابر {} بیرون از بازهٔ مجاز است",
                quoted("max_points"),
                fa(*c.max_points)
            ),
        )
        .hint(
            "max_points must be above 0 and at most 1000",
            format!(
                "{} باید بیشتر از ۰ و حداکثر ۱۰۰۰ باشد",
                quoted("max_points")
            ),
        );
    }
    kinds(cx, file, c.applies_to.as_ref(), env.kinds_in_round)
}

/// The criterion's one way of scoring, compiled; `None` when it has a problem (reported).
fn compile_rule(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    c: &CriterionSpec,
) -> Option<(Rule, Vec<usize>)> {
    let given = [
        c.bands.is_some(),
        c.linear.is_some(),
        c.lookup.is_some(),
        c.formula.is_some(),
        c.script.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        cx.error(
            file,
            &c.id,
            format!(
                "criterion `{}` must have exactly one of bands, linear, lookup, formula or script ({given} given)",
                *c.id
            ),
            format!(
                "معیار {} باید دقیقاً یکی از «bands»، «linear»، «lookup»، «formula» یا «script» را داشته باشد ({} تا نوشته شده است)",
                quoted(&c.id.value),
                num(given)
            ),
        )
        .hint(
            "each criterion scores one way; split it into two criteria if it needs two",
            "هر معیار به یک روش امتیاز می‌دهد؛ اگر دو روش لازم است آن را دو معیار کنید",
        );
        return None;
    }
    let max = *c.max_points;
    if let Some(b) = &c.bands {
        bands::compile(cx, env, file, b, max)
    } else if let Some(l) = &c.linear {
        linear::compile(cx, env, file, l, max)
    } else if let Some(l) = &c.lookup {
        lookup::compile(cx, env, file, l, max)
    } else if let Some(text) = &c.formula {
        formula::compile(cx, env, file, text)
    } else if let Some(s) = &c.script {
        script::compile(cx, env, file, s)
    } else {
        None
    }
}

/// A review flag's Rhai condition, compiled like a formula criterion (see `formula`).
pub(super) fn compile_condition(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    text: &Located<String>,
) -> Option<crate::rules::script::Program> {
    formula::compile_condition(cx, env, file, text)
}

/// Reports an input that is not a number (bands, linear, and review flags that compare numbers).
pub(super) fn numeric(cx: &mut Ctx, file: &Path, name: &Located<String>, def: &InputDef) {
    if !matches!(def.kind, InputKind::Integer | InputKind::Decimal) {
        cx.error(
            file,
            name,
            format!(
                "`{}` is {}, but this needs a number",
                def.name,
                def.kind.name()
            ),
            format!(
                "ورودی {} از گونهٔ {} است ولی این جا عدد لازم است",
                quoted(&def.name),
                def.kind.name_fa()
            ),
        )
        .hint(
            "bands and linear criteria read integer or decimal inputs; use lookup for choices",
            "معیارهای «bands» و «linear» ورودی عدد صحیح یا اعشاری می‌خوانند؛ برای گزینه‌ها «lookup» را به کار ببرید",
        );
    }
}
