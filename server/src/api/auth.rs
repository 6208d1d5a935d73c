//! Bearer authentication for `/api/v1`: an API key (`osq_…`) or an access token minted from one.

use app::state::ServerState;
use auth::context::{AuthCtx, Credential};
use auth::jwt::Audience;
use axum::extract::FromRequestParts;
use domain::ApiKeyId;
use http::request::Parts;
use store::{api_keys, AuthTx};

use super::ApiError;

/// The credential in `Authorization: Bearer <credential>`, if the request carries one.
pub fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The verified caller of an API route. An API key is created by an owner and acts with the role
/// the owner gave it (owner or staff) within its org; it cannot manage API keys, which only a
/// logged-in owner can. An access token acts as its key does now: revoking the key ends it.
#[derive(Debug, Clone)]
pub struct ApiAuth(pub AuthCtx);

impl FromRequestParts<ServerState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let presented = bearer(&parts.headers).ok_or(ApiError::Unauthenticated)?;

        let ctx = if auth::api_key::looks_like_key(presented) {
            let mut tx = AuthTx::begin(&state.db).await?;
            let found = api_keys::authenticate(&mut tx, &auth::api_key::hash(presented)).await?;
            tx.commit().await?;
            let key = found.ok_or(ApiError::Unauthenticated)?;
            AuthCtx { scope: key.scope(), credential: Credential::ApiKey(key.id) }
        } else {
            let claims = state.keys.verify(presented, Audience::Api).map_err(|err| {
                tracing::info!(reason = %err, "access token refused");
                ApiError::Unauthenticated
            })?;
            let key_id = ApiKeyId::parse(&claims.sub).map_err(|_| ApiError::Unauthenticated)?;
            let mut tx = AuthTx::begin(&state.db).await?;
            let key = api_keys::still_active(&mut tx, key_id, claims.org).await?;
            tx.commit().await?;
            let key = key.ok_or(ApiError::Unauthenticated)?;
            AuthCtx { scope: key.scope(), credential: Credential::ApiToken(key.id) }
        };
        tracing::Span::current().record("org_id", tracing::field::display(ctx.scope.org_id()));
        count_call(state, &ctx)?;
        // Every read of the API is one operation in the permission table, so a key whose scope
        // does not reach it (a form's `inbound` key) reads nothing back. `GET /me` stays open to
        // any key: it tells the caller only who it is.
        let reads = parts.method == http::Method::GET || parts.method == http::Method::HEAD;
        if reads && parts.uri.path() != "/me" {
            ops::permissions::require(&ctx.scope, ops::permissions::Operation::ReadRecords)?;
        }
        Ok(Self(ctx))
    }
}

/// Counts one call against the org's and the key's hourly allowance.
fn count_call(state: &ServerState, ctx: &AuthCtx) -> Result<(), ApiError> {
    use auth::throttle::{Action, RetryAfter, Subject};
    let refused = |what: &'static str| {
        move |retry: RetryAfter| ApiError::RateLimited { what, retry_after_seconds: retry.seconds() }
    };
    let org = ctx.scope.org_id().to_string();
    state
        .throttle
        .allow(Action::ApiCallOrg, Subject::Named(&org))
        .map_err(refused("this business has used its API calls for this hour"))?;
    if let Credential::ApiKey(key) | Credential::ApiToken(key) = &ctx.credential {
        let key = key.to_string();
        state
            .throttle
            .allow(Action::ApiCallKey, Subject::Named(&key))
            .map_err(refused("this API key has used its calls for this hour"))?;
    }
    Ok(())
}
