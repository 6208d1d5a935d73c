//! Opsquad's data layer: one set of repositories over SQLite (the embedded default) and
//! PostgreSQL (for scale), chosen by the database URL's scheme.
//!
//! Tenant data is reachable only through a [`TenantTx`], which can only be opened from a
//! [`TenantScope`] — the proof that a credential for that organisation was verified. On PostgreSQL
//! every tenant table additionally has forced row-level security, so a query that forgot its
//! `org_id` filter still sees only the current tenant's rows.
//!
//! The few lookups that must happen *before* the tenant is known (log-in by email, API key by hash,
//! session by id, sign-up) go through the separately named [`AuthTx`]; the worker's cross-tenant
//! claims and sweeps through [`WorkerTx`]; a pay link's lookup through `pay_links::find`;
//! the command line through [`Operator`]. Each hands out a [`TenantScope`] only for the tenant it
//! just proved.

mod auth_tx;
mod db;
mod error;
mod operator;
mod rows;
mod tenant;
mod worker_tx;

pub mod api_keys;
pub mod appointments;
pub mod audit;
pub mod booking_pages;
pub mod calendars;
pub mod calls;
pub mod changes;
pub mod customers;
pub mod email_confirmations;
pub mod escalations;
pub mod events;
pub mod integrations;
pub mod invitations;
pub mod invoices;
pub mod jobs;
pub mod leads;
pub mod manage_links;
pub mod memories;
pub mod orgs;
pub mod password_resets;
pub mod pay_links;
pub mod payments;
pub mod reports;
pub mod runs;
pub mod services;
pub mod sessions;
pub mod settings;
pub mod side_effects;
pub mod slot_holds;
pub mod stripe;
pub mod technicians;
pub mod texts;
pub mod time_offers;
pub mod users;
pub mod widgets;
pub mod work_kinds;

pub use auth_tx::AuthTx;
pub use db::{Backend, Db, DbOptions};
pub use error::{error_chain_fmt, StoreError};
pub use operator::Operator;
pub use tenant::{TenantScope, TenantTx};
pub use worker_tx::WorkerTx;

/// How far this process's clock is set from the system's (see [`set_clock`]).
static CLOCK_OFFSET_MS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn system_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Milliseconds since the Unix epoch: the one timestamp representation both backends share, and
/// the clock every business rule reads.
pub fn now_ms() -> i64 {
    system_ms().saturating_add(CLOCK_OFFSET_MS.load(std::sync::atomic::Ordering::Relaxed))
}

/// Sets this process's clock to read `start_ms` now and run on from there: how an end-to-end test
/// books across a daylight-saving change on any day it runs. Production refuses it; credentials
/// (sessions, tokens) keep the system's clock.
pub fn set_clock(start_ms: i64) {
    CLOCK_OFFSET_MS.store(start_ms.saturating_sub(system_ms()), std::sync::atomic::Ordering::Relaxed);
}

/// A new random, time-ordered id (UUID v7) as stored in the database.
pub(crate) fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}
