//! Self-contained HTML reports: one file with inline CSS and inline SVG charts — no scripts, web
//! fonts or anything fetched from elsewhere — so a regulator can open it offline and mail it on.
//! Headings are in Persian (right to left) and English.

pub mod charts;
pub mod simulation;

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A bilingual heading: the Persian text right to left, then the English.
pub fn heading(level: u8, fa: &str, en: &str) -> String {
    format!(
        "<h{level}><span dir=\"rtl\" lang=\"fa\">{}</span> <span class=\"en\">{}</span></h{level}>",
        escape(fa),
        escape(en)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert!(
            heading(2, "خلاصه", "Summary").contains("<span dir=\"rtl\" lang=\"fa\">خلاصه</span>")
        );
    }
}
