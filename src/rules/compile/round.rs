//! The round's own section: its id (which must match the directory), version label, office kinds
//! and legal references.

use std::collections::HashSet;
use std::path::Path;

use super::{Ctx, Hint, In};
use crate::domain::{OfficeKind, RoundId, quoted};
use crate::rules::model::RoundSpec;
use crate::rules::yaml::{Item, Located};

/// The round section as far as it compiled.
pub(super) struct Round {
    /// The section, if it could be read.
    pub spec: Option<In<RoundSpec>>,
    /// The round id, if it is valid.
    pub id: Option<RoundId>,
    /// The office kinds the round covers (all of them when not given).
    pub office_kinds: Vec<OfficeKind>,
}

/// Checks the round section of the files in `dir`.
pub(super) fn compile(
    cx: &mut Ctx,
    dir: &Path,
    round: Option<In<Located<Item<RoundSpec>>>>,
) -> Round {
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
                        format!(
                            "دورهٔ {} در پوشهٔ {} است",
                            quoted(id),
                            quoted(dir_name)
                        ),
                    )
                    .hint(
                        "the directory name and `round.id` must be the same round",
                        format!(
                            "نام پوشه و {} باید یک دوره باشند",
                            quoted("round.id")
                        ),
                    );
                }
                Some(id)
            }
            Err(e) => {
                cx.error(
                    &r.file,
                    &r.value.id,
                    e.to_string(),
                    format!(
                        "{} شناسهٔ دوره نیست: آن را به شکل سال-نوبت بنویسید، مانند «1400-2» (نوبت ۱ یا ۲)",
                        quoted(&e.0)
                    ),
                );
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
                    format!("مرجع قانونی {} دو بار آمده است", quoted(&l.id.value)),
                );
            }
        }
        if r.value.version.trim().is_empty() {
            cx.error(
                &r.file,
                &r.value.version,
                "the version label is empty",
                "نام نسخه خالی است",
            )
            .hint(
                "give each edit a label, e.g. \"1400-2.3\"",
                "به هر ویرایش نامی بدهید، مانند «1400-2.3»",
            );
        }
    }
    Round {
        spec: round_spec,
        id: round_id,
        office_kinds,
    }
}
