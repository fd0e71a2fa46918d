//! The simulation report: rule changes, summary, grade transitions (heat-map), rank movement
//! (histogram), grades per region and office kind (grouped bars), top movers with reasons, fragile
//! offices, and the sweep (line chart) when one was run.

use std::fmt::Write as _;

use super::charts::{self, GRADE_COLORS, Series};
use super::{escape, heading};
use crate::domain::Fixed;
use crate::engine::simulate::{GroupCounts, RulesInfo, Simulation, Sweep, signed};

/// How many fragile offices the report lists (all are counted).
const FRAGILE_LISTED: usize = 100;

const STYLE: &str = r#"
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #f5f7fa; --accent: #1e5a8a; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 Vazirmatn, "Noto Sans Arabic", Tahoma, "DejaVu Sans", "Segoe UI", sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
header { background: var(--accent); color: #fff; padding: 22px 28px; }
header .inner { max-width: 1100px; margin: 0 auto; }
header h1 { margin: 0 0 6px; font-size: 24px; }
header p { margin: 2px 0; opacity: .92; }
h1 span.en, h2 span.en { display: block; font-size: .78em; font-weight: 500; opacity: .85; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px;
  margin: 18px 0; break-inside: avoid; }
h2 { margin: 0 0 12px; font-size: 19px; color: var(--accent); }
[dir=rtl] { unicode-bidi: isolate; }
h2 [dir=rtl], h1 [dir=rtl] { display: block; text-align: right; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #eef2f7; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code { white-space: nowrap; }
table + h2 { margin-top: 26px; }
td.old { color: #9b2c2c; } td.new { color: #22543d; font-weight: 600; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .k { color: var(--muted); font-size: 12.5px; }
.card .v { font-size: 22px; font-weight: 700; }
.card .d { font-size: 12.5px; color: var(--muted); }
.up { color: #2e7d32; } .down { color: #c62828; }
.muted { color: var(--muted); font-size: 13px; }
.notice { background: #fff8e1; color: #5d4200; border-radius: 6px; padding: 8px 12px; margin-top: 10px; }
ul.why { margin: 0; padding-left: 16px; }
.grade { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 4px; color: #fff;
  font-weight: 700; padding: 0 4px; }
.g1 { background: #2e7d32; } .g2 { background: #f9a825; color: #222; } .g3 { background: #c62828; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0; }
svg .grid { stroke: #e4e7eb; stroke-width: 1; }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .marker { stroke: #1e5a8a; stroke-width: 1.5; stroke-dasharray: 5 4; }
svg .tick { fill: #52606d; font-size: 12px; }
svg .small { fill: #52606d; font-size: 11px; }
svg .label { fill: #3e4c59; font-size: 13px; }
svg .value { fill: #1f2933; font-size: 12px; font-weight: 600; }
svg .head { fill: #1f2933; font-size: 14px; font-weight: 600; }
svg .cell { font-size: 22px; font-weight: 700; }
.two { display: grid; grid-template-columns: 1fr; gap: 8px; }
footer { color: var(--muted); font-size: 12.5px; margin-top: 24px; }
@media print { body { background: #fff; } section { border: none; padding: 0; } header { color: #000; background: none; } }
"#;

/// The whole report as one HTML document.
pub fn render(sim: &Simulation, sweep: Option<&Sweep>) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = format!(
        "Simulation — round {} → {}",
        sim.baseline.round,
        candidate_name(sim)
    );
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&title)
    );
    header(&mut h, sim);
    h.push_str("<main>\n");
    notice(&mut h, sim);
    changes(&mut h, sim);
    summary(&mut h, sim);
    transitions(&mut h, sim);
    movement(&mut h, sim);
    groups(&mut h, sim);
    movers(&mut h, sim);
    fragile(&mut h, sim);
    if let Some(s) = sweep {
        sweep_section(&mut h, s);
    }
    footer(&mut h, sim);
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

fn candidate_name(sim: &Simulation) -> String {
    let mut s = if sim.candidate.dir == sim.baseline.dir {
        format!("{} (the base rules)", sim.candidate.round)
    } else {
        format!("{} v{}", sim.candidate.round, sim.candidate.version)
    };
    if !sim.overrides.is_empty() {
        let _ = write!(s, " with {}", sim.overrides.join(", "));
    }
    s
}

fn rules_line(r: &RulesInfo) -> String {
    format!(
        "round {} v{} — {} — <code>{}</code> #{} — {}",
        escape(&r.round),
        escape(&r.version),
        escape(&r.title.en),
        escape(&r.dir),
        escape(&r.hash),
        escape(&r.grading)
    )
}

fn header(h: &mut String, sim: &Simulation) {
    let _ = write!(
        h,
        "<header><div class=\"inner\">{}\
         <p><b>Base · <span dir=\"rtl\" lang=\"fa\">قواعد جاری</span>:</b> {}</p>\
         <p><b>Candidate · <span dir=\"rtl\" lang=\"fa\">قواعد پیشنهادی</span>:</b> {}</p>",
        heading(
            1,
            "گزارش شبیه‌سازی تغییر قواعد ارزیابی",
            "Rule-change simulation report"
        ),
        rules_line(&sim.baseline),
        rules_line(&sim.candidate),
    );
    if !sim.overrides.is_empty() {
        let _ = write!(
            h,
            "<p><b>Overrides:</b> <code>{}</code></p>",
            escape(&sim.overrides.join("  "))
        );
    }
    h.push_str("</div></header>\n");
}

fn notice(h: &mut String, sim: &Simulation) {
    if let Some(n) = &sim.candidate.notice {
        let _ = writeln!(
            h,
            "<div class=\"notice\"><span dir=\"rtl\" lang=\"fa\">{}</span><br>{}</div>",
            escape(&n.fa),
            escape(&n.en)
        );
    }
}

fn changes(h: &mut String, sim: &Simulation) {
    let _ = write!(
        h,
        "<section id=\"changes\">{}",
        heading(2, "تغییرات قواعد", "Rule changes")
    );
    if sim.changes.is_empty() {
        h.push_str("<p>None: the candidate scores and grades exactly as the base rules.</p>");
    } else {
        h.push_str(
            "<table><thead><tr><th>Section</th><th>Item</th><th>What</th><th>Old</th><th>New</th></tr></thead><tbody>",
        );
        for c in &sim.changes {
            let item = match &c.label {
                Some(l) => format!(
                    "<code>{}</code><br><span class=\"muted\">{}</span> · <span dir=\"rtl\" lang=\"fa\" class=\"muted\">{}</span>",
                    escape(&c.id),
                    escape(&l.en),
                    escape(&l.fa)
                ),
                None => escape(&c.id),
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{item}</td><td>{}</td><td class=\"old\">{}</td><td class=\"new\">{}</td></tr>",
                escape(c.section),
                escape(&c.field),
                escape(c.old.as_deref().unwrap_or("—")),
                escape(c.new.as_deref().unwrap_or("—"))
            );
        }
        h.push_str("</tbody></table>");
    }
    let none = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let _ = writeln!(
        h,
        "<p class=\"muted\">Evaluated again: criteria {}; penalties {}{}. Everything else was reused from the base ranking.</p></section>",
        escape(&none(&sim.work.reevaluated_criteria)),
        escape(&none(&sim.work.recomputed_penalties)),
        if sim.work.rescored_non_filers {
            "; offices that did not file"
        } else {
            ""
        }
    );
}

fn card(h: &mut String, fa: &str, en: &str, value: &str, detail: &str) {
    let _ = write!(
        h,
        "<div class=\"card\"><div class=\"k\"><span dir=\"rtl\" lang=\"fa\">{}</span> · {}</div>\
         <div class=\"v\">{value}</div><div class=\"d\">{detail}</div></div>",
        escape(fa),
        escape(en)
    );
}

fn opt(x: Option<Fixed>) -> String {
    x.map_or("—".into(), |x| x.to_string())
}

fn summary(h: &mut String, sim: &Simulation) {
    let s = &sim.summary;
    let _ = write!(
        h,
        "<section id=\"summary\">{}<div class=\"cards\">",
        heading(2, "خلاصه", "Summary")
    );
    card(
        h,
        "دفاتر",
        "Offices",
        &s.offices.to_string(),
        &format!("{} filed, {} did not file", s.filers, s.non_filers),
    );
    card(
        h,
        "امتیاز تغییرکرده",
        "Totals changed",
        &s.totals_changed.to_string(),
        &format!(
            "mean total {} → {}",
            opt(s.mean_total_old),
            opt(s.mean_total_new)
        ),
    );
    card(
        h,
        "رتبه تغییرکرده",
        "Grades changed",
        &s.grades_changed.to_string(),
        &format!(
            "<span class=\"up\">▲ {} better</span> · <span class=\"down\">▼ {} worse</span>",
            s.grades_up, s.grades_down
        ),
    );
    card(
        h,
        "جایگاه تغییرکرده",
        "Positions changed",
        &s.positions_changed.to_string(),
        &format!(
            "nationwide; largest rise {}, largest fall {}",
            signed(Fixed::from_int(s.largest_rise)),
            signed(Fixed::from_int(s.largest_fall))
        ),
    );
    for g in 0..3 {
        let d = s.grades_new[g] as i64 - s.grades_old[g] as i64;
        card(
            h,
            &format!("رتبه {}", ["۱", "۲", "۳"][g]),
            &format!("Grade {}", g + 1),
            &s.grades_new[g].to_string(),
            &format!(
                "was {} ({}) · {}% of services",
                s.grades_old[g],
                signed(Fixed::from_int(d)),
                sim.candidate.service_share[g]
            ),
        );
    }
    card(
        h,
        "نتایج شکننده",
        "Fragile results",
        &s.fragile_new.to_string(),
        &format!(
            "within {} of a grade boundary (was {})",
            sim.candidate.fragile_margin, s.fragile_old
        ),
    );
    h.push_str("</div></section>\n");
}

fn transitions(h: &mut String, sim: &Simulation) {
    let _ = writeln!(
        h,
        "<section id=\"transitions\">{}<p class=\"muted\">Rows: grade under the base rules; columns: grade under the candidate. \
         Green cells moved to a better grade, red to a worse one. Offices that did not file stay in grade 3.</p>{}</section>",
        heading(2, "جابجایی میان رتبه‌ها", "Grade transitions"),
        charts::heatmap(
            "chart-transitions",
            "Grade transitions: old grade (rows) → new grade (columns)",
            &sim.transitions
        )
    );
}

fn movement(h: &mut String, sim: &Simulation) {
    let bars: Vec<(String, usize)> = sim
        .movement
        .iter()
        .map(|b| (b.label.clone(), b.count))
        .collect();
    let colors: Vec<&str> = sim
        .movement
        .iter()
        .map(|b| match (b.min, b.max) {
            (Some(0), Some(0)) => "#9aa5b1",
            (Some(lo), _) if lo > 0 => "#2e7d32",
            _ => "#c62828",
        })
        .collect();
    let _ = writeln!(
        h,
        "<section id=\"movement\">{}<p class=\"muted\">Places moved in the nationwide order (old position − new position): \
         positive = moved up.</p>{}</section>",
        heading(2, "جابجایی جایگاه در کشور", "Rank movement"),
        charts::bar_chart(
            "chart-movement",
            "Rank movement: offices per number of places moved nationwide",
            "places moved (+ = up)",
            &bars,
            &colors
        )
    );
}

fn group_rows(
    groups: &[GroupCounts],
    name: impl Fn(&GroupCounts) -> String,
) -> Vec<(String, [usize; 3], [usize; 3])> {
    groups.iter().map(|g| (name(g), g.old, g.new)).collect()
}

fn groups(h: &mut String, sim: &Simulation) {
    let regions = group_rows(&sim.by_region, |g| format!("region {}", g.group));
    let kinds = group_rows(&sim.by_kind, |g| {
        g.label.as_ref().map_or(g.group.clone(), |l| l.en.clone())
    });
    let _ = writeln!(
        h,
        "<section id=\"groups\">{}<div class=\"two\">{}</div>{}{}<div class=\"two\">{}</div>{}</section>",
        heading(2, "رتبه‌ها به تفکیک منطقه", "Grades by region"),
        charts::grouped_stacked(
            "chart-regions",
            "Grade counts per region, base (pale) and candidate",
            &regions
        ),
        group_table(&sim.by_region, "Region"),
        heading(2, "رتبه‌ها به تفکیک نوع دفتر", "Grades by office kind"),
        charts::grouped_stacked(
            "chart-kinds",
            "Grade counts per office kind, base (pale) and candidate",
            &kinds
        ),
        group_table(&sim.by_kind, "Office kind"),
    );
}

fn group_table(groups: &[GroupCounts], what: &str) -> String {
    let mut t = format!(
        "<table><thead><tr><th>{what}</th><th class=\"num\">Offices</th>\
         <th class=\"num\">Old 1 / 2 / 3</th><th class=\"num\">New 1 / 2 / 3</th><th class=\"num\">Grade changed</th></tr></thead><tbody>"
    );
    for g in groups {
        let name = match &g.label {
            Some(l) => format!(
                "{} · <span dir=\"rtl\" lang=\"fa\">{}</span>",
                escape(&l.en),
                escape(&l.fa)
            ),
            None => escape(&g.group),
        };
        let _ = write!(
            t,
            "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{} / {} / {}</td>\
             <td class=\"num\">{} / {} / {}</td><td class=\"num\">{}</td></tr>",
            g.offices, g.old[0], g.old[1], g.old[2], g.new[0], g.new[1], g.new[2], g.grades_changed
        );
    }
    t.push_str("</tbody></table>");
    t
}

fn grade(g: crate::domain::Grade) -> String {
    format!("<span class=\"grade g{0}\">{0}</span>", g.get())
}

fn total(x: Option<Fixed>) -> String {
    x.map_or("not filed".into(), |x| x.to_string())
}

fn movers(h: &mut String, sim: &Simulation) {
    let _ = write!(
        h,
        "<section id=\"movers\">{}",
        heading(
            2,
            "دفاتری که بیشترین جابجایی را داشتند",
            "Offices that moved most, and why"
        )
    );
    if sim.top_movers.is_empty() {
        h.push_str("<p>No office's total, grade or position changed.</p></section>\n");
        return;
    }
    h.push_str(
        "<table><thead><tr><th>Office</th><th class=\"num\">Region</th><th class=\"num\">Total</th>\
         <th class=\"num\">Grade</th><th class=\"num\">Nationwide</th><th class=\"num\">Moved</th><th>Why</th></tr></thead><tbody>",
    );
    for m in &sim.top_movers {
        let why: String = m
            .reasons
            .iter()
            .map(|r| {
                let label = r.label.as_ref().map_or(String::new(), |l| {
                    format!(
                        " <span class=\"muted\">({} · <span dir=\"rtl\" lang=\"fa\">{}</span>)</span>",
                        escape(&l.en),
                        escape(&l.fa)
                    )
                });
                format!("<li>{}{label}</li>", escape(&r.describe()))
            })
            .collect();
        let class = match m.movement.cmp(&0) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Less => "down",
            std::cmp::Ordering::Equal => "",
        };
        let _ = write!(
            h,
            "<tr><td><code>{}</code><br><span class=\"muted\">{}</span></td><td class=\"num\">{}</td>\
             <td class=\"num\">{} → {}</td><td class=\"num\">{} → {}</td><td class=\"num\">{} → {}</td>\
             <td class=\"num {class}\">{}</td><td><ul class=\"why\">{why}</ul></td></tr>",
            escape(&m.office),
            escape(m.kind.label_en()),
            m.region,
            total(m.old_total),
            total(m.new_total),
            grade(m.old_grade),
            grade(m.new_grade),
            m.old_national,
            m.new_national,
            signed(Fixed::from_int(m.movement))
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn fragile(h: &mut String, sim: &Simulation) {
    let _ = write!(
        h,
        "<section id=\"fragile\">{}<p class=\"muted\">{} offices are within {} point(s) of a grade boundary under the candidate{}: \
         a small correction or objection could change their grade.</p>",
        heading(
            2,
            "نتایج شکننده: دفاتر نزدیک مرز رتبه",
            "Fragile results: offices near a grade boundary"
        ),
        sim.fragile.len(),
        sim.candidate.fragile_margin,
        if sim.fragile.len() > FRAGILE_LISTED {
            format!(" (the {FRAGILE_LISTED} closest are listed)")
        } else {
            String::new()
        }
    );
    if !sim.fragile.is_empty() {
        h.push_str(
            "<table><thead><tr><th>Office</th><th class=\"num\">Region</th><th class=\"num\">Total</th>\
             <th class=\"num\">Grade</th><th class=\"num\">To the next grade</th><th class=\"num\">From a cut point</th>\
             <th>Fragile before</th></tr></thead><tbody>",
        );
        for f in sim.fragile.iter().take(FRAGILE_LISTED) {
            let _ = write!(
                h,
                "<tr><td><code>{}</code> <span class=\"muted\">{}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&f.office),
                escape(f.kind.as_str()),
                f.region,
                total(f.total),
                grade(f.grade),
                opt(f.to_next_grade),
                opt(f.distance),
                if f.was_fragile { "yes" } else { "no" }
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n");
}

fn as_f64(x: Fixed) -> f64 {
    x.raw() as f64 / Fixed::SCALE as f64
}

fn sweep_section(h: &mut String, s: &Sweep) {
    let xs: Vec<f64> = s.steps.iter().map(|st| as_f64(st.value)).collect();
    let series: Vec<Series> = (0..3)
        .map(|g| Series {
            name: format!("grade {}", g + 1),
            color: GRADE_COLORS[g],
            points: s
                .steps
                .iter()
                .map(|st| st.grades.map(|c| c[g] as f64))
                .collect(),
        })
        .collect();
    let value = |v: &str| v.parse::<Fixed>().ok().map(as_f64);
    let base_label = format!("base: {}", s.baseline_value.as_deref().unwrap_or("—"));
    let cand_label = format!("candidate: {}", s.current);
    let mut markers: Vec<(f64, &str)> = Vec::new();
    if let Some(b) = s.baseline_value.as_deref().and_then(value) {
        markers.push((b, &base_label));
    }
    if let Some(c) = value(&s.current)
        && s.baseline_value.as_deref() != Some(s.current.as_str())
    {
        markers.push((c, &cand_label));
    }
    let _ = write!(
        h,
        "<section id=\"sweep\">{}<p class=\"muted\">Grade counts as <code>{}</code> varies; the candidate has {}. \
         Under the base rules: grade 1 {}, grade 2 {}, grade 3 {}.</p>{}",
        heading(2, "تغییر گام‌به‌گام یک پارامتر", "Sweep"),
        escape(&s.param),
        escape(&s.current),
        s.baseline_grades[0],
        s.baseline_grades[1],
        s.baseline_grades[2],
        charts::line_chart(
            "chart-sweep",
            &format!("Grade counts at each value of {}", s.param),
            &s.param,
            &xs,
            &series,
            &markers
        )
    );
    h.push_str(
        "<table><thead><tr><th class=\"num\">Value</th><th class=\"num\">Grade 1</th><th class=\"num\">Grade 2</th>\
         <th class=\"num\">Grade 3</th><th class=\"num\">Mean total</th><th class=\"num\">Grades changed</th></tr></thead><tbody>",
    );
    for st in &s.steps {
        match (&st.grades, &st.error) {
            (Some(g), _) => {
                let _ = write!(
                    h,
                    "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    st.value,
                    g[0],
                    g[1],
                    g[2],
                    opt(st.mean_total),
                    st.grades_changed.unwrap_or(0)
                );
            }
            (None, e) => {
                let _ = write!(
                    h,
                    "<tr><td class=\"num\">{}</td><td colspan=\"5\" class=\"muted\">refused: {}</td></tr>",
                    st.value,
                    escape(e.as_deref().unwrap_or(""))
                );
            }
        }
    }
    h.push_str("</tbody></table></section>\n");
}

fn footer(h: &mut String, sim: &Simulation) {
    let _ = writeln!(
        h,
        "<footer><p><span dir=\"rtl\" lang=\"fa\">این شبیه‌سازی هیچ قاعده جاری یا نتیجه رسمی را تغییر نمی‌دهد.</span><br>\
         This simulation changes no live rules and no official results. Made by arzyab {} from {} offices.</p></footer>",
        env!("CARGO_PKG_VERSION"),
        sim.summary.offices
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::simulate::{
        Baseline, Options, Override, SweepSpec, overrides, simulate, sweep,
    };
    use crate::population::demo::{self, DemoSettings};

    #[test]
    fn the_report_is_one_self_contained_file_with_every_chart() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2");
        let base = crate::rules::load_round(&dir).unwrap();
        let mut cand = crate::rules::load_round(&dir).unwrap();
        overrides::apply(&mut cand, &[Override::parse("weight:area=3").unwrap()]).unwrap();
        let provinces = demo::parse_regions(demo::DEFAULT_REGIONS).unwrap();
        let offices: Vec<_> = demo::generate(
            &base,
            &provinces,
            &DemoSettings {
                offices: 300,
                seed: 3,
                non_filers_percent: 5,
            },
        )
        .iter()
        .map(|r| crate::engine::prepare(&base, r).unwrap())
        .collect();
        let baseline = Baseline::new(&base, &offices).unwrap();
        let mut sim = simulate(&baseline, &cand, &offices, &Options::default()).unwrap();
        sim.overrides = vec!["weight:area=3".into()];
        let spec = SweepSpec::parse("weight:area=0:3:0.5").unwrap();
        let s = sweep(&baseline, &mut cand, &offices, &spec).unwrap();
        let html = render(&sim, Some(&s));
        for id in [
            "chart-transitions",
            "chart-movement",
            "chart-regions",
            "chart-kinds",
            "chart-sweep",
        ] {
            assert!(html.contains(&format!("<svg id=\"{id}\"")), "{id}");
        }
        assert!(html.contains("dir=\"rtl\""));
        assert!(html.contains("weight:area=3"));
        for outside in ["<script", "http://", "https://", "@import", "url("] {
            let found = html
                .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
                .contains(outside);
            assert!(!found, "the report must not load anything: found {outside}");
        }
        // Without a sweep, no sweep chart.
        assert!(!render(&sim, None).contains("chart-sweep"));
    }
}
