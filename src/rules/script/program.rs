//! Compiled scripts and programs: how a criterion's formula or function is evaluated, natively
//! or by the interpreter, and how its result becomes points.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use rhai::{AST, Dynamic, Engine, EvalAltResult, INT, Scope};
use rust_decimal::Decimal;

use super::int::IntNative;
use super::{native::*, sandbox::*};
use crate::domain::Fixed;
use crate::rules::budget;
use crate::rules::ruleset::{InputDef, InputKind};
use crate::rules::value::Value;

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
    pub(super) native: Option<Native>,
    /// The integer form of `native`, when the program computes with integers, yes/no values and
    /// choices only: tried first, with `native` giving the error when it declines.
    pub(super) int_form: Option<IntNative>,
    /// The names of the lowered form's locals by slot, for explanations.
    pub(super) locals: Vec<String>,
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
            locals: Vec::new(),
        }
    }

    /// Names the lowered form's locals (by slot), so an explanation can show what each bound.
    pub fn with_local_names(mut self, names: Vec<String>) -> Program {
        self.locals = names;
        self
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

pub(super) fn describe_eval_error(e: &EvalAltResult) -> String {
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

pub(super) fn to_nval(def: &InputDef, v: &Value) -> NVal {
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

pub(super) fn nval_points(v: NVal) -> Result<Fixed, String> {
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

pub(super) fn int_points(i: INT) -> Result<Fixed, String> {
    i.checked_mul(Fixed::SCALE)
        .map(Fixed::from_raw)
        .ok_or_else(|| format!("{i} points is out of range"))
}

pub(super) fn dynamic_points(d: Dynamic) -> Result<Fixed, String> {
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
