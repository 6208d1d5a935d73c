use domain::{ApiKeyId, KeyScope, OrgId, Role, UserId};
use sqlx::{Any, Transaction};

use crate::{Backend, Db, StoreError};

/// Proof that a credential for one organisation was verified: a session, an API key or a token.
///
/// Only this crate builds one, and only inside a named door that has just proved the tenant: the
/// auth lookups ([`crate::AuthTx`]: a session's user, a log-in, an API key, a sign-up), the
/// worker's claims and sweeps (a claimed job, an escalation past its timeout), a pay or manage
/// link found by its hash, an org's enabled booking page (its owner published it for anyone), and
/// the [`crate::Operator`] acting from the command line. Repositories never accept a bare `OrgId`.
///
/// Code outside this crate cannot build one from an org id:
///
/// ```compile_fail
/// let org = domain::OrgId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a").unwrap();
/// let scope = store::TenantScope::from_verified_credential(org, None, domain::Role::Owner);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantScope {
    org_id: OrgId,
    user_id: Option<UserId>,
    api_key_id: Option<ApiKeyId>,
    role: Role,
    key_scope: KeyScope,
    /// Set when a claimed job acts: the attempt whose lease must still hold for its run's steps
    /// to commit.
    lease: Option<JobLease>,
}

/// One attempt at a job, by the number the claim gave it. Another instance that takes the job
/// over after the lease ran out gets a higher number, and from then on the older attempt's step
/// commits are refused (see `runs::append_step`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobLease {
    pub(crate) job_id: std::sync::Arc<str>,
    pub(crate) attempt: i64,
}

impl TenantScope {
    /// Call only after verifying a credential that belongs to `org_id`.
    pub(crate) fn from_verified_credential(org_id: OrgId, user_id: Option<UserId>, role: Role) -> Self {
        Self { org_id, user_id, api_key_id: None, role, key_scope: KeyScope::Full, lease: None }
    }

    /// Call only after verifying API key `key` (or a token minted from it) of `org_id`.
    pub(crate) fn from_verified_api_key(org_id: OrgId, key: ApiKeyId, role: Role, key_scope: KeyScope) -> Self {
        Self { org_id, user_id: None, api_key_id: Some(key), role, key_scope, lease: None }
    }

    /// What the acting API key may touch; `full` for people and operators.
    pub fn key_scope(&self) -> KeyScope {
        self.key_scope
    }

    /// The API key acting, when no person is.
    pub fn api_key_id(&self) -> Option<ApiKeyId> {
        self.api_key_id
    }

    pub fn org_id(&self) -> OrgId {
        self.org_id
    }

    /// The acting user; `None` for API keys and service tokens.
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// The same scope, acting as attempt `attempt` of job `job_id`.
    pub(crate) fn under_lease(mut self, job_id: &str, attempt: i64) -> Self {
        self.lease = Some(JobLease { job_id: job_id.into(), attempt });
        self
    }

    pub(crate) fn lease(&self) -> Option<&JobLease> {
        self.lease.as_ref()
    }
}

/// A transaction bound to one tenant. On PostgreSQL it sets `app.org_id` transaction-locally
/// (`set_config(…, true)`), which the row-level-security policies read; every repository query
/// also filters by `org_id` itself.
pub struct TenantTx {
    tx: Transaction<'static, Any>,
    scope: TenantScope,
    org: String,
    backend: Backend,
    /// Rung after a writing transaction commits, for the org's live streams.
    changes: Option<std::sync::Arc<crate::changes::Changes>>,
    /// The org's settings as this transaction read them: many steps of one business operation
    /// (openings, reminders, the confirmation) read them, and only `settings::put` changes them.
    pub(crate) settings: Option<Box<domain::catalog::BusinessSettings>>,
}

impl TenantTx {
    /// A transaction that may write (on SQLite it takes the write lock up front; see [`Db::begin`]).
    pub async fn begin(db: &Db, scope: &TenantScope) -> Result<Self, StoreError> {
        Self::scoped(db.begin().await?, db, scope, true).await
    }

    /// A transaction that only reads: it never takes SQLite's one write lock, so any number of
    /// readers (pages, API reads, live event streams) never hold up a writer. On PostgreSQL it is
    /// `READ ONLY`, so a write through it fails loudly instead of slipping past this contract.
    pub async fn read(db: &Db, scope: &TenantScope) -> Result<Self, StoreError> {
        Self::scoped(db.begin_read().await?, db, scope, false).await
    }

    async fn scoped(
        mut tx: Transaction<'static, Any>,
        db: &Db,
        scope: &TenantScope,
        writes: bool,
    ) -> Result<Self, StoreError> {
        let org = scope.org_id.to_string();
        match (db.backend(), writes) {
            // The notice goes out to every instance if and when this transaction commits.
            (Backend::Postgres, true) => {
                sqlx::query("SELECT set_config('app.org_id', $1, true), pg_notify($2, $1)")
                    .bind(&org)
                    .bind(crate::changes::CHANNEL)
                    .execute(&mut *tx)
                    .await?;
            }
            (Backend::Postgres, false) => {
                sqlx::query("SELECT set_config('app.org_id', $1, true)").bind(&org).execute(&mut *tx).await?;
            }
            (Backend::Sqlite, _) => {}
        }
        let changes = writes.then(|| db.changes_handle());
        Ok(Self { tx, scope: scope.clone(), org, backend: db.backend(), changes, settings: None })
    }

    pub fn scope(&self) -> &TenantScope {
        &self.scope
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// The org id as stored, for binding.
    pub(crate) fn org(&self) -> &str {
        &self.org
    }

    /// The underlying connection. Row-level security still applies on PostgreSQL; exposed for the
    /// repositories and for tests that check the database's own walls with raw SQL.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Makes this org's transactions that do `what` take turns until this one ends: on PostgreSQL
    /// a transaction-scoped advisory lock on the org and `what`; SQLite's writers already take turns.
    /// For what reads and then writes on what it read (the next invoice number, a free opening).
    pub async fn take_turns(&mut self, what: &'static str) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2))")
                .bind(what)
                .bind(&self.org)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        if let Some(changes) = self.changes {
            changes.ring(&self.org);
        }
        Ok(())
    }
}
