//! Inline SVG charts: bar chart, grouped stacked bars, heat-map and line chart.
//!
//! Each chart is one `<svg>` element with an `id` and a `<title>`, scaled to the page width by
//! its `viewBox`. Layout uses floats; the numbers shown are the exact counts passed in.

use std::fmt::Write as _;

use super::escape;

/// The colours of grades 1, 2 and 3.
pub const GRADE_COLORS: [&str; 3] = ["#2e7d32", "#f9a825", "#c62828"];

const FONT: &str =
    "font-family=\"Vazirmatn, 'Noto Sans Arabic', Tahoma, 'DejaVu Sans', sans-serif\"";

fn open(out: &mut String, id: &str, title: &str, width: f64, height: f64) {
    let _ = write!(
        out,
        "<svg id=\"{}\" class=\"chart\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {width} {height}\" width=\"100%\" {FONT} font-size=\"13\">\
         <title>{}</title>",
        escape(id),
        escape(title)
    );
}

fn text(out: &mut String, x: f64, y: f64, anchor: &str, class: &str, body: &str) {
    let _ = write!(
        out,
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" class=\"{class}\">{}</text>",
        escape(body)
    );
}

/// Round step for an axis from 0 to `max` with about five ticks.
fn tick_step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    (nice * mag).max(1.0)
}

/// Horizontal grid lines and their labels; returns the axis maximum.
fn y_axis(out: &mut String, max: f64, left: f64, right: f64, top: f64, bottom: f64) -> f64 {
    let step = tick_step(max);
    let top_value = (max / step).ceil().max(1.0) * step;
    let mut v = 0.0;
    while v <= top_value + 1e-9 {
        let y = bottom - (bottom - top) * v / top_value;
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{right}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>"
        );
        text(out, left - 6.0, y + 4.0, "end", "tick", &format!("{v}"));
        v += step;
    }
    top_value
}

/// A vertical bar per item, its count above it. `colors` gives each bar's fill.
pub fn bar_chart(
    id: &str,
    title: &str,
    x_label: &str,
    bars: &[(String, usize)],
    colors: &[&str],
) -> String {
    let (w, h) = (960.0, 340.0);
    let (left, right, top, bottom) = (60.0, w - 20.0, 20.0, h - 60.0);
    let mut out = String::new();
    open(&mut out, id, title, w, h);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0) as f64;
    let axis = y_axis(&mut out, max, left, right, top, bottom);
    let slot = (right - left) / bars.len().max(1) as f64;
    for (i, (label, count)) in bars.iter().enumerate() {
        let bh = (bottom - top) * *count as f64 / axis;
        let x = left + slot * i as f64 + slot * 0.15;
        let bw = slot * 0.7;
        let color = colors.get(i).copied().unwrap_or("#546e7a");
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"{color}\" rx=\"2\">\
             <title>{}: {count}</title></rect>",
            bottom - bh,
            escape(label)
        );
        text(
            &mut out,
            x + bw / 2.0,
            bottom - bh - 5.0,
            "middle",
            "value",
            &count.to_string(),
        );
        text(
            &mut out,
            x + bw / 2.0,
            bottom + 18.0,
            "middle",
            "tick",
            label,
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\" class=\"axis\"/>"
    );
    text(
        &mut out,
        (left + right) / 2.0,
        h - 14.0,
        "middle",
        "label",
        x_label,
    );
    out.push_str("</svg>");
    out
}

/// Per group, two stacked bars (before and after), stacked by grade 1, 2, 3.
pub fn grouped_stacked(
    id: &str,
    title: &str,
    groups: &[(String, [usize; 3], [usize; 3])],
) -> String {
    let (w, h) = (960.0, 340.0);
    let (left, right, top, bottom) = (60.0, w - 20.0, 30.0, h - 60.0);
    let mut out = String::new();
    open(&mut out, id, title, w, h);
    let max = groups
        .iter()
        .flat_map(|g| [g.1.iter().sum::<usize>(), g.2.iter().sum::<usize>()])
        .max()
        .unwrap_or(0) as f64;
    let axis = y_axis(&mut out, max, left, right, top, bottom);
    let slot = (right - left) / groups.len().max(1) as f64;
    let bw = (slot * 0.34).min(60.0);
    for (i, (label, old, new)) in groups.iter().enumerate() {
        let center = left + slot * (i as f64 + 0.5);
        for (side, counts, x, opacity) in [
            ("before", old, center - bw - 2.0, "0.45"),
            ("after", new, center + 2.0, "1"),
        ] {
            let mut y = bottom;
            for (g, n) in counts.iter().enumerate() {
                let bh = (bottom - top) * *n as f64 / axis;
                y -= bh;
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" \
                     fill=\"{}\" fill-opacity=\"{opacity}\"><title>{} {side}: grade {} — {n}</title></rect>",
                    GRADE_COLORS[g],
                    escape(label),
                    g + 1
                );
            }
            text(
                &mut out,
                x + bw / 2.0,
                bottom + 14.0,
                "middle",
                "small",
                if side == "before" { "old" } else { "new" },
            );
        }
        text(&mut out, center, bottom + 32.0, "middle", "tick", label);
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\" class=\"axis\"/>"
    );
    legend(&mut out, right - 330.0, 14.0);
    out.push_str("</svg>");
    out
}

fn legend(out: &mut String, x: f64, y: f64) {
    for (g, color) in GRADE_COLORS.iter().enumerate() {
        let x = x + g as f64 * 80.0;
        let _ = write!(
            out,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{color}\"/>",
            y - 10.0
        );
        text(
            out,
            x + 16.0,
            y,
            "start",
            "tick",
            &format!("grade {}", g + 1),
        );
    }
    text(out, x + 240.0, y, "start", "tick", "(pale: old)");
}

/// A 3 × 3 heat-map: rows are old grades, columns new grades. Cells below the diagonal (a better
/// grade) are green, above it red, the diagonal grey; darker means more offices.
pub fn heatmap(id: &str, title: &str, m: &[[usize; 3]; 3]) -> String {
    let (cell_w, cell_h) = (170.0, 74.0);
    let (left, top) = (150.0, 60.0);
    let (w, h) = (left + 3.0 * cell_w + 30.0, top + 3.0 * cell_h + 30.0);
    let mut out = String::new();
    open(&mut out, id, title, w, h);
    let max = m.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    text(
        &mut out,
        left + 1.5 * cell_w,
        18.0,
        "middle",
        "label",
        "new grade →",
    );
    for c in 0..3 {
        text(
            &mut out,
            left + (c as f64 + 0.5) * cell_w,
            top - 12.0,
            "middle",
            "head",
            &format!("{}", c + 1),
        );
    }
    for (r, row) in m.iter().enumerate() {
        let row_total: usize = row.iter().sum();
        let y = top + r as f64 * cell_h;
        text(
            &mut out,
            left - 14.0,
            y + cell_h / 2.0 + 5.0,
            "end",
            "head",
            &format!("old grade {}", r + 1),
        );
        for (c, n) in row.iter().enumerate() {
            let x = left + c as f64 * cell_w;
            let base = match c.cmp(&r) {
                std::cmp::Ordering::Less => "46,125,50",
                std::cmp::Ordering::Greater => "198,40,40",
                std::cmp::Ordering::Equal => "84,110,122",
            };
            let alpha = if *n == 0 {
                0.04
            } else {
                0.12 + 0.8 * (*n as f64 / max).sqrt()
            };
            let ink = if alpha > 0.55 { "#fff" } else { "#222" };
            let share = if row_total > 0 {
                format!("{:.1}%", 100.0 * *n as f64 / row_total as f64)
            } else {
                "—".into()
            };
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"rgba({base},{alpha:.3})\" stroke=\"#fff\" stroke-width=\"2\">\
                 <title>grade {} → {}: {n} offices</title></rect>",
                cell_w,
                cell_h,
                r + 1,
                c + 1
            );
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"cell\" style=\"fill:{ink}\">{n}</text>",
                x + cell_w / 2.0,
                y + cell_h / 2.0 + 2.0
            );
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"small\" style=\"fill:{ink}\">{share}</text>",
                x + cell_w / 2.0,
                y + cell_h / 2.0 + 20.0
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// One line of a line chart; `None` leaves a gap.
pub struct Series<'a> {
    pub name: String,
    pub color: &'a str,
    pub points: Vec<Option<f64>>,
}

/// Lines over the x values, with dashed, labelled markers (e.g. the current values).
pub fn line_chart(
    id: &str,
    title: &str,
    x_label: &str,
    xs: &[f64],
    series: &[Series],
    markers: &[(f64, &str)],
) -> String {
    let (w, h) = (960.0, 380.0);
    let (left, right, top, bottom) = (60.0, w - 30.0, 34.0, h - 60.0);
    let mut out = String::new();
    open(&mut out, id, title, w, h);
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let axis = y_axis(&mut out, max, left, right, top, bottom);
    let (x0, x1) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let plot = Plot {
        left,
        right,
        top,
        bottom,
        x0,
        x1,
        span: if x1 > x0 { x1 - x0 } else { 1.0 },
        axis,
    };
    plot.x_ticks(&mut out, xs);
    plot.markers(&mut out, markers);
    for s in series {
        plot.line(&mut out, xs, s);
    }
    let _ = write!(
        out,
        "<line x1=\"{left}\" x2=\"{right}\" y1=\"{bottom}\" y2=\"{bottom}\" class=\"axis\"/>"
    );
    series_legend(&mut out, series, right);
    text(
        &mut out,
        (left + right) / 2.0,
        h - 14.0,
        "middle",
        "label",
        x_label,
    );
    out.push_str("</svg>");
    out
}

/// A line chart's plotting area and the scales that map values into it.
struct Plot {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// The smallest and largest x, and their distance (1 when they are equal).
    x0: f64,
    x1: f64,
    span: f64,
    /// The y axis' top value.
    axis: f64,
}

impl Plot {
    /// An x value's position.
    fn px(&self, x: f64) -> f64 {
        self.left + (self.right - self.left) * (x - self.x0) / self.span
    }

    /// A y value's position.
    fn py(&self, y: f64) -> f64 {
        self.bottom - (self.bottom - self.top) * y / self.axis
    }

    /// The x values under the axis: at most about 14, always the last.
    fn x_ticks(&self, out: &mut String, xs: &[f64]) {
        let every = xs.len().div_ceil(14).max(1);
        for (i, x) in xs.iter().enumerate() {
            if i % every == 0 || i + 1 == xs.len() {
                text(
                    out,
                    self.px(*x),
                    self.bottom + 18.0,
                    "middle",
                    "tick",
                    &trim(*x),
                );
            }
        }
    }

    /// Dashed vertical markers with their labels, for those within the x range.
    fn markers(&self, out: &mut String, markers: &[(f64, &str)]) {
        let (top, bottom, right) = (self.top, self.bottom, self.right);
        for (k, &(m, label)) in markers.iter().enumerate() {
            if m < self.x0 || m > self.x1 {
                continue;
            }
            let _ = write!(
                out,
                "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{top}\" y2=\"{bottom}\" class=\"marker\"/>",
                self.px(m)
            );
            // Labels near the right edge go on the line's left; a second marker's label goes lower.
            let (x, anchor) = if self.px(m) > right - 120.0 {
                (self.px(m) - 4.0, "end")
            } else {
                (self.px(m) + 4.0, "start")
            };
            text(out, x, top + 10.0 + 14.0 * k as f64, anchor, "small", label);
        }
    }

    /// One series: its path (broken at gaps), then a dot with a tooltip per point.
    fn line(&self, out: &mut String, xs: &[f64], s: &Series) {
        let mut d = String::new();
        let mut pen_down = false;
        for (x, y) in xs.iter().zip(&s.points) {
            match y {
                Some(y) => {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        self.px(*x),
                        self.py(*y)
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            out,
            "<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"/>",
            d.trim_end(),
            s.color
        );
        for (x, y) in xs.iter().zip(&s.points) {
            if let Some(y) = y {
                let _ = write!(
                    out,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\"><title>{} at {}: {}</title></circle>",
                    self.px(*x),
                    self.py(*y),
                    s.color,
                    escape(&s.name),
                    trim(*x),
                    trim(*y)
                );
            }
        }
    }
}

/// A colour swatch and name per series, right-aligned along the top.
fn series_legend(out: &mut String, series: &[Series], right: f64) {
    for (i, s) in series.iter().enumerate() {
        let x = right - 110.0 * (series.len() - i) as f64;
        let _ = write!(
            out,
            "<rect x=\"{x:.1}\" y=\"8\" width=\"12\" height=\"12\" fill=\"{}\"/>",
            s.color
        );
        text(out, x + 16.0, 18.0, "start", "tick", &s.name);
    }
}

/// `2`, `0.25`, `-1.5`: a float as short as it is exact to four places.
fn trim(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_steps_are_round_numbers() {
        assert_eq!(tick_step(0.0), 1.0);
        assert_eq!(tick_step(7.0), 2.0);
        assert_eq!(tick_step(950.0), 200.0);
        assert_eq!(tick_step(20_000.0), 5000.0);
    }

    #[test]
    fn charts_carry_their_id_and_escape_labels() {
        let svg = bar_chart(
            "chart-x",
            "a <b>",
            "x",
            &[("<1".into(), 3), ("2".into(), 0)],
            &[],
        );
        assert!(svg.starts_with("<svg id=\"chart-x\""));
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("&lt;1"));
        assert!(!svg.contains("<1"));
        let svg = line_chart(
            "chart-l",
            "t",
            "x",
            &[0.0, 0.5, 1.0],
            &[Series {
                name: "g".into(),
                color: "#000",
                points: vec![Some(1.0), None, Some(3.0)],
            }],
            &[(0.5, "now")],
        );
        // The refused middle step leaves a gap: two separate moves.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert_eq!(trim(0.25), "0.25");
        assert_eq!(trim(3.0), "3");
    }
}
