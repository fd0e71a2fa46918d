//! `arzyab simulate`: what a candidate rule set would do to every office of a population, compared
//! with the live rules — as a table, CSV, JSON, and optionally a self-contained HTML report.
//!
//! Reads the rule directories and the offices file; writes nothing but standard output, standard
//! error and the `--report` file when one is asked for.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::Format;
use super::table::render;
use crate::domain::Fixed;
use crate::engine::simulate::{
    self, Baseline, Options, Override, Simulation, Sweep, SweepSpec, overrides, signed,
};
use crate::engine::{Office, OfficeRecord};
use crate::rules::{Diagnostics, RuleSet, load_round};

/// Arguments of `arzyab simulate`.
#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// The live rules: a round directory.
    #[arg(long, value_name = "DIR")]
    base: PathBuf,
    /// The candidate rules: a round directory (default: a copy of --base, changed by --set).
    #[arg(long, value_name = "DIR")]
    candidate: Option<PathBuf>,
    /// Change a setting of the candidate; repeatable. Keys: weight:<criterion>,
    /// max_points:<criterion>, points:<penalty>, cap:<penalty> (a number or none),
    /// cut:grade_1|grade_2, share:grade_1|grade_2, service_share:grade_N, fragile_margin, scope.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Offices as .csv or .json.
    #[arg(long, value_name = "FILE")]
    offices: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write a self-contained HTML report with charts to this file.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
    /// Vary one setting of the candidate over a range, both ends included, e.g. weight:area=0:3:0.25.
    #[arg(long, value_name = "KEY=FROM:TO:STEP")]
    sweep: Option<String>,
    /// How many of the offices that moved most to explain.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// Print how long each phase took to standard error.
    #[arg(long)]
    timings: bool,
}

/// Runs a simulation.
pub fn run(args: SimulateArgs) -> Result<ExitCode, String> {
    let mut clock = Clock::new(args.timings);
    let base = match load_round(&args.base) {
        Ok(rs) => rs,
        Err(d) => return Ok(broken(&args.base, &d)),
    };
    // Overrides change a fresh copy of the rules (a compiled rule set cannot be cloned).
    let from = args.candidate.as_deref().unwrap_or(&args.base);
    let mut cand = match load_round(from) {
        Ok(rs) => rs,
        Err(d) => return Ok(broken(from, &d)),
    };
    let set = apply_set(&args.set, &mut cand)?;
    let sweep_spec = args
        .sweep
        .as_deref()
        .map(|s| SweepSpec::parse(s).map_err(|e| format!("--sweep {s}: {}", e.en)))
        .transpose()?;
    if args.candidate.is_none() && set.is_empty() && sweep_spec.is_none() {
        return Err(
            "nothing to simulate: give --candidate DIR, or --set KEY=VALUE (e.g. weight:area=2), or --sweep"
                .into(),
        );
    }
    clock.lap("rules");

    let records = crate::population::read_offices(&args.offices).map_err(|e| e.to_string())?;
    clock.lap("offices: read");
    let base_offices = prepare_all(&base, &records, &args.offices)?;
    let cand_own = if simulate::same_inputs(&base, &cand) {
        None
    } else {
        Some(prepare_all(&cand, &records, &args.offices)?)
    };
    let cand_offices = cand_own.as_deref().unwrap_or(&base_offices);
    clock.lap("offices: check");

    let baseline = Baseline::new(&base, &base_offices).map_err(score_errors)?;
    clock.lap("baseline ranking");
    let mut sim = simulate::simulate(
        &baseline,
        &cand,
        cand_offices,
        &Options {
            top_movers: args.top,
        },
    )
    .map_err(score_errors)?;
    sim.overrides = set.iter().map(|o| o.to_string()).collect();
    clock.lap("simulation");
    let sweep = match &sweep_spec {
        Some(spec) => {
            let s = simulate::sweep(&baseline, &mut cand, cand_offices, spec)
                .map_err(|e| e.to_string())?;
            clock.lap(&format!("sweep ({} steps)", s.steps.len()));
            Some(s)
        }
        None => None,
    };

    write_output(&args, &sim, sweep.as_ref())?;
    clock.lap("output");
    clock.finish();
    Ok(ExitCode::SUCCESS)
}

/// Parses the `--set` overrides and applies them to the candidate.
fn apply_set(set: &[String], cand: &mut RuleSet) -> Result<Vec<Override>, String> {
    let set: Vec<Override> = set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| format!("--set {s}: {}", e.en)))
        .collect::<Result<_, _>>()?;
    overrides::apply(cand, &set).map_err(|problems| {
        format!(
            "the candidate's settings are not valid:\n  {}",
            problems
                .iter()
                .map(|p| p.en.as_str())
                .collect::<Vec<_>>()
                .join("\n  ")
        )
    })?;
    Ok(set)
}

/// Writes the simulation to standard output in the chosen format, and the HTML report if asked.
fn write_output(
    args: &SimulateArgs,
    sim: &Simulation,
    sweep: Option<&Sweep>,
) -> Result<(), String> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        Format::Table => out.write_all(table(sim, sweep).as_bytes()),
        Format::Csv => out.write_all(csv(sim)?.as_bytes()),
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                #[serde(flatten)]
                simulation: &'a Simulation,
                #[serde(skip_serializing_if = "Option::is_none")]
                sweep: Option<&'a Sweep>,
            }
            let doc = Doc {
                simulation: sim,
                sweep,
            };
            serde_json::to_writer_pretty(&mut out, &doc)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        }
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| format!("standard output: {e}"))?;
    drop(out);
    if let Some(path) = &args.report {
        let html = crate::report::simulation::render(sim, sweep);
        std::fs::write(path, html).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("wrote the report to {}", path.display());
    }
    Ok(())
}

/// Prints a rule set's problems exactly as `arzyab check` does.
fn broken(dir: &Path, diags: &Diagnostics) -> ExitCode {
    eprintln!("{diags}");
    eprintln!("{}: {} problem(s)", dir.display(), diags.0.len());
    ExitCode::FAILURE
}

fn score_errors(errors: Vec<crate::engine::ScoreError>) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks every office against a rule set, on all cores; every bad file is reported.
fn prepare_all(rs: &RuleSet, records: &[OfficeRecord], path: &Path) -> Result<Vec<Office>, String> {
    let under = format!(" under the rules of {}", rs.source.dir.display());
    super::prepared(rs, records, path, &under)
}

/// Phase timings for `--timings`.
struct Clock {
    on: bool,
    start: Instant,
    last: Instant,
    laps: Vec<(String, Duration)>,
}

impl Clock {
    fn new(on: bool) -> Self {
        let now = Instant::now();
        Clock {
            on,
            start: now,
            last: now,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, what: &str) {
        let now = Instant::now();
        self.laps.push((what.to_string(), now - self.last));
        self.last = now;
    }

    fn finish(&self) {
        if !self.on {
            return;
        }
        for (what, d) in &self.laps {
            eprintln!("time: {what:<26} {:>9.1} ms", d.as_secs_f64() * 1e3);
        }
        eprintln!(
            "time: {:<26} {:>9.1} ms",
            "total",
            self.start.elapsed().as_secs_f64() * 1e3
        );
    }
}

fn opt(x: Option<Fixed>) -> String {
    x.map_or("—".into(), |x| x.to_string())
}

fn total(x: Option<Fixed>) -> String {
    x.map_or("not filed".into(), |x| x.to_string())
}

fn grades(g: [usize; 3]) -> String {
    format!("{} / {} / {}", g[0], g[1], g[2])
}

/// Who the candidate is, in one line.
pub fn candidate_line(sim: &Simulation) -> String {
    let mut s = if sim.candidate.dir == sim.baseline.dir {
        "the base rules".to_string()
    } else {
        format!(
            "round {} v{} ({})",
            sim.candidate.round, sim.candidate.version, sim.candidate.dir
        )
    };
    if !sim.overrides.is_empty() {
        s.push_str(&format!(" with {}", sim.overrides.join(", ")));
    }
    s
}

/// The simulation as text tables, one section after another.
fn table(sim: &Simulation, sweep: Option<&Sweep>) -> String {
    let mut out = String::new();
    table_changes(&mut out, sim);
    table_summary(&mut out, sim);
    table_grades(&mut out, sim);
    table_top_movers(&mut out, sim);
    table_groups(&mut out, sim);
    table_fragile(&mut out, sim);
    if let Some(sw) = sweep {
        table_sweep(&mut out, sw);
    }
    out
}

/// Appends one line.
fn line(out: &mut String, t: impl AsRef<str>) {
    out.push_str(t.as_ref());
    out.push('\n');
}

/// The heading, the rule changes, and what had to be evaluated again.
fn table_changes(out: &mut String, sim: &Simulation) {
    line(
        out,
        format!(
            "Simulation: round {} v{} ({}) → {}",
            sim.baseline.round,
            sim.baseline.version,
            sim.baseline.dir,
            candidate_line(sim)
        ),
    );
    line(out, "");
    line(out, "Rule changes");
    if sim.changes.is_empty() {
        line(
            out,
            "  none: the candidate scores and grades exactly as the base",
        );
    } else {
        let rows: Vec<Vec<String>> = sim
            .changes
            .iter()
            .map(|c| {
                vec![
                    c.section.to_string(),
                    c.id.clone(),
                    c.field.clone(),
                    c.old.clone().unwrap_or_else(|| "—".into()),
                    c.new.clone().unwrap_or_else(|| "—".into()),
                ]
            })
            .collect();
        line(out, render(&["section", "id", "what", "old", "new"], &rows));
    }
    let none = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    line(
        out,
        format!(
            "Evaluated again: criteria {}; penalties {}{} (everything else reused from the base)",
            none(&sim.work.reevaluated_criteria),
            none(&sim.work.recomputed_penalties),
            if sim.work.rescored_non_filers {
                "; offices that did not file"
            } else {
                ""
            }
        ),
    );
    line(out, "");
}

/// Counts of what changed, mean totals, grade counts and fragile offices, old → new.
fn table_summary(out: &mut String, sim: &Simulation) {
    let s = &sim.summary;
    line(out, "Summary");
    line(
        out,
        format!(
            "  offices {} ({} filed, {} did not file: they stay in the lowest grade unless the rules score them)",
            s.offices, s.filers, s.non_filers
        ),
    );
    line(
        out,
        format!(
            "  totals changed {}; grades changed {} ({} up, {} down); nationwide positions changed {} (largest rise {}, largest fall {})",
            s.totals_changed,
            s.grades_changed,
            s.grades_up,
            s.grades_down,
            s.positions_changed,
            signed(Fixed::from_int(s.largest_rise)),
            signed(Fixed::from_int(s.largest_fall))
        ),
    );
    line(
        out,
        format!(
            "  mean total {} → {}",
            opt(s.mean_total_old),
            opt(s.mean_total_new)
        ),
    );
    line(
        out,
        format!(
            "  grades 1 / 2 / 3: {} → {}",
            grades(s.grades_old),
            grades(s.grades_new)
        ),
    );
    line(
        out,
        format!(
            "  fragile offices (within {} of a boundary): {} → {}",
            sim.candidate.fragile_margin, s.fragile_old, s.fragile_new
        ),
    );
    line(out, "");
}

/// The grade transition matrix and the histogram of nationwide rank movement.
fn table_grades(out: &mut String, sim: &Simulation) {
    line(
        out,
        "Grade transitions (rows: old grade, columns: new grade)",
    );
    let rows: Vec<Vec<String>> = (0..3)
        .map(|g| {
            let mut r = vec![format!("grade {}", g + 1)];
            r.extend(sim.transitions[g].iter().map(|n| n.to_string()));
            r
        })
        .collect();
    line(out, render(&["old \\ new", "1", "2", "3"], &rows));
    line(out, "Nationwide rank movement (places; + = up)");
    let most = sim
        .movement
        .iter()
        .map(|b| b.count)
        .max()
        .unwrap_or(0)
        .max(1);
    let rows: Vec<Vec<String>> = sim
        .movement
        .iter()
        .map(|b| {
            vec![
                b.label.clone(),
                b.count.to_string(),
                "█".repeat((b.count * 40).div_ceil(most)),
            ]
        })
        .collect();
    line(out, render(&["places", "offices", ""], &rows));
}

/// The offices that moved most, and why.
fn table_top_movers(out: &mut String, sim: &Simulation) {
    line(out, format!("Top movers ({})", sim.top_movers.len()));
    if sim.top_movers.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = sim
        .top_movers
        .iter()
        .map(|m| {
            vec![
                m.office.clone(),
                m.kind.to_string(),
                m.region.to_string(),
                format!("{} → {}", total(m.old_total), total(m.new_total)),
                format!("{} → {}", m.old_grade, m.new_grade),
                format!("{} → {}", m.old_national, m.new_national),
                signed(Fixed::from_int(m.movement)),
                m.reasons
                    .iter()
                    .map(|r| r.describe())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    line(
        out,
        render(
            &[
                "office", "kind", "region", "total", "grade", "national", "moved", "why",
            ],
            &rows,
        ),
    );
}

/// Grade counts by region and by office kind, old and new.
fn table_groups(out: &mut String, sim: &Simulation) {
    for (title, groups) in [("region", &sim.by_region), ("office kind", &sim.by_kind)] {
        line(out, format!("Grades by {title} (1 / 2 / 3)"));
        let rows: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                vec![
                    g.group.clone(),
                    g.offices.to_string(),
                    grades(g.old),
                    grades(g.new),
                    g.grades_changed.to_string(),
                ]
            })
            .collect();
        line(
            out,
            render(&[title, "offices", "old", "new", "changed"], &rows),
        );
    }
}

/// The offices closest to a grade boundary under the candidate.
fn table_fragile(out: &mut String, sim: &Simulation) {
    const FRAGILE_SHOWN: usize = 20;
    line(
        out,
        format!(
            "Fragile offices under the candidate: {}{}",
            sim.fragile.len(),
            if sim.fragile.len() > FRAGILE_SHOWN {
                format!(" (the {FRAGILE_SHOWN} closest shown)")
            } else {
                String::new()
            }
        ),
    );
    if sim.fragile.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = sim
        .fragile
        .iter()
        .take(FRAGILE_SHOWN)
        .map(|f| {
            vec![
                f.office.clone(),
                f.kind.to_string(),
                f.region.to_string(),
                total(f.total),
                f.grade.to_string(),
                opt(f.to_next_grade),
                opt(f.distance),
            ]
        })
        .collect();
    line(
        out,
        render(
            &[
                "office",
                "kind",
                "region",
                "total",
                "grade",
                "to next grade",
                "from a cut",
            ],
            &rows,
        ),
    );
}

/// One row per value of the swept setting: grade counts, mean total, or why it was refused.
fn table_sweep(out: &mut String, sw: &Sweep) {
    line(
        out,
        format!(
            "Sweep of {} (the candidate has {}; the base grades {})",
            sw.param,
            sw.current,
            grades(sw.baseline_grades)
        ),
    );
    let rows: Vec<Vec<String>> = sw
        .steps
        .iter()
        .map(|st| match (&st.grades, &st.error) {
            (Some(g), _) => vec![
                st.value.to_string(),
                g[0].to_string(),
                g[1].to_string(),
                g[2].to_string(),
                opt(st.mean_total),
                st.grades_changed.unwrap_or(0).to_string(),
            ],
            (None, e) => vec![
                st.value.to_string(),
                format!("refused: {}", e.clone().unwrap_or_default()),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ],
        })
        .collect();
    line(
        out,
        render(
            &[
                "value",
                "grade 1",
                "grade 2",
                "grade 3",
                "mean total",
                "grades changed",
            ],
            &rows,
        ),
    );
}

/// One row per office.
fn csv(sim: &Simulation) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "office",
        "kind",
        "region",
        "province",
        "filed",
        "old_total",
        "new_total",
        "delta",
        "old_grade",
        "new_grade",
        &format!("old_position_{}", sim.baseline.grading_scope),
        &format!("new_position_{}", sim.candidate.grading_scope),
        "old_national",
        "new_national",
        "movement",
        "fragile",
    ])
    .map_err(|e| e.to_string())?;
    let cell = |x: Option<Fixed>| x.map_or(String::new(), |x| x.to_string());
    for o in &sim.offices {
        w.write_record([
            o.office.clone(),
            o.kind.to_string(),
            o.region.to_string(),
            o.province.clone(),
            o.filed.to_string(),
            cell(o.old_total),
            cell(o.new_total),
            cell(o.delta),
            o.old_grade.to_string(),
            o.new_grade.to_string(),
            o.old_position.to_string(),
            o.new_position.to_string(),
            o.old_national.to_string(),
            o.new_national.to_string(),
            o.movement.to_string(),
            o.fragile.to_string(),
        ])
        .map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}
