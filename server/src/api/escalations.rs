//! `GET /api/v1/escalations` and `POST /api/v1/escalations/{id}/decision`: where a person decides
//! what the squad could not. An approval of a qualified, unbooked lead resumes it with the
//! Scheduler; a rejection closes the lead.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::Json;
use domain::squad::EscalationStatus;
use serde::Deserialize;
use serde_json::{json, Value};
use store::escalations::{self, EscalationRow};
use store::TenantTx;

use super::json::{ApiJson, ApiQuery};
use super::{ApiAuth, ApiError};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    approve: bool,
    note: Option<String>,
}

pub async fn list_escalations(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<EscalationRow>>, ApiError> {
    let status = match query.status.as_deref() {
        None => EscalationStatus::Pending,
        Some(raw) => EscalationStatus::parse(raw)
            .ok_or_else(|| ApiError::validation("status", "use pending, approved, rejected or expired"))?,
    };
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let rows = escalations::list(&mut tx, status, 200).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn decide(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Json<Value>, ApiError> {
    let outcome = ops::escalations::decide(&state.db, &ctx.scope, &id, decision.approve, decision.note).await?;
    let status = if decision.approve { EscalationStatus::Approved } else { EscalationStatus::Rejected };
    Ok(Json(json!({ "id": id, "status": status, "outcome": outcome })))
}
