//! The org's audit log: who changed its set-up, when, and to what. Written in the same
//! transaction as the change it records, so a change is never saved without its entry.

use serde::Serialize;

use crate::rows::{int, opt_text, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: String,
    /// Who made the change; `None` for the squad or a removed member.
    pub user_id: Option<String>,
    pub user_email: Option<String>,
    pub action: String,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

/// Records `action` by the transaction's user.
pub async fn record(tx: &mut TenantTx, action: &str, detail: &serde_json::Value) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let user = tx.scope().user_id().map(|u| u.to_string());
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, user_id, action, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id().to_string())
    .bind(&org)
    .bind(user)
    .bind(action)
    .bind(detail.to_string())
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The newest entries first.
pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT a.id, a.user_id, u.email, a.action, a.detail, a.created_at
         FROM audit_log a LEFT JOIN users u ON u.org_id = a.org_id AND u.id = a.user_id
         WHERE a.org_id = $1 ORDER BY a.created_at DESC, a.id DESC LIMIT $2",
    )
    .bind(&org)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                id: text(row, "id")?,
                user_id: opt_text(row, "user_id")?,
                user_email: opt_text(row, "email")?,
                action: text(row, "action")?,
                detail: serde_json::from_str(&text(row, "detail")?).map_err(StoreError::corrupt)?,
                created_at: int(row, "created_at")?,
            })
        })
        .collect()
}
