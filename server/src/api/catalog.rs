//! `/api/v1/settings`, `/api/v1/services`, `/api/v1/technicians`: how the business runs, what it
//! sells and who does the work. Another org's service or technician is not found.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::catalog::{BusinessSettings, FieldError, ServiceInput, TechnicianInput};
use domain::{Role, ServiceId, TechnicianId};
use store::services::{self, ServiceRow};
use store::technicians::{self, TechnicianRow};
use store::{settings, StoreError, TenantTx};

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        Self::Validation { field: Some(err.field), message: err.message }
    }
}

fn conflict(err: StoreError, message: &str) -> ApiError {
    match err {
        StoreError::Conflict { .. } => ApiError::Conflict(message.to_owned()),
        other => other.into(),
    }
}

pub async fn get_settings(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<BusinessSettings>, ApiError> {
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let current = settings::get(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(current))
}

pub async fn put_settings(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<BusinessSettings>,
) -> Result<Json<BusinessSettings>, ApiError> {
    let new = body.validate()?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let current = settings::get(&mut tx).await?;
    let budgets_changed =
        current.run_budget_micros != new.run_budget_micros || current.daily_budget_micros != new.daily_budget_micros;
    if budgets_changed && ctx.role() != Role::Owner {
        return Err(ApiError::Forbidden);
    }
    settings::put(&mut tx, &new).await?;
    tx.commit().await?;
    tracing::info!(org_id = %ctx.scope.org_id(), "business settings replaced");
    Ok(Json(new))
}

fn service_id(raw: &str) -> Result<ServiceId, ApiError> {
    ServiceId::parse(raw).map_err(|_| ApiError::NotFound)
}

fn technician_id(raw: &str) -> Result<TechnicianId, ApiError> {
    TechnicianId::parse(raw).map_err(|_| ApiError::NotFound)
}

const DUPLICATE_SERVICE: &str = "a service with this name already exists";

pub async fn create_service(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<ServiceInput>,
) -> Result<(StatusCode, Json<ServiceRow>), ApiError> {
    let input = body.validate()?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let row = services::insert(&mut tx, &input).await.map_err(|e| conflict(e, DUPLICATE_SERVICE))?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn list_services(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<ServiceRow>>, ApiError> {
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
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
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
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
    let id = service_id(&id)?;
    let input = body.validate()?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let row = services::replace(&mut tx, id, &input).await.map_err(|e| conflict(e, DUPLICATE_SERVICE))?;
    tx.commit().await?;
    row.map(Json).ok_or(ApiError::NotFound)
}

pub async fn delete_service(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = service_id(&id)?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let deleted = services::delete(&mut tx, id).await?;
    tx.commit().await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

pub async fn create_technician(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<TechnicianInput>,
) -> Result<(StatusCode, Json<TechnicianRow>), ApiError> {
    let input = body.validate()?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let row = technicians::insert(&mut tx, &input).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn list_technicians(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<TechnicianRow>>, ApiError> {
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
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
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
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
    let id = technician_id(&id)?;
    let input = body.validate()?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let row = technicians::replace(&mut tx, id, &input).await?;
    tx.commit().await?;
    row.map(Json).ok_or(ApiError::NotFound)
}

pub async fn delete_technician(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = technician_id(&id)?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let deleted = technicians::delete(&mut tx, id)
        .await
        .map_err(|e| conflict(e, "this technician has appointments; set active to false instead"))?;
    tx.commit().await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
