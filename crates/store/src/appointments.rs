//! Appointments. The database refuses two live appointments for one technician that overlap;
//! a refused booking surfaces as `StoreError::Conflict`.

use domain::schedule::AppointmentStatus;
use domain::{LeadId, ServiceId, TechnicianId};
use serde::Serialize;

use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, stored, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone)]
pub struct NewAppointment {
    pub lead_id: LeadId,
    pub technician_id: TechnicianId,
    pub service_id: Option<ServiceId>,
    pub starts_at: i64,
    pub ends_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppointmentRow {
    pub id: String,
    pub lead_id: String,
    pub technician_id: String,
    pub service_id: Option<String>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: AppointmentStatus,
}

pub async fn book(tx: &mut TenantTx, new: &NewAppointment) -> Result<String, StoreError> {
    let id = new_id().to_string();
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO appointments (id, org_id, lead_id, technician_id, service_id, starts_at, ends_at, status,
                                   created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(&org)
    .bind(new.lead_id.to_string())
    .bind(new.technician_id.to_string())
    .bind(new.service_id.map(|s| s.to_string()))
    .bind(new.starts_at)
    .bind(new.ends_at)
    .bind(AppointmentStatus::Scheduled.as_str())
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Live appointments that overlap `from`..`until`: `(technician_id, starts_at, ends_at)`, for
/// availability. The lead's own appointments are left out, so moving a booking can offer the times
/// around it.
pub async fn busy_between(
    tx: &mut TenantTx,
    from: i64,
    until: i64,
    except_lead: Option<LeadId>,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT technician_id, starts_at, ends_at FROM appointments
         WHERE org_id = $1 AND status <> $4 AND ends_at > $2 AND starts_at < $5 AND lead_id <> $3 ORDER BY starts_at",
    )
    .bind(&org)
    .bind(from)
    // No lead is the empty id, which no appointment has.
    .bind(except_lead.map(|lead| lead.to_string()).unwrap_or_default())
    .bind(AppointmentStatus::Cancelled.as_str())
    .bind(until)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(|r| Ok((text(r, "technician_id")?, int(r, "starts_at")?, int(r, "ends_at")?))).collect()
}

const COLUMNS: &str = "id, lead_id, technician_id, service_id, starts_at, ends_at, status";

fn from_row(row: &AnyRow) -> Result<AppointmentRow, StoreError> {
    Ok(AppointmentRow {
        id: text(row, "id")?,
        lead_id: text(row, "lead_id")?,
        technician_id: text(row, "technician_id")?,
        service_id: opt_text(row, "service_id")?,
        starts_at: int(row, "starts_at")?,
        ends_at: int(row, "ends_at")?,
        status: stored(row, "status", AppointmentStatus::parse)?,
    })
}

pub async fn for_lead(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<AppointmentRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE org_id = $1 AND lead_id = $2 ORDER BY starts_at");
    let rows = sqlx::query(&sql).bind(&org).bind(lead.to_string()).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(tx: &mut TenantTx, id: &str) -> Result<Option<AppointmentRow>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(&org).bind(id).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Cancels a live appointment; `false` when it was not live (completed or already cancelled).
pub async fn cancel(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    close_live(tx, id, AppointmentStatus::Cancelled).await
}

/// Marks a live appointment completed; `false` when it was already completed or cancelled.
pub async fn complete(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    close_live(tx, id, AppointmentStatus::Completed).await
}

/// Moves a live (scheduled or confirmed) appointment to `to`; `false` when it was not live.
async fn close_live(tx: &mut TenantTx, id: &str, to: AppointmentStatus) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE appointments SET status = $3, updated_at = $4 WHERE org_id = $1 AND id = $2 AND status IN ($5, $6)",
    )
    .bind(&org)
    .bind(id)
    .bind(to.as_str())
    .bind(now_ms())
    .bind(AppointmentStatus::Scheduled.as_str())
    .bind(AppointmentStatus::Confirmed.as_str())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An appointment as a schedule shows it: with its customer, service and technician by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledJob {
    pub appointment: AppointmentRow,
    pub customer_name: String,
    pub service_name: Option<String>,
    /// `None` when the technician was removed from the crew.
    pub technician_name: Option<String>,
}

/// Appointments (of every status) starting in `[from, until)`, by start time.
pub async fn schedule(tx: &mut TenantTx, from: i64, until: i64) -> Result<Vec<ScheduledJob>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT a.id, a.lead_id, a.technician_id, a.service_id, a.starts_at, a.ends_at, a.status,
                c.name AS customer_name, s.name AS service_name, t.name AS technician_name
         FROM appointments a
         JOIN leads l ON l.org_id = a.org_id AND l.id = a.lead_id
         JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
         LEFT JOIN technicians t ON t.org_id = a.org_id AND t.id = a.technician_id
         LEFT JOIN services s ON s.org_id = a.org_id AND s.id = a.service_id
         WHERE a.org_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3
         ORDER BY a.starts_at, t.name",
    )
    .bind(&org)
    .bind(from)
    .bind(until)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ScheduledJob {
                appointment: from_row(r)?,
                customer_name: text(r, "customer_name")?,
                service_name: opt_text(r, "service_name")?,
                technician_name: opt_text(r, "technician_name")?,
            })
        })
        .collect()
}
