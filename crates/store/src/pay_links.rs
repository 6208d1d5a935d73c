//! Pay links: the customer's private way to an invoice. Only the SHA-256 of a link's token is
//! stored; the link itself exists only in the message that carried it (minted at delivery) or in
//! the answer to the person who asked for one.

use domain::{MessageId, OrgId};

use crate::rows::{int, text, uuid};
use crate::{new_id, now_ms, Db, StoreError, TenantScope, TenantTx};

/// A link found by its token: it acts for its org, on that invoice only.
#[derive(Debug, Clone)]
pub struct PayLink {
    pub scope: TenantScope,
    pub invoice_id: String,
    pub expires_at: i64,
}

/// Stores a new link's hash. A link minted for `message` replaces the one an earlier delivery
/// attempt of that message minted, whose token was never seen by anyone.
pub async fn issue(
    tx: &mut TenantTx,
    invoice_id: &str,
    message: Option<MessageId>,
    token_hash: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    if let Some(message) = message {
        sqlx::query("DELETE FROM pay_links WHERE org_id = $1 AND message_id = $2")
            .bind(&org)
            .bind(message.to_string())
            .execute(tx.conn())
            .await?;
    }
    sqlx::query(
        "INSERT INTO pay_links (id, org_id, invoice_id, message_id, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id().to_string())
    .bind(&org)
    .bind(invoice_id)
    .bind(message.map(|m| m.to_string()))
    .bind(token_hash)
    .bind(now_ms())
    .bind(expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The pay page's door: the link whose token hashes to `token_hash`, if any. On PostgreSQL it
/// runs under `app.pay_lookup`, which may read `pay_links` and nothing else.
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<PayLink>, StoreError> {
    let mut tx = db.begin_door("app.pay_lookup").await?;
    let row = sqlx::query("SELECT org_id, invoice_id, expires_at FROM pay_links WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|row| {
        let org = OrgId::from_uuid(uuid(&row, "org_id")?);
        Ok(PayLink {
            scope: TenantScope::from_verified_credential(org, None, domain::Role::Staff),
            invoice_id: text(&row, "invoice_id")?,
            expires_at: int(&row, "expires_at")?,
        })
    })
    .transpose()
}
