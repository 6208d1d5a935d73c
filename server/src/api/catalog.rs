//! `/api/v1/settings`, `/api/v1/services`, `/api/v1/technicians`: how the business runs, what it
//! sells and who does the work. Another org's service or technician is not found.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::catalog::{BusinessSettings, ServiceInput, TechnicianInput};
use domain::{ServiceId, TechnicianId};
use store::services::{self, ServiceRow};
use store::technicians::{self, TechnicianRow};
use store::TenantTx;

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

pub async fn get_settings(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<BusinessSettings>, ApiError> {
    Ok(Json(ops::settings::get(&state.db, &ctx.scope).await?))
}

pub async fn put_settings(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<BusinessSettings>,
) -> Result<Json<BusinessSettings>, ApiError> {
    Ok(Json(ops::settings::replace(&state.db, &ctx.scope, body).await?))
}

fn service_id(raw: &str) -> Result<ServiceId, ApiError> {
    ServiceId::parse(raw).map_err(|_| ApiError::NotFound)
}

pub(super) fn technician_id(raw: &str) -> Result<TechnicianId, ApiError> {
    TechnicianId::parse(raw).map_err(|_| ApiError::NotFound)
}

pub async fn create_service(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<ServiceInput>,
) -> Result<(StatusCode, Json<ServiceRow>), ApiError> {
    let row = ops::catalog::create_service(&state.db, &ctx.scope, body).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn list_services(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<ServiceRow>>, ApiError> {
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let rows = services::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn get_service(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<ServiceRow>, ApiError> {
    let id = service_id(&id)?;
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let row = services::get(&mut tx, id).await?;
    tx.commit().await?;
    row.map(Json).ok_or(ApiError::NotFound)
}

pub async fn replace_service(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ServiceInput>,
) -> Result<Json<ServiceRow>, ApiError> {
    Ok(Json(ops::catalog::replace_service(&state.db, &ctx.scope, service_id(&id)?, body).await?))
}

pub async fn delete_service(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ops::catalog::delete_service(&state.db, &ctx.scope, service_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn create_technician(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<TechnicianInput>,
) -> Result<(StatusCode, Json<TechnicianRow>), ApiError> {
    let row = ops::catalog::create_technician(&state.db, &ctx.scope, body).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn list_technicians(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<TechnicianRow>>, ApiError> {
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let rows = technicians::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn get_technician(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<TechnicianRow>, ApiError> {
    let id = technician_id(&id)?;
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let row = technicians::get(&mut tx, id).await?;
    tx.commit().await?;
    row.map(Json).ok_or(ApiError::NotFound)
}

pub async fn replace_technician(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TechnicianInput>,
) -> Result<Json<TechnicianRow>, ApiError> {
    Ok(Json(ops::catalog::replace_technician(&state.db, &ctx.scope, technician_id(&id)?, body).await?))
}

pub async fn delete_technician(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ops::catalog::delete_technician(&state.db, &ctx.scope, technician_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
