//! `POST /api/v1/appointments/{id}/complete`: the job is done; the Invoice agent takes over.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::Json;
use domain::schedule::AppointmentStatus;
use serde_json::{json, Value};

use super::{ApiAuth, ApiError};

pub async fn complete_appointment(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let lead_id = ops::appointments::complete(&state.db, &ctx.scope, &id).await?;
    Ok(Json(json!({ "appointment_id": id, "status": AppointmentStatus::Completed, "lead_id": lead_id })))
}
