//! Reading a round's files into their sections: each YAML file may hold any sections, each
//! defined once; tests and Rhai scripts are set aside for later.

use std::path::{Path, PathBuf};

use super::declared::Declared;
use super::{Ctx, Hint, In};
use crate::domain::quoted;
use crate::rules::diagnostic::Position;
use crate::rules::model::*;
use crate::rules::ruleset::{Source, SourceFile};
use crate::rules::yaml::{self, Item, Located, Problems};

/// Every section of a round as read, each with the file it came from.
#[derive(Default)]
pub(super) struct Sections<'s> {
    pub round: Option<In<Located<Item<RoundSpec>>>>,
    pub calendar: Option<In<Located<Item<CalendarSpec>>>>,
    pub grading: Option<In<Located<Item<GradingSpec>>>>,
    pub ranking: Option<In<Located<Item<RankingSpec>>>>,
    pub review: Option<In<Located<Item<ReviewSpec>>>>,
    pub inputs: Vec<In<(Located<String>, InputSpec)>>,
    pub criteria: Vec<In<CriterionSpec>>,
    pub penalties: Vec<In<PenaltySpec>>,
    pub test_files: Vec<In<TestFile>>,
    pub rhai_files: Vec<&'s SourceFile>,
    /// Whether any rule file (not a test) was read.
    pub parsed_any: bool,
    pub declared: Declared,
}

impl<'s> Sections<'s> {
    /// Reads every file of `source`, reporting each problem, then notes sections no file has.
    pub fn read(cx: &mut Ctx, source: &'s Source) -> Self {
        let mut s = Sections::default();
        for f in &source.files {
            let path = source.dir.join(&f.path);
            if f.path.ends_with(".rhai") {
                s.rhai_files.push(f);
            } else {
                s.read_yaml(cx, f, path);
            }
        }
        s.check_present(cx, &source.dir);
        s
    }

    fn read_yaml(&mut self, cx: &mut Ctx, f: &SourceFile, path: PathBuf) {
        let node = match yaml::parse(&f.text) {
            Ok(n) => n,
            Err(e) => {
                cx.diags.push(e.into_diagnostic(&path));
                if !f.path.starts_with("tests/") {
                    self.declared.add_unread(&f.text);
                }
                return;
            }
        };
        let problems = Problems::default();
        if f.path.starts_with("tests/") {
            let parsed: Result<TestFile, yaml::Failed> = yaml::from_node(&node, &problems);
            cx.diags.extend(
                problems
                    .into_vec()
                    .into_iter()
                    .map(|e| e.into_diagnostic(&path)),
            );
            if let Ok(t) = parsed {
                self.test_files.push(In {
                    file: path,
                    value: t,
                });
            }
            return;
        }
        self.declared.add_file(&node);
        let parsed: Result<RuleFile, yaml::Failed> = yaml::from_node(&node, &problems);
        cx.diags.extend(
            problems
                .into_vec()
                .into_iter()
                .map(|e| e.into_diagnostic(&path)),
        );
        let Ok(file) = parsed else { return };
        self.parsed_any = true;
        once(cx, &path, &mut self.round, file.round, "round");
        once(cx, &path, &mut self.calendar, file.calendar, "calendar");
        once(cx, &path, &mut self.grading, file.grading, "grading");
        once(cx, &path, &mut self.ranking, file.ranking, "ranking");
        once(cx, &path, &mut self.review, file.review, "review");
        for (name, spec) in file.inputs.unwrap_or_default().0 {
            if let Item::Ok(spec) = spec {
                self.inputs.push(In {
                    file: path.clone(),
                    value: (name, spec),
                });
            }
        }
        for c in file.criteria.into_iter().flatten().filter_map(Item::ok) {
            self.criteria.push(In {
                file: path.clone(),
                value: c,
            });
        }
        for p in file.penalties.into_iter().flatten().filter_map(Item::ok) {
            self.penalties.push(In {
                file: path.clone(),
                value: p,
            });
        }
    }

    /// Reports sections that no file defines (unless a file that could not be read may).
    fn check_present(&self, cx: &mut Ctx, dir: &Path) {
        if !self.parsed_any && cx.diags.is_empty() {
            cx.error_at(
                Position::file(dir),
                "the round directory has no YAML rule files",
                "پوشهٔ دوره هیچ پروندهٔ قواعد «YAML» ندارد",
            )
            .hint(
                "a round needs at least round:, calendar:, inputs:, criteria:, grading: and ranking:",
                "هر دوره دست‌کم به «round:»، «calendar:»، «inputs:»، «criteria:»، «grading:» و «ranking:» نیاز دارد",
            );
        }
        for (present, name) in [
            (self.round.is_some(), "round"),
            (self.calendar.is_some(), "calendar"),
            (self.grading.is_some(), "grading"),
            (self.ranking.is_some(), "ranking"),
        ] {
            if !present && self.parsed_any && !self.declared.may_have(name) {
                cx.error_at(
                    Position::file(dir),
                    format!("no `{name}:` section in any file of the round"),
                    format!(
                        "هیچ پرونده‌ای از دوره بخش {} ندارد",
                        quoted(format!("{name}:"))
                    ),
                )
                .hint(
                    format!("add a `{name}:` section, e.g. to round.yaml (see docs/rules.md)"),
                    format!(
                        "بخش {} را بیفزایید، مثلاً به «round.yaml» (راهنما: «docs/rules.md»)",
                        quoted(format!("{name}:"))
                    ),
                );
            }
        }
    }
}

/// Keeps a section that may be defined only once, reporting a second definition.
fn once<T>(
    cx: &mut Ctx,
    path: &Path,
    slot: &mut Option<In<Located<T>>>,
    found: Option<Located<T>>,
    name: &str,
) {
    let Some(v) = found else { return };
    match slot {
        Some(prev) => {
            let first = prev.file.display().to_string();
            cx.error(
                path,
                &v,
                format!("`{name}` is already defined"),
                format!("بخش {} پیش‌تر تعریف شده است", quoted(name)),
            )
            .hint(
                format!("keep one `{name}` section; the other is in {first}"),
                format!(
                    "یک بخش {} نگه دارید؛ دیگری در {} است",
                    quoted(name),
                    quoted(&first)
                ),
            );
        }
        None => {
            *slot = Some(In {
                file: path.to_path_buf(),
                value: v,
            })
        }
    }
}
