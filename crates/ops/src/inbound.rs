//! Accepting an inquiry: one transaction that stores the message, finds or creates the customer
//! and their open lead, and queues the squad's run — so an accepted inquiry is never lost and
//! never half-recorded. Used by `POST /api/v1/inbound`, the dashboard's test inquiry, a
//! customer's manage link and the benchmark.
//!
//! Channel identity decides whom a message joins: only a verified sender ([`SenderProof`])
//! continues an existing customer's thread. An unverified message whose contact matches a
//! customer starts a customer and lead of its own, so it reaches none of that customer's history
//! or bookings; if that customer has a live booking, a private manage link goes to the contact on
//! file instead ([`crate::manage`]).

use domain::inbound::{SenderProof, WrittenContact};
use domain::jobs::{Job, RunSquad};
use domain::pipeline::Channel;
use domain::{CustomerId, Email, LeadId, MessageId, PersonName};
use serde_json::json;
use store::customers::{self, CustomerRow, NewCustomer};
use store::jobs::{self, NewJob};
use store::leads::{self, Author, Direction, NewMessage};
use store::{audit, Db, StoreError, TenantScope, TenantTx};

use crate::manage;
use crate::permissions::{require, Operation};
use crate::OpsError;

/// The most text one inquiry may carry: enough for a long email, bounded for the model's sake.
pub const MAX_BODY_CHARS: usize = 20_000;

/// A validated inquiry.
#[derive(Debug, Clone)]
pub struct Inquiry {
    pub channel: Channel,
    /// The name the sender gave, if any. A new customer without one takes the name written in
    /// the message, else their email address or phone number.
    pub name: Option<PersonName>,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub address: Option<String>,
    /// The sender's own id for this message (an email's Message-ID, an integration's idempotency
    /// key): the same id again on the same channel is a retry, answered without a second lead.
    pub external_id: Option<String>,
    /// How far the sender is proven to hold `email` and `phone`.
    pub proof: SenderProof,
    /// Set when a verified credential already names the customer (a manage link): the message
    /// joins them, whatever contacts it carries.
    pub known_customer: Option<CustomerId>,
}

impl Inquiry {
    /// A message from a customer on file, proven by `proof`.
    pub fn from_known_customer(
        customer: &CustomerRow,
        channel: Channel,
        proof: SenderProof,
        body: String,
    ) -> Result<Self, OpsError> {
        Ok(Self {
            channel,
            name: Some(PersonName::parse(&customer.name).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            email: None,
            phone: None,
            subject: None,
            body,
            address: None,
            external_id: None,
            proof,
            known_customer: Some(customer.id),
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Accepted {
    pub lead_id: LeadId,
    pub message_id: MessageId,
    /// True when the message continued the customer's open lead.
    pub continued: bool,
    pub proof: SenderProof,
    /// True when this was a retry of a message already accepted (same `external_id`): nothing new
    /// was stored or queued.
    pub replayed: bool,
}

/// A message's text, trimmed: not empty and at most [`MAX_BODY_CHARS`].
pub fn message_body(raw: &str) -> Result<String, OpsError> {
    let body = raw.trim();
    if body.is_empty() {
        return Err(OpsError::validation("body", "The message is empty."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(OpsError::validation("body", format!("Keep the message under {MAX_BODY_CHARS} characters.")));
    }
    Ok(body.to_owned())
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

/// Accepts an inquiry for the scope's org. Vouching for the sender (any proof but `none`) is an
/// operation of its own: a credential that may only hand in inquiries cannot claim them verified.
pub async fn accept(db: &Db, scope: &TenantScope, inquiry: &Inquiry) -> Result<Accepted, OpsError> {
    require(scope, Operation::AcceptInquiry)?;
    if inquiry.proof.is_verified() || inquiry.known_customer.is_some() {
        require(scope, Operation::VouchForSender)?;
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    match accept_in(&mut tx, inquiry).await {
        Ok(accepted) => {
            tx.commit().await?;
            Ok(accepted)
        }
        // The same retry raced in twice: the other one won; answer as it did.
        Err(OpsError::Store(StoreError::Conflict { .. })) if inquiry.external_id.is_some() => {
            drop(tx);
            let mut tx = TenantTx::begin(db, scope).await?;
            let replay = replay_of(&mut tx, inquiry).await?;
            tx.commit().await?;
            replay.ok_or_else(|| OpsError::conflict("the message could not be stored; send it again"))
        }
        Err(err) => Err(err),
    }
}

/// The answer the first delivery of this message got, when `inquiry` is a retry of one.
async fn replay_of(tx: &mut TenantTx, inquiry: &Inquiry) -> Result<Option<Accepted>, StoreError> {
    let Some(external_id) = &inquiry.external_id else { return Ok(None) };
    Ok(leads::find_by_external_id(tx, inquiry.channel, external_id).await?.map(|(lead_id, message_id)| Accepted {
        lead_id,
        message_id,
        continued: false,
        proof: inquiry.proof,
        replayed: true,
    }))
}

/// A subject as one line: a line break in it could start a new header wherever it is sent.
fn one_line(subject: &str) -> String {
    subject.split(char::is_control).map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

/// [`accept`] inside the caller's transaction, for doors that vouch for the sender themselves
/// (a manage link).
pub(crate) async fn accept_in(tx: &mut TenantTx, inquiry: &Inquiry) -> Result<Accepted, OpsError> {
    take(tx, inquiry, true).await
}

/// [`accept_in`] without putting the squad to work: the door answers itself (a missed call's
/// text-back), and the squad runs when the customer writes.
pub(crate) async fn record_in(tx: &mut TenantTx, inquiry: &Inquiry) -> Result<Accepted, OpsError> {
    take(tx, inquiry, false).await
}

async fn take(tx: &mut TenantTx, inquiry: &Inquiry, run_squad: bool) -> Result<Accepted, OpsError> {
    if let Some(replay) = replay_of(tx, inquiry).await? {
        return Ok(replay);
    }
    let customer = match inquiry.known_customer {
        Some(known) => known,
        None => match customers::find_by_contact(tx, inquiry.email.as_ref(), inquiry.phone.as_deref()).await? {
            Some(existing) if inquiry.proof.is_verified() => existing.id,
            Some(existing) => {
                manage::offer(tx, &existing).await?;
                let note = "Wrote with the contact details of an existing customer without proving them; kept apart \
                            from that customer.";
                new_customer(tx, inquiry, note).await?
            }
            None => new_customer(tx, inquiry, "").await?,
        },
    };
    let (lead_id, continued) = match leads::find_open_for_customer(tx, customer).await? {
        Some(open) => (open.id, true),
        None => (leads::insert(tx, customer, inquiry.channel).await?, false),
    };
    let message_id = leads::insert_message(
        tx,
        &NewMessage {
            lead_id,
            direction: Direction::Inbound,
            channel: inquiry.channel,
            author: Author::Customer,
            subject: inquiry.subject.as_deref().map(one_line).filter(|s| !s.is_empty()),
            body: inquiry.body.clone(),
            external_id: inquiry.external_id.clone(),
            recipient: None,
            sender_proof: inquiry.proof,
            private_link: None,
        },
    )
    .await?;
    leads::touch(tx, lead_id).await?;
    if run_squad {
        jobs::enqueue(
            tx,
            &NewJob {
                job: Job::RunSquad(RunSquad { message_id: Some(message_id), ..RunSquad::for_lead(lead_id) }),
                run_at: None,
                max_attempts: 8,
                idempotency_key: format!("inbound:{message_id}"),
            },
        )
        .await?;
    }
    let entry = json!({
        "lead_id": lead_id,
        "message_id": message_id,
        "channel": inquiry.channel,
        "continued": continued,
        "sender_proof": inquiry.proof,
    });
    audit::record(tx, &format!("inquiry accepted ({})", inquiry.channel.as_str()), &entry).await?;
    Ok(Accepted { lead_id, message_id, continued, proof: inquiry.proof, replayed: false })
}

/// A new customer from what the inquiry gave; a name or phone number it left out comes from what
/// the customer wrote in the message ("Tom Ames, 217-555-0142"), and the notes say so.
async fn new_customer(tx: &mut TenantTx, inquiry: &Inquiry, notes: &str) -> Result<CustomerId, StoreError> {
    let written = WrittenContact::read(&inquiry.body);
    let mut notes = notes.to_owned();
    let mut from_message = Vec::new();
    let name = match (&inquiry.name, written.name) {
        (Some(given), _) => given.clone(),
        (None, Some(written)) => {
            from_message.push("name");
            written
        }
        (None, None) => {
            // The contact stands in, cut to a name's length (an email can be longer than any name).
            let contact = inquiry.email.as_ref().map(ToString::to_string).or_else(|| inquiry.phone.clone());
            let shortened: String = contact.unwrap_or_default().chars().take(PersonName::MAX_CHARS).collect();
            PersonName::parse(&shortened).map_err(|e| StoreError::Corrupt(e.to_string()))?
        }
    };
    let phone = inquiry.phone.clone().or_else(|| {
        let written = written.phone?;
        from_message.push("phone number");
        Some(written)
    });
    if !from_message.is_empty() {
        let taken = format!("{} taken from their first message.", from_message.join(" and "));
        let taken = format!("{}{}", taken[..1].to_uppercase(), &taken[1..]);
        notes = [notes, taken].into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>().join(" ");
    }
    let new = NewCustomer {
        name,
        email: inquiry.email.clone(),
        phone,
        postal_code: inquiry.address.as_deref().and_then(postal_code),
        address: inquiry.address.clone(),
        notes,
    };
    Ok(customers::insert(tx, &new).await?.id)
}

#[cfg(test)]
mod tests {
    use super::postal_code;

    #[test]
    fn a_subject_is_one_line() {
        assert_eq!(super::one_line("Hi\r\nBcc: all@example.com"), "Hi Bcc: all@example.com");
        assert_eq!(super::one_line("  No heat \t today "), "No heat today");
    }

    #[test]
    fn finds_the_zip_at_the_end_of_an_address() {
        assert_eq!(postal_code("12 Elm St, Springfield, IL 62704").as_deref(), Some("62704"));
        assert_eq!(postal_code("12 Elm St, Springfield, IL 62704-1234").as_deref(), Some("62704"));
        assert_eq!(postal_code("12 Elm St, Springfield").as_deref(), None);
        assert_eq!(postal_code("").as_deref(), None);
    }
}
