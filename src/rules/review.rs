//! Review triage as compiled: the flags a round declares in its `review:` section, which the
//! engine raises on a file to order the reviewer's queue (riskiest first).

use crate::domain::{Fixed, Label};
use crate::rules::script::Program;

/// The round's review flags; empty when the round has no `review:` section.
#[derive(Debug, Default)]
pub struct Review {
    pub flags: Vec<Flag>,
}

/// One flag: raised on a file, it adds its weight to the file's risk.
#[derive(Debug)]
pub struct Flag {
    pub id: String,
    pub label: Label,
    /// Added to a file's risk when the flag is raised (above 0).
    pub weight: Fixed,
    pub check: Check,
}

/// How a flag is raised.
#[derive(Debug)]
pub enum Check {
    /// The number in `input` moved since the office's previous round by at least `percent` (of
    /// the previous value) or at least `amount` (either raises it; at least one is given).
    Jump {
        input: usize,
        percent: Option<Fixed>,
        amount: Option<Fixed>,
    },
    /// The file's total is less than `margin` points from a grade cut point.
    NearBoundary { margin: Fixed },
    /// The number in `input` is at least `k` median absolute deviations from its peers' median
    /// (peers: the same region and office kind).
    Outlier { input: usize, k: Fixed },
    /// The office left `input` empty.
    Missing { input: usize },
    /// A Rhai condition over the inputs, lowered like a criterion's formula; raised when true.
    Formula(Program),
}

impl Check {
    /// The kind's name as written in the rule files.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Check::Jump { .. } => "jump",
            Check::NearBoundary { .. } => "near_boundary",
            Check::Outlier { .. } => "outlier",
            Check::Missing { .. } => "missing",
            Check::Formula(_) => "formula",
        }
    }
}
