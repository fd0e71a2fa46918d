//! The body of a simulation.

use serde::Serialize;

use crate::engine::simulate::Simulation;
use crate::engine::simulate::sweep::Sweep;

/// What a candidate would do, and with a sweep, the grade counts at every step.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Simulated {
    /// What the candidate would change.
    pub simulation: Simulation,
    /// With a sweep: the grade counts at every step.
    pub sweep: Option<Sweep>,
}
