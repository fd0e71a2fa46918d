//! Static assets embedded in the binary, served with long cache headers (their names change when
//! their content does, by the version in the name).

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet's URL; a new version gets a new name, so browsers may keep it for a year.
pub const CSS: &str = "/assets/portal-1.css";

/// htmx (htmx.org 2.0.11, `dist/htmx.min.js` from npm; BSD Zero Clause licence, its text in
/// `assets/htmx-LICENSE.txt`): only an enhancement, every page works without it.
pub const HTMX: &str = "/assets/htmx-2.0.11.min.js";

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "portal-1.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/portal.css"),
    ),
    (
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/htmx-2.0.11.min.js"),
    ),
];

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
