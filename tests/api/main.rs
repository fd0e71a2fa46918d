//! The HTTP API driven over the network against a real server and database, on SQLite and on
//! PostgreSQL alike.

mod helpers;

mod accounts;
mod console;
mod console_policy;
mod console_simulation;
mod contract;
mod declarations;
mod errors;
mod file_list;
mod idempotency;
mod page_client;
mod pages;
mod pages_declaration;
mod pages_results;
mod pages_review;
mod pages_triage;
mod platform;
mod reload;
mod review;
mod round_life;
mod rules_fa;
mod sandbox;
mod scoring;
mod simulation;
mod triage;
