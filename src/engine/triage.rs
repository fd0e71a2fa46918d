//! Review triage: which of a round's `review:` flags a file raises, each explained in words with
//! its numbers, and the file's risk (the sum of the raised flags' weights). Pure: the caller gives
//! the file, its previous round's values and its peers' statistics (computed once per region and
//! office kind with [`peer_stats`]).

use std::collections::HashMap;

use serde::Serialize;

use super::office::{Office, OfficeRecord, Raw, is_blank};
use super::rank::near_cut;
use super::score::score;
use crate::domain::digits::{to_persian_digits, to_persian_number};
use crate::domain::{Fixed, Label, OfficeKind, RegionId};
use crate::rules::RuleSet;
use crate::rules::review::{Check, Flag};
use crate::rules::ruleset::{GradeMethod, InputDef};
use crate::rules::value::{self, Value};

/// When the MAD is 0, the scale is this times the mean absolute deviation (1.2533 ≈ √(π/2), which
/// makes the two agree for normally spread values: the modified z-score's fallback).
pub const MEAN_AD_FACTOR: Fixed = Fixed::from_raw(12_533);

/// The fewest peers (offices of the same region and kind with a value) an `outlier` flag compares
/// against: with fewer, a median says little and no file is flagged.
pub const MIN_PEERS: usize = 5;

/// The middle of the peers' values and how far they typically lie from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub median: Fixed,
    /// The median absolute deviation from `median`.
    pub mad: Fixed,
    /// The mean absolute deviation from `median`: the scale when `mad` is 0 (most peers agree).
    pub mean_ad: Fixed,
    /// How many peers gave a value.
    pub count: usize,
}

/// Peer statistics of one region and office kind: per input slot, the spread of its values
/// (`None` for inputs no `outlier` flag reads, or with fewer than [`MIN_PEERS`] values).
pub type Peers = Vec<Option<Spread>>;

/// Peer statistics for every region and office kind of a population.
#[derive(Clone, Debug, Default)]
pub struct PeerTable(HashMap<(RegionId, OfficeKind), Peers>);

impl PeerTable {
    /// The statistics of one region and kind (empty when it has no offices).
    pub fn of(&self, region: RegionId, kind: OfficeKind) -> &[Option<Spread>] {
        self.0.get(&(region, kind)).map_or(&[], Vec::as_slice)
    }
}

/// The spread of each input an `outlier` flag reads, over the filed offices of each region and
/// kind: computed once for a population, then read for each of its files.
pub fn peer_stats(rs: &RuleSet, offices: &[Office]) -> PeerTable {
    let inputs: Vec<usize> = rs
        .review
        .flags
        .iter()
        .filter_map(|f| match f.check {
            Check::Outlier { input, .. } => Some(input),
            _ => None,
        })
        .collect();
    let mut groups: HashMap<(RegionId, OfficeKind), Vec<&Office>> = HashMap::new();
    if inputs.is_empty() {
        return PeerTable::default();
    }
    for o in offices.iter().filter(|o| o.filed) {
        groups.entry((o.region, o.kind)).or_default().push(o);
    }
    let table = groups
        .into_iter()
        .map(|(key, members)| {
            let mut peers: Peers = vec![None; rs.inputs.len()];
            for &slot in &inputs {
                let values: Vec<Fixed> = members
                    .iter()
                    .filter_map(|o| number(o.values[slot].as_ref()))
                    .collect();
                peers[slot] = spread(values);
            }
            (key, peers)
        })
        .collect();
    PeerTable(table)
}

/// The median and MAD of `values`; `None` with fewer than [`MIN_PEERS`].
pub fn spread(mut values: Vec<Fixed>) -> Option<Spread> {
    if values.len() < MIN_PEERS {
        return None;
    }
    let median = median(&mut values);
    let mut deviations: Vec<Fixed> = values
        .iter()
        .map(|v| v.saturating_sub(median).abs())
        .collect();
    let sum: i128 = deviations.iter().map(|d| d.raw() as i128).sum();
    let mean_ad = Fixed::from_raw((sum / deviations.len() as i128) as i64);
    Some(Spread {
        median,
        mad: self::median(&mut deviations),
        mean_ad,
        count: values.len(),
    })
}

/// The middle value (the mean of the two middle ones for an even count); `values` is non-empty.
fn median(values: &mut [Fixed]) -> Fixed {
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        let sum = values[n / 2 - 1].raw() as i128 + values[n / 2].raw() as i128;
        Fixed::from_raw((sum / 2) as i64)
    }
}

/// A flag raised on a file, with why in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RaisedFlag {
    pub id: String,
    /// `jump`, `near_boundary`, `outlier`, `missing` or `formula`.
    pub kind: &'static str,
    pub label: Label,
    pub weight: Fixed,
    /// The reason with its numbers, e.g. "area grew from 55 to 120 m², +118 % since 1400-1".
    pub why: Label,
}

/// A file's raised flags, in the order the round declares them, and its risk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Triage {
    pub flags: Vec<RaisedFlag>,
    /// The sum of the raised flags' weights; 0 when none is raised.
    pub risk: Fixed,
}

/// The flags `rs` raises on one file and its risk. `record` is the file as the office gave it
/// (its `previous` values are last round's), `office` the same file prepared, `peers` the
/// statistics of its region and kind. A file that did not file its declaration raises nothing:
/// there is nothing to review.
pub fn assess(
    rs: &RuleSet,
    record: &OfficeRecord,
    office: &Office,
    peers: &[Option<Spread>],
) -> Triage {
    if rs.review.flags.is_empty() || !office.filed {
        return Triage::default();
    }
    let mut total = None;
    let mut flags = Vec::new();
    for flag in &rs.review.flags {
        let why = match &flag.check {
            Check::Jump {
                input,
                percent,
                amount,
            } => jump(rs, record, office, *input, *percent, *amount),
            Check::NearBoundary { margin } => {
                let t = *total.get_or_insert_with(|| score(rs, office, None).ok().map(|s| s.total));
                t.and_then(|t| near_boundary(rs, t, *margin))
            }
            Check::Outlier { input, k } => outlier(rs, office, *input, *k, peers),
            Check::Missing { input } => missing(rs, record, *input),
            Check::Formula(program) => condition(rs, office, flag, program),
        };
        if let Some(why) = why {
            flags.push(RaisedFlag {
                id: flag.id.clone(),
                kind: flag.check.kind_name(),
                label: flag.label.clone(),
                weight: flag.weight,
                why,
            });
        }
    }
    let risk = flags
        .iter()
        .fold(Fixed::ZERO, |r, f| r.saturating_add(f.weight));
    Triage { flags, risk }
}

/// Every file of a population assessed: its peers' statistics computed once per region and kind,
/// then each file's flags (`None` for a file that cannot be prepared: it is refused elsewhere).
pub fn assess_all(rs: &RuleSet, records: &[OfficeRecord]) -> Vec<Option<Triage>> {
    use rayon::prelude::*;
    let prepared: Vec<Option<Office>> = records
        .par_iter()
        .map(|r| super::office::prepare(rs, r).ok())
        .collect();
    let valid: Vec<Office> = prepared.iter().flatten().cloned().collect();
    let peers = peer_stats(rs, &valid);
    records
        .par_iter()
        .zip(&prepared)
        .map(|(r, o)| {
            o.as_ref()
                .map(|o| assess(rs, r, o, peers.of(o.region, o.kind)))
        })
        .collect()
}

/// How well one flag predicted a correction: of the files it was raised on and of the others,
/// how many the review changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlagOutcome {
    pub id: String,
    pub kind: &'static str,
    pub label: Label,
    pub weight: Fixed,
    pub flagged: usize,
    pub flagged_changed: usize,
    pub unflagged: usize,
    pub unflagged_changed: usize,
}

/// Per flag of `rs`, the after-round counts: `assessed[i]` is file i's triage as submitted
/// (`None`: a file that could not be prepared, counted as unflagged), `changed[i]` whether the
/// review changed it.
pub fn outcomes(rs: &RuleSet, assessed: &[Option<Triage>], changed: &[bool]) -> Vec<FlagOutcome> {
    rs.review
        .flags
        .iter()
        .map(|f| {
            let mut out = FlagOutcome {
                id: f.id.clone(),
                kind: f.check.kind_name(),
                label: f.label.clone(),
                weight: f.weight,
                flagged: 0,
                flagged_changed: 0,
                unflagged: 0,
                unflagged_changed: 0,
            };
            for (t, c) in assessed.iter().zip(changed) {
                let raised = t
                    .as_ref()
                    .is_some_and(|t| t.flags.iter().any(|r| r.id == f.id));
                if raised {
                    out.flagged += 1;
                    out.flagged_changed += *c as usize;
                } else {
                    out.unflagged += 1;
                    out.unflagged_changed += *c as usize;
                }
            }
            out
        })
        .collect()
}

fn number(v: Option<&Value>) -> Option<Fixed> {
    match v {
        Some(Value::Number(n)) => Some(*n),
        _ => None,
    }
}

/// `|a| × SCALE > |b| × |c|` in raw units: `a > b × c` for Fixed values, exactly.
fn exceeds(a: Fixed, b: Fixed, c: Fixed) -> bool {
    (a.raw() as i128).abs() * Fixed::SCALE as i128 > (b.raw() as i128 * c.raw() as i128).abs()
}

/// The value as an input's number with its unit, e.g. `120 m²` / `۱۲۰ متر مربع`.
fn with_unit(def: &InputDef, n: Fixed) -> Label {
    match &def.unit {
        Some(u) => Label::new(
            format!("{} {}", to_persian_number(&n.to_string()), u.fa),
            format!("{n} {}", u.en),
        ),
        None => Label::new(to_persian_number(&n.to_string()), n.to_string()),
    }
}

/// A value of the previous round, read as the input's number.
fn previous_number(def: &InputDef, record: &OfficeRecord) -> Option<Fixed> {
    let (_, raw) = record.previous.iter().find(|(k, _)| *k == def.name)?;
    if is_blank(raw) {
        return None;
    }
    let v = match raw {
        Raw::Json(j) => value::from_json(def, j).ok()?,
        Raw::Text(t) => value::from_text(def, t).ok()?,
    };
    number(Some(&v))
}

fn jump(
    rs: &RuleSet,
    record: &OfficeRecord,
    office: &Office,
    input: usize,
    percent: Option<Fixed>,
    amount: Option<Fixed>,
) -> Option<Label> {
    let def = &rs.inputs[input];
    // A carried-over value is last round's: it cannot have jumped.
    if office.carried_over[input] {
        return None;
    }
    let now = number(office.values[input].as_ref())?;
    let before = previous_number(def, record)?;
    let change = now.saturating_sub(before);
    let by_amount = amount.is_some_and(|a| exceeds(change, a, Fixed::ONE));
    // From zero, a change has no percent: only `amount` can raise the flag.
    let by_percent = before != Fixed::ZERO
        && percent.is_some_and(|p| exceeds(change.mul(Fixed::from_int(100)), p, before.abs()));
    if !(by_amount || by_percent) {
        return None;
    }
    let previous = rs.round.previous().to_string();
    let (a, b) = (with_unit(def, before), with_unit(def, now));
    let up = change > Fixed::ZERO;
    let pct = (before != Fixed::ZERO).then(|| {
        let p = change.to_decimal() * rust_decimal::Decimal::from(100) / before.abs().to_decimal();
        p.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .abs()
    });
    let (fa_dir, en_dir) = if up {
        ("بیشتر", "grew")
    } else {
        ("کمتر", "fell")
    };
    // "از ۵۵ به ۱۲۰ متر مربع رسید": the unit once, after the new value.
    let fa_size = match pct {
        Some(p) => format!("{}٪", to_persian_number(&p.to_string())),
        None => to_persian_number(&change.abs().to_string()),
    };
    let fa = format!(
        "{} از {} به {} رسید، {fa_size} {fa_dir} از دوره {}",
        def.label.fa,
        to_persian_number(&before.to_string()),
        b.fa,
        to_persian_digits(&previous)
    );
    let sign = if up { "+" } else { "−" };
    let en = match pct {
        Some(p) => format!(
            "{} {en_dir} from {before} to {}, {sign}{p} % since {previous}",
            def.label.en, b.en
        ),
        None => format!(
            "{} {en_dir} from {} to {}, {sign}{} since {previous}",
            def.label.en,
            a.en,
            b.en,
            change.abs()
        ),
    };
    Some(Label::new(fa, en))
}

fn near_boundary(rs: &RuleSet, total: Fixed, margin: Fixed) -> Option<Label> {
    let GradeMethod::CutPoints { grade_1, grade_2 } = rs.grading.method else {
        return None;
    };
    let (i, cut) = near_cut(total, [grade_1, grade_2], margin)?;
    let grade = i + 1;
    let gap = total.saturating_sub(cut).abs();
    let n = |x: Fixed| to_persian_number(&x.to_string());
    Some(Label::new(
        format!(
            "جمع امتیاز {} است، {} امتیاز با مرز رتبه {} ({}) فاصله دارد (کمتر از {})",
            n(total),
            n(gap),
            to_persian_digits(&grade.to_string()),
            n(cut),
            n(margin)
        ),
        format!(
            "total {total} is {gap} points from the grade {grade} cut point ({cut}), within {margin}"
        ),
    ))
}

fn outlier(
    rs: &RuleSet,
    office: &Office,
    input: usize,
    k: Fixed,
    peers: &[Option<Spread>],
) -> Option<Label> {
    let def = &rs.inputs[input];
    let x = number(office.values[input].as_ref())?;
    let s = peers.get(input).copied().flatten()?;
    let gap = x.saturating_sub(s.median);
    // MAD 0: most peers agree; the mean deviation measures the rest. Both 0: every peer agrees,
    // so any other value is far from them.
    let scale = if s.mad > Fixed::ZERO {
        s.mad
    } else {
        s.mean_ad.mul(MEAN_AD_FACTOR)
    };
    if !exceeds(gap, k, scale) {
        return None;
    }
    let n = |x: Fixed| to_persian_number(&x.to_string());
    let v = with_unit(def, x);
    let count = s.count.to_string();
    if scale == Fixed::ZERO {
        return Some(Label::new(
            format!(
                "{} {} است؛ هر {} دفتر همتا (همان منطقه و نوع) {} دارند",
                def.label.fa,
                v.fa,
                to_persian_digits(&count),
                n(s.median)
            ),
            format!(
                "{} is {}; all {count} peers (same region and kind) have {}",
                def.label.en, v.en, s.median
            ),
        ));
    }
    let (spread_fa, spread_en) = if s.mad > Fixed::ZERO {
        (
            format!("انحراف میانه {}", n(s.mad)),
            format!("a MAD of {}", s.mad),
        )
    } else {
        (
            format!("انحراف میانه صفر و میانگین انحراف {}", n(s.mean_ad)),
            format!("a MAD of 0 and a mean deviation of {}", s.mean_ad),
        )
    };
    let times = (gap.abs().to_decimal() / scale.to_decimal())
        .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    Some(Label::new(
        format!(
            "{} {} است؛ میانه {} دفتر همتا (همان منطقه و نوع) {} و {spread_fa}؛ {} برابر انحراف، بیش از {}",
            def.label.fa,
            v.fa,
            to_persian_digits(&count),
            n(s.median),
            to_persian_number(&times.to_string()),
            n(k)
        ),
        format!(
            "{} is {}; the {count} peers (same region and kind) have a median of {} and {spread_en}: {times} deviations away, more than {k}",
            def.label.en, v.en, s.median
        ),
    ))
}

fn missing(rs: &RuleSet, record: &OfficeRecord, input: usize) -> Option<Label> {
    let def = &rs.inputs[input];
    let given = record
        .inputs
        .iter()
        .any(|(k, raw)| *k == def.name && !is_blank(raw));
    (!given).then(|| {
        Label::new(
            format!("{} را دفتر خالی گذاشته است", def.label.fa),
            format!("{} was left empty by the office", def.label.en),
        )
    })
}

fn condition(
    rs: &RuleSet,
    office: &Office,
    flag: &Flag,
    program: &crate::rules::script::Program,
) -> Option<Label> {
    let values: Option<Vec<&Value>> = program
        .args
        .iter()
        .map(|slot| office.values[*slot].as_ref())
        .collect();
    let values = values?;
    let out = program.run(&rs.scripts, &rs.inputs, &values).ok()?;
    if out == Fixed::ZERO {
        return None;
    }
    let shown: Vec<(Label, &InputDef)> = program
        .args
        .iter()
        .zip(&values)
        .map(|(slot, v)| {
            let def = &rs.inputs[*slot];
            let text = match v {
                Value::Number(n) => with_unit(def, *n),
                other => Label::new(
                    to_persian_digits(&value::to_json(def, other).to_string()),
                    value::to_json(def, other).to_string(),
                ),
            };
            (text, def)
        })
        .collect();
    let fa: Vec<String> = shown
        .iter()
        .map(|(t, d)| format!("{} {}", d.label.fa, t.fa))
        .collect();
    let en: Vec<String> = shown
        .iter()
        .map(|(t, d)| format!("{} {}", d.label.en, t.en))
        .collect();
    Some(Label::new(
        format!("{}: {}", flag.label.fa, fa.join("، ")),
        format!("{}: {}", flag.label.en, en.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use serde_json::json;

    use super::*;
    use crate::domain::OfficeId;
    use crate::engine::prepare;

    fn round() -> &'static RuleSet {
        static RS: OnceLock<RuleSet> = OnceLock::new();
        RS.get_or_init(|| {
            crate::rules::load_round(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/1400-2"))
                .unwrap_or_else(|d| panic!("{d}"))
        })
    }

    fn record(
        id: &str,
        region: i64,
        inputs: serde_json::Value,
        previous: serde_json::Value,
    ) -> OfficeRecord {
        let raw = |v: serde_json::Value| {
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), Raw::Json(v.clone())))
                .collect()
        };
        OfficeRecord {
            id: OfficeId::parse(id).unwrap(),
            kind: OfficeKind::Pishkhan,
            region: RegionId::new(region).unwrap(),
            province: String::new(),
            filed: true,
            inputs: raw(inputs),
            previous: raw(previous),
        }
    }

    fn basic(area: f64, staff: i64) -> serde_json::Value {
        json!({"area_m2": area, "staff_count": staff, "location_type": "urban", "years_active": 5})
    }

    #[test]
    fn a_jump_is_explained_with_both_values_the_percent_and_the_previous_round() {
        let rs = round();
        let r = record("T-1", 1, basic(120.0, 3), json!({"area_m2": 55}));
        let t = assess(rs, &r, &prepare(rs, &r).unwrap(), &[]);
        assert_eq!(t.flags.len(), 1, "{t:?}");
        assert_eq!(
            t.flags[0].why.en,
            "Usable office area grew from 55 to 120 m², +118 % since 1400-1"
        );
        assert_eq!(
            t.flags[0].why.fa,
            "مساحت مفید دفتر از ۵۵ به ۱۲۰ متر مربع رسید، ۱۱۸٪ بیشتر از دوره ۱۴۰۰-۱"
        );
        assert_eq!(t.risk, Fixed::from_int(3));
    }

    #[test]
    fn a_jump_from_zero_is_explained_by_its_amount() {
        let rs = round();
        let r = record("T-1", 1, basic(45.0, 3), json!({"area_m2": 0}));
        let t = assess(rs, &r, &prepare(rs, &r).unwrap(), &[]);
        assert_eq!(
            t.flags[0].why.en,
            "Usable office area grew from 0 m² to 45 m², +45 since 1400-1"
        );
        assert!(
            !t.flags[0].why.fa.chars().any(|c| c.is_ascii_digit()),
            "{}",
            t.flags[0].why.fa
        );
    }

    #[test]
    fn median_and_mad_of_an_even_and_an_odd_count() {
        let f = |v: &[i64]| v.iter().map(|n| Fixed::from_int(*n)).collect::<Vec<_>>();
        let s = spread(f(&[1, 2, 3, 4, 100])).unwrap();
        assert_eq!(
            (s.median, s.mad, s.count),
            (Fixed::from_int(3), Fixed::ONE, 5)
        );
        let s = spread(f(&[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(s.median, "3.5".parse().unwrap());
        assert_eq!(s.mad, "1.5".parse().unwrap());
        assert_eq!(spread(f(&[1, 2, 3, 4])), None, "fewer than MIN_PEERS");
    }

    #[test]
    fn peers_are_the_filed_offices_of_the_same_region_and_kind() {
        let rs = round();
        let mut records: Vec<OfficeRecord> = (0..6)
            .map(|i| record(&format!("R1-{i}"), 1, basic(40.0 + i as f64, 3), json!({})))
            .collect();
        records.push(record("R1-BIG", 1, basic(400.0, 3), json!({})));
        // Another region's offices are not peers: alone there, region 2 has too few.
        records.push(record("R2-0", 2, basic(40.0, 3), json!({})));
        let offices: Vec<Office> = records.iter().map(|r| prepare(rs, r).unwrap()).collect();
        let table = peer_stats(rs, &offices);
        let area = rs.input_index("area_m2").unwrap();
        let r1 = table.of(RegionId::new(1).unwrap(), OfficeKind::Pishkhan);
        assert_eq!(r1[area].unwrap().median, Fixed::from_int(43));
        assert_eq!(r1[area].unwrap().count, 7);
        assert!(table.of(RegionId::new(2).unwrap(), OfficeKind::Pishkhan)[area].is_none());
        assert!(
            table
                .of(RegionId::new(1).unwrap(), OfficeKind::RuralIct)
                .is_empty()
        );
        let big = assess(rs, &records[6], &offices[6], r1);
        assert_eq!(
            big.flags.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            ["area_outlier"]
        );
        assert!(
            big.flags[0].why.en.contains("median of 43"),
            "{}",
            big.flags[0].why.en
        );
        let plain = assess(rs, &records[0], &offices[0], r1);
        assert!(plain.flags.is_empty(), "{plain:?}");
    }

    #[test]
    fn a_round_without_a_review_section_raises_nothing() {
        let (_t, dir) = crate::rules::test_support::example();
        std::fs::remove_file(dir.join("review.yaml")).unwrap();
        std::fs::remove_file(dir.join("tests/review.yaml")).unwrap();
        let rs = crate::rules::load_round(&dir).unwrap_or_else(|d| panic!("{d}"));
        assert!(rs.review.flags.is_empty());
        let r = record("T-1", 1, basic(120.0, 3), json!({"area_m2": 55}));
        assert_eq!(
            assess(&rs, &r, &prepare(&rs, &r).unwrap(), &[]),
            Triage::default()
        );
    }
}
