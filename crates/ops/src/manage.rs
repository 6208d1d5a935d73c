//! Manage links: how a customer changes their booking when their message could not prove who they
//! are. An unverified message that names a customer with a live booking starts a lead of its own;
//! the booking can then only be changed through a private link sent to the contact on file — a
//! link that works once (to cancel the booking, move it to another opening, or write to the
//! shop), for a week, and opens that customer's booking and nothing else.

use domain::inbound::SenderProof;
use domain::pipeline::Channel;
use serde_json::json;
use squad::calendars::{Calendars, Freshness};
use squad::link_tokens::{looks_like_token, new_token, token_hash};
use store::appointments::AppointmentRow;
use store::customers::{self, CustomerRow};
use store::leads::{self, NewMessage, PrivateLink};
use store::manage_links::{self, ManageLink};
use store::services::ServiceRow;
use store::{audit, orgs, services, settings, Db, StoreError, TenantTx};

use crate::booking_page::Opening;
use crate::inbound::{self, Accepted, Inquiry};
use crate::OpsError;

/// How long a link works.
pub const LINK_LIFETIME_MS: i64 = 7 * 24 * 3_600_000;
/// At most one open link a day per customer, however often a stranger writes in their name.
const ONE_LINK_PER_MS: i64 = 24 * 3_600_000;

/// In the accepting transaction: an unverified message named `customer`. When they have a live
/// booking and no link sent in the last day, a new link is queued for the contact on file.
pub(crate) async fn offer(tx: &mut TenantTx, customer: &CustomerRow) -> Result<(), StoreError> {
    let Some(lead) = leads::find_open_for_customer(tx, customer.id).await? else { return Ok(()) };
    if squad::bookings::live(tx, lead.id).await?.is_none() {
        return Ok(());
    }
    let now = store::now_ms();
    if manage_links::open_since(tx, customer.id, now - ONE_LINK_PER_MS).await? {
        return Ok(());
    }
    let Some(channel) = contact_channel(customer) else { return Ok(()) };
    // The link's token is minted when its message is delivered; until then the stored hash is of a
    // token nobody holds.
    let unusable = token_hash(&new_token());
    let link_id = manage_links::insert(tx, customer.id, lead.id, &unusable, now + LINK_LIFETIME_MS).await?;
    let business = orgs::current(tx).await?.name;
    let body = format!(
        "Hello {name}, {business} received a message sent with your contact details. If it was yours and it is \
         about your booking, you can see or cancel the booking, or ask for another time, here: {url}\nThis \
         private link works once, for 7 days. If it wasn't you, there is nothing to do: your booking is unchanged.",
        name = customer.name,
        url = PrivateLink::MARKER,
    );
    let message = NewMessage {
        subject: Some(format!("Your booking with {business}")),
        private_link: Some(PrivateLink::Manage { link_id: link_id.clone() }),
        ..NewMessage::from_agent(lead.id, channel, body)
    };
    leads::insert_message(tx, &message).await?;
    let entry = json!({ "link_id": link_id, "customer_id": customer.id, "lead_id": lead.id, "channel": channel });
    audit::record(tx, "manage link queued for the contact on file", &entry).await?;
    Ok(())
}

/// Where a message to `customer` goes: their email, else their phone; `None` with neither.
fn contact_channel(customer: &CustomerRow) -> Option<Channel> {
    match (&customer.email, &customer.phone) {
        (Some(_), _) => Some(Channel::Email),
        (None, Some(_)) => Some(Channel::Sms),
        (None, None) => None,
    }
}

/// Tells the customer their booking (`appointment`) on `channel`, with a private link of its own
/// to change or cancel it — minted on delivery, working until the visit ends.
pub(crate) async fn confirm_with_link(
    tx: &mut TenantTx,
    customer: domain::CustomerId,
    lead: domain::LeadId,
    channel: Channel,
    appointment: &AppointmentRow,
    subject: &str,
) -> Result<(), StoreError> {
    let link_id = manage_links::insert(tx, customer, lead, &token_hash(&new_token()), appointment.ends_at).await?;
    let confirmation = squad::bookings::confirmation_text(tx, appointment).await?;
    let message = NewMessage {
        subject: Some(subject.to_owned()),
        private_link: Some(PrivateLink::Manage { link_id }),
        ..NewMessage::from_agent(
            lead,
            channel,
            format!("{confirmation}\nTo change or cancel it, use your private link: {}", PrivateLink::MARKER),
        )
    };
    leads::insert_message(tx, &message).await?;
    Ok(())
}

/// A booking as the manage page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub appointment_id: String,
    /// Local date and time, in the shop's time zone.
    pub when: String,
    pub service: Option<String>,
}

/// What a link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManageView {
    pub business: String,
    pub customer_name: String,
    pub booking: Option<Booking>,
}

/// The link behind `token`. A malformed, unknown, used or expired token is "not found", the same
/// answer every way, so the page tells a stranger nothing.
pub async fn resolve(db: &Db, token: &str) -> Result<ManageLink, OpsError> {
    if !looks_like_token(token) {
        return Err(OpsError::NotFound);
    }
    let link = manage_links::find(db, &token_hash(token)).await?.ok_or(OpsError::NotFound)?;
    if !link.is_open(store::now_ms()) {
        return Err(OpsError::NotFound);
    }
    Ok(link)
}

pub async fn view(db: &Db, link: &ManageLink) -> Result<ManageView, OpsError> {
    let mut tx = TenantTx::read(db, &link.scope).await?;
    let customer = customers::get(&mut tx, link.customer_id).await?.ok_or(OpsError::NotFound)?;
    let business = orgs::current(&mut tx).await?.name;
    let zone = settings::get(&mut tx).await?.time_zone;
    let booking = match squad::bookings::live(&mut tx, link.lead_id).await? {
        Some(appointment) => Some(Booking {
            when: squad::tools::invoice::format_visit(&zone, appointment.starts_at)
                .unwrap_or_else(|| "a time we will confirm".to_owned()),
            service: match appointment.service_id.as_deref().map(domain::ServiceId::parse) {
                Some(Ok(id)) => services::get(&mut tx, id).await?.map(|s| s.name),
                _ => None,
            },
            appointment_id: appointment.id,
        }),
        None => None,
    };
    tx.commit().await?;
    Ok(ManageView { business, customer_name: customer.name, booking })
}

/// The customer cancels their booking through the link, which is then used up.
pub async fn cancel(db: &Db, link: &ManageLink) -> Result<(), OpsError> {
    let mut tx = TenantTx::begin(db, &link.scope).await?;
    if !manage_links::spend(&mut tx, &link.id).await? {
        return Err(OpsError::NotFound);
    }
    let lead = leads::get(&mut tx, link.lead_id).await?.ok_or(OpsError::NotFound)?;
    let cancelled = squad::bookings::cancel(&mut tx, &lead, "cancelled by the customer through their private link")
        .await?
        .ok_or_else(|| OpsError::conflict("There is no booking left to cancel."))?;
    let entry = json!({ "link_id": link.id, "lead_id": lead.id, "appointment_id": cancelled });
    audit::record(&mut tx, "booking cancelled through a manage link", &entry).await?;
    tx.commit().await?;
    tracing::info!(org_id = %link.scope.org_id(), lead_id = %lead.id, "booking cancelled through a manage link");
    Ok(())
}

/// The booked appointment's service: what a new time must fit.
async fn booked_service(tx: &mut TenantTx, appointment: &AppointmentRow) -> Result<ServiceRow, OpsError> {
    let id = appointment.service_id.as_deref().and_then(|id| domain::ServiceId::parse(id).ok());
    let service = match id {
        Some(id) => services::get(tx, id).await?,
        None => None,
    };
    service.ok_or_else(|| OpsError::conflict("This booking can't be moved online; write to us and we'll find a time."))
}

/// The times the booking may move to: the openings for its service over the next two weeks but
/// its own time, as the booking page labels them. None without a booking.
pub async fn openings(db: &Db, calendars: &dyn Calendars, link: &ManageLink) -> Result<Vec<Opening>, OpsError> {
    calendars.refresh(db, &link.scope, Freshness::Recent).await?;
    let mut tx = TenantTx::read(db, &link.scope).await?;
    let Some(current) = squad::bookings::live(&mut tx, link.lead_id).await? else { return Ok(Vec::new()) };
    let service = booked_service(&mut tx, &current).await?;
    let mut slots = squad::bookings::openings(&mut tx, &service, link.lead_id).await?;
    slots.retain(|s| s.starts_at != current.starts_at);
    let zone = settings::get(&mut tx).await?.time_zone;
    tx.commit().await?;
    Ok(crate::booking_page::labelled(&slots, &zone))
}

/// The customer moves their booking to the opening at `starts_at` through the link, which is then
/// used up: the Scheduler's own reschedule, a confirmation with a fresh link to the contact on
/// file, and an audit entry for the owner. Returns the new time, as the customer reads it.
pub async fn reschedule(
    db: &Db,
    calendars: &dyn Calendars,
    link: &ManageLink,
    starts_at: i64,
) -> Result<String, OpsError> {
    calendars.refresh(db, &link.scope, Freshness::AllNow).await?;
    let mut tx = TenantTx::begin(db, &link.scope).await?;
    if !manage_links::spend(&mut tx, &link.id).await? {
        return Err(OpsError::NotFound);
    }
    let current = squad::bookings::live(&mut tx, link.lead_id)
        .await?
        .ok_or_else(|| OpsError::conflict("There is no booking left to move."))?;
    let service = booked_service(&mut tx, &current).await?;
    let taken = || OpsError::Conflict {
        field: Some("starts_at".to_owned()),
        message: "That time is no longer open. Pick another one.".to_owned(),
    };
    let slot = squad::bookings::openings(&mut tx, &service, link.lead_id)
        .await?
        .into_iter()
        .find(|s| s.starts_at == starts_at)
        .ok_or_else(taken)?;
    let technician_id =
        domain::TechnicianId::parse(&slot.technician_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let visit =
        squad::bookings::Visit { service: &service, technician_id, starts_at, rule: squad::bookings::Rule::Opening };
    let (placed, previous) = match squad::bookings::reschedule(&mut tx, link.lead_id, &visit).await {
        Ok(done) => done,
        Err(squad::bookings::BookingError::Store(e)) => return Err(e.into()),
        Err(squad::bookings::BookingError::Taken | squad::bookings::BookingError::NotAnOpening) => return Err(taken()),
        Err(other) => return Err(OpsError::conflict(other.to_string())),
    };
    let appointment = store::appointments::get(&mut tx, &placed.appointment_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the booking just moved is missing".into()))?;
    let customer = customers::get(&mut tx, link.customer_id).await?.ok_or(OpsError::NotFound)?;
    if let Some(channel) = contact_channel(&customer) {
        let business = orgs::current(&mut tx).await?.name;
        let subject = format!("Your booking with {business} has moved");
        confirm_with_link(&mut tx, customer.id, link.lead_id, channel, &appointment, &subject).await?;
    }
    let entry = json!({ "link_id": link.id, "lead_id": link.lead_id, "from": previous, "to": placed.appointment_id,
                        "starts_at": starts_at });
    audit::record(&mut tx, "booking moved through a manage link", &entry).await?;
    let zone = settings::get(&mut tx).await?.time_zone;
    tx.commit().await?;
    tracing::info!(org_id = %link.scope.org_id(), lead_id = %link.lead_id, "booking moved through a manage link");
    Ok(squad::tools::invoice::format_visit(&zone, starts_at).unwrap_or_default())
}

/// The customer writes to the shop through the link (to ask for another time, say): a verified
/// message that continues their booking's lead. The link is then used up.
pub async fn write(db: &Db, link: &ManageLink, body: &str) -> Result<Accepted, OpsError> {
    let body = inbound::message_body(body)?;
    let mut tx = TenantTx::begin(db, &link.scope).await?;
    if !manage_links::spend(&mut tx, &link.id).await? {
        return Err(OpsError::NotFound);
    }
    let customer = customers::get(&mut tx, link.customer_id).await?.ok_or(OpsError::NotFound)?;
    let inquiry = Inquiry::from_known_customer(&customer, Channel::Form, SenderProof::ManageLink, body)?;
    let accepted = inbound::accept_in(&mut tx, &inquiry).await?;
    tx.commit().await?;
    Ok(accepted)
}
