//! Technicians' own calendars: the connection (its password sealed by the caller), the busy
//! times last read from it, and the event each booked visit became in it.

use domain::TechnicianId;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{now_ms, StoreError, TenantTx};

/// A technician's calendar as the dashboard may show it: no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRow {
    pub technician_id: String,
    /// `caldav`.
    pub provider: String,
    /// The CalDAV collection's URL.
    pub calendar: String,
    /// What the calendar is called, for the owner.
    pub account: String,
    /// The user name it signs in with.
    pub username: String,
    /// `connected` or `error`.
    pub status: String,
    pub last_error: Option<String>,
    /// The busy times last read, `[start, end)` in Unix ms, for `[busy_from, busy_until)`.
    pub busy: Vec<(i64, i64)>,
    pub busy_from: Option<i64>,
    pub busy_until: Option<i64>,
    /// When it was last read successfully.
    pub read_at: Option<i64>,
    pub created_at: i64,
}

impl CalendarRow {
    /// Until when this calendar's busy times are known at `now`: read at most `max_age_ms` ago,
    /// healthy, and as far as it was read. `None`: nothing about it can be relied on.
    pub fn known_until(&self, now: i64, max_age_ms: i64) -> Option<i64> {
        let fresh = self.status == "connected" && self.read_at.is_some_and(|at| now - at <= max_age_ms);
        if fresh {
            self.busy_until
        } else {
            None
        }
    }
}

const COLUMNS: &str =
    "technician_id, provider, calendar, account_label, username, status, last_error, busy, busy_from, busy_until, \
                       read_at, created_at";

fn from_row(row: &AnyRow) -> Result<CalendarRow, StoreError> {
    Ok(CalendarRow {
        technician_id: text(row, "technician_id")?,
        provider: text(row, "provider")?,
        calendar: text(row, "calendar")?,
        account: text(row, "account_label")?,
        username: text(row, "username")?,
        status: text(row, "status")?,
        last_error: opt_text(row, "last_error")?,
        busy: serde_json::from_str(&text(row, "busy")?)
            .map_err(|e| StoreError::corrupt(format!("column busy: {e}")))?,
        busy_from: opt_int(row, "busy_from")?,
        busy_until: opt_int(row, "busy_until")?,
        read_at: opt_int(row, "read_at")?,
        created_at: int(row, "created_at")?,
    })
}

/// Every technician's calendar in the org.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<CalendarRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM technician_calendars WHERE org_id = $1 ORDER BY technician_id"))
            .bind(&org)
            .fetch_all(tx.conn())
            .await?;
    rows.iter().map(from_row).collect()
}

/// The technician's calendar with its sealed credentials, if they connected one.
pub async fn sealed(tx: &mut TenantTx, technician: TechnicianId) -> Result<Option<(CalendarRow, String)>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, credentials_sealed FROM technician_calendars WHERE org_id = $1 AND technician_id = $2"
    ))
    .bind(&org)
    .bind(technician.to_string())
    .fetch_optional(tx.conn())
    .await?;
    row.map(|row| Ok((from_row(&row)?, text(&row, "credentials_sealed")?))).transpose()
}

/// A calendar being connected, already read once.
#[derive(Debug, Clone)]
pub struct NewCalendar<'a> {
    pub technician_id: TechnicianId,
    pub provider: &'a str,
    pub calendar: &'a str,
    pub account: &'a str,
    pub username: &'a str,
    pub sealed: &'a str,
}

/// Connects `new` in place of any calendar the technician had; its busy times are read next.
pub async fn put(tx: &mut TenantTx, new: &NewCalendar<'_>) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    remove(tx, new.technician_id).await?;
    sqlx::query(
        "INSERT INTO technician_calendars (org_id, technician_id, provider, calendar, account_label, username,
                                           credentials_sealed, status, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'connected', $8, $8)",
    )
    .bind(&org)
    .bind(new.technician_id.to_string())
    .bind(new.provider)
    .bind(new.calendar)
    .bind(new.account)
    .bind(new.username)
    .bind(new.sealed)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Keeps credentials the calendar's provider renewed (Google's access token), unless the
/// technician has since been connected to another calendar; whether they were kept.
pub async fn reseal(
    tx: &mut TenantTx,
    technician: TechnicianId,
    calendar: &str,
    sealed: &str,
) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE technician_calendars SET credentials_sealed = $4, updated_at = $5
         WHERE org_id = $1 AND technician_id = $2 AND calendar = $3",
    )
    .bind(&org)
    .bind(technician.to_string())
    .bind(calendar)
    .bind(sealed)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets the technician's calendar and its password; whether there was one.
pub async fn remove(tx: &mut TenantTx, technician: TechnicianId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM technician_calendars WHERE org_id = $1 AND technician_id = $2")
        .bind(&org)
        .bind(technician.to_string())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Keeps what the calendar said just now: busy `periods` over `[from, until)`.
pub async fn record_read(
    tx: &mut TenantTx,
    technician: TechnicianId,
    periods: &[(i64, i64)],
    from: i64,
    until: i64,
) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let busy = serde_json::to_string(periods).map_err(StoreError::corrupt)?;
    sqlx::query(
        "UPDATE technician_calendars SET status = 'connected', last_error = NULL, busy = $3, busy_from = $4,
                busy_until = $5, read_at = $6, updated_at = $6
         WHERE org_id = $1 AND technician_id = $2",
    )
    .bind(&org)
    .bind(technician.to_string())
    .bind(busy)
    .bind(from)
    .bind(until)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records that the calendar could not be used, and why, in words for the owner.
pub async fn record_failure(tx: &mut TenantTx, technician: TechnicianId, error: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE technician_calendars SET status = 'error', last_error = $3, updated_at = $4
         WHERE org_id = $1 AND technician_id = $2",
    )
    .bind(&org)
    .bind(technician.to_string())
    .bind(error)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A booked visit as it was written into a calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub appointment_id: String,
    pub technician_id: String,
    pub provider: String,
    pub calendar: String,
    pub external_id: String,
    /// `written`, `deleted` (by us) or `missing` (by someone else; the owner was told).
    pub status: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

const EVENT_COLUMNS: &str =
    "appointment_id, technician_id, provider, calendar, external_id, status, starts_at, ends_at";

fn event_from_row(row: &AnyRow) -> Result<EventRow, StoreError> {
    Ok(EventRow {
        appointment_id: text(row, "appointment_id")?,
        technician_id: text(row, "technician_id")?,
        provider: text(row, "provider")?,
        calendar: text(row, "calendar")?,
        external_id: text(row, "external_id")?,
        status: text(row, "status")?,
        starts_at: int(row, "starts_at")?,
        ends_at: int(row, "ends_at")?,
    })
}

/// The event the appointment became, if it was written anywhere.
pub async fn event(tx: &mut TenantTx, appointment_id: &str) -> Result<Option<EventRow>, StoreError> {
    let org = tx.org().to_owned();
    let row =
        sqlx::query(&format!("SELECT {EVENT_COLUMNS} FROM calendar_events WHERE org_id = $1 AND appointment_id = $2"))
            .bind(&org)
            .bind(appointment_id)
            .fetch_optional(tx.conn())
            .await?;
    row.as_ref().map(event_from_row).transpose()
}

/// Records the event written for an appointment (or its new status), replacing what was recorded.
pub async fn keep_event(tx: &mut TenantTx, event: &EventRow) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO calendar_events (org_id, appointment_id, technician_id, provider, calendar, external_id, status,
                                      starts_at, ends_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (org_id, appointment_id) DO UPDATE SET technician_id = $3, provider = $4, calendar = $5,
             external_id = $6, status = $7, starts_at = $8, ends_at = $9, updated_at = $10",
    )
    .bind(&org)
    .bind(&event.appointment_id)
    .bind(&event.technician_id)
    .bind(&event.provider)
    .bind(&event.calendar)
    .bind(&event.external_id)
    .bind(&event.status)
    .bind(event.starts_at)
    .bind(event.ends_at)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Every visit written into a calendar (and not taken out) that has not ended by `now`.
pub async fn written_since(tx: &mut TenantTx, now: i64) -> Result<Vec<EventRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!(
        "SELECT {EVENT_COLUMNS} FROM calendar_events WHERE org_id = $1 AND status = 'written' AND ends_at > $2"
    ))
    .bind(&org)
    .bind(now)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(event_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, read_at: Option<i64>) -> CalendarRow {
        CalendarRow {
            technician_id: "t".into(),
            provider: "caldav".into(),
            calendar: "https://dav.example/ana/work/".into(),
            account: "Work".into(),
            username: "ana".into(),
            status: status.into(),
            last_error: None,
            busy: vec![],
            busy_from: Some(0),
            busy_until: Some(1_000_000),
            read_at,
            created_at: 0,
        }
    }

    #[test]
    fn busy_times_are_relied_on_only_while_fresh_and_healthy() {
        assert_eq!(row("connected", Some(100)).known_until(400, 300), Some(1_000_000));
        assert_eq!(row("connected", Some(100)).known_until(401, 300), None, "read too long ago");
        assert_eq!(row("error", Some(100)).known_until(200, 300), None, "the last read failed");
        assert_eq!(row("connected", None).known_until(200, 300), None, "never read");
    }
}
