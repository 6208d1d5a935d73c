//! Appointments. The database refuses two live appointments for one technician that overlap;
//! a refused booking surfaces as `StoreError::Conflict`.

use domain::{LeadId, ServiceId, TechnicianId};
use serde::Serialize;

use crate::rows::{int, opt_text, text};
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
    pub status: String,
}

pub async fn book(tx: &mut TenantTx, new: &NewAppointment) -> Result<String, StoreError> {
    let id = new_id().to_string();
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO appointments (id, org_id, lead_id, technician_id, service_id, starts_at, ends_at, status,
                                   created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8, $8)",
    )
    .bind(&id)
    .bind(&org)
    .bind(new.lead_id.to_string())
    .bind(new.technician_id.to_string())
    .bind(new.service_id.map(|s| s.to_string()))
    .bind(new.starts_at)
    .bind(new.ends_at)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Live appointments that end after `from`, per technician, for availability.
/// Live appointments ending after `from`: `(technician_id, starts_at, ends_at)`. The lead's own
/// appointments are left out, so moving a booking can offer the times around it.
pub async fn busy_since(
    tx: &mut TenantTx,
    from: i64,
    except_lead: LeadId,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT technician_id, starts_at, ends_at FROM appointments
         WHERE org_id = $1 AND status <> 'cancelled' AND ends_at > $2 AND lead_id <> $3 ORDER BY starts_at",
    )
    .bind(&org)
    .bind(from)
    .bind(except_lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(|r| Ok((text(r, "technician_id")?, int(r, "starts_at")?, int(r, "ends_at")?))).collect()
}

pub async fn for_lead(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<AppointmentRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, lead_id, technician_id, service_id, starts_at, ends_at, status FROM appointments
         WHERE org_id = $1 AND lead_id = $2 ORDER BY starts_at",
    )
    .bind(&org)
    .bind(lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AppointmentRow {
                id: text(r, "id")?,
                lead_id: text(r, "lead_id")?,
                technician_id: text(r, "technician_id")?,
                service_id: opt_text(r, "service_id")?,
                starts_at: int(r, "starts_at")?,
                ends_at: int(r, "ends_at")?,
                status: text(r, "status")?,
            })
        })
        .collect()
}

pub async fn get(tx: &mut TenantTx, id: &str) -> Result<Option<AppointmentRow>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT id, lead_id, technician_id, service_id, starts_at, ends_at, status FROM appointments
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    row.map(|r| {
        Ok(AppointmentRow {
            id: text(&r, "id")?,
            lead_id: text(&r, "lead_id")?,
            technician_id: text(&r, "technician_id")?,
            service_id: opt_text(&r, "service_id")?,
            starts_at: int(&r, "starts_at")?,
            ends_at: int(&r, "ends_at")?,
            status: text(&r, "status")?,
        })
    })
    .transpose()
}

/// Cancels a live appointment; `false` when it was not live (completed or already cancelled).
pub async fn cancel(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE appointments SET status = 'cancelled', updated_at = $3
         WHERE org_id = $1 AND id = $2 AND status IN ('scheduled', 'confirmed')",
    )
    .bind(&org)
    .bind(id)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a live appointment completed; `false` when it was already completed or cancelled.
pub async fn complete(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE appointments SET status = 'completed', updated_at = $3
         WHERE org_id = $1 AND id = $2 AND status IN ('scheduled', 'confirmed')",
    )
    .bind(&org)
    .bind(id)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
