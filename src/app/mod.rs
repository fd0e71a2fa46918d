//! The application layer: every state change of a round is one command here. A command checks the
//! phase, the actor's role and scope, writes, records the audit entry and commits, in one
//! transaction. The JSON API, the CLI (`import`, demo seeding) and the pages to come call the same
//! commands, so none of them can skip a check; they only parse their input and map the outcome.

pub mod accounts;
pub mod admin;
pub mod audit_log;
pub mod dashboard;
pub mod declaration_form;
pub mod declarations;
pub mod file_list;
pub mod health;
pub mod home;
pub mod my_round;
pub mod population;
pub mod publication;
pub mod queue;
pub mod results;
pub mod review;
pub mod rule_versions;
pub mod rules_console;
pub mod simulation;
pub mod triage;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::domain::{CorruptRecord, Label, OfficeId, Role, RoundId};
use crate::live::Registry;
use crate::rules::RuleSet;
use crate::rules::budget::Budget;
use crate::store::idempotency::{self, KeyedRequest};
use crate::store::users::User;
use crate::store::{Store, StoreError};
use crate::workflow::WorkflowError;

/// A test seam: runs inside every publish and finalize after the round's rule set is taken and
/// before any result is computed, so a test can reload the rules at that moment. Servers set none.
pub type PublicationHook = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// What every command runs against: the store, the live rules, the clock, and the budget every
/// evaluation runs under. Cloned cheaply.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub rules: Arc<Registry>,
    pub clock: Arc<dyn Clock>,
    /// The parent of every budget the server's evaluations run under: stopped at shutdown, so
    /// no evaluation holds the server up.
    pub evaluations: Arc<Budget>,
    /// Rounds' populations kept ranked between simulations.
    pub populations: Arc<population::PopulationCache>,
    /// Each (round, region)'s files with their review flags, while nothing they depend on changed.
    pub triage_cache: Arc<triage::TriageCache>,
    /// Live versions' rule-test results, run once per version for the rules page.
    pub rule_tests: Arc<rules_console::TestResults>,
    /// Slots for simulations, and what their candidates' scripts may spend.
    pub simulations: Arc<simulation::Slots>,
    publication_hook: Arc<Mutex<Option<PublicationHook>>>,
}

impl App {
    /// The application over `store`, with `rules` live and time from `clock`.
    pub fn new(store: Store, rules: Arc<Registry>, clock: Arc<dyn Clock>) -> Self {
        App {
            store,
            rules,
            clock,
            evaluations: Budget::new(crate::rules::budget::Limits::default()),
            populations: Arc::default(),
            triage_cache: Arc::default(),
            rule_tests: Arc::default(),
            simulations: Arc::new(simulation::Slots::new(
                simulation::SimulationLimits::default(),
            )),
            publication_hook: Arc::default(),
        }
    }

    /// The same application with other limits on simulations.
    pub fn with_simulation_limits(mut self, limits: simulation::SimulationLimits) -> Self {
        self.simulations = Arc::new(simulation::Slots::new(limits));
        self
    }

    /// Sets the [`PublicationHook`] (tests only).
    pub fn set_publication_hook(&self, hook: PublicationHook) {
        *self.publication_hook.lock().expect("hook lock") = Some(hook);
    }

    async fn run_publication_hook(&self) {
        let hook = self.publication_hook.lock().expect("hook lock").clone();
        if let Some(hook) = hook {
            hook().await;
        }
    }

    /// The live rule set of `round` (as typed by a client), or `NotFound`.
    pub fn live_round(&self, round: &str) -> Result<Arc<RuleSet>, AppError> {
        let id = RoundId::parse(round).map_err(|e| {
            AppError::NotFound(Label::new(
                format!("دوره {} وجود ندارد", crate::domain::quoted(round)),
                e.to_string(),
            ))
        })?;
        self.rules.get(id).ok_or_else(|| {
            AppError::NotFound(Label::new(
                format!(
                    "دوره {} قواعد فعالی ندارد",
                    crate::domain::digits::to_persian_digits(round)
                ),
                format!("there is no live rule set for round {round}"),
            ))
        })
    }

    /// Begins a command's transaction; with a claim, its first statement claims the key, so a
    /// concurrent request with the same key waits here for this one (and then replays its answer).
    async fn begin(&self, claim: Claim) -> Result<Tx, AppError> {
        let mut tx = self.store.pool.begin().await.map_err(StoreError::from)?;
        if let Some(k) = &claim.0 {
            let now = self.clock.now().as_millisecond();
            idempotency::claim(&mut tx, k, now)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => AppError::KeyInProgress,
                    other => other.into(),
                })?;
        }
        Ok(Tx { tx, claim })
    }
}

/// Who runs a command: a signed-in user, or the command line (which acts as an admin).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// As written in the audit log: `reviewer:reviewer1`, `cli:import`.
    name: String,
    pub role: Role,
    /// The office an office holder's account is linked to.
    pub office_id: Option<OfficeId>,
    /// A reviewer's region.
    pub region: Option<u8>,
}

impl Actor {
    /// A signed-in user.
    pub fn user(u: &User) -> Self {
        Actor {
            name: format!("{}:{}", u.role.as_str(), u.username),
            role: u.role,
            office_id: u.office_id.clone(),
            region: u.region,
        }
    }

    /// The command line, named in the audit log as `name` (e.g. `cli:import`), with an admin's
    /// rights: whoever runs it holds the database already.
    pub fn cli(name: &str) -> Self {
        Actor {
            name: name.to_string(),
            role: Role::Admin,
            office_id: None,
            region: None,
        }
    }

    /// The name the audit log records.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses unless the actor has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        let role = self.role.label();
        let article = if role
            .en
            .starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U'])
        {
            "an"
        } else {
            "a"
        };
        let allowed = |text: fn(Label) -> String, and: &str| {
            let names: Vec<String> = roles.iter().map(|r| text(r.label())).collect();
            match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} {and} {last}", rest.join("، "))
                }
                _ => names.concat(),
            }
        };
        Err(AppError::Forbidden(Label::new(
            format!(
                "شما به‌عنوان {} اجازه این کار را ندارید؛ این کار ویژه {} است",
                role.fa,
                allowed(|l| l.fa, "و")
            ),
            format!(
                "{article} {} may not do this; it is for the {}",
                role.en,
                allowed(|l| l.en, "and").replace("، ", ", ")
            ),
        )))
    }

    /// The office of an office holder: refused for other roles and unlinked accounts.
    pub fn own_office(&self) -> Result<&OfficeId, AppError> {
        self.require(&[Role::Office])?;
        self.office_id.as_ref().ok_or_else(|| {
            AppError::Forbidden(Label::new(
                "این حساب به دفتری متصل نیست",
                "this account is not linked to an office",
            ))
        })
    }
}

/// Why a command was refused or failed; mapped to HTTP in one `From` in `http/error.rs`.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request itself is malformed: a stable code and what is wrong.
    #[error("{}", .1.en)]
    BadRequest(&'static str, Label),
    /// The actor may not do this.
    #[error("{}", .0.en)]
    Forbidden(Label),
    /// No such thing, or not one the actor may see.
    #[error("{}", .0.en)]
    NotFound(Label),
    /// Someone else changed it first, or it exists already.
    #[error("{}", .0.en)]
    Conflict(Label),
    /// The round's workflow refuses it: a closed phase, bad fields, the wrong state.
    #[error(transparent)]
    Refused(#[from] WorkflowError),
    /// A request with the same idempotency key is still being answered.
    #[error("a request with this idempotency key is still being answered")]
    KeyInProgress,
    /// A candidate rule set does not compile: every problem, located.
    #[error("the rule set has {} problem(s)", .0.len())]
    Rules(Vec<crate::rules::diagnostic::Diagnostic>),
    /// Evaluations were stopped: a script's limits, the time budget, the caller gone, shutdown.
    #[error("{}", .stopped.stop)]
    Stopped {
        stopped: crate::rules::budget::Stopped,
        office: Option<String>,
        criterion: Option<String>,
    },
    /// As many simulations as may run at once are running.
    #[error("{running} simulations are running")]
    Busy {
        running: usize,
        retry_after_seconds: i64,
    },
    /// Storage failed: a damaged record, or the database itself.
    #[error(transparent)]
    Store(StorageFailure),
    /// A failure that is nobody's input: logged, never shown.
    #[error("{0}")]
    Internal(String),
}

/// Why storage failed, in the application's words: front ends tell a damaged record apart (the
/// client is told which row) from any other failure (logged, never shown).
#[derive(Debug, thiserror::Error)]
pub enum StorageFailure {
    /// A stored record that cannot be read back as it was written.
    #[error(transparent)]
    Corrupt(#[from] CorruptRecord),
    /// The database failed (unreachable, a migration, an error of its own).
    #[error("{0}")]
    Database(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::NotFound(m) => AppError::NotFound(Label::new("پیدا نشد", m)),
            StoreError::Corrupt {
                table,
                row,
                problem,
            } => AppError::Store(StorageFailure::Corrupt(CorruptRecord {
                table,
                row,
                problem,
            })),
            other => AppError::Store(StorageFailure::Database(other.to_string())),
        }
    }
}

impl From<CorruptRecord> for AppError {
    fn from(e: CorruptRecord) -> Self {
        AppError::Store(StorageFailure::Corrupt(e))
    }
}

impl AppError {
    /// A refusal because of the state things are in.
    pub fn state(fa: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::Refused(WorkflowError::State(Label::new(fa, en)))
    }

    /// `NotFound` for `what` (`دفتر` / `the office`).
    pub fn not_found(what_fa: &str, what_en: &str) -> Self {
        AppError::NotFound(Label::new(
            format!("{what_fa} پیدا نشد"),
            format!("{what_en} was not found"),
        ))
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        AppError::Internal(e.to_string())
    }

    /// What a person is told of a refusal, in both languages; `None` for failures that are
    /// nobody's input (logged, never shown). Field errors are told field by field, so here only
    /// counted.
    pub fn message(&self) -> Option<Label> {
        match self {
            AppError::BadRequest(_, l)
            | AppError::Forbidden(l)
            | AppError::NotFound(l)
            | AppError::Conflict(l)
            | AppError::Refused(WorkflowError::State(l)) => Some(l.clone()),
            AppError::Refused(WorkflowError::OutsideWindow(w)) => {
                let d = w.describe();
                Some(Label::new(
                    format!("این کار اکنون ممکن نیست: {}", d.fa),
                    format!("not possible now: {}", d.en),
                ))
            }
            AppError::Refused(WorkflowError::Fields(f)) => Some(Label::new(
                format!(
                    "{} خانه درست پر نشده است",
                    crate::domain::digits::to_persian_digits(&f.len().to_string())
                ),
                format!("{} field(s) are not valid", f.len()),
            )),
            AppError::KeyInProgress => Some(Label::new(
                "درخواستی همانند هنوز در کار است؛ کمی بعد دوباره بکوشید",
                "the same request is still being answered; try again shortly",
            )),
            AppError::Rules(d) => Some(Label::new(
                format!(
                    "قواعد پیشنهادی {} ایراد دارد",
                    crate::domain::digits::to_persian_count(d.len() as u64)
                ),
                format!(
                    "the rule set has {}",
                    crate::domain::label::count(d.len() as u64, "problem", "problems")
                ),
            )),
            AppError::Stopped {
                stopped,
                office,
                criterion,
            } => {
                Some(simulation::describe_stop(stopped, office.as_deref(), criterion.as_deref()).1)
            }
            AppError::Busy { running, .. } => Some(simulation::describe_busy(*running)),
            AppError::Store(_) | AppError::Internal(_) => None,
        }
    }
}

impl From<Vec<crate::rules::value::FieldError>> for AppError {
    fn from(errors: Vec<crate::rules::value::FieldError>) -> Self {
        AppError::Refused(WorkflowError::Fields(errors))
    }
}

/// A client's claim on an idempotency key for one write (none: an ordinary write).
#[derive(Clone, Debug, Default)]
pub struct Claim(pub Option<KeyedRequest>);

/// The answer stored under `request`'s key, if a write with that key committed and its answer is
/// still kept (a day): what a retry is given back.
pub async fn stored_answer(
    app: &App,
    request: &KeyedRequest,
) -> Result<Option<crate::domain::records::StoredAnswer>, AppError> {
    let now = app.clock.now().as_millisecond();
    Ok(app
        .store
        .idempotent_answer(request.user_id, &request.key, now)
        .await?)
}

/// A command's transaction, holding the idempotency claim it began with.
struct Tx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    claim: Claim,
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Tx {
    /// Commits a command that answers no idempotent client.
    async fn commit(self) -> Result<(), AppError> {
        self.tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Everything written and audited, kept open for the caller's answer (see [`Written`]).
    fn written<T>(self, value: T) -> Written<T> {
        Written { tx: self, value }
    }
}

/// What a command wrote and audited, not yet committed: its caller commits it with the answer its
/// client gets, which is stored with the write under the idempotency claim, so a retry replays
/// exactly that answer. A commit implies the stored answer; dropping it rolls everything back.
#[must_use = "a command's writes are rolled back unless committed"]
pub struct Written<T> {
    tx: Tx,
    value: T,
}

impl<T> Written<T> {
    /// The command's outcome.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// Stores `body` as the answer under the claim (if any) and commits.
    pub async fn commit_answering(mut self, status: u16, body: &str) -> Result<T, AppError> {
        if let Some(k) = self.tx.claim.0.take() {
            idempotency::answer(&mut self.tx, &k, status, body).await?;
        }
        self.tx.commit().await?;
        Ok(self.value)
    }

    /// Commits for a caller with no idempotent answer to keep (the CLI, a page).
    pub async fn commit(self) -> Result<T, AppError> {
        self.tx.commit().await?;
        Ok(self.value)
    }
}

/// The declarations of `round`, by office.
async fn declarations_by_office(
    app: &App,
    round: RoundId,
) -> Result<std::collections::HashMap<OfficeId, crate::store::declarations::DeclarationRow>, AppError>
{
    Ok(app
        .store
        .declarations(round)
        .await?
        .into_iter()
        .map(|d| (d.office_id.clone(), d))
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::Map;

    use super::*;
    use crate::clock::ShiftedClock;
    use crate::domain::{DeclarationStatus, NationalCode, OfficeKind, RegionId, Username};
    use crate::store::offices::OfficeRow;

    /// The demo's offices and staff on a fresh SQLite database, on a clock running from inside
    /// round 1400-2's self-declaration window.
    async fn demo_app() -> (App, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("app.db").display());
        let store = Store::connect(&url).await.unwrap();
        let now = crate::clock::parse_instant("1400/01/20 09:00").unwrap();
        let rules = Registry::new(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"));
        assert!(rules.load_all(now).is_empty());
        let app = App::new(
            store,
            Arc::new(rules),
            Arc::new(ShiftedClock::starting_at(now)),
        );
        let offices: Vec<OfficeRow> = (1..=2)
            .map(|i| OfficeRow {
                id: OfficeId::parse(&format!("P-000{i}")).unwrap(),
                kind: OfficeKind::Pishkhan,
                region: RegionId::new(1).unwrap(),
                province: "تهران".into(),
                name: format!("دفتر {i}"),
                holder_national_code: NationalCode::from_prefix(7_622_964 + i).unwrap(),
            })
            .collect();
        let staff = [
            ("regulator", Role::Regulator, None),
            ("reviewer1", Role::Reviewer, Some(1)),
        ]
        .map(|(name, role, region)| accounts::DemoAccount {
            username: Username::parse(name).unwrap(),
            password_hash: None,
            role,
            region,
        });
        accounts::seed_demo(&app, &Actor::cli("test"), &offices, &staff)
            .await
            .unwrap();
        (app, dir)
    }

    async fn actor(app: &App, username: &str) -> Actor {
        Actor::user(&app.store.user_by_username(username).await.unwrap().unwrap())
    }

    async fn an_office_holder(app: &App) -> Actor {
        let office = app.store.offices(None).await.unwrap().remove(0);
        let holder = app.store.user_of_office(&office.id).await.unwrap().unwrap();
        Actor::user(&holder)
    }

    fn forbidden<T>(outcome: Result<T, AppError>) -> bool {
        matches!(outcome, Err(AppError::Forbidden(_)))
    }

    #[tokio::test]
    async fn commands_check_the_actors_role_themselves_so_no_front_end_can_skip_the_check() {
        let (app, _dir) = demo_app().await;
        let office = an_office_holder(&app).await;
        let regulator = actor(&app, "regulator").await;
        let reviewer = actor(&app, "reviewer1").await;
        let nothing = Map::new();
        let save = declarations::save(&app, &regulator, "1400-2", &nothing, None, Claim::default());
        assert!(forbidden(save.await));
        assert!(forbidden(
            publication::publish(&app, &office, "1400-2").await
        ));
        assert!(forbidden(
            accounts::import_offices(&app, &reviewer, &[]).await
        ));
        let reasons = Map::new();
        let refer = review::refer(
            &app,
            &regulator,
            "1400-2",
            "P-0001",
            &reasons,
            None,
            Claim::default(),
        );
        assert!(forbidden(refer.await));
        let new = accounts::NewAccount {
            username: "reviewer9".into(),
            password: Some("a-good-passphrase-1400".into()),
            role: Role::Reviewer,
            region: Some(1),
        };
        assert!(forbidden(
            accounts::create_user(&app, &regulator, new).await
        ));
        assert!(
            app.store
                .user_by_username("reviewer9")
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn a_committed_command_is_stored_with_its_audit_record_and_an_uncommitted_one_leaves_nothing()
     {
        let (app, _dir) = demo_app().await;
        let office = an_office_holder(&app).await;
        let id = office.office_id.clone().unwrap();
        let subject = format!("declaration:1400-2:{id}");
        let nothing = Map::new();
        let dropped = declarations::save(&app, &office, "1400-2", &nothing, None, Claim::default())
            .await
            .unwrap();
        assert_eq!(
            dropped.value().declaration.as_ref().map(|d| d.status),
            Some(DeclarationStatus::Draft)
        );
        drop(dropped);
        let round = RoundId::parse("1400-2").unwrap();
        assert_eq!(app.store.declaration(round, &id).await.unwrap(), None);
        assert!(
            app.store
                .audit_entries(Some(&subject), 10)
                .await
                .unwrap()
                .is_empty()
        );

        let saved = declarations::save(&app, &office, "1400-2", &nothing, None, Claim::default())
            .await
            .unwrap()
            .commit()
            .await
            .unwrap();
        let stored = app.store.declaration(round, &id).await.unwrap().unwrap();
        assert_eq!(Some(&stored), saved.declaration.as_ref());
        assert_eq!(stored.version, 1);
        let audit = app.store.audit_entries(Some(&subject), 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(
            (audit[0].actor.as_str(), audit[0].action.as_str()),
            (office.name(), "declaration_saved")
        );
    }
}
