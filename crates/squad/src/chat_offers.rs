//! Times offered in a live chat as buttons: the Scheduler offers openings (`offer_times`), the
//! visitor taps one, and it is booked through the same booking code as every other door. A time
//! taken by someone else in between is never booked twice: the visitor is offered the next ones.

use domain::pipeline::{Channel, WaitingOn};
use domain::{LeadId, MessageId, TechnicianId};
use store::appointments::AppointmentRow;
use store::leads::{self, LeadRow, NewMessage};
use store::services::{self, ServiceRow};
use store::time_offers::{self, TimeOffer};
use store::{StoreError, TenantTx};

use crate::bookings::{self, BookingError, Rule, Visit};
use crate::tools::availability::Slot;

/// The most times one chat line offers.
pub const MAX_OFFERED: usize = 4;
/// How many times are offered again when a tapped one was just taken.
const REOFFERED: usize = 3;

/// Offers `slots` (openings, one per start time) on a new chat line saying `text`; the lead then
/// waits on the visitor's pick. Returns the line's id.
pub async fn offer(tx: &mut TenantTx, lead: &LeadRow, slots: &[&Slot], text: String) -> Result<MessageId, StoreError> {
    let message_id = leads::insert_message(tx, &NewMessage::from_agent(lead.id, Channel::Chat, text)).await?;
    leads::mark_first_response(tx, lead.id).await?;
    let times = slots
        .iter()
        .map(|s| TechnicianId::parse(&s.technician_id).map(|t| (t, s.starts_at)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    time_offers::insert(tx, lead.id, message_id, &times).await?;
    leads::set_waiting_on(tx, lead.id, WaitingOn::Customer).await?;
    Ok(message_id)
}

/// A chat line's offered times in words, for a letter that carries the line to a visitor who left
/// the page (a letter has no buttons); `None` when the line offers none.
pub async fn in_words(tx: &mut TenantTx, lead: LeadId, line: MessageId) -> Result<Option<String>, StoreError> {
    let offered: Vec<i64> = time_offers::for_lead(tx, lead)
        .await?
        .into_iter()
        .filter(|o| o.message_id == line)
        .map(|o| o.starts_at)
        .collect();
    if offered.is_empty() {
        return Ok(None);
    }
    let zone = store::settings::get(tx).await?.time_zone;
    let times: Vec<String> = offered
        .iter()
        .map(|at| format!("- {}", zone.format_local(*at, "%A, %B %-d at %-I:%M %p %Z").unwrap_or_default()))
        .collect();
    Ok(Some(format!(
        "The times we offered:\n{}\n\nReply with the one that suits you, or open the chat on our website to pick it there.",
        times.join("\n")
    )))
}

/// The first `n` openings that start at different times.
pub fn first_times(slots: &[Slot], n: usize) -> Vec<&Slot> {
    let mut starts = std::collections::HashSet::new();
    slots.iter().filter(|s| starts.insert(s.starts_at)).take(n).collect()
}

/// What came of a tapped time.
#[derive(Debug)]
pub enum Picked {
    /// Booked, and the confirmation is on its way to the chat.
    Booked(AppointmentRow),
    /// Someone else took it first: the next times were offered (`false`: there were none, and the
    /// visitor was told so).
    Gone { reoffered: bool },
}

/// Books the time the visitor tapped for the lead's service, with the technician it was offered
/// with or any other qualified one free then, and confirms it in the chat; or, when it is no
/// longer open, offers the next times instead.
pub async fn take(tx: &mut TenantTx, lead: &LeadRow, tapped: &TimeOffer) -> Result<Picked, BookingError> {
    let service = lead_service(tx, lead).await?;
    let openings = bookings::openings(tx, &service, lead.id).await?;
    let mut at_that_time: Vec<&Slot> = openings.iter().filter(|s| s.starts_at == tapped.starts_at).collect();
    at_that_time.sort_by_key(|s| s.technician_id != tapped.technician_id);
    for slot in at_that_time {
        let technician_id = TechnicianId::parse(&slot.technician_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let visit = Visit { service: &service, technician_id, starts_at: slot.starts_at, rule: Rule::Opening };
        match bookings::book(tx, lead.id, &visit).await {
            Ok(placed) => {
                let appointment = store::appointments::get(tx, &placed.appointment_id)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt("the booking just placed is missing".into()))?;
                let text = bookings::confirmation_text(tx, &appointment).await?;
                leads::insert_message(tx, &NewMessage::from_agent(lead.id, Channel::Chat, text)).await?;
                return Ok(Picked::Booked(appointment));
            }
            Err(BookingError::Taken | BookingError::NotAnOpening) => continue,
            Err(other) => return Err(other),
        }
    }
    let next: Vec<&Slot> = first_times(&openings, REOFFERED + 1)
        .into_iter()
        .filter(|s| s.starts_at != tapped.starts_at)
        .take(REOFFERED)
        .collect();
    if next.is_empty() {
        let text = "Sorry, that time was just taken, and there is no other opening in the next two weeks. \
                    Tell us here what would suit you."
            .to_owned();
        leads::insert_message(tx, &NewMessage::from_agent(lead.id, Channel::Chat, text)).await?;
        leads::set_waiting_on(tx, lead.id, WaitingOn::Customer).await?;
        return Ok(Picked::Gone { reoffered: false });
    }
    let text = "Sorry, that time was just taken. Here are the next ones we have:".to_owned();
    offer(tx, lead, &next, text).await?;
    Ok(Picked::Gone { reoffered: true })
}

async fn lead_service(tx: &mut TenantTx, lead: &LeadRow) -> Result<ServiceRow, BookingError> {
    let service = match lead.service_id {
        Some(id) => services::get(tx, id).await?,
        None => None,
    };
    service.ok_or(BookingError::NotAnOpening)
}
