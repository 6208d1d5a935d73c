//! `GET /api/v1/audit`: who changed what, through the API or the dashboard, newest first, a page
//! at a time (`?limit=` up to 200, `?before=` the previous page's `next_before`). Owner only.

use app::state::ServerState;
use axum::extract::State;
use axum::Json;
use ops::audit::AuditPage;
use serde::Deserialize;

use super::json::ApiQuery;
use super::{ApiAuth, ApiError};

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
    before: Option<String>,
}

pub async fn list_audit(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    Ok(Json(ops::audit::page(&state.db, &ctx.scope, limit, query.before.as_deref()).await?))
}
