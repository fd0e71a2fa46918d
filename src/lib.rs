//! arzyab (ارزیاب): the rules engine for the half-yearly evaluation and ranking of Iran's
//! government-service counter offices, non-governmental public-sector counters and rural ICT offices.
#![forbid(unsafe_code)]

/// Domain newtypes: national codes, rounds, Jalali dates, exact numbers, grades.
pub mod domain;
/// The rule language: load, validate and compile a round's YAML and Rhai files.
pub mod rules;
