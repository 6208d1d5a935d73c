//! Resetting a forgotten password through a link emailed to the account's address. Both
//! asking for a link and using it happen before any tenant is known, so they go through
//! [`AuthTx`]; what they write, they write inside the person's org.

use domain::{Email, OrgId, UserId};

use crate::rows::{opt_text, text, uuid};
use crate::{now_ms, AuthTx, Db, StoreError};

/// How long a reset link works.
pub const VALID_FOR_MS: i64 = 60 * 60 * 1000;

/// Whose password a new link resets, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetFor {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
}

/// Records a link for the active member whose address is `email`; earlier unused links stop
/// working. `None` when no such member exists (nothing is written).
pub async fn create(db: &Db, email: &Email, token_hash: &str) -> Result<Option<ResetFor>, StoreError> {
    let mut tx = AuthTx::begin(db).await?;
    let Some(user) = sqlx::query(
        "SELECT id, org_id, email, name FROM users
         WHERE email = $1 AND disabled_at IS NULL",
    )
    .bind(email.canonical())
    .fetch_optional(tx.conn())
    .await?
    else {
        tx.commit().await?;
        return Ok(None);
    };
    let found = ResetFor {
        org_id: OrgId::from_uuid(uuid(&user, "org_id")?),
        user_id: UserId::from_uuid(uuid(&user, "id")?),
        email: text(&user, "email")?,
        name: opt_text(&user, "name")?,
    };
    let (org, user_id, now) = (found.org_id.to_string(), found.user_id.to_string(), now_ms());
    tx.enter_org(&org).await?;
    sqlx::query("UPDATE password_resets SET expires_at = $3 WHERE org_id = $1 AND user_id = $2 AND used_at IS NULL")
        .bind(&org)
        .bind(&user_id)
        .bind(now)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, org_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(&org)
    .bind(&user_id)
    .bind(now)
    .bind(now + VALID_FOR_MS)
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(Some(found))
}

/// Uses the link behind `token_hash` once: the person's password becomes `password_hash`, every
/// session of theirs ends, and their address counts as confirmed (the link proved it is theirs,
/// which lets the address's real owner take back an account someone else opened with it). `None` when the link is unknown, used, replaced or expired, or
/// the person was removed.
pub async fn reset(db: &Db, token_hash: &str, password_hash: &str) -> Result<Option<(OrgId, UserId)>, StoreError> {
    let now = now_ms();
    let mut tx = AuthTx::begin(db).await?;
    let Some(used) = sqlx::query(
        "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
         RETURNING org_id, user_id",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(tx.conn())
    .await?
    else {
        tx.commit().await?;
        return Ok(None);
    };
    let org_id = OrgId::from_uuid(uuid(&used, "org_id")?);
    let user_id = UserId::from_uuid(uuid(&used, "user_id")?);
    let (org, user) = (org_id.to_string(), user_id.to_string());
    tx.enter_org(&org).await?;
    let changed = sqlx::query(
        "UPDATE users SET password_hash = $3, email_confirmed_at = COALESCE(email_confirmed_at, $4)
             WHERE org_id = $1 AND id = $2 AND disabled_at IS NULL",
    )
    .bind(&org)
    .bind(&user)
    .bind(password_hash)
    .bind(now)
    .execute(tx.conn())
    .await?;
    if changed.rows_affected() != 1 {
        tx.commit().await?;
        return Ok(None);
    }
    sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
        .bind(&org)
        .bind(&user)
        .execute(tx.conn())
        .await?;
    let detail = serde_json::json!({ "user_id": user });
    crate::audit::insert(tx.conn(), &org, Some(user.clone()), None, "password reset by email", &detail).await?;
    tx.commit().await?;
    Ok(Some((org_id, user_id)))
}
