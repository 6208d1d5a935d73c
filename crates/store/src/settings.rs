//! The org's business settings (one row per org, created at sign-up).

use domain::catalog::{BusinessSettings, ServiceArea};
use domain::schedule::{TimeZone, WeeklyHours};
use sqlx::any::AnyRow;

use crate::rows::{int, text};
use crate::{now_ms, Backend, StoreError, TenantTx};

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> Result<T, StoreError> {
    serde_json::from_str(&text(row, col)?).map_err(|e| StoreError::corrupt(format!("column {col}: {e}")))
}

fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(StoreError::corrupt)
}

const SELECT: &str =
    "SELECT time_zone, weekly_hours, holidays, service_area, booking_buffer_minutes, reminder_offsets_minutes,
            tone, currency, tax_rate_bps, payment_terms_days, run_budget_micros, daily_budget_micros,
            invoice_approval_above_cents, policies
     FROM business_settings WHERE org_id = $1";

pub async fn get(tx: &mut TenantTx) -> Result<BusinessSettings, StoreError> {
    if let Some(read) = &tx.settings {
        return Ok((**read).clone());
    }
    let settings = read(tx, SELECT).await?;
    tx.settings = Some(Box::new(settings.clone()));
    Ok(settings)
}

/// The settings, locked until the transaction ends, for a read-change-write: a concurrent change
/// of another section waits and then reads this one's result instead of overwriting it. (SQLite
/// transactions already hold the database's single write lock from their start.)
pub async fn get_for_update(tx: &mut TenantTx) -> Result<BusinessSettings, StoreError> {
    match tx.backend() {
        Backend::Postgres => read(tx, &format!("{SELECT} FOR UPDATE")).await,
        Backend::Sqlite => read(tx, SELECT).await,
    }
}

async fn read(tx: &mut TenantTx, sql: &str) -> Result<BusinessSettings, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(sql).bind(&org).fetch_one(tx.conn()).await?;
    Ok(BusinessSettings {
        time_zone: TimeZone::parse(&text(&row, "time_zone")?).map_err(StoreError::corrupt)?,
        weekly_hours: json::<WeeklyHours>(&row, "weekly_hours")?,
        holidays: json(&row, "holidays")?,
        service_area: json::<ServiceArea>(&row, "service_area")?,
        booking_buffer_minutes: int(&row, "booking_buffer_minutes")?,
        reminder_offsets_minutes: json(&row, "reminder_offsets_minutes")?,
        tone: text(&row, "tone")?,
        currency: text(&row, "currency")?,
        tax_rate_bps: int(&row, "tax_rate_bps")?,
        payment_terms_days: int(&row, "payment_terms_days")?,
        run_budget_micros: int(&row, "run_budget_micros")?,
        daily_budget_micros: int(&row, "daily_budget_micros")?,
        invoice_approval_above_cents: int(&row, "invoice_approval_above_cents")?,
        policies: json(&row, "policies")?,
    })
}

/// The org's guardrails and escalation timeouts.
pub async fn policies(tx: &mut TenantTx) -> Result<domain::policy::Policies, StoreError> {
    let org = tx.org().to_owned();
    let row =
        sqlx::query("SELECT policies FROM business_settings WHERE org_id = $1").bind(&org).fetch_one(tx.conn()).await?;
    json(&row, "policies")
}

/// Replaces the settings; the caller validated them (`BusinessSettings::validate`).
pub async fn put(tx: &mut TenantTx, settings: &BusinessSettings) -> Result<(), StoreError> {
    tx.settings = None;
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE business_settings SET time_zone = $2, weekly_hours = $3, holidays = $4, service_area = $5,
                booking_buffer_minutes = $6, reminder_offsets_minutes = $7, tone = $8, currency = $9,
                tax_rate_bps = $10, payment_terms_days = $11, run_budget_micros = $12, daily_budget_micros = $13,
                updated_at = $14, invoice_approval_above_cents = $15, policies = $16
         WHERE org_id = $1",
    )
    .bind(&org)
    .bind(settings.time_zone.as_str())
    .bind(to_json(&settings.weekly_hours)?)
    .bind(to_json(&settings.holidays)?)
    .bind(to_json(&settings.service_area)?)
    .bind(settings.booking_buffer_minutes)
    .bind(to_json(&settings.reminder_offsets_minutes)?)
    .bind(&settings.tone)
    .bind(&settings.currency)
    .bind(settings.tax_rate_bps)
    .bind(settings.payment_terms_days)
    .bind(settings.run_budget_micros)
    .bind(settings.daily_budget_micros)
    .bind(now_ms())
    .bind(settings.invoice_approval_above_cents)
    .bind(to_json(&settings.policies)?)
    .execute(tx.conn())
    .await?;
    Ok(())
}
