//! Criteria scored by a function of one of the round's Rhai script files.

use std::path::Path;

use super::super::{Ctx, Hint};
use super::Env;
use crate::rules::diagnostic::suggestion;
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
                "a script function may read at most {} inputs",
                script::MAX_ARGS
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
            )
            .hint(suggestion(&s.file, &names));
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
        )
        .hint(suggestion(&s.function, &names));
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
                format!("in `{}`: {msg}", s.function.value),
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
