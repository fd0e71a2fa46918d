//! Loading a round directory: read every file, check everything, report every problem at once,
//! and build a [`RuleSet`] only when nothing is wrong.
//!
//! One file per part of a round: `sections` reads the files into their sections; `round`,
//! `penalties`, `inputs`, `criteria` (one file per kind of criterion), `calendar`, `grading`,
//! `ranking`, `review` (the reviewer's triage flags) and `cases` (the round's rule tests) check and compile one part each; `declared`
//! keeps the names of entries that failed to load, so one mistake gives one diagnostic.

mod calendar;
mod cases;
mod criteria;
mod declared;
mod grading;
mod inputs;
mod penalties;
mod ranking;
mod review;
mod round;
mod sections;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::diagnostic::{Diagnostic, Diagnostics, Position};
use super::ruleset::*;
use super::script::Scripts;
use super::yaml::Located;
use crate::domain::{Fixed, OfficeKind, quoted};
use sections::Sections;

/// Loads, validates and compiles the round in `dir`. Every problem comes back, sorted by file and line.
pub fn load_round(dir: &Path) -> Result<RuleSet, Diagnostics> {
    let source = read_source(dir)?;
    compile_source(source)
}

/// Reads every rule file of a round (YAML and Rhai in the directory, YAML under `tests/`); a
/// directory or file that cannot be read is the one diagnostic.
pub fn read_source(dir: &Path) -> Result<Source, Diagnostics> {
    read_files(dir).map_err(|d| Diagnostics(vec![*d]))
}

fn read_files(dir: &Path) -> Result<Source, Box<Diagnostic>> {
    let mut files = Vec::new();
    let mut collect = |sub: &Path, exts: &[&str]| -> Result<(), Box<Diagnostic>> {
        let full = dir.join(sub);
        if !full.is_dir() {
            return Ok(());
        }
        let entries = std::fs::read_dir(&full).map_err(|e| {
            Box::new(Diagnostic::new(
                Position::file(&full),
                format!("cannot read the directory: {e}"),
                "این پوشه خوانده نمی‌شود: سیستم پرونده‌ها خطا داد",
            ))
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_file() && exts.contains(&ext) && !name.starts_with('.') {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Box::new(Diagnostic::new(
                        Position::file(&path),
                        format!("cannot read the file: {e}"),
                        "این پرونده خوانده نمی‌شود: سیستم پرونده‌ها خطا داد",
                    ))
                })?;
                let rel = sub.join(name).to_string_lossy().replace('\\', "/");
                files.push(SourceFile { path: rel, text });
            }
        }
        Ok(())
    };
    if !dir.is_dir() {
        return Err(Box::new(
            Diagnostic::new(
                Position::file(dir),
                "no such round directory",
                "چنین پوشهٔ دوره‌ای نیست",
            )
            .with_hint(
                "give the directory of one round, e.g. rules/1400-2",
                "پوشهٔ یک دوره را بدهید، مانند «rules/1400-2»",
            ),
        ));
    }
    collect(Path::new(""), &["yaml", "yml", "rhai"])?;
    collect(Path::new("tests"), &["yaml", "yml"])?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Source {
        dir: dir.to_path_buf(),
        hash: hash_files(&files),
        files,
    })
}

/// SHA-256 over each file's path and text, in path order.
pub fn hash_files(files: &[SourceFile]) -> String {
    let mut h = Sha256::new();
    for f in files {
        h.update(f.path.as_bytes());
        h.update([0]);
        h.update((f.text.len() as u64).to_le_bytes());
        h.update(f.text.as_bytes());
    }
    hex::encode(h.finalize())
}

struct Ctx {
    diags: Vec<Diagnostic>,
}

impl Ctx {
    /// Reports a problem at a located value, in English and Persian.
    fn error<T>(
        &mut self,
        file: &Path,
        at: &Located<T>,
        en: impl Into<String>,
        fa: impl Into<String>,
    ) -> &mut Diagnostic {
        self.error_at(at.at(file), en, fa)
    }

    /// Reports a problem at a place, in English and Persian.
    fn error_at(
        &mut self,
        pos: Position,
        en: impl Into<String>,
        fa: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(pos, en, fa));
        self.diags.last_mut().expect("just pushed")
    }
}

/// A number of the rule files, as a Persian diagnostic writes it (`−۱۲٫۵`).
fn fa(n: Fixed) -> String {
    crate::domain::digits::to_persian_number(&n.to_string())
}

/// A count, a limit or a date in Persian digits (`۲۰`, `۱۴۰۰/۰۲/۰۵`).
fn num(n: impl std::fmt::Display) -> String {
    crate::domain::digits::to_persian_digits(&n.to_string())
}

/// Adds a hint to a diagnostic being reported, in both languages.
trait Hint {
    /// The hint in English and Persian.
    fn hint(&mut self, en: impl Into<String>, fa: impl Into<String>);
    /// A hint already in both languages (a suggestion).
    fn hint_label(&mut self, h: crate::domain::Label);
}

impl Hint for Diagnostic {
    fn hint(&mut self, en: impl Into<String>, fa: impl Into<String>) {
        self.hint = Some(crate::domain::Label::new(fa, en));
    }
    fn hint_label(&mut self, h: crate::domain::Label) {
        self.hint = Some(h);
    }
}

/// A section and the file it came from.
struct In<T> {
    file: PathBuf,
    value: T,
}

/// Compiles already-read sources (also used for rule sets stored in the database).
pub fn compile_source(source: Source) -> Result<RuleSet, Diagnostics> {
    let mut cx = Ctx { diags: Vec::new() };
    let dir = source.dir.clone();
    let Sections {
        round,
        calendar,
        grading,
        ranking,
        inputs,
        criteria,
        penalties,
        test_files,
        rhai_files,
        review,
        parsed_any,
        declared,
    } = Sections::read(&mut cx, &source);

    let round = round::compile(&mut cx, &dir, round);
    let kinds_in_round = KindSet::of(&round.office_kinds);
    // Penalties first: their ids are the violation kinds inputs may name.
    let compiled_penalties = penalties::compile(&mut cx, &penalties, kinds_in_round);
    let violation_kinds: Vec<String> = compiled_penalties.iter().map(|p| p.id.clone()).collect();
    let compiled_inputs = inputs::compile(&mut cx, &inputs, &violation_kinds);
    let input_names: Vec<&str> = compiled_inputs.iter().map(|i| i.name.as_str()).collect();
    penalties::check_violations_input(
        &mut cx,
        &penalties,
        &compiled_inputs,
        declared.inputs.all_in(&input_names),
    );
    let scripts = criteria::compile_scripts(&mut cx, &source, rhai_files);
    let env = criteria::Env {
        source: &source,
        inputs: &compiled_inputs,
        input_names: &input_names,
        declared: &declared,
        scripts: &scripts,
        kinds_in_round,
    };
    let compiled_criteria = criteria::compile(&mut cx, &env, &criteria);
    if criteria.is_empty()
        && parsed_any
        && declared.criteria.names.is_empty()
        && !declared.criteria.unknown
    {
        cx.error_at(
            Position::file(&dir),
            "the round has no criteria",
            "این دوره هیچ معیاری ندارد",
        )
        .hint(
            "add a `criteria:` list (see docs/rules.md)",
            "فهرست «criteria:» را بیفزایید (راهنما: «docs/rules.md»)",
        );
    }

    let calendar = calendar.and_then(|c| {
        let spec = c.value.value.ok()?;
        calendar::compile_calendar(&mut cx, &c.file, &spec)
    });
    let grading = grading.and_then(|g| {
        let spec = g.value.value.ok()?;
        grading::compile_grading(&mut cx, &g.file, &spec)
    });
    let review::Compiled {
        review,
        declared: declared_flags,
    } = review::compile(&mut cx, &env, review, grading.as_ref());
    let flag_names: Vec<&str> = review.flags.iter().map(|f| f.id.as_str()).collect();
    let criterion_names: Vec<&str> = compiled_criteria.iter().map(|c| c.id.as_str()).collect();
    let ranking = ranking.and_then(|r| {
        let spec = r.value.value.ok()?;
        ranking::compile_ranking(
            &mut cx,
            &r.file,
            &spec,
            (&criterion_names, &declared.criteria),
            (&input_names, &declared.inputs),
        )
    });
    if let (Some(g), Some(r)) = (&grading, &ranking)
        && !r.scopes.contains(&g.scope)
    {
        cx.error_at(
            Position::file(&dir),
            format!(
                "grades are given per `{}` but ranking.scopes does not list it",
                g.scope.as_str()
            ),
            format!(
                "درجه‌ها در دامنهٔ {} داده می‌شوند ولی {} آن را ندارد",
                quoted(g.scope.as_str()),
                quoted("ranking.scopes")
            ),
        )
        .hint(
            "add the grading scope to ranking.scopes",
            format!("دامنهٔ درجه‌بندی را به {} بیفزایید", quoted("ranking.scopes")),
        );
    }
    let tests = cases::compile_all(
        &mut cx,
        test_files,
        (&criterion_names, &declared.criteria),
        (&violation_kinds, &declared.penalties),
        (&flag_names, &declared_flags),
        (&input_names, &declared.inputs),
    );
    let parts = Parts {
        round,
        calendar,
        grading,
        ranking,
        inputs: compiled_inputs,
        criteria: compiled_criteria,
        penalties: compiled_penalties,
        review,
        scripts: scripts.scripts,
        tests,
    };
    finish(cx, parts, source)
}

/// Every part of a round as far as it compiled.
struct Parts {
    round: round::Round,
    calendar: Option<Calendar>,
    grading: Option<Grading>,
    ranking: Option<Ranking>,
    inputs: Vec<InputDef>,
    criteria: Vec<Criterion>,
    penalties: Vec<Penalty>,
    review: crate::rules::review::Review,
    scripts: Scripts,
    tests: Vec<TestCase>,
}

/// The rule set, or every diagnostic sorted by file and line.
fn finish(mut cx: Ctx, parts: Parts, source: Source) -> Result<RuleSet, Diagnostics> {
    if !cx.diags.is_empty() {
        cx.diags.sort_by(|a, b| a.at.cmp(&b.at));
        cx.diags.dedup();
        return Err(Diagnostics(cx.diags));
    }
    // Every part that did not compile has a diagnostic, so all are here; should one be missing
    // regardless, the round is refused rather than the process stopped.
    let (Some(spec), Some(id), Some(calendar), Some(grading), Some(ranking)) = (
        parts.round.spec,
        parts.round.id,
        parts.calendar,
        parts.grading,
        parts.ranking,
    ) else {
        return Err(Diagnostics(vec![
            Diagnostic::new(
                Position::file(&source.dir),
                "the round did not compile, but no problem was found to report",
                "دوره آماده نشد ولی ایرادی برای گزارش یافت نشد",
            )
            .with_hint(
                "this is a fault in arzyab: please report it with the round's files",
                "این خطای خود «arzyab» است: آن را با پرونده‌های دوره گزارش کنید",
            ),
        ]));
    };
    Ok(RuleSet {
        round: id,
        title: spec.value.title,
        version: spec.value.version.value,
        office_kinds: parts.round.office_kinds,
        legal_references: spec
            .value
            .legal_references
            .into_iter()
            .map(|l| LegalReference {
                id: l.id.value,
                label: l.label,
            })
            .collect(),
        notice: spec.value.notice,
        freeze_after_publication: spec.value.freeze_after_publication,
        calendar,
        inputs: parts.inputs,
        criteria: parts.criteria,
        penalties: parts.penalties,
        grading,
        ranking,
        review: parts.review,
        scripts: Arc::new(parts.scripts),
        tests: parts.tests,
        source,
    })
}

fn check_id(cx: &mut Ctx, file: &Path, id: &Located<String>) {
    let ok = id
        .value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase())
        && id
            .value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        cx.error(
            file,
            id,
            format!("`{}` is not a valid name", id.value),
            format!("{} نام درستی نیست", quoted(&id.value)),
        )
        .hint(
            "names use lowercase English letters, digits and _, starting with a letter (labels carry the Persian)",
            "نام‌ها از حرف‌های کوچک انگلیسی، رقم و «_» ساخته می‌شوند و با حرف آغاز می‌شوند (نام فارسی در «label» می‌آید)",
        );
    }
}

fn kinds(
    cx: &mut Ctx,
    file: &Path,
    given: Option<&Located<Vec<OfficeKind>>>,
    round: KindSet,
) -> KindSet {
    match given {
        None => round,
        Some(k) => {
            for kind in &k.value {
                if !round.contains(*kind) {
                    cx.error(
                        file,
                        k,
                        format!("office kind `{kind}` is not covered by this round"),
                        format!("گونهٔ دفتر {} در این دوره نیست", quoted(kind)),
                    )
                    .hint(
                        "add it to round.office_kinds or remove it here",
                        format!(
                            "آن را به {} بیفزایید یا از این جا بردارید",
                            quoted("round.office_kinds")
                        ),
                    );
                }
            }
            KindSet::of(&k.value)
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_fa;
