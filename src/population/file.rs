//! Office files in CSV or JSON.
//!
//! CSV: one row per office with columns `id, kind, region, province, filed`, then one column per
//! input (named as in the round's `inputs:`), and `previous.<input>` for last round's values.
//! Violations are written `kind@1400/02/10; kind2@…`. Persian and Arabic-Indic digits are accepted.
//!
//! JSON: an array of `{"id", "kind", "region", "province", "filed", "inputs": {…}, "previous": {…}}`.

use std::path::Path;

use serde::Deserialize;

use crate::domain::digits::to_ascii_digits;
use crate::domain::{OfficeId, OfficeKind, RegionId};
use crate::engine::{OfficeRecord, Raw};

/// Problems reading a population file, each with the row (1-based, header = row 1 in CSV).
#[derive(Debug, thiserror::Error)]
pub enum PopulationError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("{}", .0.join("\n"))]
    Rows(Vec<String>),
}

/// Reads offices from a `.csv` or `.json` file.
pub fn read_offices(path: &Path) -> Result<Vec<OfficeRecord>, PopulationError> {
    let file_err = |message: String| PopulationError::File {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "csv" => from_csv(path, &text),
        "json" => from_json(path, &text),
        other => Err(file_err(format!(
            "unknown file type `.{other}`: use .csv or .json"
        ))),
    }
}

fn parse_head(
    row: &str,
    id: &str,
    kind: &str,
    region: &str,
    filed: &str,
) -> Result<(OfficeId, OfficeKind, RegionId, bool), String> {
    let id = OfficeId::parse(id).map_err(|e| format!("{row}: id: {e}"))?;
    let kind = OfficeKind::parse(kind).ok_or_else(|| {
        format!(
            "{row}: kind: `{kind}` is not an office kind (pishkhan, non_governmental, rural_ict)"
        )
    })?;
    let region = to_ascii_digits(region.trim())
        .parse::<i64>()
        .map_err(|_| format!("{row}: region: `{region}` is not a number"))
        .and_then(|n| RegionId::new(n).map_err(|e| format!("{row}: region: {e}")))?;
    let filed = match to_ascii_digits(filed.trim()).to_lowercase().as_str() {
        "" | "true" | "yes" | "1" | "بله" => true,
        "false" | "no" | "0" | "خیر" => false,
        other => return Err(format!("{row}: filed: `{other}` is not yes/no")),
    };
    Ok((id, kind, region, filed))
}

fn from_csv(path: &Path, text: &str) -> Result<Vec<OfficeRecord>, PopulationError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| PopulationError::File {
            path: path.display().to_string(),
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci), Some(ck), Some(cr)) = (col("id"), col("kind"), col("region")) else {
        return Err(PopulationError::File {
            path: path.display().to_string(),
            message: "the header must have the columns id, kind and region".into(),
        });
    };
    let (cp, cf) = (col("province"), col("filed"));
    let fixed = [Some(ci), Some(ck), Some(cr), cp, cf];
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = format!("{}:{}", path.display(), i + 2);
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{line}: {e}"));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| row.get(c)).unwrap_or("");
        match parse_head(&line, get(Some(ci)), get(Some(ck)), get(Some(cr)), get(cf)) {
            Ok((id, kind, region, filed)) => {
                let mut inputs = Vec::new();
                let mut previous = Vec::new();
                for (c, name) in headers.iter().enumerate() {
                    if fixed.contains(&Some(c)) {
                        continue;
                    }
                    let cell = row.get(c).unwrap_or("").to_string();
                    match name.strip_prefix("previous.") {
                        Some(p) => previous.push((p.to_string(), Raw::Text(cell))),
                        None => inputs.push((name.to_string(), Raw::Text(cell))),
                    }
                }
                out.push(OfficeRecord {
                    id,
                    kind,
                    region,
                    province: get(cp).to_string(),
                    filed,
                    inputs,
                    previous,
                });
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(PopulationError::Rows(errors))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonOffice {
    id: String,
    kind: String,
    region: serde_json::Value,
    #[serde(default)]
    province: String,
    #[serde(default = "yes")]
    filed: bool,
    #[serde(default)]
    inputs: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    previous: serde_json::Map<String, serde_json::Value>,
}

fn yes() -> bool {
    true
}

fn from_json(path: &Path, text: &str) -> Result<Vec<OfficeRecord>, PopulationError> {
    let items: Vec<serde_json::Value> =
        serde_json::from_str(text).map_err(|e| PopulationError::File {
            path: path.display().to_string(),
            message: format!("not a JSON array of offices: {e}"),
        })?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("{}: office #{}", path.display(), i + 1);
        let o: JsonOffice = match serde_json::from_value(item) {
            Ok(o) => o,
            Err(e) => {
                errors.push(format!("{at}: {e}"));
                continue;
            }
        };
        let region = match &o.region {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        match parse_head(
            &at,
            &o.id,
            &o.kind,
            &region,
            if o.filed { "true" } else { "false" },
        ) {
            Ok((id, kind, region, filed)) => out.push(OfficeRecord {
                id,
                kind,
                region,
                province: o.province,
                filed,
                inputs: o
                    .inputs
                    .into_iter()
                    .map(|(k, v)| (k, Raw::Json(v)))
                    .collect(),
                previous: o
                    .previous
                    .into_iter()
                    .map(|(k, v)| (k, Raw::Json(v)))
                    .collect(),
            }),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(PopulationError::Rows(errors))
    }
}

fn raw_json(raw: &Raw) -> serde_json::Value {
    match raw {
        Raw::Json(v) => v.clone(),
        Raw::Text(t) => serde_json::Value::String(t.clone()),
    }
}

/// Writes offices as the JSON array `read_offices` reads.
pub fn records_to_json(records: &[OfficeRecord]) -> String {
    let items: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id.as_str(),
                "kind": r.kind.as_str(),
                "region": r.region.get(),
                "province": r.province,
                "filed": r.filed,
                "inputs": r.inputs.iter().map(|(k, v)| (k.clone(), raw_json(v))).collect::<serde_json::Map<_, _>>(),
                "previous": r.previous.iter().map(|(k, v)| (k.clone(), raw_json(v))).collect::<serde_json::Map<_, _>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).expect("JSON values serialize")
}

fn raw_text(raw: &Raw) -> String {
    match raw {
        Raw::Text(t) => t.clone(),
        Raw::Json(serde_json::Value::String(s)) => s.clone(),
        Raw::Json(serde_json::Value::Null) => String::new(),
        Raw::Json(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| {
                let kind = v.get("kind").and_then(|k| k.as_str()).unwrap_or("");
                match v.get("date").and_then(|d| d.as_str()) {
                    Some(d) => format!("{kind}@{d}"),
                    None => kind.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        Raw::Json(other) => other.to_string(),
    }
}

/// Writes offices as the CSV `read_offices` reads (columns: the union of every office's inputs).
pub fn records_to_csv(records: &[OfficeRecord]) -> String {
    let mut inputs: Vec<String> = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for r in records {
        for (k, _) in &r.inputs {
            if !inputs.contains(k) {
                inputs.push(k.clone());
            }
        }
        for (k, _) in &r.previous {
            if !previous.contains(k) {
                previous.push(k.clone());
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "id".to_string(),
        "kind".into(),
        "region".into(),
        "province".into(),
        "filed".into(),
    ];
    header.extend(inputs.iter().cloned());
    header.extend(previous.iter().map(|p| format!("previous.{p}")));
    w.write_record(&header).expect("in-memory write");
    for r in records {
        let mut row = vec![
            r.id.to_string(),
            r.kind.to_string(),
            r.region.to_string(),
            r.province.clone(),
            r.filed.to_string(),
        ];
        let cell = |list: &[(String, Raw)], k: &str| {
            list.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| raw_text(v))
                .unwrap_or_default()
        };
        row.extend(inputs.iter().map(|k| cell(&r.inputs, k)));
        row.extend(previous.iter().map(|k| cell(&r.previous, k)));
        w.write_record(&row).expect("in-memory write");
    }
    String::from_utf8(w.into_inner().expect("in-memory flush")).expect("CSV of UTF-8 fields")
}
