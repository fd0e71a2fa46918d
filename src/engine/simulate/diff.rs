//! The difference between two compiled rule sets in business terms: which criterion, penalty,
//! input, grading or calendar setting changed, from what to what. Compared by id, not by text, so
//! comments and formatting do not count as changes and an override shows up like a file edit.

use serde::Serialize;

use crate::domain::{Fixed, Label};
use crate::rules::RuleSet;
use crate::rules::ruleset::{
    Band, Bounds, Calendar, Criterion, GradeMethod, InputDef, InputKind, KindSet, Missing, Penalty,
    Period, Rule, TieBreak,
};
use crate::rules::script::ProgramSource;
use crate::rules::value;

/// One thing that changed, old → new (`None` = absent on that side).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuleChange {
    /// `round`, `criterion`, `penalty`, `input`, `grading`, `ranking` or `calendar`.
    #[schema(example = "criterion")]
    pub section: &'static str,
    /// The criterion, penalty or input id; empty for settings of the whole round.
    #[schema(example = "area")]
    pub id: String,
    /// The criterion's, penalty's or input's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Label>,
    /// The property: `weight`, `bands`, `cap`, `cut_points.grade_1`, … or `added` / `removed`.
    #[schema(example = "weight")]
    pub field: String,
    /// The old value in words; `null` when added.
    #[schema(example = "1.5")]
    pub old: Option<String>,
    /// The new value in words; `null` when removed.
    #[schema(example = "2")]
    pub new: Option<String>,
}

/// Everything that differs between `base` and `cand`, section by section.
pub fn diff(base: &RuleSet, cand: &RuleSet) -> Vec<RuleChange> {
    let mut d = Diff(Vec::new());
    d.round(base, cand);
    d.criteria(base, cand);
    d.penalties(base, cand);
    d.inputs(base, cand);
    d.grading(base, cand);
    d.ranking(base, cand);
    d.calendar(&base.calendar, &cand.calendar);
    d.0
}

struct Diff(Vec<RuleChange>);

impl Diff {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        section: &'static str,
        id: &str,
        label: Option<&Label>,
        field: &str,
        old: Option<String>,
        new: Option<String>,
    ) {
        if old != new {
            self.0.push(RuleChange {
                section,
                id: id.to_string(),
                label: label.cloned(),
                field: field.to_string(),
                old,
                new,
            });
        }
    }

    fn round(&mut self, a: &RuleSet, b: &RuleSet) {
        self.push(
            "round",
            "",
            None,
            "id",
            Some(a.round.to_string()),
            Some(b.round.to_string()),
        );
        self.push(
            "round",
            "",
            None,
            "version",
            Some(a.version.clone()),
            Some(b.version.clone()),
        );
        let kinds = |rs: &RuleSet| {
            rs.office_kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        self.push(
            "round",
            "",
            None,
            "office_kinds",
            Some(kinds(a)),
            Some(kinds(b)),
        );
    }

    fn criteria(&mut self, a: &RuleSet, b: &RuleSet) {
        for c in &a.criteria {
            if b.criterion_index(&c.id).is_none() {
                self.push(
                    "criterion",
                    &c.id,
                    Some(&c.label),
                    "removed",
                    Some(criterion_summary(a, c)),
                    None,
                );
            }
        }
        for c in &b.criteria {
            let Some(i) = a.criterion_index(&c.id) else {
                self.push(
                    "criterion",
                    &c.id,
                    Some(&c.label),
                    "added",
                    None,
                    Some(criterion_summary(b, c)),
                );
                continue;
            };
            let old = &a.criteria[i];
            let mut field = |f: &str, x: String, y: String| {
                self.push("criterion", &c.id, Some(&c.label), f, Some(x), Some(y))
            };
            field("label", label_text(&old.label), label_text(&c.label));
            field("weight", old.weight.to_string(), c.weight.to_string());
            field(
                "max_points",
                old.max_points.to_string(),
                c.max_points.to_string(),
            );
            field(
                "applies_to",
                kind_set(old.applies_to),
                kind_set(c.applies_to),
            );
            self.rule(a, old, b, c);
        }
    }

    fn rule(&mut self, a: &RuleSet, old: &Criterion, b: &RuleSet, new: &Criterion) {
        let mut field = |f: &str, x: String, y: String| {
            self.push("criterion", &new.id, Some(&new.label), f, Some(x), Some(y))
        };
        let name = |rs: &RuleSet, slot: usize| rs.inputs[slot].name.clone();
        match (&old.rule, &new.rule) {
            (Rule::Bands { input: i, bands: x }, Rule::Bands { input: j, bands: y }) => {
                field("input", name(a, *i), name(b, *j));
                field("bands", bands(x), bands(y));
            }
            (
                Rule::Linear {
                    input: i,
                    from: f1,
                    per_unit: p1,
                    cap: c1,
                },
                Rule::Linear {
                    input: j,
                    from: f2,
                    per_unit: p2,
                    cap: c2,
                },
            ) => {
                field("input", name(a, *i), name(b, *j));
                field("linear.from", f1.to_string(), f2.to_string());
                field("linear.points_per_unit", p1.to_string(), p2.to_string());
                field("linear.cap", c1.to_string(), c2.to_string());
            }
            (
                Rule::Lookup {
                    input: i,
                    points: x,
                    otherwise: o1,
                },
                Rule::Lookup {
                    input: j,
                    points: y,
                    otherwise: o2,
                },
            ) => {
                field("input", name(a, *i), name(b, *j));
                field(
                    "lookup",
                    lookup(&a.inputs[*i], x, *o1),
                    lookup(&b.inputs[*j], y, *o2),
                );
            }
            (Rule::Program(p), Rule::Program(q)) => {
                let args = |rs: &RuleSet, slots: &[usize]| {
                    slots
                        .iter()
                        .map(|s| rs.inputs[*s].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                field("inputs", args(a, &p.args), args(b, &q.args));
                match (&p.source, &q.source) {
                    (
                        ProgramSource::Formula { text: t1, .. },
                        ProgramSource::Formula { text: t2, .. },
                    ) => field("formula", t1.clone(), t2.clone()),
                    (
                        ProgramSource::Function { file: f1, name: n1 },
                        ProgramSource::Function { file: f2, name: n2 },
                    ) => {
                        let (p1, t1) = super::rescore::script_source(a, *f1).unwrap_or(("?", ""));
                        let (p2, t2) = super::rescore::script_source(b, *f2).unwrap_or(("?", ""));
                        field("script", format!("{p1}: {n1}"), format!("{p2}: {n2}"));
                        if t1 != t2 {
                            let (gone, came) = changed_lines(t1, t2);
                            self.push(
                                "criterion",
                                &new.id,
                                Some(&new.label),
                                &format!("script {p2}"),
                                Some(gone),
                                Some(came),
                            );
                        }
                    }
                    _ => field("rule", rule_summary(a, old), rule_summary(b, new)),
                }
            }
            _ => field("rule", rule_summary(a, old), rule_summary(b, new)),
        }
    }

    fn penalties(&mut self, a: &RuleSet, b: &RuleSet) {
        for p in &a.penalties {
            if b.penalty_index(&p.id).is_none() {
                self.push(
                    "penalty",
                    &p.id,
                    Some(&p.label),
                    "removed",
                    Some(penalty_summary(p)),
                    None,
                );
            }
        }
        for p in &b.penalties {
            let Some(i) = a.penalty_index(&p.id) else {
                self.push(
                    "penalty",
                    &p.id,
                    Some(&p.label),
                    "added",
                    None,
                    Some(penalty_summary(p)),
                );
                continue;
            };
            let old = &a.penalties[i];
            let mut field = |f: &str, x: String, y: String| {
                self.push("penalty", &p.id, Some(&p.label), f, Some(x), Some(y))
            };
            field("label", label_text(&old.label), label_text(&p.label));
            field("points", old.points.to_string(), p.points.to_string());
            field(
                "repeat_points",
                list(&old.repeat_points),
                list(&p.repeat_points),
            );
            field("cap", cap(old.cap), cap(p.cap));
            field(
                "applies_to",
                kind_set(old.applies_to),
                kind_set(p.applies_to),
            );
        }
    }

    fn inputs(&mut self, a: &RuleSet, b: &RuleSet) {
        for i in &a.inputs {
            if b.input_index(&i.name).is_none() {
                self.push(
                    "input",
                    &i.name,
                    Some(&i.label),
                    "removed",
                    Some(input_summary(i)),
                    None,
                );
            }
        }
        for i in &b.inputs {
            let Some(k) = a.input_index(&i.name) else {
                self.push(
                    "input",
                    &i.name,
                    Some(&i.label),
                    "added",
                    None,
                    Some(input_summary(i)),
                );
                continue;
            };
            let old = &a.inputs[k];
            let mut field = |f: &str, x: String, y: String| {
                self.push("input", &i.name, Some(&i.label), f, Some(x), Some(y))
            };
            field("type", kind_text(&old.kind), kind_text(&i.kind));
            field("range", range(old.range), range(i.range));
            field("when_missing", missing(old), missing(i));
            field("supplied_by", supplier(old), supplier(i));
        }
    }

    fn grading(&mut self, a: &RuleSet, b: &RuleSet) {
        let (x, y) = (&a.grading, &b.grading);
        let mut field =
            |f: &str, o: String, n: String| self.push("grading", "", None, f, Some(o), Some(n));
        field("scope", x.scope.as_str().into(), y.scope.as_str().into());
        match (x.method, y.method) {
            (
                GradeMethod::CutPoints {
                    grade_1: a1,
                    grade_2: a2,
                },
                GradeMethod::CutPoints {
                    grade_1: b1,
                    grade_2: b2,
                },
            ) => {
                field("cut_points.grade_1", a1.to_string(), b1.to_string());
                field("cut_points.grade_2", a2.to_string(), b2.to_string());
            }
            (
                GradeMethod::Shares {
                    grade_1: a1,
                    grade_2: a2,
                },
                GradeMethod::Shares {
                    grade_1: b1,
                    grade_2: b2,
                },
            ) => {
                field("shares.grade_1", format!("{a1}%"), format!("{b1}%"));
                field("shares.grade_2", format!("{a2}%"), format!("{b2}%"));
            }
            (m, n) => field("method", method(m), method(n)),
        }
        for g in 0..3 {
            field(
                &format!("service_share.grade_{}", g + 1),
                format!("{}%", x.service_share[g]),
                format!("{}%", y.service_share[g]),
            );
        }
        field("non_filers", snake(&x.non_filers), snake(&y.non_filers));
        field(
            "fragile_margin",
            x.fragile_margin.to_string(),
            y.fragile_margin.to_string(),
        );
    }

    fn ranking(&mut self, a: &RuleSet, b: &RuleSet) {
        let scopes = |rs: &RuleSet| {
            rs.ranking
                .scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let chain = |rs: &RuleSet| {
            rs.ranking
                .tie_break
                .iter()
                .map(|t| tie_break(rs, t))
                .collect::<Vec<_>>()
                .join(" → ")
        };
        let rounding = |rs: &RuleSet| {
            format!(
                "{} decimals, {}",
                rs.ranking.decimals,
                snake(&rs.ranking.rounding)
            )
        };
        self.push(
            "ranking",
            "",
            None,
            "scopes",
            Some(scopes(a)),
            Some(scopes(b)),
        );
        self.push(
            "ranking",
            "",
            None,
            "tie_break",
            Some(chain(a)),
            Some(chain(b)),
        );
        self.push(
            "ranking",
            "",
            None,
            "rounding",
            Some(rounding(a)),
            Some(rounding(b)),
        );
    }

    fn calendar(&mut self, a: &Calendar, b: &Calendar) {
        let mut field =
            |f: &str, o: String, n: String| self.push("calendar", "", None, f, Some(o), Some(n));
        field("time_zone", a.time_zone.clone(), b.time_zone.clone());
        let phases = [
            ("self_declaration", a.self_declaration, b.self_declaration),
            ("regional_review", a.regional_review, b.regional_review),
            ("publication", a.publication, b.publication),
            ("objection", a.objection, b.objection),
            ("final", a.final_review, b.final_review),
        ];
        for (name, x, y) in phases {
            field(name, period(x), period(y));
        }
        field(
            "correction",
            format!(
                "{} days, {} referral(s)",
                a.correction.days, a.correction.max_referrals
            ),
            format!(
                "{} days, {} referral(s)",
                b.correction.days, b.correction.max_referrals
            ),
        );
    }
}

/// A setting's name as written in the files (its serde name).
fn snake<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}

fn label_text(l: &Label) -> String {
    format!("{} / {}", l.en, l.fa)
}

fn kind_set(k: KindSet) -> String {
    k.kinds()
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn list(xs: &[Fixed]) -> String {
    if xs.is_empty() {
        "—".into()
    } else {
        xs.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn cap(c: Option<Fixed>) -> String {
    c.map_or("none".into(), |c| c.to_string())
}

fn period(p: Period) -> String {
    format!("{} – {}", p.first_day, p.last_day)
}

fn method(m: GradeMethod) -> String {
    match m {
        GradeMethod::CutPoints { grade_1, grade_2 } => {
            format!("cut points: grade 1 ≥ {grade_1}, grade 2 ≥ {grade_2}")
        }
        GradeMethod::Shares { grade_1, grade_2 } => {
            format!("shares: grade 1 {grade_1}%, grade 2 {grade_2}%")
        }
    }
}

/// `<20: 0 · 20–40: 4 · ≥100: 10`
fn bands(bs: &[Band]) -> String {
    bs.iter()
        .map(|b| {
            let range = match (b.at_least, b.below) {
                (Some(lo), Some(hi)) => format!("{lo}–{hi}"),
                (Some(lo), None) => format!("≥{lo}"),
                (None, Some(hi)) => format!("<{hi}"),
                (None, None) => "any".into(),
            };
            format!("{range}: {}", b.points)
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn lookup(def: &InputDef, points: &[Option<Fixed>], otherwise: Option<Fixed>) -> String {
    let key = |i: usize| match &def.kind {
        InputKind::Choice(values) => values[i].name.clone(),
        _ => (i == 1).to_string(),
    };
    let mut rows: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|p| format!("{}: {p}", key(i))))
        .collect();
    if let Some(o) = otherwise {
        rows.push(format!("otherwise: {o}"));
    }
    rows.join(" · ")
}

fn rule_summary(rs: &RuleSet, c: &Criterion) -> String {
    let name = |slot: usize| rs.inputs[slot].name.as_str();
    match &c.rule {
        Rule::Bands { input, bands: b } => format!("bands on {}: {}", name(*input), bands(b)),
        Rule::Linear {
            input,
            from,
            per_unit,
            cap,
        } => format!(
            "linear on {}: ({} − {from}) × {per_unit}, at most {cap}",
            name(*input),
            name(*input)
        ),
        Rule::Lookup {
            input,
            points,
            otherwise,
        } => format!(
            "lookup on {}: {}",
            name(*input),
            lookup(&rs.inputs[*input], points, *otherwise)
        ),
        Rule::Program(p) => match &p.source {
            ProgramSource::Formula { text, .. } => format!("formula {text}"),
            ProgramSource::Function { file, name: f } => {
                let path = super::rescore::script_source(rs, *file).map_or("?", |(p, _)| p);
                let args: Vec<&str> = p.args.iter().map(|s| name(*s)).collect();
                format!("script {path}: {f}({})", args.join(", "))
            }
        },
    }
}

fn criterion_summary(rs: &RuleSet, c: &Criterion) -> String {
    format!(
        "weight {}, up to {} points; {}",
        c.weight,
        c.max_points,
        rule_summary(rs, c)
    )
}

fn penalty_summary(p: &Penalty) -> String {
    let mut s = format!("{} per occurrence", p.points);
    if !p.repeat_points.is_empty() {
        s.push_str(&format!(", then {}", list(&p.repeat_points)));
    }
    s.push_str(&format!(", cap {}", cap(p.cap)));
    s
}

fn kind_text(k: &InputKind) -> String {
    match k {
        InputKind::Choice(values) => format!(
            "choice ({})",
            values
                .iter()
                .map(|v| v.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.name().to_string(),
    }
}

fn range(r: Option<Bounds>) -> String {
    r.map_or("—".into(), |b| b.to_string())
}

fn missing(def: &InputDef) -> String {
    match &def.when_missing {
        Missing::Error => "error".into(),
        Missing::ZeroPoints => "zero_points".into(),
        Missing::CarryOver => "carry_over".into(),
        Missing::Default(v) => format!("default {}", value::to_json(def, v)),
    }
}

fn supplier(i: &InputDef) -> String {
    format!("{:?}", i.supplied_by).to_lowercase()
}

fn input_summary(i: &InputDef) -> String {
    format!(
        "{}, supplied by {}, when missing: {}",
        kind_text(&i.kind),
        supplier(i),
        missing(i)
    )
}

fn tie_break(rs: &RuleSet, t: &TieBreak) -> String {
    let dir = |d: bool| if d { "descending" } else { "ascending" };
    match *t {
        TieBreak::Total { descending } => format!("total {}", dir(descending)),
        TieBreak::Criterion { index, descending } => {
            format!("criterion {} {}", rs.criteria[index].id, dir(descending))
        }
        TieBreak::Input { index, descending } => {
            format!("input {} {}", rs.inputs[index].name, dir(descending))
        }
        TieBreak::OfficeId { descending } => format!("office_id {}", dir(descending)),
    }
}

/// The code lines (not comments or blank lines) only in `a`, and only in `b`, with their line
/// numbers: a longest-common-subsequence diff, so a line that moved elsewhere counts as changed.
fn changed_lines(a: &str, b: &str) -> (String, String) {
    let code = |t: &str| -> Vec<(usize, String)> {
        t.lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim().to_string()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with("//"))
            .collect()
    };
    let (x, y) = (code(a), code(b));
    let (n, m) = (x.len(), y.len());
    let show = |lines: Vec<&(usize, String)>| {
        if lines.is_empty() {
            "(comments only)".to_string()
        } else {
            lines
                .iter()
                .map(|(n, l)| format!("line {n}: {l}"))
                .collect::<Vec<_>>()
                .join(" ⏎ ")
        }
    };
    if n * m > 4_000_000 {
        return ("(the file changed)".into(), "(the file changed)".into());
    }
    // lcs[i][j] = length of the LCS of x[i..] and y[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if x[i].1 == y[j].1 {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut gone, mut came) = (Vec::new(), Vec::new());
    while i < n || j < m {
        if i < n && j < m && x[i].1 == y[j].1 {
            i += 1;
            j += 1;
        } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
            gone.push(&x[i]);
            i += 1;
        } else {
            came.push(&y[j]);
            j += 1;
        }
    }
    (show(gone), show(came))
}
