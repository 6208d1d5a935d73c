//! A lead's booking as every door changes it: the Scheduler's tools, the owner booking by hand and
//! a customer's manage link find openings, book, move and cancel through these functions, so a
//! booking always gets its reminders and a cancellation always closes the lead and is remembered.

use domain::jobs::{Job, SendReminder, SyncCalendarEvent};
use domain::pipeline::{Stage, WaitingOn};
use domain::{LeadId, TechnicianId};
use store::appointments::{self, AppointmentRow};
use store::jobs;
use store::leads::{self, LeadRow};
use store::memories::{self, Layer, NewMemory};
use store::services::ServiceRow;
use store::{calendars, settings, slot_holds, technicians, StoreError, TenantTx};

use crate::tools::availability::{check_availability, AvailabilityQuery, Slot, Technician};

/// The lead's live (scheduled or confirmed) appointment, the latest if there were several.
pub async fn live(tx: &mut TenantTx, lead: LeadId) -> Result<Option<AppointmentRow>, StoreError> {
    Ok(appointments::for_lead(tx, lead).await?.into_iter().rev().find(|a| a.status.is_live()))
}

/// Cancels the lead's live appointment and closes the lead; returns the cancelled appointment's
/// id, or `None` when there was nothing to cancel.
pub async fn cancel(tx: &mut TenantTx, lead: &LeadRow, reason: &str) -> Result<Option<String>, StoreError> {
    let Some(current) = live(tx, lead.id).await? else { return Ok(None) };
    if !appointments::cancel(tx, &current.id).await? {
        return Ok(None);
    }
    sync_calendar(tx, &current.id, "cancelled").await?;
    leads::set_stage(tx, lead.id, Stage::Disqualified, WaitingOn::None).await?;
    memories::remember(
        tx,
        &NewMemory {
            layer: Layer::History,
            customer_id: Some(lead.customer_id),
            lead_id: Some(lead.id),
            key: None,
            content: &format!("Appointment cancelled: {}", reason.chars().take(200).collect::<String>()),
        },
    )
    .await?;
    Ok(Some(current.id))
}

/// How far ahead the openings engine looks, in days.
pub const SEARCH_DAYS: i64 = 14;
/// How soon from now the first opening may start.
const LEAD_TIME_MS: i64 = 60 * 60_000;

/// When openings may start: from `not_before` until `until` (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub not_before: i64,
    pub until: i64,
}

impl Window {
    /// What the Scheduler offers and the owner is offered: from an hour from now, for two weeks.
    pub fn standard(now: i64) -> Self {
        Self { not_before: now + LEAD_TIME_MS, until: now + SEARCH_DAYS * 86_400_000 }
    }

    /// The booking page's, from its settings; never sooner than the standard hour's notice.
    pub fn booking_page(now: i64, settings: &domain::booking_page::BookingPageSettings) -> Self {
        let (not_before, until) = settings.window(now);
        Self { not_before: not_before.max(now + LEAD_TIME_MS), until }
    }
}

/// Which times a booking may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Only one of the openings the engine offers (hours, holidays, skills, buffers, calendars).
    Opening,
    /// Only one of the openings within a window of its own (the booking page's notice and reach).
    OpeningWithin(Window),
    /// Any time the technician is free: the owner approved an off-rule booking, or books by hand.
    /// The database still refuses an overlap.
    AnyFreeTime,
}

/// Why a booking could not be placed.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("that is not one of the current openings")]
    NotAnOpening,
    #[error("that technician is not on the active crew")]
    TechnicianUnavailable,
    #[error("that time was just taken: the technician has another job then")]
    Taken,
    #[error("the lead already has a booked appointment")]
    AlreadyBooked,
    #[error("there is no booked appointment to move")]
    NothingToMove,
    #[error("that is the appointment's current time")]
    SameTime,
    #[error("that time has already passed")]
    InThePast,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to book: a service, with whom, when.
#[derive(Debug, Clone)]
pub struct Visit<'a> {
    pub service: &'a ServiceRow,
    pub technician_id: TechnicianId,
    pub starts_at: i64,
    pub rule: Rule,
}

/// A booking that was placed, with the reminders queued for it.
#[derive(Debug, Clone)]
pub struct Placed {
    pub appointment_id: String,
    pub slot: Slot,
    pub reminders_minutes_before: Vec<i64>,
}

/// The openings for `service` over the next two weeks, every live booking but `except_lead`'s
/// and everything on the technicians' own calendars counting as busy: what the Scheduler may
/// offer and book, and what the owner is offered.
pub async fn openings(tx: &mut TenantTx, service: &ServiceRow, except_lead: LeadId) -> Result<Vec<Slot>, StoreError> {
    openings_within(tx, service, Some(except_lead), Window::standard(store::now_ms())).await
}

/// [`openings`] within `window`; with no `except_lead`, every live booking counts as busy.
pub async fn openings_within(
    tx: &mut TenantTx,
    service: &ServiceRow,
    except_lead: Option<LeadId>,
    window: Window,
) -> Result<Vec<Slot>, StoreError> {
    let org = settings::get(tx).await?;
    let now = store::now_ms();
    // A visit starting before the window ends may run past it; none lasts a day.
    let mut busy = appointments::busy_between(tx, now, window.until + 86_400_000, except_lead).await?;
    // What other leads were just offered is not offered again until they book or let it go.
    busy.extend(slot_holds::held_for_others(tx, now, except_lead).await?);
    let own_calendars = calendars::list(tx).await?;
    let written = if own_calendars.is_empty() { Vec::new() } else { calendars::written_since(tx, now).await? };
    let crew: Vec<Technician> = technicians::list(tx)
        .await?
        .into_iter()
        .filter(|t| t.active)
        .map(|t| {
            let id = t.id.to_string();
            let mut busy: Vec<(i64, i64)> =
                busy.iter().filter(|(tech, _, _)| *tech == id).map(|(_, s, e)| (*s, *e)).collect();
            // With a calendar, only as far as it was read, and only while that is recent.
            let calendar = own_calendars.iter().find(|c| c.technician_id == id);
            let known_until = calendar.map(|c| c.known_until(now, crate::calendars::RELY_MS).unwrap_or(now));
            if let Some(calendar) = calendar {
                let ours: Vec<(i64, i64)> =
                    written.iter().filter(|e| e.technician_id == id).map(|e| (e.starts_at, e.ends_at)).collect();
                busy.extend(crate::calendars::others_only(&calendar.busy, &ours));
            }
            Technician { busy, id, skills: t.skills, working_hours: t.working_hours, known_until }
        })
        .collect();
    Ok(check_availability(&AvailabilityQuery {
        tz: org.time_zone.tz(),
        business_hours: &org.weekly_hours,
        holidays: &org.holidays,
        buffer_minutes: org.booking_buffer_minutes,
        technicians: &crew,
        skill: service.skill.as_deref(),
        duration_minutes: service.duration_minutes,
        not_before: window.not_before,
        until: window.until,
        step_minutes: 60,
        max_slots: 2000,
    }))
}

/// How long an opening offered to a lead is kept from the others.
pub const HOLD_MS: i64 = 2 * 60_000;

/// Keeps `slot` for `lead` for [`HOLD_MS`] (in place of what it kept before): while its
/// Scheduler decides, the other leads are not offered that time.
pub async fn keep(tx: &mut TenantTx, lead: LeadId, slot: &Slot) -> Result<(), StoreError> {
    let held = (slot.technician_id.clone(), slot.starts_at, slot.ends_at);
    slot_holds::hold(tx, lead, &held, store::now_ms() + HOLD_MS).await
}

/// Books `visit` for a lead with no live appointment: the lead moves to Booked and its reminders
/// are queued, all in the caller's transaction.
pub async fn book(tx: &mut TenantTx, lead: LeadId, visit: &Visit<'_>) -> Result<Placed, BookingError> {
    if live(tx, lead).await?.is_some() {
        return Err(BookingError::AlreadyBooked);
    }
    let placed = place(tx, lead, visit).await?;
    leads::set_stage(tx, lead, Stage::Booked, WaitingOn::None).await?;
    Ok(placed)
}

/// Moves the lead's live booking to `visit`: the old appointment is cancelled (its reminders then
/// skip) and the new one booked with fresh reminders. Returns the new booking and the old one's id.
pub async fn reschedule(tx: &mut TenantTx, lead: LeadId, visit: &Visit<'_>) -> Result<(Placed, String), BookingError> {
    let current = live(tx, lead).await?.ok_or(BookingError::NothingToMove)?;
    if visit.starts_at == current.starts_at && visit.technician_id.to_string() == current.technician_id {
        return Err(BookingError::SameTime);
    }
    appointments::cancel(tx, &current.id).await?;
    sync_calendar(tx, &current.id, "cancelled").await?;
    let placed = place(tx, lead, visit).await?;
    Ok((placed, current.id))
}

/// Places the appointment and queues its reminders.
async fn place(tx: &mut TenantTx, lead: LeadId, visit: &Visit<'_>) -> Result<Placed, BookingError> {
    let technician = visit.technician_id.to_string();
    let slot = match visit.rule {
        Rule::Opening | Rule::OpeningWithin(_) => {
            slot_holds::take_turns(tx).await?;
            let window = match visit.rule {
                Rule::OpeningWithin(window) => window,
                _ => Window::standard(store::now_ms()),
            };
            openings_within(tx, visit.service, Some(lead), window)
                .await?
                .into_iter()
                .find(|s| s.technician_id == technician && s.starts_at == visit.starts_at)
                .ok_or(BookingError::NotAnOpening)?
        }
        Rule::AnyFreeTime => {
            if visit.starts_at <= store::now_ms() {
                return Err(BookingError::InThePast);
            }
            technicians::get(tx, visit.technician_id)
                .await?
                .filter(|t| t.active)
                .ok_or(BookingError::TechnicianUnavailable)?;
            let org = settings::get(tx).await?;
            Slot {
                technician_id: technician,
                starts_at: visit.starts_at,
                ends_at: visit.starts_at + visit.service.duration_minutes * 60_000,
                local_start: org.time_zone.format_local(visit.starts_at, "%Y-%m-%dT%H:%M").unwrap_or_default(),
            }
        }
    };
    let new = appointments::NewAppointment {
        lead_id: lead,
        technician_id: visit.technician_id,
        service_id: Some(visit.service.id),
        starts_at: slot.starts_at,
        ends_at: slot.ends_at,
    };
    let appointment_id = match appointments::book(tx, &new).await {
        Ok(id) => id,
        Err(StoreError::Conflict { .. }) => return Err(BookingError::Taken),
        Err(other) => return Err(other.into()),
    };
    slot_holds::release(tx, lead).await?;
    let reminders_minutes_before = schedule_reminders(tx, &appointment_id, slot.starts_at).await?;
    sync_calendar(tx, &appointment_id, "booked").await?;
    Ok(Placed { appointment_id, slot, reminders_minutes_before })
}

/// Queues writing the appointment's booking (`what`: "booked") or cancellation into its
/// technician's calendar, in the caller's transaction, when they have a calendar or the visit is
/// already in one.
async fn sync_calendar(tx: &mut TenantTx, appointment_id: &str, what: &str) -> Result<(), StoreError> {
    let Some(appointment) = appointments::get(tx, appointment_id).await? else { return Ok(()) };
    let has_calendar = match TechnicianId::parse(&appointment.technician_id) {
        Ok(technician) => calendars::sealed(tx, technician).await?.is_some(),
        Err(_) => false,
    };
    if !has_calendar && calendars::event(tx, appointment_id).await?.is_none() {
        return Ok(());
    }
    jobs::enqueue(
        tx,
        &jobs::NewJob {
            job: Job::SyncCalendarEvent(SyncCalendarEvent { appointment_id: appointment_id.to_owned() }),
            run_at: None,
            max_attempts: 8,
            idempotency_key: format!("calendar:{appointment_id}:{what}"),
        },
    )
    .await?;
    Ok(())
}

/// Queues the org's reminders (24 h and 1 h before by default) as jobs in the booking's own
/// transaction; a reminder whose time has already passed is skipped.
async fn schedule_reminders(tx: &mut TenantTx, appointment_id: &str, starts_at: i64) -> Result<Vec<i64>, StoreError> {
    let org = settings::get(tx).await?;
    let now = store::now_ms();
    let mut queued = Vec::new();
    for minutes in org.reminder_offsets_minutes {
        let run_at = starts_at - minutes * 60_000;
        if run_at <= now {
            continue;
        }
        jobs::enqueue(
            tx,
            &jobs::NewJob {
                job: Job::SendReminder(SendReminder {
                    appointment_id: appointment_id.to_owned(),
                    minutes_before: minutes,
                }),
                run_at: Some(run_at),
                max_attempts: 5,
                idempotency_key: format!("reminder:{appointment_id}:{minutes}"),
            },
        )
        .await?;
        queued.push(minutes);
    }
    Ok(queued)
}

/// What the customer is told when their appointment is cancelled.
pub async fn cancellation_text(tx: &mut TenantTx, appointment: &AppointmentRow) -> Result<String, StoreError> {
    let org = settings::get(tx).await?;
    let when = crate::tools::invoice::format_visit(&org.time_zone, appointment.starts_at).unwrap_or_default();
    Ok(format!("Your appointment on {when} is cancelled. If you need us again, just reply here."))
}

/// What the customer is told about their booking: "You're booked for Tuesday, November 3 at
/// 8:00 AM with Ana Ortiz. …".
pub async fn confirmation_text(tx: &mut TenantTx, appointment: &AppointmentRow) -> Result<String, StoreError> {
    let org = settings::get(tx).await?;
    let tech_name = match TechnicianId::parse(&appointment.technician_id) {
        Ok(id) => technicians::get(tx, id).await?.map(|t| t.name),
        Err(_) => None,
    };
    let when = crate::tools::invoice::format_visit(&org.time_zone, appointment.starts_at).unwrap_or_default();
    let with = tech_name.map(|n| format!(" with {n}")).unwrap_or_default();
    Ok(format!(
        "You're booked for {when}{with}. We'll send you a reminder before the visit. Reply here if you need to change the time."
    ))
}
