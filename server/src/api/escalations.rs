//! `GET /api/v1/escalations` and `POST /api/v1/escalations/{id}/decision`: where a person decides
//! what the squad could not. An approval of a qualified, unbooked lead resumes it with the
//! Scheduler; a rejection closes the lead.

use app::state::ServerState;
use axum::extract::{Path, Query, State};
use axum::Json;
use domain::pipeline::{Stage, WaitingOn};
use domain::LeadId;
use serde::Deserialize;
use serde_json::{json, Value};
use store::escalations::{self, EscalationRow};
use store::jobs::{self, NewJob};
use store::{leads, TenantTx};

use super::json::ApiJson;
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
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<EscalationRow>>, ApiError> {
    let status = query.status.unwrap_or_else(|| "pending".to_owned());
    if !["pending", "approved", "rejected", "expired"].contains(&status.as_str()) {
        return Err(ApiError::validation("status", "use pending, approved, rejected or expired"));
    }
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let rows = escalations::list(&mut tx, &status, 200).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn decide(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(decision): ApiJson<Decision>,
) -> Result<Json<Value>, ApiError> {
    let note = decision.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(ApiError::validation("note", "at most 1000 characters"));
    }
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let escalation = escalations::get(&mut tx, &id).await?.ok_or(ApiError::NotFound)?;
    if !escalations::decide(&mut tx, &id, decision.approve, note.as_deref(), ctx.scope.user_id()).await? {
        return Err(ApiError::Conflict(format!("this escalation was already {}", escalation.status)));
    }
    let lead_id = LeadId::parse(&escalation.lead_id).map_err(ApiError::internal)?;
    if let (Some(run_id), "approval") = (escalation.run_id.as_deref(), escalation.kind.as_str()) {
        // A parked run asked before acting: either way it continues and learns the answer.
        leads::set_waiting_on(&mut tx, lead_id, WaitingOn::None).await?;
        jobs::enqueue(
            &mut tx,
            &NewJob {
                kind: "run_squad".to_owned(),
                payload: json!({ "lead_id": lead_id, "resume_run": run_id }),
                run_at: None,
                max_attempts: 8,
                idempotency_key: format!("decision:{id}"),
            },
        )
        .await?;
        tx.commit().await?;
        let outcome = if decision.approve { "resumed" } else { "declined" };
        return Ok(Json(
            json!({ "id": id, "status": if decision.approve { "approved" } else { "rejected" }, "outcome": outcome }),
        ));
    }
    let lead = leads::get(&mut tx, lead_id).await?.ok_or(ApiError::NotFound)?;
    let resumable = matches!(lead.stage, Stage::Escalated | Stage::Qualifying | Stage::Scheduling)
        && lead.score.is_some_and(|s| s >= 4)
        && lead.service_id.is_some();
    let outcome = match (decision.approve, resumable) {
        (true, true) => {
            leads::set_stage(&mut tx, lead_id, Stage::Qualifying, WaitingOn::None).await?;
            jobs::enqueue(
                &mut tx,
                &NewJob {
                    kind: "run_squad".to_owned(),
                    payload: json!({ "lead_id": lead_id, "start_with": "scheduler" }),
                    run_at: None,
                    max_attempts: 8,
                    idempotency_key: format!("decision:{id}"),
                },
            )
            .await?;
            "resumed"
        }
        (true, false) => {
            leads::set_waiting_on(&mut tx, lead_id, WaitingOn::None).await?;
            "acknowledged"
        }
        (false, _) if matches!(lead.stage, Stage::Booked | Stage::Completed | Stage::Invoiced | Stage::Paid) => {
            leads::set_waiting_on(&mut tx, lead_id, WaitingOn::None).await?;
            "acknowledged"
        }
        (false, _) => {
            leads::set_stage(&mut tx, lead_id, Stage::Disqualified, WaitingOn::None).await?;
            "closed"
        }
    };
    tx.commit().await?;
    tracing::info!(org_id = %ctx.scope.org_id(), escalation_id = %id, approve = decision.approve, outcome, "escalation decided");
    Ok(Json(json!({ "id": id, "status": if decision.approve { "approved" } else { "rejected" }, "outcome": outcome })))
}
