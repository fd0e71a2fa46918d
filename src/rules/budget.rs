//! What interpreted Rhai may spend: operations and time per evaluation, time per piece of work (a
//! simulation, a round's rule tests), and cancellation from outside (the client went away, the
//! server is stopping).
//!
//! A [`Budget`] belongs to one piece of work and is shared by all its evaluations. The work
//! *enters* it on a thread ([`Budget::enter`]); the sandbox's `on_progress` hook then counts every
//! Rhai operation against it, adds what costly built-ins charge for their work, and every few
//! operations looks at the clock and at whether the budget was stopped. Code that fans work out to
//! other threads (rayon) enters the caller's budget ([`Budget::current`]) on each of them.
//!
//! The first evaluation that is stopped (too many operations, too long) stops its budget too, so
//! the rest of the work fails at once instead of running every office into the same limit. A
//! budget made with [`Budget::child`] is also stopped when its parent is: a server stops its own
//! budget when it shuts down, and every request's budget is its child.

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The most operations one evaluation may do, counting what costly built-ins charge.
pub const MAX_OPERATIONS: u64 = 200_000;

/// The longest one evaluation may run. An honest criterion takes microseconds.
pub const MAX_EVALUATION_TIME: Duration = Duration::from_secs(1);

/// The longest a round's rule tests may take together.
pub const MAX_TEST_RUN_TIME: Duration = Duration::from_secs(10);

/// How many operations pass between two looks at the clock and at the stop flag.
const CHECK_EVERY: u64 = 16;

/// What the evaluations under a budget may spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most operations one evaluation may do.
    pub operations: u64,
    /// The longest one evaluation may run.
    pub evaluation: Duration,
    /// The longest all evaluations under the budget may take, counted from its creation.
    pub total: Option<Duration>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: MAX_OPERATIONS,
            evaluation: MAX_EVALUATION_TIME,
            total: None,
        }
    }
}

/// Why evaluations were stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// One evaluation did more than this many operations.
    Operations(u64),
    /// One evaluation ran longer than this.
    EvaluationTime(Duration),
    /// The work's total time ran out.
    Budget(Duration),
    /// The work was abandoned: the client went away.
    Cancelled,
    /// The server is shutting down.
    ShuttingDown,
}

impl Stop {
    /// What the stop means, in Persian (for one office's evaluation); the same facts as the English.
    pub fn persian(self) -> String {
        use crate::domain::digits::{to_persian_count, to_persian_duration};
        match self {
            Stop::Operations(n) => format!(
                "اسکریپت پس از {} عملیات متوقف شد (حلقهٔ بی‌پایان؟)",
                to_persian_count(n)
            ),
            Stop::EvaluationTime(d) => format!(
                "اجرای اسکریپت بیش از {} طول کشید و متوقف شد",
                to_persian_duration(d)
            ),
            Stop::Budget(d) => format!(
                "زمان مجاز این درخواست ({}) به پایان رسید و محاسبه متوقف شد",
                to_persian_duration(d)
            ),
            Stop::Cancelled => "محاسبه لغو شد، زیرا درخواست رها شد".to_string(),
            Stop::ShuttingDown => "محاسبه لغو شد، زیرا سرور در حال خاموش شدن است".to_string(),
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Operations(n) => write!(
                f,
                "the script was stopped after {n} operations (an endless loop?)"
            ),
            Stop::EvaluationTime(d) => write!(
                f,
                "the script was stopped after running for {} (the limit for one evaluation)",
                Seconds(*d)
            ),
            Stop::Budget(d) => write!(
                f,
                "the script was stopped: the work's time budget of {} ran out",
                Seconds(*d)
            ),
            Stop::Cancelled => write!(f, "the evaluation was cancelled: the request was abandoned"),
            Stop::ShuttingDown => {
                write!(
                    f,
                    "the evaluation was cancelled: the server is shutting down"
                )
            }
        }
    }
}

/// A duration as people read it: `1 s`, `1.5 s`, `200 ms`.
pub struct Seconds(pub Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{} s", ms / 1000)
        } else {
            write!(f, "{:.1} s", self.0.as_secs_f64())
        }
    }
}

/// The first stop of a budget, and the program it stopped (none for a stop from outside).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    pub stop: Stop,
    /// `script location_points` or `formula area_m2 * 2`.
    pub program: Option<String>,
}

/// What one piece of work may spend; shared by its evaluations on every thread.
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    /// When the work's time runs out, and the total it was given.
    deadline: Option<(Instant, Duration)>,
    parent: Option<Arc<Budget>>,
    stopped: OnceLock<Stopped>,
}

impl Budget {
    /// A budget whose total time (if any) starts now.
    pub fn new(limits: Limits) -> Arc<Budget> {
        Arc::new(Budget {
            limits,
            deadline: limits.total.map(|t| (Instant::now() + t, t)),
            parent: None,
            stopped: OnceLock::new(),
        })
    }

    /// A budget for part of this one's work: stopped when this one is, and never past its deadline.
    pub fn child(self: &Arc<Self>, limits: Limits) -> Arc<Budget> {
        let own = limits.total.map(|t| (Instant::now() + t, t));
        Arc::new(Budget {
            limits,
            deadline: match (own, self.deadline) {
                (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
                (a, b) => a.or(b),
            },
            parent: Some(self.clone()),
            stopped: OnceLock::new(),
        })
    }

    /// The limits of each evaluation under this budget.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Stops every evaluation under this budget and its children (the first stop is kept).
    pub fn stop(&self, stop: Stop) {
        let _ = self.stopped.set(Stopped {
            stop,
            program: None,
        });
    }

    /// The first stop of this budget or of a parent.
    pub fn stopped(&self) -> Option<&Stopped> {
        self.stopped
            .get()
            .or_else(|| self.parent.as_deref().and_then(Budget::stopped))
    }

    /// Stops the budget with [`Stop::Cancelled`] when the guard is dropped, e.g. with the future
    /// of a request whose client went away. Harmless once the work is done.
    pub fn cancel_on_drop(self: &Arc<Self>) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }

    /// The budget entered on this thread, to enter it on another.
    pub fn current() -> Option<Arc<Budget>> {
        METER.with_borrow(|m| m.budget.clone())
    }

    /// Enters `budget` on this thread until the guard is dropped (`None`: the default limits).
    pub fn enter(budget: Option<Arc<Budget>>) -> Entered {
        let previous = METER.with_borrow_mut(|m| std::mem::replace(&mut m.budget, budget));
        Entered { previous }
    }
}

/// See [`Budget::cancel_on_drop`].
#[must_use = "the budget is cancelled when this is dropped"]
pub struct CancelOnDrop(Arc<Budget>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.stop(Stop::Cancelled);
    }
}

/// See [`Budget::enter`].
#[must_use = "the budget is left when this is dropped"]
pub struct Entered {
    previous: Option<Arc<Budget>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        METER.with_borrow_mut(|m| m.budget = previous);
    }
}

/// Why an evaluation could not start or was stopped: the stop, and whether it was this
/// evaluation's own (rather than its budget's, met by another evaluation or from outside).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Halt {
    pub stop: Stop,
    pub own: bool,
}

impl Halt {
    /// The message of the score error: the stop, or for work skipped after another
    /// evaluation's stop (under the budget entered on this thread), which program was stopped.
    pub fn message(&self) -> String {
        let first = METER.with_borrow(|m| m.budget.as_deref().and_then(|b| b.stopped().cloned()));
        match first {
            Some(Stopped {
                stop,
                program: Some(program),
            }) if !self.own => {
                format!("not evaluated: {program} was stopped for another office ({stop})")
            }
            _ => self.stop.to_string(),
        }
    }
}

/// The evaluation running on this thread, if any, and the budget entered here.
#[derive(Default)]
struct Meter {
    budget: Option<Arc<Budget>>,
    running: bool,
    limits: Limits,
    work: u64,
    ticks: u64,
    next_check: u64,
    /// When this evaluation must end, with the work's total when that is the budget's deadline.
    deadline: Option<(Instant, Option<Duration>)>,
    halt: Option<Halt>,
}

thread_local! {
    static METER: RefCell<Meter> = RefCell::new(Meter::default());
}

impl Meter {
    /// Looks at the budget and the clock; `true` when the evaluation must stop.
    fn check(&mut self) -> bool {
        if let Some(s) = self.budget.as_deref().and_then(Budget::stopped) {
            self.halt = Some(Halt {
                stop: s.stop,
                own: false,
            });
            return true;
        }
        if let Some((at, total)) = self.deadline
            && Instant::now() >= at
        {
            let stop = match total {
                Some(t) => Stop::Budget(t),
                None => Stop::EvaluationTime(self.limits.evaluation),
            };
            self.halt = Some(Halt { stop, own: true });
            return true;
        }
        false
    }

    fn over(&mut self) -> bool {
        let over = self.work > self.limits.operations;
        if over {
            self.halt = Some(Halt {
                stop: Stop::Operations(self.limits.operations),
                own: true,
            });
        }
        over
    }
}

/// Starts an evaluation on this thread under the entered budget; refused when that budget is
/// already stopped or out of time.
pub fn begin() -> Result<(), Halt> {
    METER.with_borrow_mut(|m| {
        let budget = m.budget.as_deref();
        let limits = budget.map(Budget::limits).unwrap_or_default();
        let own = Instant::now() + limits.evaluation;
        m.deadline = Some(match budget.and_then(|b| b.deadline) {
            Some((at, total)) if at <= own => (at, Some(total)),
            _ => (own, None),
        });
        m.limits = limits;
        m.work = 0;
        m.ticks = 0;
        m.next_check = CHECK_EVERY;
        m.halt = None;
        if m.check() {
            let mut halt = m.halt.take().expect("set by check");
            halt.own = false;
            Err(halt)
        } else {
            m.running = true;
            Ok(())
        }
    })
}

/// Counts one operation of the running evaluation; `true` when it must stop.
#[inline]
pub fn tick() -> bool {
    METER.with_borrow_mut(|m| {
        if !m.running {
            return false;
        }
        // Once stopped, every operation stops again: a script cannot catch its way on.
        if m.halt.is_some() {
            return true;
        }
        m.work += 1;
        m.ticks += 1;
        if m.over() {
            return true;
        }
        if m.ticks >= m.next_check {
            m.next_check = m.ticks + CHECK_EVERY;
            return m.check();
        }
        false
    })
}

/// Charges `work` operations to the running evaluation for what a built-in is about to do;
/// `true` when it must stop instead.
pub fn charge(work: u64) -> bool {
    METER.with_borrow_mut(|m| {
        if !m.running {
            return false;
        }
        if m.halt.is_some() {
            return true;
        }
        m.work = m.work.saturating_add(work);
        m.over() || m.check()
    })
}

/// Ends the evaluation started by [`begin`]; the halt, if it was stopped. A stop of its own stops
/// the budget too, naming `program`, so the rest of the work does not run into the same limit.
pub fn end(program: impl FnOnce() -> String) -> Option<Halt> {
    let (halt, budget) = METER.with_borrow_mut(|m| {
        m.running = false;
        (m.halt.take(), m.budget.clone())
    });
    let halt = halt?;
    if halt.own
        && let Some(b) = budget
    {
        let _ = b.stopped.set(Stopped {
            stop: halt.stop,
            program: Some(program()),
        });
    }
    Some(halt)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin_until_stopped() -> Halt {
        begin().unwrap();
        while !tick() {}
        end(|| "script spin".into()).unwrap()
    }

    #[test]
    fn an_evaluation_is_stopped_after_its_operations() {
        let budget = Budget::new(Limits {
            operations: 1000,
            evaluation: Duration::from_secs(60),
            total: None,
        });
        let _in = Budget::enter(Some(budget.clone()));
        let halt = spin_until_stopped();
        assert_eq!(halt.stop, Stop::Operations(1000));
        assert!(halt.own);
        assert_eq!(
            budget.stopped().unwrap().program.as_deref(),
            Some("script spin")
        );
        // The rest of the work does not start.
        let next = begin().unwrap_err();
        assert_eq!(next.stop, Stop::Operations(1000));
        assert!(!next.own);
        assert!(
            next.message()
                .contains("script spin was stopped for another office"),
            "{}",
            next.message()
        );
    }

    #[test]
    fn charged_work_counts_against_the_operations() {
        let budget = Budget::new(Limits {
            operations: 1000,
            evaluation: Duration::from_secs(60),
            total: None,
        });
        let _in = Budget::enter(Some(budget));
        begin().unwrap();
        assert!(!charge(900));
        assert!(charge(200));
        assert_eq!(end(String::new).unwrap().stop, Stop::Operations(1000));
    }

    #[test]
    fn an_evaluation_is_stopped_by_the_clock() {
        let budget = Budget::new(Limits {
            operations: u64::MAX,
            evaluation: Duration::from_millis(20),
            total: None,
        });
        let _in = Budget::enter(Some(budget));
        let halt = spin_until_stopped();
        assert_eq!(halt.stop, Stop::EvaluationTime(Duration::from_millis(20)));
    }

    #[test]
    fn a_child_stops_at_its_parents_deadline_and_with_its_parent() {
        let parent = Budget::new(Limits {
            total: Some(Duration::from_millis(20)),
            ..Limits::default()
        });
        let child = parent.child(Limits {
            operations: u64::MAX,
            evaluation: Duration::from_secs(60),
            total: Some(Duration::from_secs(60)),
        });
        {
            let _in = Budget::enter(Some(child.clone()));
            let halt = spin_until_stopped();
            assert_eq!(halt.stop, Stop::Budget(Duration::from_millis(20)));
        }
        let other = parent.child(Limits::default());
        parent.stop(Stop::ShuttingDown);
        assert_eq!(other.stopped().unwrap().stop, Stop::ShuttingDown);
        let _in = Budget::enter(Some(other));
        assert_eq!(begin().unwrap_err().stop, Stop::ShuttingDown);
    }

    #[test]
    fn dropping_the_guard_cancels_and_entering_is_undone() {
        let budget = Budget::new(Limits::default());
        {
            let _in = Budget::enter(Some(budget.clone()));
            assert!(Budget::current().is_some_and(|b| Arc::ptr_eq(&b, &budget)));
            let _cancel = budget.cancel_on_drop();
        }
        assert!(Budget::current().is_none());
        assert_eq!(budget.stopped().unwrap().stop, Stop::Cancelled);
    }

    #[test]
    fn without_a_budget_the_default_limits_apply() {
        let halt = spin_until_stopped();
        assert_eq!(halt.stop, Stop::Operations(MAX_OPERATIONS));
        assert!(halt.own);
        begin().unwrap();
        end(String::new);
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(Seconds(Duration::from_secs(1)).to_string(), "1 s");
        assert_eq!(Seconds(Duration::from_millis(1500)).to_string(), "1.5 s");
        assert_eq!(Seconds(Duration::from_millis(200)).to_string(), "200 ms");
    }
}
