//! The rule language: YAML and Rhai files of a round, loaded, validated and compiled.

pub mod diagnostic;
pub mod yaml;
