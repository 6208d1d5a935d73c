//! Stripe from the outside: the owner connecting the shop's account, the customer's "Pay by
//! card", and Stripe's webhooks.
//!
//! `GET /app/integrations/stripe/connect` sends a signed-in owner to Stripe with a fresh `state`
//! kept in their session; `GET /app/integrations/stripe/callback` accepts Stripe's answer only
//! with that state, once, within ten minutes. `GET /pay/{token}/card` sends the customer holding
//! a pay link to a Checkout Session for the invoice's balance. `POST /webhooks/stripe` checks the
//! signature over the raw body before reading it, stores the event once and leaves the rest to a
//! job, so Stripe gets its answer at once and a slow database never loses an event.

use app::state::ServerState;
use auth::context::AuthCtx;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use http::{HeaderMap, StatusCode};
use integrations::stripe::WebhookRefused;
use ops::stripe::{CardError, Received};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use crate::gmail::refuse;
use crate::sign_ins::{back_to, ConnectQuery, Service, SignIn};

/// Stripe, as the owner connecting the shop's account meets it.
const STRIPE: Service = Service {
    provider: "Stripe",
    connects: "Stripe",
    key: "stripe_sign_in",
    outcome_key: app::stripe_settings::STRIPE_OUTCOME_KEY,
};

fn redirect_uri(state: &ServerState) -> String {
    state.public_url.link("app/integrations/stripe", "callback")
}

pub async fn connect(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let back = back_to(query.from.as_deref());
    if ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_err() {
        STRIPE.tell(&session, Err("Only the owner can connect the shop's Stripe account.".into())).await;
        return Redirect::to(back).into_response();
    }
    let Some(stripe) = state.stripe.as_deref() else {
        STRIPE.tell(&session, Err("Card payments are not set up on this Opsquad.".into())).await;
        return Redirect::to(back).into_response();
    };
    let sign_in = SignIn::new(&ctx, back, ());
    let url = stripe.authorize_url(&redirect_uri(&state), &sign_in.state);
    if let Err(unavailable) = sign_in.keep(&session, &STRIPE).await {
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
    #[serde(default)]
    error_description: Option<String>,
}

pub async fn callback(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    STRIPE.come_back(&session, |sign_in: SignIn<()>| async move { finish(&state, &ctx, &sign_in, &query).await }).await
}

async fn finish(
    state: &ServerState,
    ctx: &AuthCtx,
    sign_in: &SignIn<()>,
    query: &CallbackQuery,
) -> Result<String, String> {
    sign_in.answered(ctx, query.state.as_deref(), &STRIPE)?;
    if let Some(error) = &query.error {
        return Err(if error == "access_denied" {
            "Stripe was not connected: the connection was declined on Stripe's page.".into()
        } else {
            let said = query.error_description.as_deref().unwrap_or(error);
            format!("Stripe did not connect the account ({}).", said.chars().take(120).collect::<String>())
        });
    }
    let Some(stripe) = state.stripe.as_deref() else {
        return Err("Card payments are not set up on this Opsquad.".into());
    };
    let code = query.code.as_deref().unwrap_or_default();
    match ops::stripe::connect(&state.db, stripe, &ctx.scope, code).await {
        Ok(account) => Ok(account.account_id),
        Err(ops::OpsError::Validation { message, .. }) => Err(message),
        Err(ops::OpsError::Forbidden) => Err("Only the owner can connect the shop's Stripe account.".into()),
        Err(err) => {
            tracing::error!(error = ?err, "connecting Stripe failed");
            Err("Stripe could not be connected because of a problem on our side; try again in a minute.".into())
        }
    }
}

/// `GET /pay/{token}/card`: off to Stripe's page for the invoice's balance (303), or back to the
/// pay page saying why not. A link, not a form: the pages' CSP (`form-action 'self'`) rightly
/// stops a form's redirect to another site, and a repeated visit is harmless, since it reuses the
/// open Checkout Session (or asks Stripe again under the same idempotency key).
pub async fn pay_by_card(State(state): State<ServerState>, Path(token): Path<String>) -> Response {
    let back = |why: &str| Redirect::to(&format!("/pay/{token}?card={why}")).into_response();
    let Some(stripe) = state.stripe.as_deref() else { return back("unavailable") };
    let link = match ops::payments::open_pay_link(&state.db, &token).await {
        Ok((link, _)) => link,
        Err(ops::OpsError::NotFound) => return StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = ?err, "a pay link could not be opened");
            return back("failed");
        }
    };
    match ops::stripe::card_checkout(&state.db, stripe, &state.public_url, &link, &token).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(CardError::NotTaking(why)) => {
            tracing::info!(org_id = %link.scope.org_id(), %why, "no card payment for this invoice");
            back("unavailable")
        }
        Err(err) => {
            tracing::warn!(org_id = %link.scope.org_id(), error = ?err, "Stripe could not start a card payment");
            back("failed")
        }
    }
}

/// `POST /webhooks/stripe`. 200 once the event is stored (or was already, or names no shop
/// here); 400 for a delivery whose signature does not check out, with nothing changed; 503
/// while the database is away, so Stripe delivers it again.
pub async fn webhook(State(state): State<ServerState>, headers: HeaderMap, body: Bytes) -> Response {
    if state.stripe.is_none() {
        return refuse(StatusCode::NOT_FOUND, "not_found", "this Opsquad does not take Stripe events");
    }
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let now = store::now_ms() / 1000;
    let event = match integrations::stripe::verify(&state.stripe_webhook_secrets, signature, &body, now) {
        Ok(event) => event,
        Err(e @ WebhookRefused::BadBody(_)) => return refuse(StatusCode::BAD_REQUEST, "invalid_body", &e.to_string()),
        Err(e) => {
            tracing::info!(error = %e, "a Stripe webhook was refused");
            return refuse(StatusCode::BAD_REQUEST, "bad_signature", &e.to_string());
        }
    };
    let payload = String::from_utf8_lossy(&body);
    match ops::stripe::receive(&state.db, &event, &payload).await {
        Ok(received) => {
            let said = match received {
                Received::Queued => {
                    state.bell.ring();
                    "queued"
                }
                Received::Replay => "already received",
                Received::UnknownAccount => {
                    tracing::info!(event_id = %event.id, kind = %event.kind, account = ?event.account, "a Stripe event for no shop here was ignored");
                    "ignored: no shop here connected that account"
                }
            };
            (StatusCode::OK, axum::Json(json!({ "received": true, "outcome": said }))).into_response()
        }
        Err(err) => {
            tracing::error!(error = ?err, event_id = %event.id, "a Stripe event could not be stored");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again later")
        }
    }
}
