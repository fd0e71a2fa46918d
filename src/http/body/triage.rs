//! Bodies of review triage: a file's flags and risk, a region's counts per flag, and after the
//! round how well each flag predicted a correction.

use jiff::Timestamp;
use serde::Serialize;

use super::jalali;
use crate::app::triage as app;
use crate::domain::{Fixed, Label};
use crate::engine::triage::RaisedFlag as Raised;

/// A review flag raised on a file, with why in words and numbers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RaisedFlag {
    /// The flag's id in the round's `review:` section.
    #[schema(example = "area_jump")]
    pub id: String,
    /// `jump`, `near_boundary`, `outlier`, `missing` or `formula`.
    #[schema(example = "jump")]
    pub kind: &'static str,
    /// The flag's name, as the round's rules give it.
    pub label: Label,
    /// Added to the file's risk.
    pub weight: Fixed,
    /// E.g. `{"fa": "مساحت مفید دفتر از ۵۵ به ۱۲۰ متر مربع رسید، ۱۱۸٪ بیشتر از دوره ۱۴۰۰-۱", "en": "Usable office area grew from 55 to 120 m², +118 % since 1400-1"}`.
    pub why: Label,
}

impl From<Raised> for RaisedFlag {
    fn from(f: Raised) -> Self {
        RaisedFlag {
            id: f.id,
            kind: f.kind,
            label: f.label,
            weight: f.weight,
            why: f.why,
        }
    }
}

/// A file's place in the reviewer's queue: its flags, its risk and its deadline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FileTriage {
    /// The sum of the raised flags' weights; the queue lists higher risk first.
    pub risk: Fixed,
    /// The flags the file raises, in the order the round declares them.
    pub flags: Vec<RaisedFlag>,
    /// An open referral's correction deadline, else the end of the regional review; the queue
    /// lists the earlier deadline first among files of equal risk.
    #[schema(value_type = String, format = DateTime, example = "2021-05-05T19:30:00Z")]
    pub deadline_at: Timestamp,
    /// `deadline_at` in the Jalali calendar, Tehran time.
    #[schema(example = "1400/02/16 00:00")]
    pub deadline_at_jalali: String,
}

impl FileTriage {
    /// A file's place in the queue from its assessment and the deadline that applies to it.
    pub fn new(triage: &crate::engine::triage::Triage, deadline: Timestamp) -> Self {
        FileTriage {
            risk: triage.risk,
            flags: triage.flags.iter().cloned().map(Into::into).collect(),
            deadline_at: deadline,
            deadline_at_jalali: jalali(deadline),
        }
    }
}

impl From<&app::TriagedFile> for FileTriage {
    fn from(f: &app::TriagedFile) -> Self {
        FileTriage::new(&f.triage, f.deadline)
    }
}

/// How many files raise each flag, in a region or in every region.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TriageSummary {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The region (1–9); `null`: every region.
    #[schema(example = 1)]
    pub region: Option<u8>,
    /// Files listed (every office).
    #[schema(example = 250)]
    pub files: usize,
    /// Files that raise at least one flag.
    #[schema(example = 31)]
    pub flagged: usize,
    /// Every flag of the round in the order its rules declare them.
    pub flags: Vec<FlagCount>,
}

/// One flag and how many files raise it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FlagCount {
    /// The flag's id in the round's `review:` section.
    #[schema(example = "area_jump")]
    pub id: String,
    /// `jump`, `near_boundary`, `outlier`, `missing` or `formula`.
    #[schema(example = "jump")]
    pub kind: &'static str,
    /// The flag's name, as the round's rules give it.
    pub label: Label,
    /// Added to the risk of each file that raises it.
    pub weight: Fixed,
    /// Files that raise this flag.
    #[schema(example = 14)]
    pub files: usize,
}

impl From<app::Summary> for TriageSummary {
    fn from(s: app::Summary) -> Self {
        TriageSummary {
            round: s.round.to_string(),
            region: s.region,
            files: s.files,
            flagged: s.flagged,
            flags: s
                .flags
                .into_iter()
                .map(|f| FlagCount {
                    id: f.id,
                    kind: f.kind,
                    label: f.label,
                    weight: f.weight,
                    files: f.files,
                })
                .collect(),
        }
    }
}

/// After the round: per flag, how many flagged and unflagged submitted files the review changed.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TriageOutcomes {
    /// The round.
    #[schema(example = "1400-2")]
    pub round: String,
    /// The region (1–9); `null`: every region.
    #[schema(example = 1)]
    pub region: Option<u8>,
    /// Submitted files (flags are raised only on them).
    #[schema(example = 240)]
    pub files: usize,
    /// Submitted files the review changed: a referral's corrections, or an accepted objection's.
    #[schema(example = 18)]
    pub changed: usize,
    /// Each flag of the round, in the order its rules declare them.
    pub flags: Vec<FlagOutcome>,
}

/// How well one flag predicted a correction.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FlagOutcome {
    /// The flag's id in the round's `review:` section.
    #[schema(example = "area_jump")]
    pub id: String,
    /// `jump`, `near_boundary`, `outlier`, `missing` or `formula`.
    #[schema(example = "jump")]
    pub kind: &'static str,
    /// The flag's name, as the round's rules give it.
    pub label: Label,
    /// Added to the risk of each file that raises it.
    pub weight: Fixed,
    /// Files the flag was raised on, as they were submitted.
    #[schema(example = 20)]
    pub flagged: usize,
    /// Of those, files the review changed.
    #[schema(example = 9)]
    pub flagged_changed: usize,
    /// Files the flag was not raised on.
    #[schema(example = 220)]
    pub unflagged: usize,
    /// Of those, files the review changed.
    #[schema(example = 9)]
    pub unflagged_changed: usize,
}

impl From<app::Outcomes> for TriageOutcomes {
    fn from(o: app::Outcomes) -> Self {
        TriageOutcomes {
            round: o.round.to_string(),
            region: o.region,
            files: o.files,
            changed: o.changed,
            flags: o
                .flags
                .into_iter()
                .map(|f| FlagOutcome {
                    id: f.id,
                    kind: f.kind,
                    label: f.label,
                    weight: f.weight,
                    flagged: f.flagged,
                    flagged_changed: f.flagged_changed,
                    unflagged: f.unflagged,
                    unflagged_changed: f.unflagged_changed,
                })
                .collect(),
        }
    }
}
