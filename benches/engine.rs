//! Speed and memory of the engine on round 1400-2, against a hand-written native Rust function that
//! computes the same rules.
//!
//! One run scores (and, for the pipeline rows, ranks and grades) 20,000 and 100,000 synthetic
//! offices in these configurations:
//!
//! - (a) the native baseline: `NativeRules::score_into`, written by hand below;
//! - (b) the engine with the declarative criteria only (bands, linear, lookup, penalties), against
//!   the native function restricted to the same criteria;
//! - (c) the whole of 1400-2 as compiled (the formula and the script lowered to native code);
//! - (d) the whole of 1400-2 with the Rhai criteria forced through the interpreter;
//! - (e) the full pipeline, `score_all` + `place` on all cores, against native scoring on all cores
//!   followed by the same `rank::place`.
//!
//! Offices are prepared before any timing. The configurations run in interleaved rounds: a
//! warm-up round whose results are checked (every office's total must be identical between the
//! native function and the engine), a memory round, then timed rounds; the best time of each is
//! reported (the machine is shared and noisy), and ratios are taken within the one run. A counting
//! global allocator, switched on only for the memory round so its shared counters do not slow the
//! timed ones, reports each phase's peak of live heap bytes above what was live when it started
//! and the number of allocations it made.
//!
//! Run with `cargo bench --bench engine`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use arzyab::domain::{Fixed, RoundingMode};
use arzyab::engine::rank::{self, Placement, ScoreTable};
use arzyab::engine::score::score_into;
use arzyab::engine::{Office, prepare};
use arzyab::population::demo::{self, DemoSettings};
use arzyab::rules::RuleSet;
use arzyab::rules::model::NonFilerPolicy;
use arzyab::rules::ruleset::{InputKind, Rule};
use arzyab::rules::value::Value;

// ---------------------------------------------------------------------------------------------
// A counting allocator: live bytes, their peak, and the number of allocations.

struct Counting;

/// Counting is switched on only for the memory round: the shared counters would otherwise cost
/// the multi-threaded, allocation-heavy phases contention that is not theirs.
static COUNTING: AtomicBool = AtomicBool::new(false);
/// Live bytes allocated minus freed while counting (only differences are meaningful).
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

fn grew(bytes: usize) {
    if COUNTING.load(Relaxed) {
        ALLOCS.fetch_add(1, Relaxed);
        let now = CURRENT.fetch_add(bytes as isize, Relaxed) + bytes as isize;
        if now > PEAK.load(Relaxed) {
            PEAK.fetch_max(now, Relaxed);
        }
    }
}

fn shrank(bytes: usize) {
    if COUNTING.load(Relaxed) {
        CURRENT.fetch_sub(bytes as isize, Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as one allocation of the new size and a free of the old.
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

/// Memory used by `f`: (peak live bytes above the start, bytes still live at the end, allocations).
fn count_memory<R>(f: impl FnOnce() -> R) -> (R, usize, isize, u64) {
    COUNTING.store(true, Relaxed);
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let a0 = ALLOCS.load(Relaxed);
    let r = black_box(f());
    let peak = PEAK.load(Relaxed) - base;
    let retained = CURRENT.load(Relaxed) - base;
    let allocs = ALLOCS.load(Relaxed) - a0;
    COUNTING.store(false, Relaxed);
    (r, peak.max(0) as usize, retained, allocs)
}

#[global_allocator]
static GLOBAL: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// Measuring a phase

#[derive(Clone, Copy, Debug)]
struct Stats {
    /// Best wall time over the timed repetitions.
    best: Duration,
    /// Peak of live heap bytes above the phase's starting point (memory round).
    peak: usize,
    /// Allocations (alloc, alloc_zeroed, realloc) made by the phase (memory round).
    allocs: u64,
}

/// What a round of a configuration is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Untimed; its results are checked against the native function.
    WarmUp,
    /// Counts allocations and the peak of live heap; not timed.
    Memory,
    /// Timed, with the allocation counters off.
    Timed,
}

/// The repetitions of one configuration. Configurations are run in interleaved rounds (each
/// round runs every configuration once), so a noisy spell on the shared machine hits them all
/// alike; the quick single-core ones run several times per timed round.
#[derive(Default)]
struct Series {
    /// Timed runs per timed round.
    times: usize,
    best: Option<Duration>,
    peak: usize,
    allocs: u64,
}

impl Series {
    fn new(times: usize) -> Series {
        Series {
            times,
            ..Series::default()
        }
    }

    fn run<R>(&mut self, pass: Pass, mut f: impl FnMut() -> R) -> R {
        match pass {
            Pass::WarmUp => black_box(f()),
            Pass::Memory => {
                let (r, peak, _, allocs) = count_memory(f);
                self.peak = peak;
                self.allocs = allocs;
                r
            }
            Pass::Timed => {
                let mut last = None;
                for _ in 0..self.times.max(1) {
                    drop(last.take());
                    let t0 = Instant::now();
                    let r = black_box(f());
                    let elapsed = t0.elapsed();
                    self.best = Some(self.best.map_or(elapsed, |b| b.min(elapsed)));
                    last = Some(r);
                }
                last.expect("ran at least once")
            }
        }
    }

    fn stats(&self) -> Stats {
        Stats {
            best: self.best.expect("at least one timed repetition"),
            peak: self.peak,
            allocs: self.allocs,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The native baseline: round 1400-2 written by hand.

const S: i64 = Fixed::SCALE;

const fn int(n: i64) -> Fixed {
    Fixed::from_raw(n * S)
}

/// Criterion ids of 1400-2 in file order (the order of the points row).
const ALL_CRITERIA: [&str; 7] = [
    "area",
    "personnel",
    "location",
    "holder_history",
    "satisfaction",
    "association",
    "data_completeness",
];
/// The declarative ones (bands and linear), in the same order.
const DECLARATIVE_CRITERIA: [&str; 5] = [
    "area",
    "holder_history",
    "satisfaction",
    "association",
    "data_completeness",
];
const PENALTIES: [&str; 4] = [
    "overcharging",
    "forged_documents",
    "unapproved_relocation",
    "no_accessibility",
];

/// Input slots resolved once, and the location base points by choice index.
struct NativeRules {
    area: usize,
    staff: usize,
    insured: usize,
    disabled: usize,
    location: usize,
    distance: usize,
    step_free: usize,
    years: usize,
    satisfaction: usize,
    association: usize,
    completeness: usize,
    violations: usize,
    /// Base location points per choice index of `location_type`.
    location_base: [i64; 8],
}

#[inline(always)]
fn number(o: &Office, slot: usize) -> Option<Fixed> {
    match &o.values[slot] {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    }
}

/// Caps raw points at 0..=max, stores them in the row and adds them × weight to the sum.
#[inline(always)]
fn add(raw: Fixed, max: Fixed, weight: Fixed, row: &mut Fixed, sum: &mut Fixed) {
    let capped = raw.max(Fixed::ZERO).min(max);
    *row = capped;
    *sum = sum.saturating_add(capped.mul(weight));
}

impl NativeRules {
    fn new(rs: &RuleSet) -> NativeRules {
        let slot = |name: &str| {
            rs.input_index(name)
                .unwrap_or_else(|| panic!("1400-2 declares `{name}`"))
        };
        let location = slot("location_type");
        let InputKind::Choice(values) = &rs.inputs[location].kind else {
            panic!("location_type is a choice");
        };
        assert!(values.len() <= 8, "at most 8 location types");
        let mut location_base = [7; 8];
        for (i, v) in values.iter().enumerate() {
            location_base[i] = match v.name.as_str() {
                "city_center" => 8,
                "urban" => 6,
                "suburban" => 5,
                _ => 7,
            };
        }
        NativeRules {
            area: slot("area_m2"),
            staff: slot("staff_count"),
            insured: slot("insured_staff"),
            disabled: slot("disabled_staff"),
            location,
            distance: slot("distance_to_nearest_office_m"),
            step_free: slot("step_free_access"),
            years: slot("years_active"),
            satisfaction: slot("satisfaction_percent"),
            association: slot("association_score"),
            completeness: slot("data_completeness_percent"),
            violations: slot("violations"),
            location_base,
        }
    }

    /// Scores one office. With `FULL`, all seven criteria (`points` has 7 entries in file order);
    /// without, only the five declarative ones (`points` has 5). Returns the rounded total.
    #[inline(always)]
    fn score_into<const FULL: bool>(
        &self,
        o: &Office,
        points: &mut [Fixed],
        penalties: &mut [Fixed; 4],
    ) -> Fixed {
        let mut sum = Fixed::ZERO;
        let mut k = 0;

        // Office space: bands, weight 1.5.
        let area = match number(o, self.area) {
            Some(v) if v < int(20) => int(0),
            Some(v) if v < int(40) => int(4),
            Some(v) if v < int(60) => int(7),
            Some(v) if v < int(100) => int(9),
            Some(_) => int(10),
            None => Fixed::ZERO,
        };
        add(
            area,
            int(10),
            Fixed::from_raw(15_000),
            &mut points[k],
            &mut sum,
        );
        k += 1;

        if FULL {
            // Personnel: min(staff × 2, 12) + min(insured, 4) + min(disabled × 2, 4); 0 if any is missing.
            let personnel = match (
                number(o, self.staff),
                number(o, self.insured),
                number(o, self.disabled),
            ) {
                (Some(s), Some(i), Some(d)) => Fixed::from_raw(
                    (s.raw() * 2).min(12 * S) + i.raw().min(4 * S) + (d.raw() * 2).min(4 * S),
                ),
                _ => Fixed::ZERO,
            };
            add(personnel, int(20), Fixed::ONE, &mut points[k], &mut sum);
            k += 1;

            // Location: base by type + 4 (≥ 2 km) or 2 (≥ 1 km) + 3 for step-free access.
            let location = match (
                &o.values[self.location],
                number(o, self.distance),
                &o.values[self.step_free],
            ) {
                (Some(Value::Choice(c)), Some(d), Some(Value::Bool(step_free))) => {
                    let spread = if d >= int(2000) {
                        4
                    } else if d >= int(1000) {
                        2
                    } else {
                        0
                    };
                    let access = if *step_free { 3 } else { 0 };
                    int(self.location_base[*c as usize] + spread + access)
                }
                _ => Fixed::ZERO,
            };
            add(location, int(15), Fixed::ONE, &mut points[k], &mut sum);
            k += 1;
        }

        // License holder's history: one point a year, at most 10.
        let years = number(o, self.years).map_or(Fixed::ZERO, |v| v.clamp(Fixed::ZERO, int(10)));
        add(years, int(10), Fixed::ONE, &mut points[k], &mut sum);
        k += 1;

        // Satisfaction: 0.4 a percent above 50, at most 20.
        let satisfaction = number(o, self.satisfaction).map_or(Fixed::ZERO, |v| {
            v.saturating_sub(int(50))
                .mul(Fixed::from_raw(4_000))
                .clamp(Fixed::ZERO, int(20))
        });
        add(satisfaction, int(20), Fixed::ONE, &mut points[k], &mut sum);
        k += 1;

        // Association: 0.15 a point, at most 15.
        let association = number(o, self.association).map_or(Fixed::ZERO, |v| {
            v.mul(Fixed::from_raw(1_500)).clamp(Fixed::ZERO, int(15))
        });
        add(association, int(15), Fixed::ONE, &mut points[k], &mut sum);
        k += 1;

        // Data completeness: bands, weight 0.5.
        let completeness = match number(o, self.completeness) {
            Some(v) if v < int(50) => int(0),
            Some(v) if v < int(80) => int(3),
            Some(v) if v < int(95) => int(6),
            Some(_) => int(10),
            None => Fixed::ZERO,
        };
        add(
            completeness,
            int(10),
            Fixed::from_raw(5_000),
            &mut points[k],
            &mut sum,
        );

        // Penalties: first and repeated occurrences, then the cap per kind.
        *penalties = [Fixed::ZERO; 4];
        if let Some(Value::Violations(list)) = &o.values[self.violations] {
            let mut counts = [0u32; 4];
            for v in list.iter() {
                let kind = match v.kind.as_str() {
                    "overcharging" => 0,
                    "forged_documents" => 1,
                    "unapproved_relocation" => 2,
                    "no_accessibility" => 3,
                    _ => continue,
                };
                let p = match (kind, counts[kind]) {
                    (0, 0) => -5,
                    (0, 1) => -8,
                    (0, _) => -12,
                    (1, _) => -20,
                    (2, _) => -10,
                    _ => -5,
                };
                counts[kind] += 1;
                penalties[kind] = penalties[kind].saturating_add(int(p));
            }
        }
        const CAPS: [i64; 4] = [-30, -40, -20, -10];
        for (p, cap) in penalties.iter_mut().zip(CAPS) {
            *p = (*p).max(int(cap));
            sum = sum.saturating_add(*p);
        }
        sum.round(2, RoundingMode::HalfUp)
    }

    /// Every office's total, one core.
    #[inline(never)]
    fn totals<const FULL: bool>(&self, offices: &[Office]) -> Vec<Fixed> {
        let mut out = Vec::with_capacity(offices.len());
        let mut points = [Fixed::ZERO; 7];
        let mut penalties = [Fixed::ZERO; 4];
        for o in offices {
            out.push(self.score_into::<FULL>(o, &mut points, &mut penalties));
        }
        out
    }

    /// The score table `rank::score_all` builds, on all cores (1400-2 leaves non-filers unscored).
    fn score_table(&self, offices: &[Office]) -> ScoreTable {
        const CHUNK: usize = 1024;
        let n = offices.len();
        let mut points = vec![Fixed::ZERO; n * 7];
        let mut penalties = vec![Fixed::ZERO; n * 4];
        let mut totals = vec![None; n];
        points
            .par_chunks_mut(CHUNK * 7)
            .zip(penalties.par_chunks_mut(CHUNK * 4))
            .zip(totals.par_chunks_mut(CHUNK))
            .zip(offices.par_chunks(CHUNK))
            .for_each(|(((pts, pens), tots), chunk)| {
                let mut row_pens = [Fixed::ZERO; 4];
                for (j, o) in chunk.iter().enumerate() {
                    if !o.filed {
                        continue;
                    }
                    let t = self.score_into::<true>(o, &mut pts[j * 7..j * 7 + 7], &mut row_pens);
                    pens[j * 4..j * 4 + 4].copy_from_slice(&row_pens);
                    tots[j] = Some(t);
                }
            });
        ScoreTable {
            criteria: 7,
            penalty_kinds: 4,
            points,
            penalties,
            totals,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The engine side

/// Every office's total through `score_into`, one core, reusing one row (the batch path).
#[inline(never)]
fn engine_totals(rs: &RuleSet, offices: &[Office]) -> Vec<Fixed> {
    let mut points = vec![Fixed::ZERO; rs.criteria.len()];
    let mut penalties = vec![Fixed::ZERO; rs.penalties.len()];
    offices
        .iter()
        .map(|o| {
            score_into(rs, o, &mut points, &mut penalties, None)
                .unwrap_or_else(|e| panic!("scoring failed: {e}"))
        })
        .collect()
}

fn load(dir: &Path) -> RuleSet {
    arzyab::rules::load_round(dir).unwrap_or_else(|d| panic!("{}: {d}", dir.display()))
}

fn criterion_ids(rs: &RuleSet) -> Vec<&str> {
    rs.criteria.iter().map(|c| c.id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Reporting

struct Row {
    label: &'static str,
    offices: usize,
    stats: Stats,
    /// Best time of the native configuration this row is compared with.
    baseline: Option<Duration>,
}

fn bytes(n: usize) -> String {
    if n >= 10 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else if n >= 10 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<52} {:>8} {:>10} {:>10} {:>9} {:>11} {:>9}",
        "configuration", "offices", "ns/office", "total ms", "× native", "peak Δ", "alloc/off"
    );
    println!("{}", "-".repeat(115));
    let mut last_n = 0;
    for r in rows {
        if r.offices != last_n && last_n != 0 {
            println!();
        }
        last_n = r.offices;
        let times = match r.baseline {
            Some(b) => format!("{:.2}×", ratio(r.stats.best, b)),
            None => "—".to_string(),
        };
        println!(
            "{:<52} {:>8} {:>10.1} {:>10.2} {:>9} {:>11} {:>9.2}",
            r.label,
            r.offices,
            r.stats.best.as_secs_f64() * 1e9 / r.offices as f64,
            ms(r.stats.best),
            times,
            bytes(r.stats.peak),
            r.stats.allocs as f64 / r.offices as f64,
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

// ---------------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let started = Instant::now();
    let round = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2");
    const SIZES: [usize; 2] = [20_000, 100_000];
    const MAX: usize = 100_000;
    /// Timed rounds after the warm-up round.
    const ROUNDS: usize = 7;

    // Three copies of the round: as compiled, declarative criteria only, Rhai forced.
    let rs = load(&round);
    let mut rs_decl = load(&round);
    rs_decl
        .criteria
        .retain(|c| !matches!(c.rule, Rule::Program(_)));
    let mut rs_interp = load(&round);
    for c in &mut rs_interp.criteria {
        if let Rule::Program(p) = &mut c.rule {
            p.force_interpreter();
        }
    }
    assert_eq!(criterion_ids(&rs), ALL_CRITERIA, "1400-2 criteria changed");
    assert_eq!(criterion_ids(&rs_decl), DECLARATIVE_CRITERIA);
    let penalty_ids: Vec<&str> = rs.penalties.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(penalty_ids, PENALTIES, "1400-2 penalties changed");
    assert_eq!(rs.grading.non_filers, NonFilerPolicy::LowestGrade);
    let programs: Vec<String> = rs
        .criteria
        .iter()
        .filter_map(|c| match &c.rule {
            Rule::Program(p) => Some(format!(
                "{} ({}, {})",
                c.id,
                c.rule.kind_name(),
                if p.is_native() {
                    "lowered"
                } else {
                    "interpreted"
                }
            )),
            _ => None,
        })
        .collect();

    // Synthetic offices, prepared before any timing. The first 20,000 of the 100,000 are the
    // population of the smaller size (the generator is sequential for a seed).
    let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).expect("shipped regions parse");
    let t = Instant::now();
    let records = demo::generate(
        &rs,
        &provinces,
        &DemoSettings {
            offices: MAX,
            seed: 1400,
            non_filers_percent: 3,
        },
    );
    let generated = t.elapsed();
    // Prepared once, counted (single-threaded, so the counters cost next to nothing): preparing
    // twice would leave the kept offices scattered over the holes of the dropped ones.
    let t = Instant::now();
    let (offices, _, retained, prepare_allocs) = count_memory(|| {
        records
            .iter()
            .map(|r| prepare(&rs, r).unwrap_or_else(|e| panic!("{e}")))
            .collect::<Vec<Office>>()
    });
    let prepared = t.elapsed();
    drop(records);
    let filers = offices.iter().filter(|o| o.filed).count();
    let with_violations = offices
        .iter()
        .filter(|o| matches!(&o.values[rs.input_index("violations").expect("declared")], Some(Value::Violations(l)) if !l.is_empty()))
        .count();

    println!(
        "arzyab engine benchmark — round {} ({})",
        rs.round, rs.version
    );
    println!(
        "cores (rayon threads): {}; programs: {}",
        rayon::current_num_threads(),
        programs.join(", ")
    );
    println!(
        "population: {MAX} offices (seed 1400, {filers} filed, {with_violations} with violations); \
         generated in {:.0} ms, prepared in {:.0} ms ({:.0} ns, {:.1} allocations and {} retained per office)",
        ms(generated),
        ms(prepared),
        prepared.as_secs_f64() * 1e9 / MAX as f64,
        prepare_allocs as f64 / MAX as f64,
        bytes(retained.max(0) as usize / MAX),
    );
    println!(
        "times: best of {ROUNDS} interleaved rounds (quick rows: 2–3 runs a round; allocation counters \
         off) after a warm-up round; \
         peak Δ and alloc/off: a separate round with the counters on (most live heap above the \
         phase's start; allocations per office)"
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!("load average at start (1, 5, 15 min): {}", load.join(" "));
    }

    let nr = NativeRules::new(&rs);
    let mut rows = Vec::new();
    let mut checked = 0usize;
    let mut decl_ratio = Vec::new();
    let mut whole_ratio = Vec::new();
    let mut pipeline_100k = Duration::MAX;

    for &n in &SIZES {
        let offices = &offices[..n];
        let mut native = Series::new(3);
        let mut native_decl = Series::new(3);
        let mut decl = Series::new(3);
        let mut whole = Series::new(2);
        let mut interp = Series::new(1);
        let mut native_par = Series::new(2);
        let mut native_pipe = Series::new(1);
        let mut pipe = Series::new(1);
        let mut score_all = Series::new(1);
        let mut place = Series::new(1);
        for round in 0..ROUNDS + 2 {
            let pass = match round {
                0 => Pass::WarmUp,
                1 => Pass::Memory,
                _ => Pass::Timed,
            };
            // (a) native, whole 1400-2, and restricted to the declarative criteria.
            let native_totals = native.run(pass, || nr.totals::<true>(offices));
            let native_decl_totals = native_decl.run(pass, || nr.totals::<false>(offices));
            // (b) engine, declarative criteria only.
            let decl_totals = decl.run(pass, || engine_totals(&rs_decl, offices));
            // (c) engine, whole 1400-2 as compiled.
            let whole_totals = whole.run(pass, || engine_totals(&rs, offices));
            // (d) engine, whole 1400-2, Rhai criteria interpreted.
            let interp_totals = interp.run(pass, || engine_totals(&rs_interp, offices));
            // (e) the full pipeline on all cores: native scoring + rank::place against the
            // engine's score_all + place; and the parts on their own.
            let native_table = native_par.run(pass, || nr.score_table(offices));
            let native_places = native_pipe.run(pass, || {
                let table = nr.score_table(offices);
                rank::place(&rs, offices, &table)
            });
            let ranking = pipe.run(pass, || {
                rank::rank(&rs, offices).unwrap_or_else(|e| panic!("{} scoring errors", e.len()))
            });
            let table = score_all.run(pass, || {
                rank::score_all(&rs, offices)
                    .unwrap_or_else(|e| panic!("{} scoring errors", e.len()))
            });
            let places = place.run(pass, || rank::place(&rs, offices, &table));

            if pass == Pass::WarmUp {
                for (i, (e, x)) in whole_totals.iter().zip(&native_totals).enumerate() {
                    assert_eq!(e, x, "office {}: engine {e} ≠ native {x}", offices[i].id);
                }
                assert!(
                    decl_totals == native_decl_totals,
                    "declarative totals differ from the native function"
                );
                assert!(
                    interp_totals == native_totals,
                    "interpreted totals differ from the native function"
                );
                assert!(
                    ranking.scores == native_table && table == native_table,
                    "score_all's table differs from the native one"
                );
                let engine_places: &[Placement] = &ranking.placements;
                assert!(
                    engine_places == native_places.as_slice() && places == native_places,
                    "placements differ between the engine's and the native score table"
                );
                checked += n;
            }
        }

        let (native, native_decl, decl, whole, interp) = (
            native.stats(),
            native_decl.stats(),
            decl.stats(),
            whole.stats(),
            interp.stats(),
        );
        let (native_par, native_pipe, pipe, score_all, place) = (
            native_par.stats(),
            native_pipe.stats(),
            pipe.stats(),
            score_all.stats(),
            place.stats(),
        );
        decl_ratio.push((n, ratio(decl.best, native_decl.best)));
        whole_ratio.push((n, ratio(whole.best, native.best)));
        if n == 100_000 {
            pipeline_100k = pipe.best;
        }
        let row = |label, stats: Stats, baseline: Option<&Stats>| Row {
            label,
            offices: n,
            stats,
            baseline: baseline.map(|b| b.best),
        };
        rows.extend([
            row(
                "(a)  native fn, whole 1400-2 (1 core)",
                native,
                Some(&native),
            ),
            row(
                "(a') native fn, declarative criteria (1 core)",
                native_decl,
                Some(&native_decl),
            ),
            row(
                "(b)  engine, declarative criteria only (1 core)",
                decl,
                Some(&native_decl),
            ),
            row(
                "(c)  engine, whole 1400-2 compiled (1 core)",
                whole,
                Some(&native),
            ),
            row(
                "(d)  engine, whole 1400-2 Rhai interpreted (1 core)",
                interp,
                Some(&native),
            ),
            row(
                "(e') native fn score + rank::place (all cores)",
                native_pipe,
                Some(&native_pipe),
            ),
            row(
                "(e)  engine score_all + place (all cores)",
                pipe,
                Some(&native_pipe),
            ),
            row(
                "     parts: native fn score table (all cores)",
                native_par,
                Some(&native_par),
            ),
            row(
                "     parts: engine score_all (all cores)",
                score_all,
                Some(&native_par),
            ),
            row(
                "     parts: rank::place (shared by both sides)",
                place,
                None,
            ),
        ]);
    }

    println!();
    print_table(&rows);
    println!();
    println!(
        "totals identical: yes ({checked} offices: native = engine declarative, compiled, \
         interpreted and score_all; score tables and placements identical too)"
    );
    println!();
    println!("targets:");
    for (n, r) in &decl_ratio {
        println!(
            "  declarative within 1.5× native, {n} offices: {r:.2}× — {}",
            verdict(*r <= 1.5)
        );
    }
    for (n, r) in &whole_ratio {
        println!(
            "  whole 1400-2 within 10× native, {n} offices: {r:.2}× — {}",
            verdict(*r <= 10.0)
        );
    }
    println!(
        "  100,000 offices scored+ranked+graded under 250 ms on {} cores: {:.1} ms — {}",
        rayon::current_num_threads(),
        ms(pipeline_100k),
        verdict(pipeline_100k < Duration::from_millis(250))
    );
    println!();
    println!("bench wall time: {:.1} s", started.elapsed().as_secs_f64());
}
