//! `/api/v1/channels/…`: the doors customers reach the squad through that the shop publishes
//! itself. The dashboard's settings use the same operations.

use app::state::ServerState;
use axum::extract::State;
use axum::Json;
use domain::booking_page::BookingPageSettings;
use domain::widget::WidgetSettings;
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

/// The chat widget's settings and the tag that shows it.
#[derive(Debug, Serialize)]
pub struct WidgetChannel {
    #[serde(flatten)]
    settings: WidgetSettings,
    /// Paste it into the pages of an allowed site; the widget shows only while `enabled`.
    snippet: String,
}

fn widget_channel(state: &ServerState, org: domain::OrgId, settings: WidgetSettings) -> WidgetChannel {
    let snippet = state.widget_snippet(org, &settings.accent_color);
    WidgetChannel { settings, snippet }
}

/// `GET /api/v1/channels/widget`.
pub async fn get_widget(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<WidgetChannel>, ApiError> {
    let settings = ops::widget::settings(&state.db, &ctx.scope).await?;
    Ok(Json(widget_channel(&state, ctx.scope.org_id(), settings)))
}

/// `PUT /api/v1/channels/widget` (owner only).
pub async fn put_widget(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<WidgetSettings>,
) -> Result<Json<WidgetChannel>, ApiError> {
    let settings = ops::widget::put_settings(&state.db, &ctx.scope, body).await?;
    Ok(Json(widget_channel(&state, ctx.scope.org_id(), settings)))
}
