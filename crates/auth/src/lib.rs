//! Credentials and how they are checked.
//!
//! - [`password`]: argon2id hashing of owner and staff passwords.
//! - [`api_key`]: per-org API keys, stored as SHA-256 hashes and shown once.
//! - [`jwt`]: short-lived tokens signed with a key ring (pinned algorithm, `kid` lookup, checked
//!   `iss`/`aud`/`exp`/`nbf`), one audience per kind of client.
//! - [`session_store`]: tower-sessions' store over the `sessions` table.
//! - [`accounts`]: sign-up and log-in built from the above.
//! - [`invite`]: the secrets in links that invite staff to an org.
//! - [`context`]: the verified `AuthCtx` every handler reads.
//! - [`throttle`]: per-action, per-client attempt limits (log-in, sign-up).

pub mod accounts;
pub mod api_key;
pub mod context;
pub mod invite;
pub mod jwt;
pub mod password;
pub mod session_store;
pub mod streams;
pub mod throttle;

/// The key under which a logged-in session keeps who it belongs to.
pub const SESSION_AUTH_KEY: &str = "auth";

/// What a browser session remembers about its user. The role is deliberately absent: it is read
/// from the database on every request so demotions take effect immediately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionAuth {
    pub org_id: domain::OrgId,
    pub user_id: domain::UserId,
}
