//! Publication: every office scored under one rule set, ranked, graded and explained, as an
//! immutable snapshot that can be rebuilt byte for byte from what it stores.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

use super::WorkflowError;
use super::calendar::Events;
use crate::domain::records::DeclarationRow;
use crate::domain::records::OfficeRow;
use crate::domain::records::{CorruptRecord, Publication, StoredResult};
use crate::domain::{DeclarationStatus, OfficeId, Stage};
use crate::domain::{Fixed, OfficeKind, RegionId};
use crate::engine::{OfficeRecord, Raw};
use crate::rules::RuleSet;
use crate::rules::value::FieldError;

/// The version of the engine that computed a publication.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One office's file as it enters a publication.
#[derive(Clone, Debug)]
pub struct FileData {
    pub office: OfficeRow,
    pub declaration: Option<DeclarationRow>,
    /// Last round's values, for carry-over inputs.
    pub previous: Map<String, Json>,
    /// Corrections of an accepted objection (final publication only).
    pub corrections: Map<String, Json>,
}

/// What is stored per office so the result can be computed again: identity, filing and values.
fn stored_inputs(f: &FileData) -> Json {
    let filed = f
        .declaration
        .as_ref()
        .is_some_and(|d| d.status == DeclarationStatus::Submitted);
    let mut values = f
        .declaration
        .clone()
        .map(DeclarationRow::all_values)
        .unwrap_or_default();
    values.extend(f.corrections.clone());
    json!({
        "kind": f.office.kind,
        "region": f.office.region.get(),
        "province": f.office.province,
        "filed": filed,
        "values": values,
        "previous": f.previous,
    })
}

fn record_from_inputs(office_id: &OfficeId, inputs: &Json) -> Result<OfficeRecord, String> {
    let kind: OfficeKind =
        serde_json::from_value(inputs["kind"].clone()).map_err(|e| e.to_string())?;
    let region =
        RegionId::new(inputs["region"].as_i64().unwrap_or(0)).map_err(|e| e.to_string())?;
    let raw = |key: &str| -> Vec<(String, Raw)> {
        inputs[key]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(OfficeRecord {
        id: office_id.clone(),
        kind,
        region,
        province: inputs["province"].as_str().unwrap_or("").to_string(),
        filed: inputs["filed"].as_bool().unwrap_or(false),
        inputs: raw("values"),
        previous: raw("previous"),
    })
}

/// The header fields every result document repeats: the stage, and the instant cut to the
/// millisecond a publication is stored with, so that its verification stamps exactly the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    stage: Stage,
    published_at: jiff::Timestamp,
}

impl Stamp {
    pub fn new(stage: Stage, at: jiff::Timestamp) -> Self {
        Stamp {
            stage,
            published_at: crate::domain::from_millis(at.as_millisecond()),
        }
    }

    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The instant as stored: milliseconds since the epoch.
    pub fn millis(&self) -> i64 {
        self.published_at.as_millisecond()
    }
}

/// The events of a round's publications (first results and final ranks) that move its calendar.
pub fn events(publications: &[Publication]) -> Events {
    let at = |stage: Stage| {
        publications
            .iter()
            .find(|p| p.stage == stage)
            .map(|p| crate::domain::from_millis(p.published_at))
    };
    Events {
        published_at: at(Stage::First),
        finalized_at: at(Stage::Final),
    }
}

/// Scores, ranks, grades and explains every office from stored inputs. Both a new publication and
/// its verification go through here, which is what makes them byte-for-byte equal.
pub fn compute(
    rs: &RuleSet,
    stamp: &Stamp,
    offices: &[(OfficeId, Json)],
) -> Result<Vec<StoredResult>, WorkflowError> {
    let mut prepared = Vec::with_capacity(offices.len());
    let mut errors = Vec::new();
    for (id, inputs) in offices {
        match record_from_inputs(id, inputs) {
            Ok(record) => match crate::engine::prepare(rs, &record) {
                Ok(o) => prepared.push(o),
                Err(e) => errors.extend(e.into_field_errors()),
            },
            Err(e) => errors.push(FieldError::new(
                id.as_str(),
                format!(
                    "پرونده دفتر {} خوانده نشد",
                    crate::domain::quoted(id.as_str())
                ),
                e,
            )),
        }
    }
    if !errors.is_empty() {
        return Err(WorkflowError::Fields(errors));
    }
    let ranking = crate::engine::rank(rs, &prepared).map_err(|errs| {
        WorkflowError::Fields(
            errs.into_iter()
                .map(|e| {
                    FieldError::new(
                        &format!("{}.{}", e.office, e.criterion),
                        score_failed_fa(&e.office, &e.criterion),
                        e.message,
                    )
                })
                .collect(),
        )
    })?;
    let scopes: Vec<&str> = rs.ranking.scopes.iter().map(|s| s.as_str()).collect();
    let mut out = Vec::with_capacity(prepared.len());
    for (i, office) in prepared.iter().enumerate() {
        let p = &ranking.placements[i];
        let explanation = crate::engine::explain::explain(rs, office, Some(p)).map_err(|e| {
            WorkflowError::Fields(vec![FieldError::new(
                &format!("{}.{}", e.office, e.criterion),
                score_failed_fa(&e.office, &e.criterion),
                e.message,
            )])
        })?;
        let total = ranking.scores.totals[i];
        let doc = ResultDocument {
            office: office.id.as_str(),
            round: rs.round.to_string(),
            stage: stamp.stage,
            rules_version: &rs.version,
            rules_hash: rs.hash(),
            engine_version: ENGINE_VERSION,
            published_at: stamp.published_at.to_string(),
            filed: office.filed,
            total,
            grade: p.grade.get(),
            service_share_percent: p.service_share,
            positions: scopes
                .iter()
                .zip(&p.positions)
                .map(|(s, v)| ((*s).to_string(), json!(v)))
                .collect(),
            to_next_grade: p.to_next_grade,
            fragile: p.fragile,
            explanation,
        };
        out.push(StoredResult {
            office_id: office.id.clone(),
            region: office.region.get(),
            kind: office.kind.to_string(),
            filed: office.filed,
            total: total.map(|t| t.to_string()),
            grade: p.grade.get(),
            service_share: p.service_share.to_string(),
            inputs: offices[i].1.clone(),
            result: serde_json::to_string(&doc).expect("results serialize"),
        });
    }
    Ok(out)
}

/// The published document of one office (field order is part of the byte-for-byte contract).
/// The canonical result document of one office, as published, hashed and served byte for byte.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResultDocument<'a> {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    office: &'a str,
    /// The round.
    #[schema(example = "1400-2")]
    round: String,
    /// First results or final ranks.
    stage: Stage,
    /// The rules' version.
    #[schema(example = "1400-2.1")]
    rules_version: &'a str,
    /// The content hash of the rules.
    #[schema(example = "e3b182c86564e600b8d3a41c5aa095d566ee6d1eca44c1511d4c3a9756b8c1be")]
    rules_hash: &'a str,
    /// The version of arzyab that computed it.
    #[schema(example = "0.1.0")]
    engine_version: &'a str,
    /// When it was published.
    #[schema(value_type = String, format = DateTime, example = "2021-05-06T05:30:00.123Z")]
    published_at: String,
    /// Whether the office filed a declaration.
    #[schema(example = true)]
    filed: bool,
    /// The rounded total; `null` for a non-filer in the lowest grade.
    total: Option<Fixed>,
    /// The office's grade (1 best).
    #[schema(example = 2)]
    grade: u8,
    /// Percent of the services available in its area it may offer.
    service_share_percent: Fixed,
    /// Ranking scope → position.
    #[schema(value_type = BTreeMap<String, u32>, example = json!({"nationwide": 5, "office_kind": 1, "region": 3}))]
    positions: Map<String, Json>,
    /// Points short of the next better grade; `null` in grade 1.
    to_next_grade: Option<Fixed>,
    /// True when the total is within the fragile margin of a cut point.
    #[schema(example = false)]
    fragile: bool,
    /// How the office scored, criterion by criterion.
    explanation: crate::engine::explain::Explanation,
}

/// The offices' files as engine records (what a simulation over stored declarations ranks).
pub fn records(files: &[FileData]) -> Result<Vec<OfficeRecord>, WorkflowError> {
    use rayon::prelude::*;
    files
        .par_iter()
        .map(|f| {
            record_from_inputs(&f.office.id, &stored_inputs(f)).map_err(|e| {
                WorkflowError::Fields(vec![FieldError::new(
                    f.office.id.as_str(),
                    format!(
                        "پرونده دفتر {} خوانده نشد",
                        crate::domain::quoted(f.office.id.as_str())
                    ),
                    e,
                )])
            })
        })
        .collect()
}

/// "The criterion could not be computed for the office", in Persian.
fn score_failed_fa(office: &str, criterion: &str) -> String {
    format!(
        "محاسبه معیار {} برای دفتر {} ناموفق بود",
        crate::domain::quoted(criterion),
        crate::domain::quoted(office)
    )
}

/// Builds a publication's results from the offices' files.
pub fn build(
    rs: &RuleSet,
    stamp: &Stamp,
    files: &[FileData],
) -> Result<Vec<StoredResult>, WorkflowError> {
    let offices: Vec<(OfficeId, Json)> = files
        .iter()
        .map(|f| (f.office.id.clone(), stored_inputs(f)))
        .collect();
    compute(rs, stamp, &offices)
}

/// SHA-256 over every result document, in office order.
pub fn snapshot_hash(results: &[StoredResult]) -> String {
    let mut h = Sha256::new();
    for r in results {
        h.update(r.office_id.as_str().as_bytes());
        h.update([0]);
        h.update(r.result.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

/// What changed between the first publication and the final one (given with their ids), office by
/// office. A stored document that is not JSON is an error, not an office without positions.
pub fn differences(
    (first_id, first): (i64, &[StoredResult]),
    (last_id, last): (i64, &[StoredResult]),
) -> Result<Vec<ResultChange>, CorruptRecord> {
    let by_id: std::collections::HashMap<&OfficeId, &StoredResult> =
        first.iter().map(|r| (&r.office_id, r)).collect();
    let mut changes = Vec::new();
    for n in last {
        let Some(o) = by_id.get(&n.office_id) else {
            continue;
        };
        let po = positions(o, first_id)?;
        let pn = positions(n, last_id)?;
        if o.total != n.total || o.grade != n.grade || po != pn {
            changes.push(ResultChange {
                office: n.office_id.to_string(),
                total: TotalChange {
                    first: stored_total(o, first_id)?,
                    last: stored_total(n, last_id)?,
                },
                grade: GradeChange {
                    first: o.grade,
                    last: n.grade,
                },
                positions: PositionsChange {
                    first: po,
                    last: pn,
                },
            });
        }
    }
    Ok(changes)
}

/// An office whose result changed between the first publication and the final one.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResultChange {
    /// The office's license number.
    #[schema(example = "P-THR-000001")]
    pub office: String,
    /// Its total, first and final.
    pub total: TotalChange,
    /// Its grade, first and final.
    pub grade: GradeChange,
    /// Its positions, first and final.
    pub positions: PositionsChange,
}

/// A total, first and final (`null` for a non-filer in the lowest grade).
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TotalChange {
    /// The first result's total.
    pub first: Option<Fixed>,
    /// The final total.
    #[serde(rename = "final")]
    pub last: Option<Fixed>,
}

/// A grade, first and final.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GradeChange {
    /// The first result's grade.
    #[schema(example = 3)]
    pub first: u8,
    /// The final grade.
    #[serde(rename = "final")]
    #[schema(example = 2)]
    pub last: u8,
}

/// Positions (ranking scope → position), first and final.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PositionsChange {
    /// The first result's positions.
    #[schema(example = json!({"nationwide": 12, "office_kind": 4, "region": 2}))]
    pub first: BTreeMap<String, u32>,
    /// The final positions.
    #[serde(rename = "final")]
    #[schema(example = json!({"nationwide": 5, "office_kind": 1, "region": 1}))]
    pub last: BTreeMap<String, u32>,
}

/// The positions of a stored result document.
pub fn positions(
    r: &StoredResult,
    publication: i64,
) -> Result<BTreeMap<String, u32>, CorruptRecord> {
    serde_json::from_value(r.document(publication)?["positions"].take()).map_err(|e| {
        r.corrupt(
            publication,
            format!("positions are not scope → position ({e})"),
        )
    })
}

/// The stored total of a result, as the exact decimal it was written from.
pub fn stored_total(r: &StoredResult, publication: i64) -> Result<Option<Fixed>, CorruptRecord> {
    r.total
        .as_deref()
        .map(|t| {
            t.parse()
                .map_err(|e| r.corrupt(publication, format!("total `{t}`: {e}")))
        })
        .transpose()
}

/// The stored service share of a result, as the exact decimal it was written from.
pub fn stored_service_share(r: &StoredResult, publication: i64) -> Result<Fixed, CorruptRecord> {
    r.service_share.parse().map_err(|e| {
        r.corrupt(
            publication,
            format!("service_share `{}`: {e}", r.service_share),
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jiff::SignedDuration;

    use super::*;
    use crate::domain::{NationalCode, OfficeId};

    fn office() -> OfficeRow {
        OfficeRow {
            id: OfficeId::parse("P-0001").unwrap(),
            kind: OfficeKind::Pishkhan,
            region: RegionId::new(1).unwrap(),
            province: "THR".into(),
            name: "دفتر ۱".into(),
            holder_national_code: NationalCode::parse("0076229645").unwrap(),
        }
    }

    fn declaration(office_values: Json, region_values: Json) -> DeclarationRow {
        DeclarationRow {
            round: crate::domain::RoundId::parse("1400-2").unwrap(),
            office_id: crate::domain::OfficeId::parse("P-0001").unwrap(),
            status: DeclarationStatus::Submitted,
            office_values: office_values.as_object().unwrap().clone(),
            region_values: region_values.as_object().unwrap().clone(),
            carried_over: Vec::new(),
            version: 1,
            updated_at: 0,
            submitted_at: Some(0),
        }
    }

    #[test]
    fn a_stamp_finer_than_a_millisecond_stamps_what_the_publication_stores() {
        let rs =
            crate::rules::load_round(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"))
                .unwrap();
        let at = crate::clock::parse_instant("1400/02/16 10:00").unwrap()
            + SignedDuration::from_nanos(123_456_789);
        let published = Stamp::new(Stage::First, at);
        assert_eq!(published.millis(), at.as_millisecond());
        let verified = Stamp::new(Stage::First, crate::domain::from_millis(published.millis()));
        assert_eq!(published, verified);
        let file = FileData {
            office: office(),
            declaration: Some(declaration(
                json!({"area_m2": 40, "staff_count": 3, "location_type": "urban", "years_active": 4}),
                json!({"association_score": 70}),
            )),
            previous: Map::new(),
            corrections: Map::new(),
        };
        let first = build(&rs, &published, std::slice::from_ref(&file)).unwrap();
        let again = build(&rs, &verified, &[file]).unwrap();
        assert_eq!(first, again);
        let doc: Json = serde_json::from_str(&first[0].result).unwrap();
        assert_eq!(doc["published_at"], "2021-05-06T05:30:00.123Z");
    }

    #[test]
    fn where_office_and_region_hold_the_same_input_the_regions_value_counts_in_a_publication_and_as_last_rounds()
     {
        let both = declaration(
            json!({"association_score": 10, "area_m2": 40}),
            json!({"association_score": 90, "satisfaction_percent": 80}),
        );
        let file = FileData {
            office: office(),
            declaration: Some(both.clone()),
            previous: both.clone().all_values(),
            corrections: Map::new(),
        };
        let inputs = stored_inputs(&file);
        let want = json!({"association_score": 90, "area_m2": 40, "satisfaction_percent": 80});
        assert_eq!(inputs["values"], want, "this round's file");
        assert_eq!(
            inputs["previous"], want,
            "the same file as last round's values"
        );

        // An accepted objection's correction overrides both.
        let corrected = FileData {
            corrections: json!({"association_score": 55})
                .as_object()
                .unwrap()
                .clone(),
            ..file
        };
        assert_eq!(stored_inputs(&corrected)["values"]["association_score"], 55);
    }
}
