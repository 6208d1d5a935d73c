//! The org's audit log: who changed its set-up, when, and to what. Written in the same
//! transaction as the change it records, so a change is never saved without its entry.

use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: String,
    /// Who made the change; `None` for the squad or a removed member.
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    /// The API key that made the change when no person did.
    pub api_key_id: Option<String>,
    pub api_key_name: Option<String>,
    pub action: String,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

/// Records `action` by the transaction's actor (its user or API key; neither for the squad).
pub async fn record(tx: &mut TenantTx, action: &str, detail: &serde_json::Value) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let user = tx.scope().user_id().map(|u| u.to_string());
    let key = tx.scope().api_key_id().map(|k| k.to_string());
    insert(tx.conn(), &org, user, key, action, detail).await
}

/// The entry itself, for the auth door's own writes too (a sign-up, a member joining), which
/// happen before any tenant transaction exists.
pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    org: &str,
    user: Option<String>,
    key: Option<String>,
    action: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, user_id, api_key_id, action, detail, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id().to_string())
    .bind(org)
    .bind(user)
    .bind(key)
    .bind(action)
    .bind(detail.to_string())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

const SELECT: &str =
    "SELECT a.id, a.user_id, u.email, a.api_key_id, k.name AS key_name, a.action, a.detail, a.created_at
     FROM audit_log a
     LEFT JOIN users u ON u.org_id = a.org_id AND u.id = a.user_id
     LEFT JOIN api_keys k ON k.org_id = a.org_id AND k.id = a.api_key_id";

fn entry(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        id: text(row, "id")?,
        user_id: opt_text(row, "user_id")?,
        user_email: opt_text(row, "email")?,
        api_key_id: opt_text(row, "api_key_id")?,
        api_key_name: opt_text(row, "key_name")?,
        action: text(row, "action")?,
        detail: serde_json::from_str(&text(row, "detail")?)
            .map_err(|e| StoreError::corrupt(format!("audit entry detail: {e}")))?,
        created_at: int(row, "created_at")?,
    })
}

/// The newest entries first.
pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    page(tx, limit, None).await
}

/// Up to `limit` entries, newest first, older than the entry `before` when given (a cursor that
/// stays stable while new entries arrive). An unknown `before` yields nothing.
pub async fn page(tx: &mut TenantTx, limit: i64, before: Option<&str>) -> Result<Vec<AuditEntry>, StoreError> {
    let org = tx.org().to_owned();
    let rows = match before {
        None => {
            let sql = format!("{SELECT} WHERE a.org_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2");
            sqlx::query(&sql).bind(&org).bind(limit).fetch_all(tx.conn()).await?
        }
        Some(cursor) => {
            let sql = format!(
                "{SELECT}
                 JOIN audit_log c ON c.org_id = a.org_id AND c.id = $3
                 WHERE a.org_id = $1
                   AND (a.created_at < c.created_at OR (a.created_at = c.created_at AND a.id < c.id))
                 ORDER BY a.created_at DESC, a.id DESC LIMIT $2"
            );
            sqlx::query(&sql).bind(&org).bind(limit).bind(cursor).fetch_all(tx.conn()).await?
        }
    };
    rows.iter().map(entry).collect()
}
