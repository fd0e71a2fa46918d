//! The sandbox: one Rhai engine with limits, no files, modules or `eval`, and exact math.

use rhai::{Dynamic, Engine, EvalAltResult, INT};
use rust_decimal::{Decimal, RoundingStrategy};

use super::native::*;
use crate::rules::budget;

// Limits of the sandbox, chosen far above what any honest criterion needs. Operations and time
// are limited per evaluation by `super::budget`.
pub(super) const MAX_CALL_LEVELS: usize = 32;
pub(super) const MAX_EXPR_DEPTH: usize = 64;
pub(super) const MAX_STRING: usize = 4_096;
pub(super) const MAX_ARRAY: usize = 10_000;
pub(super) const MAX_MAP: usize = 1_000;
pub(super) const MAX_VARIABLES: usize = 256;

/// Functions scripts may not call even though a package defines them.
pub(super) const FORBIDDEN: &[&str] = &["sleep", "eval", "print", "debug"];

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
    super::costly::register(&mut engine);
    engine.register_fn("sleep", |_: INT| -> Result<(), Box<EvalAltResult>> {
        Err("sleep is not allowed in rules".into())
    });
    register_math(&mut engine);
    engine
}

pub(super) fn num_arg(d: &Dynamic) -> Option<NVal> {
    if let Some(i) = d.clone().try_cast::<INT>() {
        Some(NVal::Int(i))
    } else {
        d.clone().try_cast::<Decimal>().map(NVal::Dec)
    }
}

pub(super) fn to_dynamic(v: Result<NVal, String>) -> Result<Dynamic, Box<EvalAltResult>> {
    match v? {
        NVal::Int(i) => Ok(Dynamic::from(i)),
        NVal::Dec(d) => Ok(Dynamic::from(d)),
        NVal::Bool(b) => Ok(Dynamic::from(b)),
        NVal::Unit | NVal::Choice(_) => Ok(Dynamic::UNIT),
    }
}

/// Registers the math helpers with exactly the semantics the native evaluator uses.
pub(super) fn register_math(engine: &mut Engine) {
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
