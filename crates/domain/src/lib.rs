//! Opsquad's domain vocabulary: typed ids, validated strings and roles.
//!
//! Everything here is "parse, don't validate": a value of these types is valid by construction,
//! and the only way to build one from outside input is `parse`/`TryFrom`. The crate is compiled
//! for the server and for the browser, so it stays free of I/O and heavy dependencies.

#[macro_use]
mod text_enum;

pub mod address;
pub mod billing;
pub mod booking_page;
pub mod catalog;
mod email;
mod ids;
pub mod inbound;
pub mod jobs;
mod names;
mod password;
pub mod pipeline;
pub mod policy;
mod role;
pub mod schedule;
pub mod setup;
pub mod squad;
pub mod widget;
pub mod work;

pub use email::{Email, EmailError};
pub use ids::{
    ApiKeyId, CustomerId, IdError, LeadId, MessageId, OrgId, ServiceId, TechnicianId, TimeOfferId, UserId,
    WidgetSessionId,
};
pub use names::{NameError, OrgName, PersonName};
pub use password::{Password, PasswordError, PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS};
pub use role::{KeyScope, Role, RoleError};
