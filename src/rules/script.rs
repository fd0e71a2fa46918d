//! Rhai in the rule language: the sandbox, compilation, and lowering to native expressions.
//!
//! Formulas and script functions are compiled once. Those that use only arithmetic, comparisons,
//! `if`/`else`, `let`, `return` and `min`/`max`/`abs`/`clamp`/`floor`/`ceil`/`round` over declared
//! inputs are *lowered* into a native expression tree that follows Rhai's own semantics exactly
//! (integer and `Decimal` arithmetic, overflow and division errors) and runs without the
//! interpreter; property tests check the two agree. Anything else is interpreted by a sandboxed
//! Rhai engine (one per thread) with strict limits, so a runaway script fails its evaluation with a
//! clear error instead of hanging or exhausting memory: its operations and time are counted against
//! the [`Budget`](super::budget::Budget) entered on the thread, and built-ins whose cost grows with
//! their argument (`contains`, `==` on arrays, `sort`, `pad` …) charge for the work they do.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use rhai::{AST, ASTNode, Dynamic, Engine, EvalAltResult, Expr as RExpr, INT, Scope, Stmt};
use rust_decimal::{Decimal, RoundingStrategy};

use super::budget;
use super::ruleset::{InputDef, InputKind};
use super::value::Value;
use crate::domain::Fixed;

// Limits of the sandbox, chosen far above what any honest criterion needs. Operations and time
// are limited per evaluation by `super::budget`.
const MAX_CALL_LEVELS: usize = 32;
const MAX_EXPR_DEPTH: usize = 64;
const MAX_STRING: usize = 4_096;
const MAX_ARRAY: usize = 10_000;
const MAX_MAP: usize = 1_000;
const MAX_VARIABLES: usize = 256;

/// Functions scripts may not call even though a package defines them.
const FORBIDDEN: &[&str] = &["sleep", "eval", "print", "debug"];

/// Builds the one sandbox configuration used to compile and to run every script.
pub fn sandboxed_engine() -> Engine {
    use rhai::packages::{
        BasicArrayPackage, BasicMapPackage, BasicStringPackage, CorePackage, LogicPackage, Package,
    };
    let mut engine = Engine::new_raw();
    engine.register_global_module(CorePackage::new().as_shared_module());
    engine.register_global_module(LogicPackage::new().as_shared_module());
    engine.register_global_module(BasicArrayPackage::new().as_shared_module());
    engine.register_global_module(BasicMapPackage::new().as_shared_module());
    engine.register_global_module(BasicStringPackage::new().as_shared_module());
    engine
        // Counted by the budget instead, which also counts work done inside closures and charged
        // by costly built-ins (Rhai's own count misses both).
        .set_max_operations(0)
        .set_max_call_levels(MAX_CALL_LEVELS)
        .set_max_expr_depths(MAX_EXPR_DEPTH, MAX_EXPR_DEPTH)
        .set_max_string_size(MAX_STRING)
        .set_max_array_size(MAX_ARRAY)
        .set_max_map_size(MAX_MAP)
        .set_max_variables(MAX_VARIABLES)
        .set_max_functions(256)
        .set_strict_variables(true)
        .set_allow_looping(true)
        .set_fail_on_invalid_map_property(true)
        .set_optimization_level(rhai::OptimizationLevel::Simple);
    engine.disable_symbol("eval");
    engine.on_print(|_| {});
    engine.on_debug(|_, _, _| {});
    engine.on_progress(|_| budget::tick().then_some(Dynamic::UNIT));
    costly::register(&mut engine);
    engine.register_fn("sleep", |_: INT| -> Result<(), Box<EvalAltResult>> {
        Err("sleep is not allowed in rules".into())
    });
    register_math(&mut engine);
    engine
}

fn num_arg(d: &Dynamic) -> Option<NVal> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        Some(NVal::Int(i))
    } else {
        d.clone().try_cast::<Decimal>().map(NVal::Dec)
    }
}

fn to_dynamic(v: Result<NVal, String>) -> Result<Dynamic, Box<EvalAltResult>> {
    match v? {
        NVal::Int(i) => Ok(Dynamic::from(i)),
        NVal::Dec(d) => Ok(Dynamic::from(d)),
        NVal::Bool(b) => Ok(Dynamic::from(b)),
        NVal::Unit | NVal::Choice(_) => Ok(Dynamic::UNIT),
    }
}

/// Registers the math helpers with exactly the semantics the native evaluator uses.
fn register_math(engine: &mut Engine) {
    macro_rules! reg2 {
        ($name:literal, $func:expr) => {
            engine.register_fn($name, |a: Dynamic, b: Dynamic| {
                match (num_arg(&a), num_arg(&b)) {
                    (Some(x), Some(y)) => to_dynamic($func(x, y)),
                    _ => Err(format!("{} needs two numbers", $name).into()),
                }
            });
        };
    }
    macro_rules! reg1 {
        ($name:literal, $func:expr) => {
            engine.register_fn($name, |a: Dynamic| match num_arg(&a) {
                Some(x) => to_dynamic($func(x)),
                None => Err(format!("{} needs a number", $name).into()),
            });
        };
    }
    reg2!("min", |x, y| Ok(call_min(x, y)));
    reg2!("max", |x, y| Ok(call_max(x, y)));
    reg1!("abs", call_abs);
    reg1!("floor", |x| Ok(call_round(
        x,
        RoundingStrategy::ToNegativeInfinity
    )));
    reg1!("ceil", |x| Ok(call_round(
        x,
        RoundingStrategy::ToPositiveInfinity
    )));
    reg1!("round", |x| Ok(call_round(
        x,
        RoundingStrategy::MidpointAwayFromZero
    )));
    engine.register_fn("clamp", |x: Dynamic, lo: Dynamic, hi: Dynamic| {
        match (num_arg(&x), num_arg(&lo), num_arg(&hi)) {
            (Some(x), Some(lo), Some(hi)) => to_dynamic(Ok(call_clamp(x, lo, hi))),
            _ => Err("clamp needs three numbers".into()),
        }
    });
}

#[path = "script_costly.rs"]
mod costly;
#[path = "script_int.rs"]
mod int;
pub use int::IntNative;

// ---------------------------------------------------------------------------------------------
// Native values and operations, mirroring Rhai's built-in semantics.

/// A value inside a lowered expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NVal {
    Unit,
    Int(INT),
    Dec(Decimal),
    Bool(bool),
    Choice(u16),
}

fn dec(v: NVal) -> Decimal {
    match v {
        NVal::Int(i) => Decimal::from(i),
        NVal::Dec(d) => d,
        _ => Decimal::ZERO,
    }
}

fn call_min(x: NVal, y: NVal) -> NVal {
    match (x, y) {
        (NVal::Int(a), NVal::Int(b)) => NVal::Int(a.min(b)),
        _ => NVal::Dec(dec(x).min(dec(y))),
    }
}

fn call_max(x: NVal, y: NVal) -> NVal {
    match (x, y) {
        (NVal::Int(a), NVal::Int(b)) => NVal::Int(a.max(b)),
        _ => NVal::Dec(dec(x).max(dec(y))),
    }
}

fn call_clamp(x: NVal, lo: NVal, hi: NVal) -> NVal {
    call_max(lo, call_min(x, hi))
}

fn call_abs(x: NVal) -> Result<NVal, String> {
    match x {
        NVal::Int(a) => a
            .checked_abs()
            .map(NVal::Int)
            .ok_or_else(|| format!("Negation overflow: -{a}")),
        other => Ok(NVal::Dec(dec(other).abs())),
    }
}

fn call_round(x: NVal, strategy: RoundingStrategy) -> NVal {
    match x {
        NVal::Int(a) => NVal::Int(a),
        other => NVal::Dec(dec(other).round_dp_with_strategy(0, strategy)),
    }
}

/// Binary operators a lowered expression may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinOp {
    fn parse(name: &str) -> Option<BinOp> {
        Some(match name {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "%" => BinOp::Rem,
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            _ => return None,
        })
    }

    fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
        )
    }
}

fn binary(op: BinOp, x: NVal, y: NVal) -> Result<NVal, String> {
    use BinOp::*;
    match (x, y) {
        (NVal::Int(a), NVal::Int(b)) => Ok(match op {
            Add => NVal::Int(
                a.checked_add(b)
                    .ok_or_else(|| format!("Addition overflow: {a} + {b}"))?,
            ),
            Sub => NVal::Int(
                a.checked_sub(b)
                    .ok_or_else(|| format!("Subtraction overflow: {a} - {b}"))?,
            ),
            Mul => NVal::Int(
                a.checked_mul(b)
                    .ok_or_else(|| format!("Multiplication overflow: {a} * {b}"))?,
            ),
            Div if b == 0 => return Err(format!("Division by zero: {a} / {b}")),
            Div => NVal::Int(
                a.checked_div(b)
                    .ok_or_else(|| format!("Division overflow: {a} / {b}"))?,
            ),
            Rem if b == 0 => return Err(format!("Modulo division by zero: {a} % {b}")),
            Rem => NVal::Int(
                a.checked_rem(b)
                    .ok_or_else(|| format!("Modulo overflow: {a} % {b}"))?,
            ),
            Eq => NVal::Bool(a == b),
            Ne => NVal::Bool(a != b),
            Lt => NVal::Bool(a < b),
            Le => NVal::Bool(a <= b),
            Gt => NVal::Bool(a > b),
            Ge => NVal::Bool(a >= b),
        }),
        (NVal::Int(_) | NVal::Dec(_), NVal::Int(_) | NVal::Dec(_)) => {
            let (a, b) = (dec(x), dec(y));
            Ok(match op {
                Add => NVal::Dec(
                    a.checked_add(b)
                        .ok_or_else(|| format!("Addition overflow: {a} + {b}"))?,
                ),
                Sub => NVal::Dec(
                    a.checked_sub(b)
                        .ok_or_else(|| format!("Subtraction overflow: {a} - {b}"))?,
                ),
                Mul => NVal::Dec(
                    a.checked_mul(b)
                        .ok_or_else(|| format!("Multiplication overflow: {a} * {b}"))?,
                ),
                Div if b.is_zero() => return Err(format!("Division by zero: {a} / {b}")),
                Div => NVal::Dec(
                    a.checked_div(b)
                        .ok_or_else(|| format!("Division overflow: {a} / {b}"))?,
                ),
                Rem => NVal::Dec(
                    a.checked_rem(b)
                        .ok_or_else(|| format!("Modulo division by zero or overflow: {a} % {b}"))?,
                ),
                Eq => NVal::Bool(a == b),
                Ne => NVal::Bool(a != b),
                Lt => NVal::Bool(a < b),
                Le => NVal::Bool(a <= b),
                Gt => NVal::Bool(a > b),
                Ge => NVal::Bool(a >= b),
            })
        }
        (NVal::Bool(a), NVal::Bool(b)) if op == Eq => Ok(NVal::Bool(a == b)),
        (NVal::Bool(a), NVal::Bool(b)) if op == Ne => Ok(NVal::Bool(a != b)),
        _ => Err(format!("operator {op:?} cannot combine {x:?} and {y:?}")),
    }
}

/// A lowered expression: what a formula or script function compiles to when it needs no interpreter.
#[derive(Clone, Debug, PartialEq)]
pub enum Native {
    Const(NVal),
    /// The n-th argument (formula input or function parameter).
    Arg(u8),
    /// A local variable bound by `let`.
    Local(u8),
    /// `arg == "value"` (or `!=` when `negate`) on a choice input, compared by index.
    ChoiceIs {
        arg: u8,
        index: u16,
        negate: bool,
    },
    Neg(Box<Native>),
    Not(Box<Native>),
    Binary(BinOp, Box<Native>, Box<Native>),
    And(Vec<Native>),
    Or(Vec<Native>),
    If(Box<Native>, Box<Native>, Box<Native>),
    Min(Box<Native>, Box<Native>),
    Max(Box<Native>, Box<Native>),
    Clamp(Box<[Native; 3]>),
    Abs(Box<Native>),
    Round(Box<Native>, Rounding),
    /// Evaluate the value, bind it to the local, then evaluate the body.
    Let(u8, Box<Native>, Box<Native>),
}

/// Which rounding function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    Round,
}

const MAX_LOCALS: usize = 32;
/// The most inputs one formula or script function may read.
pub const MAX_ARGS: usize = 16;

impl Native {
    /// Evaluates with the given arguments.
    pub fn eval(&self, args: &[NVal]) -> Result<NVal, String> {
        let mut locals = [NVal::Unit; MAX_LOCALS];
        self.eval_in(args, &mut locals)
    }

    fn eval_in(&self, args: &[NVal], locals: &mut [NVal; MAX_LOCALS]) -> Result<NVal, String> {
        Ok(match self {
            Native::Const(v) => *v,
            Native::Arg(i) => args[*i as usize],
            Native::Local(i) => locals[*i as usize],
            Native::ChoiceIs { arg, index, negate } => match args[*arg as usize] {
                NVal::Choice(c) => NVal::Bool((c == *index) != *negate),
                other => return Err(format!("expected a choice, found {other:?}")),
            },
            Native::Neg(e) => match e.eval_in(args, locals)? {
                NVal::Int(i) => NVal::Int(
                    i.checked_neg()
                        .ok_or_else(|| format!("Negation overflow: -{i}"))?,
                ),
                NVal::Dec(d) => NVal::Dec(-d),
                other => return Err(format!("cannot negate {other:?}")),
            },
            Native::Not(e) => match e.eval_in(args, locals)? {
                NVal::Bool(b) => NVal::Bool(!b),
                other => return Err(format!("cannot negate {other:?}")),
            },
            Native::Binary(op, a, b) => {
                let x = a.eval_in(args, locals)?;
                let y = b.eval_in(args, locals)?;
                binary(*op, x, y)?
            }
            Native::And(items) => {
                for item in items {
                    match item.eval_in(args, locals)? {
                        NVal::Bool(true) => {}
                        NVal::Bool(false) => return Ok(NVal::Bool(false)),
                        other => return Err(format!("`&&` needs yes/no values, found {other:?}")),
                    }
                }
                NVal::Bool(true)
            }
            Native::Or(items) => {
                for item in items {
                    match item.eval_in(args, locals)? {
                        NVal::Bool(false) => {}
                        NVal::Bool(true) => return Ok(NVal::Bool(true)),
                        other => return Err(format!("`||` needs yes/no values, found {other:?}")),
                    }
                }
                NVal::Bool(false)
            }
            Native::If(c, t, e) => match c.eval_in(args, locals)? {
                NVal::Bool(true) => t.eval_in(args, locals)?,
                NVal::Bool(false) => e.eval_in(args, locals)?,
                other => return Err(format!("`if` needs a yes/no condition, found {other:?}")),
            },
            Native::Min(a, b) => call_min(
                num(a.eval_in(args, locals)?)?,
                num(b.eval_in(args, locals)?)?,
            ),
            Native::Max(a, b) => call_max(
                num(a.eval_in(args, locals)?)?,
                num(b.eval_in(args, locals)?)?,
            ),
            Native::Clamp(v) => {
                let x = num(v[0].eval_in(args, locals)?)?;
                let lo = num(v[1].eval_in(args, locals)?)?;
                let hi = num(v[2].eval_in(args, locals)?)?;
                call_clamp(x, lo, hi)
            }
            Native::Abs(a) => call_abs(num(a.eval_in(args, locals)?)?)?,
            Native::Round(a, r) => {
                let x = num(a.eval_in(args, locals)?)?;
                call_round(
                    x,
                    match r {
                        Rounding::Floor => RoundingStrategy::ToNegativeInfinity,
                        Rounding::Ceil => RoundingStrategy::ToPositiveInfinity,
                        Rounding::Round => RoundingStrategy::MidpointAwayFromZero,
                    },
                )
            }
            Native::Let(slot, value, body) => {
                locals[*slot as usize] = value.eval_in(args, locals)?;
                body.eval_in(args, locals)?
            }
        })
    }
}

fn num(v: NVal) -> Result<NVal, String> {
    match v {
        NVal::Int(_) | NVal::Dec(_) => Ok(v),
        other => Err(format!("expected a number, found {other:?}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Lowering: Rhai AST → Native

/// The static type of a lowered node, for the checks Rhai would only make at run time.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
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
}

/// Why an expression was not lowered.
#[derive(Debug, Clone, PartialEq)]
pub enum LowerError {
    /// Uses something the native form does not support: interpret it with Rhai instead.
    Unsupported(String),
    /// Always fails or is always wrong (e.g. comparing a yes/no value with a number): a diagnostic.
    Invalid(String),
}

/// What a lowering argument is: its name and the type of the input bound to it.
pub struct LowerArg<'a> {
    pub name: &'a str,
    pub input: &'a InputDef,
}

struct Lowerer<'a> {
    args: &'a [LowerArg<'a>],
    locals: Vec<(String, Ty)>,
}

type Lowered = Result<(Native, Ty), LowerError>;

fn unsupported<T>(what: impl Into<String>) -> Result<T, LowerError> {
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
                        return Err(LowerError::Invalid(format!(
                            "`&&` and `||` need yes/no values, found {}",
                            t.describe()
                        )));
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
                return Err(LowerError::Invalid(format!(
                    "`{name}` needs numbers, found {}",
                    t.describe()
                )));
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
                (_, t) => Err(LowerError::Invalid(format!(
                    "`{name}` cannot be applied to {}",
                    t.describe()
                ))),
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
                    return Err(LowerError::Invalid(format!(
                        "`{s}` is not a value of `{}`, so this comparison is always {}; {}",
                        self.args[*arg as usize].name,
                        op == BinOp::Ne,
                        super::diagnostic::suggestion(s, &names)
                    )));
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
            _ => Err(LowerError::Invalid(format!(
                "`{name}` cannot combine {} and {}",
                ta.describe(),
                tb.describe()
            ))),
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
                    return Err(LowerError::Invalid(format!(
                        "`if` needs a yes/no condition, found {}",
                        tc.describe()
                    )));
                }
                let then_returns = ends_in_return(flow.body.statements());
                let else_returns = ends_in_return(flow.branch.statements());
                if rest.is_empty() {
                    let (t, tt) = self.scoped(|l| l.block(flow.body.statements()))?;
                    let (e, te) = self.scoped(|l| l.block(flow.branch.statements()))?;
                    if (tt == Ty::Unit) != (te == Ty::Unit) {
                        return Err(LowerError::Invalid(
                            "an `if` without `else` gives no points when its condition is false: add `else { 0 }`".into(),
                        ));
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

fn ends_in_return(stmts: &[Stmt]) -> bool {
    matches!(stmts.last(), Some(Stmt::Return(..)))
}

fn join(a: Ty, b: Ty) -> Ty {
    if a == b {
        a
    } else if a == Ty::Unit {
        b
    } else {
        a
    }
}

// ---------------------------------------------------------------------------------------------
// Compiled scripts and programs

/// A compiled `.rhai` file of a round.
#[derive(Debug)]
pub struct ScriptFile {
    pub path: PathBuf,
    pub ast: AST,
}

/// All compiled scripts of a rule set.
#[derive(Debug, Default)]
pub struct Scripts {
    pub files: Vec<ScriptFile>,
}

/// A Rhai formula or script function bound to the inputs it reads.
#[derive(Debug)]
pub struct Program {
    pub source: ProgramSource,
    /// Input slots passed as arguments, in order.
    pub args: Vec<usize>,
    /// The lowered form, when the code needs no interpreter.
    native: Option<Native>,
    /// The integer form of `native`, when the program computes with integers, yes/no values and
    /// choices only: tried first, with `native` giving the error when it declines.
    int_form: Option<IntNative>,
}

/// Where a program's code lives.
#[derive(Debug)]
pub enum ProgramSource {
    /// A one-line formula; the AST evaluates it with the arguments in scope.
    Formula {
        text: String,
        ast: Arc<AST>,
        names: Vec<String>,
    },
    /// A function in one of the round's `.rhai` files.
    Function { file: usize, name: String },
}

impl Program {
    /// A program reading the inputs `args` (slots into `inputs`), with its lowered form if any.
    pub fn new(
        source: ProgramSource,
        args: Vec<usize>,
        native: Option<Native>,
        inputs: &[InputDef],
    ) -> Program {
        let int_form = native
            .as_ref()
            .and_then(|n| IntNative::of(n, &args, inputs));
        Program {
            source,
            args,
            native,
            int_form,
        }
    }

    /// The lowered form, when the code needs no interpreter.
    pub fn native(&self) -> Option<&Native> {
        self.native.as_ref()
    }

    /// Whether the program also runs over plain integers (see [`IntNative`]).
    pub fn has_int_form(&self) -> bool {
        self.int_form.is_some()
    }

    /// Drops the lowered forms, so every run interprets the script (to compare, in benches).
    pub fn force_interpreter(&mut self) {
        self.native = None;
        self.int_form = None;
    }

    pub fn is_formula(&self) -> bool {
        matches!(self.source, ProgramSource::Formula { .. })
    }

    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// Runs the program: natively when lowered, else in the thread's sandboxed engine.
    pub fn run(
        &self,
        scripts: &Scripts,
        inputs: &[InputDef],
        values: &[&Value],
    ) -> Result<Fixed, String> {
        if let Some(code) = &self.int_form
            && let Some(points) = self.run_int(code, inputs, values)
        {
            return int_points(points);
        }
        match &self.native {
            Some(native) => {
                let mut args = [NVal::Unit; MAX_ARGS];
                for (i, (slot, v)) in self.args.iter().zip(values).enumerate() {
                    args[i] = to_nval(&inputs[*slot], v);
                }
                let out = native.eval(&args[..self.args.len()])?;
                nval_points(out)
            }
            None => self.interpret(scripts, inputs, values),
        }
    }

    /// Runs the integer form; `None` when a value is not of its input's kind or the native form
    /// would fail (it then runs and says why).
    #[inline]
    fn run_int(&self, code: &IntNative, inputs: &[InputDef], values: &[&Value]) -> Option<i64> {
        let mut args = [0i64; MAX_ARGS];
        for ((arg, slot), v) in args.iter_mut().zip(&self.args).zip(values) {
            *arg = match (&inputs[*slot].kind, v) {
                (InputKind::Integer, Value::Number(n)) => n.to_int().unwrap_or_default(),
                (InputKind::Boolean, Value::Bool(b)) => *b as i64,
                (InputKind::Choice(_), Value::Choice(c)) => *c as i64,
                _ => return None,
            };
        }
        code.eval(&args[..self.args.len()])
    }

    /// Runs the program in Rhai even when a native form exists (for differential tests and benches).
    pub fn interpret(
        &self,
        scripts: &Scripts,
        inputs: &[InputDef],
        values: &[&Value],
    ) -> Result<Fixed, String> {
        let dyn_args: Vec<Dynamic> = self
            .args
            .iter()
            .zip(values)
            .map(|(slot, v)| to_dynamic_value(&inputs[*slot], v))
            .collect();
        if let Err(halt) = budget::begin() {
            return Err(halt.message());
        }
        let result = ENGINE.with(|engine| {
            let engine = engine.borrow();
            match &self.source {
                ProgramSource::Formula { ast, names, .. } => {
                    let mut scope = Scope::new();
                    for (name, v) in names.iter().zip(dyn_args) {
                        scope.push_dynamic(name.as_str(), v);
                    }
                    engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast)
                }
                ProgramSource::Function { file, name } => {
                    let mut scope = Scope::new();
                    let options = rhai::CallFnOptions::new()
                        .eval_ast(false)
                        .rewind_scope(true);
                    engine.call_fn_with_options::<Dynamic>(
                        options,
                        &mut scope,
                        &scripts.files[*file].ast,
                        name,
                        dyn_args,
                    )
                }
            }
        });
        let halt = budget::end(|| self.describe());
        match (result, halt) {
            (_, Some(halt)) => Err(halt.message()),
            (Ok(d), None) => dynamic_points(d),
            (Err(e), None) => Err(describe_eval_error(&e)),
        }
    }

    /// `script location_points` or `formula area_m2 * 2`, for messages.
    pub fn describe(&self) -> String {
        match &self.source {
            ProgramSource::Formula { text, .. } => format!("formula `{text}`"),
            ProgramSource::Function { name, .. } => format!("script `{name}`"),
        }
    }
}

thread_local! {
    static ENGINE: RefCell<Engine> = RefCell::new(sandboxed_engine());
}

fn describe_eval_error(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            format!("the script was stopped: {what} grew beyond the sandbox's limit")
        }
        EvalAltResult::ErrorStackOverflow(_) => {
            format!("the script was stopped: calls nested deeper than {MAX_CALL_LEVELS} levels")
        }
        other => other.to_string(),
    }
}

fn to_nval(def: &InputDef, v: &Value) -> NVal {
    match v {
        Value::Number(n) => match def.kind {
            InputKind::Integer => NVal::Int(n.to_int().unwrap_or_default()),
            _ => NVal::Dec(n.to_decimal()),
        },
        Value::Bool(b) => NVal::Bool(*b),
        Value::Choice(c) => NVal::Choice(*c),
        _ => NVal::Unit,
    }
}

/// The Rhai value a script sees for an input.
pub fn to_dynamic_value(def: &InputDef, v: &Value) -> Dynamic {
    match v {
        Value::Number(n) => match def.kind {
            InputKind::Integer => Dynamic::from(n.to_int().unwrap_or_default()),
            _ => Dynamic::from(n.to_decimal().normalize()),
        },
        Value::Bool(b) => Dynamic::from(*b),
        Value::Choice(c) => match &def.kind {
            InputKind::Choice(values) => Dynamic::from(values[*c as usize].name.clone()),
            _ => Dynamic::UNIT,
        },
        Value::Date(d) => Dynamic::from(d.to_string()),
        Value::Violations(list) => {
            let arr: rhai::Array = list
                .iter()
                .map(|v| {
                    let mut m = rhai::Map::new();
                    m.insert("kind".into(), Dynamic::from(v.kind.clone()));
                    m.insert(
                        "date".into(),
                        v.date
                            .map_or(Dynamic::UNIT, |d| Dynamic::from(d.to_string())),
                    );
                    Dynamic::from_map(m)
                })
                .collect();
            Dynamic::from_array(arr)
        }
    }
}

fn nval_points(v: NVal) -> Result<Fixed, String> {
    match v {
        NVal::Int(i) => int_points(i),
        NVal::Dec(d) => Fixed::from_decimal(d).map_err(|e| e.to_string()),
        NVal::Bool(_) => {
            Err("the script must give a number of points, it gave a yes/no value".into())
        }
        NVal::Unit | NVal::Choice(_) => {
            Err("the script must give a number of points, it gave nothing".into())
        }
    }
}

fn int_points(i: INT) -> Result<Fixed, String> {
    i.checked_mul(Fixed::SCALE)
        .map(Fixed::from_raw)
        .ok_or_else(|| format!("{i} points is out of range"))
}

fn dynamic_points(d: Dynamic) -> Result<Fixed, String> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        int_points(i)
    } else if let Some(x) = d.clone().try_cast::<Decimal>() {
        Fixed::from_decimal(x).map_err(|e| e.to_string())
    } else if d.is_bool() {
        Err("the script must give a number of points, it gave a yes/no value".into())
    } else if d.is_unit() {
        Err("the script must give a number of points, it gave nothing".into())
    } else {
        Err(format!(
            "the script must give a number of points, it gave a {}",
            d.type_name()
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Compilation helpers used by `compile`

/// A compile problem inside Rhai code: 1-based line and column within the code, and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptProblem {
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub hint: Option<String>,
}

/// Where Rhai code is written: a formula reads inputs by name, a script function only its parameters.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Code {
    Formula,
    File,
}

/// The problem to report for a parse error. Rhai checks names as it parses, so a syntax error
/// further on (a missing `}`) first shows as an undefined name: the code is parsed again without
/// that check, and a syntax error found then is the one reported.
fn problem_from_parse(
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
            message: format!("`{name}` is not a declared input"),
            hint: Some("declare it under `inputs:` or list it among the criterion's inputs".into()),
        },
        rhai::ParseErrorType::VariableUndefined(name) => ScriptProblem {
            line,
            column,
            message: format!("`{name}` is not defined here"),
            hint: Some(
                "a function sees only its parameters and the `let` variables set before this line; an input comes in as a parameter, listed in the criterion's `inputs:`"
                    .into(),
            ),
        },
        _ => match unclosed_brace(text).filter(|_| only_blank_after(text, line, column)) {
            Some((line, column)) => ScriptProblem {
                line,
                column,
                message: "syntax error: this `{` is never closed".into(),
                hint: Some("add the `}` that ends this block".into()),
            },
            None => ScriptProblem {
                line,
                column,
                message: format!("syntax error: {}", e.0),
                hint: None,
            },
        },
    }
}

/// Whether nothing but white space follows a place in the code (a parse error there means the
/// code ended too early).
fn only_blank_after(text: &str, line: u32, column: u32) -> bool {
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
fn unclosed_brace(text: &str) -> Option<(u32, u32)> {
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
fn unknown_calls(ast: &AST, known: &BTreeSet<String>) -> Vec<ScriptProblem> {
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
                    "rules may not pause, print or evaluate code".to_string()
                } else {
                    super::diagnostic::suggestion(name, &candidates)
                };
                problems.push(ScriptProblem {
                    line: pos.line().unwrap_or(1) as u32,
                    column: pos.position().unwrap_or(1) as u32,
                    message: format!("`{name}` is not a function the rules can call"),
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

/// Lowers a compiled formula to native code, if it uses only what the native form supports.
pub fn lower_formula(ast: &AST, args: &[LowerArg]) -> Result<Native, LowerError> {
    let mut l = Lowerer {
        args,
        locals: Vec::new(),
    };
    let (n, t) = l.block(ast.statements())?;
    check_points_type(t)?;
    Ok(n)
}

/// Lowers a script function whose parameters are bound to `args` in order.
pub fn lower_function(ast: &AST, name: &str, args: &[LowerArg]) -> Result<Native, LowerError> {
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
    };
    let (n, t) = l.block(&body)?;
    check_points_type(t)?;
    Ok(n)
}

fn check_points_type(t: Ty) -> Result<(), LowerError> {
    match t {
        Ty::Num | Ty::Unit => Ok(()),
        other => Err(LowerError::Invalid(format!(
            "the result must be a number of points, but it is {}",
            other.describe()
        ))),
    }
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
