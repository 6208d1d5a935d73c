//! The squad's memory: four layers, each with its retention, all org-scoped.

use domain::{CustomerId, LeadId};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{new_id, now_ms, Db, StoreError, TenantTx};

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// Learned preferences: permanent until the owner deletes them.
    Preference,
    /// What the squad learned about a customer's jobs: 120 days.
    History,
    /// One summary per run: 120 days.
    SessionSummary,
    /// Edge cases and how they ended: 365 days.
    Issue,
}

impl Layer {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Preference => "preference",
            Self::History => "history",
            Self::SessionSummary => "session_summary",
            Self::Issue => "issue",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Preference, Self::History, Self::SessionSummary, Self::Issue].into_iter().find(|l| l.as_str() == value)
    }

    /// How long an entry of this layer is kept.
    pub const fn retention_days(self) -> Option<i64> {
        match self {
            Self::Preference => None,
            Self::History | Self::SessionSummary => Some(120),
            Self::Issue => Some(365),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewMemory<'a> {
    pub layer: Layer,
    pub customer_id: Option<CustomerId>,
    pub lead_id: Option<LeadId>,
    /// For preferences: one value per (customer, key); a new value replaces the old.
    pub key: Option<&'a str>,
    pub content: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoryRow {
    pub id: String,
    pub layer: String,
    pub customer_id: Option<String>,
    pub lead_id: Option<String>,
    pub key: Option<String>,
    pub content: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

const COLUMNS: &str = "id, layer, customer_id, lead_id, key, content, created_at, expires_at";

fn from_row(row: &AnyRow) -> Result<MemoryRow, StoreError> {
    Ok(MemoryRow {
        id: text(row, "id")?,
        layer: text(row, "layer")?,
        customer_id: opt_text(row, "customer_id")?,
        lead_id: opt_text(row, "lead_id")?,
        key: opt_text(row, "key")?,
        content: text(row, "content")?,
        created_at: int(row, "created_at")?,
        expires_at: opt_int(row, "expires_at")?,
    })
}

pub async fn remember(tx: &mut TenantTx, new: &NewMemory<'_>) -> Result<String, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    if let (Layer::Preference, Some(key)) = (new.layer, new.key) {
        sqlx::query(
            "DELETE FROM memories WHERE org_id = $1 AND layer = 'preference' AND key = $2 AND customer_id = $3",
        )
        .bind(&org)
        .bind(key)
        .bind(new.customer_id.map(|c| c.to_string()))
        .execute(tx.conn())
        .await?;
    }
    let id = new_id().to_string();
    sqlx::query(
        "INSERT INTO memories (id, org_id, layer, customer_id, lead_id, key, content, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(&org)
    .bind(new.layer.as_str())
    .bind(new.customer_id.map(|c| c.to_string()))
    .bind(new.lead_id.map(|l| l.to_string()))
    .bind(new.key)
    .bind(new.content.chars().take(1000).collect::<String>())
    .bind(now)
    .bind(new.layer.retention_days().map(|d| now + d * DAY_MS))
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// What the squad knows about a customer, newest first (unexpired only).
pub async fn for_customer(tx: &mut TenantTx, customer: CustomerId, limit: i64) -> Result<Vec<MemoryRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!(
        "SELECT {COLUMNS} FROM memories WHERE org_id = $1 AND customer_id = $2 AND (expires_at IS NULL OR expires_at > $3)
         ORDER BY created_at DESC, id DESC LIMIT $4"
    );
    let rows =
        sqlx::query(&sql).bind(&org).bind(customer.to_string()).bind(now_ms()).bind(limit).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Entries in a layer (or all), newest first, optionally containing `query` (case-insensitive).
/// Whose memories a search may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Everything the org remembers: the owner's view (dashboard, API).
    Org,
    /// One customer's entries and the business's own preferences (entries about no customer):
    /// all a run of the squad may read, so no text in a run can pull out another customer's notes.
    Customer(CustomerId),
}

pub async fn search(
    tx: &mut TenantTx,
    reach: Reach,
    layer: Option<Layer>,
    query: Option<&str>,
    limit: i64,
) -> Result<Vec<MemoryRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!(
        "SELECT {COLUMNS} FROM memories WHERE org_id = $1 AND ($2 = '' OR layer = $2)
           AND ($3 = '' OR LOWER(content) LIKE $3 ESCAPE '\\') AND (expires_at IS NULL OR expires_at > $4)
           AND ($6 = '' OR customer_id = $6 OR (customer_id IS NULL AND layer = $7))
         ORDER BY created_at DESC, id DESC LIMIT $5"
    );
    // Match the text literally: LIKE's wildcards in the query are escaped.
    let pattern = query
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
        .unwrap_or_default();
    let rows = sqlx::query(&sql)
        .bind(&org)
        .bind(layer.map_or("", Layer::as_str))
        .bind(pattern)
        .bind(now_ms())
        .bind(limit)
        .bind(match reach {
            Reach::Org => String::new(),
            Reach::Customer(customer) => customer.to_string(),
        })
        .bind(Layer::Preference.as_str())
        .fetch_all(tx.conn())
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM memories WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Retention: removes every expired entry, across tenants.
pub async fn sweep_expired(db: &Db) -> Result<u64, StoreError> {
    let mut tx = crate::WorkerTx::begin(db).await?;
    let done = sqlx::query("DELETE FROM memories WHERE expires_at IS NOT NULL AND expires_at <= $1")
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
