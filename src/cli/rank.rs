//! `arzyab rank`: score, rank and grade a population offline.

use std::path::Path;
use std::process::ExitCode;

use super::Format;
use crate::domain::Fixed;
use crate::engine::{Office, Ranking};
use crate::rules::RuleSet;
use crate::rules::model::Scope;

/// Scores, ranks and grades the offices, and writes them in the chosen format.
pub fn run(
    round: &Path,
    offices_path: &Path,
    format: Format,
    scope: Option<&str>,
    output: Option<&Path>,
) -> Result<ExitCode, String> {
    let rs = super::load(round)?;
    let offices = super::load_offices(&rs, offices_path)?;
    let (scope, si) = ranked_scope(&rs, scope)?;
    let ranking = super::ranked(&rs, &offices)?;
    let order = order(&offices, &ranking, scope, si);
    let text = match format {
        Format::Json => json(&rs, &offices, &ranking, &order),
        Format::Csv => {
            let (header, rows) = rows(&rs, &offices, &ranking, &order);
            csv(&header, &rows)?
        }
        Format::Table => {
            let (header, rows) = rows(&rs, &offices, &ranking, &order);
            table(&rs, &ranking, &header, &rows)
        }
    };
    match output {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The scope asked for (default: the grading scope) and its index among the round's ranking scopes.
fn ranked_scope(rs: &RuleSet, scope: Option<&str>) -> Result<(Scope, usize), String> {
    let scope = match scope {
        None => rs.grading.scope,
        Some(s) => Scope::parse(s).ok_or_else(|| {
            format!("`{s}` is not a scope: use nationwide, region, office_kind or region_and_kind")
        })?,
    };
    let si = rs
        .ranking
        .scopes
        .iter()
        .position(|s| *s == scope)
        .ok_or_else(|| {
            format!(
                "this round ranks in {} only",
                rs.ranking
                    .scopes
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    Ok((scope, si))
}

/// The offices' indices ordered by group of the scope, then by position within it.
fn order(offices: &[Office], ranking: &Ranking, scope: Scope, si: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..offices.len()).collect();
    let group = |i: usize| match scope {
        Scope::Nationwide => (0, 0),
        Scope::Region => (offices[i].region.get() as u32, 0),
        Scope::OfficeKind => (offices[i].kind.index() as u32, 0),
        Scope::RegionAndKind => (
            offices[i].region.get() as u32,
            offices[i].kind.index() as u32,
        ),
    };
    order.sort_by_key(|&i| (group(i), ranking.placements[i].positions[si]));
    order
}

/// The ranking as one JSON document: the rule set, then every office with its points and positions.
fn json(rs: &RuleSet, offices: &[Office], ranking: &Ranking, order: &[usize]) -> String {
    let scope_names: Vec<&str> = rs.ranking.scopes.iter().map(|s| s.as_str()).collect();
    let rows: Vec<serde_json::Value> = order
        .iter()
        .map(|&i| {
            let p = &ranking.placements[i];
            let o = &offices[i];
            serde_json::json!({
                "office": o.id.as_str(),
                "kind": o.kind.as_str(),
                "region": o.region.get(),
                "province": o.province,
                "filed": o.filed,
                "total": ranking.scores.totals[i],
                "grade": p.grade,
                "service_share_percent": p.service_share,
                "to_next_grade": p.to_next_grade,
                "fragile": p.fragile,
                "positions": scope_names.iter().zip(&p.positions).map(|(s, v)| ((*s).to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                "points": rs.criteria.iter().zip(ranking.scores.points_of(i)).map(|(c, v)| (c.id.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                "penalties": rs.penalties.iter().zip(ranking.scores.penalties_of(i)).map(|(c, v)| (c.id.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "round": rs.round.to_string(),
        "rules_version": rs.version,
        "rules_hash": rs.hash(),
        "offices": rows,
    });
    serde_json::to_string_pretty(&doc).expect("JSON values serialize") + "\n"
}

/// The header and one row of text cells per office, for the CSV and table formats.
fn rows(
    rs: &RuleSet,
    offices: &[Office],
    ranking: &Ranking,
    order: &[usize],
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = [
        "office", "kind", "region", "province", "penalty", "total", "grade", "share%",
    ]
    .map(String::from)
    .to_vec();
    header.extend(
        rs.ranking
            .scopes
            .iter()
            .map(|s| format!("pos.{}", s.as_str())),
    );
    let decimals = rs.ranking.decimals;
    let rows = order
        .iter()
        .map(|&i| {
            let p = &ranking.placements[i];
            let o = &offices[i];
            let shown = |f: Fixed| f.to_string_with_decimals(decimals);
            let filed = ranking.scores.totals[i].is_some();
            let penalty = ranking
                .scores
                .penalties_of(i)
                .iter()
                .fold(Fixed::ZERO, |a, b| a.saturating_add(*b));
            let mut row = vec![
                o.id.to_string(),
                o.kind.to_string(),
                o.region.to_string(),
                o.province.clone(),
                if filed { shown(penalty) } else { String::new() },
                ranking.scores.totals[i].map_or("not filed".into(), shown),
                p.grade.to_string(),
                p.service_share.to_string(),
            ];
            row.extend(p.positions.iter().map(|x| x.to_string()));
            row
        })
        .collect();
    (header, rows)
}

/// The rows as CSV.
fn csv(header: &[String], rows: &[Vec<String>]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| e.to_string())?;
    for r in rows {
        w.write_record(r).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

/// The rows as an aligned table, then a line with the round and the count of offices per grade.
fn table(rs: &RuleSet, ranking: &Ranking, header: &[String], rows: &[Vec<String>]) -> String {
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut counts = [0usize; 3];
    for p in &ranking.placements {
        counts[p.grade.index()] += 1;
    }
    format!(
        "{}\nround {} v{} — {} offices — grade 1: {}, grade 2: {}, grade 3: {}\n",
        super::table::render(&header, rows),
        rs.round,
        rs.version,
        ranking.placements.len(),
        counts[0],
        counts[1],
        counts[2]
    )
}
