//! Server-side state shared by pages and server functions (compiled only with `ssr`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use auth::context::AuthCtx;
use auth::jwt::KeyRing;
use auth::throttle::Throttle;
use axum::extract::{ConnectInfo, FromRef};
use leptos::prelude::*;
use store::Db;

use crate::error::UiError;

/// Everything a request handler may need. Built once at start-up (or per test) and passed as
/// axum state; Leptos makes it available to server functions through context.
#[derive(Clone, Debug)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub keys: Arc<KeyRing>,
    pub throttle: Arc<Throttle>,
    /// Lifetime of access tokens minted from API keys.
    pub api_token_ttl_seconds: u64,
    /// The pay page may record test payments (never in production).
    pub payments_test_mode: bool,
    /// The models this server can think with and bill; an org chooses only among these.
    pub models: Arc<squad::agents::ModelCatalog>,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos_options.clone()
    }
}

/// The per-request CSP nonce, put in the request's extensions by the security-headers middleware.
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

/// Hands the request's CSP nonce to Leptos so the hydration scripts carry it.
pub fn provide_request_nonce() {
    if let Some(parts) = use_context::<http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0.clone()));
        }
    }
}

pub fn server_state() -> Result<ServerState, UiError> {
    use_context::<ServerState>().ok_or_else(|| internal("server state missing from context"))
}

/// The verified caller, or `Unauthenticated`.
pub fn auth_ctx() -> Result<AuthCtx, UiError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AuthCtx>().cloned())
        .ok_or(UiError::Unauthenticated)
}

pub async fn client_ip() -> Result<IpAddr, UiError> {
    let ConnectInfo(addr) = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .map_err(|e| internal(format!("no client address: {e:?}")))?;
    Ok(addr.ip())
}

/// Logs the cause on the server and returns the generic message for the browser.
#[track_caller]
pub fn internal(cause: impl std::fmt::Debug) -> UiError {
    let location = std::panic::Location::caller();
    tracing::error!(error = ?cause, at = %location, "server function failed");
    UiError::Internal
}

/// Gives a failed server function the HTTP status its error deserves (422, 401, 429, …).
pub fn respond<T>(result: Result<T, UiError>) -> Result<T, UiError> {
    if let Err(err) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(err.status());
        }
    }
    result
}
