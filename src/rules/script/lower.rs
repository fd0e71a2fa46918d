//! Lowering: a Rhai AST into the native tree, when it uses only what the tree can do.

use rhai::{AST, ASTNode, Expr as RExpr, INT, Stmt};
use rust_decimal::Decimal;

use super::native::*;
use crate::domain::{Label, quoted};
use crate::rules::ruleset::{InputDef, InputKind};

/// The static type of a lowered node, for the checks Rhai would only make at run time.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Ty {
    Num,
    Bool,
    Choice(u8),
    Str(String),
    Unit,
}

impl Ty {
    fn describe(&self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::Bool => "a yes/no value",
            Ty::Choice(_) => "a choice",
            Ty::Str(_) => "a text",
            Ty::Unit => "nothing",
        }
    }

    /// [`Ty::describe`] in Persian.
    fn describe_fa(&self) -> &'static str {
        match self {
            Ty::Num => "عدد",
            Ty::Bool => "مقدار بله/خیر",
            Ty::Choice(_) => "گزینه",
            Ty::Str(_) => "متن",
            Ty::Unit => "هیچ",
        }
    }
}

/// A lowering problem in English and Persian.
fn invalid<T>(en: String, fa: String) -> Result<T, LowerError> {
    Err(LowerError::Invalid(Label::new(fa, en)))
}

/// Why an expression was not lowered.
#[derive(Debug, Clone, PartialEq)]
pub enum LowerError {
    /// Uses something the native form does not support: interpret it with Rhai instead.
    Unsupported(String),
    /// Always fails or is always wrong (e.g. comparing a yes/no value with a number): a diagnostic,
    /// in both languages.
    Invalid(Label),
}

/// What a lowering argument is: its name and the type of the input bound to it.
pub struct LowerArg<'a> {
    pub name: &'a str,
    pub input: &'a InputDef,
}

pub(super) struct Lowerer<'a> {
    args: &'a [LowerArg<'a>],
    locals: Vec<(String, Ty)>,
    /// Each local's name by slot (kept after its scope ends, for explanations).
    names: Vec<String>,
}

pub(super) type Lowered = Result<(Native, Ty), LowerError>;

pub(super) fn unsupported<T>(what: impl Into<String>) -> Result<T, LowerError> {
    Err(LowerError::Unsupported(what.into()))
}

impl<'a> Lowerer<'a> {
    fn expr(&mut self, e: &RExpr) -> Lowered {
        match e {
            RExpr::IntegerConstant(i, _) => Ok((Native::Const(NVal::Int(*i)), Ty::Num)),
            RExpr::BoolConstant(b, _) => Ok((Native::Const(NVal::Bool(*b)), Ty::Bool)),
            RExpr::StringConstant(s, _) => Ok((Native::Const(NVal::Unit), Ty::Str(s.to_string()))),
            RExpr::Unit(_) => Ok((Native::Const(NVal::Unit), Ty::Unit)),
            RExpr::DynamicConstant(d, _) => {
                if let Some(x) = d.clone().try_cast::<Decimal>() {
                    Ok((Native::Const(NVal::Dec(x)), Ty::Num))
                } else if let Some(i) = d.clone().try_cast::<INT>() {
                    Ok((Native::Const(NVal::Int(i)), Ty::Num))
                } else if let Some(b) = d.clone().try_cast::<bool>() {
                    Ok((Native::Const(NVal::Bool(b)), Ty::Bool))
                } else {
                    unsupported(format!("constant of type {}", d.type_name()))
                }
            }
            RExpr::Variable(x, _, _) => {
                let name = x.1.as_str();
                if let Some(pos) = self.locals.iter().rposition(|(n, _)| n == name) {
                    return Ok((Native::Local(pos as u8), self.locals[pos].1.clone()));
                }
                let Some(i) = self.args.iter().position(|a| a.name == name) else {
                    return unsupported(format!("variable `{name}`"));
                };
                let ty = match &self.args[i].input.kind {
                    InputKind::Integer | InputKind::Decimal => Ty::Num,
                    InputKind::Boolean => Ty::Bool,
                    InputKind::Choice(_) => Ty::Choice(i as u8),
                    other => return unsupported(format!("{} input `{name}`", other.name())),
                };
                Ok((Native::Arg(i as u8), ty))
            }
            RExpr::And(items, _) | RExpr::Or(items, _) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    let (n, t) = self.expr(item)?;
                    if t != Ty::Bool {
                        return invalid(
                            format!("`&&` and `||` need yes/no values, found {}", t.describe()),
                            format!(
                                "«&&» و «||» مقدار بله/خیر می‌خواهند ولی {} آمده است",
                                t.describe_fa()
                            ),
                        );
                    }
                    out.push(n);
                }
                Ok((
                    if matches!(e, RExpr::And(..)) {
                        Native::And(out)
                    } else {
                        Native::Or(out)
                    },
                    Ty::Bool,
                ))
            }
            RExpr::Stmt(block) => self.block(block.statements()),
            RExpr::FnCall(call, _) => self.call(call),
            other => unsupported(format!("expression {:?}", std::mem::discriminant(other))),
        }
    }

    fn call(&mut self, call: &rhai::FnCallExpr) -> Lowered {
        let name = call.name.as_str();
        let args: Vec<&RExpr> = call.args.iter().collect();
        if call.is_operator_call()
            || (args.len() <= 2 && BinOp::parse(name).is_some())
            || name == "!"
        {
            return self.operator(name, &args);
        }
        let mut lowered = Vec::with_capacity(args.len());
        for a in &args {
            let (n, t) = self.expr(a)?;
            if t != Ty::Num {
                return invalid(
                    format!("`{name}` needs numbers, found {}", t.describe()),
                    format!(
                        "{} عدد می‌خواهد ولی {} آمده است",
                        quoted(name),
                        t.describe_fa()
                    ),
                );
            }
            lowered.push(n);
        }
        let boxed = |n: Native| Box::new(n);
        let mut it = lowered.into_iter();
        let node = match (name, args.len()) {
            ("min", 2) => Native::Min(boxed(it.next().unwrap()), boxed(it.next().unwrap())),
            ("max", 2) => Native::Max(boxed(it.next().unwrap()), boxed(it.next().unwrap())),
            ("abs", 1) => Native::Abs(boxed(it.next().unwrap())),
            ("floor", 1) => Native::Round(boxed(it.next().unwrap()), Rounding::Floor),
            ("ceil", 1) => Native::Round(boxed(it.next().unwrap()), Rounding::Ceil),
            ("round", 1) => Native::Round(boxed(it.next().unwrap()), Rounding::Round),
            ("clamp", 3) => {
                let v: Vec<Native> = it.collect();
                let arr: [Native; 3] = v.try_into().expect("three arguments");
                Native::Clamp(Box::new(arr))
            }
            _ => return unsupported(format!("function `{name}` with {} arguments", args.len())),
        };
        Ok((node, Ty::Num))
    }

    fn operator(&mut self, name: &str, args: &[&RExpr]) -> Lowered {
        if args.len() == 1 {
            let (n, t) = self.expr(args[0])?;
            return match (name, t) {
                ("-", Ty::Num) => Ok((Native::Neg(Box::new(n)), Ty::Num)),
                ("+", Ty::Num) => Ok((n, Ty::Num)),
                ("!", Ty::Bool) => Ok((Native::Not(Box::new(n)), Ty::Bool)),
                (_, t) => invalid(
                    format!("`{name}` cannot be applied to {}", t.describe()),
                    format!(
                        "{} را نمی‌توان بر {} به کار برد",
                        quoted(name),
                        t.describe_fa()
                    ),
                ),
            };
        }
        let Some(op) = BinOp::parse(name) else {
            return unsupported(format!("operator `{name}`"));
        };
        if args.len() != 2 {
            return unsupported(format!("operator `{name}` with {} operands", args.len()));
        }
        let (a, ta) = self.expr(args[0])?;
        let (b, tb) = self.expr(args[1])?;
        match (&ta, &tb) {
            (Ty::Num, Ty::Num) => Ok((
                Native::Binary(op, Box::new(a), Box::new(b)),
                if op.is_arithmetic() {
                    Ty::Num
                } else {
                    Ty::Bool
                },
            )),
            (Ty::Bool, Ty::Bool) if matches!(op, BinOp::Eq | BinOp::Ne) => {
                Ok((Native::Binary(op, Box::new(a), Box::new(b)), Ty::Bool))
            }
            (Ty::Choice(arg), Ty::Str(s)) | (Ty::Str(s), Ty::Choice(arg))
                if matches!(op, BinOp::Eq | BinOp::Ne) =>
            {
                let InputKind::Choice(values) = &self.args[*arg as usize].input.kind else {
                    unreachable!("Ty::Choice comes from a choice input")
                };
                let Some(index) = values.iter().position(|v| v.name == *s) else {
                    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
                    let hint = crate::rules::diagnostic::suggest(s, &names);
                    let arg_name = &self.args[*arg as usize].name;
                    return invalid(
                        format!(
                            "`{s}` is not a value of `{arg_name}`, so this comparison is always {}; {}",
                            op == BinOp::Ne,
                            hint.en
                        ),
                        format!(
                            "{} از مقدارهای {} نیست، پس این مقایسه همیشه {} است؛ {}",
                            quoted(s),
                            quoted(arg_name),
                            if op == BinOp::Ne {
                                "درست"
                            } else {
                                "نادرست"
                            },
                            hint.fa
                        ),
                    );
                };
                Ok((
                    Native::ChoiceIs {
                        arg: *arg,
                        index: index as u16,
                        negate: op == BinOp::Ne,
                    },
                    Ty::Bool,
                ))
            }
            (Ty::Str(_), _) | (_, Ty::Str(_)) | (Ty::Choice(_), _) | (_, Ty::Choice(_))
                if op == BinOp::Add =>
            {
                unsupported("text concatenation")
            }
            _ => invalid(
                format!(
                    "`{name}` cannot combine {} and {}",
                    ta.describe(),
                    tb.describe()
                ),
                format!(
                    "{} نمی‌تواند {} و {} را با هم به کار ببرد",
                    quoted(name),
                    ta.describe_fa(),
                    tb.describe_fa()
                ),
            ),
        }
    }

    /// A block's value: `let` bindings, `if` with early `return`, and a final expression.
    fn block(&mut self, stmts: &[Stmt]) -> Lowered {
        let Some((first, rest)) = stmts.split_first() else {
            return Ok((Native::Const(NVal::Unit), Ty::Unit));
        };
        match first {
            Stmt::Var(x, _, _) => {
                let (name, value, _) = x.as_ref();
                let (v, t) = self.expr(value)?;
                if self.locals.len() >= MAX_LOCALS {
                    return unsupported("too many local variables");
                }
                let slot = self.locals.len() as u8;
                self.locals.push((name.name.to_string(), t));
                self.names.push(name.name.to_string());
                let (body, tb) = self.block(rest)?;
                // Rhai's scope keeps the variable to the end of the block; so do we.
                Ok((Native::Let(slot, Box::new(v), Box::new(body)), tb))
            }
            Stmt::Return(Some(e), _, _) => self.expr(e),
            Stmt::Return(None, _, _) => Ok((Native::Const(NVal::Unit), Ty::Unit)),
            Stmt::Expr(e) if rest.is_empty() => self.expr(e),
            Stmt::FnCall(call, _) if rest.is_empty() => self.call(call),
            Stmt::Block(b) if rest.is_empty() => self.scoped(|l| l.block(b.statements())),
            Stmt::If(flow, _) => {
                let (c, tc) = self.expr(&flow.expr)?;
                if tc != Ty::Bool {
                    return invalid(
                        format!("`if` needs a yes/no condition, found {}", tc.describe()),
                        format!("«if» شرط بله/خیر می‌خواهد ولی {} آمده است", tc.describe_fa()),
                    );
                }
                let then_returns = ends_in_return(flow.body.statements());
                let else_returns = ends_in_return(flow.branch.statements());
                if rest.is_empty() {
                    let (t, tt) = self.scoped(|l| l.block(flow.body.statements()))?;
                    let (e, te) = self.scoped(|l| l.block(flow.branch.statements()))?;
                    if (tt == Ty::Unit) != (te == Ty::Unit) {
                        return invalid(
                            "an `if` without `else` gives no points when its condition is false: add `else { 0 }`".into(),
                            "«if» بی «else» وقتی شرطش نادرست است امتیازی نمی‌دهد: «else { 0 }» را بیفزایید".into(),
                        );
                    }
                    return Ok((
                        Native::If(Box::new(c), Box::new(t), Box::new(e)),
                        join(tt, te),
                    ));
                }
                match (then_returns, else_returns) {
                    (true, _) if flow.branch.statements().is_empty() => {
                        let (t, tt) = self.scoped(|l| l.block(flow.body.statements()))?;
                        let (e, te) = self.block(rest)?;
                        Ok((
                            Native::If(Box::new(c), Box::new(t), Box::new(e)),
                            join(tt, te),
                        ))
                    }
                    _ => unsupported("`if` statement followed by more statements"),
                }
            }
            Stmt::Noop(_) => self.block(rest),
            _ => unsupported("statement"),
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self) -> Lowered) -> Lowered {
        let depth = self.locals.len();
        let r = f(self);
        // Slots must stay unique across sibling blocks, so only names go out of scope.
        for local in &mut self.locals[depth..] {
            local.0 = String::from("\u{0}");
        }
        r
    }
}

pub(super) fn ends_in_return(stmts: &[Stmt]) -> bool {
    matches!(stmts.last(), Some(Stmt::Return(..)))
}

pub(super) fn join(a: Ty, b: Ty) -> Ty {
    if a == b {
        a
    } else if a == Ty::Unit {
        b
    } else {
        a
    }
}

/// Lowers a compiled formula to native code, if it uses only what the native form supports.
pub fn lower_formula(ast: &AST, args: &[LowerArg]) -> Result<Native, LowerError> {
    lower_formula_named(ast, args).map(|(n, _)| n)
}

/// Like [`lower_formula`], with the name of each local by slot.
pub fn lower_formula_named(
    ast: &AST,
    args: &[LowerArg],
) -> Result<(Native, Vec<String>), LowerError> {
    let mut l = Lowerer {
        args,
        locals: Vec::new(),
        names: Vec::new(),
    };
    let (n, t) = l.block(ast.statements())?;
    check_points_type(t)?;
    Ok((n, l.names))
}

/// Lowers a script function whose parameters are bound to `args` in order.
pub fn lower_function(ast: &AST, name: &str, args: &[LowerArg]) -> Result<Native, LowerError> {
    lower_function_named(ast, name, args).map(|(n, _)| n)
}

/// Like [`lower_function`], with the name of each local by slot.
pub fn lower_function_named(
    ast: &AST,
    name: &str,
    args: &[LowerArg],
) -> Result<(Native, Vec<String>), LowerError> {
    // The function body type is not exported by Rhai; walking an AST that holds only this
    // function yields its top-level statements in order.
    let arity = args.len();
    let only = ast.clone_functions_only_filtered(|_, _, _, n, a| n == name && a == arity);
    if only.iter_functions().next().is_none() {
        return Err(LowerError::Unsupported(format!("function `{name}`")));
    }
    let mut body: Vec<Stmt> = Vec::new();
    only.walk(&mut |path: &[ASTNode]| {
        if let [ASTNode::Stmt(s)] = path {
            body.push((*s).clone());
        }
        true
    });
    let mut l = Lowerer {
        args,
        locals: Vec::new(),
        names: Vec::new(),
    };
    let (n, t) = l.block(&body)?;
    check_points_type(t)?;
    Ok((n, l.names))
}

pub(super) fn check_points_type(t: Ty) -> Result<(), LowerError> {
    match t {
        Ty::Num | Ty::Unit => Ok(()),
        other => invalid(
            format!(
                "the result must be a number of points, but it is {}",
                other.describe()
            ),
            format!(
                "نتیجه باید عددی از امتیاز باشد ولی {} است",
                other.describe_fa()
            ),
        ),
    }
}
