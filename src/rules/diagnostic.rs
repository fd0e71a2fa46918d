//! Diagnostics: every problem found in a rule set, with the file, line and column to fix and a hint.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::domain::digits::to_persian_digits;
use crate::domain::{Label, quoted};

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

/// One problem in a rule set, in English and in Persian: the constructors take both texts, so a
/// diagnostic cannot be made without its Persian.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(flatten)]
    pub at: Position,
    /// What is wrong, in English (what `arzyab check` prints).
    pub message: String,
    /// The same facts in Persian, wholly Persian (identifiers inside «», Persian digits). Not in
    /// the command line's JSON, whose shape stays as it was.
    #[serde(skip)]
    pub message_fa: String,
    /// What to do about it, in both languages; the command line's JSON gives the English.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "english_hint"
    )]
    pub hint: Option<Label>,
}

/// The hint as the command line's JSON has always given it: the English text.
fn english_hint<S: serde::Serializer>(hint: &Option<Label>, s: S) -> Result<S::Ok, S::Error> {
    match hint {
        Some(h) => s.serialize_str(&h.en),
        None => s.serialize_none(),
    }
}

impl Diagnostic {
    /// A diagnostic at `at`, in English and Persian (wholly Persian; identifiers inside «»).
    pub fn new(at: Position, en: impl Into<String>, fa: impl Into<String>) -> Self {
        Diagnostic {
            at,
            message: en.into(),
            message_fa: fa.into(),
            hint: None,
        }
    }

    /// The message in both languages, for the API.
    pub fn message_label(&self) -> Label {
        Label::new(self.message_fa.clone(), self.message.clone())
    }

    /// Adds what to do about it, in English and Persian.
    pub fn with_hint(self, en: impl Into<String>, fa: impl Into<String>) -> Self {
        self.with_hint_label(Label::new(fa, en))
    }

    /// [`Diagnostic::with_hint`] with a hint already in both languages (e.g. [`suggest`]).
    pub fn with_hint_label(mut self, hint: Label) -> Self {
        self.hint = Some(hint);
        self
    }

    /// The English hint, if any (what the command line prints).
    pub fn hint_en(&self) -> Option<&str> {
        self.hint.as_ref().map(|h| h.en.as_str())
    }

    /// The Persian hint, if any.
    pub fn hint_fa(&self) -> Option<&str> {
        self.hint.as_ref().map(|h| h.fa.as_str())
    }
}

impl fmt::Display for Diagnostic {
    /// `rules/1400-2/criteria.yaml:12:5: message (hint: …)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    hint: {}", hint.en)?;
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

/// How many allowed names a suggestion lists before it says how many more there are.
const LISTED: usize = 12;

/// "did you mean `x`?" or a list of what is allowed.
pub fn suggestion(wrong: &str, candidates: &[&str]) -> String {
    suggest(wrong, candidates).en
}

/// The same hint in Persian, for messages offices read.
pub fn suggestion_fa(wrong: &str, candidates: &[&str]) -> String {
    suggest(wrong, candidates).fa
}

/// "did you mean `x`?" or a list of what is allowed, in both languages.
pub fn suggest(wrong: &str, candidates: &[&str]) -> Label {
    match did_you_mean(wrong, candidates.iter().copied()) {
        Some(c) => Label::new(
            format!("آیا منظورتان {} است؟", quoted(c)),
            format!("did you mean `{c}`?"),
        ),
        None if candidates.is_empty() => Label::new(
            "هنوز چیزی در این جا تعریف نشده است",
            "nothing is declared here yet",
        ),
        None => {
            let listed = candidates.iter().take(LISTED);
            let mut en = listed
                .clone()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut fa = listed.map(quoted).collect::<Vec<_>>().join("، ");
            if candidates.len() > LISTED {
                let more = candidates.len() - LISTED;
                en.push_str(&format!(", … ({more} more)"));
                fa.push_str(&format!(
                    "، … ({} مورد دیگر)",
                    to_persian_digits(&more.to_string())
                ));
            }
            Label::new(
                format!("مقادیر مجاز: {fa}"),
                format!("expected one of: {en}"),
            )
        }
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
        let d = Diagnostic::new(Position::new("r/a.yaml", 3, 7), "bad", "نادرست")
            .with_hint("fix it", "درستش کنید");
        assert_eq!(d.to_string(), "r/a.yaml:3:7: bad\n    hint: fix it");
    }
}
