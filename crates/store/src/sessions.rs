//! Browser sessions. Rows are keyed by the SHA-256 of the session id, never the id itself, so a
//! leaked database does not hand out live cookies.

use domain::{OrgId, UserId};

use crate::rows::{int, text};
use crate::{now_ms, AuthTx, StoreError, TenantTx};

#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub org_id: OrgId,
    pub user_id: UserId,
    pub data: String,
    pub expires_at: i64,
}

pub async fn exists(tx: &mut AuthTx, id_hash: &str) -> Result<bool, StoreError> {
    let row =
        sqlx::query("SELECT 1 AS one FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(tx.conn()).await?;
    Ok(row.is_some())
}

pub async fn save(tx: &mut AuthTx, id_hash: &str, record: &SessionRecord) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, org_id, user_id, data, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
    )
    .bind(id_hash)
    .bind(record.org_id.to_string())
    .bind(record.user_id.to_string())
    .bind(&record.data)
    .bind(record.expires_at)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The session's data if it exists and has not expired.
pub async fn load(tx: &mut AuthTx, id_hash: &str) -> Result<Option<(String, i64)>, StoreError> {
    let row = sqlx::query("SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
        .bind(id_hash)
        .bind(now_ms())
        .fetch_optional(tx.conn())
        .await?;
    row.map(|row| Ok((text(&row, "data")?, int(&row, "expires_at")?))).transpose()
}

pub async fn delete(tx: &mut AuthTx, id_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(tx.conn()).await?;
    Ok(())
}

/// Signs a user out everywhere (password change, removal from the team).
pub async fn delete_for_user(tx: &mut TenantTx, user_id: UserId) -> Result<u64, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_expired(tx: &mut AuthTx) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now_ms()).execute(tx.conn()).await?;
    Ok(done.rows_affected())
}
