//! Escalations: where an agent hands a decision to a person.

use domain::LeadId;

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
    sqlx::query(
        "INSERT INTO escalations (id, org_id, lead_id, run_id, kind, reason, proposed_action, status, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
    )
    .bind(&id)
    .bind(&org)
    .bind(new.lead_id.to_string())
    .bind(new.run_id)
    .bind(new.kind)
    .bind(new.reason)
    .bind(serde_json::to_string(&new.proposed_action).map_err(StoreError::corrupt)?)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(id)
}
