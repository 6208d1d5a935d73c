use app::state::ServerState;
use auth::context::Credential;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use store::{orgs, TenantTx};

use super::{ApiAuth, ApiError};

/// `GET /api/v1/me`: which org and credential the caller is.
pub async fn get_me(State(state): State<ServerState>, ApiAuth(ctx): ApiAuth) -> Result<Json<Value>, ApiError> {
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let org = orgs::current(&mut tx).await?;
    let booking = store::booking_pages::get(&mut tx).await?;
    let widget = store::widgets::get(&mut tx).await?;
    tx.commit().await?;
    let credential = match ctx.credential {
        Credential::ApiKey(id) => json!({ "kind": "api_key", "api_key_id": id, "scope": ctx.scope.key_scope() }),
        Credential::ApiToken(id) => json!({ "kind": "access_token", "api_key_id": id, "scope": ctx.scope.key_scope() }),
        Credential::Session => json!({ "kind": "session" }),
    };
    let mut me = json!({
        "org": { "id": org.id, "name": org.name, "created_at": org.created_at },
        "role": ctx.scope.role(),
        "credential": credential,
    });
    if booking.enabled {
        me["booking_url"] = json!(state.booking_url(ctx.scope.org_id()));
    }
    if widget.enabled {
        me["widget_snippet"] = json!(state.widget_snippet(ctx.scope.org_id(), &widget.accent_color));
    }
    Ok(Json(me))
}
