//! Bilingual labels: every name a person reads comes in Persian and English.

use serde::{Deserialize, Serialize};

/// A Persian and an English text for the same thing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// The Persian text.
    #[schema(example = "فضای دفتر")]
    pub fa: String,
    /// The English text.
    #[schema(example = "Office space")]
    pub en: String,
}

impl Label {
    pub fn new(fa: impl Into<String>, en: impl Into<String>) -> Self {
        Label {
            fa: fa.into(),
            en: en.into(),
        }
    }
}

/// A publication's stage (`first`, `final`) as people read it; an unknown stage is quoted as sent.
pub fn publication_stage(stage: &str) -> Label {
    match stage {
        "first" => Label::new("نخست", "first"),
        "final" => Label::new("نهایی", "final"),
        other => Label::new(quoted(other), format!("`{other}`")),
    }
}

/// A count with its noun in English, singular or plural: `1 field`, `4 fields`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Wraps an identifier (an office id, a field or input name, a header) for Persian text: `«P-1»`.
/// What stands inside `«»` is exempt from [`persian_problem`], so ids keep their Latin form.
/// Guillemets inside the value become `‹›`, so a value sent as `a»b` cannot close the quote early.
pub fn quoted(id: impl std::fmt::Display) -> String {
    let inner = id.to_string().replace('«', "‹").replace('»', "›");
    format!("«{inner}»")
}

/// What keeps a Persian message from being wholly Persian, if anything: a Latin letter, an ASCII
/// or Arabic-Indic digit, or a backtick outside `«…»`, or a `«` left open. One checker for every
/// `fa` text the API and the command line give, so that tests of each use the same rule.
pub fn persian_problem(fa: &str) -> Option<String> {
    let mut inside = false;
    for (at, c) in fa.char_indices() {
        match c {
            '«' if inside => return Some(format!("a `«` inside `«…»` at byte {at}")),
            '«' => inside = true,
            '»' if !inside => return Some(format!("a `»` without its `«` at byte {at}")),
            '»' => inside = false,
            _ if inside => {}
            'a'..='z' | 'A'..='Z' => {
                return Some(format!("the Latin letter `{c}` outside «…» at byte {at}"));
            }
            '0'..='9' => return Some(format!("the Latin digit `{c}` at byte {at}")),
            '٠'..='٩' => return Some(format!("the Arabic-Indic digit `{c}` at byte {at}")),
            '`' => {
                return Some(format!(
                    "a backtick at byte {at}: quote identifiers with «»"
                ));
            }
            _ => {}
        }
    }
    inside.then(|| "a `«` that is never closed".to_string())
}

/// Where a bilingual message's Persian and English disagree on the numbers they state (counts,
/// limits, dates, versions, the digits of ids), if they do; thousands separators are ignored.
pub fn numbers_differ(label: &Label) -> Option<String> {
    fn numbers(text: &str) -> Vec<String> {
        let ascii = super::digits::to_ascii_digits(text).replace(['٬', ','], "");
        let mut out: Vec<String> = ascii
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        out.sort();
        out.dedup();
        out
    }
    let (fa, en) = (numbers(&label.fa), numbers(&label.en));
    (fa != en).then(|| format!("numbers in Persian {fa:?}, in English {en:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persian_text_with_persian_digits_and_quoted_ids_passes_the_checker() {
        assert_eq!(persian_problem("دفتر «P-THR-000001» ۱۲ مورد دارد"), None);
        assert_eq!(
            persian_problem(&format!("ورودی {}", quoted("area_m2"))),
            None
        );
        assert_eq!(quoted("a»b «c"), "«a›b ‹c»");
        assert_eq!(
            persian_problem(&format!("مقدار {} نیست", quoted("x» y"))),
            None
        );
    }

    #[test]
    fn latin_words_latin_digits_and_open_quotes_are_each_named_by_the_checker() {
        for (text, expected) in [
            ("انتشار final", "Latin letter `f`"),
            ("۱ مورد و 2 مورد", "Latin digit `2`"),
            ("۱ مورد و ٢ مورد", "Arabic-Indic digit"),
            ("کلید `x`", "backtick"),
            ("دوره «۱۴۰۰-۲", "never closed"),
            ("دوره ۱۴۰۰» ", "without its"),
        ] {
            let problem = persian_problem(text).expect(text);
            assert!(problem.contains(expected), "{text}: {problem}");
        }
    }
}
