//! Readiness: whether the database answers, and which kind of database it is, for `/health`.

use super::App;
use crate::store;

/// Which database the server stores in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database as a readiness check sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Database {
    /// It answered a round trip just now.
    pub reachable: bool,
    pub backend: Backend,
}

/// Asks the database for a cheap round trip.
pub async fn database(app: &App) -> Database {
    Database {
        reachable: app.store.ping().await.is_ok(),
        backend: match app.store.backend {
            store::Backend::Sqlite => Backend::Sqlite,
            store::Backend::Postgres => Backend::Postgres,
        },
    }
}
