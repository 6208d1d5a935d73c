//! The shop's connections to its own accounts (a mailbox today; Gmail, calendars, Stripe and
//! Twilio later): one row per provider per org. Credentials are stored only as the sealed text
//! the caller hands in, and never leave this module except to the one caller that opens them.

use serde_json::Value;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{new_id, now_ms, Db, StoreError, TenantScope, TenantTx};

/// A connection as the dashboard may show it: no credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub provider: String,
    /// `connected`, `error`, `pending` or `disconnected`.
    pub status: String,
    /// Which account: "shop@example.com".
    pub account: Option<String>,
    /// Non-secret settings (servers, ports, user names).
    pub config: Value,
    /// What went wrong last, in words for the owner.
    pub last_error: Option<String>,
    pub checked_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn from_row(row: &AnyRow) -> Result<Connection, StoreError> {
    Ok(Connection {
        provider: text(row, "provider")?,
        status: text(row, "status")?,
        account: opt_text(row, "account_label")?,
        config: serde_json::from_str(&text(row, "config")?)
            .map_err(|e| StoreError::corrupt(format!("column config: {e}")))?,
        last_error: opt_text(row, "last_error")?,
        checked_at: opt_int(row, "checked_at")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

const COLUMNS: &str = "provider, status, account_label, config, last_error, checked_at, created_at, updated_at";

/// Every connection of the org, by provider.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<Connection>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM integrations WHERE org_id = $1 ORDER BY provider"))
        .bind(&org)
        .fetch_all(tx.conn())
        .await?;
    rows.iter().map(from_row).collect()
}

/// The providers a shop's email goes through; it has at most one of them.
const EMAIL: &str = "'imap_smtp', 'gmail'";

/// The org's email connection with its sealed credentials, if it has one that is not
/// disconnected.
pub async fn email(tx: &mut TenantTx) -> Result<Option<(Connection, String)>, StoreError> {
    sealed(tx, EMAIL).await
}

/// The org's connection through one of `providers` (quoted SQL literals, from this crate only)
/// with its sealed credentials, if it has one that is not disconnected.
pub(crate) async fn sealed(tx: &mut TenantTx, providers: &str) -> Result<Option<(Connection, String)>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, credentials_sealed FROM integrations
         WHERE org_id = $1 AND provider IN ({providers}) AND status <> 'disconnected'
           AND credentials_sealed IS NOT NULL"
    ))
    .bind(&org)
    .fetch_optional(tx.conn())
    .await?;
    row.map(|row| Ok((from_row(&row)?, text(&row, "credentials_sealed")?))).transpose()
}

/// What a new or replaced connection holds.
#[derive(Debug, Clone)]
pub struct NewConnection<'a> {
    pub provider: &'a str,
    pub account: &'a str,
    pub config: &'a Value,
    pub sealed: &'a str,
    /// Where the squad starts reading the mailbox.
    pub cursor: Option<&'a str>,
}

/// Connects the org's email through `new`, replacing any email connection it had (of any
/// provider): a shop sends and receives through one mailbox.
pub async fn put_email(tx: &mut TenantTx, new: &NewConnection<'_>) -> Result<(), StoreError> {
    replace(tx, EMAIL, new).await
}

/// Stores `new` in place of the org's connection through any of `providers` (quoted SQL
/// literals, from this crate only).
pub(crate) async fn replace(tx: &mut TenantTx, providers: &str, new: &NewConnection<'_>) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    remove(tx, providers).await?;
    sqlx::query(
        "INSERT INTO integrations (id, org_id, provider, status, account_label, credentials_sealed, config,
                                   created_at, updated_at, checked_at, cursor)
         VALUES ($1, $2, $3, 'connected', $4, $5, $6, $7, $7, $7, $8)",
    )
    .bind(new_id().to_string())
    .bind(&org)
    .bind(new.provider)
    .bind(new.account)
    .bind(new.sealed)
    .bind(new.config.to_string())
    .bind(now)
    .bind(new.cursor)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Forgets the org's email connection and its credentials; whether there was one.
pub async fn delete_email(tx: &mut TenantTx) -> Result<bool, StoreError> {
    remove(tx, EMAIL).await
}

/// Forgets the org's connection through any of `providers` (quoted SQL literals, from this crate
/// only); whether there was one.
pub(crate) async fn remove(tx: &mut TenantTx, providers: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(&format!("DELETE FROM integrations WHERE org_id = $1 AND provider IN ({providers})"))
        .bind(&org)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Records how the connection fared when last used: `None` is healthy.
pub async fn set_health(tx: &mut TenantTx, provider: &str, error: Option<&str>) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let status = if error.is_some() { "error" } else { "connected" };
    sqlx::query(
        "UPDATE integrations SET status = $3, last_error = $4, checked_at = $5, updated_at = $5
         WHERE org_id = $1 AND provider = $2 AND status <> 'disconnected'",
    )
    .bind(&org)
    .bind(provider)
    .bind(status)
    .bind(error)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Where the squad stands in the org's mailbox (what `set_cursor` stored), if anywhere.
pub async fn cursor(tx: &mut TenantTx, provider: &str) -> Result<Option<String>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT cursor FROM integrations WHERE org_id = $1 AND provider = $2")
        .bind(&org)
        .bind(provider)
        .fetch_optional(tx.conn())
        .await?;
    Ok(match row {
        Some(row) => opt_text(&row, "cursor")?,
        None => None,
    })
}

/// Moves the squad's place in the org's mailbox on, in the transaction that took the mail in.
pub async fn set_cursor(tx: &mut TenantTx, provider: &str, cursor: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE integrations SET cursor = $3 WHERE org_id = $1 AND provider = $2")
        .bind(&org)
        .bind(provider)
        .bind(cursor)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Replaces the connection's sealed credentials (renewed tokens), in the caller's transaction.
pub async fn set_credentials(tx: &mut TenantTx, provider: &str, sealed: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE integrations SET credentials_sealed = $3, updated_at = $4
         WHERE org_id = $1 AND provider = $2 AND status <> 'disconnected'",
    )
    .bind(&org)
    .bind(provider)
    .bind(sealed)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The push door: every org whose connected Gmail is `address`, with a scope to act for it
/// (Google's notification names only the mailbox; what may be done for the org is the caller's
/// operation's to decide).
pub async fn gmail_orgs(db: &Db, address: &str) -> Result<Vec<TenantScope>, StoreError> {
    let mut tx = db.begin_door("app.gmail_push_lookup").await?;
    let rows = sqlx::query(
        "SELECT org_id FROM integrations
         WHERE provider = 'gmail' AND status <> 'disconnected' AND lower(account_label) = lower($1)",
    )
    .bind(address)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| {
            let org = domain::OrgId::parse(&text(row, "org_id")?).map_err(StoreError::corrupt)?;
            Ok(TenantScope::from_verified_credential(org, None, domain::Role::Staff))
        })
        .collect()
}
