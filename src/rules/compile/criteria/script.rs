//! Criteria scored by a function of one of the round's Rhai script files.

use std::path::Path;

use super::super::{Ctx, Hint, num};
use super::Env;
use crate::domain::quoted;
use crate::rules::diagnostic::suggest;
use crate::rules::model::ScriptSpec;
use crate::rules::ruleset::Rule;
use crate::rules::script::{self, LowerArg, LowerError, Program, ProgramSource};

/// Compiles a script criterion: the function named, called with the inputs listed.
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    s: &ScriptSpec,
) -> Option<(Rule, Vec<usize>)> {
    let mut reads = Vec::new();
    for name in &s.inputs {
        if let Some(i) = env.resolve(cx, file, name) {
            reads.push(i);
        }
    }
    if reads.len() != s.inputs.len() {
        return None;
    }
    if reads.len() > script::MAX_ARGS {
        cx.error(
            file,
            &s.function,
            format!(
                "a script function may read at most {} inputs; this one reads {}",
                script::MAX_ARGS,
                reads.len()
            ),
            format!(
                "تابع برنامه حداکثر {} ورودی می‌خواند؛ این یکی {} ورودی می‌خواند",
                num(script::MAX_ARGS),
                num(reads.len())
            ),
        );
        return None;
    }
    let Some(file_index) = env.scripts.names.iter().position(|n| *n == s.file.value) else {
        if !env.scripts.files.iter().any(|f| f.path == s.file.value) {
            let names: Vec<&str> = env.scripts.files.iter().map(|f| f.path.as_str()).collect();
            cx.error(
                file,
                &s.file,
                format!("there is no script file `{}` in the round", s.file.value),
                format!(
                    "پروندهٔ برنامه‌ای به نام {} در این دوره نیست",
                    quoted(&s.file.value)
                ),
            )
            .hint_label(suggest(&s.file, &names));
        }
        return None;
    };
    let ast = &env.scripts.scripts.files[file_index].ast;
    let Some(def) = ast.iter_functions().find(|f| f.name == s.function.value) else {
        let names: Vec<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        cx.error(
            file,
            &s.function,
            format!("`{}` has no function `{}`", s.file.value, s.function.value),
            format!(
                "{} تابعی به نام {} ندارد",
                quoted(&s.file.value),
                quoted(&s.function.value)
            ),
        )
        .hint_label(suggest(&s.function, &names));
        return None;
    };
    if def.params.len() != reads.len() {
        cx.error(
            file,
            &s.function,
            format!(
                "`{}` takes {} parameters but the criterion passes {} inputs",
                s.function.value,
                def.params.len(),
                reads.len()
            ),
            format!(
                "{} {} پارامتر می‌گیرد ولی معیار {} ورودی به آن می‌دهد",
                quoted(&s.function.value),
                num(def.params.len()),
                num(reads.len())
            ),
        );
        return None;
    }
    let params: Vec<String> = def.params.iter().map(|p| p.to_string()).collect();
    let lower_args: Vec<LowerArg> = params
        .iter()
        .zip(&reads)
        .map(|(p, i)| LowerArg {
            name: p,
            input: &env.inputs[*i],
        })
        .collect();
    let (native, locals) = match script::lower_function_named(ast, &s.function.value, &lower_args) {
        Ok((n, locals)) => (Some(n), locals),
        Err(LowerError::Unsupported(_)) => (None, Vec::new()),
        Err(LowerError::Invalid(msg)) => {
            cx.error(
                file,
                &s.function,
                format!("in `{}`: {}", s.function.value, msg.en),
                format!("در {}: {}", quoted(&s.function.value), msg.fa),
            );
            (None, Vec::new())
        }
    };
    let program = Program::new(
        ProgramSource::Function {
            file: file_index,
            name: s.function.value.clone(),
        },
        reads.clone(),
        native,
        env.inputs,
    )
    .with_local_names(locals);
    Some((Rule::Program(program), reads))
}
