//! The rule language: YAML and Rhai files of a round, loaded, validated and compiled.
//!
//! `model` mirrors the files, `yaml` reads them with exact positions, `compile` checks everything
//! and builds a [`RuleSet`], `script` sandboxes Rhai and lowers simple scripts to native code.
//! Files in, a [`RuleSet`] or diagnostics out: the live rule sets and their reloads are `live`'s.

pub mod budget;
pub mod compile;
pub mod diagnostic;
pub mod model;
/// Review triage: the compiled `review:` flags.
pub mod review;
pub mod ruleset;
pub mod script;
pub mod value;
pub mod yaml;

#[cfg(test)]
pub(crate) mod test_support;

pub use compile::load_round;
pub use diagnostic::{Diagnostic, Diagnostics, Position};
pub use ruleset::RuleSet;
