//! Criteria scored by a formula: a Rhai expression over the round's inputs, lowered to native code
//! when it can be.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use super::super::declared::Names;
use super::super::{Ctx, Hint, num};
use super::Env;
use crate::rules::diagnostic::Position;
use crate::rules::ruleset::{Rule, Source};

use crate::rules::script::{self, LowerArg, LowerError, Program, ProgramSource};
use crate::rules::yaml::Located;

/// Compiles a formula criterion: its inputs are the input names it mentions.
pub(super) fn compile(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    text: &Located<String>,
) -> Option<(Rule, Vec<usize>)> {
    compile_code(cx, env, file, text, &text.value, 0).map(|program| {
        let reads = program.args.clone();
        (Rule::Program(program), reads)
    })
}

/// Compiles a review flag's condition: true raises the flag. It runs as the formula
/// `if (<condition>) { 1 } else { 0 }`, so it is sandboxed and lowered like any formula, and its
/// problems are reported at their place in the condition as written.
pub(super) fn compile_condition(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    text: &Located<String>,
) -> Option<Program> {
    const OPEN: &str = "if (";
    let code = format!("{OPEN}{}) {{ 1 }} else {{ 0 }}", text.value);
    compile_code(cx, env, file, text, &code, OPEN.len() as u32)
}

/// Compiles `code`, which is `text` with `shift` characters before it (problems are reported at
/// their place in `text`).
fn compile_code(
    cx: &mut Ctx,
    env: &Env,
    file: &Path,
    text: &Located<String>,
    code: &str,
    shift: u32,
) -> Option<Program> {
    let reads = formula_inputs(code, env.input_names);
    let unloaded = unloaded_names(
        code,
        env.input_names,
        &env.declared.inputs,
        &env.scripts.known,
    );
    if !unloaded.is_empty() {
        // It reads inputs that did not load (each has its own diagnostic): check only
        // that the formula itself can be read.
        let mut names: Vec<String> = reads.iter().map(|i| env.inputs[*i].name.clone()).collect();
        names.extend(unloaded);
        if let Err(problems) =
            script::compile_formula(&env.scripts.engine, &env.scripts.known, code, &names)
        {
            formula_problems(cx, env.source, file, text, problems, shift);
        }
        return None;
    }
    if reads.len() > script::MAX_ARGS {
        cx.error(
            file,
            text,
            format!(
                "the formula reads {} inputs; at most {} are allowed",
                reads.len(),
                script::MAX_ARGS
            ),
            format!(
                "این فرمول {} ورودی می‌خواند؛ حداکثر {} ورودی رواست",
                num(reads.len()),
                num(script::MAX_ARGS)
            ),
        )
        .hint(
            "split it into several criteria, or move it into a script function",
            "آن را به چند معیار بشکنید، یا به تابعی در برنامهٔ «Rhai» ببرید",
        );
        return None;
    }
    let names: Vec<String> = reads.iter().map(|i| env.inputs[*i].name.clone()).collect();
    match script::compile_formula(&env.scripts.engine, &env.scripts.known, code, &names) {
        Ok(ast) => {
            let lower_args: Vec<LowerArg> = reads
                .iter()
                .map(|i| LowerArg {
                    name: &env.inputs[*i].name,
                    input: &env.inputs[*i],
                })
                .collect();
            let (native, locals) = match script::lower_formula_named(&ast, &lower_args) {
                Ok((n, locals)) => (Some(n), locals),
                Err(LowerError::Unsupported(_)) => (None, Vec::new()),
                Err(LowerError::Invalid(msg)) => {
                    cx.error(file, text, msg.en, format!("در این فرمول: {}", msg.fa));
                    (None, Vec::new())
                }
            };
            let program = Program::new(
                ProgramSource::Formula {
                    text: code.to_string(),
                    ast: Arc::new(ast),
                    names,
                },
                reads.clone(),
                native,
                env.inputs,
            )
            .with_local_names(locals);
            Some(program)
        }
        Err(problems) => {
            formula_problems(cx, env.source, file, text, problems, shift);
            None
        }
    }
}

/// Reports problems inside a formula at their place in the YAML file.
fn formula_problems(
    cx: &mut Ctx,
    source: &Source,
    file: &Path,
    text: &Located<String>,
    problems: Vec<script::ScriptProblem>,
    shift: u32,
) {
    // Columns inside the formula are counted from its first character, after any quote.
    let quoted = source_char(source, &source.dir, file, text.line, text.column)
        .is_some_and(|c| c == '"' || c == '\'');
    for p in problems {
        let col = text.column + quoted as u32 + p.column.saturating_sub(1 + shift);
        let d = cx.error_at(
            Position::new(file, text.line, col),
            format!("in the formula: {}", p.message.en),
            format!("در این فرمول: {}", p.message.fa),
        );
        if let Some(h) = p.hint {
            d.hint_label(h);
        }
    }
}

/// Rhai's keywords and literals, which a formula's words may include.
const RHAI_WORDS: &[&str] = &[
    "if", "else", "let", "const", "true", "false", "return", "fn", "while", "for", "in", "loop",
    "do", "until", "break", "continue", "switch", "throw", "try", "catch", "this", "global",
];

/// Names a formula mentions that may be inputs which did not load: declared but not compiled,
/// or anything unknown when a file with inputs could not be read.
fn unloaded_names(
    text: &str,
    loaded: &[&str],
    declared: &Names,
    functions: &BTreeSet<String>,
) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| t.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        .filter(|t| !loaded.contains(t) && !functions.contains(*t) && !RHAI_WORDS.contains(t))
        .filter(|t| declared.unknown || declared.names.contains(*t))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The character at a line and column of a source file (for locating text inside quotes).
fn source_char(source: &Source, dir: &Path, file: &Path, line: u32, column: u32) -> Option<char> {
    let f = source.files.iter().find(|f| dir.join(&f.path) == file)?;
    f.text
        .lines()
        .nth(line.checked_sub(1)? as usize)?
        .chars()
        .nth(column.checked_sub(1)? as usize)
}

/// Input names a formula mentions, in declaration order (identifiers not declared are left to
/// Rhai's strict-variable check, which reports them with a position).
fn formula_inputs(text: &str, names: &[&str]) -> Vec<usize> {
    let mut found = BTreeSet::new();
    for token in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if let Some(i) = names.iter().position(|n| *n == token) {
            found.insert(i);
        }
    }
    found.into_iter().collect()
}
