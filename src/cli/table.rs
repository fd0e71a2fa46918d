//! Aligned text tables for the terminal (widths by display columns, so Persian text lines up).

use unicode_width::UnicodeWidthStr;

/// Renders rows under a header; numeric-looking cells are right-aligned.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = &str>, out: &mut String| {
        for (i, cell) in cells.enumerate() {
            let pad = widths[i] - cell.width();
            let numeric = cell
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '-');
            if i > 0 {
                out.push_str("  ");
            }
            if numeric {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(&mut header.iter().copied(), &mut out);
    out.push_str(
        &widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .join("  "),
    );
    out.push('\n');
    for row in rows {
        line(&mut row.iter().map(String::as_str), &mut out);
    }
    out
}
