//! Live rules: the rule sets a server is serving, and how a new version of a round goes live.
//!
//! `registry` holds one compiled [`RuleSet`](crate::rules::RuleSet) per round and swaps versions
//! atomically; `gate` decides whether compiled files may go live (the round their directory names,
//! their own rule tests); `versions` is where every live version is recorded and whether a round
//! is published; `fingerprint` says whether two versions score alike (the freeze of published
//! rounds); `watch` turns file changes into reloads. This room uses `rules` to compile and
//! `engine` to run rule tests, so `rules` itself stays a pure compiler.

pub mod fingerprint;
mod gate;
pub mod registry;
pub mod versions;
pub mod watch;

pub use fingerprint::scoring_fingerprint;
pub use registry::{Attempt, Origin, Registry, Reloaded, Rounds, VersionError};
pub use versions::{
    BoxFuture, GoingLive, NothingPublished, PublicationCheck, VersionLog, replica_id,
};
pub use watch::{RulesWatcher, WatchSettings, watch};
