//! `POST /api/v1/appointments/{id}/complete`: the job is done; the Invoice agent takes over.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::Json;
use domain::pipeline::{Stage, WaitingOn};
use domain::LeadId;
use serde_json::{json, Value};
use store::jobs::{self, NewJob};
use store::{appointments, leads, TenantTx};

use super::{ApiAuth, ApiError};

pub async fn complete_appointment(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let appointment = appointments::get(&mut tx, &id).await?.ok_or(ApiError::NotFound)?;
    if !appointments::complete(&mut tx, &id).await? {
        return Err(ApiError::Conflict(format!("this appointment is already {}", appointment.status)));
    }
    let lead_id = LeadId::parse(&appointment.lead_id).map_err(ApiError::internal)?;
    leads::set_stage(&mut tx, lead_id, Stage::Completed, WaitingOn::None).await?;
    jobs::enqueue(
        &mut tx,
        &NewJob {
            kind: "run_squad".to_owned(),
            payload: json!({ "lead_id": lead_id, "start_with": "invoice" }),
            run_at: None,
            max_attempts: 8,
            idempotency_key: format!("complete:{id}"),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(org_id = %ctx.scope.org_id(), appointment_id = %id, "appointment completed");
    Ok(Json(json!({ "appointment_id": id, "status": "completed", "lead_id": lead_id })))
}
