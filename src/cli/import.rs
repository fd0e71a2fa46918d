//! `arzyab import offices FILE.csv`: load the office registry into the database.

use std::path::Path;
use std::process::ExitCode;

use std::sync::Arc;

use crate::app::accounts::NewAccount;
use crate::app::{self, Actor, App, AppError};
use crate::clock::SystemClock;
use crate::domain::Role;
use crate::live::Registry;
use crate::population::register::parse_registry;
use crate::store::Store;
use crate::workflow::WorkflowError;

/// A runtime for one command's database work, on this thread.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// The application over `database` on the machine's clock, for commands that use no rules.
async fn cli_app(database: &str) -> Result<App, String> {
    let store = Store::connect(database).await.map_err(|e| e.to_string())?;
    let no_rules = Arc::new(Registry::new(std::path::Path::new("rules")));
    Ok(App::new(store, no_rules, Arc::new(SystemClock)))
}

/// A refusal as the command line says it: every field's problem, in English.
fn refusal(e: &AppError) -> String {
    match e {
        AppError::Refused(WorkflowError::Fields(fields)) => fields
            .iter()
            .map(|f| f.message.en.clone())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

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
    runtime()?.block_on(async {
        let app = cli_app(database).await?;
        let report = app::accounts::import_offices(&app, &Actor::cli("cli:import"), &rows)
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
    runtime()?.block_on(async {
        let app = cli_app(database).await?;
        let account = NewAccount {
            username: username.to_string(),
            password: Some(password),
            role: Role::Admin,
            region: None,
        };
        app::accounts::create_user(&app, &Actor::cli("cli:create-admin"), account)
            .await
            .map_err(|e| refusal(&e))?;
        println!("admin `{username}` created");
        Ok(ExitCode::SUCCESS)
    })
}
