//! `POST /api/v1/inbound`: an inquiry arrives. In one transaction it stores the message, finds or
//! creates the customer and their open lead, and queues the squad's run — so an accepted inquiry
//! is never lost and never half-recorded.

use app::state::ServerState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use domain::pipeline::Channel;
use domain::{Email, LeadId, MessageId, PersonName};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::customers::{self, NewCustomer};
use store::jobs::{self, NewJob};
use store::leads::{self, Author, Direction, NewMessage};
use store::TenantTx;

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

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

struct Inquiry {
    channel: Channel,
    name: Option<PersonName>,
    email: Option<Email>,
    phone: Option<String>,
    subject: Option<String>,
    body: String,
    address: Option<String>,
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
    if email.is_none() && phone.is_none() {
        return Err(ApiError::validation("from", "give an email address or a phone number so the squad can reply"));
    }
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

/// A 5-digit ZIP at the end of a US address, if there is one.
fn postal_code(address: &str) -> Option<String> {
    address
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .rev()
        .find(|w| !w.is_empty())
        .map(|w| w.get(..5).unwrap_or(w))
        .filter(|w| w.len() == 5 && w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
}

pub async fn post_inbound(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(request): ApiJson<InboundRequest>,
) -> Result<(StatusCode, Json<InboundAccepted>), ApiError> {
    let inquiry = validate(request)?;
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;

    let customer = match customers::find_by_contact(&mut tx, inquiry.email.as_ref(), inquiry.phone.as_deref()).await? {
        Some(existing) => existing.id,
        None => {
            let fallback =
                inquiry.email.as_ref().map(|e| e.to_string()).or_else(|| inquiry.phone.clone()).unwrap_or_default();
            let name = match &inquiry.name {
                Some(name) => name.clone(),
                None => PersonName::parse(&fallback).map_err(|e| ApiError::validation("from.name", e))?,
            };
            let new = NewCustomer {
                name,
                email: inquiry.email.clone(),
                phone: inquiry.phone.clone(),
                postal_code: inquiry.address.as_deref().and_then(postal_code),
                address: inquiry.address.clone(),
                notes: String::new(),
            };
            customers::insert(&mut tx, &new).await?.id
        }
    };

    let (lead_id, continued) = match leads::find_open_for_customer(&mut tx, customer).await? {
        Some(open) => (open.id, true),
        None => (leads::insert(&mut tx, customer, inquiry.channel).await?, false),
    };
    let message_id = leads::insert_message(
        &mut tx,
        &NewMessage {
            lead_id,
            direction: Direction::Inbound,
            channel: inquiry.channel,
            author: Author::Customer,
            subject: inquiry.subject,
            body: inquiry.body,
            external_id: None,
        },
    )
    .await?;
    leads::touch(&mut tx, lead_id).await?;
    jobs::enqueue(
        &mut tx,
        &NewJob {
            kind: "run_squad".to_owned(),
            payload: json!({ "lead_id": lead_id, "message_id": message_id }),
            run_at: None,
            max_attempts: 8,
            idempotency_key: format!("inbound:{message_id}"),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(org_id = %ctx.scope.org_id(), lead_id = %lead_id, channel = %inquiry.channel, continued, "inquiry accepted");
    Ok((StatusCode::ACCEPTED, Json(InboundAccepted { lead_id, message_id, continued })))
}

#[cfg(test)]
mod tests {
    use super::postal_code;

    #[test]
    fn finds_the_zip_at_the_end_of_an_address() {
        assert_eq!(postal_code("12 Elm St, Springfield, IL 62704").as_deref(), Some("62704"));
        assert_eq!(postal_code("12 Elm St, Springfield, IL 62704-1234").as_deref(), Some("62704"));
        assert_eq!(postal_code("12 Elm St, Springfield").as_deref(), None);
        assert_eq!(postal_code("").as_deref(), None);
    }
}
