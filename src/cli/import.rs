//! `arzyab import offices FILE.csv`: load the office registry into the database.

use std::path::Path;
use std::process::ExitCode;

use crate::population::registry::parse_registry;
use crate::store::Store;

/// Imports the registry, or prints every problem as `FILE:LINE: rows[LINE].column: message` (the
/// same details `POST /v1/offices/import` answers) and imports nothing.
pub fn offices(file: &Path, fa: bool, database: &str) -> Result<ExitCode, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let rows = match parse_registry(&text) {
        Ok(rows) => rows,
        Err(errors) => {
            for e in &errors {
                let message = if fa { &e.message.fa } else { &e.message.en };
                eprintln!("{}:{}: {}: {message}", file.display(), e.row, e.path());
            }
            let n = errors.len();
            return Err(if fa {
                format!(
                    "{} ایراد در فایل؛ هیچ ردیفی ثبت نشد",
                    crate::domain::digits::to_persian_digits(&n.to_string())
                )
            } else {
                format!(
                    "{n} problem{} in the file; nothing was imported",
                    if n == 1 { "" } else { "s" }
                )
            });
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let store = Store::connect(database).await.map_err(|e| e.to_string())?;
        let now = jiff::Timestamp::now().as_millisecond();
        let report = store
            .import_offices(&rows, "cli:import", now)
            .await
            .map_err(|e| e.to_string())?;
        println!(
            "{}: {} created, {} updated, {} unchanged; {} holder account(s) created",
            file.display(),
            report.created,
            report.updated,
            report.unchanged,
            report.accounts_created.len()
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// `arzyab create-admin`: the first admin account.
pub fn create_admin(username: &str, database: &str) -> Result<ExitCode, String> {
    let password = match std::env::var("ARZYAB_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("password for {username} (or set ARZYAB_ADMIN_PASSWORD):");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if let Some((_, en)) = crate::accounts::password_problem(&password, username, None) {
        return Err(en.to_string());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let store = Store::connect(database).await.map_err(|e| e.to_string())?;
        let hash = crate::accounts::hash_password(&password);
        let now = jiff::Timestamp::now().as_millisecond();
        let mut tx = store.pool.begin().await.map_err(|e| e.to_string())?;
        let user = crate::store::users::NewUser {
            username,
            password_hash: Some(&hash),
            role: crate::domain::Role::Admin,
            office_id: None,
            region: None,
            national_code: None,
        };
        crate::store::users::insert_user(&mut tx, &user, now)
            .await
            .map_err(|e| match e {
                crate::store::StoreError::Conflict(_) => {
                    format!("the username `{username}` is taken")
                }
                other => other.to_string(),
            })?;
        crate::store::audit::record(
            &mut tx,
            now,
            "cli:create-admin",
            "account_created",
            &format!("user:{username}"),
            None,
            Some(&serde_json::json!({"role": "admin"})),
        )
        .await
        .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        println!("admin `{username}` created");
        Ok(ExitCode::SUCCESS)
    })
}
