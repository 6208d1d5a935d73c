//! `POST /api/v1/inbound`: an inquiry arrives (see [`squad::intake`] for what accepting means).

use app::state::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::pipeline::Channel;
use domain::{Email, LeadId, MessageId, PersonName};
use serde::{Deserialize, Serialize};

use super::json::ApiJson;
use super::{ApiAuth, ApiError};
use ops::inbound::{self, Inquiry};

/// The most text one inquiry may carry: enough for a long email, bounded for the model's sake.
pub const MAX_BODY_CHARS: usize = 20_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    channel: String,
    from: From,
    subject: Option<String>,
    body: String,
    address: Option<String>,
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
}

fn optional(raw: Option<String>) -> Option<String> {
    raw.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn validate(request: InboundRequest) -> Result<Inquiry, ApiError> {
    let channel = Channel::parse(&request.channel).ok_or_else(|| {
        let known: Vec<_> = Channel::ALL.iter().map(|c| c.as_str()).collect();
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
    let contact = match (&email, &phone) {
        (Some(email), _) => email.to_string(),
        (None, Some(phone)) => phone.clone(),
        (None, None) => {
            return Err(ApiError::validation("from", "give an email address or a phone number so the squad can reply"))
        }
    };
    let name = match name {
        Some(name) => name,
        // No name given: the contact stands in for it, cut to a name's length (an email can be
        // longer than any name).
        None => {
            let shortened: String = contact.chars().take(PersonName::MAX_CHARS).collect();
            PersonName::parse(&shortened).map_err(ApiError::internal)?
        }
    };
    let body = request.body.trim().to_owned();
    if body.is_empty() {
        return Err(ApiError::validation("body", "the message is empty"));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(ApiError::validation("body", format!("at most {MAX_BODY_CHARS} characters")));
    }
    let subject = optional(request.subject);
    if subject.as_ref().is_some_and(|s| s.chars().count() > 300) {
        return Err(ApiError::validation("subject", "at most 300 characters"));
    }
    let address = optional(request.address);
    if address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(ApiError::validation("address", "at most 300 characters"));
    }
    Ok(Inquiry { channel, name, email, phone, subject, body, address })
}

pub async fn post_inbound(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(request): ApiJson<InboundRequest>,
) -> Result<(StatusCode, Json<InboundAccepted>), ApiError> {
    let inquiry = validate(request)?;
    let accepted = inbound::accept(&state.db, &ctx.scope, &inquiry).await?;
    tracing::info!(
        org_id = %ctx.scope.org_id(),
        lead_id = %accepted.lead_id,
        channel = %inquiry.channel,
        continued = accepted.continued,
        "inquiry accepted"
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(InboundAccepted {
            lead_id: accepted.lead_id,
            message_id: accepted.message_id,
            continued: accepted.continued,
        }),
    ))
}
