//! A lead's job as a person books and changes it: book it by hand (one of the openings or a time
//! the owner types, the database refusing a double booking), move it, cancel it, mark it done.
//! Booking or closing by hand settles the lead's escalations, so it leaves "Needs you".

use domain::jobs::{Job, RunSquad};
use domain::pipeline::{Stage, WaitingOn};
use domain::schedule::parse_local_datetime;
use domain::squad::{AgentName, EscalationStatus};
use domain::{LeadId, ServiceId, TechnicianId};
use serde_json::json;
use squad::bookings::{self, BookingError, Rule, Visit};
use store::appointments::AppointmentRow;
use store::jobs::{self, NewJob};
use store::leads::{self, Author, NewMessage};
use store::{appointments, audit, escalations, services, settings, Db, StoreError, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// The longest cancel reason a person may give, in characters.
const MAX_REASON_CHARS: usize = 500;

/// A booking as a person asks for it.
#[derive(Debug, Clone)]
pub struct HandBooking {
    pub service_id: String,
    pub technician_id: String,
    /// The wall-clock start in the business's time zone, `YYYY-MM-DDTHH:MM`.
    pub starts_at: String,
    /// Send the customer the confirmation the Scheduler would have sent.
    pub tell_customer: bool,
}

/// What was booked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Booked {
    pub appointment_id: String,
    pub lead_id: LeadId,
    pub starts_at: i64,
    pub ends_at: i64,
    /// Whether a confirmation went into the customer's conversation.
    pub customer_told: bool,
}

/// A person books the lead's job: the lead moves to Booked with its reminders queued, the
/// squad's open questions about it are settled, and (if asked) the customer is sent a confirmation.
pub async fn book_by_hand(
    db: &Db,
    scope: &TenantScope,
    lead_id: LeadId,
    input: &HandBooking,
) -> Result<Booked, OpsError> {
    require(scope, Operation::ManageBookings)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let lead = leads::get(&mut tx, lead_id).await?.ok_or(OpsError::NotFound)?;
    if lead.stage.is_closed() {
        return Err(OpsError::conflict(format!(
            "This lead is {}; a new message from the customer opens a new one.",
            lead.stage
        )));
    }
    let (service, technician_id, starts_at) = parse_visit(&mut tx, input).await?;
    let visit = Visit { service: &service, technician_id, starts_at, rule: Rule::AnyFreeTime };
    let placed = bookings::book(&mut tx, lead_id, &visit).await.map_err(booking_error)?;
    leads::set_service(&mut tx, lead_id, service.id).await?;
    settle_escalations(&mut tx, scope, lead_id, "Booked by hand.").await?;
    if input.tell_customer {
        confirm(&mut tx, lead_id, lead.channel, &placed.appointment_id).await?;
    }
    let entry = json!({
        "lead_id": lead_id, "appointment_id": placed.appointment_id, "service_id": service.id,
        "technician_id": technician_id, "starts_at": starts_at, "customer_told": input.tell_customer,
    });
    audit::record(&mut tx, "booked by hand", &entry).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), lead_id = %lead_id, appointment_id = %placed.appointment_id, "booked by hand");
    Ok(Booked {
        appointment_id: placed.appointment_id,
        lead_id,
        starts_at: placed.slot.starts_at,
        ends_at: placed.slot.ends_at,
        customer_told: input.tell_customer,
    })
}

/// A person moves appointment `id` to another technician or time (same service).
pub async fn reschedule(
    db: &Db,
    scope: &TenantScope,
    id: &str,
    technician_id: &str,
    starts_at: &str,
    tell_customer: bool,
) -> Result<Booked, OpsError> {
    require(scope, Operation::ManageBookings)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let current = live_appointment(&mut tx, id).await?;
    let lead_id = lead_of(&current)?;
    let lead = leads::get(&mut tx, lead_id).await?.ok_or(OpsError::NotFound)?;
    let service_id = current.service_id.clone().unwrap_or_default();
    let input = HandBooking {
        service_id,
        technician_id: technician_id.to_owned(),
        starts_at: starts_at.to_owned(),
        tell_customer,
    };
    let (service, technician_id, starts_at) = parse_visit(&mut tx, &input).await?;
    let visit = Visit { service: &service, technician_id, starts_at, rule: Rule::AnyFreeTime };
    let (placed, previous) = bookings::reschedule(&mut tx, lead_id, &visit).await.map_err(booking_error)?;
    if tell_customer {
        confirm(&mut tx, lead_id, lead.channel, &placed.appointment_id).await?;
    }
    let entry = json!({
        "lead_id": lead_id, "appointment_id": placed.appointment_id, "previous_appointment_id": previous,
        "technician_id": technician_id, "starts_at": starts_at, "customer_told": tell_customer,
    });
    audit::record(&mut tx, "appointment moved", &entry).await?;
    tx.commit().await?;
    Ok(Booked {
        appointment_id: placed.appointment_id,
        lead_id,
        starts_at: placed.slot.starts_at,
        ends_at: placed.slot.ends_at,
        customer_told: tell_customer,
    })
}

/// A person cancels appointment `id`; the lead is closed and, if asked, the customer told.
pub async fn cancel(db: &Db, scope: &TenantScope, id: &str, reason: &str, tell_customer: bool) -> Result<(), OpsError> {
    require(scope, Operation::ManageBookings)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(OpsError::validation("reason", "Say why in a few words (up to 500 characters)."));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let current = live_appointment(&mut tx, id).await?;
    let lead = leads::get(&mut tx, lead_of(&current)?).await?.ok_or(OpsError::NotFound)?;
    bookings::cancel(&mut tx, &lead, reason).await?;
    settle_escalations(&mut tx, scope, lead.id, &format!("Appointment cancelled: {reason}")).await?;
    if tell_customer {
        let text = bookings::cancellation_text(&mut tx, &current).await?;
        say(&mut tx, lead.id, lead.channel, text).await?;
    }
    let entry = json!({ "lead_id": lead.id, "appointment_id": id, "reason": reason, "customer_told": tell_customer });
    audit::record(&mut tx, "appointment cancelled", &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The job is done: the lead moves to Completed and the Invoice agent bills it.
pub async fn complete(db: &Db, scope: &TenantScope, id: &str) -> Result<LeadId, OpsError> {
    require(scope, Operation::CompleteAppointment)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let appointment = appointments::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    if !appointments::complete(&mut tx, id).await? {
        return Err(OpsError::conflict(format!("This appointment is already {}.", appointment.status)));
    }
    let lead_id = lead_of(&appointment)?;
    leads::set_stage(&mut tx, lead_id, Stage::Completed, WaitingOn::None).await?;
    let bill = RunSquad { start_with: Some(AgentName::Invoice), ..RunSquad::for_lead(lead_id) };
    jobs::enqueue(
        &mut tx,
        &NewJob { job: Job::RunSquad(bill), run_at: None, max_attempts: 8, idempotency_key: format!("complete:{id}") },
    )
    .await?;
    audit::record(&mut tx, "appointment completed", &json!({ "appointment_id": id, "lead_id": lead_id })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), appointment_id = %id, "appointment completed");
    Ok(lead_id)
}

/// Checks a booking's service, technician and time, reporting every field that is wrong.
async fn parse_visit(
    tx: &mut TenantTx,
    input: &HandBooking,
) -> Result<(services::ServiceRow, TechnicianId, i64), OpsError> {
    let mut problems = Vec::new();
    let mut wrong = |field: &str, message: &str| problems.push((field.to_owned(), message.to_owned()));
    let service = match ServiceId::parse(&input.service_id) {
        Ok(id) => services::get(tx, id).await?,
        Err(_) => None,
    };
    if service.is_none() {
        wrong("service_id", "Choose a service from your price list.");
    }
    let technician = TechnicianId::parse(&input.technician_id).ok();
    if technician.is_none() {
        wrong("technician_id", "Choose a technician.");
    }
    let org = settings::get(tx).await?;
    let starts_at = match parse_local_datetime(&input.starts_at) {
        Err(_) => {
            wrong("starts_at", "Choose a day and a start time.");
            None
        }
        Ok(local) => {
            let instant = org.time_zone.instant(local);
            if instant.is_none() {
                wrong("starts_at", "That time does not exist on that day (the clocks go forward); pick another.");
            }
            instant
        }
    };
    OpsError::from_problems(problems)?;
    match (service, technician, starts_at) {
        (Some(service), Some(technician), Some(starts_at)) => Ok((service, technician, starts_at)),
        _ => Err(StoreError::Corrupt("a booking field passed its check without a value".into()).into()),
    }
}

fn booking_error(err: BookingError) -> OpsError {
    match err {
        BookingError::Store(e) => e.into(),
        BookingError::TechnicianUnavailable => {
            OpsError::validation("technician_id", "That technician is not on your active crew.")
        }
        BookingError::Taken => OpsError::conflict_on(
            "starts_at",
            "That technician already has a job then (or too close to it). Pick another time or technician.",
        ),
        BookingError::InThePast => OpsError::validation("starts_at", "That time has already passed."),
        BookingError::SameTime => OpsError::validation("starts_at", "That is the appointment's current time."),
        BookingError::AlreadyBooked => {
            OpsError::conflict("This lead already has a booked appointment: move that one instead.")
        }
        BookingError::NothingToMove | BookingError::NotAnOpening => OpsError::conflict(err),
    }
}

async fn live_appointment(tx: &mut TenantTx, id: &str) -> Result<AppointmentRow, OpsError> {
    let appointment = appointments::get(tx, id).await?.ok_or(OpsError::NotFound)?;
    if !appointment.status.is_live() {
        return Err(OpsError::conflict(format!("This appointment is already {}.", appointment.status)));
    }
    Ok(appointment)
}

fn lead_of(appointment: &AppointmentRow) -> Result<LeadId, OpsError> {
    Ok(LeadId::parse(&appointment.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?)
}

/// A person settled the lead: its open escalations (not a guardrail's pending approval, which asks
/// about one specific action) are marked decided with `note`.
pub(crate) async fn settle_escalations(
    tx: &mut TenantTx,
    scope: &TenantScope,
    lead: LeadId,
    note: &str,
) -> Result<(), StoreError> {
    for open in escalations::pending_for_lead(tx, lead).await? {
        if open.kind != "approval" {
            escalations::decide_as(tx, &open.id, EscalationStatus::Approved, Some(note), scope.user_id()).await?;
        }
    }
    Ok(())
}

async fn confirm(
    tx: &mut TenantTx,
    lead: LeadId,
    channel: domain::pipeline::Channel,
    appointment_id: &str,
) -> Result<(), StoreError> {
    let appointment = appointments::get(tx, appointment_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the booking vanished".into()))?;
    let text = bookings::confirmation_text(tx, &appointment).await?;
    say(tx, lead, channel, text).await
}

/// A message from the shop to the customer, delivered like every other.
async fn say(
    tx: &mut TenantTx,
    lead: LeadId,
    channel: domain::pipeline::Channel,
    text: String,
) -> Result<(), StoreError> {
    let message = NewMessage { author: Author::Human, ..NewMessage::from_agent(lead, channel, text) };
    leads::insert_message(tx, &message).await?;
    Ok(())
}
