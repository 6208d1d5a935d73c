//! Technicians' own calendars, over CalDAV or Google Calendar: connecting one (found and read
//! before it is kept, the app password or Google's tokens sealed), reading each one's busy times
//! for the openings engine, writing every booked visit into its technician's calendar and taking
//! cancelled ones out (through the side-effect ledger), and telling the owner when a visit written
//! there has been deleted.

use std::sync::Arc;

use ::integrations::calendar::caldav::{CalDav, CalDavCalendar};
use ::integrations::calendar::google::{GoogleCalendar, LONGEST_READ_MS};
use ::integrations::calendar::{Calendar, CalendarError, Event};
use ::integrations::gmail::{GmailError, Google, Tokens};
use ::integrations::secrets::Keyring;
use domain::jobs::{CheckCalendars, Job};
use domain::pipeline::WaitingOn;
use domain::{LeadId, TechnicianId};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use squad::calendars::{Calendars, Freshness, READ_AHEAD_MS, REFRESH_MS};
use store::calendars::{self, CalendarRow, EventRow, NewCalendar};
use store::jobs::{self, NewJob};
use store::{appointments, audit, customers, escalations, leads, services, side_effects, technicians};
use store::{Db, StoreError, TenantScope, TenantTx};

use crate::integrations::{context, corrupt};
use crate::permissions::{require, Operation};
use crate::OpsError;

/// A CalDAV calendar, signed in to with a user name and an app password.
pub const CALDAV: &str = "caldav";
/// A Google calendar, signed in to with Google.
pub const GOOGLE: &str = "google";

/// `PUT /api/v1/technicians/{id}/calendar`: where the technician's calendar is and how to sign in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConnection {
    /// The calendar's address, or the account's CalDAV server (its first calendar is taken).
    pub url: String,
    pub username: String,
    /// An app password (iCloud, Fastmail and Google ask for one rather than the account's own).
    pub password: SecretString,
}

/// A technician's calendar as the owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarView {
    pub technician_id: String,
    /// `caldav` or `google`.
    pub provider: String,
    /// The CalDAV calendar's address, or the Google calendar's id.
    pub url: String,
    /// What the calendar is called.
    pub name: String,
    /// The account it signs in as.
    pub username: String,
    /// `connected` or `error`.
    pub status: String,
    pub last_error: Option<String>,
    /// When its busy times were last read.
    pub read_at: Option<i64>,
    pub connected_at: i64,
}

impl From<CalendarRow> for CalendarView {
    fn from(row: CalendarRow) -> Self {
        Self {
            technician_id: row.technician_id,
            provider: row.provider,
            url: row.calendar,
            name: row.account,
            username: row.username,
            status: row.status,
            last_error: row.last_error,
            read_at: row.read_at,
            connected_at: row.created_at,
        }
    }
}

/// CalDAV, Opsquad's Google app (when it has one), the keys calendars' credentials open with, and
/// where the owner opens a lead (the link in each event).
#[derive(Clone)]
pub struct CalendarAccess {
    pub caldav: Arc<CalDav>,
    pub google: Option<Arc<Google>>,
    pub keys: Arc<Keyring>,
    pub public_url: squad::link_tokens::PublicUrl,
}

impl std::fmt::Debug for CalendarAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarAccess").field("public_url", &self.public_url).finish_non_exhaustive()
    }
}

fn seal_context(scope: &TenantScope, provider: &str, technician: TechnicianId) -> String {
    context(scope, &format!("{provider}/{technician}"))
}

/// What went wrong with the calendar, as a problem with the owner's input where it is one.
fn refused(err: &CalendarError) -> OpsError {
    match err {
        CalendarError::BadCredentials => OpsError::validation(
            "password",
            "The calendar did not accept this user name and password. Use an app password made for Opsquad.",
        ),
        CalendarError::NotACalendar => OpsError::validation(
            "url",
            "There is no calendar at this address. Copy the calendar's CalDAV address from its settings.",
        ),
        CalendarError::Withdrawn(_) => OpsError::validation("google", format!("{err}.")),
        CalendarError::Refused(_) | CalendarError::Unreadable(_) => OpsError::validation("url", format!("{err}.")),
        CalendarError::Unreachable(_) => OpsError::conflict(format!("{err}; try again in a minute.")),
    }
}

/// A technician's calendar, signed in, or why it cannot be (this Opsquad no longer has the Google
/// app it was connected through).
type Opened<'a> = Result<Calendar<'a>, CalendarError>;

/// The technician's calendar, its credentials opened; `None` when they have none.
async fn opened<'a>(
    tx: &mut TenantTx,
    scope: &TenantScope,
    access: &'a CalendarAccess,
    technician: TechnicianId,
) -> Result<Option<(CalendarRow, Opened<'a>)>, StoreError> {
    let Some((row, sealed)) = calendars::sealed(tx, technician).await? else { return Ok(None) };
    let secret = access
        .keys
        .open(&seal_context(scope, &row.provider, technician), &sealed)
        .map_err(|e| corrupt(format!("calendar credentials: {e}")))?;
    let calendar = if row.provider == GOOGLE {
        let tokens: Tokens =
            serde_json::from_slice(&secret).map_err(|e| corrupt(format!("calendar credentials: {e}")))?;
        match access.google.as_deref() {
            Some(google) => Ok(Calendar::Google(GoogleCalendar::new(google, Google::http(), tokens, &row.calendar))),
            None => Err(CalendarError::Refused("this Opsquad is no longer set up to reach Google Calendar".into())),
        }
    } else {
        let password = String::from_utf8(secret).map_err(|e| corrupt(format!("calendar credentials: {e}")))?;
        let calendar = CalDavCalendar {
            url: row.calendar.clone(),
            username: row.username.clone(),
            password: SecretString::from(password),
        };
        Ok(Calendar::CalDav(&access.caldav, calendar))
    };
    Ok(Some((row, calendar)))
}

/// Keeps the tokens Google renewed while `calendar` was in use, so the next use starts with them.
async fn keep_tokens(
    db: &Db,
    scope: &TenantScope,
    access: &CalendarAccess,
    technician: TechnicianId,
    calendar: &Calendar<'_>,
) -> Result<(), StoreError> {
    let Some(tokens) = calendar.renewed_tokens() else { return Ok(()) };
    let json = serde_json::to_vec(tokens).map_err(corrupt)?;
    let sealed = access.keys.seal(&seal_context(scope, GOOGLE, technician), &json).map_err(corrupt)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    calendars::reseal(&mut tx, technician, calendar.id(), &sealed).await?;
    tx.commit().await
}

/// Finds the calendar, reads it once and keeps it (password sealed) in place of any other the
/// technician had; their openings follow it from now on.
pub async fn connect(
    db: &Db,
    access: &CalendarAccess,
    scope: &TenantScope,
    technician: TechnicianId,
    input: CalendarConnection,
) -> Result<CalendarView, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let url = input.url.trim().to_owned();
    let username = input.username.trim().to_owned();
    let password = input.password.expose_secret().trim().to_owned();
    let mut problems = Vec::new();
    if url.is_empty() || url.len() > 500 {
        problems.push(("url".to_owned(), "Give the calendar's CalDAV address, starting with https://.".to_owned()));
    }
    if username.is_empty() || username.len() > 200 {
        problems.push(("username".to_owned(), "Give the user name the calendar signs in with.".to_owned()));
    }
    if password.is_empty() || password.len() > 500 {
        problems.push(("password".to_owned(), "Give the calendar's app password.".to_owned()));
    }
    OpsError::from_problems(problems)?;
    known(db, scope, technician).await?;

    let secret = SecretString::from(password.clone());
    let found = access.caldav.find(&url, &username, &secret).await.map_err(|e| refused(&e))?;
    let calendar = CalDavCalendar { url: found.url.clone(), username: username.clone(), password: secret };
    let (from, until) = read_range(store::now_ms(), None);
    let busy = access.caldav.busy(&calendar, from, until).await.map_err(|e| refused(&e))?;
    let sealed = access.keys.seal(&seal_context(scope, CALDAV, technician), password.as_bytes()).map_err(corrupt)?;
    let new = NewCalendar {
        technician_id: technician,
        provider: CALDAV,
        calendar: &found.url,
        account: &found.name,
        username: &username,
        sealed: &sealed,
    };
    keep(db, scope, &new, FirstRead { busy, from, until }).await
}

/// The technician is one of this shop's: checked before any calendar is asked anything.
async fn known(db: &Db, scope: &TenantScope, technician: TechnicianId) -> Result<(), OpsError> {
    let mut tx = TenantTx::read(db, scope).await?;
    let exists = technicians::get(&mut tx, technician).await?.is_some();
    tx.commit().await?;
    if exists {
        Ok(())
    } else {
        Err(OpsError::NotFound)
    }
}

/// What a calendar said when it was first read: its busy times over `[from, until)`.
struct FirstRead {
    busy: Vec<(i64, i64)>,
    from: i64,
    until: i64,
}

/// Keeps a calendar just found and read in place of any other the technician had.
async fn keep(db: &Db, scope: &TenantScope, new: &NewCalendar<'_>, read: FirstRead) -> Result<CalendarView, OpsError> {
    let technician = new.technician_id;
    let mut tx = TenantTx::begin(db, scope).await?;
    if technicians::get(&mut tx, technician).await?.is_none() {
        return Err(OpsError::NotFound);
    }
    calendars::put(&mut tx, new).await?;
    calendars::record_read(&mut tx, technician, &read.busy, read.from, read.until).await?;
    audit::record(
        &mut tx,
        "technician calendar connected",
        &json!({ "technician_id": technician, "provider": new.provider, "url": new.calendar }),
    )
    .await?;
    queue_check(&mut tx, store::now_ms() + REFRESH_MS).await?;
    let row = calendars::sealed(&mut tx, technician)
        .await?
        .map(|(row, _)| row)
        .ok_or_else(|| corrupt("the calendar just stored is missing"))?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), %technician, provider = new.provider, "technician calendar connected");
    Ok(row.into())
}

/// Connects the Google calendar of whoever signed in with Google for the technician: trades
/// Google's `code` (with the PKCE `verifier`) for tokens, finds the account's own calendar and
/// reads it once before anything is kept.
pub async fn connect_google(
    db: &Db,
    access: &CalendarAccess,
    scope: &TenantScope,
    technician: TechnicianId,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<CalendarView, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let Some(google) = access.google.as_deref() else {
        return Err(OpsError::validation("google", "This Opsquad is not set up to connect Google Calendar."));
    };
    if code.is_empty() || code.len() > 2048 {
        return Err(OpsError::validation("code", "Google sent back no usable sign-in code; try connecting again."));
    }
    known(db, scope, technician).await?;
    let http = Google::http();
    let tokens = google.exchange(&http, code, verifier, redirect_uri).await.map_err(|e| match e {
        GmailError::Unreachable(_) => OpsError::conflict(format!("{e}; try again in a minute.")),
        other => OpsError::validation("google", format!("Google did not connect the calendar: {other}.")),
    })?;
    let mut calendar = GoogleCalendar::new(google, http, tokens, "primary");
    let found = calendar.find().await.map_err(|e| refused(&e))?;
    let (from, until) = read_range(store::now_ms(), Some(LONGEST_READ_MS));
    let busy = calendar.busy(from, until).await.map_err(|e| refused(&e))?;
    let json = serde_json::to_vec(calendar.tokens().0).map_err(corrupt)?;
    let sealed = access.keys.seal(&seal_context(scope, GOOGLE, technician), &json).map_err(corrupt)?;
    let new = NewCalendar {
        technician_id: technician,
        provider: GOOGLE,
        calendar: &found.url,
        account: &found.name,
        username: &found.url,
        sealed: &sealed,
    };
    keep(db, scope, &new, FirstRead { busy, from, until }).await
}

/// The technician's calendar, if they have one.
pub async fn get(db: &Db, scope: &TenantScope, technician: TechnicianId) -> Result<CalendarView, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let row = calendars::sealed(&mut tx, technician).await?.map(|(row, _)| row);
    tx.commit().await?;
    row.map(CalendarView::from).ok_or(OpsError::NotFound)
}

/// Every technician's calendar in the org.
pub async fn list(db: &Db, scope: &TenantScope) -> Result<Vec<CalendarView>, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let rows = calendars::list(&mut tx).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(CalendarView::from).collect())
}

/// Disconnects the technician's calendar and forgets its password. Visits already written there
/// stay; their openings no longer follow it.
pub async fn disconnect(db: &Db, scope: &TenantScope, technician: TechnicianId) -> Result<(), OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    if !calendars::remove(&mut tx, technician).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, "technician calendar disconnected", &json!({ "technician_id": technician })).await?;
    tx.commit().await?;
    Ok(())
}

/// The range a calendar is read over from `now`: the past hour (a visit under way) to beyond every
/// window openings are searched in, or as far as the calendar answers in one read (`longest`).
fn read_range(now: i64, longest: Option<i64>) -> (i64, i64) {
    let from = now - 3_600_000;
    let until = now + READ_AHEAD_MS;
    (from, longest.map_or(until, |longest| until.min(from + longest)))
}

/// Reads one calendar's busy times and keeps them; a calendar that cannot be read is marked so,
/// with why, and offers nothing until it can be.
async fn read(
    db: &Db,
    scope: &TenantScope,
    access: &CalendarAccess,
    technician: TechnicianId,
) -> Result<(), StoreError> {
    let mut tx = TenantTx::read(db, scope).await?;
    let Some((_, calendar)) = opened(&mut tx, scope, access, technician).await? else { return Ok(()) };
    tx.commit().await?;
    let (from, until) = read_range(store::now_ms(), calendar.as_ref().ok().and_then(Calendar::longest_read));
    let said = match calendar {
        Ok(mut calendar) => {
            let said = calendar.busy(from, until).await;
            keep_tokens(db, scope, access, technician, &calendar).await?;
            said
        }
        Err(err) => Err(err),
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    match &said {
        Ok(busy) => calendars::record_read(&mut tx, technician, busy, from, until).await?,
        Err(err) => {
            tracing::warn!(org_id = %scope.org_id(), %technician, error = %err, "a technician's calendar could not be read");
            calendars::record_failure(&mut tx, technician, &err.to_string()).await?;
        }
    }
    tx.commit().await
}

#[async_trait::async_trait]
impl Calendars for CalendarAccess {
    async fn refresh(&self, db: &Db, scope: &TenantScope, freshness: Freshness) -> Result<(), StoreError> {
        let mut tx = TenantTx::read(db, scope).await?;
        let rows = calendars::list(&mut tx).await?;
        tx.commit().await?;
        let now = store::now_ms();
        for row in rows {
            let Ok(technician) = TechnicianId::parse(&row.technician_id) else { continue };
            let due = match freshness {
                Freshness::Now(only) => only == technician,
                Freshness::AllNow => true,
                Freshness::Recent => row.status != "connected" || row.read_at.is_none_or(|at| now - at > REFRESH_MS),
            };
            if due {
                read(db, scope, self, technician).await?;
            }
        }
        Ok(())
    }
}

/// Queues the org's next calendar check (`at`) unless one is already waiting: one chain of checks
/// per org, however often calendars are connected.
async fn queue_check(tx: &mut TenantTx, at: i64) -> Result<(), StoreError> {
    if jobs::is_queued(tx, "check_calendars").await? {
        return Ok(());
    }
    jobs::enqueue(
        tx,
        &NewJob {
            job: Job::CheckCalendars(CheckCalendars {}),
            run_at: Some(at),
            max_attempts: 20,
            idempotency_key: format!("check-calendars:{at}"),
        },
    )
    .await?;
    Ok(())
}

/// What a calendar check found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Checked {
    pub calendars: usize,
    /// Visits whose events were deleted from a calendar since the last check (the owner was told).
    pub missing: usize,
}

/// A `check_calendars` job: reads every technician's calendar again, checks that each upcoming
/// visit written there is still there (one that is gone is the owner's to look at), and queues the
/// next check while any calendar stays connected.
pub async fn check(db: &Db, scope: &TenantScope, access: &CalendarAccess) -> Result<Checked, StoreError> {
    let mut tx = TenantTx::read(db, scope).await?;
    let rows = calendars::list(&mut tx).await?;
    tx.commit().await?;
    let mut checked = Checked { calendars: rows.len(), missing: 0 };
    for row in &rows {
        let Ok(technician) = TechnicianId::parse(&row.technician_id) else { continue };
        read(db, scope, access, technician).await?;
        let mut tx = TenantTx::read(db, scope).await?;
        let opened = opened(&mut tx, scope, access, technician).await?;
        let written = calendars::written_since(&mut tx, store::now_ms()).await?;
        tx.commit().await?;
        // One that cannot be reached is marked so by the read above; the next check asks again.
        let Some((current, Ok(mut calendar))) = opened else { continue };
        let here = |e: &EventRow| e.technician_id == row.technician_id && e.calendar == current.calendar;
        for event in written.into_iter().filter(here) {
            match calendar.exists(&event_uid(&event.appointment_id)).await {
                Ok(true) => {}
                Ok(false) => {
                    if report_missing(db, scope, &event).await? {
                        checked.missing += 1;
                    }
                }
                // Unreadable now: the calendar's own status says so; the next check asks again.
                Err(err) => {
                    tracing::warn!(org_id = %scope.org_id(), error = %err, "a calendar event could not be checked")
                }
            }
        }
        keep_tokens(db, scope, access, technician, &calendar).await?;
    }
    if !rows.is_empty() {
        let mut tx = TenantTx::begin(db, scope).await?;
        queue_check(&mut tx, store::now_ms() + REFRESH_MS).await?;
        tx.commit().await?;
    }
    Ok(checked)
}

/// The event for a still-booked visit was deleted in the calendar: the visit stays booked here and
/// the owner is asked to look (it may have been a slip, or the technician cannot make it). Whether
/// this was news.
async fn report_missing(db: &Db, scope: &TenantScope, event: &EventRow) -> Result<bool, StoreError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(appointment) = appointments::get(&mut tx, &event.appointment_id).await? else { return Ok(false) };
    let current = calendars::event(&mut tx, &event.appointment_id).await?;
    if !appointment.status.is_live() || current.as_ref().is_none_or(|e| e.status != "written") {
        return Ok(false);
    }
    calendars::keep_event(&mut tx, &EventRow { status: "missing".into(), ..event.clone() }).await?;
    let lead_id = LeadId::parse(&appointment.lead_id).map_err(corrupt)?;
    let customer = leads::get(&mut tx, lead_id).await?.map(|l| l.customer_name).unwrap_or_default();
    ask_owner(&mut tx, &appointment, |who, when| {
        format!(
            "The visit with {customer} on {when} was deleted from {who}'s calendar. It is still booked here and \
             the customer still expects it: check with {who}, then keep it, move it or cancel it."
        )
    })
    .await?;
    leads::set_waiting_on(&mut tx, lead_id, WaitingOn::Owner).await?;
    audit::record(
        &mut tx,
        "calendar event deleted outside Opsquad",
        &json!({ "appointment_id": appointment.id, "technician_id": appointment.technician_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Puts a visit's trouble with its technician's calendar before the owner: a `calendar`
/// escalation on its lead, in words `reason` writes from the technician's name and the visit's time.
async fn ask_owner(
    tx: &mut TenantTx,
    appointment: &appointments::AppointmentRow,
    reason: impl FnOnce(&str, &str) -> String,
) -> Result<(), StoreError> {
    let who = match TechnicianId::parse(&appointment.technician_id) {
        Ok(id) => technicians::get(tx, id).await?.map(|t| t.name),
        Err(_) => None,
    }
    .unwrap_or_else(|| "the technician".into());
    let zone = store::settings::get(tx).await?.time_zone;
    let when = squad::tools::invoice::format_visit(&zone, appointment.starts_at).unwrap_or_default();
    let reason = reason(&who, &when);
    escalations::insert(
        tx,
        &escalations::NewEscalation {
            lead_id: LeadId::parse(&appointment.lead_id).map_err(corrupt)?,
            run_id: None,
            kind: "calendar",
            reason: &reason,
            proposed_action: json!({ "appointment_id": appointment.id }),
        },
    )
    .await?;
    Ok(())
}

/// What a `sync_calendar_event` job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    Written,
    Deleted,
    /// Nothing to do (no calendar, already done, a visit that is over).
    Nothing(&'static str),
    /// The calendar refused for good; the owner was told.
    Refused(String),
}

/// The uid a visit's event has in every calendar: stable, so writing it again replaces it.
fn event_uid(appointment_id: &str) -> String {
    format!("opsquad-{appointment_id}")
}

/// A `sync_calendar_event` job: a live appointment is written into its technician's calendar, a
/// cancelled one taken out of the calendar it was written into. The ledger records each write; a
/// retry after a crash writes the same uid again, which replaces rather than adds. A calendar
/// still out of reach on the `final_attempt` is treated as refusing: the owner is told.
pub async fn sync_event(
    db: &Db,
    scope: &TenantScope,
    access: &CalendarAccess,
    appointment_id: &str,
    final_attempt: bool,
) -> Result<Synced, CalendarSyncError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(appointment) = appointments::get(&mut tx, appointment_id).await? else {
        return Ok(Synced::Nothing("the appointment is gone"));
    };
    let technician = TechnicianId::parse(&appointment.technician_id).map_err(corrupt)?;
    let recorded = calendars::event(&mut tx, appointment_id).await?;
    let opened = opened(&mut tx, scope, access, technician).await?;
    let live = appointment.status.is_live();
    let uid = event_uid(appointment_id);
    let (key, row, calendar) = match (live, &recorded, opened) {
        (true, Some(_), _) => return Ok(Synced::Nothing("already written")),
        (true, None, None) => return Ok(Synced::Nothing("the technician has no calendar")),
        (true, None, Some((row, calendar))) => (format!("calendar:{appointment_id}:write"), row, calendar),
        (false, Some(event), Some((row, calendar))) if event.status == "written" && event.calendar == row.calendar => {
            (format!("calendar:{appointment_id}:delete"), row, calendar)
        }
        (false, Some(event), _) if event.status == "written" => {
            return Ok(Synced::Nothing("the calendar it was written into is no longer connected"));
        }
        (false, _, _) => return Ok(Synced::Nothing("not in any calendar")),
    };
    let request = format!("{uid}@{}", row.calendar);
    if let side_effects::Entry::Done(_) = side_effects::begin(&mut tx, &key, "calendar_event", &request).await? {
        return Ok(Synced::Nothing("the ledger says it was done"));
    }
    let event = if live { Some(event_for(&mut tx, access, &appointment, &uid).await?) } else { None };
    tx.commit().await?;

    let external_id = calendar.as_ref().map_or_else(|_| uid.clone(), |c| c.external_id(&uid));
    let outcome = match calendar {
        Ok(mut calendar) => {
            let outcome = match &event {
                Some(event) => calendar.put(event, store::now_ms()).await,
                None => calendar.delete(&uid).await,
            };
            keep_tokens(db, scope, access, technician, &calendar).await?;
            outcome
        }
        Err(err) => Err(err),
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    let synced = match outcome {
        Ok(()) => {
            side_effects::finish(&mut tx, &key, true, &json!({ "uid": uid })).await?;
            let row = EventRow {
                appointment_id: appointment_id.to_owned(),
                technician_id: appointment.technician_id.clone(),
                provider: row.provider.clone(),
                calendar: row.calendar.clone(),
                external_id,
                status: if live { "written" } else { "deleted" }.into(),
                starts_at: appointment.starts_at,
                ends_at: appointment.ends_at,
            };
            calendars::keep_event(&mut tx, &row).await?;
            if live {
                Synced::Written
            } else {
                Synced::Deleted
            }
        }
        Err(err) if err.is_transient() && !final_attempt => return Err(CalendarSyncError::Calendar(err)),
        Err(err) => {
            side_effects::finish(&mut tx, &key, false, &json!({ "error": err.to_string() })).await?;
            calendars::record_failure(&mut tx, technician, &err.to_string()).await?;
            let what = if live { "written into" } else { "taken out of" };
            ask_owner(&mut tx, &appointment, |who, when| {
                format!(
                    "The visit on {when} could not be {what} {who}'s calendar: {err}. Check it under Settings → \
                     Technicians' calendars, and tell {who} yourself."
                )
            })
            .await?;
            Synced::Refused(err.to_string())
        }
    };
    tx.commit().await?;
    Ok(synced)
}

/// The event a booked visit becomes: the service and customer, where, how to reach them and a
/// link to the lead. Customer text is only ever data here (escaped by the writer).
async fn event_for(
    tx: &mut TenantTx,
    access: &CalendarAccess,
    appointment: &appointments::AppointmentRow,
    uid: &str,
) -> Result<Event, StoreError> {
    let lead_id = LeadId::parse(&appointment.lead_id).map_err(corrupt)?;
    let lead = leads::get(tx, lead_id).await?;
    let customer = match &lead {
        Some(lead) => customers::get(tx, lead.customer_id).await?,
        None => None,
    };
    let service = match appointment.service_id.as_deref().map(domain::ServiceId::parse) {
        Some(Ok(id)) => services::get(tx, id).await?.map(|s| s.name),
        _ => None,
    }
    .unwrap_or_else(|| "Visit".into());
    let name = customer.as_ref().map(|c| c.name.clone()).unwrap_or_default();
    let location = customer
        .as_ref()
        .map(|c| [c.address.clone(), c.postal_code.clone()].into_iter().flatten().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let link = access.public_url.at(&format!("app/leads/{lead_id}"));
    let mut description = vec![format!("{service} for {name}")];
    description.extend(customer.as_ref().and_then(|c| c.phone.clone()).map(|p| format!("Phone: {p}")));
    description.extend(customer.as_ref().and_then(|c| c.email.clone()).map(|e| format!("Email: {e}")));
    description.extend(lead.as_ref().map(|l| l.summary.clone()).filter(|s| !s.is_empty()));
    description.push(format!("Booked by Opsquad: {link}"));
    Ok(Event {
        uid: uid.to_owned(),
        summary: if name.is_empty() { service } else { format!("{service} — {name}") },
        description: description.join("\n"),
        location,
        link,
        starts_at: appointment.starts_at,
        ends_at: appointment.ends_at,
    })
}

/// Why a calendar event could not be synced this time (the job retries).
#[derive(Debug, thiserror::Error)]
pub enum CalendarSyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Calendar(CalendarError),
}
