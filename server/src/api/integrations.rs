//! `/api/v1/integrations`: the shop's connections to its own accounts. Credentials go in and
//! never come out: every answer shows the account and its health only.

use app::state::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use ops::integrations::EmailConnection;
use serde::Serialize;
use serde_json::Value;

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

/// A connection as the API shows it.
#[derive(Debug, Serialize)]
pub struct Integration {
    /// `imap_smtp` (or, later, `gmail`, `stripe`, `twilio`, `google_calendar`).
    provider: String,
    /// `connected`, `error` or `pending`.
    status: String,
    /// Which account: the shop's address for email.
    account: Option<String>,
    /// The settings that are not secret (servers, ports, TLS, user names).
    settings: Value,
    /// What went wrong the last time it was used, in words.
    last_error: Option<String>,
    /// When it last worked or failed (Unix ms).
    checked_at: Option<i64>,
    connected_at: i64,
}

impl From<store::integrations::Connection> for Integration {
    fn from(c: store::integrations::Connection) -> Self {
        Self {
            provider: c.provider,
            status: c.status,
            account: c.account,
            settings: c.config,
            last_error: c.last_error,
            checked_at: c.checked_at,
            connected_at: c.created_at,
        }
    }
}

/// `GET /api/v1/integrations`.
pub async fn list_integrations(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<Integration>>, ApiError> {
    let all = ops::integrations::list(&state.db, &ctx.scope).await?;
    Ok(Json(all.into_iter().map(Integration::from).collect()))
}

/// `PUT /api/v1/integrations/email` (owner only): tries both servers, then stores the connection.
pub async fn put_email(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<EmailConnection>,
) -> Result<Json<Integration>, ApiError> {
    let stored =
        ops::integrations::connect_email(&state.db, &state.secrets, state.mail_reach, &ctx.scope, body).await?;
    Ok(Json(stored.into()))
}

/// `DELETE /api/v1/integrations/email` (owner only): disconnects and forgets the credentials.
pub async fn delete_email(State(state): State<ServerState>, ApiAuth(ctx): ApiAuth) -> Result<StatusCode, ApiError> {
    ops::integrations::disconnect_email(&state.db, &ctx.scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/integrations/sms` (owner only): tries the Twilio account and number, then stores
/// the connection.
pub async fn put_sms(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<ops::texts::SmsConnection>,
) -> Result<Json<Integration>, ApiError> {
    let stored = ops::texts::connect(&state.db, &state.texting, &ctx.scope, body).await?;
    Ok(Json(stored.into()))
}

/// `DELETE /api/v1/integrations/sms` (owner only): disconnects and forgets the Auth Token.
pub async fn delete_sms(State(state): State<ServerState>, ApiAuth(ctx): ApiAuth) -> Result<StatusCode, ApiError> {
    ops::texts::disconnect(&state.db, &ctx.scope).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestText {
    /// The mobile number to text.
    to: String,
}

/// `POST /api/v1/integrations/sms/test` (owner only): one test text, now.
pub async fn test_sms(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<TestText>,
) -> Result<Json<Value>, ApiError> {
    let said = ops::texts::send_test(&state.db, &state.texting, &ctx.scope, &body.to).await?;
    Ok(Json(serde_json::json!({ "sent": true, "outcome": said })))
}
