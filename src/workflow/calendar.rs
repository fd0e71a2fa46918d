//! Phases of a round and their windows in Tehran time: the days the rule file plans, moved by
//! what has happened (the actual publication and finalization). Every guard and every display asks
//! the same [`RoundCalendar`], so the calendar shown is the calendar enforced.

use jiff::Timestamp;
use serde::Serialize;

use super::WorkflowError;
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

/// A phase's window as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PhaseWindow {
    /// The phase.
    pub phase: Phase,
    /// The phase's name.
    pub label: Label,
    /// The first day, Jalali (`1400/01/17`).
    #[schema(value_type = String, example = "1400/01/17")]
    pub first_day: JalaliDate,
    /// The last day, Jalali; the window closes at the end of it, Tehran time.
    #[schema(value_type = String, example = "1400/02/05")]
    pub last_day: JalaliDate,
    /// The first day, Gregorian.
    #[schema(value_type = String, format = Date, example = "2021-04-06")]
    pub first_day_iso: jiff::civil::Date,
    /// The last day, Gregorian.
    #[schema(value_type = String, format = Date, example = "2021-04-25")]
    pub last_day_iso: jiff::civil::Date,
    /// When the window opens (the start of the first day, Tehran time).
    #[schema(value_type = String, format = DateTime, example = "2021-04-05T19:30:00Z")]
    pub opens_at: jiff::Timestamp,
    /// `opens_at` in Tehran time, Jalali.
    #[schema(example = "1400/01/17 00:00")]
    pub opens_at_jalali: String,
    /// When the window closes (the end of the last day, Tehran time).
    #[schema(value_type = String, format = DateTime, example = "2021-04-25T19:30:00Z")]
    pub closes_at: jiff::Timestamp,
    /// `closes_at` in Tehran time, Jalali.
    #[schema(example = "1400/02/06 00:00")]
    pub closes_at_jalali: String,
    /// The time zone days are counted in.
    #[schema(example = "Asia/Tehran")]
    pub time_zone: &'static str,
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
    pub fn body(&self) -> PhaseWindow {
        PhaseWindow {
            phase: self.phase,
            label: self.phase.label(),
            first_day: self.first_day,
            last_day: self.last_day,
            first_day_iso: self.first_day.to_gregorian(),
            last_day_iso: self.last_day.to_gregorian(),
            opens_at: self.opens_at,
            opens_at_jalali: JalaliDate::date_time_of(self.opens_at),
            closes_at: self.closes_at,
            closes_at_jalali: JalaliDate::date_time_of(self.closes_at),
            time_zone: crate::domain::TEHRAN,
        }
    }

    /// [`Window::body`] as JSON (for error answers).
    pub fn view(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).expect("windows serialize")
    }

    pub fn is_open(&self, now: jiff::Timestamp) -> bool {
        self.opens_at <= now && now < self.closes_at
    }

    /// "17 Farvardin 1400 (2021-04-06) to 5 Ordibehesht 1400 (2021-04-25)", in both languages.
    pub fn describe(&self) -> Label {
        let (a, b) = (self.first_day, self.last_day);
        let fa_iso =
            |d: JalaliDate| crate::domain::digits::to_persian_digits(&d.to_gregorian().to_string());
        Label::new(
            format!(
                "{} از {} ({}) تا پایان {} ({})، به وقت تهران",
                self.phase.label().fa,
                a.long_fa(),
                fa_iso(a),
                b.long_fa(),
                fa_iso(b)
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

/// What has happened in a round that moves its calendar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events {
    /// When the first results were published.
    pub published_at: Option<Timestamp>,
    /// When the final ranks were published.
    pub finalized_at: Option<Timestamp>,
}

/// A round's calendar as enforced: the rule file's planned days until results are published;
/// from then on the objection window runs from the moment of publication to the end of the
/// `objection.days`-th day after it ("within seven days of the announcement"), and the final
/// ranks follow it as planned (same gap, same length). Publication closes when results are
/// published, the final phase when the final ranks are.
#[derive(Clone, Copy, Debug)]
pub struct RoundCalendar<'a> {
    rs: &'a RuleSet,
    events: Events,
}

impl<'a> RoundCalendar<'a> {
    pub fn new(rs: &'a RuleSet, events: Events) -> Self {
        RoundCalendar { rs, events }
    }

    /// The window of a phase: planned, or effective once an event moved it.
    pub fn window(&self, phase: Phase) -> Window {
        let planned = Window::of(self.rs, phase);
        let Some(published) = self.events.published_at else {
            return planned;
        };
        let c = &self.rs.calendar;
        let objection_last = JalaliDate::of_instant(published).add_days(c.objection.days());
        match phase {
            Phase::SelfDeclaration | Phase::RegionalReview => planned,
            Phase::Publication => Window {
                last_day: JalaliDate::of_instant(published),
                closes_at: published,
                ..planned
            },
            Phase::Objection => Window {
                phase,
                first_day: JalaliDate::of_instant(published),
                last_day: objection_last,
                opens_at: published,
                closes_at: objection_last.add_days(1).start_in_tehran(),
            },
            Phase::Final => {
                let after = c.objection.last_day.days_until(c.final_review.first_day);
                let first = objection_last.add_days(after);
                let w = Window::from_days(phase, first, first.add_days(c.final_review.days() - 1));
                match self.events.finalized_at {
                    Some(at) => Window {
                        last_day: JalaliDate::of_instant(at),
                        closes_at: at,
                        ..w
                    },
                    None => w,
                }
            }
        }
    }

    /// Every phase's window, in order.
    pub fn windows(&self) -> Vec<Window> {
        Phase::ALL.into_iter().map(|p| self.window(p)).collect()
    }

    /// Whether the actions of `phase` are possible at `now`.
    pub fn is_open(&self, phase: Phase, now: Timestamp) -> bool {
        let needs_publication = matches!(phase, Phase::Objection | Phase::Final);
        (!needs_publication || self.events.published_at.is_some())
            && self.window(phase).is_open(now)
    }

    /// The phase open at `now`, if any (none before the round, between phases, after it, or
    /// once the publication window passed with nothing published).
    pub fn current_phase(&self, now: Timestamp) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| self.is_open(*p, now))
    }

    /// The guard of every action of `phase`: refused unless it is open at `now`, naming the
    /// window (or, for objection and final ranks, that nothing is published yet).
    pub fn require_open(&self, phase: Phase, now: Timestamp) -> Result<(), WorkflowError> {
        if self.is_open(phase, now) {
            return Ok(());
        }
        if self.events.published_at.is_none() && matches!(phase, Phase::Objection | Phase::Final) {
            return Err(WorkflowError::State(Label::new(
                format!(
                    "نتایج دوره {} هنوز اعلام نشده است؛ {} پس از اعلام نتایج ممکن است",
                    crate::domain::digits::to_persian_digits(&self.rs.round.to_string()),
                    phase.label().fa
                ),
                format!(
                    "the results of round {} are not published yet; {} comes after publication",
                    self.rs.round,
                    phase.label().en
                ),
            )));
        }
        Err(WorkflowError::OutsideWindow(Box::new(self.window(phase))))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::LazyLock;

    use jiff::SignedDuration;
    use proptest::prelude::*;
    use serde_json::{Map, json};

    use super::*;
    use crate::domain::DeclarationStatus;
    use crate::domain::records::DeclarationRow;
    use crate::workflow::{declaration, review};

    static RULES: LazyLock<RuleSet> = LazyLock::new(|| {
        crate::rules::load_round(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"))
            .unwrap_or_else(|d| panic!("{d}"))
    });

    fn submitted() -> DeclarationRow {
        DeclarationRow {
            round: crate::domain::RoundId::parse("1400-2").unwrap(),
            office_id: crate::domain::OfficeId::parse("P-0001").unwrap(),
            status: DeclarationStatus::Submitted,
            office_values: Map::new(),
            region_values: Map::new(),
            carried_over: Vec::new(),
            version: 1,
            updated_at: 0,
            submitted_at: Some(0),
        }
    }

    /// Whether the guards of `phase`'s actions accept at `now`: the workflow's own functions for
    /// the office's and the region's actions, the calendar's guard for publish, object and finalize.
    fn accepted(cal: &RoundCalendar, phase: Phase, now: Timestamp) -> bool {
        let rs = &*RULES;
        match phase {
            Phase::SelfDeclaration => {
                let office = crate::domain::OfficeId::parse("P-0001").unwrap();
                let draft = declaration::save_draft(rs, &office, None, &Map::new(), now);
                let submit = declaration::submit(rs, &office, None, &Map::new(), now);
                assert_eq!(
                    draft.is_ok(),
                    !matches!(submit, Err(WorkflowError::OutsideWindow(_))),
                    "saving and submitting disagree at {now}"
                );
                draft.is_ok()
            }
            Phase::RegionalReview => {
                let record = review::record_region_values(rs, &submitted(), &Map::new(), now);
                let reasons = json!({"area_m2": "the lease says 40 m²"});
                let refer = review::refer(
                    rs,
                    &submitted(),
                    &[],
                    reasons.as_object().unwrap(),
                    "reviewer",
                    now,
                );
                assert_eq!(
                    record.is_ok(),
                    refer.is_ok(),
                    "recording and referring disagree at {now}"
                );
                record.is_ok()
            }
            Phase::Publication | Phase::Objection | Phase::Final => {
                cal.require_open(phase, now).is_ok()
            }
        }
    }

    fn nanos(d: SignedDuration) -> u64 {
        d.as_nanos() as u64
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// At any instant of the round, with results published at any moment of any day of the
        /// publication window (or never) and final ranks at any moment of their window (or not
        /// yet), the phase shown is exactly the phase whose actions are accepted.
        #[test]
        fn the_phase_shown_is_the_one_whose_guards_accept(
            published in any::<bool>(),
            publication_day in any::<u16>(),
            time_of_day in 0..86_400_000_000_000u64,
            finalized in proptest::option::of(0..u64::MAX),
            at in any::<u64>(),
        ) {
            let rs = &*RULES;
            let c = &rs.calendar;
            let day = c.publication.first_day.add_days(publication_day as i64 % c.publication.days());
            let published_at = day
                .start_in_tehran()
                .checked_add(SignedDuration::from_nanos(time_of_day as i64))
                .unwrap();
            let mut events = Events {
                published_at: published.then_some(published_at),
                finalized_at: None,
            };
            if published && let Some(f) = finalized {
                let w = RoundCalendar::new(rs, events).window(Phase::Final);
                let span = nanos(w.closes_at.duration_since(w.opens_at));
                events.finalized_at = Some(
                    w.opens_at.checked_add(SignedDuration::from_nanos((f % span) as i64)).unwrap(),
                );
            }
            let cal = RoundCalendar::new(rs, events);

            let start = Window::of(rs, Phase::SelfDeclaration).opens_at - SignedDuration::from_hours(48);
            let end = Window::of(rs, Phase::Final).closes_at + SignedDuration::from_hours(48);
            let mut instants = vec![start + SignedDuration::from_nanos((at % nanos(end.duration_since(start))) as i64)];
            // Every edge of every window, and a nanosecond on either side of it.
            for w in cal.windows() {
                for edge in [w.opens_at, w.closes_at] {
                    instants.extend([edge - SignedDuration::from_nanos(1), edge, edge + SignedDuration::from_nanos(1)]);
                }
            }
            for now in instants {
                let shown = cal.current_phase(now);
                for phase in Phase::ALL {
                    prop_assert_eq!(
                        accepted(&cal, phase, now),
                        shown == Some(phase),
                        "{:?} at {} with {:?}: shown {:?}", phase, now, events, shown
                    );
                }
            }
        }

        /// An office may object from the announcement of results to the end of the seventh day
        /// after the day they were announced, in Tehran, and at no other time.
        #[test]
        fn an_objection_is_accepted_exactly_within_seven_days_of_the_announcement(
            publication_day in any::<u16>(),
            time_of_day in 0..86_400_000_000_000u64,
            after in -86_400_000_000_000i64..(10 * 86_400_000_000_000),
        ) {
            let rs = &*RULES;
            prop_assert_eq!(rs.calendar.objection.days(), 7);
            let c = &rs.calendar;
            let day = c.publication.first_day.add_days(publication_day as i64 % c.publication.days());
            let published_at = day
                .start_in_tehran()
                .checked_add(SignedDuration::from_nanos(time_of_day as i64))
                .unwrap();
            let cal = RoundCalendar::new(rs, Events { published_at: Some(published_at), finalized_at: None });
            let now = published_at + SignedDuration::from_nanos(after);
            let within = published_at <= now && now < day.add_days(8).start_in_tehran();
            prop_assert_eq!(cal.require_open(Phase::Objection, now).is_ok(), within, "at {}", now);
        }
    }

    #[test]
    fn with_nothing_published_objection_and_final_ranks_are_never_open_and_say_why() {
        let rs = &*RULES;
        let cal = RoundCalendar::new(rs, Events::default());
        for phase in [Phase::Objection, Phase::Final] {
            let w = cal.window(phase);
            assert_eq!(w, Window::of(rs, phase), "the planned window is shown");
            let inside = w.opens_at + SignedDuration::from_hours(1);
            assert_eq!(cal.current_phase(inside), None);
            match cal.require_open(phase, inside) {
                Err(WorkflowError::State(m)) => {
                    assert!(m.en.contains("not published yet"), "{}", m.en);
                    assert!(!m.fa.chars().any(|c| c.is_ascii_digit()), "{}", m.fa);
                }
                other => panic!("{phase:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_early_publication_moves_objection_and_final_and_closes_publication() {
        let rs = &*RULES;
        let p = crate::clock::parse_instant("1400/02/17 10:00").unwrap();
        let cal = RoundCalendar::new(
            rs,
            Events {
                published_at: Some(p),
                finalized_at: None,
            },
        );
        let days = |ph: Phase| {
            let w = cal.window(ph);
            (w.first_day.to_string(), w.last_day.to_string())
        };
        assert_eq!(
            days(Phase::Objection),
            ("1400/02/17".into(), "1400/02/24".into())
        );
        assert_eq!(
            days(Phase::Final),
            ("1400/02/25".into(), "1400/03/03".into())
        );
        assert_eq!(cal.window(Phase::Publication).closes_at, p);
        assert_eq!(cal.window(Phase::Objection).opens_at, p);
        let on_26th = crate::clock::parse_instant("1400/02/26 12:00").unwrap();
        assert_eq!(cal.current_phase(on_26th), Some(Phase::Final));
        assert!(matches!(
            cal.require_open(Phase::Objection, on_26th),
            Err(WorkflowError::OutsideWindow(w)) if *w == cal.window(Phase::Objection)
        ));
    }

    #[test]
    fn a_window_in_persian_has_only_persian_digits() {
        let d = Window::of(&RULES, Phase::Objection).describe();
        assert!(!d.fa.chars().any(|c| c.is_ascii_digit()), "{}", d.fa);
        assert!(d.en.contains("2021-05-11"), "{}", d.en);
    }
}
