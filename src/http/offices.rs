//! Offices: bulk import of the registry, and reading one office.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CsvBody, CurrentUser, Path};
use crate::app::accounts as app_accounts;
use crate::domain::Role;
use crate::domain::records::{ImportReport, OfficeRow};
use crate::population::register::{RowError, parse_registry};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(get_office))
}

/// Imports the office registry (CSV: id, kind, region, province, name, holder_national_code).
/// All rows are checked first; if any is bad, nothing is written and every problem is listed as
/// an `invalid_rows` error whose details name row and column: `rows[3].kind` (line 3 of the file).
#[utoipa::path(post, path = "/v1/offices/import", tag = "offices", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody, description = "`invalid_rows`: one detail per row and column, `rows[N].column`")))]
async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    CsvBody(text): CsvBody,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    me.require(&[Role::Admin])?;
    match parse_registry(&text) {
        Ok(rows) => {
            let report = app_accounts::import_offices(&state, &me.actor(), &rows).await?;
            Ok(axum::Json(report).into_response())
        }
        Err(rows) => Err(ApiError::Rows(
            rows.into_iter().map(RowError::into_field_error).collect(),
        )),
    }
}

/// One office: its holder sees it, reviewers of its region, regulators and admins.
#[utoipa::path(get, path = "/v1/offices/{id}", tag = "offices", security(("bearer" = [])),
    params(("id" = String, Path, description = "license number")),
    responses((status = 200, body = super::body::Office), (status = 404, body = ErrorBody, description = "no such office, or not one you may see")))]
async fn get_office(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<String>,
) -> Result<axum::Json<super::body::Office>, ApiError> {
    Ok(axum::Json(visible_office(&state, &me, &id).await?.into()))
}

/// The office, if the user may see its files: its own holder, reviewers of its region, the
/// regulator and admins. An office the user may not see answers exactly as one that does not
/// exist (404), so ids cannot be probed.
pub async fn visible_office(
    state: &AppState,
    me: &CurrentUser,
    id: &str,
) -> Result<OfficeRow, ApiError> {
    Ok(crate::app::review::visible_office(state, &me.actor(), id).await?)
}
