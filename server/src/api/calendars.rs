//! Technicians' own calendars (owner only): connect one over CalDAV, see how it is doing,
//! disconnect it.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ops::calendars::{CalendarConnection, CalendarView};

use super::catalog::technician_id;
use super::json::ApiJson;
use super::{ApiAuth, ApiError};

/// `GET /api/v1/calendars`: every technician's calendar.
pub async fn list_calendars(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<CalendarView>>, ApiError> {
    Ok(Json(ops::calendars::list(&state.db, &ctx.scope).await?))
}

/// `GET /api/v1/technicians/{id}/calendar`.
pub async fn get_calendar(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<CalendarView>, ApiError> {
    Ok(Json(ops::calendars::get(&state.db, &ctx.scope, technician_id(&id)?).await?))
}

/// `PUT /api/v1/technicians/{id}/calendar`: finds and reads the calendar, then keeps it.
pub async fn put_calendar(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CalendarConnection>,
) -> Result<Json<CalendarView>, ApiError> {
    let technician = technician_id(&id)?;
    Ok(Json(ops::calendars::connect(&state.db, &state.calendars, &ctx.scope, technician, body).await?))
}

/// `DELETE /api/v1/technicians/{id}/calendar`: disconnects it and forgets its password.
pub async fn delete_calendar(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ops::calendars::disconnect(&state.db, &ctx.scope, technician_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
