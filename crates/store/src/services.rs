//! The price list.

use domain::catalog::{Pricing, ServiceInput};
use domain::ServiceId;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, text, uuid};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRow {
    pub id: ServiceId,
    pub name: String,
    pub pricing: Pricing,
    pub price_cents: i64,
    pub duration_minutes: i64,
    pub emergency_fee_cents: i64,
    pub taxable: bool,
    pub skill: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, name, pricing, price_cents, duration_minutes, emergency_fee_cents, taxable, skill, active, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<ServiceRow, StoreError> {
    let pricing = text(row, "pricing")?;
    Ok(ServiceRow {
        id: ServiceId::from_uuid(uuid(row, "id")?),
        name: text(row, "name")?,
        pricing: Pricing::parse(&pricing).ok_or_else(|| StoreError::corrupt(format!("pricing `{pricing}`")))?,
        price_cents: int(row, "price_cents")?,
        duration_minutes: int(row, "duration_minutes")?,
        emergency_fee_cents: int(row, "emergency_fee_cents")?,
        taxable: int(row, "taxable")? != 0,
        skill: opt_text(row, "skill")?,
        active: int(row, "active")? != 0,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

/// Inserts a validated service. A duplicate name in the org is a `Conflict`.
pub async fn insert(tx: &mut TenantTx, input: &ServiceInput) -> Result<ServiceRow, StoreError> {
    let id = ServiceId::from_uuid(new_id());
    let org = tx.org().to_owned();
    sqlx::query(
        "INSERT INTO services (id, org_id, name, pricing, price_cents, duration_minutes, emergency_fee_cents, taxable,
                               skill, active, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(id.to_string())
    .bind(&org)
    .bind(&input.name)
    .bind(input.pricing.as_str())
    .bind(input.price_cents)
    .bind(input.duration_minutes)
    .bind(input.emergency_fee_cents)
    .bind(i64::from(input.taxable))
    .bind(input.skill.clone())
    .bind(i64::from(input.active))
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    get(tx, id).await?.ok_or_else(|| StoreError::corrupt("inserted service vanished"))
}

pub async fn get(tx: &mut TenantTx, id: ServiceId) -> Result<Option<ServiceRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM services WHERE org_id = $1 AND id = $2");
    let org = tx.org().to_owned();
    let row = sqlx::query(&sql).bind(&org).bind(id.to_string()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<ServiceRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM services WHERE org_id = $1 ORDER BY name, id");
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a service of this org; `None` when there is none with that id.
pub async fn replace(tx: &mut TenantTx, id: ServiceId, input: &ServiceInput) -> Result<Option<ServiceRow>, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE services SET name = $3, pricing = $4, price_cents = $5, duration_minutes = $6, emergency_fee_cents = $7,
                taxable = $8, skill = $9, active = $10, updated_at = $11
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id.to_string())
    .bind(&input.name)
    .bind(input.pricing.as_str())
    .bind(input.price_cents)
    .bind(input.duration_minutes)
    .bind(input.emergency_fee_cents)
    .bind(i64::from(input.taxable))
    .bind(input.skill.clone())
    .bind(i64::from(input.active))
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    get(tx, id).await
}

pub async fn delete(tx: &mut TenantTx, id: ServiceId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM services WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}
