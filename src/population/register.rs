//! The office registry CSV that admins import: one row per licensed office and its holder.
//!
//! Columns: `id, kind, region, province, name, holder_national_code` (name and province may be
//! empty). Persian digits are accepted everywhere.
//!
//! Every problem names its row and column as `rows[N].column`, N being the line in the file with
//! the header as line 1 (the row number a spreadsheet shows): `rows[3].kind`, `rows[1].region` for
//! a header without a `region` column, `rows[7]` for a row that cannot be read at all.

use std::collections::HashSet;

use csv::StringRecord;

use crate::domain::digits::{to_ascii_digits, to_persian_digits};
use crate::domain::records::OfficeRow;
use crate::domain::{Label, NationalCode, OfficeId, OfficeKind, RegionId, quoted};
use crate::rules::value::FieldError;

/// A problem with one row of the registry file, in Persian and English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file (the header is line 1).
    pub row: usize,
    /// The column, or empty when the whole row is unreadable.
    pub field: String,
    pub message: Label,
}

impl RowError {
    fn new(row: usize, field: &str, fa: impl Into<String>, en: impl Into<String>) -> Self {
        RowError {
            row,
            field: field.to_string(),
            message: Label::new(fa, en),
        }
    }

    /// `rows[N].column`, or `rows[N]` for the whole row.
    pub fn path(&self) -> String {
        if self.field.is_empty() {
            format!("rows[{}]", self.row)
        } else {
            format!("rows[{}].{}", self.row, self.field)
        }
    }

    /// The problem as a detail of the one error shape.
    pub fn into_field_error(self) -> FieldError {
        FieldError {
            field: self.path(),
            message: self.message,
        }
    }
}

/// The columns of the registry, in their usual order.
const COLUMNS: [&str; 6] = [
    "id",
    "kind",
    "region",
    "province",
    "name",
    "holder_national_code",
];

/// A CSV reader's complaint about a row (wrong number of fields, bad quoting), in both languages.
fn unreadable(row: usize, e: &csv::Error) -> RowError {
    let fa = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => to_persian_digits(&format!(
            "این ردیف {len} ستون دارد، اما سرآیند {expected_len} ستون دارد"
        )),
        csv::ErrorKind::Utf8 { .. } => "این ردیف متن «UTF-8» نیست".to_string(),
        _ => "این ردیف خوانده نشد".to_string(),
    };
    RowError::new(row, "", fa, e.to_string())
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
            return Err(vec![unreadable(1, &e)]);
        }
    };
    let mut errors = header_errors(&headers)?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        match record {
            Ok(record) => out.extend(parse_row(row, &record, &headers, &mut seen, &mut errors)),
            Err(e) => errors.push(unreadable(row, &e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The header's problems: a missing required column refuses the file at once (`Err`); unknown
/// columns are reported with the rows' problems (`Ok`).
fn header_errors(headers: &StringRecord) -> Result<Vec<RowError>, Vec<RowError>> {
    let required = ["id", "kind", "region", "holder_national_code"];
    let missing: Vec<RowError> = required
        .iter()
        .filter(|c| !headers.iter().any(|h| h == **c))
        .map(|c| {
            RowError::new(
                1,
                c,
                format!("سرآیند ستون {} ندارد", quoted(c)),
                format!("the header has no `{c}` column"),
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let unknown: Vec<RowError> = headers
        .iter()
        .filter(|h| !COLUMNS.contains(h))
        .map(|h| {
            RowError::new(
                1,
                h,
                format!(
                    "ستون ناشناخته {} (ستون‌ها: {})",
                    quoted(h),
                    COLUMNS.map(quoted).join("، ")
                ),
                format!("unknown column `{h}` (columns: {})", COLUMNS.join(", ")),
            )
        })
        .collect();
    Ok(unknown)
}

/// One row as an office, or `None` with its problems added to `errors`; an id already `seen` is a
/// problem too.
fn parse_row(
    row: usize,
    record: &StringRecord,
    headers: &StringRecord,
    seen: &mut HashSet<OfficeId>,
    errors: &mut Vec<RowError>,
) -> Option<OfficeRow> {
    let col = |name: &str| headers.iter().position(|h| h == name);
    let get = |name: &str| {
        col(name)
            .and_then(|c| record.get(c))
            .unwrap_or("")
            .to_string()
    };
    let mut err =
        |field: &str, fa: String, en: String| errors.push(RowError::new(row, field, fa, en));
    let id = OfficeId::parse(&get("id"))
        .map_err(|e| err("id", e.fa(), e.to_string()))
        .ok();
    let kind = OfficeKind::parse(&get("kind"));
    if kind.is_none() {
        err(
            "kind",
            format!(
                "{} نوع دفتر نیست («pishkhan»، «non_governmental» یا «rural_ict»)",
                quoted(get("kind"))
            ),
            format!(
                "`{}` is not an office kind (pishkhan, non_governmental, rural_ict)",
                get("kind")
            ),
        );
    }
    let region = match to_ascii_digits(&get("region")).parse::<i64>() {
        Ok(n) => RegionId::new(n)
            .map_err(|e| err("region", e.fa(), e.to_string()))
            .ok(),
        Err(_) => {
            err(
                "region",
                format!("{} شماره منطقه نیست", quoted(get("region"))),
                format!("`{}` is not a region number", get("region")),
            );
            None
        }
    };
    let code = NationalCode::parse(&get("holder_national_code"))
        .map_err(|e| err("holder_national_code", e.fa(), e.to_string()))
        .ok();
    if let Some(id) = &id
        && !seen.insert(id.clone())
    {
        err(
            "id",
            format!("دفتر {} دو بار در فایل آمده است", quoted(id)),
            format!("office `{id}` appears twice in the file"),
        );
        return None;
    }
    Some(OfficeRow {
        id: id?,
        kind: kind?,
        region: region?,
        province: get("province"),
        name: get("name"),
        holder_national_code: code?,
    })
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
    fn every_row_problem_is_a_detail_named_by_row_and_column_in_both_languages() {
        let text = "id,kind,region,holder_national_code,fax\n\
                    P-1,pishkhan,1,0076229645,\n\
                    P 2,kiosk,x,12345,\n\
                    P-3,pishkhan,12,0076229645\n";
        let details: Vec<FieldError> = parse_registry(text)
            .unwrap_err()
            .into_iter()
            .map(RowError::into_field_error)
            .collect();
        let fields: Vec<&str> = details.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rows[1].fax",
                "rows[3].id",
                "rows[3].kind",
                "rows[3].region",
                "rows[3].holder_national_code",
                "rows[4]",
            ]
        );
        for d in &details {
            assert_eq!(
                crate::domain::persian_problem(&d.message.fa),
                None,
                "{}: {}",
                d.field,
                d.message.fa
            );
            assert!(!d.message.en.is_empty());
        }
        assert!(
            details[2].message.fa.contains("«kiosk»"),
            "{}",
            details[2].message.fa
        );
        assert!(
            details[4].message.fa.contains("۵ رقم"),
            "{}",
            details[4].message.fa
        );
        assert!(
            details[5].message.fa.contains("۴ ستون"),
            "{}",
            details[5].message.fa
        );
        assert!(
            details[5].message.en.contains('4'),
            "{}",
            details[5].message.en
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
