//! `serve --demo`: a small demo population and staff accounts, so a newcomer can try everything.
//! Only when the database has no offices yet; the logins are documented in the README. Offices,
//! holders and staff are written in one transaction, so an interrupted first start leaves nothing
//! and the next start seeds again.

use crate::app::accounts::{DemoAccount, seed_demo};
use crate::app::{Actor, App};
use crate::domain::{NationalCode, Role, Username};
use crate::population::demo::{self, DemoSettings};
use crate::store::offices::OfficeRow;

/// Demo staff accounts: (username, password, role, region). The API client has no password: it
/// uses tokens only (`POST /v1/users/client/tokens` as admin).
pub const DEMO_STAFF: [(&str, Option<&str>, Role, Option<u8>); 5] = [
    ("admin", Some("demo-admin-1400"), Role::Admin, None),
    (
        "regulator",
        Some("demo-regulator-1400"),
        Role::Regulator,
        None,
    ),
    (
        "reviewer1",
        Some("demo-reviewer-1400"),
        Role::Reviewer,
        Some(1),
    ),
    (
        "reviewer2",
        Some("demo-reviewer-1400"),
        Role::Reviewer,
        Some(2),
    ),
    ("client", None, Role::ApiClient, None),
];

/// How many demo offices.
pub const DEMO_OFFICES: usize = 60;

pub async fn seed(app: &App) -> Result<(), String> {
    let store = &app.store;
    if !store
        .offices(None)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        tracing::info!("demo: the database already has offices; nothing seeded");
        return Ok(());
    }
    let Some(rs) = app.rules.rounds().values().next().cloned() else {
        return Err("demo: no round is live, so no demo population can be made".into());
    };
    let provinces = demo::parse_regions(demo::DEFAULT_REGIONS)?;
    let records = demo::generate(
        &rs,
        &provinces,
        &DemoSettings {
            offices: DEMO_OFFICES,
            seed: 1400,
            non_filers_percent: 0,
        },
    );
    let rows: Vec<OfficeRow> = records
        .iter()
        .enumerate()
        .map(|(i, r)| OfficeRow {
            id: r.id.clone(),
            kind: r.kind,
            region: r.region,
            province: r.province.clone(),
            name: format!("دفتر نمونه {}", i + 1),
            holder_national_code: NationalCode::from_prefix(7_622_964 + i as u32 * 7919)
                .or_else(|| NationalCode::from_prefix(1_000_000 + i as u32))
                .expect("a valid code"),
        })
        .collect();
    // Hashed before the transaction, which would otherwise hold SQLite's one connection.
    let mut staff = Vec::new();
    for (username, password, role, region) in DEMO_STAFF {
        let password_hash = match password {
            Some(p) => Some(
                tokio::task::spawn_blocking(move || crate::accounts::hash_password(p))
                    .await
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        staff.push(DemoAccount {
            username: Username::parse(username).map_err(|e| format!("demo: `{username}`: {e}"))?,
            password_hash,
            role,
            region,
        });
    }
    let report = seed_demo(app, &Actor::cli("demo"), &rows, &staff)
        .await
        .map_err(|e| format!("demo: {e}"))?;
    tracing::info!(
        offices = report.created,
        "demo: seeded offices (username and password of each holder: the national code) and staff accounts"
    );
    println!(
        "demo: {} offices; first office holder logs in with {} / {}",
        report.created, rows[0].holder_national_code, rows[0].holder_national_code
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::clock::ShiftedClock;
    use crate::live::Registry;
    use crate::store::{Store, users};

    fn app(store: &Store, registry: Registry, now: jiff::Timestamp) -> App {
        App::new(
            store.clone(),
            Arc::new(registry),
            Arc::new(ShiftedClock::starting_at(now)),
        )
    }

    async fn empty_store(dir: &Path) -> Store {
        Store::connect(&format!("sqlite://{}", dir.join("demo.db").display()))
            .await
            .unwrap()
    }

    fn live_rules(now: jiff::Timestamp) -> Registry {
        let registry = Registry::new(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"));
        assert!(registry.load_all(now).is_empty());
        registry
    }

    #[tokio::test]
    async fn a_failed_seed_leaves_nothing_and_the_next_start_seeds_everything() {
        let dir = tempfile::tempdir().unwrap();
        let store = empty_store(dir.path()).await;
        let now = crate::clock::parse_instant("1400/01/20 09:00").unwrap();
        let app = app(&store, live_rules(now), now);
        // A staff username already taken makes the seed fail after the offices are written.
        let mut tx = store.pool.begin().await.unwrap();
        let squatter = users::NewUser {
            username: "reviewer2",
            password_hash: None,
            role: Role::Regulator,
            office_id: None,
            region: None,
            national_code: None,
        };
        users::insert_user(&mut tx, &squatter, 0).await.unwrap();
        tx.commit().await.unwrap();
        let error = seed(&app).await.unwrap_err();
        assert!(error.contains("reviewer2"), "{error}");
        assert!(store.offices(None).await.unwrap().is_empty());
        assert!(store.user_by_username("admin").await.unwrap().is_none());

        sqlx::query("delete from users where username = 'reviewer2'")
            .execute(&store.pool)
            .await
            .unwrap();
        seed(&app).await.unwrap();
        assert_eq!(store.offices(None).await.unwrap().len(), DEMO_OFFICES);
        for (username, password, role, _) in DEMO_STAFF {
            let user = store.user_by_username(username).await.unwrap().unwrap();
            assert_eq!(user.role, role);
            assert_eq!(
                user.password_hash.is_some(),
                password.is_some(),
                "{username}"
            );
        }
    }

    #[tokio::test]
    async fn the_demo_api_client_cannot_sign_in_with_a_password() {
        let dir = tempfile::tempdir().unwrap();
        let store = empty_store(dir.path()).await;
        let now = crate::clock::parse_instant("1400/01/20 09:00").unwrap();
        seed(&app(&store, live_rules(now), now)).await.unwrap();
        let client = store.user_by_username("client").await.unwrap().unwrap();
        assert_eq!(client.role, Role::ApiClient);
        for guess in ["demo-client-1400", "", "client"] {
            assert!(!crate::accounts::verify_password(
                guess,
                client.password_hash.as_deref(),
                client.national_code.as_deref()
            ));
        }
    }
}
