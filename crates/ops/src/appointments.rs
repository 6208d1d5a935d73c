//! A booked job's life after booking, as a person changes it.

use domain::jobs::{Job, RunSquad};
use domain::pipeline::{Stage, WaitingOn};
use domain::squad::AgentName;
use domain::LeadId;
use serde_json::json;
use store::jobs::{self, NewJob};
use store::{appointments, audit, leads, Db, StoreError, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// The job is done: the lead moves to Completed and the Invoice agent bills it.
pub async fn complete(db: &Db, scope: &TenantScope, id: &str) -> Result<LeadId, OpsError> {
    require(scope, Operation::CompleteAppointment)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let appointment = appointments::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    if !appointments::complete(&mut tx, id).await? {
        return Err(OpsError::conflict(format!("This appointment is already {}.", appointment.status)));
    }
    let lead_id = LeadId::parse(&appointment.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    leads::set_stage(&mut tx, lead_id, Stage::Completed, WaitingOn::None).await?;
    let bill = RunSquad { start_with: Some(AgentName::Invoice), ..RunSquad::for_lead(lead_id) };
    jobs::enqueue(
        &mut tx,
        &NewJob { job: Job::RunSquad(bill), run_at: None, max_attempts: 8, idempotency_key: format!("complete:{id}") },
    )
    .await?;
    audit::record(&mut tx, "appointment completed", &json!({ "appointment_id": id, "lead_id": lead_id })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), appointment_id = %id, "appointment completed");
    Ok(lead_id)
}
