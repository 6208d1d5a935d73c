//! `GET /api/v1/memory` and `DELETE /api/v1/memory/{id}`: the owner sees what the squad
//! remembers and can make it forget.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use store::memories::{self, Layer, MemoryRow};
use store::TenantTx;

use super::json::ApiQuery;
use super::{ApiAuth, ApiError};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    layer: Option<String>,
    q: Option<String>,
}

pub async fn list_memory(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<MemoryRow>>, ApiError> {
    let layer = query
        .layer
        .as_deref()
        .map(|l| {
            Layer::parse(l)
                .ok_or_else(|| ApiError::validation("layer", "use preference, history, session_summary or issue"))
        })
        .transpose()?;
    if query.q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::validation("q", "at most 100 characters"));
    }
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let rows = memories::search(&mut tx, memories::Reach::Org, layer, query.q.as_deref(), 200).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn delete_memory(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ops::memory::forget(&state.db, &ctx.scope, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
