//! What a lowered program did for one office, for explanations: each `let` with the value it
//! bound and each `if` with the branch taken, in the order they ran. Built only when asked.

use serde::Serialize;

use super::native::{NVal, Native, Watch};
use super::program::{Program, to_nval};
use crate::rules::ruleset::{InputDef, InputKind};
use crate::rules::value::Value;

/// One step of a lowered program's run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum ProgramStep {
    /// `let name = …` bound `value`.
    Let {
        /// The bound name.
        #[schema(example = "ratio")]
        name: String,
        /// Its value, as the script would print it.
        #[schema(example = "0.75")]
        value: String,
    },
    /// An `if` on `condition` took its first branch (`taken`) or its `else`.
    Branch {
        /// The condition as written.
        #[schema(example = "insured_staff >= staff_count")]
        condition: String,
        /// True when the first branch was taken.
        #[schema(example = true)]
        taken: bool,
    },
}

impl Program {
    /// The steps of this program's run on `values` (one per argument), or `None` when it is
    /// interpreted (Rhai keeps no such trace) or fails.
    pub fn trace(&self, inputs: &[InputDef], values: &[&Value]) -> Option<Vec<ProgramStep>> {
        let native = self.native.as_ref()?;
        let args: Vec<NVal> = self
            .args
            .iter()
            .zip(values)
            .map(|(slot, v)| to_nval(&inputs[*slot], v))
            .collect();
        let mut steps = Steps {
            program: self,
            inputs,
            out: Vec::new(),
        };
        native.eval_watched(&args, &mut steps).ok()?;
        Some(steps.out)
    }
}

/// Collects the steps, naming arguments by their inputs and locals by their `let`.
struct Steps<'a> {
    program: &'a Program,
    inputs: &'a [InputDef],
    out: Vec<ProgramStep>,
}

impl Watch for Steps<'_> {
    fn bound(&mut self, slot: u8, value: NVal) {
        self.out.push(ProgramStep::Let {
            name: self.local(slot),
            value: show_value(value),
        });
    }

    fn branch(&mut self, condition: &Native, taken: bool) {
        let condition = self.show(condition);
        self.out.push(ProgramStep::Branch { condition, taken });
    }
}

impl Steps<'_> {
    fn local(&self, slot: u8) -> String {
        self.program
            .locals
            .get(slot as usize)
            .cloned()
            .unwrap_or_else(|| format!("local{slot}"))
    }

    fn arg(&self, i: u8) -> &InputDef {
        &self.inputs[self.program.args[i as usize]]
    }

    /// The expression as Rhai source, with inputs by name and choices by value.
    fn show(&self, n: &Native) -> String {
        let call = |f: &str, parts: &[&Native]| {
            let parts: Vec<String> = parts.iter().map(|p| self.show(p)).collect();
            format!("{f}({})", parts.join(", "))
        };
        match n {
            Native::Const(v) => show_value(*v),
            Native::Arg(i) => self.arg(*i).name.clone(),
            Native::Local(i) => self.local(*i),
            Native::ChoiceIs { arg, index, negate } => {
                let def = self.arg(*arg);
                let value = match &def.kind {
                    InputKind::Choice(values) => values
                        .get(*index as usize)
                        .map_or_else(|| index.to_string(), |v| v.name.clone()),
                    _ => index.to_string(),
                };
                let op = if *negate { "!=" } else { "==" };
                format!("{} {op} \"{value}\"", def.name)
            }
            Native::Neg(e) => format!("-{}", self.operand(e)),
            Native::Not(e) => format!("!{}", self.operand(e)),
            Native::Binary(op, a, b) => {
                format!("{} {} {}", self.operand(a), op.symbol(), self.operand(b))
            }
            Native::And(items) => self.joined(items, " && "),
            Native::Or(items) => self.joined(items, " || "),
            Native::If(c, t, e) => format!(
                "if {} {{ {} }} else {{ {} }}",
                self.show(c),
                self.show(t),
                self.show(e)
            ),
            Native::Min(a, b) => call("min", &[a, b]),
            Native::Max(a, b) => call("max", &[a, b]),
            Native::Clamp(v) => call("clamp", &[&v[0], &v[1], &v[2]]),
            Native::Abs(a) => call("abs", &[a]),
            Native::Round(a, r) => call(&format!("{r:?}").to_lowercase(), &[a]),
            Native::Let(slot, v, body) => format!(
                "let {} = {}; {}",
                self.local(*slot),
                self.show(v),
                self.show(body)
            ),
        }
    }

    /// An operand, in parentheses when it is itself an operation.
    fn operand(&self, n: &Native) -> String {
        match n {
            Native::Binary(..) | Native::And(_) | Native::Or(_) | Native::ChoiceIs { .. } => {
                format!("({})", self.show(n))
            }
            _ => self.show(n),
        }
    }

    fn joined(&self, items: &[Native], sep: &str) -> String {
        let parts: Vec<String> = items.iter().map(|i| self.operand(i)).collect();
        parts.join(sep)
    }
}

fn show_value(v: NVal) -> String {
    match v {
        NVal::Unit => "()".to_string(),
        NVal::Int(i) => i.to_string(),
        NVal::Dec(d) => d.normalize().to_string(),
        NVal::Bool(b) => b.to_string(),
        NVal::Choice(c) => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Fixed;
    use crate::rules::load_round;
    use crate::rules::ruleset::Rule;
    use crate::rules::test_support::example;

    /// The location criterion of 1400-2 (a lowered script function) and its inputs' values.
    fn location_steps(location: &str, distance: i64, step_free: bool) -> Vec<ProgramStep> {
        let (_tmp, dir) = example();
        let rs = load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
        let c = rs.criteria.iter().find(|c| c.id == "location").unwrap();
        let Rule::Program(p) = &c.rule else {
            panic!("location is a script criterion")
        };
        assert!(p.is_native(), "the example's script is lowered");
        let InputKind::Choice(choices) = &rs.inputs[p.args[0]].kind else {
            panic!("location_type is a choice")
        };
        let index = choices.iter().position(|v| v.name == location).unwrap() as u16;
        let values = [
            Value::Choice(index),
            Value::Number(Fixed::from_int(distance)),
            Value::Bool(step_free),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        p.trace(&rs.inputs, &refs)
            .expect("a lowered program is traced")
    }

    fn let_(name: &str, value: &str) -> ProgramStep {
        ProgramStep::Let {
            name: name.into(),
            value: value.into(),
        }
    }

    fn branch(condition: &str, taken: bool) -> ProgramStep {
        ProgramStep::Branch {
            condition: condition.into(),
            taken,
        }
    }

    #[test]
    fn a_lowered_script_tells_each_let_value_and_each_branch_taken_in_order() {
        assert_eq!(
            location_steps("suburban", 1500, true),
            vec![
                branch("location_type == \"city_center\"", false),
                branch("location_type == \"urban\"", false),
                branch("location_type == \"suburban\"", true),
                let_("base", "5"),
                branch("distance_to_nearest_office_m >= 2000", false),
                branch("distance_to_nearest_office_m >= 1000", true),
                let_("spread", "2"),
                branch("step_free_access", true),
                let_("access", "3"),
            ]
        );
    }

    #[test]
    fn other_values_take_other_branches_and_bind_other_values() {
        let steps = location_steps("village", 300, false);
        assert!(steps.contains(&let_("base", "7")), "{steps:?}");
        assert!(steps.contains(&let_("spread", "0")), "{steps:?}");
        assert!(steps.contains(&let_("access", "0")), "{steps:?}");
        assert!(
            steps.contains(&branch("step_free_access", false)),
            "{steps:?}"
        );
    }
}
