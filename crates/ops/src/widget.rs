//! The embeddable chat widget: the owner's settings, and a visitor's conversation.
//!
//! A visitor's session is the widget's credential: the first message starts a customer and lead
//! of its own (the widget proves no email or phone, so a visitor who types a customer's contact
//! details is kept apart from that customer, as on every unverified channel); every later message
//! from the same session continues that conversation, verified by the session. A session reads
//! only its own conversation.

use domain::inbound::{SenderProof, WrittenContact};
use domain::pipeline::Channel;
use domain::schedule::TimeZone;
use domain::widget::{WidgetSettings, MESSAGE_MAX_CHARS};
use domain::{Email, LeadId, MessageId, OrgId, PersonName, TimeOfferId, WidgetSessionId};
use serde_json::json;
use squad::calendars::{Calendars, Freshness};
use squad::chat_offers::Picked;
use store::leads::{Author, Direction, LeadRow, NewMessage};
use store::{audit, customers, leads, orgs, settings, time_offers, widgets, Db, StoreError, TenantScope, TenantTx};

use crate::inbound::{self, Accepted, Inquiry};
use crate::permissions::{require, Operation};
use crate::OpsError;

/// What a visitor is called until they say their name.
const VISITOR: &str = "Website visitor";

/// The owner's view of the widget's settings.
pub async fn settings(db: &Db, scope: &TenantScope) -> Result<WidgetSettings, OpsError> {
    require(scope, Operation::ReadRecords)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let current = widgets::get(&mut tx).await?;
    tx.commit().await?;
    Ok(current)
}

/// Replaces the widget's settings.
pub async fn put_settings(db: &Db, scope: &TenantScope, new: WidgetSettings) -> Result<WidgetSettings, OpsError> {
    require(scope, Operation::ManageChannels)?;
    let new = new.validate().map_err(|e| OpsError::validation(&e.field, e.message))?;
    let mut tx = TenantTx::begin(db, scope).await?;
    widgets::put(&mut tx, &new).await?;
    let entry = json!({ "enabled": new.enabled, "allowed_origins": new.allowed_origins });
    audit::record(&mut tx, "chat widget settings changed", &entry).await?;
    tx.commit().await?;
    Ok(new)
}

/// An org's published widget, found by the org id its snippet names.
#[derive(Debug, Clone)]
pub struct Widget {
    scope: TenantScope,
    settings: WidgetSettings,
}

impl Widget {
    pub fn org(&self) -> OrgId {
        self.scope.org_id()
    }

    pub fn settings(&self) -> &WidgetSettings {
        &self.settings
    }
}

/// The widget of `org` when its owner enabled it; a malformed id, an unknown org and a widget
/// that is off all get the same "not found".
pub async fn open(db: &Db, org: &str) -> Result<Widget, OpsError> {
    let org = OrgId::parse(org).map_err(|_| OpsError::NotFound)?;
    let (scope, settings) = widgets::find_enabled(db, org).await?.ok_or(OpsError::NotFound)?;
    Ok(Widget { scope, settings })
}

/// Who wrote a line of the conversation, as the visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Visitor,
    /// The squad, writing for the shop.
    Assistant,
    /// A person at the shop.
    Person,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub id: MessageId,
    pub speaker: Speaker,
    pub body: String,
    pub created_at: i64,
    /// The times this line offers, to book with a tap; empty once the visitor is booked or a
    /// person has the conversation.
    pub choices: Vec<Choice>,
}

/// A time offered in the chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: TimeOfferId,
    /// "Thu, Dec 3 · 10:00 AM CST", in the shop's time zone.
    pub label: String,
}

/// A session's conversation as the widget shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub business: String,
    /// The lead the conversation is on, once the visitor has written.
    pub lead: Option<LeadId>,
    pub lines: Vec<Line>,
    /// A person at the shop has taken the conversation over: the squad is quiet until they hand
    /// it back.
    pub person_joined: bool,
    /// What the squad is doing about the visitor's last message, in words for the window
    /// ("Checking the schedule…"), or that the answer is slow in coming; `None` once it answered
    /// or when a person has the conversation.
    pub activity: Option<String>,
}

/// The business's name, as the window's header shows it.
pub async fn business(db: &Db, widget: &Widget) -> Result<String, OpsError> {
    let mut tx = TenantTx::read(db, &widget.scope).await?;
    let name = orgs::current(&mut tx).await?.name;
    tx.commit().await?;
    Ok(name)
}

/// Starts a visitor's session (no customer or lead yet: the first message makes them).
pub async fn start_session(db: &Db, widget: &Widget) -> Result<WidgetSessionId, OpsError> {
    let mut tx = TenantTx::begin(db, &widget.scope).await?;
    let session = widgets::start_session(&mut tx).await?;
    tx.commit().await?;
    Ok(session.id)
}

/// Whether `session` is one of this widget's live sessions.
pub async fn has_session(db: &Db, widget: &Widget, session: WidgetSessionId) -> Result<bool, OpsError> {
    let mut tx = TenantTx::read(db, &widget.scope).await?;
    let found = widgets::session(&mut tx, session).await?.is_some();
    tx.commit().await?;
    Ok(found)
}

/// The session's conversation, oldest line first: what the visitor wrote and what was written to
/// them on this conversation's lead; nothing of the squad's working steps.
pub async fn conversation(db: &Db, widget: &Widget, session: WidgetSessionId) -> Result<Conversation, OpsError> {
    let mut tx = TenantTx::read(db, &widget.scope).await?;
    let row = widgets::session(&mut tx, session).await?.ok_or(OpsError::NotFound)?;
    let business = orgs::current(&mut tx).await?.name;
    let conversation = match row.lead_id {
        None => Conversation { business, lead: None, lines: Vec::new(), person_joined: false, activity: None },
        Some(lead_id) => {
            let lead = leads::get(&mut tx, lead_id).await?.ok_or(OpsError::NotFound)?;
            let lines = lines_of(&mut tx, &lead).await?;
            let activity = match lines.last() {
                Some(last) if last.speaker == Speaker::Visitor && !lead.human_takeover => {
                    activity(&mut tx, lead_id, last.created_at).await?
                }
                _ => None,
            };
            Conversation { business, lead: Some(lead_id), lines, person_joined: lead.human_takeover, activity }
        }
    };
    tx.commit().await?;
    Ok(conversation)
}

/// Without a first step this long after the visitor wrote, the squad is not at work on it yet.
const STARTED_WITHIN_MS: i64 = 20_000;
/// How long the window says what the squad is doing before it says the answer is slow in coming.
const WORKING_FOR_MS: i64 = 120_000;
/// What the window says when no answer is coming soon: true whatever the cause (the message is
/// stored, and the lead is on the owner's board).
const SLOW: &str = "This is taking longer than usual. Your message is saved and the team can see it.";

/// What the squad is doing about the visitor's message of `since`, in words.
async fn activity(tx: &mut TenantTx, lead: LeadId, since: i64) -> Result<Option<String>, StoreError> {
    let steps = leads::steps(tx, lead).await?;
    let latest = steps.iter().rev().take_while(|s| s.created_at >= since).find_map(|step| {
        squad::steps::StepPayload::read(&step.kind, &step.payload).ok().map(|p| (step.kind.clone(), p))
    });
    let doing = latest.map(|(kind, payload)| {
        if kind == "escalation" { Some("escalation") } else { payload.tool_name() }.map(str::to_owned)
    });
    Ok(Some(activity_words(store::now_ms() - since, doing.as_ref().map(|d| d.as_deref())).to_owned()))
}

/// The words for `doing` (`None`: nothing yet; `Some(None)`: a step that is no tool call), `waited`
/// milliseconds after the visitor wrote.
fn activity_words(waited: i64, doing: Option<Option<&str>>) -> &'static str {
    match doing {
        None if waited > STARTED_WITHIN_MS => SLOW,
        _ if waited > WORKING_FOR_MS => SLOW,
        None | Some(None) => "Typing…",
        Some(Some(step)) => match step {
            "escalation" => "Asking the team…",
            "check_availability" => "Checking the schedule…",
            "book_appointment" | "reschedule" => "Booking your visit…",
            "quote_price" => "Working out the price…",
            "check_service_area" => "Checking that we serve your area…",
            "lookup_customer" | "search_memory" => "Looking up your details…",
            _ => "Typing…",
        },
    }
}

async fn lines_of(tx: &mut TenantTx, lead: &LeadRow) -> Result<Vec<Line>, StoreError> {
    let open = !lead.human_takeover && squad::bookings::live(tx, lead.id).await?.is_none();
    let offers = if open { time_offers::for_lead(tx, lead.id).await? } else { Vec::new() };
    let zone = settings::get(tx).await?.time_zone;
    Ok(leads::messages(tx, lead.id)
        .await?
        .into_iter()
        .filter(|m| m.channel == Channel::Chat.as_str())
        .map(|m| Line {
            speaker: match (m.direction.as_str(), m.author.as_str()) {
                ("inbound", _) => Speaker::Visitor,
                (_, "human") => Speaker::Person,
                _ => Speaker::Assistant,
            },
            choices: offers
                .iter()
                .filter(|o| o.message_id == m.id)
                .map(|o| Choice { id: o.id, label: time_label(&zone, o.starts_at) })
                .collect(),
            id: m.id,
            body: m.body,
            created_at: m.created_at,
        })
        .collect())
}

/// "Thu, Dec 3 · 10:00 AM CST": the zone's abbreviation on that date, so a time across a
/// daylight-saving change says which side it is on.
fn time_label(zone: &TimeZone, at: i64) -> String {
    zone.format_local(at, "%a, %b %-d · %-I:%M %p %Z").unwrap_or_default()
}

/// The visitor tapped the offered time `offer`: their pick joins the conversation as their line,
/// and the time is booked and confirmed in the chat — or, when someone else took it first, the
/// next times are offered. Returns the visitor's line.
pub async fn choose(
    db: &Db,
    calendars: &dyn Calendars,
    widget: &Widget,
    session: WidgetSessionId,
    offer: &str,
) -> Result<Line, OpsError> {
    let offer = TimeOfferId::parse(offer).map_err(|_| OpsError::NotFound)?;
    calendars.refresh(db, &widget.scope, Freshness::AllNow).await?;
    let mut tx = TenantTx::begin(db, &widget.scope).await?;
    let row = widgets::session(&mut tx, session).await?.ok_or(OpsError::NotFound)?;
    let lead_id = row.lead_id.ok_or(OpsError::NotFound)?;
    let offer = time_offers::get(&mut tx, lead_id, offer).await?.ok_or(OpsError::NotFound)?;
    let lead = leads::get(&mut tx, lead_id).await?.ok_or(OpsError::NotFound)?;
    if lead.human_takeover {
        return Err(OpsError::conflict("A person from the team has this conversation now. Write to them here."));
    }
    let zone = settings::get(&mut tx).await?.time_zone;
    if let Some(current) = squad::bookings::live(&mut tx, lead_id).await? {
        let when = squad::tools::invoice::format_visit(&zone, current.starts_at).unwrap_or_default();
        return Err(OpsError::conflict(format!("You're already booked for {when}. Write here to change it.")));
    }
    let label = time_label(&zone, offer.starts_at);
    let picked = NewMessage {
        direction: Direction::Inbound,
        author: Author::Customer,
        sender_proof: SenderProof::WidgetSession,
        ..NewMessage::from_agent(lead_id, Channel::Chat, label.clone())
    };
    let picked_id = leads::insert_message(&mut tx, &picked).await?;
    let outcome = match squad::chat_offers::take(&mut tx, &lead, &offer).await {
        Ok(outcome) => outcome,
        Err(squad::bookings::BookingError::Store(e)) => return Err(e.into()),
        Err(other) => {
            return Err(OpsError::conflict(format!("That time can't be booked: {other}. Write here instead.")))
        }
    };
    let (what, entry) = match &outcome {
        Picked::Booked(appointment) => (
            "booked from the chat by tapping an offered time",
            json!({ "lead_id": lead_id, "offer_id": offer.id, "appointment_id": appointment.id,
                    "starts_at": appointment.starts_at }),
        ),
        Picked::Gone { reoffered } => (
            "offered time was taken before the visitor tapped it",
            json!({ "lead_id": lead_id, "offer_id": offer.id, "taken": true, "reoffered": reoffered }),
        ),
    };
    audit::record(&mut tx, what, &entry).await?;
    tx.commit().await?;
    Ok(Line { id: picked_id, speaker: Speaker::Visitor, body: label, created_at: store::now_ms(), choices: Vec::new() })
}

/// How a visitor who leaves the page can still be reached, in the window's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftContact {
    /// The email address or phone number the visitor left.
    pub contact: String,
    /// Replies written while the visitor is away from the page also go to this address by email
    /// (an email address, and the shop has its mailbox connected).
    pub emailed: bool,
}

/// The visitor leaves an email address or phone number so the conversation can go on after they
/// leave the page. It is stored on the session's own customer (a widget proves no contact, so it
/// never joins the customer who already has it) and replaces what they left before.
pub async fn leave_contact(
    db: &Db,
    widget: &Widget,
    session: WidgetSessionId,
    contact: &str,
) -> Result<LeftContact, OpsError> {
    let contact = contact.trim();
    let (email, phone) = if contact.contains('@') {
        (Some(Email::parse(contact).map_err(|e| OpsError::validation("contact", e))?), None)
    } else {
        let phone = domain::catalog::parse_phone(contact)
            .map_err(|_| OpsError::validation("contact", "Enter an email address or a phone number."))?;
        (None, Some(phone))
    };
    let mut tx = TenantTx::begin(db, &widget.scope).await?;
    let row = widgets::session(&mut tx, session).await?.ok_or(OpsError::NotFound)?;
    let Some(customer) = row.customer_id else {
        return Err(OpsError::Conflict {
            field: Some("contact".into()),
            message: "Write your question first; then leave your email or number.".into(),
        });
    };
    let patch = customers::CustomerPatch {
        email: email.clone().map(Some),
        phone: phone.clone().map(Some),
        ..Default::default()
    };
    customers::update(&mut tx, customer, &patch).await?.ok_or(OpsError::NotFound)?;
    let emailed = email.is_some() && store::integrations::email(&mut tx).await?.is_some();
    let left = email.map(String::from).or(phone).unwrap_or_default();
    let entry = json!({ "customer_id": customer, "contact": if emailed { "email" } else { "kept" } });
    audit::record(&mut tx, "chat visitor left a way to reach them", &entry).await?;
    tx.commit().await?;
    Ok(LeftContact { contact: left, emailed })
}

/// What the visitor left to be reached by after leaving the page, if anything (read when the
/// window opens; the event stream does not repeat it).
pub async fn left_contact(db: &Db, widget: &Widget, session: WidgetSessionId) -> Result<Option<LeftContact>, OpsError> {
    let mut tx = TenantTx::read(db, &widget.scope).await?;
    let row = widgets::session(&mut tx, session).await?.ok_or(OpsError::NotFound)?;
    let customer = match row.customer_id {
        Some(id) => customers::get(&mut tx, id).await?,
        None => None,
    };
    let left = match customer.map(|c| (c.email, c.phone)) {
        Some((Some(email), _)) => {
            Some(LeftContact { contact: email, emailed: store::integrations::email(&mut tx).await?.is_some() })
        }
        Some((None, Some(phone))) => Some(LeftContact { contact: phone, emailed: false }),
        _ => None,
    };
    tx.commit().await?;
    Ok(left)
}

/// The visitor has the window open: replies reach them there.
pub async fn visitor_here(db: &Db, widget: &Widget, session: WidgetSessionId) -> Result<(), OpsError> {
    let mut tx = TenantTx::begin(db, &widget.scope).await?;
    widgets::touch(&mut tx, session).await?;
    tx.commit().await?;
    Ok(())
}

/// A visitor's message: the session's first starts its customer and lead (the session proves no
/// contact, and the message carries none, so it joins nobody else); later ones continue them. The squad's run is queued in the same transaction.
pub async fn send(db: &Db, widget: &Widget, session: WidgetSessionId, body: &str) -> Result<Accepted, OpsError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(OpsError::validation("body", "Write a message first."));
    }
    if body.chars().count() > MESSAGE_MAX_CHARS {
        return Err(OpsError::validation(
            "body",
            format!("Keep a message under {MESSAGE_MAX_CHARS} characters; send the rest in another."),
        ));
    }
    let mut tx = TenantTx::begin(db, &widget.scope).await?;
    let row = widgets::session(&mut tx, session).await?.ok_or(OpsError::NotFound)?;
    let inquiry = match row.customer_id {
        Some(known) => {
            let customer = customers::get(&mut tx, known).await?.ok_or(OpsError::NotFound)?;
            Inquiry::from_known_customer(&customer, Channel::Chat, SenderProof::WidgetSession, body.to_owned())?
        }
        None => Inquiry {
            channel: Channel::Chat,
            // A name written in the message ("This is Tom Ames") is taken; else a placeholder.
            name: match WrittenContact::read(body).name {
                Some(_) => None,
                None => Some(PersonName::parse(VISITOR).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            },
            email: None,
            phone: None,
            subject: None,
            body: body.to_owned(),
            address: None,
            external_id: None,
            proof: SenderProof::WidgetSession,
            known_customer: None,
        },
    };
    let accepted = inbound::accept_in(&mut tx, &inquiry).await?;
    let lead = leads::get(&mut tx, accepted.lead_id).await?.ok_or(OpsError::NotFound)?;
    widgets::attach(&mut tx, session, lead.customer_id, lead.id).await?;
    tx.commit().await?;
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_says_what_the_squad_does_and_when_it_is_slow() {
        assert_eq!(activity_words(1_000, None), "Typing…");
        assert_eq!(activity_words(5_000, Some(Some("check_availability"))), "Checking the schedule…");
        assert_eq!(activity_words(5_000, Some(Some("escalation"))), "Asking the team…");
        // No step at all for a while (the worker is down or busy), or a run that stalled.
        assert_eq!(activity_words(25_000, None), SLOW);
        assert_eq!(activity_words(60_000, Some(Some("quote_price"))), "Working out the price…");
        assert_eq!(activity_words(130_000, Some(None)), SLOW);
    }
}
