//! The outbound channel interface: how a recorded message leaves the building.
//!
//! Every outbound message is written to `messages` first — exactly what will be sent — together
//! with a `deliver_message` job. The job hands it to a [`Channel`] through the side-effect ledger,
//! keyed by the message id: a retried job never sends twice, and an attempt that crashed mid-call
//! retries with the same key so the provider can deduplicate it.
//!
//! A shop that connected its own account for a channel (its mailbox) sends through it
//! ([`OwnChannels`]). Otherwise the channel is [`RecordOnly`]: the message is recorded and marked
//! delivered to nobody, honestly; or, for local development, [`Folder`], which writes what would
//! be sent to files.

use async_trait::async_trait;
use domain::pipeline::Channel as Door;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use store::leads::PrivateLink;
use store::side_effects::{self, Entry};
use store::{customers, leads, manage_links, Db, StoreError, TenantScope, TenantTx};

use crate::link_tokens::{new_token, token_hash, PublicUrl};
use crate::payments::PaymentLinks;

/// One message as a provider receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outbound {
    pub channel: String,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    /// The provider's id of the customer's message this answers (an email's `Message-ID`), so
    /// the reply lands in the same thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DeliveryError {
    /// Might work later (a timeout, throttling, a 5xx).
    #[error("delivery failed for now: {0}")]
    Transient(String),
    /// Will never work (a refused address).
    #[error("delivery refused: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Channel: Send + Sync {
    fn name(&self) -> &'static str;

    /// Sends one message. `idempotency_key` is stable across retries of the same message.
    async fn deliver(&self, message: &Outbound, idempotency_key: &str) -> Result<Value, DeliveryError>;
}

/// The shop's own accounts a message may leave through (its mailbox, later its SMS number).
#[async_trait]
pub trait OwnChannels: Send + Sync {
    /// The channel the org connected for `channel` ("email"), ready to send; `None` when it
    /// connected none, and the server's default channel is used.
    async fn for_org(
        &self,
        tx: &mut TenantTx,
        scope: &TenantScope,
        channel: &str,
    ) -> Result<Option<std::sync::Arc<dyn Channel>>, StoreError>;
}

/// No shop has connected anything (benchmarks, and tests of the default channel).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOwnChannels;

#[async_trait]
impl OwnChannels for NoOwnChannels {
    async fn for_org(
        &self,
        _: &mut TenantTx,
        _: &TenantScope,
        _: &str,
    ) -> Result<Option<std::sync::Arc<dyn Channel>>, StoreError> {
        Ok(None)
    }
}

/// The built-in channel while no email or SMS provider is connected: it sends nothing and says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordOnly;

#[async_trait]
impl Channel for RecordOnly {
    fn name(&self) -> &'static str {
        "record_only"
    }

    async fn deliver(&self, message: &Outbound, _idempotency_key: &str) -> Result<Value, DeliveryError> {
        tracing::info!(channel = %message.channel, "message recorded; no provider is connected to send it");
        Ok(json!({ "provider": "record_only", "sent": false }))
    }
}

/// Local development: each message is written as a JSON file to a folder (`channels.outbox_dir`)
/// instead of being sent, so a developer can read exactly what would go out, private links
/// included. Nothing leaves the machine.
#[derive(Debug, Clone)]
pub struct Folder {
    dir: std::path::PathBuf,
}

impl Folder {
    pub fn new(dir: impl Into<std::path::PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
}

#[async_trait]
impl Channel for Folder {
    fn name(&self) -> &'static str {
        "folder"
    }

    async fn deliver(&self, message: &Outbound, idempotency_key: &str) -> Result<Value, DeliveryError> {
        let failed = |e: std::io::Error| DeliveryError::Transient(format!("writing to {}: {e}", self.dir.display()));
        let name: String =
            idempotency_key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        let file = self.dir.join(format!("{name}.json"));
        // Written whole, then renamed, so a reader never sees half a message.
        let partial = self.dir.join(format!(".{name}.partial"));
        let text = serde_json::to_vec_pretty(message).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        tokio::fs::create_dir_all(&self.dir).await.map_err(failed)?;
        tokio::fs::write(&partial, text).await.map_err(failed)?;
        tokio::fs::rename(&partial, &file).await.map_err(failed)?;
        Ok(json!({ "provider": "folder", "sent": false, "file": file.display().to_string() }))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("the message cannot be delivered: {0}")]
    Payload(String),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error("database error")]
    Store(#[from] StoreError),
}

/// What a `deliver_message` job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    /// The ledger says an earlier attempt already delivered it.
    AlreadyDone,
    /// Nowhere to send it (no address on file for the channel); recorded as failed.
    NoAddress,
    /// The customer texted STOP to the shop's number: nothing more is texted to it.
    OptedOut,
    /// A text that is not urgent, at night where the customer is: queued again for the morning.
    Held {
        until: i64,
    },
}

/// How recently the customer must have written for a text to them to be an answer they are
/// waiting on rather than something the shop starts (which waits out the quiet hours).
const CONVERSATION_MS: i64 = 30 * 60_000;

/// When a text to the lead's customer should wait until, if now is within the quiet hours where
/// they are and the text is not urgent: an emergency, or an answer to something they wrote in
/// the last half hour (a missed call included), goes at once.
async fn quiet_until(tx: &mut TenantTx, lead: &leads::LeadRow, now: i64) -> Result<Option<i64>, StoreError> {
    let zone = store::settings::get(tx).await?.time_zone;
    let Some(until) = zone.quiet_until(now) else { return Ok(None) };
    if lead.urgency.as_deref() == Some("emergency") {
        return Ok(None);
    }
    let last_heard =
        leads::messages(tx, lead.id).await?.iter().filter(|m| m.direction == "inbound").map(|m| m.created_at).max();
    Ok(last_heard.filter(|at| now - at <= CONVERSATION_MS).map_or(Some(until), |_| None))
}

/// Delivers one recorded outbound message, at most once per message id. A private link the
/// message carries is minted now, in place of the stored placeholder, so its token exists only in
/// what leaves the building; a retried attempt mints a new one in place of the last.
#[allow(clippy::too_many_arguments)]
pub async fn deliver_message(
    db: &Db,
    scope: &TenantScope,
    channel: &dyn Channel,
    own: &dyn OwnChannels,
    payments: &dyn PaymentLinks,
    public_url: &PublicUrl,
    job: &domain::jobs::DeliverMessage,
    final_attempt: bool,
) -> Result<Delivered, DeliverError> {
    let id = job.message_id;
    let key = format!("message:{id}");
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some((lead_id, message)) = leads::message(&mut tx, id).await? else {
        return Err(DeliverError::Payload(format!("message {id} does not exist")));
    };
    let lead = leads::get(&mut tx, lead_id).await?.ok_or_else(|| DeliverError::Payload("the lead is gone".into()))?;
    let customer = customers::get(&mut tx, lead.customer_id).await?;
    // A chat reply reaches the customer in the chat itself: their widget window shows the
    // conversation's messages (live while it is open, on their return otherwise). When they have
    // left the page after leaving an email address, it also goes there through the shop's
    // mailbox (never only recorded: without a mailbox the chat is all there is).
    let mut channel_name = message.channel.clone();
    // The shop's mailbox, once opened to decide that a message goes by email.
    let mut mailbox: Option<std::sync::Arc<dyn Channel>> = None;
    // A chat line's buttons, in words, for a letter.
    let mut offered_times = None;
    let mut on_file = customer.as_ref().and_then(|c| match message.channel.as_str() {
        "sms" => c.phone.clone(),
        _ => c.email.clone().or(c.phone.clone()),
    });
    if message.channel == Door::Chat.as_str() && message.recipient.is_none() {
        let email = customer.as_ref().and_then(|c| c.email.clone());
        // A retry does what the first attempt set out to do.
        let by_email = match side_effects::claimed_request(&mut tx, &key).await?.as_deref() {
            Some("chat") => false,
            Some(_) => true,
            None => {
                if email.is_some() && store::widgets::visitor_away(&mut tx, lead_id).await? {
                    mailbox = own.for_org(&mut tx, scope, Door::Email.as_str()).await?;
                }
                mailbox.is_some()
            }
        };
        if !by_email {
            let delivered = match side_effects::begin(&mut tx, &key, "message", "chat").await? {
                Entry::New | Entry::Started => {
                    side_effects::finish(&mut tx, &key, true, &json!({ "provider": "chat", "sent": true })).await?;
                    Delivered::Sent
                }
                Entry::Done(_) | Entry::Failed(_) => Delivered::AlreadyDone,
            };
            tx.commit().await?;
            return Ok(delivered);
        }
        channel_name = Door::Email.as_str().to_owned();
        on_file = email;
        offered_times = crate::chat_offers::in_words(&mut tx, lead_id, id).await?;
    }
    let Some(to) = message.recipient.clone().or(on_file) else {
        let _ = side_effects::begin(&mut tx, &key, "message", "no-address").await?;
        side_effects::finish(&mut tx, &key, false, &json!({ "error": "no address on file for this channel" })).await?;
        tx.commit().await?;
        return Ok(Delivered::NoAddress);
    };
    // A customer who wrote through a web form, an integration or the booking page and gave an email
    // address is answered by email when the shop's mailbox is connected (else as before: recorded).
    let by_mail = [Door::Form, Door::Api, Door::BookingPage].map(Door::as_str);
    if by_mail.contains(&channel_name.as_str()) && to.contains('@') {
        mailbox = own.for_org(&mut tx, scope, Door::Email.as_str()).await?;
        if mailbox.is_some() {
            channel_name = Door::Email.as_str().to_owned();
        }
    }
    // A reply by email answers the customer's newest email, in its thread and under its subject.
    let (subject, in_reply_to) = match channel_name.as_str() {
        "email" => {
            let (theirs, thread) = leads::newest_inbound(&mut tx, lead_id, Door::Email).await?.unwrap_or_default();
            let reply = |s: String| if s.to_lowercase().starts_with("re:") { s } else { format!("Re: {s}") };
            (message.subject.clone().or(theirs.map(reply)), thread.filter(|id| id.starts_with('<')))
        }
        _ => (message.subject.clone(), None),
    };
    let mut outbound = Outbound { channel: channel_name, to, subject, body: message.body, in_reply_to };
    // The ledger's request is the stored message: the same on every attempt, whatever link it gets.
    let request_hash = hex::encode(Sha256::digest(
        format!(
            "{}\n{}\n{}\n{}",
            outbound.channel,
            outbound.to,
            outbound.subject.as_deref().unwrap_or(""),
            outbound.body
        )
        .as_bytes(),
    ));
    // What the squad starts (not what a person on the team chose to send) waits out the night.
    let squad_wrote = message.author == "agent";
    if outbound.channel == Door::Sms.as_str()
        && squad_wrote
        && side_effects::claimed_request(&mut tx, &key).await?.is_none()
    {
        if let Some(until) = quiet_until(&mut tx, &lead, store::now_ms()).await? {
            store::jobs::enqueue(
                &mut tx,
                &store::jobs::NewJob {
                    job: domain::jobs::Job::DeliverMessage(job.clone()),
                    run_at: Some(until),
                    max_attempts: 8,
                    idempotency_key: format!("{key}:after-quiet-hours:{until}"),
                },
            )
            .await?;
            tx.commit().await?;
            return Ok(Delivered::Held { until });
        }
    }
    match side_effects::begin(&mut tx, &key, "message", &request_hash).await? {
        Entry::Done(_) | Entry::Failed(_) => return Ok(Delivered::AlreadyDone),
        Entry::New | Entry::Started => {}
    }
    if outbound.channel == Door::Sms.as_str() {
        let number = domain::catalog::e164(&outbound.to).unwrap_or_else(|| outbound.to.clone());
        if store::texts::opted_out(&mut tx, &number).await? {
            let said = json!({ "error": format!("not sent: {number} texted STOP to the shop's number") });
            side_effects::finish(&mut tx, &key, false, &said).await?;
            tx.commit().await?;
            return Ok(Delivered::OptedOut);
        }
    }
    if let Some(times) = offered_times {
        outbound.body = format!("{}\n\n{times}", outbound.body);
    }
    if let Some(link) = &message.private_link {
        let url = match link {
            PrivateLink::Pay { invoice_id } => payments.mint(&mut tx, invoice_id, Some(id)).await?.url,
            PrivateLink::Manage { link_id } => {
                let token = new_token();
                if !manage_links::set_token(&mut tx, link_id, &token_hash(&token)).await? {
                    return Err(DeliverError::Payload(format!("manage link {link_id} is gone")));
                }
                public_url.link("manage", &token)
            }
        };
        outbound.body = outbound.body.replace(PrivateLink::MARKER, &url);
    }
    let connected = match mailbox {
        Some(opened) => Some(opened),
        None => own.for_org(&mut tx, scope, &outbound.channel).await?,
    };
    tx.commit().await?;

    let through = connected.as_deref().unwrap_or(channel);
    let result = match through.deliver(&outbound, &key).await {
        // Out of retries: as final as a refusal.
        Err(DeliveryError::Transient(reason)) if final_attempt => {
            Err(DeliveryError::Permanent(format!("{reason} (gave up after every retry)")))
        }
        other => other,
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    if let Err(DeliveryError::Permanent(reason)) = &result {
        hand_to_owner(&mut tx, lead_id, id, &outbound.channel, &outbound.to, reason).await?;
    }
    match &result {
        Ok(response) => {
            side_effects::finish(&mut tx, &key, true, response).await?;
            keep_text(&mut tx, id, response).await?;
            // A reply naming this message in its thread headers is matched to it.
            if let Some(sent_as) = response["message_id"].as_str() {
                leads::set_external_id(&mut tx, id, sent_as).await?;
            }
        }
        Err(DeliveryError::Permanent(reason)) => {
            side_effects::finish(&mut tx, &key, false, &json!({ "error": reason })).await?;
        }
        // A transient failure leaves the entry `started`; the job retries with the same key.
        Err(DeliveryError::Transient(_)) => {}
    }
    // The owner sees on the connection whether the shop's own account is working.
    if let Some(connected) = &connected {
        let error = result.as_ref().err().map(ToString::to_string);
        store::integrations::set_health(&mut tx, connected.name(), error.as_deref()).await?;
    }
    tx.commit().await?;
    result?;
    Ok(Delivered::Sent)
}

/// A text the provider accepted (its response names the text's id), kept for the status
/// reports that follow it.
async fn keep_text(tx: &mut TenantTx, message: domain::MessageId, response: &Value) -> Result<(), StoreError> {
    let (Some(sid), Some(to)) = (response["text_sid"].as_str(), response["to"].as_str()) else { return Ok(()) };
    store::texts::keep(
        tx,
        &store::texts::TextRow {
            sid: sid.to_owned(),
            message_id: Some(message.to_string()),
            to_number: to.to_owned(),
            status: response["status"].as_str().unwrap_or("queued").to_owned(),
            segments: response["segments"].as_i64(),
            price_micros: None,
            error_code: None,
            updated_at: store::now_ms(),
        },
    )
    .await
}

/// A message that will never arrive is the owner's to handle: an escalation names it, the address
/// and why, and the lead waits on them.
async fn hand_to_owner(
    tx: &mut TenantTx,
    lead: domain::LeadId,
    message: domain::MessageId,
    channel: &str,
    to: &str,
    why: &str,
) -> Result<(), StoreError> {
    let what = format!(
        "The {} to {to} could not be delivered: {why}. Reach the customer another way.",
        if channel == "sms" { "text message" } else { "email" }
    );
    store::escalations::insert(
        tx,
        &store::escalations::NewEscalation {
            lead_id: lead,
            run_id: None,
            kind: "delivery_failed",
            reason: &what,
            proposed_action: json!({ "message_id": message }),
        },
    )
    .await?;
    leads::set_waiting_on(tx, lead, domain::pipeline::WaitingOn::Owner).await
}

/// A message the provider had accepted came back (a bounce): its ledger entry says it was not
/// delivered, and the owner is told. `false` when `message` is not one of the shop's own.
pub async fn returned(tx: &mut TenantTx, message: domain::MessageId, why: &str) -> Result<bool, StoreError> {
    let Some((lead, row)) = leads::message(tx, message).await? else { return Ok(false) };
    if row.direction != "outbound" {
        return Ok(false);
    }
    let key = format!("message:{message}");
    side_effects::finish(tx, &key, false, &json!({ "error": format!("returned: {why}") })).await?;
    let to = match row.recipient {
        Some(to) => to,
        None => match leads::get(tx, lead).await? {
            Some(l) => customers::get(tx, l.customer_id).await?.and_then(|c| c.email).unwrap_or_default(),
            None => String::new(),
        },
    };
    hand_to_owner(tx, lead, message, &row.channel, &to, &format!("it came back ({why})")).await?;
    Ok(true)
}
