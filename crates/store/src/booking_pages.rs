//! Each org's booking page settings (one row per org once the owner saved them; none means the
//! page is off).

use domain::booking_page::BookingPageSettings;
use domain::{OrgId, ServiceId};
use sqlx::any::AnyRow;

use crate::rows::{int, text};
use crate::{now_ms, Db, StoreError, TenantScope, TenantTx};

fn from_row(row: &AnyRow) -> Result<BookingPageSettings, StoreError> {
    let services: Vec<ServiceId> = serde_json::from_str(&text(row, "services")?)
        .map_err(|e| StoreError::corrupt(format!("column services: {e}")))?;
    Ok(BookingPageSettings {
        enabled: int(row, "enabled")? == 1,
        services,
        days_ahead: int(row, "days_ahead")?,
        min_notice_minutes: int(row, "min_notice_minutes")?,
    })
}

const COLUMNS: &str = "enabled, services, days_ahead, min_notice_minutes";

pub async fn get(tx: &mut TenantTx) -> Result<BookingPageSettings, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM booking_pages WHERE org_id = $1"))
        .bind(&org)
        .fetch_optional(tx.conn())
        .await?;
    row.as_ref().map(from_row).transpose().map(Option::unwrap_or_default)
}

/// Replaces the settings; the caller validated them (`BookingPageSettings::validate`).
pub async fn put(tx: &mut TenantTx, settings: &BookingPageSettings) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let services = serde_json::to_string(&settings.services).map_err(StoreError::corrupt)?;
    sqlx::query(
        "INSERT INTO booking_pages (org_id, enabled, services, days_ahead, min_notice_minutes, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id) DO UPDATE SET enabled = $2, services = $3, days_ahead = $4,
                                            min_notice_minutes = $5, updated_at = $6",
    )
    .bind(&org)
    .bind(i64::from(settings.enabled))
    .bind(services)
    .bind(settings.days_ahead)
    .bind(settings.min_notice_minutes)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The public page's door: the org's page when it is enabled, with the scope to act for that org
/// (and only as a visitor may: the page's own operations decide what that is).
pub async fn find_enabled(db: &Db, org: OrgId) -> Result<Option<(TenantScope, BookingPageSettings)>, StoreError> {
    let mut tx = db.begin_door("app.booking_lookup").await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM booking_pages WHERE org_id = $1 AND enabled = 1"))
        .bind(org.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|row| {
        let scope = TenantScope::from_verified_credential(org, None, domain::Role::Staff);
        Ok((scope, from_row(&row)?))
    })
    .transpose()
}
