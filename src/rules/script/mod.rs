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
//!
//! `sandbox` builds the engine; `checks` compiles formulas and script files and reports problems;
//! `lower` turns simple ones into the `native` tree (and `int` into its integer form);
//! `program` evaluates a criterion's program either way, and `trace` records what a lowered one
//! did for an explanation; `costly` charges built-ins by their work.

mod checks;
mod costly;
mod int;
mod lower;
mod native;
mod program;
mod sandbox;
mod trace;

pub use checks::{ScriptProblem, compile_file, compile_formula, known_functions};
pub use int::IntNative;
pub use lower::{
    LowerArg, LowerError, lower_formula, lower_formula_named, lower_function, lower_function_named,
};
pub use native::{BinOp, MAX_ARGS, NVal, Native, Rounding, Watch};
pub use program::{Program, ProgramSource, ScriptFile, Scripts, to_dynamic_value};
pub use sandbox::sandboxed_engine;
pub use trace::ProgramStep;

#[cfg(test)]
#[allow(unused_imports)]
use {checks::*, lower::*, native::*, program::*, sandbox::*};

#[cfg(test)]
mod tests;
