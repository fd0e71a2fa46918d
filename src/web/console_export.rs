//! The results table's downloads: CSV and Excel, with the table's columns and filters (all its
//! pages). The Excel sheet reads right to left in Persian; numbers are numbers in it, and the
//! exact totals as published are written as the numbers they are.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_xlsxwriter::{Format, Workbook};

use super::Portal;
use super::console::{ResultsParams, parse_results, result_cells, result_columns};
use super::layout::{Bounce, Layout, Visitor, app_error, failure};
use super::session::Lang;
use crate::app::dashboard::{self, ResultsTable};
use crate::domain::Role;

/// Every matching row of the table, or the answer that replaces the download.
async fn table(
    portal: &Portal,
    visitor: Result<Visitor, Response>,
    params: &ResultsParams,
) -> Result<(Visitor, ResultsTable), Bounce> {
    let visitor = visitor.map_err(Bounce::from)?;
    visitor.require(&[Role::Regulator, Role::Admin])?;
    let l = visitor.layout();
    let (mut query, errors) = parse_results(&l, params);
    if let Some(e) = errors.first() {
        return Err(Bounce::from(
            visitor.refuse(StatusCode::BAD_REQUEST, &e.message),
        ));
    }
    query.page = None;
    let round = params.round.as_deref().filter(|r| !r.trim().is_empty());
    match dashboard::results_table(&portal.app, &visitor.actor, round, &query).await {
        Ok(t) => Ok((visitor, t)),
        Err(e) => Err(Bounce::from(app_error(l, e))),
    }
}

pub(super) fn download(mime: &str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

fn file_name(t: &ResultsTable, ext: &str) -> String {
    format!(
        "results-{}-{}.{ext}",
        t.publication.round, t.publication.stage
    )
}

/// The table as CSV text.
fn csv_of(l: &Layout, t: &ResultsTable) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(result_columns(l, &t.scopes))?;
    for r in &t.rows {
        w.write_record(result_cells(l, r))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// `GET /console/results.csv`: the filtered results as CSV.
pub async fn results_csv(
    State(portal): State<Portal>,
    Query(params): Query<ResultsParams>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let (visitor, t) = table(&portal, visitor, &params).await?;
    let l = visitor.layout();
    let body = csv_of(&l, &t).map_err(|e| Bounce::from(failure(e)))?;
    Ok(download(
        "text/csv; charset=utf-8",
        file_name(&t, "csv"),
        body,
    ))
}

/// The table as an Excel workbook of one sheet; right to left in Persian.
fn xlsx_of(l: &Layout, t: &ResultsTable) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(l.t("نتایج", "Results"))?;
    sheet.set_right_to_left(l.lang == Lang::Fa);
    for (c, name) in result_columns(l, &t.scopes).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, name, &bold)?;
        sheet.set_column_width(c as u16, 16)?;
    }
    for (i, r) in t.rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, cell) in result_cells(l, r).iter().enumerate() {
            let c = c as u16;
            // The office id stays text; every other column that is a number is written as one.
            match cell.parse::<f64>() {
                _ if cell.is_empty() => continue,
                Ok(n) if c > 0 => sheet.write_number(row, c, n)?,
                _ => sheet.write_string(row, c, cell)?,
            };
        }
    }
    book.save_to_buffer()
}

/// `GET /console/results.xlsx`: the filtered results as an Excel workbook.
pub async fn results_xlsx(
    State(portal): State<Portal>,
    Query(params): Query<ResultsParams>,
    visitor: Result<Visitor, Response>,
) -> Result<Response, Bounce> {
    let (visitor, t) = table(&portal, visitor, &params).await?;
    let l = visitor.layout();
    let body = xlsx_of(&l, &t).map_err(|e| Bounce::from(failure(e)))?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file_name(&t, "xlsx"),
        body,
    ))
}
