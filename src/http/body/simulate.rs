//! The body of a simulation.

use serde::Serialize;

use crate::engine::simulate::Simulation;
use crate::engine::simulate::sweep::Sweep;

/// What a candidate would do, and with a sweep, the grade counts at every step.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Simulated {
    pub simulation: Simulation,
    pub sweep: Option<Sweep>,
}
