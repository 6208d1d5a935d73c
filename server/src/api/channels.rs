//! `/api/v1/channels/…`: the doors customers reach the squad through that the shop publishes
//! itself. The dashboard's settings use the same operations.

use app::state::ServerState;
use axum::extract::State;
use axum::Json;
use domain::booking_page::BookingPageSettings;
use serde::Serialize;

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

/// The booking page's settings and its public address.
#[derive(Debug, Serialize)]
pub struct BookingChannel {
    #[serde(flatten)]
    settings: BookingPageSettings,
    /// Where the page is; it answers only while `enabled`.
    url: String,
}

/// `GET /api/v1/channels/booking`.
pub async fn get_booking(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<BookingChannel>, ApiError> {
    let settings = ops::booking_page::settings(&state.db, &ctx.scope).await?;
    Ok(Json(BookingChannel { settings, url: state.booking_url(ctx.scope.org_id()) }))
}

/// `PUT /api/v1/channels/booking` (owner only).
pub async fn put_booking(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<BookingPageSettings>,
) -> Result<Json<BookingChannel>, ApiError> {
    let settings = ops::booking_page::put_settings(&state.db, &ctx.scope, body).await?;
    Ok(Json(BookingChannel { settings, url: state.booking_url(ctx.scope.org_id()) }))
}
