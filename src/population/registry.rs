//! The office registry CSV that admins import: one row per licensed office and its holder.
//!
//! Columns: `id, kind, region, province, name, holder_national_code` (name and province may be
//! empty). Persian digits are accepted everywhere.

use serde::Serialize;

use crate::domain::digits::to_ascii_digits;
use crate::domain::{NationalCode, OfficeId, OfficeKind, RegionId};
use crate::store::offices::OfficeRow;

/// A problem with one row of the registry file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// Parses the registry; every bad row and field is reported, and nothing is returned unless all
/// rows are valid.
pub fn parse_registry(text: &str) -> Result<Vec<OfficeRow>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(vec![RowError {
                row: 1,
                field: String::new(),
                message: e.to_string(),
            }]);
        }
    };
    let required = ["id", "kind", "region", "holder_national_code"];
    let missing: Vec<RowError> = required
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .map(|c| RowError {
            row: 1,
            field: c.to_string(),
            message: format!("the header has no `{c}` column"),
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let known = [
        "id",
        "kind",
        "region",
        "province",
        "name",
        "holder_national_code",
    ];
    let mut errors: Vec<RowError> = headers
        .iter()
        .filter(|h| !known.contains(h))
        .map(|h| RowError {
            row: 1,
            field: h.to_string(),
            message: format!("unknown column `{h}` (columns: {})", known.join(", ")),
        })
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row,
                    field: String::new(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let get = |name: &str| {
            col(name)
                .and_then(|c| record.get(c))
                .unwrap_or("")
                .to_string()
        };
        let mut err = |field: &str, message: String| {
            errors.push(RowError {
                row,
                field: field.into(),
                message,
            })
        };
        let id = OfficeId::parse(&get("id"))
            .map_err(|e| err("id", e.to_string()))
            .ok();
        let kind = OfficeKind::parse(&get("kind"));
        if kind.is_none() {
            err(
                "kind",
                format!(
                    "`{}` is not an office kind (pishkhan, non_governmental, rural_ict)",
                    get("kind")
                ),
            );
        }
        let region = to_ascii_digits(&get("region"))
            .parse::<i64>()
            .map_err(|_| format!("`{}` is not a region number", get("region")))
            .and_then(|n| RegionId::new(n).map_err(|e| e.to_string()))
            .map_err(|m| err("region", m))
            .ok();
        let code = NationalCode::parse(&get("holder_national_code"))
            .map_err(|e| err("holder_national_code", e.to_string()))
            .ok();
        if let Some(id) = &id
            && !seen.insert(id.clone())
        {
            err("id", format!("office `{id}` appears twice in the file"));
            continue;
        }
        if let (Some(id), Some(kind), Some(region), Some(code)) = (id, kind, region, code) {
            out.push(OfficeRow {
                id,
                kind,
                region,
                province: get("province"),
                name: get("name"),
                holder_national_code: code,
            });
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_field() {
        let text = "id,kind,region,province,name,holder_national_code\n\
                    P-1,pishkhan,1,THR,a,0076229645\n\
                    P-2,kiosk,1,THR,b,1583250689\n\
                    P-3,rural_ict,۱۰,THR,c,0684159415\n\
                    P-1,pishkhan,1,THR,a,0076229645\n";
        let errors = parse_registry(text).unwrap_err();
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (3, "kind"),
                (4, "region"),
                (4, "holder_national_code"),
                (5, "id")
            ]
        );
    }

    #[test]
    fn a_valid_registry_parses_with_persian_digits() {
        let text = "id,kind,region,holder_national_code\nP-۱,pishkhan,۳,۰۰۷۶۲۲۹۶۴۵\n";
        let rows = parse_registry(text).unwrap();
        assert_eq!(rows[0].id.as_str(), "P-1");
        assert_eq!(rows[0].region.get(), 3);
        assert_eq!(rows[0].holder_national_code.as_str(), "0076229645");
    }
}
