//! Loading a round directory: read every file, check everything, report every problem at once,
//! and build a [`RuleSet`] only when nothing is wrong.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::diagnostic::{Diagnostic, Diagnostics, Position, suggestion};
use super::model::*;
use super::ruleset::*;
use super::script::{self, LowerArg, LowerError, Program, ProgramSource, ScriptFile, Scripts};
use super::value;
use super::yaml::{self, Item, Located, OrderedMap, Problems};
use crate::domain::{Fixed, JalaliDate, OfficeKind, RoundId, TEHRAN};

/// Loads, validates and compiles the round in `dir`. Every problem comes back, sorted by file and line.
pub fn load_round(dir: &Path) -> Result<RuleSet, Diagnostics> {
    let source = read_source(dir).map_err(|d| Diagnostics(vec![d]))?;
    compile_source(source)
}

/// Reads every rule file of a round (YAML and Rhai in the directory, YAML under `tests/`).
pub fn read_source(dir: &Path) -> Result<Source, Diagnostic> {
    let mut files = Vec::new();
    let mut collect = |sub: &Path, exts: &[&str]| -> Result<(), Diagnostic> {
        let full = dir.join(sub);
        if !full.is_dir() {
            return Ok(());
        }
        let entries = std::fs::read_dir(&full).map_err(|e| {
            Diagnostic::new(
                Position::file(&full),
                format!("cannot read the directory: {e}"),
            )
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_file() && exts.contains(&ext) && !name.starts_with('.') {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    Diagnostic::new(Position::file(&path), format!("cannot read the file: {e}"))
                })?;
                let rel = sub.join(name).to_string_lossy().replace('\\', "/");
                files.push(SourceFile { path: rel, text });
            }
        }
        Ok(())
    };
    if !dir.is_dir() {
        return Err(
            Diagnostic::new(Position::file(dir), "no such round directory")
                .with_hint("give the directory of one round, e.g. rules/1400-2"),
        );
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
    fn error<T>(
        &mut self,
        file: &Path,
        at: &Located<T>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(at.at(file), message));
        self.diags.last_mut().expect("just pushed")
    }

    fn error_at(&mut self, pos: Position, message: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(pos, message));
        self.diags.last_mut().expect("just pushed")
    }
}

trait Hint {
    fn hint(&mut self, h: impl Into<String>);
}

impl Hint for Diagnostic {
    fn hint(&mut self, h: impl Into<String>) {
        self.hint = Some(h.into());
    }
}

/// Names declared in a round's files, including entries that failed to load, and whether a file
/// that could not be read may declare more. A reference is reported as unknown only when it is
/// certainly wrong, so one broken entry or file gives one diagnostic, not one per reference to it.
#[derive(Default)]
struct Declared {
    criteria: Names,
    inputs: Names,
    penalties: Names,
    /// Top-level sections written in files that were read (whether or not they loaded).
    sections: HashSet<String>,
    /// Sections that files with YAML syntax errors may hold; `None` in the set means any.
    unread: HashSet<Option<String>>,
}

#[derive(Default)]
struct Names {
    names: HashSet<String>,
    /// Some entries could not even be named (a broken file, an item without an id).
    unknown: bool,
}

impl Names {
    /// Whether a reference to `name` is certainly to nothing declared.
    fn lacks(&self, name: &str) -> bool {
        !self.unknown && !self.names.contains(name)
    }

    /// Whether every declared entry is among `loaded`.
    fn all_in(&self, loaded: &[&str]) -> bool {
        !self.unknown && self.names.iter().all(|n| loaded.contains(&n.as_str()))
    }

    /// Ids of the items of a `criteria:` or `penalties:` list.
    fn add_ids(&mut self, list: &yaml::Node) {
        match &list.value {
            yaml::NodeValue::Seq(items) => {
                for item in items {
                    let id = match &item.value {
                        yaml::NodeValue::Map(entries) => entries
                            .iter()
                            .find(|(k, _)| k.value == yaml::NodeValue::Str("id".into()))
                            .and_then(|(_, v)| scalar_text(v)),
                        _ => None,
                    };
                    match id {
                        Some(id) => {
                            self.names.insert(id);
                        }
                        None => self.unknown = true,
                    }
                }
            }
            yaml::NodeValue::Null => {}
            _ => self.unknown = true,
        }
    }

    /// The keys of the `inputs:` mapping.
    fn add_keys(&mut self, map: &yaml::Node) {
        match &map.value {
            yaml::NodeValue::Map(entries) => {
                for (k, _) in entries {
                    match scalar_text(k) {
                        Some(name) => {
                            self.names.insert(name);
                        }
                        None => self.unknown = true,
                    }
                }
            }
            yaml::NodeValue::Null => {}
            _ => self.unknown = true,
        }
    }
}

fn scalar_text(node: &yaml::Node) -> Option<String> {
    match &node.value {
        yaml::NodeValue::Str(s) => Some(s.clone()),
        yaml::NodeValue::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

impl Declared {
    /// Everything a rule file that parsed declares.
    fn add_file(&mut self, node: &yaml::Node) {
        let yaml::NodeValue::Map(entries) = &node.value else {
            return;
        };
        for (k, v) in entries {
            let Some(section) = scalar_text(k) else {
                continue;
            };
            match section.as_str() {
                "criteria" => self.criteria.add_ids(v),
                "penalties" => self.penalties.add_ids(v),
                "inputs" => self.inputs.add_keys(v),
                _ => {}
            }
            self.sections.insert(section);
        }
    }

    /// A rule file with a YAML syntax error: the sections its lines seem to start may hold anything.
    fn add_unread(&mut self, text: &str) {
        let sections: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once(':').map(|(key, _)| key.trim_end()))
            .filter(|key| key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        if sections.is_empty() {
            self.unread.insert(None);
        }
        for s in sections {
            self.unread.insert(Some(s.to_string()));
        }
        for (name, names) in [
            ("criteria", &mut self.criteria),
            ("inputs", &mut self.inputs),
            ("penalties", &mut self.penalties),
        ] {
            if self.unread.contains(&None) || self.unread.contains(&Some(name.to_string())) {
                names.unknown = true;
            }
        }
    }

    /// Whether a section may exist in some file, loaded or not (a misspelled section name is
    /// reported as an unknown key with "did you mean").
    fn may_have(&self, section: &str) -> bool {
        const SECTIONS: [&str; 7] = [
            "round",
            "calendar",
            "inputs",
            "criteria",
            "penalties",
            "grading",
            "ranking",
        ];
        self.sections
            .iter()
            .chain(self.unread.iter().flatten())
            .any(|k| {
                k == section
                    || (!SECTIONS.contains(&k.as_str())
                        && super::diagnostic::did_you_mean(k, [section]).is_some())
            })
            || self.unread.contains(&None)
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
    let display = |rel: &str| dir.join(rel);

    let mut round: Option<In<Located<Item<RoundSpec>>>> = None;
    let mut calendar: Option<In<Located<Item<CalendarSpec>>>> = None;
    let mut grading: Option<In<Located<Item<GradingSpec>>>> = None;
    let mut ranking: Option<In<Located<Item<RankingSpec>>>> = None;
    let mut inputs: Vec<In<(Located<String>, InputSpec)>> = Vec::new();
    let mut criteria: Vec<In<CriterionSpec>> = Vec::new();
    let mut penalties: Vec<In<PenaltySpec>> = Vec::new();
    let mut test_files: Vec<In<TestFile>> = Vec::new();
    let mut rhai_files: Vec<&SourceFile> = Vec::new();
    let mut parsed_any = false;
    let mut declared = Declared::default();

    for f in &source.files {
        let path = display(&f.path);
        if f.path.ends_with(".rhai") {
            rhai_files.push(f);
            continue;
        }
        let node = match yaml::parse(&f.text) {
            Ok(n) => n,
            Err(e) => {
                cx.diags.push(e.into_diagnostic(&path));
                if !f.path.starts_with("tests/") {
                    declared.add_unread(&f.text);
                }
                continue;
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
                test_files.push(In {
                    file: path,
                    value: t,
                });
            }
            continue;
        }
        declared.add_file(&node);
        let parsed: Result<RuleFile, yaml::Failed> = yaml::from_node(&node, &problems);
        cx.diags.extend(
            problems
                .into_vec()
                .into_iter()
                .map(|e| e.into_diagnostic(&path)),
        );
        let Ok(file) = parsed else { continue };
        parsed_any = true;
        macro_rules! once {
            ($slot:ident, $name:literal) => {
                if let Some(v) = file.$slot {
                    match &$slot {
                        Some(prev) => {
                            let first = prev.file.display().to_string();
                            cx.error(&path, &v, concat!("`", $name, "` is already defined"))
                                .hint(format!(
                                    "keep one `{}` section; the other is in {first}",
                                    $name
                                ));
                        }
                        None => {
                            $slot = Some(In {
                                file: path.clone(),
                                value: v,
                            })
                        }
                    }
                }
            };
        }
        once!(round, "round");
        once!(calendar, "calendar");
        once!(grading, "grading");
        once!(ranking, "ranking");
        for (name, spec) in file.inputs.unwrap_or_default().0 {
            if let Item::Ok(spec) = spec {
                inputs.push(In {
                    file: path.clone(),
                    value: (name, spec),
                });
            }
        }
        for c in file.criteria.into_iter().flatten().filter_map(Item::ok) {
            criteria.push(In {
                file: path.clone(),
                value: c,
            });
        }
        for p in file.penalties.into_iter().flatten().filter_map(Item::ok) {
            penalties.push(In {
                file: path.clone(),
                value: p,
            });
        }
    }

    if !parsed_any && cx.diags.is_empty() {
        cx.error_at(
            Position::file(&dir),
            "the round directory has no YAML rule files",
        )
        .hint(
            "a round needs at least round:, calendar:, inputs:, criteria:, grading: and ranking:",
        );
    }
    let missing = |present: bool, name: &str, cx: &mut Ctx| {
        if !present && parsed_any && !declared.may_have(name) {
            cx.error_at(
                Position::file(&dir),
                format!("no `{name}:` section in any file of the round"),
            )
            .hint(format!(
                "add a `{name}:` section, e.g. to round.yaml (see docs/rules.md)"
            ));
        }
    };
    missing(round.is_some(), "round", &mut cx);
    missing(calendar.is_some(), "calendar", &mut cx);
    missing(grading.is_some(), "grading", &mut cx);
    missing(ranking.is_some(), "ranking", &mut cx);

    // Round metadata.
    let round_spec = round.and_then(|r| {
        r.value.value.ok().map(|v| In {
            file: r.file,
            value: v,
        })
    });
    let round_id = round_spec
        .as_ref()
        .and_then(|r| match RoundId::parse(&r.value.id) {
            Ok(id) => {
                let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if RoundId::parse(dir_name).is_ok_and(|d| d != id) {
                    cx.error(
                        &r.file,
                        &r.value.id,
                        format!("round `{id}` is in directory `{dir_name}`"),
                    )
                    .hint("the directory name and `round.id` must be the same round");
                }
                Some(id)
            }
            Err(e) => {
                cx.error(&r.file, &r.value.id, e.to_string());
                None
            }
        });
    let office_kinds: Vec<OfficeKind> = round_spec
        .as_ref()
        .and_then(|r| r.value.office_kinds.as_ref().map(|k| k.value.clone()))
        .unwrap_or_else(|| OfficeKind::ALL.to_vec());
    let mut legal_ids = HashSet::new();
    if let Some(r) = &round_spec {
        for l in &r.value.legal_references {
            if !legal_ids.insert(l.id.value.clone()) {
                cx.error(
                    &r.file,
                    &l.id,
                    format!("legal reference `{}` is listed twice", *l.id),
                );
            }
        }
        if r.value.version.trim().is_empty() {
            cx.error(&r.file, &r.value.version, "the version label is empty")
                .hint("give each edit a label, e.g. \"1400-2.3\"");
        }
    }
    let kinds_in_round = KindSet::of(&office_kinds);

    // Penalties (their ids are the violation kinds inputs may name).
    let mut penalty_ids = HashSet::new();
    let mut compiled_penalties = Vec::new();
    for In { file, value: p } in &penalties {
        if !penalty_ids.insert(p.id.value.clone()) {
            cx.error(file, &p.id, format!("penalty `{}` is defined twice", *p.id));
        }
        check_id(&mut cx, file, &p.id);
        if p.points.value > Fixed::ZERO {
            cx.error(
                file,
                &p.points,
                format!("penalty points must be negative, found {}", *p.points),
            )
            .hint(format!(
                "write {} to take points off",
                Fixed::ZERO.saturating_sub(*p.points)
            ));
        }
        let repeat = p
            .repeat_points
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_default();
        if let Some(r) = &p.repeat_points
            && repeat.iter().any(|x| *x > Fixed::ZERO)
        {
            cx.error(file, r, "repeat points must be negative");
        }
        if let Some(cap) = &p.cap
            && cap.value > Fixed::ZERO
        {
            cx.error(
                file,
                cap,
                format!(
                    "the cap must be negative (the most taken off), found {}",
                    **cap
                ),
            );
        }
        let applies_to = kinds(&mut cx, file, p.applies_to.as_ref(), kinds_in_round);
        compiled_penalties.push(Penalty {
            id: p.id.value.clone(),
            label: p.label.clone(),
            clause: p.clause.as_ref().map(|c| c.value.clone()),
            points: *p.points,
            repeat_points: repeat,
            cap: p.cap.as_ref().map(|c| c.value),
            applies_to,
        });
    }
    if compiled_penalties.len() > 64
        && let Some(In { file, value: p }) = penalties.get(64)
    {
        cx.error(file, &p.id, "a round may declare at most 64 penalties");
    }
    let violation_kinds: Vec<String> = compiled_penalties.iter().map(|p| p.id.clone()).collect();

    // Inputs.
    let mut compiled_inputs: Vec<InputDef> = Vec::new();
    let mut input_files: Vec<PathBuf> = Vec::new();
    for In {
        file,
        value: (name, spec),
    } in &inputs
    {
        if compiled_inputs.iter().any(|i| i.name == name.value) {
            cx.error(
                file,
                name,
                format!("input `{}` is declared twice", name.value),
            );
            continue;
        }
        check_id(&mut cx, file, name);
        let kind = match spec.kind.value {
            InputType::Integer => InputKind::Integer,
            InputType::Decimal => InputKind::Decimal,
            InputType::Boolean => InputKind::Boolean,
            InputType::Date => InputKind::Date,
            InputType::Violations => InputKind::Violations,
            InputType::Choice => match &spec.values {
                Some(values) if !values.0.is_empty() => {
                    let mut seen = HashSet::new();
                    for (v, _) in &values.0 {
                        if !seen.insert(v.value.clone()) {
                            cx.error(file, v, format!("value `{}` is listed twice", v.value));
                        }
                    }
                    InputKind::Choice(
                        values
                            .0
                            .iter()
                            .map(|(n, l)| ChoiceValue {
                                name: n.value.clone(),
                                label: l.clone(),
                            })
                            .collect(),
                    )
                }
                _ => {
                    cx.error(
                        file,
                        &spec.kind,
                        format!("choice input `{}` has no `values:`", name.value),
                    )
                    .hint("list the allowed values with their labels under `values:`");
                    InputKind::Choice(Vec::new())
                }
            },
        };
        if spec.values.is_some() && !matches!(kind, InputKind::Choice(_)) {
            cx.error(file, &spec.kind, "`values:` is only for choice inputs");
        }
        let range = input_bounds(&mut cx, file, spec, &kind);
        let mut def = InputDef {
            name: name.value.clone(),
            label: spec.label.clone(),
            kind,
            unit: spec.unit.clone(),
            range,
            supplied_by: spec.supplied_by,
            when_missing: Missing::Error,
            help: spec.help.clone(),
            violation_kinds: violation_kinds.clone(),
        };
        def.when_missing = match &spec.when_missing.value {
            MissingSpec::Error => Missing::Error,
            MissingSpec::ZeroPoints => Missing::ZeroPoints,
            MissingSpec::CarryOver => Missing::CarryOver,
            MissingSpec::Default(v) => match value::from_json(&def, &v.value) {
                Ok(v) => Missing::Default(v),
                Err(e) => {
                    let at = if v.line > 0 {
                        v.at(file)
                    } else {
                        spec.when_missing.at(file)
                    };
                    cx.error_at(
                        at,
                        format!(
                            "the default of `{}` is not valid: {}",
                            def.name, e.message.en
                        ),
                    );
                    Missing::Error
                }
            },
        };
        compiled_inputs.push(def);
        input_files.push(file.clone());
    }
    let input_names: Vec<&str> = compiled_inputs.iter().map(|i| i.name.as_str()).collect();
    if !compiled_penalties.is_empty()
        && !compiled_inputs
            .iter()
            .any(|i| i.kind == InputKind::Violations)
        && declared.inputs.all_in(&input_names)
        && let Some(In { file, value: p }) = penalties.first()
    {
        cx.error(
            file,
            &p.id,
            "penalties are declared but no input has `type: violations`",
        )
        .hint("declare an input such as `violations:` with `type: violations` to record them");
    }

    // Scripts.
    let engine = script::sandboxed_engine();
    let known = script::known_functions(&engine);
    let mut scripts = Scripts::default();
    let mut script_names: Vec<String> = Vec::new();
    for f in &rhai_files {
        let path = display(&f.path);
        match script::compile_file(&engine, &known, &f.text) {
            Ok(ast) => {
                scripts.files.push(ScriptFile {
                    path: path.clone(),
                    ast,
                });
                script_names.push(f.path.clone());
            }
            Err(problems) => {
                for p in problems {
                    let d = cx.error_at(Position::new(&path, p.line, p.column), p.message);
                    if let Some(h) = p.hint {
                        d.hint(h);
                    }
                }
            }
        }
    }

    // Criteria.
    let mut compiled_criteria = Vec::new();
    let mut criterion_ids = HashSet::new();
    for In { file, value: c } in &criteria {
        if !criterion_ids.insert(c.id.value.clone()) {
            cx.error(
                file,
                &c.id,
                format!("criterion `{}` is defined twice", *c.id),
            );
        }
        check_id(&mut cx, file, &c.id);
        if c.weight.value < Fixed::ZERO || c.weight.value > Fixed::from_int(100) {
            cx.error(
                file,
                &c.weight,
                format!("weight {} is out of range", *c.weight),
            )
            .hint("weights run from 0 to 100; use a penalty for negative points");
        }
        if c.max_points.value <= Fixed::ZERO || c.max_points.value > Fixed::from_int(1000) {
            cx.error(
                file,
                &c.max_points,
                format!("max_points {} is out of range", *c.max_points),
            )
            .hint("max_points must be above 0 and at most 1000");
        }
        let applies_to = kinds(&mut cx, file, c.applies_to.as_ref(), kinds_in_round);
        let given = [
            c.bands.is_some(),
            c.linear.is_some(),
            c.lookup.is_some(),
            c.formula.is_some(),
            c.script.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if given != 1 {
            cx.error(file, &c.id, format!(
                "criterion `{}` must have exactly one of bands, linear, lookup, formula or script ({given} given)",
                *c.id
            ))
            .hint("each criterion scores one way; split it into two criteria if it needs two");
            continue;
        }
        let resolve = |cx: &mut Ctx, name: &Located<String>| -> Option<usize> {
            let found = input_names.iter().position(|n| *n == name.value);
            // An input declared but not loaded has its own diagnostic.
            if found.is_none() && declared.inputs.lacks(name) {
                cx.error(
                    file,
                    name,
                    format!("`{}` is not a declared input", name.value),
                )
                .hint(suggestion(name, &input_names));
            }
            found
        };
        let max = *c.max_points;
        let (rule, reads) = if let Some(b) = &c.bands {
            let Some(input) = resolve(&mut cx, &b.input) else {
                continue;
            };
            numeric(&mut cx, file, &b.input, &compiled_inputs[input]);
            let bands = compile_bands(&mut cx, file, b, max);
            (Rule::Bands { input, bands }, vec![input])
        } else if let Some(l) = &c.linear {
            let Some(input) = resolve(&mut cx, &l.input) else {
                continue;
            };
            numeric(&mut cx, file, &l.input, &compiled_inputs[input]);
            let cap = l.cap.as_ref().map_or(max, |c| c.value);
            if let Some(cap_at) = &l.cap
                && (cap > max || cap < Fixed::ZERO)
            {
                cx.error(
                    file,
                    cap_at,
                    format!("the cap {cap} is outside 0 to max_points ({max})"),
                );
            }
            let from = l.from.as_ref().map_or(Fixed::ZERO, |f| f.value);
            (
                Rule::Linear {
                    input,
                    from,
                    per_unit: *l.points_per_unit,
                    cap,
                },
                vec![input],
            )
        } else if let Some(l) = &c.lookup {
            let Some(input) = resolve(&mut cx, &l.input) else {
                continue;
            };
            let keys: Vec<String> = match &compiled_inputs[input].kind {
                InputKind::Choice(values) => values.iter().map(|v| v.name.clone()).collect(),
                InputKind::Boolean => vec!["false".into(), "true".into()],
                other => {
                    cx.error(
                        file,
                        &l.input,
                        format!(
                            "a lookup needs a choice or yes/no input; `{}` is {}",
                            l.input.value,
                            other.name()
                        ),
                    )
                    .hint("use bands or linear for numbers");
                    continue;
                }
            };
            let mut points = vec![None; keys.len()];
            for (k, p) in &l.points.0 {
                match keys.iter().position(|x| *x == k.value) {
                    Some(i) if points[i].is_some() => {
                        cx.error(file, k, format!("`{}` is listed twice", k.value));
                    }
                    Some(i) => points[i] = Some(p.value),
                    None => {
                        let names: Vec<&str> = keys.iter().map(String::as_str).collect();
                        cx.error(
                            file,
                            k,
                            format!("`{}` is not a value of `{}`", k.value, l.input.value),
                        )
                        .hint(suggestion(k, &names));
                    }
                }
                if p.value > max || p.value < Fixed::ZERO {
                    cx.error(
                        file,
                        p,
                        format!("{} points is outside 0 to max_points ({max})", p.value),
                    );
                }
            }
            if l.otherwise.is_none() && points.iter().any(Option::is_none) {
                let unlisted: Vec<&str> = keys
                    .iter()
                    .zip(&points)
                    .filter(|(_, p)| p.is_none())
                    .map(|(k, _)| k.as_str())
                    .collect();
                cx.error(
                    file,
                    &l.input,
                    format!("the lookup gives no points for: {}", unlisted.join(", ")),
                )
                .hint("list every value, or add `otherwise:` for the rest");
            }
            (
                Rule::Lookup {
                    input,
                    points,
                    otherwise: l.otherwise.as_ref().map(|o| o.value),
                },
                vec![input],
            )
        } else if let Some(text) = &c.formula {
            let reads = formula_inputs(&text.value, &input_names);
            let unloaded = unloaded_names(&text.value, &input_names, &declared.inputs, &known);
            if !unloaded.is_empty() {
                // It reads inputs that did not load (each has its own diagnostic): check only
                // that the formula itself can be read.
                let mut names: Vec<String> = reads
                    .iter()
                    .map(|i| compiled_inputs[*i].name.clone())
                    .collect();
                names.extend(unloaded);
                if let Err(problems) = script::compile_formula(&engine, &known, &text.value, &names)
                {
                    formula_problems(&mut cx, &source, file, text, problems);
                }
                continue;
            }
            if reads.len() > script::MAX_ARGS {
                cx.error(
                    file,
                    text,
                    format!(
                        "the formula reads {} inputs; at most {} are allowed",
                        reads.len(),
                        script::MAX_ARGS
                    ),
                )
                .hint("split it into several criteria, or move it into a script function");
                continue;
            }
            let names: Vec<String> = reads
                .iter()
                .map(|i| compiled_inputs[*i].name.clone())
                .collect();
            match script::compile_formula(&engine, &known, &text.value, &names) {
                Ok(ast) => {
                    let lower_args: Vec<LowerArg> = reads
                        .iter()
                        .map(|i| LowerArg {
                            name: &compiled_inputs[*i].name,
                            input: &compiled_inputs[*i],
                        })
                        .collect();
                    let native = match script::lower_formula(&ast, &lower_args) {
                        Ok(n) => Some(n),
                        Err(LowerError::Unsupported(_)) => None,
                        Err(LowerError::Invalid(msg)) => {
                            cx.error(file, text, msg);
                            None
                        }
                    };
                    let program = Program::new(
                        ProgramSource::Formula {
                            text: text.value.clone(),
                            ast: Arc::new(ast),
                            names,
                        },
                        reads.clone(),
                        native,
                        &compiled_inputs,
                    );
                    (Rule::Program(program), reads)
                }
                Err(problems) => {
                    formula_problems(&mut cx, &source, file, text, problems);
                    continue;
                }
            }
        } else if let Some(s) = &c.script {
            let mut reads = Vec::new();
            for name in &s.inputs {
                if let Some(i) = resolve(&mut cx, name) {
                    reads.push(i);
                }
            }
            if reads.len() != s.inputs.len() {
                continue;
            }
            if reads.len() > script::MAX_ARGS {
                cx.error(
                    file,
                    &s.function,
                    format!(
                        "a script function may read at most {} inputs",
                        script::MAX_ARGS
                    ),
                );
                continue;
            }
            let Some(file_index) = script_names.iter().position(|n| *n == s.file.value) else {
                if !rhai_files.iter().any(|f| f.path == s.file.value) {
                    let names: Vec<&str> = rhai_files.iter().map(|f| f.path.as_str()).collect();
                    cx.error(
                        file,
                        &s.file,
                        format!("there is no script file `{}` in the round", s.file.value),
                    )
                    .hint(suggestion(&s.file, &names));
                }
                continue;
            };
            let ast = &scripts.files[file_index].ast;
            let Some(def) = ast.iter_functions().find(|f| f.name == s.function.value) else {
                let names: Vec<String> = ast.iter_functions().map(|f| f.name.to_string()).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                cx.error(
                    file,
                    &s.function,
                    format!("`{}` has no function `{}`", s.file.value, s.function.value),
                )
                .hint(suggestion(&s.function, &names));
                continue;
            };
            if def.params.len() != reads.len() {
                cx.error(
                    file,
                    &s.function,
                    format!(
                        "`{}` takes {} parameters but the criterion passes {} inputs",
                        s.function.value,
                        def.params.len(),
                        reads.len()
                    ),
                );
                continue;
            }
            let params: Vec<String> = def.params.iter().map(|p| p.to_string()).collect();
            let lower_args: Vec<LowerArg> = params
                .iter()
                .zip(&reads)
                .map(|(p, i)| LowerArg {
                    name: p,
                    input: &compiled_inputs[*i],
                })
                .collect();
            let native = match script::lower_function(ast, &s.function.value, &lower_args) {
                Ok(n) => Some(n),
                Err(LowerError::Unsupported(_)) => None,
                Err(LowerError::Invalid(msg)) => {
                    cx.error(
                        file,
                        &s.function,
                        format!("in `{}`: {msg}", s.function.value),
                    );
                    None
                }
            };
            let program = Program::new(
                ProgramSource::Function {
                    file: file_index,
                    name: s.function.value.clone(),
                },
                reads.clone(),
                native,
                &compiled_inputs,
            );
            (Rule::Program(program), reads)
        } else {
            unreachable!("exactly one kind was checked above")
        };
        compiled_criteria.push(Criterion {
            id: c.id.value.clone(),
            label: c.label.clone(),
            clause: c.clause.as_ref().map(|c| c.value.clone()),
            weight: *c.weight,
            max_points: max,
            applies_to,
            rule,
            reads,
        });
    }
    if criteria.is_empty()
        && parsed_any
        && declared.criteria.names.is_empty()
        && !declared.criteria.unknown
    {
        cx.error_at(Position::file(&dir), "the round has no criteria")
            .hint("add a `criteria:` list (see docs/rules.md)");
    }

    // Calendar, grading, ranking, tests.
    let calendar = calendar.and_then(|c| {
        let file = c.file;
        c.value
            .value
            .ok()
            .and_then(|spec| compile_calendar(&mut cx, &file, &spec))
    });
    let grading = grading.and_then(|g| {
        let file = g.file;
        g.value
            .value
            .ok()
            .and_then(|spec| compile_grading(&mut cx, &file, &spec))
    });
    let criterion_names: Vec<&str> = compiled_criteria.iter().map(|c| c.id.as_str()).collect();
    let ranking = ranking.and_then(|r| {
        let file = r.file;
        r.value.value.ok().and_then(|spec| {
            compile_ranking(
                &mut cx,
                &file,
                &spec,
                (&criterion_names, &declared.criteria),
                (&input_names, &declared.inputs),
            )
        })
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
        )
        .hint("add the grading scope to ranking.scopes");
    }
    let mut tests = Vec::new();
    for In { file, value: t } in test_files {
        for case in t.cases.into_iter().filter_map(Item::ok) {
            tests.push(compile_test(
                &mut cx,
                &file,
                case,
                (&criterion_names, &declared.criteria),
                (&violation_kinds, &declared.penalties),
            ));
        }
    }

    if !cx.diags.is_empty() {
        cx.diags.sort_by(|a, b| a.at.cmp(&b.at));
        cx.diags.dedup();
        return Err(Diagnostics(cx.diags));
    }
    let round_spec = round_spec.expect("no diagnostics means the round section exists");
    Ok(RuleSet {
        round: round_id.expect("no diagnostics"),
        title: round_spec.value.title,
        version: round_spec.value.version.value,
        office_kinds,
        legal_references: round_spec
            .value
            .legal_references
            .into_iter()
            .map(|l| LegalReference {
                id: l.id.value,
                label: l.label,
            })
            .collect(),
        notice: round_spec.value.notice,
        freeze_after_publication: round_spec.value.freeze_after_publication,
        calendar: calendar.expect("no diagnostics"),
        inputs: compiled_inputs,
        criteria: compiled_criteria,
        penalties: compiled_penalties,
        grading: grading.expect("no diagnostics"),
        ranking: ranking.expect("no diagnostics"),
        scripts: Arc::new(scripts),
        tests,
        source,
    })
}

/// Reports problems inside a formula at their place in the YAML file.
fn formula_problems(
    cx: &mut Ctx,
    source: &Source,
    file: &Path,
    text: &Located<String>,
    problems: Vec<script::ScriptProblem>,
) {
    // Columns inside the formula are counted from its first character, after any quote.
    let quoted = source_char(source, &source.dir, file, text.line, text.column)
        .is_some_and(|c| c == '"' || c == '\'');
    for p in problems {
        let col = text.column + quoted as u32 + p.column.saturating_sub(1);
        let d = cx.error_at(
            Position::new(file, text.line, col),
            format!("in the formula: {}", p.message),
        );
        if let Some(h) = p.hint {
            d.hint(h);
        }
    }
}

/// Rhai's keywords and literals, which a formula's words may include.
const RHAI_WORDS: &[&str] = &[
    "if", "else", "let", "const", "true", "false", "return", "fn", "while", "for", "in", "loop",
    "do", "until", "break", "continue", "switch", "throw", "try", "catch", "this", "global",
];

/// Names a formula mentions that may be inputs which did not load: declared but not compiled,
/// or anything unknown when a file with inputs could not be read.
fn unloaded_names(
    text: &str,
    loaded: &[&str],
    declared: &Names,
    functions: &BTreeSet<String>,
) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| t.starts_with(|c: char| c.is_alphabetic() || c == '_'))
        .filter(|t| !loaded.contains(t) && !functions.contains(*t) && !RHAI_WORDS.contains(t))
        .filter(|t| declared.unknown || declared.names.contains(*t))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The character at a line and column of a source file (for locating text inside quotes).
fn source_char(source: &Source, dir: &Path, file: &Path, line: u32, column: u32) -> Option<char> {
    let f = source.files.iter().find(|f| dir.join(&f.path) == file)?;
    f.text
        .lines()
        .nth(line.checked_sub(1)? as usize)?
        .chars()
        .nth(column.checked_sub(1)? as usize)
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
        cx.error(file, id, format!("`{}` is not a valid name", id.value))
            .hint("names use lowercase English letters, digits and _, starting with a letter (labels carry the Persian)");
    }
}

/// The allowed values of a number input, from `range: [min, max]` or from `min:` and/or `max:`.
fn input_bounds(cx: &mut Ctx, file: &Path, spec: &InputSpec, kind: &InputKind) -> Option<Bounds> {
    let bounds = match (&spec.range, &spec.min, &spec.max) {
        (None, None, None) => return None,
        (Some(_), Some(at), _) | (Some(_), None, Some(at)) => {
            cx.error(file, at, "`range:` and `min:`/`max:` are both given")
                .hint("keep either `range: [smallest, largest]` or `min:` and `max:`");
            return None;
        }
        (Some(r), None, None) => match r.value.as_slice() {
            [lo, hi] if lo.value > hi.value => {
                cx.error(
                    file,
                    r,
                    format!("the range starts at {} but ends at {}", lo.value, hi.value),
                )
                .hint("write the smallest allowed value first: [min, max]");
                return None;
            }
            [lo, hi] => Bounds::Between(lo.value, hi.value),
            [only] => {
                cx.error(
                    file,
                    r,
                    "`range:` has one value; it needs two, `[smallest, largest]`",
                )
                .hint(format!(
                    "for a range open at one end write `min: {0}` (or `max: {0}`) instead of `range:`",
                    only.value
                ));
                return None;
            }
            items => {
                cx.error(
                    file,
                    r,
                    format!(
                        "`range:` needs two values, `[smallest, largest]`; it has {}",
                        items.len()
                    ),
                )
                .hint("for a range open at one end write `min:` or `max:` instead");
                return None;
            }
        },
        (None, Some(lo), Some(hi)) if lo.value > hi.value => {
            cx.error(
                file,
                lo,
                format!("`min: {}` is larger than `max: {}`", lo.value, hi.value),
            )
            .hint("`min:` is the smallest allowed value, `max:` the largest");
            return None;
        }
        (None, Some(lo), Some(hi)) => Bounds::Between(lo.value, hi.value),
        (None, Some(lo), None) => Bounds::AtLeast(lo.value),
        (None, None, Some(hi)) => Bounds::AtMost(hi.value),
    };
    if !matches!(kind, InputKind::Integer | InputKind::Decimal) {
        let (at, what) = match (&spec.range, &spec.min, &spec.max) {
            (Some(r), _, _) => (r.at(file), "`range:`"),
            (None, Some(m), _) => (m.at(file), "`min:`"),
            (None, None, Some(m)) => (m.at(file), "`max:`"),
            (None, None, None) => unreachable!("returned above"),
        };
        cx.error_at(at, format!("{what} is only for integer and decimal inputs"));
    }
    Some(bounds)
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
                    )
                    .hint("add it to round.office_kinds or remove it here");
                }
            }
            KindSet::of(&k.value)
        }
    }
}

fn numeric(cx: &mut Ctx, file: &Path, name: &Located<String>, def: &InputDef) {
    if !matches!(def.kind, InputKind::Integer | InputKind::Decimal) {
        cx.error(
            file,
            name,
            format!(
                "`{}` is {}, but this needs a number",
                def.name,
                def.kind.name()
            ),
        )
        .hint("bands and linear criteria read integer or decimal inputs; use lookup for choices");
    }
}

fn compile_bands(cx: &mut Ctx, file: &Path, spec: &BandsSpec, max: Fixed) -> Vec<Band> {
    let mut bands: Vec<&BandSpec> = spec
        .bands
        .iter()
        .filter_map(|b| match b {
            Item::Ok(b) => Some(b),
            Item::Failed => None,
        })
        .collect();
    if bands.is_empty() {
        cx.error(file, &spec.input, "`bands:` is empty")
            .hint("list at least one band");
        return Vec::new();
    }
    // Bands may be written from high to low, as policy documents often state them; they are
    // checked and kept from low to high. Any other order is one mistake, reported once.
    let lo = |b: &BandSpec| b.at_least.as_ref().map(|x| x.value);
    let hi = |b: &BandSpec| b.below.as_ref().map_or((1, Fixed::ZERO), |x| (0, x.value));
    let lies_below = |b: &BandSpec, a: &BandSpec| lo(b) < lo(a) && hi(b) < hi(a);
    let descending = bands.len() > 1 && bands.windows(2).all(|w| lies_below(w[1], w[0]));
    if descending {
        bands.reverse();
    } else if let Some(w) = bands.windows(2).find(|w| lies_below(w[1], w[0])) {
        let b = w[1];
        cx.error_at(
            band_place(file, b),
            "the bands are not in order: this band starts below the one before it",
        )
        .hint("list bands from low to high");
        return Vec::new();
    }
    // Words for the neighbour a band is compared with, in the order the bands are written.
    let (before, lowest_first) = if descending {
        ("the one after it", "the last (lowest)")
    } else {
        ("the one before", "the first")
    };
    let highest = if descending {
        "the first (highest)"
    } else {
        "the last"
    };
    let mut out = Vec::with_capacity(bands.len());
    for (i, b) in bands.iter().enumerate() {
        if let (Some(lo), Some(hi)) = (&b.at_least, &b.below)
            && lo.value >= hi.value
        {
            cx.error(
                file,
                hi,
                format!(
                    "the band starts at {} but ends below {}",
                    lo.value, hi.value
                ),
            )
            .hint("`at_least` must be smaller than `below`");
        }
        if b.points.value > max || b.points.value < Fixed::ZERO {
            cx.error(
                file,
                &b.points,
                format!(
                    "{} points is outside 0 to max_points ({max})",
                    b.points.value
                ),
            );
        }
        if i > 0 {
            let prev = bands[i - 1];
            match (&prev.below, &b.at_least) {
                (Some(end), Some(start)) if start.value < end.value => {
                    cx.error(file, start, format!(
                        "this band overlaps {before}: it starts at {} but that one runs below {}",
                        start.value, end.value
                    ))
                    .hint(format!("start this band at {}", end.value));
                }
                (Some(end), Some(start)) if start.value > end.value => {
                    let gap = if descending {
                        "gap below this band"
                    } else {
                        "gap after the band before"
                    };
                    cx.error(
                        file,
                        start,
                        format!(
                            "values from {} up to {} fall in no band ({gap})",
                            end.value, start.value
                        ),
                    )
                    .hint(format!("start this band at {}", end.value));
                }
                (None, _) => {
                    cx.error(
                        file,
                        &b.points,
                        "this band lies above one that has no upper end (`below`)",
                    )
                    .hint(format!("only {highest} band may leave out `below`"));
                }
                (Some(end), None) => {
                    cx.error(
                        file,
                        &b.points,
                        format!(
                            "this band has no `at_least`; it should start at {}",
                            end.value
                        ),
                    )
                    .hint(format!("only {lowest_first} band may leave out `at_least`"));
                }
                _ => {}
            }
        }
        out.push(Band {
            at_least: b.at_least.as_ref().map(|x| x.value),
            below: b.below.as_ref().map(|x| x.value),
            points: b.points.value,
        });
    }
    out
}

/// Where a band is written (its first bound, else its points).
fn band_place(file: &Path, b: &BandSpec) -> Position {
    match (&b.at_least, &b.below) {
        (Some(x), _) | (None, Some(x)) => x.at(file),
        (None, None) => b.points.at(file),
    }
}

/// Input names a formula mentions, in declaration order (identifiers not declared are left to
/// Rhai's strict-variable check, which reports them with a position).
fn formula_inputs(text: &str, names: &[&str]) -> Vec<usize> {
    let mut found = BTreeSet::new();
    for token in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if let Some(i) = names.iter().position(|n| *n == token) {
            found.insert(i);
        }
    }
    found.into_iter().collect()
}

fn compile_calendar(cx: &mut Ctx, file: &Path, spec: &CalendarSpec) -> Option<Calendar> {
    if spec.time_zone.value != TEHRAN {
        cx.error(
            file,
            &spec.time_zone,
            format!("time zone `{}` is not supported", spec.time_zone.value),
        )
        .hint("deadlines are in Asia/Tehran");
    }
    let order = [
        "self_declaration",
        "regional_review",
        "publication",
        "objection",
        "final",
    ];
    let phases: [(&str, &Located<Item<PhaseSpec>>); 5] = [
        ("self_declaration", &spec.self_declaration),
        ("regional_review", &spec.regional_review),
        ("publication", &spec.publication),
        ("objection", &spec.objection),
        ("final", &spec.final_review),
    ];
    let mut periods: Vec<Option<Period>> = vec![None; phases.len()];
    let mut ok = true;
    // Phases may refer to earlier ones; resolve in order, and report forward or unknown references.
    for (i, (name, located)) in phases.iter().enumerate() {
        let Item::Ok(p) = &located.value else {
            ok = false;
            continue;
        };
        let start = match (&p.start, &p.after) {
            (Some(_), Some(a)) => {
                cx.error(
                    file,
                    a,
                    format!("phase `{name}` has both `start` and `after`"),
                )
                .hint("give a date with `start:` or follow another phase with `after:`, not both");
                None
            }
            (Some(s), None) => match JalaliDate::parse(&s.value) {
                Ok(d) => Some(d),
                Err(e) => {
                    cx.error(file, s, e.to_string());
                    None
                }
            },
            (None, Some(a)) => match order.iter().position(|n| *n == a.value) {
                Some(j) if j < i => periods[j].map(|p| p.last_day.add_days(1)),
                Some(_) => {
                    cx.error(
                        file,
                        a,
                        format!(
                            "phase `{name}` cannot follow `{}`, which comes later",
                            a.value
                        ),
                    );
                    None
                }
                None => {
                    cx.error(file, a, format!("`{}` is not a phase", a.value))
                        .hint(suggestion(&a.value, &order));
                    None
                }
            },
            (None, None) => {
                cx.error(
                    file,
                    located,
                    format!("phase `{name}` has no `start:` date and no `after:`"),
                );
                None
            }
        };
        let start = start.map(|s| s.add_days(p.gap_days.as_ref().map_or(0, |g| g.value)));
        if let Some(g) = &p.gap_days
            && g.value < 0
        {
            cx.error(file, g, "`gap_days` cannot be negative");
        }
        let end = match (&p.days, &p.end) {
            (Some(d), Some(_)) => {
                cx.error(file, d, format!("phase `{name}` has both `days` and `end`"));
                None
            }
            (Some(d), None) if d.value < 1 || d.value > 366 => {
                cx.error(
                    file,
                    d,
                    format!("a phase lasts 1 to 366 days, not {}", d.value),
                );
                None
            }
            (Some(d), None) => start.map(|s| s.add_days(d.value - 1)),
            (None, Some(e)) => match JalaliDate::parse(&e.value) {
                Ok(end) => {
                    if start.is_some_and(|s| end < s) {
                        cx.error(file, e, format!("phase `{name}` ends before it starts"));
                    }
                    Some(end)
                }
                Err(err) => {
                    cx.error(file, e, err.to_string());
                    None
                }
            },
            (None, None) => {
                cx.error(
                    file,
                    located,
                    format!("phase `{name}` has no `days:` and no `end:` date"),
                );
                None
            }
        };
        match (start, end) {
            (Some(first_day), Some(last_day)) => {
                periods[i] = Some(Period {
                    first_day,
                    last_day,
                })
            }
            _ => ok = false,
        }
    }
    for i in 1..periods.len() {
        if let (Some(a), Some(b)) = (periods[i - 1], periods[i])
            && b.first_day <= a.last_day
        {
            cx.error(
                file,
                phases[i].1,
                format!(
                    "phase `{}` starts on {} before `{}` ends on {}",
                    phases[i].0,
                    b.first_day,
                    phases[i - 1].0,
                    a.last_day
                ),
            );
            ok = false;
        }
    }
    let correction = match &spec.correction.value {
        Item::Ok(c) => {
            if c.days.value < 1 || c.days.value > 60 {
                cx.error(
                    file,
                    &c.days,
                    format!("a correction lasts 1 to 60 days, not {}", c.days.value),
                );
            }
            if c.max_referrals.value < 0 || c.max_referrals.value > 10 {
                cx.error(file, &c.max_referrals, "max_referrals is 0 to 10");
            }
            Some(Correction {
                days: c.days.value,
                max_referrals: c.max_referrals.value.clamp(0, 10) as u32,
            })
        }
        Item::Failed => None,
    };
    if !ok {
        return None;
    }
    Some(Calendar {
        time_zone: spec.time_zone.value.clone(),
        self_declaration: periods[0]?,
        regional_review: periods[1]?,
        correction: correction?,
        publication: periods[2]?,
        objection: periods[3]?,
        final_review: periods[4]?,
    })
}

fn compile_grading(cx: &mut Ctx, file: &Path, g: &GradingSpec) -> Option<Grading> {
    let method = match g.method.value {
        GradingMethod::CutPoints => {
            let Some(cp) = &g.cut_points else {
                cx.error(file, &g.method, "grading by cut points needs `cut_points:`");
                return None;
            };
            if g.shares.is_some() {
                cx.error(
                    file,
                    &g.method,
                    "`shares:` is given but the method is cut_points",
                );
            }
            if cp.grade_1.value <= cp.grade_2.value {
                cx.error(
                    file,
                    &cp.grade_1,
                    format!(
                        "grade 1 needs more points than grade 2 ({} ≤ {})",
                        cp.grade_1.value, cp.grade_2.value
                    ),
                );
            }
            GradeMethod::CutPoints {
                grade_1: cp.grade_1.value,
                grade_2: cp.grade_2.value,
            }
        }
        GradingMethod::Shares => {
            let Some(sh) = &g.shares else {
                cx.error(
                    file,
                    &g.method,
                    "grading by shares needs `shares:` (percent per grade)",
                );
                return None;
            };
            if g.cut_points.is_some() {
                cx.error(
                    file,
                    &g.method,
                    "`cut_points:` is given but the method is shares",
                );
            }
            for s in [&sh.grade_1, &sh.grade_2] {
                if s.value < Fixed::ZERO || s.value > Fixed::from_int(100) {
                    cx.error(
                        file,
                        s,
                        format!("a share is a percent from 0 to 100, not {}", s.value),
                    );
                }
            }
            if sh.grade_1.value.saturating_add(sh.grade_2.value) > Fixed::from_int(100) {
                cx.error(
                    file,
                    &sh.grade_2,
                    "the shares of grades 1 and 2 add up to more than 100%",
                );
            }
            GradeMethod::Shares {
                grade_1: sh.grade_1.value,
                grade_2: sh.grade_2.value,
            }
        }
    };
    let s = &g.service_share.value;
    let shares = [s.grade_1.value, s.grade_2.value, s.grade_3.value];
    for x in [&s.grade_1, &s.grade_2, &s.grade_3] {
        if x.value < Fixed::ZERO || x.value > Fixed::from_int(100) {
            cx.error(
                file,
                x,
                format!(
                    "a service share is a percent from 0 to 100, not {}",
                    x.value
                ),
            );
        }
    }
    if !(shares[0] >= shares[1] && shares[1] >= shares[2]) {
        cx.error(
            file,
            &g.service_share,
            "a better grade must allow at least the share of a lower one",
        );
    }
    Some(Grading {
        scope: g.scope.value,
        method,
        service_share: shares,
        non_filers: g.non_filers,
        fragile_margin: g.fragile_margin.as_ref().map_or(Fixed::ONE, |m| m.value),
    })
}

/// `criteria` and `inputs` are the loaded names (whose indexes the chain uses) and every declared one.
fn compile_ranking(
    cx: &mut Ctx,
    file: &Path,
    r: &RankingSpec,
    (criteria, declared_criteria): (&[&str], &Names),
    (inputs, declared_inputs): (&[&str], &Names),
) -> Option<Ranking> {
    if r.scopes.value.is_empty() {
        cx.error(file, &r.scopes, "list at least one scope")
            .hint("e.g. [nationwide, region]");
    }
    let mut chain = Vec::new();
    let mut ok = true;
    for item in &r.tie_break {
        let words: Vec<&str> = item.value.split_whitespace().collect();
        let (words, descending) = match words.last() {
            Some(&"ascending") => (&words[..words.len() - 1], Some(false)),
            Some(&"descending") => (&words[..words.len() - 1], Some(true)),
            _ => (&words[..], None),
        };
        let link = match words {
            ["total"] => Some(TieBreak::Total {
                descending: descending.unwrap_or(true),
            }),
            ["office_id"] => Some(TieBreak::OfficeId {
                descending: descending.unwrap_or(false),
            }),
            ["criterion", id] => match criteria.iter().position(|c| c == id) {
                Some(index) => Some(TieBreak::Criterion {
                    index,
                    descending: descending.unwrap_or(true),
                }),
                None => {
                    if declared_criteria.lacks(id) {
                        cx.error(file, item, format!("`{id}` is not a criterion"))
                            .hint(suggestion(id, criteria));
                    }
                    None
                }
            },
            ["input", name] => match inputs.iter().position(|c| c == name) {
                Some(index) => Some(TieBreak::Input {
                    index,
                    descending: descending.unwrap_or(true),
                }),
                None => {
                    if declared_inputs.lacks(name) {
                        cx.error(file, item, format!("`{name}` is not a declared input"))
                            .hint(tie_break_hint(name, inputs));
                    }
                    None
                }
            },
            _ => {
                let hint = match words {
                    [name] | ["criterion", name] if names_the_office_id(name) => {
                        OFFICE_ID_HINT.to_string()
                    }
                    _ => "write `total`, `criterion <id>`, `input <name>` or `office_id`, optionally followed by ascending/descending".to_string(),
                };
                cx.error(file, item, format!("`{}` is not a tie-break", item.value))
                    .hint(hint);
                None
            }
        };
        match link {
            Some(l) => chain.push(l),
            None => ok = false,
        }
    }
    if !matches!(chain.last(), Some(TieBreak::OfficeId { .. })) {
        // The license number is unique, so ending with it makes every order deterministic.
        chain.push(TieBreak::OfficeId { descending: false });
    }
    if r.rounding.decimals.value > Fixed::DECIMALS {
        cx.error(
            file,
            &r.rounding.decimals,
            format!("totals keep at most {} decimals", Fixed::DECIMALS),
        );
        ok = false;
    }
    ok.then(|| Ranking {
        scopes: r.scopes.value.clone(),
        tie_break: chain,
        decimals: r.rounding.decimals.value,
        rounding: r.rounding.mode,
    })
}

const OFFICE_ID_HINT: &str =
    "the office's id (its license number) is the tie-break `office_id`; write `office_id`";

/// Whether a name in a tie-break means the office's id by another name (`license_no`, …).
fn names_the_office_id(name: &str) -> bool {
    let n = name.to_lowercase();
    ["licen", "permit", "parvan", "mojavez"]
        .iter()
        .any(|w| n.contains(w))
        || n.split(['_', '-']).all(|w| {
            matches!(
                w,
                "office" | "id" | "no" | "num" | "number" | "code" | "serial"
            )
        })
}

/// The hint for an undeclared input in a tie-break: a close input name, else `office_id` if that
/// is what it means.
fn tie_break_hint(name: &str, inputs: &[&str]) -> String {
    match super::diagnostic::did_you_mean(name, inputs.iter().copied()) {
        None if names_the_office_id(name) => OFFICE_ID_HINT.to_string(),
        _ => suggestion(name, inputs),
    }
}

/// `criteria` and `penalties` are the loaded names and every declared one.
fn compile_test(
    cx: &mut Ctx,
    file: &Path,
    case: TestCaseSpec,
    (criteria, declared_criteria): (&[&str], &Names),
    (penalties, declared_penalties): (&[String], &Names),
) -> TestCase {
    let e = case.expect.value;
    let mut check = |names: &OrderedMap<Located<Fixed>>,
                     known: &[&str],
                     declared: &Names,
                     what: &str|
     -> Vec<(String, Fixed)> {
        names
            .0
            .iter()
            .filter_map(|(k, v)| {
                if known.contains(&k.value.as_str()) {
                    Some((k.value.clone(), v.value))
                } else {
                    if declared.lacks(k) {
                        cx.error(file, k, format!("`{}` is not a {what}", k.value))
                            .hint(suggestion(k, known));
                    }
                    None
                }
            })
            .collect()
    };
    let penalty_names: Vec<&str> = penalties.iter().map(String::as_str).collect();
    let expect = Expectation {
        points: check(&e.points, criteria, declared_criteria, "criterion"),
        contributions: check(&e.contributions, criteria, declared_criteria, "criterion"),
        penalties: check(&e.penalties, &penalty_names, declared_penalties, "penalty"),
        total: e.total.map(|t| t.value),
        grade: e.grade.map(|g| g.value),
        error: e.error.map(|x| x.value),
    };
    TestCase {
        file: file.to_path_buf(),
        line: case.name.line,
        name: case.name.value,
        kind: case.kind,
        filed: case.filed.unwrap_or(true),
        inputs: case
            .inputs
            .0
            .into_iter()
            .map(|(k, v)| (k.value, v))
            .collect(),
        previous: case
            .previous
            .0
            .into_iter()
            .map(|(k, v)| (k.value, v))
            .collect(),
        expect,
    }
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
