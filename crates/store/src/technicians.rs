//! The people who do the work: skills, working hours, calendar.

use domain::catalog::TechnicianInput;
use domain::schedule::WeeklyHours;
use domain::TechnicianId;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, text, uuid};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TechnicianRow {
    pub id: TechnicianId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub skills: Vec<String>,
    /// `None`: works the business's hours.
    pub working_hours: Option<WeeklyHours>,
    pub calendar_id: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, email, phone, skills, working_hours, calendar_id, active, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<TechnicianRow, StoreError> {
    let skills =
        serde_json::from_str(&text(row, "skills")?).map_err(|e| StoreError::corrupt(format!("skills: {e}")))?;
    let hours = text(row, "working_hours")?;
    let working_hours = serde_json::from_str(&hours).map_err(|e| StoreError::corrupt(format!("working_hours: {e}")))?;
    Ok(TechnicianRow {
        id: TechnicianId::from_uuid(uuid(row, "id")?),
        name: text(row, "name")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        skills,
        working_hours,
        calendar_id: opt_text(row, "calendar_id")?,
        active: int(row, "active")? != 0,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

fn encode(input: &TechnicianInput) -> Result<(String, String), StoreError> {
    let skills = serde_json::to_string(&input.skills).map_err(StoreError::corrupt)?;
    let hours = serde_json::to_string(&input.working_hours).map_err(StoreError::corrupt)?;
    Ok((skills, hours))
}

pub async fn insert(tx: &mut TenantTx, input: &TechnicianInput) -> Result<TechnicianRow, StoreError> {
    let id = TechnicianId::from_uuid(new_id());
    let org = tx.org().to_owned();
    let (skills, hours) = encode(input)?;
    sqlx::query(
        "INSERT INTO technicians (id, org_id, name, email, phone, skills, working_hours, calendar_id, active,
                                  created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(id.to_string())
    .bind(&org)
    .bind(&input.name)
    .bind(input.email.clone())
    .bind(input.phone.clone())
    .bind(skills)
    .bind(hours)
    .bind(input.calendar_id.clone())
    .bind(i64::from(input.active))
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    get(tx, id).await?.ok_or_else(|| StoreError::corrupt("inserted technician vanished"))
}

pub async fn get(tx: &mut TenantTx, id: TechnicianId) -> Result<Option<TechnicianRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM technicians WHERE org_id = $1 AND id = $2");
    let org = tx.org().to_owned();
    let row = sqlx::query(&sql).bind(&org).bind(id.to_string()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<TechnicianRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM technicians WHERE org_id = $1 ORDER BY name, id");
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

pub async fn replace(
    tx: &mut TenantTx,
    id: TechnicianId,
    input: &TechnicianInput,
) -> Result<Option<TechnicianRow>, StoreError> {
    let org = tx.org().to_owned();
    let (skills, hours) = encode(input)?;
    let done = sqlx::query(
        "UPDATE technicians SET name = $3, email = $4, phone = $5, skills = $6, working_hours = $7, calendar_id = $8,
                active = $9, updated_at = $10
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id.to_string())
    .bind(&input.name)
    .bind(input.email.clone())
    .bind(input.phone.clone())
    .bind(skills)
    .bind(hours)
    .bind(input.calendar_id.clone())
    .bind(i64::from(input.active))
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(tx, id).await
}

/// Deletes a technician with no appointments. One with appointments is a `Conflict`: deactivate
/// them instead, so booked history stays intact.
pub async fn delete(tx: &mut TenantTx, id: TechnicianId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let booked = sqlx::query("SELECT 1 AS one FROM appointments WHERE org_id = $1 AND technician_id = $2 LIMIT 1")
        .bind(&org)
        .bind(id.to_string())
        .fetch_optional(tx.conn())
        .await?;
    if booked.is_some() {
        return Err(StoreError::Conflict { constraint: "appointments_technician_id_fkey".to_owned() });
    }
    let done = sqlx::query("DELETE FROM technicians WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}
