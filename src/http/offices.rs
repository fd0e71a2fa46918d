//! Offices: bulk import of the registry, and reading one office.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CsvBody, CurrentUser, Path};
use crate::domain::{Label, Role};
use crate::population::registry::{RowError, parse_registry};
use crate::store::offices::{ImportReport, OfficeRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(get_office))
}

#[derive(Serialize, utoipa::ToSchema)]
struct ImportErrors {
    error: ImportErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ImportErrorDetail {
    code: &'static str,
    message: Label,
    rows: Vec<RowError>,
}

/// Imports the office registry (CSV: id, kind, region, province, name, holder_national_code).
/// All rows are checked first; if any is bad, nothing is written and every problem is listed.
#[utoipa::path(post, path = "/v1/offices/import", tag = "offices", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ImportErrors)))]
async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    CsvBody(text): CsvBody,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    me.require(&[Role::Admin])?;
    match parse_registry(&text) {
        Ok(rows) => {
            let report = state
                .store
                .import_offices(&rows, &me.actor(), state.clock.now().as_millisecond())
                .await?;
            Ok(axum::Json(report).into_response())
        }
        Err(rows) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(ImportErrors {
                error: ImportErrorDetail {
                    code: "invalid_rows",
                    message: Label::new(
                        format!("{} ایراد در فایل؛ هیچ ردیفی ثبت نشد", rows.len()),
                        format!(
                            "{} problem(s) in the file; nothing was imported",
                            rows.len()
                        ),
                    ),
                    rows,
                },
            }),
        )
            .into_response()),
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
    let may_see = |office: &OfficeRow| match me.user.role {
        Role::Office => me.user.office_id.as_deref() == Some(office.id.as_str()),
        Role::Reviewer => me.user.region == Some(office.region.get()),
        Role::Regulator | Role::Admin => true,
        Role::ApiClient => false,
    };
    state
        .store
        .office(id)
        .await?
        .filter(may_see)
        .ok_or_else(|| ApiError::not_found("دفتر", "the office"))
}
