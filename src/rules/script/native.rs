//! The native expression tree a lowered formula or script runs as, and its values and
//! operations, mirroring Rhai's built-in semantics.

use rhai::INT;
use rust_decimal::{Decimal, RoundingStrategy};

/// A value inside a lowered expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NVal {
    Unit,
    Int(INT),
    Dec(Decimal),
    Bool(bool),
    Choice(u16),
}

pub(super) fn dec(v: NVal) -> Decimal {
    match v {
        NVal::Int(i) => Decimal::from(i),
        NVal::Dec(d) => d,
        _ => Decimal::ZERO,
    }
}

pub(super) fn call_min(x: NVal, y: NVal) -> NVal {
    match (x, y) {
        (NVal::Int(a), NVal::Int(b)) => NVal::Int(a.min(b)),
        _ => NVal::Dec(dec(x).min(dec(y))),
    }
}

pub(super) fn call_max(x: NVal, y: NVal) -> NVal {
    match (x, y) {
        (NVal::Int(a), NVal::Int(b)) => NVal::Int(a.max(b)),
        _ => NVal::Dec(dec(x).max(dec(y))),
    }
}

pub(super) fn call_clamp(x: NVal, lo: NVal, hi: NVal) -> NVal {
    call_max(lo, call_min(x, hi))
}

pub(super) fn call_abs(x: NVal) -> Result<NVal, String> {
    match x {
        NVal::Int(a) => a
            .checked_abs()
            .map(NVal::Int)
            .ok_or_else(|| format!("Negation overflow: -{a}")),
        other => Ok(NVal::Dec(dec(other).abs())),
    }
}

pub(super) fn call_round(x: NVal, strategy: RoundingStrategy) -> NVal {
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
    /// The operator as written in Rhai.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
        }
    }

    pub(super) fn parse(name: &str) -> Option<BinOp> {
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

    pub(super) fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
        )
    }
}

pub(super) fn binary(op: BinOp, x: NVal, y: NVal) -> Result<NVal, String> {
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

/// Sees a lowered program run: the values `let` binds and the branches taken (for explanations).
/// `()` sees nothing and costs nothing.
pub trait Watch {
    /// Local `slot` was bound to `value`.
    fn bound(&mut self, slot: u8, value: NVal);
    /// An `if` on `condition` took its first branch (`true`) or its `else`.
    fn branch(&mut self, condition: &Native, taken: bool);
}

impl Watch for () {
    #[inline(always)]
    fn bound(&mut self, _: u8, _: NVal) {}
    #[inline(always)]
    fn branch(&mut self, _: &Native, _: bool) {}
}

/// Which rounding function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    Round,
}

pub(super) const MAX_LOCALS: usize = 32;
/// The most inputs one formula or script function may read.
pub const MAX_ARGS: usize = 16;

impl Native {
    /// Evaluates with the given arguments.
    pub fn eval(&self, args: &[NVal]) -> Result<NVal, String> {
        let mut locals = [NVal::Unit; MAX_LOCALS];
        self.eval_in(args, &mut locals, &mut ())
    }

    /// Evaluates like [`Native::eval`], telling `watch` each `let` bound and each branch taken.
    pub fn eval_watched(&self, args: &[NVal], watch: &mut impl Watch) -> Result<NVal, String> {
        let mut locals = [NVal::Unit; MAX_LOCALS];
        self.eval_in(args, &mut locals, watch)
    }

    // Long on purpose: one arm per node of the tree, each mirroring one Rhai operation.
    fn eval_in<W: Watch>(
        &self,
        args: &[NVal],
        locals: &mut [NVal; MAX_LOCALS],
        watch: &mut W,
    ) -> Result<NVal, String> {
        Ok(match self {
            Native::Const(v) => *v,
            Native::Arg(i) => args[*i as usize],
            Native::Local(i) => locals[*i as usize],
            Native::ChoiceIs { arg, index, negate } => match args[*arg as usize] {
                NVal::Choice(c) => NVal::Bool((c == *index) != *negate),
                other => return Err(format!("expected a choice, found {other:?}")),
            },
            Native::Neg(e) => match e.eval_in(args, locals, watch)? {
                NVal::Int(i) => NVal::Int(
                    i.checked_neg()
                        .ok_or_else(|| format!("Negation overflow: -{i}"))?,
                ),
                NVal::Dec(d) => NVal::Dec(-d),
                other => return Err(format!("cannot negate {other:?}")),
            },
            Native::Not(e) => match e.eval_in(args, locals, watch)? {
                NVal::Bool(b) => NVal::Bool(!b),
                other => return Err(format!("cannot negate {other:?}")),
            },
            Native::Binary(op, a, b) => {
                let x = a.eval_in(args, locals, watch)?;
                let y = b.eval_in(args, locals, watch)?;
                binary(*op, x, y)?
            }
            Native::And(items) => {
                for item in items {
                    match item.eval_in(args, locals, watch)? {
                        NVal::Bool(true) => {}
                        NVal::Bool(false) => return Ok(NVal::Bool(false)),
                        other => return Err(format!("`&&` needs yes/no values, found {other:?}")),
                    }
                }
                NVal::Bool(true)
            }
            Native::Or(items) => {
                for item in items {
                    match item.eval_in(args, locals, watch)? {
                        NVal::Bool(false) => {}
                        NVal::Bool(true) => return Ok(NVal::Bool(true)),
                        other => return Err(format!("`||` needs yes/no values, found {other:?}")),
                    }
                }
                NVal::Bool(false)
            }
            Native::If(c, t, e) => match c.eval_in(args, locals, watch)? {
                NVal::Bool(true) => {
                    watch.branch(c, true);
                    t.eval_in(args, locals, watch)?
                }
                NVal::Bool(false) => {
                    watch.branch(c, false);
                    e.eval_in(args, locals, watch)?
                }
                other => return Err(format!("`if` needs a yes/no condition, found {other:?}")),
            },
            Native::Min(a, b) => call_min(
                num(a.eval_in(args, locals, watch)?)?,
                num(b.eval_in(args, locals, watch)?)?,
            ),
            Native::Max(a, b) => call_max(
                num(a.eval_in(args, locals, watch)?)?,
                num(b.eval_in(args, locals, watch)?)?,
            ),
            Native::Clamp(v) => {
                let x = num(v[0].eval_in(args, locals, watch)?)?;
                let lo = num(v[1].eval_in(args, locals, watch)?)?;
                let hi = num(v[2].eval_in(args, locals, watch)?)?;
                call_clamp(x, lo, hi)
            }
            Native::Abs(a) => call_abs(num(a.eval_in(args, locals, watch)?)?)?,
            Native::Round(a, r) => {
                let x = num(a.eval_in(args, locals, watch)?)?;
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
                locals[*slot as usize] = value.eval_in(args, locals, watch)?;
                watch.bound(*slot, locals[*slot as usize]);
                body.eval_in(args, locals, watch)?
            }
        })
    }
}

pub(super) fn num(v: NVal) -> Result<NVal, String> {
    match v {
        NVal::Int(_) | NVal::Dec(_) => Ok(v),
        other => Err(format!("expected a number, found {other:?}")),
    }
}
