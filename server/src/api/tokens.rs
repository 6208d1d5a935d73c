use app::state::ServerState;
use auth::context::Credential;
use auth::jwt::Audience;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::{ApiAuth, ApiError};

/// `POST /api/v1/tokens`: exchanges an API key for a short-lived access token. Only a key can
/// mint tokens, so a leaked token dies within its lifetime and cannot renew itself.
pub async fn create_token(State(state): State<ServerState>, ApiAuth(ctx): ApiAuth) -> Result<Json<Value>, ApiError> {
    let Credential::ApiKey(key_id) = ctx.credential else {
        return Err(ApiError::Forbidden);
    };
    let ttl = state.api_token_ttl_seconds;
    let token =
        state.keys.issue(Audience::Api, ctx.scope.org_id(), &key_id.to_string(), ttl).map_err(ApiError::internal)?;
    Ok(Json(json!({ "access_token": token, "token_type": "Bearer", "expires_in": ttl })))
}
