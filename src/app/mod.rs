//! The application layer: every state change of a round is one command here. A command checks the
//! phase, the actor's role and scope, writes, records the audit entry and commits, in one
//! transaction. The JSON API, the CLI (`import`, demo seeding) and the pages to come call the same
//! commands, so none of them can skip a check; they only parse their input and map the outcome.

pub mod accounts;
pub mod declarations;
pub mod population;
pub mod publication;
pub mod review;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::domain::{Label, OfficeId, Role, RoundId};
use crate::rules::RuleSet;
use crate::rules::budget::Budget;
use crate::rules::registry::Registry;
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
            publication_hook: Arc::default(),
        }
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
                format!("دوره `{round}` وجود ندارد"),
                e.to_string(),
            ))
        })?;
        self.rules.get(id).ok_or_else(|| {
            AppError::NotFound(Label::new(
                format!("دوره {round} تعریف نشده است"),
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
        Err(AppError::Forbidden(Label::new(
            "شما اجازه این کار را ندارید",
            format!(
                "a {} may not do this (allowed: {})",
                self.role.as_str(),
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
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
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure that is nobody's input: logged, never shown.
    #[error("{0}")]
    Internal(String),
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
}

impl From<Vec<crate::rules::value::FieldError>> for AppError {
    fn from(errors: Vec<crate::rules::value::FieldError>) -> Self {
        AppError::Refused(WorkflowError::Fields(errors))
    }
}

/// A client's claim on an idempotency key for one write (none: an ordinary write).
#[derive(Clone, Debug, Default)]
pub struct Claim(pub Option<KeyedRequest>);

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
