//! Static assets embedded in the binary, served with long cache headers (their names change when
//! their content does, by the version in the name).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet's URL; a new version gets a new name, so browsers may keep it for a year.
pub const CSS: &str = "/assets/portal-1.css";

const FILES: &[(&str, &str, &[u8])] = &[(
    "portal-1.css",
    "text/css; charset=utf-8",
    include_bytes!("../../assets/portal.css"),
)];

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, mime, bytes)) => (
            [
                (header::CONTENT_TYPE, *mime),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
