//! Phases of a round and their windows in Tehran time.

use serde::Serialize;

use crate::domain::{JalaliDate, Label};
use crate::rules::RuleSet;
use crate::rules::ruleset::Period;

/// The phases of a round, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    SelfDeclaration,
    RegionalReview,
    Publication,
    Objection,
    Final,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::SelfDeclaration,
        Phase::RegionalReview,
        Phase::Publication,
        Phase::Objection,
        Phase::Final,
    ];

    pub fn label(self) -> Label {
        match self {
            Phase::SelfDeclaration => Label::new("خوداظهاری", "Self-declaration"),
            Phase::RegionalReview => Label::new("بررسی اداره کل منطقه", "Regional review"),
            Phase::Publication => Label::new("اعلام نتایج", "Publication"),
            Phase::Objection => Label::new("اعتراض", "Objection"),
            Phase::Final => Label::new("اعلام رتبه نهایی", "Final ranks"),
        }
    }

    pub fn period(self, rs: &RuleSet) -> Period {
        let c = &rs.calendar;
        match self {
            Phase::SelfDeclaration => c.self_declaration,
            Phase::RegionalReview => c.regional_review,
            Phase::Publication => c.publication,
            Phase::Objection => c.objection,
            Phase::Final => c.final_review,
        }
    }
}

/// A phase's window: from the start of its first day to the end of its last day, in Tehran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub phase: Phase,
    pub first_day: JalaliDate,
    pub last_day: JalaliDate,
    pub opens_at: jiff::Timestamp,
    pub closes_at: jiff::Timestamp,
}

impl Window {
    pub fn of(rs: &RuleSet, phase: Phase) -> Window {
        Self::from_days(phase, phase.period(rs).first_day, phase.period(rs).last_day)
    }

    /// A window of whole days in Tehran.
    pub fn from_days(phase: Phase, first_day: JalaliDate, last_day: JalaliDate) -> Window {
        Window {
            phase,
            first_day,
            last_day,
            opens_at: first_day.start_in_tehran(),
            closes_at: last_day.add_days(1).start_in_tehran(),
        }
    }

    /// The window as clients see it: phase and label, Jalali and ISO days, instants, time zone.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "phase": self.phase,
            "label": self.phase.label(),
            "first_day": self.first_day.to_string(),
            "last_day": self.last_day.to_string(),
            "first_day_iso": self.first_day.to_gregorian().to_string(),
            "last_day_iso": self.last_day.to_gregorian().to_string(),
            "opens_at": self.opens_at,
            "closes_at": self.closes_at,
            "time_zone": crate::domain::TEHRAN,
        })
    }

    pub fn is_open(&self, now: jiff::Timestamp) -> bool {
        self.opens_at <= now && now < self.closes_at
    }

    /// "17 Farvardin 1400 (2021-04-06) to 5 Ordibehesht 1400 (2021-04-25)", in both languages.
    pub fn describe(&self) -> Label {
        let (a, b) = (self.first_day, self.last_day);
        Label::new(
            format!(
                "{} از {} ({}) تا پایان {} ({})",
                self.phase.label().fa,
                a.long_fa(),
                a.to_gregorian(),
                b.long_fa(),
                b.to_gregorian()
            ),
            format!(
                "{} runs from {} ({}) to the end of {} ({}), Tehran time",
                self.phase.label().en,
                a.long_en(),
                a.to_gregorian(),
                b.long_en(),
                b.to_gregorian()
            ),
        )
    }
}

/// The phase whose window contains `now`, if any.
pub fn current_phase(rs: &RuleSet, now: jiff::Timestamp) -> Option<Phase> {
    Phase::ALL
        .into_iter()
        .find(|p| Window::of(rs, *p).is_open(now))
}
