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

use crate::sign_ins::{back_to, ConnectQuery, Service, SignIn};

/// Google, as the owner connecting Gmail meets it.
const GOOGLE: Service =
    Service { provider: "Google", connects: "Gmail", key: "gmail_sign_in", outcome_key: OUTCOME_KEY };

/// What the Gmail sign-in needs besides the state: the PKCE verifier.
#[derive(Serialize, Deserialize)]
struct Verifier {
    verifier: String,
}

fn redirect_uri(state: &ServerState) -> String {
    state.public_url.link("app/integrations/gmail", "callback")
}

/// What became of a sign-in, kept for the page the owner returns to.
pub use app::email_settings::GMAIL_OUTCOME_KEY as OUTCOME_KEY;

pub async fn connect(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let back = back_to(query.from.as_deref());
    if ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_err() {
        GOOGLE.tell(&session, Err("Only the owner can connect the shop's email.".into())).await;
        return Redirect::to(back).into_response();
    }
    let Some(google) = state.google.as_deref() else {
        GOOGLE.tell(&session, Err("This Opsquad is not set up to connect Gmail; connect the mailbox with its IMAP and SMTP settings instead.".into())).await;
        return Redirect::to(back).into_response();
    };
    let pkce = Pkce::new();
    let sign_in = SignIn::new(&ctx, back, Verifier { verifier: pkce.verifier.clone() });
    let url = google.authorize_url(&redirect_uri(&state), &sign_in.state, &pkce, integrations::gmail::SCOPES);
    if let Err(unavailable) = sign_in.keep(&session, &GOOGLE).await {
        return unavailable;
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

pub async fn callback(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    GOOGLE
        .come_back(&session, |sign_in: SignIn<Verifier>| async move { finish(&state, &ctx, &sign_in, &query).await })
        .await
}

async fn finish(
    state: &ServerState,
    ctx: &AuthCtx,
    sign_in: &SignIn<Verifier>,
    query: &CallbackQuery,
) -> Result<String, String> {
    sign_in.answered(ctx, query.state.as_deref(), &GOOGLE)?;
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
    match ops::gmail::connect(&state.db, keys, google, &ctx.scope, code, &sign_in.more.verifier, &redirect_uri(state))
        .await
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
