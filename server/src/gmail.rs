//! Connecting Gmail from the dashboard, and Gmail's push notifications.
//!
//! `GET /app/integrations/gmail/connect` sends a signed-in owner to Google with a fresh `state`
//! and PKCE challenge, both kept in their session; `GET /app/integrations/gmail/callback` accepts
//! Google's answer only with that session's `state`, once, within ten minutes, and finishes the
//! connection. What happened is left in the session for the page the owner returns to.
//! `POST /webhooks/gmail` takes Pub/Sub's pushes: the bearer token must be Google's, for this
//! endpoint; the notification then only wakes the mailbox's check, which reads Gmail itself.

use app::state::ServerState;
use auth::context::AuthCtx;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use http::{HeaderMap, StatusCode};
use integrations::gmail::{Pkce, PushRefused};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_sessions::Session;

/// Where the sign-in in progress is kept in the owner's session.
const SIGN_IN_KEY: &str = "gmail_sign_in";
/// How long the owner has to finish signing in with Google.
const SIGN_IN_FOR_MS: i64 = 10 * 60 * 1000;

#[derive(Serialize, Deserialize)]
struct SignIn {
    state: String,
    verifier: String,
    org_id: String,
    started_at: i64,
    /// The page the owner started from, to return to.
    back_to: String,
}

#[derive(Deserialize)]
pub struct ConnectQuery {
    #[serde(default)]
    pub(crate) from: Option<String>,
}

/// The dashboard page an owner started from: the setup wizard or Settings.
pub(crate) fn back_to(from: Option<&str>) -> &'static str {
    match from {
        Some("setup") => "/app/setup",
        _ => "/app/settings",
    }
}

fn redirect_uri(state: &ServerState) -> String {
    state.public_url.link("app/integrations/gmail", "callback")
}

/// What became of a sign-in, kept for the page the owner returns to.
pub use app::email_settings::GMAIL_OUTCOME_KEY as OUTCOME_KEY;

async fn tell(session: &Session, outcome: Result<String, String>) {
    tell_outcome(session, OUTCOME_KEY, outcome).await;
}

/// Leaves what became of a sign-in with another service (`Ok(account)` or the problem, in words)
/// under `key` in the owner's session, for the page they return to.
pub(crate) async fn tell_outcome(session: &Session, key: &str, outcome: Result<String, String>) {
    let at = store::now_ms();
    let value = match outcome {
        Ok(account) => json!({ "connected": account, "at": at }),
        Err(problem) => json!({ "problem": problem, "at": at }),
    };
    if let Err(e) = session.insert(key, value).await {
        tracing::warn!(error = %e, key, "could not keep a sign-in's outcome in the session");
    }
}

pub async fn connect(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let back = back_to(query.from.as_deref());
    if ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_err() {
        tell(&session, Err("Only the owner can connect the shop's email.".into())).await;
        return Redirect::to(back).into_response();
    }
    let Some(google) = state.google.as_deref() else {
        tell(&session, Err("This Opsquad is not set up to connect Gmail; connect the mailbox with its IMAP and SMTP settings instead.".into())).await;
        return Redirect::to(back).into_response();
    };
    let pkce = Pkce::new();
    let sign_in = SignIn {
        state: integrations::gmail::random_token(),
        verifier: pkce.verifier.clone(),
        org_id: ctx.scope.org_id().to_string(),
        started_at: store::now_ms(),
        back_to: back.to_owned(),
    };
    let url = google.authorize_url(&redirect_uri(&state), &sign_in.state, &pkce, integrations::gmail::SCOPES);
    if let Err(e) = session.insert(SIGN_IN_KEY, &sign_in).await {
        tracing::error!(error = %e, "could not keep the Gmail sign-in in the session");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    Redirect::to(&url).into_response()
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn callback(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // One answer per sign-in: whatever comes back, the sign-in in progress is used up.
    let sign_in: Option<SignIn> = session.remove(SIGN_IN_KEY).await.ok().flatten();
    let Some(sign_in) = sign_in else {
        tell(
            &session,
            Err("That Gmail sign-in was not started here, or was already used; connect Gmail again.".into()),
        )
        .await;
        return Redirect::to(back_to(None)).into_response();
    };
    let back = sign_in.back_to.clone();
    let outcome = finish(&state, &ctx, &sign_in, &query).await;
    if let Err(problem) = &outcome {
        tracing::info!(org_id = %ctx.scope.org_id(), %problem, "Gmail was not connected");
    }
    tell(&session, outcome).await;
    Redirect::to(&back).into_response()
}

async fn finish(state: &ServerState, ctx: &AuthCtx, sign_in: &SignIn, query: &CallbackQuery) -> Result<String, String> {
    let given = query.state.as_deref().unwrap_or_default();
    if !same(given, &sign_in.state) || sign_in.org_id != ctx.scope.org_id().to_string() {
        return Err("That answer from Google does not belong to this sign-in; connect Gmail again.".into());
    }
    if store::now_ms() - sign_in.started_at > SIGN_IN_FOR_MS {
        return Err("The Gmail sign-in took more than ten minutes; connect Gmail again.".into());
    }
    if let Some(error) = &query.error {
        return Err(if error == "access_denied" {
            "Gmail was not connected: access was not allowed on Google's page.".into()
        } else {
            format!("Google did not connect Gmail ({}).", error.chars().take(80).collect::<String>())
        });
    }
    let Some(google) = state.google.as_deref() else {
        return Err("This Opsquad is not set up to connect Gmail.".into());
    };
    let code = query.code.as_deref().unwrap_or_default();
    let keys = &state.secrets;
    match ops::gmail::connect(&state.db, keys, google, &ctx.scope, code, &sign_in.verifier, &redirect_uri(state)).await
    {
        Ok(connection) => {
            state.bell.ring();
            Ok(connection.account.unwrap_or_default())
        }
        Err(ops::OpsError::Validation { message, .. }) => Err(message),
        Err(ops::OpsError::Forbidden) => Err("Only the owner can connect the shop's email.".into()),
        Err(err) => {
            tracing::error!(error = ?err, "connecting Gmail failed");
            Err("Gmail could not be connected because of a problem on our side; try again in a minute.".into())
        }
    }
}

/// `POST /webhooks/gmail`: a Pub/Sub push. 204 once the mailbox's check is woken (or the mailbox
/// is not connected here); 401 for a token that is not Google's for this endpoint; 503 while
/// Google's keys cannot be fetched or the database is away, so Pub/Sub delivers it again.
pub async fn push(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(google) = state.google.as_deref() else {
        return refuse(StatusCode::NOT_FOUND, "not_found", "this Opsquad does not take Gmail notifications");
    };
    let authorization = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let push = match state.gmail_push.verify(google, authorization, &body).await {
        Ok(push) => push,
        Err(e @ PushRefused::NoKeys(_)) => {
            tracing::warn!(error = %e, "a Gmail push could not be checked");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again later");
        }
        Err(e @ PushRefused::BadBody(_)) => return refuse(StatusCode::BAD_REQUEST, "invalid_body", &e.to_string()),
        Err(e) => {
            tracing::info!(error = %e, "a Gmail push was refused");
            return refuse(StatusCode::UNAUTHORIZED, "unauthenticated", &e.to_string());
        }
    };
    match ops::gmail::pushed(&state.db, &push.address).await {
        Ok(woken) => {
            if woken > 0 {
                state.bell.ring();
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => {
            tracing::error!(error = ?err, "a Gmail push could not wake the mailbox check");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again later")
        }
    }
}

pub(crate) fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": code, "field": null, "message": message } }))).into_response()
}
