//! `POST /api/v1/inbound`: an inquiry arrives (see [`ops::inbound`] for what accepting means).
//!
//! The caller states how far it vouches for the sender with `sender_verified`: `false` (the
//! default) for a web form or anything it did not check — the message then never joins an
//! existing customer — and `true` when it verified the contact itself, which needs a credential
//! allowed to vouch. The answer's `sender_proof` says which level was recorded.

use app::state::ServerState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use domain::inbound::SenderProof;
use domain::pipeline::Channel;
use domain::{Email, LeadId, MessageId, PersonName};
use serde::{Deserialize, Serialize};

use super::json::ApiJson;
use super::{ApiAuth, ApiError};
use ops::inbound::{self, Inquiry};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    channel: String,
    from: From,
    subject: Option<String>,
    body: String,
    address: Option<String>,
    /// The caller verified that the sender holds `from`'s email and phone.
    #[serde(default)]
    sender_verified: bool,
    /// The caller's own id for this message; sending it again is answered as the first time.
    external_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct From {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct InboundAccepted {
    lead_id: LeadId,
    message_id: MessageId,
    /// True when the message continued the customer's open lead.
    continued: bool,
    /// How the sender was verified: `none` or `api_assertion`.
    sender_proof: SenderProof,
    /// True when this repeated an `external_id` (or `Idempotency-Key`) already accepted: the
    /// answer is the first one's, and nothing new was stored.
    replayed: bool,
}

/// The most characters an `external_id` or `Idempotency-Key` may have.
const MAX_EXTERNAL_ID: usize = 200;

/// The message's idempotency key, from the body's `external_id` or the `Idempotency-Key` header
/// (the same value when both are given).
fn external_id(headers: &HeaderMap, body: Option<String>) -> Result<Option<String>, ApiError> {
    let header = match headers.get("idempotency-key") {
        Some(value) => Some(
            value
                .to_str()
                .map_err(|_| ApiError::validation("Idempotency-Key", "use printable ASCII"))?
                .trim()
                .to_owned(),
        ),
        None => None,
    };
    let id = match (optional(body), header.filter(|h| !h.is_empty())) {
        (Some(body), Some(header)) if body != header => {
            return Err(ApiError::validation("external_id", "differs from the Idempotency-Key header"))
        }
        (body, header) => body.or(header),
    };
    if id.as_ref().is_some_and(|id| id.chars().count() > MAX_EXTERNAL_ID || id.chars().any(char::is_control)) {
        return Err(ApiError::validation("external_id", format!("at most {MAX_EXTERNAL_ID} printable characters")));
    }
    Ok(id)
}

fn optional(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn validate(request: InboundRequest, headers: &HeaderMap) -> Result<Inquiry, ApiError> {
    let external_id = external_id(headers, request.external_id)?;
    let channel = Channel::parse(&request.channel).filter(|c| c.reportable()).ok_or_else(|| {
        let known: Vec<_> = Channel::ALL.iter().filter(|c| c.reportable()).map(|c| c.as_str()).collect();
        ApiError::validation("channel", format!("use one of {}", known.join(", ")))
    })?;
    let name = optional(request.from.name)
        .map(|n| PersonName::parse(&n))
        .transpose()
        .map_err(|e| ApiError::validation("from.name", e))?;
    let email = optional(request.from.email)
        .map(|e| Email::parse(&e))
        .transpose()
        .map_err(|e| ApiError::validation("from.email", e))?;
    let phone = optional(request.from.phone)
        .map(|p| domain::catalog::parse_phone(&p))
        .transpose()
        .map_err(|e| ApiError::validation("from.phone", e.message))?;
    if email.is_none() && phone.is_none() {
        return Err(ApiError::validation("from", "give an email address or a phone number so the squad can reply"));
    }
    let body = inbound::message_body(&request.body)?;
    let subject = optional(request.subject);
    if subject.as_ref().is_some_and(|s| s.chars().count() > 300) {
        return Err(ApiError::validation("subject", "at most 300 characters"));
    }
    let address = optional(request.address);
    if address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(ApiError::validation("address", "at most 300 characters"));
    }
    let proof = if request.sender_verified { SenderProof::ApiAssertion } else { SenderProof::None };
    Ok(Inquiry { channel, name, email, phone, subject, body, address, external_id, proof, known_customer: None })
}

pub async fn post_inbound(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    headers: HeaderMap,
    ApiJson(request): ApiJson<InboundRequest>,
) -> Result<(StatusCode, Json<InboundAccepted>), ApiError> {
    let inquiry = validate(request, &headers)?;
    let accepted = inbound::accept(&state.db, &ctx.scope, &inquiry).await?;
    state.bell.ring();
    tracing::info!(
        org_id = %ctx.scope.org_id(),
        lead_id = %accepted.lead_id,
        channel = %inquiry.channel,
        continued = accepted.continued,
        sender_proof = %accepted.proof,
        replayed = accepted.replayed,
        "inquiry accepted"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(InboundAccepted {
            lead_id: accepted.lead_id,
            message_id: accepted.message_id,
            continued: accepted.continued,
            sender_proof: accepted.proof,
            replayed: accepted.replayed,
        }),
    ))
}
