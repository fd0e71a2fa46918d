//! The integer form of a lowered program: when every value a program touches is an integer, a
//! yes/no value or a choice (as in most scoring scripts), it runs over plain `i64`s — yes/no as
//! 0/1, a choice as its index — with no tagged values and no error messages on the way.
//!
//! It answers `None` whenever the [`Native`] form would fail (overflow, division by zero); the
//! caller then runs the native form, which gives Rhai's exact message. The answer is otherwise the
//! native form's, so the differential tests against Rhai cover both.

use super::{BinOp, NVal, Native};
use crate::rules::ruleset::{InputDef, InputKind};

/// A lowered program over integers.
#[derive(Clone, Debug, PartialEq)]
pub enum IntNative {
    Const(i64),
    /// The n-th argument: an integer, a yes/no value (0/1) or a choice index.
    Arg(u8),
    Local(u8),
    /// `arg == index` (or `!=` when `negate`), as 0/1.
    ChoiceIs {
        arg: u8,
        index: u16,
        negate: bool,
    },
    Neg(Box<IntNative>),
    Not(Box<IntNative>),
    /// Checked integer arithmetic (`+ - * / %`).
    Arith(BinOp, Box<IntNative>, Box<IntNative>),
    /// A comparison, as 0/1.
    Compare(BinOp, Box<IntNative>, Box<IntNative>),
    And(Vec<IntNative>),
    Or(Vec<IntNative>),
    If(Box<IntNative>, Box<IntNative>, Box<IntNative>),
    Min(Box<IntNative>, Box<IntNative>),
    Max(Box<IntNative>, Box<IntNative>),
    Clamp(Box<[IntNative; 3]>),
    Abs(Box<IntNative>),
    Let(u8, Box<IntNative>, Box<IntNative>),
}

/// The static type of an integer-form value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IntTy {
    Int,
    Bool,
    Choice,
}

/// The most locals an integer-form program binds.
const MAX_LOCALS: usize = 32;

impl IntNative {
    /// The integer form of `native`, whose arguments are the inputs `args` (slots into `inputs`),
    /// when it computes an integer from integers, yes/no values and choices only.
    pub fn of(native: &Native, args: &[usize], inputs: &[InputDef]) -> Option<IntNative> {
        let arg_types: Vec<Option<IntTy>> = args
            .iter()
            .map(|&slot| match inputs.get(slot)?.kind {
                InputKind::Integer => Some(IntTy::Int),
                InputKind::Boolean => Some(IntTy::Bool),
                InputKind::Choice(_) => Some(IntTy::Choice),
                _ => None,
            })
            .collect();
        let mut cx = Typing {
            args: &arg_types,
            locals: [None; MAX_LOCALS],
        };
        match cx.convert(native)? {
            (code, IntTy::Int) => Some(code),
            _ => None,
        }
    }

    /// Evaluates over the arguments; `None` where the native form fails.
    #[inline]
    pub fn eval(&self, args: &[i64]) -> Option<i64> {
        let mut locals = [0i64; MAX_LOCALS];
        self.eval_in(args, &mut locals)
    }

    fn eval_in(&self, args: &[i64], locals: &mut [i64; MAX_LOCALS]) -> Option<i64> {
        Some(match self {
            IntNative::Const(v) => *v,
            IntNative::Arg(i) => args[*i as usize],
            IntNative::Local(i) => locals[*i as usize],
            IntNative::ChoiceIs { arg, index, negate } => {
                ((args[*arg as usize] == *index as i64) != *negate) as i64
            }
            IntNative::Neg(e) => e.eval_in(args, locals)?.checked_neg()?,
            IntNative::Not(e) => (e.eval_in(args, locals)? == 0) as i64,
            IntNative::Arith(op, a, b) => {
                let (x, y) = (a.eval_in(args, locals)?, b.eval_in(args, locals)?);
                match op {
                    BinOp::Add => x.checked_add(y)?,
                    BinOp::Sub => x.checked_sub(y)?,
                    BinOp::Mul => x.checked_mul(y)?,
                    BinOp::Div => x.checked_div(y)?,
                    BinOp::Rem => x.checked_rem(y)?,
                    _ => return None,
                }
            }
            IntNative::Compare(op, a, b) => {
                let (x, y) = (a.eval_in(args, locals)?, b.eval_in(args, locals)?);
                (match op {
                    BinOp::Eq => x == y,
                    BinOp::Ne => x != y,
                    BinOp::Lt => x < y,
                    BinOp::Le => x <= y,
                    BinOp::Gt => x > y,
                    BinOp::Ge => x >= y,
                    _ => return None,
                }) as i64
            }
            IntNative::And(items) => {
                for item in items {
                    if item.eval_in(args, locals)? == 0 {
                        return Some(0);
                    }
                }
                1
            }
            IntNative::Or(items) => {
                for item in items {
                    if item.eval_in(args, locals)? != 0 {
                        return Some(1);
                    }
                }
                0
            }
            IntNative::If(c, t, e) => {
                if c.eval_in(args, locals)? != 0 {
                    t.eval_in(args, locals)?
                } else {
                    e.eval_in(args, locals)?
                }
            }
            IntNative::Min(a, b) => a.eval_in(args, locals)?.min(b.eval_in(args, locals)?),
            IntNative::Max(a, b) => a.eval_in(args, locals)?.max(b.eval_in(args, locals)?),
            IntNative::Clamp(v) => {
                let x = v[0].eval_in(args, locals)?;
                let lo = v[1].eval_in(args, locals)?;
                let hi = v[2].eval_in(args, locals)?;
                lo.max(x.min(hi))
            }
            IntNative::Abs(a) => a.eval_in(args, locals)?.checked_abs()?,
            IntNative::Let(slot, value, body) => {
                locals[*slot as usize] = value.eval_in(args, locals)?;
                body.eval_in(args, locals)?
            }
        })
    }
}

/// Static types while converting: of the arguments, and of each local where it is bound.
struct Typing<'a> {
    args: &'a [Option<IntTy>],
    locals: [Option<IntTy>; MAX_LOCALS],
}

impl Typing<'_> {
    /// The integer form and static type of a node; `None` when any part is not integer-only or
    /// its types would make the native form fail (that failure is then the native form's to report).
    fn convert(&mut self, n: &Native) -> Option<(IntNative, IntTy)> {
        use IntTy::*;
        let boxed = |x: IntNative| Box::new(x);
        Some(match n {
            Native::Const(NVal::Int(i)) => (IntNative::Const(*i), Int),
            Native::Const(NVal::Bool(b)) => (IntNative::Const(*b as i64), Bool),
            Native::Const(_) => return None,
            Native::Arg(i) => (IntNative::Arg(*i), (*self.args.get(*i as usize)?)?),
            Native::Local(i) => (IntNative::Local(*i), (*self.locals.get(*i as usize)?)?),
            Native::ChoiceIs { arg, index, negate } => {
                if *self.args.get(*arg as usize)? != Some(Choice) {
                    return None;
                }
                (
                    IntNative::ChoiceIs {
                        arg: *arg,
                        index: *index,
                        negate: *negate,
                    },
                    Bool,
                )
            }
            Native::Neg(e) => (IntNative::Neg(boxed(self.expect(e, Int)?)), Int),
            Native::Not(e) => (IntNative::Not(boxed(self.expect(e, Bool)?)), Bool),
            Native::Binary(op, a, b) => {
                let (x, tx) = self.convert(a)?;
                let (y, ty) = self.convert(b)?;
                match (tx, ty) {
                    (Int, Int) if op.is_arithmetic() => {
                        (IntNative::Arith(*op, boxed(x), boxed(y)), Int)
                    }
                    (Int, Int) => (IntNative::Compare(*op, boxed(x), boxed(y)), Bool),
                    (Bool, Bool) if matches!(op, BinOp::Eq | BinOp::Ne) => {
                        (IntNative::Compare(*op, boxed(x), boxed(y)), Bool)
                    }
                    _ => return None,
                }
            }
            Native::And(items) => (IntNative::And(self.all_bool(items)?), Bool),
            Native::Or(items) => (IntNative::Or(self.all_bool(items)?), Bool),
            Native::If(c, t, e) => {
                let c = self.expect(c, Bool)?;
                let (t, tt) = self.convert(t)?;
                let (e, te) = self.convert(e)?;
                if tt != te || tt == Choice {
                    return None;
                }
                (IntNative::If(boxed(c), boxed(t), boxed(e)), tt)
            }
            Native::Min(a, b) => (
                IntNative::Min(boxed(self.expect(a, Int)?), boxed(self.expect(b, Int)?)),
                Int,
            ),
            Native::Max(a, b) => (
                IntNative::Max(boxed(self.expect(a, Int)?), boxed(self.expect(b, Int)?)),
                Int,
            ),
            Native::Clamp(v) => {
                let [x, lo, hi] = &**v;
                let parts = [
                    self.expect(x, Int)?,
                    self.expect(lo, Int)?,
                    self.expect(hi, Int)?,
                ];
                (IntNative::Clamp(Box::new(parts)), Int)
            }
            Native::Abs(a) => (IntNative::Abs(boxed(self.expect(a, Int)?)), Int),
            // Rounding an integer gives it back.
            Native::Round(a, _) => (self.expect(a, Int)?, Int),
            Native::Let(slot, value, body) => {
                let (v, tv) = self.convert(value)?;
                if tv == Choice {
                    return None;
                }
                let before = self.locals.get_mut(*slot as usize)?.replace(tv);
                let body = self.convert(body);
                self.locals[*slot as usize] = before;
                let (b, tb) = body?;
                (IntNative::Let(*slot, boxed(v), boxed(b)), tb)
            }
        })
    }

    fn expect(&mut self, n: &Native, want: IntTy) -> Option<IntNative> {
        match self.convert(n)? {
            (code, t) if t == want => Some(code),
            _ => None,
        }
    }

    fn all_bool(&mut self, items: &[Native]) -> Option<Vec<IntNative>> {
        items.iter().map(|i| self.expect(i, IntTy::Bool)).collect()
    }
}
