//! Overrides: a candidate written as a few changes to a rule set, e.g. `weight:area=2`,
//! `cap:overcharging=-30`, `cut:grade_1=55`, and the parameters a sweep can vary.
//!
//! Overrides change the compiled rule set in place. They are checked as the compiler checks the
//! same fields in the files (ranges, order of cut points, shares adding up to at most 100%), so a
//! candidate made of overrides is as valid as one written out in files.

use std::fmt;

use crate::domain::digits::to_persian_number;
use crate::domain::{Fixed, FixedError, Label, quoted};
use crate::rules::RuleSet;
use crate::rules::diagnostic::{suggestion, suggestion_fa};
use crate::rules::model::Scope;
use crate::rules::ruleset::{GradeMethod, Rule};

/// A setting of a rule set that a simulation may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// `weight:<criterion>`: 0 to 100.
    Weight(String),
    /// `max_points:<criterion>`: above 0, at most 1000. A linear rule capped at the old maximum
    /// stays capped at the maximum.
    MaxPoints(String),
    /// `points:<penalty>`: points for the first occurrence, at most 0.
    PenaltyPoints(String),
    /// `cap:<penalty>`: the most one kind takes off in a round, at most 0, or `none`.
    PenaltyCap(String),
    /// `cut:grade_1`, `cut:grade_2`: minimum totals, when grading by cut points.
    Cut(u8),
    /// `share:grade_1`, `share:grade_2`: percent of the offices, when grading by shares.
    Share(u8),
    /// `service_share:grade_1` … `grade_3`: percent of services each grade may offer.
    ServiceShare(u8),
    /// `fragile_margin`: how close to a boundary counts as fragile.
    FragileMargin,
    /// `scope`: where grades are given (nationwide, region, office_kind, region_and_kind).
    GradingScope,
}

/// The value an override sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Number(Fixed),
    /// `none`: no cap.
    Nothing,
    Scope(Scope),
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Number(n) => write!(f, "{n}"),
            Setting::Nothing => f.write_str("none"),
            Setting::Scope(s) => f.write_str(s.as_str()),
        }
    }
}

/// One `KEY=VALUE` change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub param: Param,
    pub value: Setting,
}

const KEYS: &str = "weight:<criterion>, max_points:<criterion>, points:<penalty>, cap:<penalty>, \
                    cut:grade_1|grade_2, share:grade_1|grade_2, service_share:grade_1|grade_2|grade_3, \
                    fragile_margin, scope";

impl Param {
    /// Parses a key such as `weight:area` or `cut:grade_1`.
    pub fn parse(key: &str) -> Result<Param, Label> {
        let key = key.trim();
        let (name, arg) = match key.split_once(':') {
            Some((n, a)) => (n.trim(), Some(a.trim())),
            None => (key, None),
        };
        let id = |what: &str| match arg {
            Some(a) if !a.is_empty() => Ok(a.to_string()),
            _ => Err(Label::new(
                format!(
                    "{} شناسهٔ {} می‌خواهد، مانند {}",
                    quoted(key),
                    if what == "criterion" {
                        "معیار"
                    } else {
                        "جریمه"
                    },
                    quoted(format!("{name}:<id>"))
                ),
                format!("`{key}` needs a {what} id, e.g. `{name}:<id>`"),
            )),
        };
        let grade = |max: u8| -> Result<u8, Label> {
            let n = match arg {
                Some("grade_1") => 1,
                Some("grade_2") => 2,
                Some("grade_3") => 3,
                _ => 0,
            };
            if (1..=max).contains(&n) {
                Ok(n)
            } else {
                let names: Vec<String> = (1..=max).map(|g| format!("{name}:grade_{g}")).collect();
                Err(Label::new(
                    format!(
                        "{} از تنظیم‌ها نیست: {} را به کار ببرید",
                        quoted(key),
                        names.iter().map(quoted).collect::<Vec<_>>().join(" یا ")
                    ),
                    format!("`{key}` is not a setting: use {}", names.join(" or ")),
                ))
            }
        };
        match name {
            "weight" => id("criterion").map(Param::Weight),
            "max_points" => id("criterion").map(Param::MaxPoints),
            "points" => id("penalty").map(Param::PenaltyPoints),
            "cap" => id("penalty").map(Param::PenaltyCap),
            "cut" | "cut_points" => grade(2).map(Param::Cut),
            "share" | "shares" => grade(2).map(Param::Share),
            "service_share" => grade(3).map(Param::ServiceShare),
            "fragile_margin" if arg.is_none() => Ok(Param::FragileMargin),
            "scope" if arg.is_none() => Ok(Param::GradingScope),
            _ => Err(Label::new(
                format!(
                    "{} از تنظیم‌ها نیست: یکی از این‌ها را به کار ببرید: {}",
                    quoted(key),
                    quoted(KEYS)
                ),
                format!("`{key}` is not a setting: use one of {KEYS}"),
            )),
        }
    }

    /// Whether the setting takes numbers (the ones a sweep can vary).
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Param::GradingScope)
    }

    /// Parses a value for this setting.
    pub fn parse_value(&self, text: &str) -> Result<Setting, Label> {
        let text = text.trim();
        match self {
            Param::GradingScope => Scope::parse(text).map(Setting::Scope).ok_or_else(|| {
                Label::new(
                    format!(
                        "{} دامنه نیست: «nationwide»، «region»، «office_kind» یا «region_and_kind» را به کار ببرید",
                        quoted(text)
                    ),
                    format!(
                        "`{text}` is not a scope: use nationwide, region, office_kind or region_and_kind"
                    ),
                )
            }),
            Param::PenaltyCap(_) if text == "none" => Ok(Setting::Nothing),
            _ => text
                .parse::<Fixed>()
                .map(Setting::Number)
                .map_err(|e| number_error(self, &e)),
        }
    }

    /// The setting's current value in a rule set.
    pub fn get(&self, rs: &RuleSet) -> Result<Setting, Label> {
        Ok(match self {
            Param::Weight(id) => Setting::Number(rs.criteria[criterion(rs, id)?].weight),
            Param::MaxPoints(id) => Setting::Number(rs.criteria[criterion(rs, id)?].max_points),
            Param::PenaltyPoints(id) => Setting::Number(rs.penalties[penalty(rs, id)?].points),
            Param::PenaltyCap(id) => rs.penalties[penalty(rs, id)?]
                .cap
                .map_or(Setting::Nothing, Setting::Number),
            Param::Cut(g) => match rs.grading.method {
                GradeMethod::CutPoints { grade_1, grade_2 } => {
                    Setting::Number(if *g == 1 { grade_1 } else { grade_2 })
                }
                GradeMethod::Shares { .. } => return Err(method_error("cut", "shares", "share")),
            },
            Param::Share(g) => match rs.grading.method {
                GradeMethod::Shares { grade_1, grade_2 } => {
                    Setting::Number(if *g == 1 { grade_1 } else { grade_2 })
                }
                GradeMethod::CutPoints { .. } => {
                    return Err(method_error("share", "cut points", "cut"));
                }
            },
            Param::ServiceShare(g) => Setting::Number(rs.grading.service_share[*g as usize - 1]),
            Param::FragileMargin => Setting::Number(rs.grading.fragile_margin),
            Param::GradingScope => Setting::Scope(rs.grading.scope),
        })
    }

    /// Sets the value, checking it alone (see [`check`] for the checks across settings).
    // Long on purpose: one short arm per kind of setting, each with its own check and message.
    pub fn set(&self, rs: &mut RuleSet, value: Setting) -> Result<(), Label> {
        let number = || match value {
            Setting::Number(n) => Ok(n),
            other => Err(Label::new(
                format!("{} عدد می‌گیرد، نه {}", quoted(self), quoted(other)),
                format!("{self} takes a number, not `{other}`"),
            )),
        };
        let percent = |n: Fixed| {
            if n < Fixed::ZERO || n > Fixed::from_int(100) {
                Err(Label::new(
                    format!("{}: درصد از ۰ تا ۱۰۰ است، نه {}", quoted(self), fa(n)),
                    format!("{self}: a percent runs from 0 to 100, not {n}"),
                ))
            } else {
                Ok(n)
            }
        };
        match self {
            Param::Weight(id) => {
                let n = number()?;
                if n < Fixed::ZERO || n > Fixed::from_int(100) {
                    return Err(Label::new(
                        format!("{}: وزن از ۰ تا ۱۰۰ است، نه {}", quoted(self), fa(n)),
                        format!("{self}: weights run from 0 to 100, not {n}"),
                    ));
                }
                let i = criterion(rs, id)?;
                rs.criteria[i].weight = n;
            }
            Param::MaxPoints(id) => {
                let n = number()?;
                if n <= Fixed::ZERO || n > Fixed::from_int(1000) {
                    return Err(Label::new(
                        format!(
                            "{}: سقف امتیاز باید بیش از ۰ و حداکثر ۱۰۰۰ باشد، نه {}",
                            quoted(self),
                            fa(n)
                        ),
                        format!("{self}: max_points must be above 0 and at most 1000, not {n}"),
                    ));
                }
                let i = criterion(rs, id)?;
                let c = &mut rs.criteria[i];
                if let Rule::Linear { cap, .. } = &mut c.rule
                    && (*cap == c.max_points || *cap > n)
                {
                    *cap = n;
                }
                c.max_points = n;
            }
            Param::PenaltyPoints(id) => {
                let n = number()?;
                if n > Fixed::ZERO {
                    let negative = Fixed::ZERO.saturating_sub(n);
                    return Err(Label::new(
                        format!(
                            "{}: امتیاز جریمه باید منفی باشد، نه {} ({} بنویسید)",
                            quoted(self),
                            fa(n),
                            fa(negative)
                        ),
                        format!(
                            "{self}: penalty points must be negative, not {n} (write {negative})"
                        ),
                    ));
                }
                let i = penalty(rs, id)?;
                rs.penalties[i].points = n;
            }
            Param::PenaltyCap(id) => {
                let cap = match value {
                    Setting::Nothing => None,
                    _ => Some(number()?),
                };
                if let Some(n) = cap
                    && n > Fixed::ZERO
                {
                    return Err(Label::new(
                        format!(
                            "{}: سقف جریمه باید منفی باشد (بیشترین کسر)، نه {}",
                            quoted(self),
                            fa(n)
                        ),
                        format!("{self}: the cap must be negative (the most taken off), not {n}"),
                    ));
                }
                let i = penalty(rs, id)?;
                rs.penalties[i].cap = cap;
            }
            Param::Cut(g) => {
                let n = number()?;
                match &mut rs.grading.method {
                    GradeMethod::CutPoints { grade_1, grade_2 } => {
                        *(if *g == 1 { grade_1 } else { grade_2 }) = n;
                    }
                    GradeMethod::Shares { .. } => {
                        return Err(method_error("cut", "shares", "share"));
                    }
                }
            }
            Param::Share(g) => {
                let n = percent(number()?)?;
                match &mut rs.grading.method {
                    GradeMethod::Shares { grade_1, grade_2 } => {
                        *(if *g == 1 { grade_1 } else { grade_2 }) = n;
                    }
                    GradeMethod::CutPoints { .. } => {
                        return Err(method_error("share", "cut points", "cut"));
                    }
                }
            }
            Param::ServiceShare(g) => {
                rs.grading.service_share[*g as usize - 1] = percent(number()?)?;
            }
            Param::FragileMargin => {
                let n = number()?;
                if n < Fixed::ZERO {
                    return Err(Label::new(
                        format!("{}: حاشیه نمی‌تواند منفی باشد، نه {}", quoted(self), fa(n)),
                        format!("{self}: the margin cannot be negative, not {n}"),
                    ));
                }
                rs.grading.fragile_margin = n;
            }
            Param::GradingScope => {
                let Setting::Scope(s) = value else {
                    return Err(Label::new(
                        format!("{} دامنه می‌گیرد، نه {}", quoted(self), quoted(value)),
                        format!("{self} takes a scope, not `{value}`"),
                    ));
                };
                if !rs.ranking.scopes.contains(&s) {
                    let listed: Vec<&str> = rs.ranking.scopes.iter().map(|s| s.as_str()).collect();
                    return Err(Label::new(
                        format!(
                            "{}: این دوره فقط در {} رتبه‌بندی می‌کند و رتبه باید در یکی از آن‌ها داده شود",
                            quoted(self),
                            listed.iter().map(quoted).collect::<Vec<_>>().join("، ")
                        ),
                        format!(
                            "{self}: this round ranks in {} only; grades must be given in one of them",
                            listed.join(", ")
                        ),
                    ));
                }
                rs.grading.scope = s;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Param {
    /// The key as written: `weight:area`, `cut:grade_1`, `fragile_margin`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Weight(id) => write!(f, "weight:{id}"),
            Param::MaxPoints(id) => write!(f, "max_points:{id}"),
            Param::PenaltyPoints(id) => write!(f, "points:{id}"),
            Param::PenaltyCap(id) => write!(f, "cap:{id}"),
            Param::Cut(g) => write!(f, "cut:grade_{g}"),
            Param::Share(g) => write!(f, "share:grade_{g}"),
            Param::ServiceShare(g) => write!(f, "service_share:grade_{g}"),
            Param::FragileMargin => f.write_str("fragile_margin"),
            Param::GradingScope => f.write_str("scope"),
        }
    }
}

impl Override {
    /// Parses `KEY=VALUE`, e.g. `weight:area=2` or `cap:overcharging=none`.
    pub fn parse(text: &str) -> Result<Override, Label> {
        let (key, value) = text.split_once('=').ok_or_else(|| {
            Label::new(
                format!(
                    "{} به شکل «KEY=VALUE» نیست، مانند «weight:area=2»",
                    quoted(text)
                ),
                format!("`{text}` is not KEY=VALUE, e.g. weight:area=2"),
            )
        })?;
        let param = Param::parse(key)?;
        let value = param.parse_value(value)?;
        Ok(Override { param, value })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.param, self.value)
    }
}

/// Applies overrides in order, then checks the settings that depend on each other.
/// Every problem is returned; on error the rule set may be partly changed.
pub fn apply(rs: &mut RuleSet, overrides: &[Override]) -> Result<(), Vec<Label>> {
    let mut problems: Vec<Label> = overrides
        .iter()
        .filter_map(|o| o.param.set(rs, o.value).err())
        .collect();
    problems.extend(check(rs));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// What the compiler checks across grading settings: cut points in order, shares at most 100%,
/// a better grade allowing at least the service share of a lower one.
pub fn check(rs: &RuleSet) -> Vec<Label> {
    let mut problems = Vec::new();
    match rs.grading.method {
        GradeMethod::CutPoints { grade_1, grade_2 } if grade_1 <= grade_2 => {
            problems.push(Label::new(
                format!(
                    "درجهٔ ۱ باید امتیاز بیشتری از درجهٔ ۲ بخواهد ({} ≤ {})",
                    fa(grade_1),
                    fa(grade_2)
                ),
                format!("grade 1 needs more points than grade 2 ({grade_1} ≤ {grade_2})"),
            ))
        }
        GradeMethod::Shares { grade_1, grade_2 }
            if grade_1.saturating_add(grade_2) > Fixed::from_int(100) =>
        {
            problems.push(Label::new(
                format!(
                    "سهم درجه‌های ۱ و ۲ روی هم از ۱۰۰٪ بیشتر است ({} + {})",
                    fa(grade_1),
                    fa(grade_2)
                ),
                format!(
                    "the shares of grades 1 and 2 add up to more than 100% ({grade_1} + {grade_2})"
                ),
            ))
        }
        _ => {}
    }
    let s = rs.grading.service_share;
    if !(s[0] >= s[1] && s[1] >= s[2]) {
        problems.push(Label::new(
            format!(
                "رتبه بهتر باید دست‌کم سهم خدمات رتبه پایین‌تر را داشته باشد ({}، {}، {})",
                fa(s[0]),
                fa(s[1]),
                fa(s[2])
            ),
            format!(
                "a better grade must allow at least the service share of a lower one ({}, {}, {})",
                s[0], s[1], s[2]
            ),
        ));
    }
    problems
}

/// A number as Persian text writes it.
fn fa(n: impl fmt::Display) -> String {
    to_persian_number(&n.to_string())
}

/// A setting's value that is not a number, in both languages.
pub(super) fn number_error(param: &Param, e: &FixedError) -> Label {
    let fa = match e {
        FixedError::NotANumber(t) => format!("{} عدد نیست", quoted(t)),
        FixedError::TooPrecise(t) => format!("{} بیش از چهار رقم اعشار دارد", quoted(t)),
        FixedError::OutOfRange(t) => format!("{} بیش از اندازه بزرگ است", quoted(t)),
    };
    Label::new(format!("{}: {fa}", quoted(param)), format!("{param}: {e}"))
}

fn criterion(rs: &RuleSet, id: &str) -> Result<usize, Label> {
    rs.criterion_index(id).ok_or_else(|| {
        let ids: Vec<&str> = rs.criteria.iter().map(|c| c.id.as_str()).collect();
        Label::new(
            format!(
                "معیار {} در این دوره نیست ({})",
                quoted(id),
                suggestion_fa(id, &ids)
            ),
            format!("there is no criterion `{id}` ({})", suggestion(id, &ids)),
        )
    })
}

fn penalty(rs: &RuleSet, id: &str) -> Result<usize, Label> {
    rs.penalty_index(id).ok_or_else(|| {
        let ids: Vec<&str> = rs.penalties.iter().map(|p| p.id.as_str()).collect();
        Label::new(
            format!(
                "جریمه {} در این دوره نیست ({})",
                quoted(id),
                suggestion_fa(id, &ids)
            ),
            format!("there is no penalty `{id}` ({})", suggestion(id, &ids)),
        )
    })
}

fn method_error(key: &str, method: &str, instead: &str) -> Label {
    let method_fa = if method == "shares" {
        "با سهم هر رتبه"
    } else {
        "با نقاط برش"
    };
    Label::new(
        format!(
            "{} به کار نمی‌آید: این دوره {method_fa} رتبه می‌دهد؛ {} یا {} را به کار ببرید",
            quoted(format!("{key}:")),
            quoted(format!("{instead}:grade_1")),
            quoted(format!("{instead}:grade_2"))
        ),
        format!(
            "`{key}:` does not apply: this round grades by {method}; use `{instead}:grade_1` or `{instead}:grade_2`"
        ),
    )
}
