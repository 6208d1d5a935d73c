//! Manage links: private, expiring, single-use links that let a customer see and change their
//! booking. Only the SHA-256 of a link's token is stored, and the token is minted when the message
//! carrying the link is delivered ([`set_token`]).

use domain::{CustomerId, LeadId, OrgId};

use crate::rows::{int, opt_int, text, uuid};
use crate::{new_id, now_ms, Db, StoreError, TenantScope, TenantTx};

/// A link found by its token: the tenant it belongs to and what it opens.
#[derive(Debug, Clone)]
pub struct ManageLink {
    /// The org that owns the link; the page acts for it and for nothing else.
    pub scope: TenantScope,
    pub id: String,
    pub customer_id: CustomerId,
    /// The lead whose booking the link was sent about; a message from the page continues it.
    pub lead_id: LeadId,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl ManageLink {
    /// Not expired and not used yet.
    pub fn is_open(&self, now: i64) -> bool {
        self.used_at.is_none() && now < self.expires_at
    }
}

pub async fn insert(
    tx: &mut TenantTx,
    customer: CustomerId,
    lead: LeadId,
    token_hash: &str,
    expires_at: i64,
) -> Result<String, StoreError> {
    let id = new_id().to_string();
    let org = tx.org().to_owned();
    sqlx::query(
        "INSERT INTO manage_links (id, org_id, customer_id, lead_id, token_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(&org)
    .bind(customer.to_string())
    .bind(lead.to_string())
    .bind(token_hash)
    .bind(now_ms())
    .bind(expires_at)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Whether the customer was sent a link that is still open and was created after `since`
/// (so a stranger repeating a message does not flood the real customer with links).
pub async fn open_since(tx: &mut TenantTx, customer: CustomerId, since: i64) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM manage_links
         WHERE org_id = $1 AND customer_id = $2 AND created_at >= $3 AND used_at IS NULL AND expires_at > $4",
    )
    .bind(&org)
    .bind(customer.to_string())
    .bind(since)
    .bind(now_ms())
    .fetch_one(tx.conn())
    .await?;
    Ok(int(&row, "n")? > 0)
}

/// The manage page's door: the link whose token hashes to `token_hash`, if any.
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<ManageLink>, StoreError> {
    let mut tx = db.begin_door("app.manage_lookup").await?;
    let row = sqlx::query(
        "SELECT id, org_id, customer_id, lead_id, expires_at, used_at FROM manage_links WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    row.map(|row| {
        let org = OrgId::from_uuid(uuid(&row, "org_id")?);
        Ok(ManageLink {
            scope: TenantScope::from_verified_credential(org, None, domain::Role::Staff),
            id: text(&row, "id")?,
            customer_id: CustomerId::from_uuid(uuid(&row, "customer_id")?),
            lead_id: LeadId::from_uuid(uuid(&row, "lead_id")?),
            expires_at: int(&row, "expires_at")?,
            used_at: opt_int(&row, "used_at")?,
        })
    })
    .transpose()
}

/// Gives the link the token its message is being delivered with (a retried delivery replaces the
/// token the failed attempt minted). False when the link is gone.
pub async fn set_token(tx: &mut TenantTx, id: &str, token_hash: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("UPDATE manage_links SET token_hash = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id)
        .bind(token_hash)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Uses the link up; `false` when it was already used or has expired, so it acts exactly once.
pub async fn spend(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE manage_links SET used_at = $3 WHERE org_id = $1 AND id = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(&org)
    .bind(id)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
