//! Ranking: the scopes ranks are given in and the tie-break chain.

use std::path::Path;

use crate::domain::{Fixed, Label, quoted};
use crate::rules::diagnostic::suggest;
use crate::rules::model::*;
use crate::rules::ruleset::*;

use super::declared::Names;
use super::{Ctx, Hint, num};

/// `criteria` and `inputs` are the loaded names (whose indexes the chain uses) and every declared one.
pub(super) fn compile_ranking(
    cx: &mut Ctx,
    file: &Path,
    r: &RankingSpec,
    (criteria, declared_criteria): (&[&str], &Names),
    (inputs, declared_inputs): (&[&str], &Names),
) -> Option<Ranking> {
    if r.scopes.value.is_empty() {
        cx.error(
            file,
            &r.scopes,
            "list at least one scope",
            "دست‌کم یک دامنهٔ رتبه‌بندی بنویسید",
        )
        .hint("e.g. [nationwide, region]", "مانند «[nationwide, region]»");
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
                        cx.error(
                            file,
                            item,
                            format!("`{id}` is not a criterion"),
                            format!("{} معیار این دوره نیست", quoted(id)),
                        )
                        .hint_label(suggest(id, criteria));
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
                        cx.error(
                            file,
                            item,
                            format!("`{name}` is not a declared input"),
                            format!("{} در ورودی‌های دوره تعریف نشده است", quoted(name)),
                        )
                        .hint_label(tie_break_hint(name, inputs));
                    }
                    None
                }
            },
            _ => {
                let hint = match words {
                    [name] | ["criterion", name] if names_the_office_id(name) => office_id_hint(),
                    _ => Label::new(
                        "بنویسید «total»، «criterion <id>»، «input <name>» یا «office_id»، و در صورت نیاز پس از آن «ascending» یا «descending»",
                        "write `total`, `criterion <id>`, `input <name>` or `office_id`, optionally followed by ascending/descending",
                    ),
                };
                cx.error(
                    file,
                    item,
                    format!("`{}` is not a tie-break", item.value),
                    format!("{} گامی درست برای شکستن تساوی نیست", quoted(&item.value)),
                )
                .hint_label(hint);
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
            format!(
                "totals keep at most {} decimals, not {}",
                Fixed::DECIMALS,
                r.rounding.decimals.value
            ),
            format!(
                "جمع امتیاز حداکثر {} رقم اعشار دارد، نه {}",
                num(Fixed::DECIMALS),
                num(r.rounding.decimals.value)
            ),
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

/// The hint for a tie-break that names the office's id by another name.
fn office_id_hint() -> Label {
    Label::new(
        "شناسهٔ دفتر (شمارهٔ پروانهٔ آن) در شکستن تساوی «office_id» نام دارد؛ «office_id» بنویسید",
        "the office's id (its license number) is the tie-break `office_id`; write `office_id`",
    )
}

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
fn tie_break_hint(name: &str, inputs: &[&str]) -> Label {
    match crate::rules::diagnostic::did_you_mean(name, inputs.iter().copied()) {
        None if names_the_office_id(name) => office_id_hint(),
        _ => suggest(name, inputs),
    }
}
