//! The self-serve booking page, `/book/{org}`: a customer picks one of the shop's real openings
//! (the Scheduler's own engine) and books it without a conversation. Confirming creates the
//! customer, the lead (channel `booking_page`), the appointment, its reminders, the confirmation
//! and a manage link in one transaction, so a booking is never half made.
//!
//! The page proves nothing about who is booking: a visitor whose contact matches a customer on
//! file books as a customer of their own, kept apart from that customer's history and bookings.

use domain::booking_page::BookingPageSettings;
use domain::inbound::SenderProof;
use domain::pipeline::Channel;
use domain::{Email, LeadId, OrgId, PersonName, ServiceId, TechnicianId};
use serde_json::json;
use squad::bookings::{self, BookingError, Rule, Visit, Window};
use squad::calendars::{Calendars, Freshness};
use squad::link_tokens::{new_token, token_hash};
use squad::tools::availability::Slot;
use squad::tools::service_area::check_service_area;
use store::customers::{self, NewCustomer};
use store::leads::{self, Author, Direction, NewMessage};
use store::services::{self, ServiceRow};
use store::{audit, booking_pages, manage_links, orgs, settings, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// The longest note a customer may leave with a booking.
pub const NOTE_MAX_CHARS: usize = 2_000;
/// The longest submission key the page's form may carry.
const SUBMISSION_MAX_CHARS: usize = 64;

/// The owner's view of the page's settings.
pub async fn settings(db: &Db, scope: &TenantScope) -> Result<BookingPageSettings, OpsError> {
    require(scope, Operation::ReadRecords)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let current = booking_pages::get(&mut tx).await?;
    tx.commit().await?;
    Ok(current)
}

/// Replaces the page's settings. Every listed service must be on the price list.
pub async fn put_settings(
    db: &Db,
    scope: &TenantScope,
    new: BookingPageSettings,
) -> Result<BookingPageSettings, OpsError> {
    require(scope, Operation::ManageChannels)?;
    let new = new.validate().map_err(|e| OpsError::validation(&e.field, e.message))?;
    let mut tx = TenantTx::begin(db, scope).await?;
    for id in &new.services {
        if services::get(&mut tx, *id).await?.is_none() {
            return Err(OpsError::validation("services", format!("no service has the id {id}")));
        }
    }
    booking_pages::put(&mut tx, &new).await?;
    let entry = json!({
        "enabled": new.enabled,
        "services": new.services,
        "days_ahead": new.days_ahead,
        "min_notice_minutes": new.min_notice_minutes,
    });
    audit::record(&mut tx, "booking page settings changed", &entry).await?;
    tx.commit().await?;
    Ok(new)
}

/// An org's published page, found by the org id in its address.
#[derive(Debug, Clone)]
pub struct Page {
    scope: TenantScope,
    settings: BookingPageSettings,
}

/// The page of `org` when its owner enabled it; a malformed id, an unknown org and a page that
/// is off all get the same "not found".
pub async fn open(db: &Db, org: &str) -> Result<Page, OpsError> {
    let org = OrgId::parse(org).map_err(|_| OpsError::NotFound)?;
    let (scope, settings) = booking_pages::find_enabled(db, org).await?.ok_or(OpsError::NotFound)?;
    Ok(Page { scope, settings })
}

/// A service as the page offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub id: ServiceId,
    pub name: String,
    /// "$119.00", "$125.00 an hour, about 2 hours", "Free estimate".
    pub price: String,
    pub duration_minutes: i64,
}

/// What the page shows before a service is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageView {
    pub business: String,
    /// The IANA zone every time on the page is in ("America/Chicago").
    pub time_zone: String,
    pub services: Vec<Offered>,
}

pub async fn view(db: &Db, page: &Page) -> Result<PageView, OpsError> {
    let mut tx = TenantTx::read(db, &page.scope).await?;
    let business = orgs::current(&mut tx).await?.name;
    let org = settings::get(&mut tx).await?;
    let services = offered(&mut tx, &page.settings)
        .await?
        .into_iter()
        .map(|s| Offered {
            price: price_terms(&s, &org.currency),
            id: s.id,
            name: s.name,
            duration_minutes: s.duration_minutes,
        })
        .collect();
    tx.commit().await?;
    Ok(PageView { business, time_zone: org.time_zone.as_str().to_owned(), services })
}

/// The active services the page offers, in price-list order.
async fn offered(tx: &mut TenantTx, page: &BookingPageSettings) -> Result<Vec<ServiceRow>, OpsError> {
    Ok(services::list(tx).await?.into_iter().filter(|s| s.active && page.offers(s.id)).collect())
}

async fn offered_service(tx: &mut TenantTx, page: &BookingPageSettings, id: &str) -> Result<ServiceRow, OpsError> {
    let unknown = || OpsError::validation("service_id", "Choose one of the services on this page.");
    let id = ServiceId::parse(id).map_err(|_| unknown())?;
    offered(tx, page).await?.into_iter().find(|s| s.id == id).ok_or_else(unknown)
}

/// The price as a customer reads it.
fn price_terms(service: &ServiceRow, currency: &str) -> String {
    let money = |cents| squad::tools::invoice::format_money(cents, currency);
    match service.pricing {
        domain::catalog::Pricing::Flat if service.price_cents == 0 => "Free estimate".to_owned(),
        domain::catalog::Pricing::Flat => money(service.price_cents),
        domain::catalog::Pricing::Hourly => {
            format!("{} an hour, about {}", money(service.price_cents), duration_text(service.duration_minutes))
        }
    }
}

fn duration_text(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} minutes"),
        (1, 0) => "1 hour".to_owned(),
        (h, 0) => format!("{h} hours"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// One time a customer can pick: the page offers a time, and books whichever qualified
/// technician is free then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub starts_at: i64,
    /// "Thursday, December 3", in the shop's time zone.
    pub day: String,
    /// "10:00 AM CST": the zone's abbreviation on that date, so a time across a daylight-saving
    /// change says which side it is on.
    pub time: String,
}

/// The openings for one of the page's services, within the page's notice and reach.
pub async fn openings(
    db: &Db,
    calendars: &dyn Calendars,
    page: &Page,
    service_id: &str,
) -> Result<Vec<Opening>, OpsError> {
    calendars.refresh(db, &page.scope, Freshness::Recent).await?;
    let mut tx = TenantTx::read(db, &page.scope).await?;
    let service = offered_service(&mut tx, &page.settings, service_id).await?;
    let slots = page_slots(&mut tx, page, &service).await?;
    let zone = settings::get(&mut tx).await?.time_zone;
    tx.commit().await?;
    Ok(labelled(&slots, &zone))
}

/// One opening per start time, in order, labelled in the shop's time zone.
pub(crate) fn labelled(slots: &[Slot], zone: &domain::schedule::TimeZone) -> Vec<Opening> {
    let starts: std::collections::BTreeSet<i64> = slots.iter().map(|s| s.starts_at).collect();
    starts
        .into_iter()
        .map(|starts_at| Opening {
            starts_at,
            day: zone.format_local(starts_at, "%A, %B %-d").unwrap_or_default(),
            time: zone.format_local(starts_at, "%-I:%M %p %Z").unwrap_or_default(),
        })
        .collect()
}

async fn page_slots(tx: &mut TenantTx, page: &Page, service: &ServiceRow) -> Result<Vec<Slot>, OpsError> {
    let window = Window::booking_page(store::now_ms(), &page.settings);
    Ok(bookings::openings_within(tx, service, None, window).await?)
}

/// A fresh key for one rendering of the page's form.
pub fn new_submission() -> String {
    new_token()
}

/// What the customer filled in.
#[derive(Debug, Clone, Default)]
pub struct BookingRequest {
    pub service_id: String,
    pub starts_at: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub street: String,
    pub zip: String,
    pub note: String,
    /// A key the form was rendered with: the same key again is the same booking (a double
    /// submit books once).
    pub submission: String,
}

/// A booking the page made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booked {
    pub lead_id: LeadId,
    pub appointment_id: String,
    /// "Thursday, December 3 at 10:00 AM".
    pub when: String,
    pub service: String,
    /// The customer's private link to change or cancel it (`/manage/{token}`); `None` when this
    /// answers a repeated submit, whose link was shown the first time.
    pub manage_token: Option<String>,
}

/// The contact details, checked: every problem at once, in the form's order.
struct Contact {
    name: PersonName,
    email: Option<Email>,
    phone: Option<String>,
    street: String,
    zip: String,
    note: String,
}

fn check_contact(request: &BookingRequest, page_area: &domain::catalog::ServiceArea) -> Result<Contact, OpsError> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: &str| problems.push((field.to_owned(), message.to_owned()));
    let name = PersonName::parse(request.name.trim()).ok();
    if name.is_none() {
        problem("name", "Enter your name.");
    }
    let email = match request.email.trim() {
        "" => None,
        raw => Email::parse(raw).map_err(|_| problem("email", "Enter an email address like name@example.com.")).ok(),
    };
    let phone = match request.phone.trim() {
        "" => None,
        raw => domain::catalog::parse_phone(raw)
            .map_err(|_| problem("phone", "Enter a phone number with its area code."))
            .ok(),
    };
    if request.email.trim().is_empty() && request.phone.trim().is_empty() {
        problem("email", "Enter an email address or a phone number, so we can confirm the visit.");
    }
    let street = domain::address::street_line(request.street.trim());
    if street.is_none() {
        problem("street", "Enter the house number and street, like 1420 Walnut St.");
    }
    let zip = request.zip.trim().get(..5).unwrap_or(request.zip.trim()).to_owned();
    if zip.len() != 5 || !zip.chars().all(|c| c.is_ascii_digit()) {
        problem("zip", "Enter a 5-digit ZIP code.");
    } else if check_service_area(page_area, Some(&zip)).inside == Some(false) {
        problem("zip", &format!("Sorry, we don't work in {zip}. Call us and we'll suggest someone who does."));
    }
    let note = request.note.trim().to_owned();
    if note.chars().count() > NOTE_MAX_CHARS {
        problem("note", &format!("Keep the note under {NOTE_MAX_CHARS} characters."));
    }
    OpsError::from_problems(problems)?;
    let (Some(name), Some(street)) = (name, street) else {
        return Err(OpsError::validation("name", "Enter your name and street."));
    };
    Ok(Contact { name, email, phone, street, zip, note })
}

/// Books one of the page's openings for a new customer and lead, all in one transaction; the
/// same submission again answers with the booking it made.
pub async fn book(
    db: &Db,
    calendars: &dyn Calendars,
    page: &Page,
    request: &BookingRequest,
) -> Result<Booked, OpsError> {
    let submission = request.submission.trim();
    let well_formed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if submission.is_empty() || submission.len() > SUBMISSION_MAX_CHARS || !submission.chars().all(well_formed) {
        return Err(OpsError::validation("submission", "The form is out of date: reload the page and try again."));
    }
    calendars.refresh(db, &page.scope, Freshness::AllNow).await?;
    let mut tx = TenantTx::begin(db, &page.scope).await?;
    if let Some(done) = replay(&mut tx, submission).await? {
        tx.commit().await?;
        return Ok(done);
    }
    let org = settings::get(&mut tx).await?;
    let service = offered_service(&mut tx, &page.settings, &request.service_id).await?;
    let contact = check_contact(request, &org.service_area)?;
    let slot =
        page_slots(&mut tx, page, &service).await?.into_iter().find(|s| s.starts_at == request.starts_at).ok_or_else(
            || OpsError::Conflict {
                field: Some("starts_at".to_owned()),
                message: "That time is no longer open. Here are the times still free.".to_owned(),
            },
        )?;
    let technician = TechnicianId::parse(&slot.technician_id)
        .map_err(|e| OpsError::Store(store::StoreError::Corrupt(e.to_string())))?;

    let already_known = customers::find_by_contact(&mut tx, contact.email.as_ref(), contact.phone.as_deref()).await?;
    let notes = if already_known.is_some() {
        "Booked on the booking page with the contact details of an existing customer, which a booking page cannot \
         prove; kept apart from that customer."
    } else {
        ""
    };
    let customer = customers::insert(
        &mut tx,
        &NewCustomer {
            name: contact.name.clone(),
            email: contact.email.clone(),
            phone: contact.phone.clone(),
            address: Some(format!("{}, {}", contact.street, contact.zip)),
            postal_code: Some(contact.zip.clone()),
            notes: notes.to_owned(),
        },
    )
    .await?;
    let lead = leads::insert(&mut tx, customer.id, Channel::BookingPage).await?;
    leads::set_service(&mut tx, lead, service.id).await?;
    let visit = Visit {
        service: &service,
        technician_id: technician,
        starts_at: slot.starts_at,
        rule: Rule::OpeningWithin(Window::booking_page(store::now_ms(), &page.settings)),
    };
    let placed = match bookings::book(&mut tx, lead, &visit).await {
        Ok(placed) => placed,
        Err(BookingError::Taken | BookingError::NotAnOpening) => return Err(just_taken()),
        Err(BookingError::Store(e)) => return Err(e.into()),
        Err(other) => return Err(OpsError::conflict(other.to_string())),
    };
    let when = squad::tools::invoice::format_visit(&org.time_zone, slot.starts_at).unwrap_or_default();
    let mut body = format!(
        "Booked {} for {when} on the booking page.\nAddress: {}, {}",
        service.name, contact.street, contact.zip
    );
    if !contact.note.is_empty() {
        body.push_str(&format!("\nNote: {}", contact.note));
    }
    leads::insert_message(
        &mut tx,
        &NewMessage {
            lead_id: lead,
            direction: Direction::Inbound,
            channel: Channel::BookingPage,
            author: Author::Customer,
            subject: None,
            body,
            external_id: Some(submission.to_owned()),
            recipient: None,
            sender_proof: SenderProof::None,
            private_link: None,
        },
    )
    .await?;

    // Two links to the same booking, both ending with the visit: one for the screen the customer
    // is looking at, one in the confirmation sent to the contact they gave (minted on delivery).
    let token = new_token();
    manage_links::insert(&mut tx, customer.id, lead, &token_hash(&token), slot.ends_at).await?;
    let appointment = store::appointments::get(&mut tx, &placed.appointment_id)
        .await?
        .ok_or_else(|| OpsError::Store(store::StoreError::Corrupt("the booking just made is missing".into())))?;
    let channel = if contact.email.is_some() { Channel::Email } else { Channel::Sms };
    let business = orgs::current(&mut tx).await?.name;
    let subject = format!("Your booking with {business}");
    crate::manage::confirm_with_link(&mut tx, customer.id, lead, channel, &appointment, &subject).await?;
    leads::mark_first_response(&mut tx, lead).await?;
    let entry = json!({
        "lead_id": lead,
        "appointment_id": placed.appointment_id,
        "service_id": service.id,
        "starts_at": slot.starts_at,
        "technician_id": slot.technician_id,
        "kept_apart_from_existing_customer": already_known.is_some(),
    });
    audit::record(&mut tx, "booked on the booking page", &entry).await?;
    tx.commit().await?;
    tracing::info!(org_id = %page.scope.org_id(), lead_id = %lead, "booked on the booking page");
    Ok(Booked {
        lead_id: lead,
        appointment_id: placed.appointment_id,
        when,
        service: service.name,
        manage_token: Some(token),
    })
}

fn just_taken() -> OpsError {
    OpsError::Conflict {
        field: Some("starts_at".to_owned()),
        message: "Someone just took that time. Here are the times still free.".to_owned(),
    }
}

/// The booking an earlier submit of the same form made.
async fn replay(tx: &mut TenantTx, submission: &str) -> Result<Option<Booked>, OpsError> {
    let Some((lead, _)) = leads::find_by_external_id(tx, Channel::BookingPage, submission).await? else {
        return Ok(None);
    };
    let Some(appointment) = bookings::live(tx, lead).await? else {
        return Err(OpsError::conflict("That booking was already made and then cancelled."));
    };
    let zone = settings::get(tx).await?.time_zone;
    let service = match appointment.service_id.as_deref().map(ServiceId::parse) {
        Some(Ok(id)) => services::get(tx, id).await?.map(|s| s.name).unwrap_or_default(),
        _ => String::new(),
    };
    Ok(Some(Booked {
        lead_id: lead,
        when: squad::tools::invoice::format_visit(&zone, appointment.starts_at).unwrap_or_default(),
        appointment_id: appointment.id,
        service,
        manage_token: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(pricing: domain::catalog::Pricing, price_cents: i64, duration_minutes: i64) -> ServiceRow {
        ServiceRow {
            id: ServiceId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a").unwrap(),
            name: "Furnace repair".into(),
            pricing,
            price_cents,
            duration_minutes,
            emergency_fee_cents: 0,
            taxable: true,
            skill: None,
            active: true,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn prices_read_as_a_customer_expects() {
        use domain::catalog::Pricing;
        assert_eq!(price_terms(&service(Pricing::Flat, 11_900, 90), "USD"), "$119.00");
        assert_eq!(price_terms(&service(Pricing::Flat, 0, 60), "USD"), "Free estimate");
        assert_eq!(price_terms(&service(Pricing::Hourly, 12_500, 120), "USD"), "$125.00 an hour, about 2 hours");
        assert_eq!(price_terms(&service(Pricing::Hourly, 11_000, 90), "USD"), "$110.00 an hour, about 1 h 30 min");
    }

    #[test]
    fn contact_problems_are_named_all_at_once() {
        let area = domain::catalog::ServiceArea { zip_codes: vec!["62704".into()], ..Default::default() };
        let bad = BookingRequest { zip: "61602".into(), street: "Springfield".into(), ..Default::default() };
        let OpsError::Invalid(problems) = check_contact(&bad, &area).err().unwrap() else { panic!("several problems") };
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["name", "email", "street", "zip"]);
        assert!(problems[3].1.contains("61602"), "{problems:?}");

        let good = BookingRequest {
            name: "Tom Ames".into(),
            phone: "217-555-0142".into(),
            street: "77 Elm Ct".into(),
            zip: "62704".into(),
            ..Default::default()
        };
        let contact = check_contact(&good, &area).ok().unwrap();
        assert_eq!((contact.street.as_str(), contact.zip.as_str(), contact.email), ("77 Elm Ct", "62704", None));
    }
}
