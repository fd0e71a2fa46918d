//! Diagnostics: every problem found in a rule set, with the file, line and column to fix and a hint.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Where in the rule files something was written. Line and column are 1-based; 0 means unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(file: impl AsRef<Path>, line: u32, column: u32) -> Self {
        Position {
            file: file.as_ref().to_path_buf(),
            line,
            column,
        }
    }

    /// The start of a whole file (for problems that belong to no line).
    pub fn file(file: impl AsRef<Path>) -> Self {
        Self::new(file, 0, 0)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column.max(1))?;
        }
        Ok(())
    }
}

/// One problem in a rule set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(flatten)]
    pub at: Position,
    /// What is wrong, in English (what `arzyab check` prints).
    pub message: String,
    /// The same in Persian, wholly Persian (identifiers inside «»), where it has been written;
    /// [`Diagnostic::message_label`] gives a Persian sentence for the others. Not in the command
    /// line's JSON, whose shape stays as it was.
    #[serde(skip)]
    pub message_fa: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The Persian message of a diagnostic not yet written in Persian: it says so, and points to the
/// English text beside it.
pub const UNTRANSLATED_FA: &str =
    "ایراد در پرونده‌های قواعد؛ شرح فارسی آن هنوز نوشته نشده است، متن انگلیسی کنار آن را ببینید";

impl Diagnostic {
    pub fn new(at: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            at,
            message: message.into(),
            message_fa: None,
            hint: None,
        }
    }

    /// Gives the diagnostic its Persian message (wholly Persian; identifiers inside «»).
    pub fn persian(&mut self, fa: impl Into<String>) -> &mut Self {
        self.message_fa = Some(fa.into());
        self
    }

    /// [`Diagnostic::persian`] for a diagnostic being built by value.
    pub fn with_persian(mut self, fa: impl Into<String>) -> Self {
        self.message_fa = Some(fa.into());
        self
    }

    /// The message in both languages, for the API (Persian first, English as written).
    pub fn message_label(&self) -> crate::domain::Label {
        let fa = self.message_fa.as_deref().unwrap_or(UNTRANSLATED_FA);
        crate::domain::Label::new(fa, self.message.clone())
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    /// `rules/1400-2/criteria.yaml:12:5: message (hint: …)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    hint: {hint}")?;
        }
        Ok(())
    }
}

/// All problems that stopped a rule set from compiling, in file and line order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The closest candidate to a misspelled name, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter_map(|c| {
            let distance = strsim::osa_distance(wrong, c);
            let similarity = strsim::jaro_winkler(wrong, c);
            let allowed = (wrong.chars().count().max(c.chars().count()) / 3).max(1);
            let close = distance <= allowed && distance < wrong.chars().count();
            (close || similarity > 0.88).then_some((distance, -similarity, c))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, c)| c)
}

/// "did you mean `x`?" or a list of what is allowed.
pub fn suggestion(wrong: &str, candidates: &[&str]) -> String {
    const LISTED: usize = 12;
    match did_you_mean(wrong, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => "nothing is declared here yet".to_string(),
        None => {
            let mut list = candidates
                .iter()
                .take(LISTED)
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if candidates.len() > LISTED {
                list.push_str(&format!(", … ({} more)", candidates.len() - LISTED));
            }
            format!("expected one of: {list}")
        }
    }
}

/// The same hint in Persian, for messages offices read.
pub fn suggestion_fa(wrong: &str, candidates: &[&str]) -> String {
    match did_you_mean(wrong, candidates.iter().copied()) {
        Some(c) => format!("آیا منظورتان «{c}» است؟"),
        None => format!(
            "مقادیر مجاز: {}",
            candidates
                .iter()
                .take(12)
                .map(|c| format!("«{c}»"))
                .collect::<Vec<_>>()
                .join("، ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name_only_when_close() {
        assert_eq!(
            did_you_mean("wieght", ["weight", "label", "id"]),
            Some("weight")
        );
        assert_eq!(did_you_mean("zzz", ["weight", "label"]), None);
        assert_eq!(did_you_mean("mni", ["max", "min", "mixin"]), Some("min"));
        assert_eq!(
            did_you_mean("area_sqm", ["area_m2", "years_active"]),
            Some("area_m2")
        );
        assert_eq!(
            suggestion("lable", &["label", "id"]),
            "did you mean `label`?"
        );
        assert_eq!(suggestion("q", &["a", "b"]), "expected one of: `a`, `b`");
    }

    #[test]
    fn prints_file_line_column_and_hint() {
        let d = Diagnostic::new(Position::new("r/a.yaml", 3, 7), "bad").with_hint("fix it");
        assert_eq!(d.to_string(), "r/a.yaml:3:7: bad\n    hint: fix it");
    }
}
