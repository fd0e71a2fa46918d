//! The scoring fingerprint: whether two versions of a round score every office alike, which the
//! freeze of a published round compares.

use sha2::{Digest, Sha256};

use crate::rules::RuleSet;
use crate::rules::ruleset::InputKind;

/// A fingerprint of everything in a rule set that decides a score, grade or rank: inputs (names,
/// types, ranges, missing-value rules), criteria (ids, weights, maximum points, office kinds,
/// rules), penalties, the Rhai scripts, grading, ranking and the freeze flag itself — but not
/// labels, notices, help texts, the calendar, tests or comments. Two versions with the same
/// fingerprint score every office alike.
pub fn scoring_fingerprint(rs: &RuleSet) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "freeze {}", rs.freeze_after_publication);
    for i in &rs.inputs {
        let kind = match &i.kind {
            InputKind::Choice(values) => format!(
                "choice[{}]",
                values
                    .iter()
                    .map(|v| v.name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            other => other.name().to_string(),
        };
        let _ = writeln!(
            s,
            "input {} {kind} {:?} {:?} {:?}",
            i.name, i.range, i.when_missing, i.violation_kinds
        );
    }
    for c in &rs.criteria {
        let _ = writeln!(
            s,
            "criterion {} {:?} {:?} {:?} {:?} {:?}",
            c.id, c.weight, c.max_points, c.applies_to, c.reads, c.rule
        );
    }
    for p in &rs.penalties {
        let _ = writeln!(
            s,
            "penalty {} {:?} {:?} {:?} {:?}",
            p.id, p.points, p.repeat_points, p.cap, p.applies_to
        );
    }
    for f in &rs.scripts.files {
        let name = f.path.file_name().map(|n| n.to_string_lossy());
        let _ = writeln!(s, "script {name:?} {:?}", f.ast);
    }
    let _ = writeln!(s, "grading {:?}", rs.grading);
    let _ = writeln!(s, "ranking {:?}", rs.ranking);
    hex::encode(Sha256::digest(without_positions(&s).as_bytes()))
}

/// Drops source positions (`12:5`, `3:1-7`, `@ 4`) from a `Debug` rendering, so moving code
/// around a file (a comment added above it) does not count as a change.
fn without_positions(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let digits = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    while i < b.len() {
        let prev_is_word = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if b[i].is_ascii_digit() && !prev_is_word {
            let end = digits(i);
            if end + 1 < b.len() && b[end] == b':' && b[end + 1].is_ascii_digit() {
                // line:column, optionally followed by -column or -line:column
                let mut j = digits(end + 1);
                if j + 1 < b.len() && b[j] == b'-' && b[j + 1].is_ascii_digit() {
                    j = digits(j + 1);
                    if j + 1 < b.len() && b[j] == b':' && b[j + 1].is_ascii_digit() {
                        j = digits(j + 1);
                    }
                }
                out.push('_');
                i = j;
                continue;
            }
        }
        if s[i..].starts_with(" @ ") {
            let mut j = i + 3;
            if s[j..].starts_with("none") {
                j += 4;
            } else {
                // line, line:column, spans such as 3:1-7 or ..4:2
                while j < b.len() && (b[j].is_ascii_digit() || b"-:.".contains(&b[j])) {
                    j += 1;
                }
            }
            out.push_str(" @ _");
            i = j;
            continue;
        }
        let ch = s[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::rules::load_round;
    use crate::rules::test_support::{copy_dir, edit, example};

    #[test]
    fn positions_are_dropped_but_numbers_kept() {
        assert_eq!(
            without_positions("If(x @ 12:5, IntegerConstant(8) @ 3, y 4:1-9, v1:2, 0.4)"),
            "If(x @ _, IntegerConstant(8) @ _, y _, v1:2, 0.4)"
        );
    }

    #[test]
    fn the_fingerprint_ignores_comments_and_labels_but_not_weights_or_scripts() {
        let (_tmp, dir) = example();
        let base = scoring_fingerprint(&load_round(&dir).unwrap());

        edit(
            &dir,
            "location.rhai",
            "// Location points",
            "// A new first line\n// Location points",
        );
        edit(
            &dir,
            "criteria.yaml",
            "en: Office space",
            "en: Usable office space",
        );
        edit(
            &dir,
            "round.yaml",
            "point values in this round",
            "numbers in this round",
        );
        let cosmetic = load_round(&dir).unwrap();
        assert_eq!(scoring_fingerprint(&cosmetic), base);

        edit(
            &dir,
            "location.rhai",
            "let access = if step_free { 3 }",
            "let access = if step_free { 4 }",
        );
        assert_ne!(scoring_fingerprint(&load_round(&dir).unwrap()), base);

        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"),
            &dir,
        );
        edit(&dir, "criteria.yaml", "weight: 0.5", "weight: 0.6");
        assert_ne!(scoring_fingerprint(&load_round(&dir).unwrap()), base);
    }
}
