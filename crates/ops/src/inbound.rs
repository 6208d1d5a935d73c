//! Accepting an inquiry: one transaction that stores the message, finds or creates the customer
//! and their open lead, and queues the squad's run — so an accepted inquiry is never lost and
//! never half-recorded. Used by `POST /api/v1/inbound`, the dashboard's test inquiry and the
//! benchmark.

use domain::jobs::{Job, RunSquad};
use domain::pipeline::Channel;
use domain::{Email, LeadId, MessageId, PersonName};
use serde_json::json;
use store::customers::{self, NewCustomer};
use store::jobs::{self, NewJob};
use store::leads::{self, Author, Direction, NewMessage};
use store::{audit, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// A validated inquiry.
#[derive(Debug, Clone)]
pub struct Inquiry {
    pub channel: Channel,
    /// The name given, or the email/phone when none was.
    pub name: PersonName,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    pub lead_id: LeadId,
    pub message_id: MessageId,
    /// True when the message continued the customer's open lead.
    pub continued: bool,
}

/// A 5-digit ZIP at the end of a US address, if there is one.
pub fn postal_code(address: &str) -> Option<String> {
    address
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .rev()
        .find(|w| !w.is_empty())
        .map(|w| w.get(..5).unwrap_or(w))
        .filter(|w| w.len() == 5 && w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
}

pub async fn accept(db: &Db, scope: &TenantScope, inquiry: &Inquiry) -> Result<Accepted, OpsError> {
    require(scope, Operation::AcceptInquiry)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let customer = match customers::find_by_contact(&mut tx, inquiry.email.as_ref(), inquiry.phone.as_deref()).await? {
        Some(existing) => existing.id,
        None => {
            let new = NewCustomer {
                name: inquiry.name.clone(),
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
            subject: inquiry.subject.clone(),
            body: inquiry.body.clone(),
            external_id: None,
            recipient: None,
        },
    )
    .await?;
    leads::touch(&mut tx, lead_id).await?;
    jobs::enqueue(
        &mut tx,
        &NewJob {
            job: Job::RunSquad(RunSquad { message_id: Some(message_id), ..RunSquad::for_lead(lead_id) }),
            run_at: None,
            max_attempts: 8,
            idempotency_key: format!("inbound:{message_id}"),
        },
    )
    .await?;
    let entry = json!({ "lead_id": lead_id, "message_id": message_id, "channel": inquiry.channel.as_str(), "continued": continued });
    audit::record(&mut tx, &format!("inquiry accepted ({})", inquiry.channel.as_str()), &entry).await?;
    tx.commit().await?;
    Ok(Accepted { lead_id, message_id, continued })
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
