//! Synthetic offices for demos, tests and benchmarks: 31 provinces in nine regions, the three office
//! kinds, and values shaped so that grades come out like the published distributions (most offices
//! in grade 1 or 2, a few in grade 3, some that never filed). Deterministic for a given seed.

use serde::Deserialize;

use crate::domain::{Fixed, JalaliDate, OfficeId, OfficeKind, RegionId};
use crate::engine::{OfficeRecord, Raw};
use crate::rules::RuleSet;
use crate::rules::ruleset::InputKind;

/// The province→region map shipped in `rules/regions.yaml` (illustrative, editable).
pub const DEFAULT_REGIONS: &str = include_str!("../../rules/regions.yaml");

/// A province and its region.
#[derive(Clone, Debug, Deserialize)]
pub struct Province {
    pub code: String,
    pub region: u8,
    pub fa: String,
    pub en: String,
    pub population_thousands: u32,
}

#[derive(Deserialize)]
struct RegionsFile {
    provinces: Vec<Province>,
}

/// Reads a regions file (the format of `rules/regions.yaml`).
pub fn parse_regions(text: &str) -> Result<Vec<Province>, String> {
    let file: RegionsFile = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    for p in &file.provinces {
        RegionId::new(p.region as i64).map_err(|e| format!("province {}: {e}", p.code))?;
    }
    if file.provinces.is_empty() {
        return Err("the regions file lists no provinces".into());
    }
    Ok(file.provinces)
}

/// Settings for a synthetic population.
#[derive(Clone, Debug)]
pub struct DemoSettings {
    pub offices: usize,
    pub seed: u64,
    /// Share of offices that never filed, in percent.
    pub non_filers_percent: u32,
}

/// Generates offices with a value for every input the rule set declares.
pub fn generate(
    rs: &RuleSet,
    provinces: &[Province],
    settings: &DemoSettings,
) -> Vec<OfficeRecord> {
    let mut rng = fastrand::Rng::with_seed(settings.seed);
    let weights: Vec<u64> = provinces
        .iter()
        .map(|p| p.population_thousands as u64)
        .collect();
    let total_weight: u64 = weights.iter().sum();
    let round_start = rs.calendar.self_declaration.first_day;
    (0..settings.offices)
        .map(|n| {
            let mut pick = rng.u64(0..total_weight.max(1));
            let province = provinces
                .iter()
                .zip(&weights)
                .find(|(_, w)| {
                    if pick < **w {
                        true
                    } else {
                        pick -= **w;
                        false
                    }
                })
                .map(|(p, _)| p)
                .unwrap_or(&provinces[0]);
            // Roughly: 62% government-service counters, 8% non-governmental, 30% rural ICT offices.
            let kind = match rng.u32(0..100) {
                0..62 => OfficeKind::Pishkhan,
                62..70 => OfficeKind::NonGovernmental,
                _ => OfficeKind::RuralIct,
            };
            // A latent quality drives every value, so good offices are good on most criteria.
            let quality = (rng.f64() + rng.f64() + rng.f64()) / 3.0;
            let filed = rng.u32(0..100) >= settings.non_filers_percent;
            let prefix = match kind {
                OfficeKind::Pishkhan => "P",
                OfficeKind::NonGovernmental => "N",
                OfficeKind::RuralIct => "R",
            };
            let id = OfficeId::parse(&format!("{prefix}-{}-{:06}", province.code, n + 1))
                .expect("valid id");
            let mut inputs = Vec::new();
            let mut previous = Vec::new();
            for def in &rs.inputs {
                let v = value_for(&mut rng, def, quality, kind, round_start);
                if filed {
                    inputs.push((def.name.clone(), v.clone()));
                }
                if !matches!(def.kind, InputKind::Violations) {
                    previous.push((def.name.clone(), v));
                }
            }
            OfficeRecord {
                id,
                kind,
                region: RegionId::new(province.region as i64).expect("checked when parsed"),
                province: province.code.clone(),
                filed,
                inputs,
                previous,
            }
        })
        .collect()
}

fn num(x: f64) -> Raw {
    Raw::Json(serde_json::json!(x))
}

fn int(x: i64) -> Raw {
    Raw::Json(serde_json::json!(x))
}

/// A demo value of one input for an office at quantile `q` of its kind.
// Long on purpose: one arm per input of the example rounds, each shaped after its distribution.
fn value_for(
    rng: &mut fastrand::Rng,
    def: &crate::rules::ruleset::InputDef,
    q: f64,
    office_kind: OfficeKind,
    round_start: JalaliDate,
) -> Raw {
    let (name, kind, range, kinds) = (
        def.name.as_str(),
        &def.kind,
        def.range,
        &def.violation_kinds,
    );
    let noise = |rng: &mut fastrand::Rng, spread: f64| (rng.f64() - 0.5) * spread;
    let rural = office_kind == OfficeKind::RuralIct;
    match (name, kind) {
        ("area_m2", _) => {
            let base = if rural { 25.0 } else { 45.0 };
            num(((base + q * 80.0 + noise(rng, 30.0)).max(8.0) * 10.0).round() / 10.0)
        }
        ("staff_count", _) => int(
            ((if rural { 1.0 } else { 2.5 }) + q * 6.0 + noise(rng, 3.0))
                .round()
                .max(1.0) as i64,
        ),
        ("insured_staff", _) => int((q * 5.0 + noise(rng, 2.0)).round().max(0.0) as i64),
        ("disabled_staff", _) => int(if rng.u32(0..100) < 15 {
            rng.i64(1..3)
        } else {
            0
        }),
        ("distance_to_nearest_office_m", _) => int(if rural {
            rng.i64(800..8000)
        } else {
            rng.i64(100..2500)
        }),
        ("years_active", _) => int(rng.i64(0..(3 + (q * 15.0) as i64))),
        ("satisfaction_percent", _) => {
            num(((55.0 + q * 45.0 + noise(rng, 15.0)).clamp(20.0, 100.0) * 10.0).round() / 10.0)
        }
        ("association_score", _) => num((30.0 + q * 70.0 + noise(rng, 20.0))
            .clamp(0.0, 100.0)
            .round()),
        ("data_completeness_percent", _) => num((55.0 + q * 50.0 + noise(rng, 20.0))
            .clamp(0.0, 100.0)
            .round()),
        ("location_type", InputKind::Choice(values)) if values.len() >= 4 => {
            let i = if rural {
                values.len() - 1
            } else {
                rng.usize(0..values.len() - 1)
            };
            Raw::Json(values[i].name.clone().into())
        }
        (_, InputKind::Violations) => {
            // Most offices have none; low-quality ones are likelier to have some.
            let mut list = Vec::new();
            let odds = ((1.0 - q) * 30.0) as u32;
            for kind in kinds {
                // Forgery is rarer than the other violations.
                let chance = if kind.contains("forg") {
                    odds / 6
                } else {
                    odds / 2
                };
                while rng.u32(0..100) < chance && list.len() < 4 {
                    let date = round_start.add_days(-rng.i64(1..170));
                    list.push(serde_json::json!({"kind": kind, "date": date.to_string()}));
                    if rng.bool() {
                        break;
                    }
                }
            }
            Raw::Json(serde_json::Value::Array(list))
        }
        (_, InputKind::Boolean) => Raw::Json((rng.f64() < 0.35 + q * 0.6).into()),
        (_, InputKind::Choice(values)) => Raw::Json(
            values[rng.usize(0..values.len().max(1))]
                .name
                .clone()
                .into(),
        ),
        (_, InputKind::Date) => {
            Raw::Json(round_start.add_days(-rng.i64(0..365)).to_string().into())
        }
        (_, InputKind::Integer) => {
            let lo = range.and_then(|r| r.min()?.to_int()).unwrap_or(0);
            let hi = range
                .and_then(|r| r.max()?.to_int())
                .unwrap_or(lo + 20)
                .min(lo + 40);
            int(lo + ((hi - lo) as f64 * (q * 0.8 + rng.f64() * 0.2)).round() as i64)
        }
        (_, InputKind::Decimal) => {
            let as_f64 = |f: Fixed| f.raw() as f64 / 10_000.0;
            let lo = range.and_then(|r| r.min()).map_or(0.0, as_f64);
            let hi = range
                .and_then(|r| r.max())
                .map_or(lo + 100.0, as_f64)
                .min(lo + 200.0);
            num(((lo + (hi - lo) * (q * 0.8 + rng.f64() * 0.2)) * 10.0).round() / 10.0)
        }
    }
}
