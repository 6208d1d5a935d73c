//! Confirming that a person's email address is theirs. A link is created inside the tenant and
//! sent to the address; opening it happens before any tenant is known, so using it goes through
//! [`AuthTx`], keyed by the hash of the link's secret. An address counts as confirmed only while
//! it is still the one the link was sent to.

use domain::{OrgId, UserId};
use serde::Serialize;

use crate::rows::{int, opt_int, opt_text, text, uuid};
use crate::{now_ms, AuthTx, StoreError, TenantTx};

/// How long a confirmation link works.
pub const VALID_FOR_MS: i64 = 48 * 60 * 60 * 1000;

/// Where a person's address stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailStatus {
    pub email: String,
    pub confirmed_at: Option<i64>,
    /// The newest link sent for the current address, if any.
    pub last_link: Option<LinkSending>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkSending {
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// Why it could not be sent, in words for the person.
    pub send_error: Option<String>,
}

/// Records a new link for `user_id`'s current address; earlier unused links stop working, so
/// only the newest one in the inbox does anything.
pub async fn create(tx: &mut TenantTx, user_id: UserId, email: &str, token_hash: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "UPDATE email_confirmations SET expires_at = $3 WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL",
    )
    .bind(&org)
    .bind(user_id.to_string())
    .bind(now)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO email_confirmations (token_hash, org_id, user_id, email, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(&org)
    .bind(user_id.to_string())
    .bind(email)
    .bind(now)
    .bind(now + VALID_FOR_MS)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records how sending the link went.
pub async fn record_sending(tx: &mut TenantTx, token_hash: &str, error: Option<&str>) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let sent_at = error.is_none().then(now_ms);
    sqlx::query("UPDATE email_confirmations SET sent_at = $3, send_error = $4 WHERE org_id = $1 AND token_hash = $2")
        .bind(&org)
        .bind(token_hash)
        .bind(sent_at)
        .bind(error)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The person's address, whether it is confirmed, and how the newest link for it went.
pub async fn status(tx: &mut TenantTx, user_id: UserId) -> Result<Option<EmailStatus>, StoreError> {
    let org = tx.org().to_owned();
    let Some(user) = sqlx::query("SELECT email, email_confirmed_at FROM users WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .fetch_optional(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let email = text(&user, "email")?;
    let link = sqlx::query(
        "SELECT created_at, sent_at, send_error FROM email_confirmations
         WHERE org_id = $1 AND user_id = $2 AND email = $3 ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&org)
    .bind(user_id.to_string())
    .bind(&email)
    .fetch_optional(tx.conn())
    .await?;
    let last_link = link
        .map(|row| {
            Ok::<_, StoreError>(LinkSending {
                created_at: int(&row, "created_at")?,
                sent_at: opt_int(&row, "sent_at")?,
                send_error: opt_text(&row, "send_error")?,
            })
        })
        .transpose()?;
    Ok(Some(EmailStatus { email, confirmed_at: opt_int(&user, "email_confirmed_at")?, last_link }))
}

/// Marks an address confirmed without a link: the operator vouched for it (the CLI, the demo).
pub async fn confirm_directly(tx: &mut TenantTx, user_id: UserId) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE users SET email_confirmed_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Confirmed {
    pub org_id: OrgId,
    pub user_id: UserId,
}

/// Uses the link behind `token_hash` once: its address becomes confirmed, if it is still the
/// person's address. `None` when the link is unknown, used, replaced or expired, or the person
/// has changed their address since.
pub async fn confirm(tx: &mut AuthTx, token_hash: &str) -> Result<Option<Confirmed>, StoreError> {
    let now = now_ms();
    let Some(used) = sqlx::query(
        "UPDATE email_confirmations SET used_at = $2
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING org_id, user_id, email",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(tx.conn())
    .await?
    else {
        return Ok(None);
    };
    let org_id = OrgId::from_uuid(uuid(&used, "org_id")?);
    let user_id = UserId::from_uuid(uuid(&used, "user_id")?);
    let org = org_id.to_string();
    tx.enter_org(&org).await?;
    let done = sqlx::query(
        "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, $4)
         WHERE org_id = $1 AND id = $2 AND email = $3 AND disabled_at IS NULL",
    )
    .bind(&org)
    .bind(user_id.to_string())
    .bind(text(&used, "email")?)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok((done.rows_affected() == 1).then_some(Confirmed { org_id, user_id }))
}
