//! `serve --demo`: a small demo population and staff accounts, so a newcomer can try everything.
//! Only when the database has no offices yet; the logins are documented in the README.

use crate::domain::{NationalCode, Role};
use crate::population::demo::{self, DemoSettings};
use crate::rules::registry::Registry;
use crate::store::offices::OfficeRow;
use crate::store::{Store, users};

/// Demo staff accounts: (username, password, role, region).
pub const DEMO_STAFF: [(&str, &str, Role, Option<u8>); 5] = [
    ("admin", "demo-admin-1400", Role::Admin, None),
    ("regulator", "demo-regulator-1400", Role::Regulator, None),
    ("reviewer1", "demo-reviewer-1400", Role::Reviewer, Some(1)),
    ("reviewer2", "demo-reviewer-1400", Role::Reviewer, Some(2)),
    ("client", "demo-client-1400", Role::ApiClient, None),
];

/// How many demo offices.
pub const DEMO_OFFICES: usize = 60;

pub async fn seed(store: &Store, registry: &Registry, now: jiff::Timestamp) -> Result<(), String> {
    if !store
        .offices(None)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        tracing::info!("demo: the database already has offices; nothing seeded");
        return Ok(());
    }
    let Some(rs) = registry.rounds().values().next().cloned() else {
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
    let ms = now.as_millisecond();
    let report = store
        .import_offices(&rows, "demo", ms)
        .await
        .map_err(|e| e.to_string())?;
    let mut tx = store.pool.begin().await.map_err(|e| e.to_string())?;
    for (username, password, role, region) in DEMO_STAFF {
        let hash = tokio::task::spawn_blocking(move || crate::accounts::hash_password(password))
            .await
            .map_err(|e| e.to_string())?;
        let user = users::NewUser {
            username,
            password_hash: Some(&hash),
            role,
            office_id: None,
            region,
            national_code: None,
        };
        users::insert_user(&mut tx, &user, ms)
            .await
            .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
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
