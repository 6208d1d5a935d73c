//! `GET /api/v1/leads` and `GET /api/v1/leads/{id}`: the pipeline and one lead's full record.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::Json;
use domain::pipeline::Stage;
use domain::LeadId;
use serde::Deserialize;
use serde_json::{json, Value};
use store::leads::{self, LeadRow};
use store::{appointments, customers, invoices, TenantTx};

use super::json::ApiQuery;
use super::{ApiAuth, ApiError};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    stage: Option<String>,
    limit: Option<i64>,
}

pub async fn list_leads(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<LeadRow>>, ApiError> {
    let stage = query
        .stage
        .as_deref()
        .map(|s| Stage::parse(s).ok_or_else(|| ApiError::validation("stage", format!("`{s}` is not a stage"))))
        .transpose()?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation("limit", "limit must be between 1 and 500"));
    }
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let rows = leads::list(&mut tx, stage, limit).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn get_lead(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = LeadId::parse(&id).map_err(|_| ApiError::NotFound)?;
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let lead = leads::get(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    let customer = customers::get(&mut tx, lead.customer_id).await?;
    let messages = leads::messages(&mut tx, id).await?;
    let steps = leads::steps(&mut tx, id).await?;
    let booked = appointments::for_lead(&mut tx, id).await?;
    let billed = invoices::for_lead(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(json!({
        "id": lead.id,
        "stage": lead.stage,
        "waiting_on": lead.waiting_on,
        "channel": lead.channel,
        "score": lead.score,
        "score_reasons": lead.score_reasons,
        "urgency": lead.urgency,
        "service_id": lead.service_id,
        "summary": lead.summary,
        "human_takeover": lead.human_takeover,
        "first_response_at": lead.first_response_at,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "customer": customer,
        "appointments": booked,
        "invoices": billed,
        "messages": messages,
        "steps": steps,
    })))
}
