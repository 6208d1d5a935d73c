//! The business operations: what an owner, a staff member or an API caller can do to an org, one
//! function each. Every operation opens its own tenant transaction, checks the actor's role
//! against [`permissions`], validates, makes the change, writes its audit entry and enqueues what
//! follows — all in that one transaction. The REST API and the dashboard's server functions are
//! thin adapters over these functions: parse, call, map the error.

pub mod account;
pub mod account_mail;
pub mod api_keys;
pub mod appointments;
pub mod audit;
pub mod booking_page;
pub mod calendars;
pub mod catalog;
pub mod conversations;
pub mod customers;
mod error;
pub mod escalations;
pub mod gmail;
pub mod inbound;
pub mod integrations;
pub mod invoices;
pub mod mail_inbox;
pub mod manage;
pub mod memory;
pub mod owner_alerts;
pub mod owner_summary;
pub mod payments;
pub mod permissions;
pub mod settings;
pub mod setup;
pub mod stripe;
pub mod team;
pub mod texts;
pub mod widget;

pub use error::OpsError;
pub use permissions::Operation;
