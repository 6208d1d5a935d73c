//! Reading the audit log: every change through the API or the dashboard, newest first.

use store::audit::{self, AuditEntry};
use store::{Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

pub const MAX_PAGE: i64 = 200;

/// One page of entries older than `before` (an entry id), and the cursor for the next page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<String>,
}

pub async fn page(db: &Db, scope: &TenantScope, limit: i64, before: Option<&str>) -> Result<AuditPage, OpsError> {
    require(scope, Operation::ReadAuditLog)?;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(OpsError::validation("limit", format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    // One more than asked tells whether another page follows.
    let mut entries = audit::page(&mut tx, limit + 1, before).await?;
    tx.commit().await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_before = if more { entries.last().map(|e| e.id.clone()) } else { None };
    Ok(AuditPage { entries, next_before })
}
