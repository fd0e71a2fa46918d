//! Compiling scripts and formulas with problems reported in the rule language's words, at the
//! place to fix: syntax errors, unknown functions.

use std::collections::BTreeSet;

use rhai::{AST, ASTNode, Dynamic, Engine, Expr as RExpr, Scope, Stmt};

use super::sandbox::*;
use crate::domain::{Label, quoted};

/// A compile problem inside Rhai code: 1-based line and column within the code, and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptProblem {
    pub line: u32,
    pub column: u32,
    /// What is wrong, in both languages (Rhai's own wording only in the English).
    pub message: Label,
    /// What to do about it, in both languages.
    pub hint: Option<Label>,
}

/// Where Rhai code is written: a formula reads inputs by name, a script function only its parameters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Code {
    Formula,
    File,
}

/// The problem to report for a parse error. Rhai checks names as it parses, so a syntax error
/// further on (a missing `}`) first shows as an undefined name: the code is parsed again without
/// that check, and a syntax error found then is the one reported.
pub(super) fn problem_from_parse(
    e: rhai::ParseError,
    text: &str,
    code: Code,
    reparse: impl FnOnce(&Engine) -> Result<AST, rhai::ParseError>,
) -> ScriptProblem {
    let e = match e.0.as_ref() {
        rhai::ParseErrorType::VariableUndefined(_) => {
            let mut loose = sandboxed_engine();
            loose.set_strict_variables(false);
            reparse(&loose).err().unwrap_or(e)
        }
        _ => e,
    };
    let (line, column) = (
        e.1.line().unwrap_or(1) as u32,
        e.1.position().unwrap_or(1) as u32,
    );
    match e.0.as_ref() {
        rhai::ParseErrorType::VariableUndefined(name) if code == Code::Formula => ScriptProblem {
            line,
            column,
            message: Label::new(
                format!("{} در ورودی‌های دوره تعریف نشده است", quoted(name)),
                format!("`{name}` is not a declared input"),
            ),
            hint: Some(Label::new(
                "آن را زیر «inputs:» تعریف کنید یا در ورودی‌های معیار بنویسید",
                "declare it under `inputs:` or list it among the criterion's inputs",
            )),
        },
        rhai::ParseErrorType::VariableUndefined(name) => ScriptProblem {
            line,
            column,
            message: Label::new(
                format!("{} این جا تعریف نشده است", quoted(name)),
                format!("`{name}` is not defined here"),
            ),
            hint: Some(Label::new(
                "تابع تنها پارامترهای خود و متغیرهای «let» پیش از این سطر را می‌بیند؛ هر ورودی به شکل پارامتر می‌آید و در «inputs:» معیار نوشته می‌شود",
                "a function sees only its parameters and the `let` variables set before this line; an input comes in as a parameter, listed in the criterion's `inputs:`",
            )),
        },
        _ => match unclosed_brace(text).filter(|_| only_blank_after(text, line, column)) {
            Some((line, column)) => ScriptProblem {
                line,
                column,
                message: Label::new(
                    "خطای نگارش: آکولاد بازی که این جا آمده است هرگز بسته نمی‌شود",
                    "syntax error: this `{` is never closed",
                ),
                hint: Some(Label::new(
                    "آکولاد بستهٔ پایان این بخش را بیفزایید",
                    "add the `}` that ends this block",
                )),
            },
            None => ScriptProblem {
                line,
                column,
                message: Label::new(
                    "خطای نگارش «Rhai» (شرح انگلیسی آن از خود «Rhai» است)",
                    format!("syntax error: {}", e.0),
                ),
                hint: None,
            },
        },
    }
}

/// Whether nothing but white space follows a place in the code (a parse error there means the
/// code ended too early).
pub(super) fn only_blank_after(text: &str, line: u32, column: u32) -> bool {
    text.lines()
        .enumerate()
        .skip(line.saturating_sub(1) as usize)
        .all(|(i, row)| {
            let from = if i + 1 == line as usize {
                column.saturating_sub(1) as usize
            } else {
                0
            };
            row.chars().skip(from).all(char::is_whitespace)
        })
}

/// The `{` that a missing `}` belongs to, if the braces do not balance (1-based line and column).
/// Indentation tells which: a `}` that starts a line closes the block opened on a line indented
/// like it, so a block whose `}` turns up less indented than its opening line is the unclosed one.
pub(super) fn unclosed_brace(text: &str) -> Option<(u32, u32)> {
    let mut open: Vec<(u32, u32, usize)> = Vec::new();
    let mut suspect = None;
    let mut in_block_comment = false;
    for (l, row) in text.lines().enumerate() {
        let chars: Vec<char> = row.chars().collect();
        let indent = chars.iter().take_while(|c| c.is_whitespace()).count();
        let mut quote: Option<char> = None;
        let mut i = 0;
        while i < chars.len() {
            let (c, next) = (chars[i], chars.get(i + 1).copied());
            if in_block_comment {
                if c == '*' && next == Some('/') {
                    in_block_comment = false;
                    i += 1;
                }
            } else if let Some(q) = quote {
                if c == '\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            } else {
                match (c, next) {
                    ('/', Some('/')) => break,
                    ('/', Some('*')) => {
                        in_block_comment = true;
                        i += 1;
                    }
                    ('"' | '\'' | '`', _) => quote = Some(c),
                    ('{', _) => open.push((l as u32 + 1, i as u32 + 1, indent)),
                    ('}', _) => {
                        if let Some((line, column, opened_at)) = open.pop()
                            && i == indent
                            && opened_at > indent
                            && suspect.is_none()
                        {
                            suspect = Some((line, column));
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
    }
    let innermost = open.last().map(|(line, column, _)| (*line, *column));
    innermost.map(|last| suspect.unwrap_or(last))
}

/// The names of every function the sandbox offers.
pub fn known_functions(engine: &Engine) -> BTreeSet<String> {
    engine
        .gen_fn_signatures(true)
        .into_iter()
        .filter_map(|sig| {
            let name = sig
                .split('(')
                .next()?
                .trim()
                .trim_start_matches("fn ")
                .to_string();
            (!name.is_empty()).then_some(name)
        })
        .filter(|n| !FORBIDDEN.contains(&n.as_str()))
        .filter(|n| n.starts_with(|c: char| c.is_alphabetic()) && !n.contains('$'))
        .collect()
}

/// Every call in the AST to a function that neither the sandbox nor the script defines.
pub(super) fn unknown_calls(ast: &AST, known: &BTreeSet<String>) -> Vec<ScriptProblem> {
    let own: BTreeSet<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
    let mut problems = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        let call = match path.last() {
            Some(ASTNode::Expr(RExpr::FnCall(call, pos))) => Some((call, *pos)),
            Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => Some((call, *pos)),
            Some(ASTNode::Expr(RExpr::MethodCall(call, pos))) => Some((call, *pos)),
            _ => None,
        };
        if let Some((call, pos)) = call {
            let name = call.name.as_str();
            let is_op = call.is_operator_call()
                || !name.starts_with(|c: char| c.is_alphabetic() || c == '_');
            if !is_op && !own.contains(name) && !known.contains(name) {
                let candidates: Vec<&str> =
                    known.iter().chain(own.iter()).map(String::as_str).collect();
                let hint = if FORBIDDEN.contains(&name) {
                    Label::new(
                        "قواعد نمی‌توانند درنگ کنند، چیزی چاپ کنند یا برنامه‌ای را اجرا کنند",
                        "rules may not pause, print or evaluate code",
                    )
                } else {
                    crate::rules::diagnostic::suggest(name, &candidates)
                };
                problems.push(ScriptProblem {
                    line: pos.line().unwrap_or(1) as u32,
                    column: pos.position().unwrap_or(1) as u32,
                    message: Label::new(
                        format!("{} تابعی نیست که قواعد بتوانند به کار ببرند", quoted(name)),
                        format!("`{name}` is not a function the rules can call"),
                    ),
                    hint: Some(hint),
                });
            }
        }
        true
    });
    problems
}

/// Compiles a one-line formula over the named inputs.
pub fn compile_formula(
    engine: &Engine,
    known: &BTreeSet<String>,
    text: &str,
    names: &[String],
) -> Result<AST, Vec<ScriptProblem>> {
    let mut scope = Scope::new();
    for name in names {
        scope.push_dynamic(name.as_str(), Dynamic::UNIT);
    }
    let ast = engine
        .compile_expression_with_scope(&scope, text)
        .map_err(|e| {
            vec![problem_from_parse(e, text, Code::Formula, |loose| {
                loose.compile_expression_with_scope(&scope, text)
            })]
        })?;
    let unknown = unknown_calls(&ast, known);
    if unknown.is_empty() {
        Ok(ast)
    } else {
        Err(unknown)
    }
}

/// Compiles a `.rhai` file.
pub fn compile_file(
    engine: &Engine,
    known: &BTreeSet<String>,
    text: &str,
) -> Result<AST, Vec<ScriptProblem>> {
    let ast = engine.compile(text).map_err(|e| {
        vec![problem_from_parse(e, text, Code::File, |loose| {
            loose.compile(text)
        })]
    })?;
    let unknown = unknown_calls(&ast, known);
    if unknown.is_empty() {
        Ok(ast)
    } else {
        Err(unknown)
    }
}
