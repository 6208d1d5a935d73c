//! Escalations: where an agent hands a decision to a person.

use domain::policy::Fallback;
use domain::squad::{EscalationStatus, TimeoutPolicy};
use domain::{LeadId, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, stored, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone)]
pub struct NewEscalation<'a> {
    pub lead_id: LeadId,
    pub run_id: Option<&'a str>,
    pub kind: &'a str,
    pub reason: &'a str,
    pub proposed_action: serde_json::Value,
}

pub async fn insert(tx: &mut TenantTx, new: &NewEscalation<'_>) -> Result<String, StoreError> {
    let id = new_id().to_string();
    let org = tx.org().to_owned();
    let now = now_ms();
    // What happens when nobody decides in time is the org's policy for this kind.
    let (timeout_at, policy) = match crate::settings::policies(tx).await?.timeout_for(new.kind) {
        Some(timeout) => (Some(now + timeout.after_hours * 3_600_000), TimeoutPolicy::from(timeout.fallback)),
        None => (None, TimeoutPolicy::Keep),
    };
    sqlx::query(
        "INSERT INTO escalations (id, org_id, lead_id, run_id, kind, reason, proposed_action, status, created_at,
                                  timeout_at, timeout_policy)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&id)
    .bind(&org)
    .bind(new.lead_id.to_string())
    .bind(new.run_id)
    .bind(new.kind)
    .bind(new.reason)
    .bind(serde_json::to_string(&new.proposed_action).map_err(StoreError::corrupt)?)
    .bind(EscalationStatus::Pending.as_str())
    .bind(now)
    .bind(timeout_at)
    .bind(policy.as_str())
    .execute(tx.conn())
    .await?;
    // The owners hear of it at once, by email, whatever raised it.
    let alert = domain::jobs::Job::AlertOwners(domain::jobs::AlertOwners { escalation_id: id.clone() });
    let job = crate::jobs::NewJob { job: alert, run_at: None, max_attempts: 8, idempotency_key: format!("alert:{id}") };
    crate::jobs::enqueue(tx, &job).await?;
    Ok(id)
}

/// A pending escalation past its timeout, with the scope of the org that owns it.
#[derive(Debug, Clone)]
pub struct DueEscalation {
    /// The worker acts for the org that owns the row it just read.
    pub scope: crate::TenantScope,
    pub id: String,
    pub fallback: Fallback,
}

pub async fn due_for_timeout(db: &crate::Db, limit: i64) -> Result<Vec<DueEscalation>, StoreError> {
    let mut tx = crate::WorkerTx::begin(db).await?;
    let rows = sqlx::query(
        "SELECT org_id, id, timeout_policy FROM escalations
         WHERE status = $1 AND timeout_at IS NOT NULL AND timeout_at <= $2 ORDER BY timeout_at LIMIT $3",
    )
    .bind(EscalationStatus::Pending.as_str())
    .bind(now_ms())
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| {
            let org = domain::OrgId::parse(&text(r, "org_id")?).map_err(StoreError::corrupt)?;
            let id = text(r, "id")?;
            Ok(DueEscalation {
                scope: crate::TenantScope::from_verified_credential(org, None, domain::Role::Owner),
                id: id.clone(),
                fallback: match stored(r, "timeout_policy", TimeoutPolicy::parse)? {
                    TimeoutPolicy::Approve => Fallback::Approve,
                    TimeoutPolicy::Reject => Fallback::Reject,
                    TimeoutPolicy::Keep => {
                        return Err(StoreError::corrupt(format!("escalation {id}: a timeout with nothing to apply")))
                    }
                },
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EscalationRow {
    pub id: String,
    pub lead_id: String,
    pub run_id: Option<String>,
    pub kind: String,
    pub reason: String,
    pub proposed_action: serde_json::Value,
    pub status: EscalationStatus,
    pub decision_note: Option<String>,
    /// When nobody decides: the fallback and its time.
    pub timeout_policy: TimeoutPolicy,
    pub timeout_at: Option<i64>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

impl EscalationRow {
    /// Approved by a person, or by a timeout whose fallback is to approve.
    pub fn is_approved(&self) -> bool {
        match self.status {
            EscalationStatus::Approved => true,
            EscalationStatus::Expired => self.timeout_policy == TimeoutPolicy::Approve,
            EscalationStatus::Pending | EscalationStatus::Rejected => false,
        }
    }
}

const COLUMNS: &str =
    "id, lead_id, run_id, kind, reason, proposed_action, status, decision_note, timeout_policy, timeout_at, created_at,
     decided_at";

fn from_row(row: &AnyRow) -> Result<EscalationRow, StoreError> {
    Ok(EscalationRow {
        id: text(row, "id")?,
        lead_id: text(row, "lead_id")?,
        run_id: opt_text(row, "run_id")?,
        kind: text(row, "kind")?,
        reason: text(row, "reason")?,
        proposed_action: serde_json::from_str(&text(row, "proposed_action")?).map_err(StoreError::corrupt)?,
        status: stored(row, "status", EscalationStatus::parse)?,
        decision_note: opt_text(row, "decision_note")?,
        timeout_policy: stored(row, "timeout_policy", TimeoutPolicy::parse)?,
        timeout_at: opt_int(row, "timeout_at")?,
        created_at: int(row, "created_at")?,
        decided_at: opt_int(row, "decided_at")?,
    })
}

/// Newest first, in one status.
pub async fn list(tx: &mut TenantTx, status: EscalationStatus, limit: i64) -> Result<Vec<EscalationRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("SELECT {COLUMNS} FROM escalations WHERE org_id = $1 AND status = $2 ORDER BY created_at DESC, id DESC LIMIT $3");
    let rows = sqlx::query(&sql).bind(&org).bind(status.as_str()).bind(limit).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(tx: &mut TenantTx, id: &str) -> Result<Option<EscalationRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("SELECT {COLUMNS} FROM escalations WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(&org).bind(id).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Records a decision on a pending escalation; `false` when it was no longer pending (decided
/// already, or timed out), so a decision is taken exactly once.
pub async fn decide(
    tx: &mut TenantTx,
    id: &str,
    approve: bool,
    note: Option<&str>,
    decided_by: Option<UserId>,
) -> Result<bool, StoreError> {
    let status = if approve { EscalationStatus::Approved } else { EscalationStatus::Rejected };
    decide_as(tx, id, status, note, decided_by).await
}

/// Like [`decide`] with the status to record (`expired` for a timeout).
pub async fn decide_as(
    tx: &mut TenantTx,
    id: &str,
    status: EscalationStatus,
    note: Option<&str>,
    decided_by: Option<UserId>,
) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE escalations SET status = $3, decision_note = $4, decided_by = $5, decided_at = $6
         WHERE org_id = $1 AND id = $2 AND status = $7",
    )
    .bind(&org)
    .bind(id)
    .bind(status.as_str())
    .bind(note)
    .bind(decided_by.map(|u| u.to_string()))
    .bind(now_ms())
    .bind(EscalationStatus::Pending.as_str())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A run's escalations, oldest first (guardrails look up their decisions here).
pub async fn for_run(tx: &mut TenantTx, run_id: &str) -> Result<Vec<EscalationRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("SELECT {COLUMNS} FROM escalations WHERE org_id = $1 AND run_id = $2 ORDER BY created_at, id");
    let rows = sqlx::query(&sql).bind(&org).bind(run_id).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// A lead's escalations still waiting for a person, oldest first.
pub async fn pending_for_lead(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<EscalationRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!(
        "SELECT {COLUMNS} FROM escalations WHERE org_id = $1 AND lead_id = $2 AND status = $3 ORDER BY created_at, id"
    );
    let rows = sqlx::query(&sql)
        .bind(&org)
        .bind(lead.to_string())
        .bind(EscalationStatus::Pending.as_str())
        .fetch_all(tx.conn())
        .await?;
    rows.iter().map(from_row).collect()
}
