//! Text messages through the shop's own Twilio account: connecting it (tried before it is kept,
//! the Auth Token sealed under the server's keyring), the channel the squad's texts leave
//! through, and what Twilio's webhooks bring in — a customer's text (STOP, START and HELP are
//! answered here; anything else is an inquiry from a number its carrier vouches for) and each sent
//! text's progress, where a text that could not be delivered goes out by email instead.

use std::sync::Arc;

use ::integrations::secrets::Keyring;
use ::integrations::twilio::{self, NewText, Sender, Twilio, TwilioAccount, TwilioError};
use domain::inbound::SenderProof;
use domain::pipeline::Channel as Door;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use squad::channels::{Channel, DeliveryError, Outbound, OwnChannels};
use store::calls::{self, NewCall, Outcome};
use store::integrations::{Connection, NewConnection};
use store::leads::{self, Author, Direction, NewMessage};
use store::texts;
use store::{audit, customers, side_effects, Db, StoreError, TenantScope, TenantTx};

use crate::integrations::{context, corrupt};
use crate::permissions::{require, Operation};
use crate::OpsError;

pub use store::texts::PROVIDER;

/// `PUT /api/v1/integrations/sms`: the shop's Twilio account and the number it texts from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConnection {
    pub account_sid: String,
    pub auth_token: SecretString,
    /// One of the account's phone numbers, as the shop writes it.
    pub number: String,
    /// Where calls to that number ring (the owner's phone); unanswered ones are texted back.
    /// Without it every call is answered with a short message and texted back.
    #[serde(default)]
    pub forward_calls_to: Option<String>,
    /// A Messaging Service (`MG…`) to send through instead of the number alone (US shops register
    /// their texting with carriers through one); the number must be in its sender pool.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
}

/// Twilio, and what a shop's texts need from this server: the keys their credentials open with
/// and the public address Twilio reports each text's progress to.
#[derive(Clone)]
pub struct Texting {
    pub twilio: Arc<Twilio>,
    pub keys: Arc<Keyring>,
    /// `https://opsquad.example`: status callbacks go to `{public_url}/webhooks/twilio/status`.
    pub public_url: String,
}

impl std::fmt::Debug for Texting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Texting")
            .field("twilio", &self.twilio)
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

impl Texting {
    pub fn status_callback(&self) -> String {
        format!("{}/webhooks/twilio/status", self.public_url.trim_end_matches('/'))
    }
}

/// A shop's Twilio connection, opened for use.
#[derive(Debug, Clone)]
pub struct Opened {
    pub account: TwilioAccount,
    /// The shop's number, E.164.
    pub number: String,
    /// Where calls to it ring.
    pub forward_calls_to: Option<String>,
    /// What texts are sent as: the number, or the Messaging Service it belongs to.
    pub sender: Sender,
}

/// A Twilio SID of this kind: two letters (`AC`, `MG`) and 32 hex digits.
fn sid_ok(sid: &str, kind: &str) -> bool {
    sid.len() == 34 && sid.starts_with(kind) && sid[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// What went wrong talking to Twilio, as a problem with the owner's input where it is one.
fn refused(err: &TwilioError) -> OpsError {
    match err {
        TwilioError::BadCredentials => OpsError::validation(
            "auth_token",
            "Twilio did not accept this Account SID and Auth Token. Copy both again from the Twilio Console.",
        ),
        TwilioError::Refused { .. } => OpsError::validation("account_sid", format!("{err}.")),
        TwilioError::Unreachable(_) => OpsError::conflict(format!("{err}; try again in a minute.")),
    }
}

/// Tries the account and number with Twilio; keeps the connection (Auth Token sealed) only when
/// Twilio accepted the credentials and the number is the account's own, replacing any other.
pub async fn connect(
    db: &Db,
    texting: &Texting,
    scope: &TenantScope,
    input: SmsConnection,
) -> Result<Connection, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let account_sid = input.account_sid.trim().to_owned();
    let token = input.auth_token.expose_secret().trim().to_owned();
    let mut problems = Vec::new();
    if !sid_ok(&account_sid, "AC") {
        problems.push((
            "account_sid".to_owned(),
            "The Account SID is AC followed by 32 letters and digits; copy it from the Twilio Console.".to_owned(),
        ));
    }
    if token.is_empty() || token.len() > 200 {
        problems.push(("auth_token".to_owned(), "Give the account's Auth Token, from the Twilio Console.".to_owned()));
    }
    let number = domain::catalog::e164(&input.number);
    if number.is_none() {
        problems.push(("number".to_owned(), "Give the Twilio number customers text, like +1 217 555 0100.".to_owned()));
    }
    let forward = input.forward_calls_to.as_deref().map(str::trim).filter(|f| !f.is_empty());
    let forward_to = forward.map(domain::catalog::e164);
    if matches!(forward_to, Some(None)) {
        problems.push((
            "forward_calls_to".to_owned(),
            "Give the phone calls should ring, like +1 217 555 0199, or leave it empty.".to_owned(),
        ));
    }
    let forward_to = forward_to.flatten();
    let service = input.messaging_service_sid.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if service.as_deref().is_some_and(|s| !sid_ok(s, "MG")) {
        problems.push((
            "messaging_service_sid".to_owned(),
            "A Messaging Service SID is MG followed by 32 letters and digits, or leave it empty.".to_owned(),
        ));
    }
    OpsError::from_problems(problems)?;
    let Some(number) = number else { return Err(OpsError::validation("number", "The number is missing.")) };
    if forward_to.as_deref() == Some(number.as_str()) {
        return Err(OpsError::conflict_on(
            "forward_calls_to",
            "Calls cannot be forwarded to the Twilio number itself.",
        ));
    }
    let account = TwilioAccount { account_sid: account_sid.clone(), auth_token: SecretString::from(token.clone()) };

    let name = texting.twilio.account_name(&account).await.map_err(|e| refused(&e))?;
    if !texting.twilio.owns_number(&account, &number).await.map_err(|e| refused(&e))? {
        return Err(OpsError::validation("number", format!("{number} is not one of this Twilio account's numbers.")));
    }
    if let Some(service) = &service {
        match texting.twilio.service_numbers(&account, service).await.map_err(|e| refused(&e))? {
            None => {
                return Err(OpsError::validation(
                    "messaging_service_sid",
                    format!("{service} is not one of this Twilio account's Messaging Services."),
                ))
            }
            // Replies come to the number; texts sent through the service must come from it too.
            Some(pool) if !pool.contains(&number) => {
                return Err(OpsError::validation(
                    "messaging_service_sid",
                    format!("{number} is not in this Messaging Service's sender pool; add it in the Twilio Console."),
                ))
            }
            Some(_) => {}
        }
    }
    if texts::org_of_number(db, &number).await?.is_some_and(|other| other.org_id() != scope.org_id()) {
        return Err(OpsError::conflict_on(
            "number",
            format!("{number} is already connected to another business on Opsquad."),
        ));
    }
    let sealed = texting.keys.seal(&context(scope, PROVIDER), token.as_bytes()).map_err(corrupt)?;
    let config = json!({ "account_sid": account_sid, "account_name": name, "forward_calls_to": forward_to,
        "messaging_service_sid": service });
    let new = NewConnection { provider: PROVIDER, account: &number, config: &config, sealed: &sealed, cursor: None };
    let mut tx = TenantTx::begin(db, scope).await?;
    texts::put_connection(&mut tx, &new).await?;
    audit::record(&mut tx, "text messages connected", &json!({ "number": number, "account_sid": account_sid })).await?;
    let stored = texts::connection(&mut tx)
        .await?
        .map(|(c, _)| c)
        .ok_or_else(|| corrupt("the connection just stored is missing"))?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), "text messages connected");
    Ok(stored)
}

/// Disconnects the shop's texting and forgets its Auth Token.
pub async fn disconnect(db: &Db, scope: &TenantScope) -> Result<(), OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some((current, _)) = texts::connection(&mut tx).await? else { return Err(OpsError::NotFound) };
    texts::delete_connection(&mut tx).await?;
    audit::record(&mut tx, "text messages disconnected", &json!({ "number": current.account })).await?;
    tx.commit().await?;
    Ok(())
}

/// The shop's Twilio connection, its Auth Token opened; `None` when it has none. A stored secret
/// that does not open is an error, never a silent `None`.
pub async fn opened(tx: &mut TenantTx, scope: &TenantScope, keys: &Keyring) -> Result<Option<Opened>, StoreError> {
    let Some((connection, sealed)) = texts::connection(tx).await? else { return Ok(None) };
    let token =
        keys.open(&context(scope, PROVIDER), &sealed).map_err(|e| corrupt(format!("Twilio credentials: {e}")))?;
    let token = String::from_utf8(token).map_err(|e| corrupt(format!("Twilio credentials: {e}")))?;
    let account_sid = connection.config["account_sid"].as_str().unwrap_or_default().to_owned();
    let number = connection.account.clone().unwrap_or_default();
    let sender = match connection.config["messaging_service_sid"].as_str() {
        Some(service) => Sender::MessagingService(service.to_owned()),
        None => Sender::Number(number.clone()),
    };
    Ok(Some(Opened {
        account: TwilioAccount { account_sid, auth_token: SecretString::from(token) },
        number,
        forward_calls_to: connection.config["forward_calls_to"].as_str().map(str::to_owned),
        sender,
    }))
}

/// "Send a test text" in Settings: one text to `to` through the shop's Twilio, now. What Twilio
/// said of it, in words.
pub async fn send_test(db: &Db, texting: &Texting, scope: &TenantScope, to: &str) -> Result<String, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let Some(to) = domain::catalog::e164(to) else {
        return Err(OpsError::validation("to", "Give a mobile number to text, like +1 217 555 0142."));
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(opened) = opened(&mut tx, scope, &texting.keys).await? else { return Err(OpsError::NotFound) };
    let business = store::orgs::current(&mut tx).await?.name;
    tx.commit().await?;
    let body = format!("{business}: this is a test text from Opsquad. Texts to your customers come from this number.");
    let text = NewText { to: &to, body: &body, status_callback: None };
    let sent = texting.twilio.send(&opened.account, &opened.sender, &text).await;
    let mut tx = TenantTx::begin(db, scope).await?;
    let said = match &sent {
        Ok(_) => format!("Twilio took the test text to {to}; it should arrive within a minute."),
        Err(e) => format!("The test text to {to} was not sent: {e}."),
    };
    audit::record(&mut tx, "test text", &json!({ "to": to, "sent": sent.is_ok(), "outcome": said })).await?;
    store::integrations::set_health(&mut tx, PROVIDER, sent.as_ref().err().map(ToString::to_string).as_deref()).await?;
    tx.commit().await?;
    match sent {
        Ok(_) => Ok(said),
        Err(e) => Err(refused(&e)),
    }
}

#[async_trait::async_trait]
impl OwnChannels for Texting {
    async fn for_org(
        &self,
        tx: &mut TenantTx,
        scope: &TenantScope,
        channel: &str,
    ) -> Result<Option<Arc<dyn Channel>>, StoreError> {
        if channel != Door::Sms.as_str() {
            return Ok(None);
        }
        let Some(opened) = opened(tx, scope, &self.keys).await? else { return Ok(None) };
        Ok(Some(Arc::new(TwilioChannel { twilio: self.twilio.clone(), opened, callback: self.status_callback() })))
    }
}

/// One shop's Twilio number as the channel its texts leave through.
struct TwilioChannel {
    twilio: Arc<Twilio>,
    opened: Opened,
    callback: String,
}

#[async_trait::async_trait]
impl Channel for TwilioChannel {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn deliver(&self, message: &Outbound, _idempotency_key: &str) -> Result<serde_json::Value, DeliveryError> {
        let Some(to) = domain::catalog::e164(&message.to) else {
            return Err(DeliveryError::Permanent(format!("{} is not a number a text can go to", message.to)));
        };
        let text = NewText { to: &to, body: &message.body, status_callback: Some(&self.callback) };
        match self.twilio.send(&self.opened.account, &self.opened.sender, &text).await {
            Ok(status) => Ok(json!({
                "provider": PROVIDER, "sent": true, "text_sid": status.sid, "status": status.status,
                "segments": status.segments, "to": to,
            })),
            Err(e) if e.is_transient() => Err(DeliveryError::Transient(e.to_string())),
            Err(e) if e.is_opted_out() => {
                Err(DeliveryError::Permanent("the customer texted STOP to the shop's number".to_owned()))
            }
            Err(e) => Err(DeliveryError::Permanent(e.to_string())),
        }
    }
}

/// A webhook Twilio sent: the URL it called (as Twilio saw it), its form fields and its
/// `X-Twilio-Signature`.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub url: String,
    pub fields: Vec<(String, String)>,
    pub signature: Option<String>,
}

impl Webhook {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why a webhook was not taken.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No shop on this server connected the number it names.
    #[error("no business here texts from {0}")]
    UnknownNumber(String),
    /// The signature is missing or wrong, or the account is not the one connected.
    #[error("the request is not signed by the Twilio account connected to this number")]
    Unsigned,
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Ops(#[from] OpsError),
}

impl From<StoreError> for WebhookError {
    fn from(err: StoreError) -> Self {
        Self::Ops(OpsError::Store(err))
    }
}

/// The org whose number `number` is, once the webhook's signature is proven to be its Twilio
/// account's.
async fn signed_by_owner(
    db: &Db,
    keys: &Keyring,
    hook: &Webhook,
    number: Option<&str>,
) -> Result<(TenantScope, Opened), WebhookError> {
    let number = number
        .and_then(domain::catalog::e164)
        .ok_or_else(|| WebhookError::Malformed("no number of the shop's in the request".into()))?;
    let scope = texts::org_of_number(db, &number).await?.ok_or_else(|| WebhookError::UnknownNumber(number.clone()))?;
    let mut tx = TenantTx::read(db, &scope).await?;
    let opened = opened(&mut tx, &scope, keys).await?;
    tx.commit().await?;
    let opened = opened.ok_or(WebhookError::UnknownNumber(number))?;
    let signature = hook.signature.as_deref().unwrap_or_default();
    let account_matches = hook.field("AccountSid") == Some(opened.account.account_sid.as_str());
    if !account_matches || !twilio::verify(&opened.account.auth_token, &hook.url, &hook.fields, signature) {
        return Err(WebhookError::Unsigned);
    }
    Ok((scope, opened))
}

/// What a customer's text asked for, by its first word, as carriers define the keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Stop,
    Start,
    Help,
}

pub fn keyword(body: &str) -> Option<Keyword> {
    let text = body.trim();
    let first: String = text.chars().take_while(|c| c.is_alphabetic()).collect();
    let word = first.to_uppercase();
    // Only a text that is just the keyword is one: "stop by Tuesday?" is a question.
    let rest = text[first.len()..].trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace());
    if !rest.is_empty() {
        return None;
    }
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" | "OPTOUT" | "REVOKE" => Some(Keyword::Stop),
        "START" | "UNSTOP" | "YES" => Some(Keyword::Start),
        "HELP" | "INFO" => Some(Keyword::Help),
        _ => None,
    }
}

/// What became of a customer's text: the answer sent straight back (a keyword's), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub reply: Option<String>,
    /// The lead it joined, when it was an inquiry.
    pub lead_id: Option<domain::LeadId>,
}

/// `POST /webhooks/twilio/sms`: a customer texted the shop's number. Each text is taken once
/// (a repeat of its `MessageSid` is answered with nothing); the sender's number is a verified
/// identity, since the carrier delivered the text from it.
pub async fn receive(db: &Db, keys: &Keyring, hook: &Webhook) -> Result<Received, WebhookError> {
    let (scope, _) = signed_by_owner(db, keys, hook, hook.field("To")).await?;
    let sid = hook
        .field("MessageSid")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WebhookError::Malformed("no MessageSid".into()))?;
    let from = hook
        .field("From")
        .and_then(domain::catalog::e164)
        .ok_or_else(|| WebhookError::Malformed("no sender's number".into()))?;
    let body = hook.field("Body").unwrap_or_default().trim().to_owned();
    let payload = json!(hook.fields.iter().cloned().collect::<std::collections::BTreeMap<_, _>>()).to_string();

    let mut tx = TenantTx::begin(db, &scope).await?;
    if !texts::receive(&mut tx, sid, &payload).await? {
        tx.commit().await?;
        return Ok(Received { reply: None, lead_id: None });
    }
    let business = store::orgs::current(&mut tx).await?.name;
    let received = match keyword(&body) {
        Some(Keyword::Stop) => {
            if texts::opt_out(&mut tx, &from).await? {
                audit::record(&mut tx, "texts stopped", &json!({ "phone": from, "said": body })).await?;
            }
            Received {
                reply: Some(format!(
                    "{business}: you won't get any more texts from us. Reply START to get them again."
                )),
                lead_id: None,
            }
        }
        Some(Keyword::Start) => {
            if texts::opt_in(&mut tx, &from).await? {
                audit::record(&mut tx, "texts restarted", &json!({ "phone": from, "said": body })).await?;
            }
            Received {
                reply: Some(format!("{business}: texts are back on. Reply STOP at any time to stop them.")),
                lead_id: None,
            }
        }
        Some(Keyword::Help) => {
            let email = crate::integrations::email_of(&mut tx).await?.and_then(|c| c.account);
            let reach = email.map(|e| format!(" or email {e}")).unwrap_or_default();
            Received {
                reply: Some(format!(
                    "{business}: text us here{reach} and we'll get back to you. Reply STOP to stop texts."
                )),
                lead_id: None,
            }
        }
        None if body.is_empty() => Received { reply: None, lead_id: None },
        None => {
            let inquiry = crate::inbound::Inquiry {
                channel: Door::Sms,
                name: None,
                email: None,
                phone: Some(from.clone()),
                subject: None,
                body: crate::inbound::message_body(&body)?,
                address: None,
                external_id: Some(sid.to_owned()),
                proof: SenderProof::CarrierSms,
                known_customer: None,
            };
            let accepted = crate::inbound::accept_in(&mut tx, &inquiry).await?;
            Received { reply: None, lead_id: Some(accepted.lead_id) }
        }
    };
    texts::received_done(&mut tx, sid, if received.lead_id.is_some() { "inquiry" } else { "keyword" }).await?;
    tx.commit().await?;
    Ok(received)
}

/// The statuses after which a text goes nowhere more, and those of them that mean it never arrived.
const FINAL: [&str; 3] = ["delivered", "failed", "undelivered"];
const UNDELIVERED: [&str; 2] = ["failed", "undelivered"];

/// `POST /webhooks/twilio/status`: what became of a text the squad sent. A text that could not be
/// delivered goes to the customer by email when they have an address, and to the owner otherwise.
pub async fn status(db: &Db, texting: &Texting, hook: &Webhook) -> Result<(), WebhookError> {
    let (scope, opened) = signed_by_owner(db, &texting.keys, hook, hook.field("From")).await?;
    let sid = hook.field("MessageSid").ok_or_else(|| WebhookError::Malformed("no MessageSid".into()))?;
    let status = hook
        .field("MessageStatus")
        .or_else(|| hook.field("SmsStatus"))
        .ok_or_else(|| WebhookError::Malformed("no MessageStatus".into()))?;
    let error_code = hook.field("ErrorCode").and_then(|c| c.parse().ok());
    // What the text cost, once it went as far as it will (Twilio may not know yet: then it stays
    // unknown rather than guessed).
    let price = if FINAL.contains(&status) {
        match texting.twilio.text(&opened.account, sid).await {
            Ok(read) => read.price_micros,
            Err(e) => {
                tracing::info!(error = %e, "a text's price could not be read from Twilio");
                None
            }
        }
    } else {
        None
    };
    let mut tx = TenantTx::begin(db, &scope).await?;
    let Some(text) = texts::get(&mut tx, sid).await? else {
        // Not one of the squad's (a test text, or a text sent from Twilio's console).
        tx.commit().await?;
        return Ok(());
    };
    let changed = texts::set_status(&mut tx, sid, status, error_code, price).await?;
    if changed && UNDELIVERED.contains(&status) {
        if let Some(message_id) = text.message_id.as_deref().and_then(|m| domain::MessageId::parse(m).ok()) {
            let why = match error_code {
                Some(code) => format!("the carrier reported it {status} (Twilio error {code})"),
                None => format!("the carrier reported it {status}"),
            };
            by_email_instead(&mut tx, message_id, &text.to_number, &why).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A text that never arrived: the same words go to the customer's email when they have one (the
/// timeline shows both), else the owner is asked to reach them.
async fn by_email_instead(
    tx: &mut TenantTx,
    message_id: domain::MessageId,
    to: &str,
    why: &str,
) -> Result<(), StoreError> {
    let Some((lead_id, row)) = leads::message(tx, message_id).await? else { return Ok(()) };
    let email = match leads::get(tx, lead_id).await? {
        Some(lead) => customers::get(tx, lead.customer_id).await?.and_then(|c| c.email),
        None => None,
    };
    let Some(email) = email else {
        squad::channels::returned(tx, message_id, why).await?;
        return Ok(());
    };
    side_effects::finish(tx, &format!("message:{message_id}"), false, &json!({ "error": format!("returned: {why}") }))
        .await?;
    let business = store::orgs::current(tx).await?.name;
    leads::insert_message(
        tx,
        &NewMessage {
            lead_id,
            direction: Direction::Outbound,
            channel: Door::Email,
            author: Author::Agent,
            subject: Some(format!("Our text to you from {business}")),
            body: row.body,
            external_id: None,
            recipient: Some(email.clone()),
            sender_proof: SenderProof::None,
            private_link: row.private_link,
        },
    )
    .await?;
    audit::record(
        tx,
        "text not delivered; sent by email",
        &json!({ "lead_id": lead_id, "message_id": message_id, "to": to, "email": email, "why": why }),
    )
    .await?;
    Ok(())
}

/// `POST /webhooks/twilio/voice`: someone is calling the shop's number. The call rings the
/// owner's phone, and Twilio reports how that went to `/webhooks/twilio/voice/done`; with no
/// phone to ring, the caller hears a short message and is texted back at once. TwiML to answer.
pub async fn call(db: &Db, texting: &Texting, hook: &Webhook) -> Result<String, WebhookError> {
    let (scope, opened) = signed_by_owner(db, &texting.keys, hook, hook.field("To")).await?;
    let business = business_of(db, &scope).await?;
    match &opened.forward_calls_to {
        Some(phone) => {
            let done = format!("{}/webhooks/twilio/voice/done", texting.public_url.trim_end_matches('/'));
            Ok(format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Dial action=\"{}\" method=\"POST\" timeout=\"20\" answerOnBridge=\"true\"><Number>{}</Number></Dial></Response>",
                xml_escape(&done),
                xml_escape(phone)
            ))
        }
        None => {
            missed(db, &scope, hook).await?;
            Ok(say(&format!("Thanks for calling {business}. We can't pick up right now, so we're texting you; reply to the text and we'll take it from there.")))
        }
    }
}

/// `POST /webhooks/twilio/voice/done`: how the forwarded call went. One nobody answered (busy,
/// no answer, failed) is texted back. TwiML to finish the call.
pub async fn call_done(db: &Db, texting: &Texting, hook: &Webhook) -> Result<String, WebhookError> {
    let (scope, _) = signed_by_owner(db, &texting.keys, hook, hook.field("To")).await?;
    let outcome = hook.field("DialCallStatus").unwrap_or_default();
    if outcome == "completed" || outcome == "answered" {
        answered(db, &scope, hook).await?;
        return Ok(twiml(None));
    }
    let business = business_of(db, &scope).await?;
    missed(db, &scope, hook).await?;
    Ok(say(&format!(
        "Sorry we missed you at {business}. We're sending you a text now; reply to it and we'll get right back to you."
    )))
}

/// A call someone picked up: kept for the lead pages of the number it came from and the usage
/// report. Nothing else follows from it; the person who answered has it in hand.
async fn answered(db: &Db, scope: &TenantScope, hook: &Webhook) -> Result<(), WebhookError> {
    let call_sid =
        hook.field("CallSid").filter(|s| !s.is_empty()).ok_or_else(|| WebhookError::Malformed("no CallSid".into()))?;
    let from = hook.field("From").and_then(domain::catalog::e164);
    let duration_seconds = hook.field("DialCallDuration").and_then(|d| d.parse::<i64>().ok()).filter(|d| *d >= 0);
    let mut tx = TenantTx::begin(db, scope).await?;
    let call = NewCall {
        call_sid,
        from: from.as_deref(),
        outcome: Outcome::Answered,
        duration_seconds,
        lead_id: None,
        texted_back: false,
    };
    if calls::record(&mut tx, &call).await? {
        audit::record(
            &mut tx,
            "answered call",
            &json!({ "from": from, "call_sid": call_sid, "duration_seconds": duration_seconds }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn business_of(db: &Db, scope: &TenantScope) -> Result<String, StoreError> {
    let mut tx = TenantTx::read(db, scope).await?;
    let name = store::orgs::current(&mut tx).await?.name;
    tx.commit().await?;
    Ok(name)
}

/// A call nobody took: a lead opens on the board (channel `call`) and the caller is texted back,
/// once per call. Caller ID can be forged, so the number proves nothing about who called: the
/// lead is kept apart from any customer on file, and only their texted reply is vouched for.
async fn missed(db: &Db, scope: &TenantScope, hook: &Webhook) -> Result<(), WebhookError> {
    let call_sid =
        hook.field("CallSid").filter(|s| !s.is_empty()).ok_or_else(|| WebhookError::Malformed("no CallSid".into()))?;
    let Some(from) = hook.field("From").and_then(domain::catalog::e164) else {
        // A withheld number ("anonymous"): there is nobody to text, but the call still counts.
        let mut tx = TenantTx::begin(db, scope).await?;
        let call = NewCall {
            call_sid,
            from: None,
            outcome: Outcome::Missed,
            duration_seconds: None,
            lead_id: None,
            texted_back: false,
        };
        calls::record(&mut tx, &call).await?;
        tx.commit().await?;
        return Ok(());
    };
    let payload = json!(hook.fields.iter().cloned().collect::<std::collections::BTreeMap<_, _>>()).to_string();
    let mut tx = TenantTx::begin(db, scope).await?;
    if !texts::receive(&mut tx, call_sid, &payload).await? {
        tx.commit().await?;
        return Ok(());
    }
    let business = store::orgs::current(&mut tx).await?.name;
    let inquiry = crate::inbound::Inquiry {
        channel: Door::Call,
        name: None,
        email: None,
        phone: Some(from.clone()),
        subject: None,
        body: format!("Called {business} and nobody answered; no message was left."),
        address: None,
        external_id: Some(call_sid.to_owned()),
        proof: SenderProof::None,
        known_customer: None,
    };
    let accepted = crate::inbound::record_in(&mut tx, &inquiry).await?;
    let texted = !texts::opted_out(&mut tx, &from).await?;
    if texted {
        leads::insert_message(
            &mut tx,
            &NewMessage {
                recipient: Some(from.clone()),
                ..NewMessage::from_agent(
                    accepted.lead_id,
                    Door::Call,
                    format!("Hi, this is {business}. Sorry we missed your call! What can we help you with? Reply here and we'll get right on it."),
                )
            },
        )
        .await?;
    }
    let call = NewCall {
        call_sid,
        from: Some(&from),
        outcome: Outcome::Missed,
        duration_seconds: None,
        lead_id: Some(accepted.lead_id),
        texted_back: texted,
    };
    calls::record(&mut tx, &call).await?;
    let entry = json!({ "lead_id": accepted.lead_id, "from": from, "call_sid": call_sid, "texted_back": texted });
    audit::record(&mut tx, "missed call", &entry).await?;
    texts::received_done(&mut tx, call_sid, "missed call").await?;
    tx.commit().await?;
    Ok(())
}

fn say(words: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>{}</Say></Response>", xml_escape(words))
}

/// Twilio's answer to a webhook: TwiML, with the text to send straight back, if any.
pub fn twiml(reply: Option<&str>) -> String {
    match reply {
        Some(text) => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{}</Message></Response>",
            xml_escape(text)
        ),
        None => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".to_owned(),
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_texts_only() {
        assert_eq!(keyword("STOP"), Some(Keyword::Stop));
        assert_eq!(keyword(" stop. "), Some(Keyword::Stop));
        assert_eq!(keyword("Unsubscribe"), Some(Keyword::Stop));
        assert_eq!(keyword("quit"), Some(Keyword::Stop));
        assert_eq!(keyword("start"), Some(Keyword::Start));
        assert_eq!(keyword("UNSTOP"), Some(Keyword::Start));
        assert_eq!(keyword("help?"), Some(Keyword::Help));
        assert_eq!(keyword("Can you stop by Tuesday?"), None);
        assert_eq!(keyword("stop by tuesday"), None);
        assert_eq!(keyword("cancel my appointment please"), None);
        assert_eq!(keyword(""), None);
    }

    #[test]
    fn twiml_escapes_what_it_sends() {
        assert_eq!(
            twiml(Some("A&B <Heating>")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>A&amp;B &lt;Heating&gt;</Message></Response>"
        );
        assert!(twiml(None).ends_with("<Response></Response>"));
    }

    #[test]
    fn sids_are_checked_for_shape() {
        assert!(sid_ok("AC0123456789abcdef0123456789abcdef", "AC"));
        assert!(!sid_ok("SK0123456789abcdef0123456789abcdef", "AC"));
        assert!(!sid_ok("AC123", "AC"));
        assert!(sid_ok("MG5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e", "MG"));
        assert!(!sid_ok("MG5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5z", "MG"));
    }
}
