//! Server-side state shared by pages and server functions (compiled only with `ssr`).

use std::net::IpAddr;
use std::sync::Arc;

use auth::context::AuthCtx;
use auth::jwt::KeyRing;
use auth::throttle::Throttle;
use axum::extract::FromRef;
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
    /// Where pay links come from, for a person who shares one.
    pub payments: Arc<dyn squad::payments::PaymentLinks>,
    /// The models this server can think with and bill; an org chooses only among these.
    pub models: Arc<squad::agents::ModelCatalog>,
    /// Whether the job worker is running, for `/readyz`.
    pub worker: WorkerHealth,
    /// How many live event streams each org and credential may hold open.
    pub streams: Arc<auth::streams::StreamSlots>,
    /// Chat widget visitors' event streams, counted apart so a busy chat never takes the owner's.
    pub chat_streams: Arc<auth::streams::StreamSlots>,
    /// Where customers reach this server: the booking page's address is built on it.
    pub public_url: squad::link_tokens::PublicUrl,
    /// Replies being written to chat visitors by this instance's worker.
    pub live: Arc<squad::live::LiveText>,
    /// Tells this instance's worker that a request queued work a customer waits on.
    pub bell: Arc<store::jobs::JobBell>,
    /// Wakes a chat visitor's open streams on this instance when they have just written.
    pub doorbells: Arc<squad::live::Doorbells>,
    /// Seals the shop's credentials (mailbox passwords, tokens) before they are stored.
    pub secrets: Arc<integrations::secrets::Keyring>,
    /// Opsquad's own mail to the people who use it (address confirmation, password resets).
    pub account_mail: Arc<ops::account_mail::AccountMail>,
    /// Which mail servers a shop's mailbox settings may name.
    pub mail_reach: integrations::mail::Reach,
    /// Google's services, when this Opsquad lets shops connect Gmail.
    pub google: Option<Arc<integrations::gmail::Google>>,
    /// Checks Gmail's push notifications against Google's signing keys.
    pub gmail_push: Arc<integrations::gmail::PushVerifier>,
    /// The Stripe platform shops take card payments through, when this Opsquad has one.
    pub stripe: Option<Arc<integrations::stripe::Stripe>>,
    /// The Stripe webhook endpoint's signing secrets (several while one is rotated out).
    pub stripe_webhook_secrets: Arc<integrations::stripe::WebhookSecrets>,
    /// Texting through each shop's own Twilio account.
    pub texting: Arc<ops::texts::Texting>,
    /// Technicians' own calendars.
    pub calendars: Arc<ops::calendars::CalendarAccess>,
}

impl ServerState {
    /// The address of `org`'s booking page (it answers only while the page is enabled).
    pub fn booking_url(&self, org: domain::OrgId) -> String {
        self.public_url.link("book", &org.to_string())
    }

    /// The tag an owner pastes into their site to show `org`'s chat widget.
    pub fn widget_snippet(&self, org: domain::OrgId, accent_color: &str) -> String {
        let loader = self.public_url.at("widget.js");
        format!(r#"<script src="{loader}" data-widget="{org}" data-color="{accent_color}" async></script>"#)
    }
}

/// The job worker's state as its supervisor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    /// This instance runs no worker (configured off).
    Disabled,
    Running,
    /// The worker died and waits to be restarted.
    Restarting,
}

/// Shared between the worker's supervisor, which sets it, and `/readyz`, which reads it.
#[derive(Debug, Clone)]
pub struct WorkerHealth(Arc<std::sync::atomic::AtomicU8>);

impl WorkerHealth {
    pub fn new(state: WorkerState) -> Self {
        let health = Self(Arc::new(std::sync::atomic::AtomicU8::new(0)));
        health.set(state);
        health
    }

    pub fn set(&self, state: WorkerState) {
        let raw = match state {
            WorkerState::Disabled => 0,
            WorkerState::Running => 1,
            WorkerState::Restarting => 2,
        };
        self.0.store(raw, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn get(&self) -> WorkerState {
        match self.0.load(std::sync::atomic::Ordering::SeqCst) {
            1 => WorkerState::Running,
            2 => WorkerState::Restarting,
            _ => WorkerState::Disabled,
        }
    }
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

/// The client's address as the server resolved it: the socket peer, or what a configured
/// trusted proxy reports (`server::middleware::client_addr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

pub async fn client_ip() -> Result<IpAddr, UiError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddr>().copied())
        .map(|ClientAddr(ip)| ip)
        .ok_or_else(|| internal("no client address on the request"))
}

/// The caller's database and tenant scope, for calling an operation.
pub fn caller() -> Result<(Db, store::TenantScope), UiError> {
    Ok((server_state()?.db, auth_ctx()?.scope))
}

/// Domain messages are lower-case fragments; a form shows sentences.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    let rest: String = chars.collect();
    if rest.ends_with('.') || rest.ends_with('?') || rest.ends_with('!') {
        format!("{first}{rest}")
    } else {
        format!("{first}{rest}.")
    }
}

/// An operation's refusal in the dashboard's words. A field is named by its last path segment
/// (`service_area.radius_miles` → `radius_miles`), the form input's name.
impl From<ops::OpsError> for UiError {
    #[track_caller]
    fn from(err: ops::OpsError) -> Self {
        use ops::OpsError;
        let input = |field: &str| field.rsplit('.').next().unwrap_or(field).to_owned();
        match err {
            OpsError::Forbidden => Self::Forbidden,
            OpsError::NotFound => Self::NotFound,
            OpsError::Validation { field, message } => {
                Self::Validation { field: input(&field), message: sentence(&message) }
            }
            OpsError::Invalid(problems) => Self::Fields {
                problems: problems
                    .into_iter()
                    .map(|(field, message)| crate::error::FieldProblem {
                        field: input(&field),
                        message: sentence(&message),
                    })
                    .collect(),
            },
            OpsError::Conflict { field, message } => {
                Self::Conflict { field: field.as_deref().map(input).unwrap_or_default(), message: sentence(&message) }
            }
            OpsError::Store(cause) => internal(cause),
        }
    }
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
            if let UiError::RateLimited { retry_after_seconds } = err {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(*retry_after_seconds));
            }
        }
    }
    result
}
