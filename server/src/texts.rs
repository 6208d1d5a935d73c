//! Twilio's webhooks for a shop's number. `POST /webhooks/twilio/sms` takes a customer's text and
//! answers in TwiML (a keyword's reply, or nothing: the squad answers by its own job);
//! `POST /webhooks/twilio/status` takes a sent text's progress; `POST /webhooks/twilio/voice` rings
//! the owner's phone and `POST /webhooks/twilio/voice/done` texts back a caller nobody answered. Each is signed with the Auth
//! Token of the Twilio account that connected the number, over the public URL Twilio called.

use app::state::ServerState;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ops::texts::{Webhook, WebhookError};

use crate::gmail::refuse;

/// The webhook as Twilio sent it: the URL it called on this server's public address, the form.
fn webhook(state: &ServerState, uri: &OriginalUri, headers: &HeaderMap, body: &Bytes) -> Webhook {
    let path = uri.0.path_and_query().map_or_else(|| uri.0.path().to_owned(), ToString::to_string);
    let fields = form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    Webhook {
        url: state.public_url.at(path.trim_start_matches('/')),
        fields,
        signature: headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).map(str::to_owned),
    }
}

fn twiml(reply: Option<&str>) -> Response {
    xml(ops::texts::twiml(reply))
}

fn xml(twiml: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml).into_response()
}

/// What a refused webhook gets: 403 for a signature that does not check out, 404 for a number no
/// shop here connected, 400 for a form that is not Twilio's, 503 while the database is away (so
/// Twilio tries again).
fn refused(err: &WebhookError, what: &str) -> Response {
    match err {
        WebhookError::Unsigned => {
            tracing::info!(what, "a Twilio webhook with a bad signature was refused");
            refuse(StatusCode::FORBIDDEN, "bad_signature", &err.to_string())
        }
        WebhookError::UnknownNumber(_) => refuse(StatusCode::NOT_FOUND, "not_found", &err.to_string()),
        WebhookError::Malformed(_) | WebhookError::Ops(ops::OpsError::Validation { .. }) => {
            refuse(StatusCode::BAD_REQUEST, "invalid_body", &err.to_string())
        }
        WebhookError::Ops(e) => {
            tracing::error!(error = ?e, what, "a Twilio webhook could not be taken");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again later")
        }
    }
}

/// `POST /webhooks/twilio/sms`.
pub async fn sms(State(state): State<ServerState>, uri: OriginalUri, headers: HeaderMap, body: Bytes) -> Response {
    let hook = webhook(&state, &uri, &headers, &body);
    match ops::texts::receive(&state.db, &state.secrets, &hook).await {
        Ok(received) => {
            if received.lead_id.is_some() {
                state.bell.ring();
            }
            twiml(received.reply.as_deref())
        }
        Err(err) => refused(&err, "text"),
    }
}

/// `POST /webhooks/twilio/status`.
pub async fn status(State(state): State<ServerState>, uri: OriginalUri, headers: HeaderMap, body: Bytes) -> Response {
    let hook = webhook(&state, &uri, &headers, &body);
    match ops::texts::status(&state.db, &state.texting, &hook).await {
        Ok(()) => {
            state.bell.ring();
            StatusCode::NO_CONTENT.into_response()
        }
        Err(err) => refused(&err, "text status"),
    }
}

/// `POST /webhooks/twilio/voice`.
pub async fn voice(State(state): State<ServerState>, uri: OriginalUri, headers: HeaderMap, body: Bytes) -> Response {
    let hook = webhook(&state, &uri, &headers, &body);
    match ops::texts::call(&state.db, &state.texting, &hook).await {
        Ok(answer) => {
            state.bell.ring();
            xml(answer)
        }
        Err(err) => refused(&err, "call"),
    }
}

/// `POST /webhooks/twilio/voice/done`.
pub async fn voice_done(
    State(state): State<ServerState>,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let hook = webhook(&state, &uri, &headers, &body);
    match ops::texts::call_done(&state.db, &state.texting, &hook).await {
        Ok(answer) => {
            state.bell.ring();
            xml(answer)
        }
        Err(err) => refused(&err, "call outcome"),
    }
}
