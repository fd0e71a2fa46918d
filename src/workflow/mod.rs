//! The round's calendar and a declaration's life: which phase is open, what an office may write,
//! and what happens when it submits. Pure decisions over the rule set and stored rows; the HTTP
//! layer does the I/O around them.

pub mod calendar;
pub mod declaration;
pub mod publication;
pub mod review;

use serde::Serialize;

use crate::domain::Label;
use crate::rules::value::FieldError;

pub use calendar::{Phase, Window};

/// Why a workflow action is refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WorkflowError {
    /// The action belongs to a phase that is not open now.
    #[error("{} is open from {} to {}", .0.phase.label().en, .0.first_day, .0.last_day)]
    OutsideWindow(Box<Window>),
    /// Some fields are not valid; one message per field.
    #[error("{} field(s) are not valid", .0.len())]
    Fields(Vec<FieldError>),
    /// The action is not possible in the file's current state.
    #[error("{}", .0.en)]
    State(Label),
}

/// The window of a phase, as shown in errors and to clients.
#[derive(Debug, Clone, Serialize)]
pub struct WindowView {
    pub phase: Phase,
    pub first_day: String,
    pub last_day: String,
    pub opens_at: jiff::Timestamp,
    pub closes_at: jiff::Timestamp,
}
