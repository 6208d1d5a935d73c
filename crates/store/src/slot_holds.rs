//! Openings briefly kept for the lead they were offered to first, so that leads being scheduled at
//! the same moment are offered different times instead of racing for one.

use domain::LeadId;

use crate::rows::{int, text};
use crate::{StoreError, TenantTx};

/// An opening kept for one lead: `(technician_id, starts_at, ends_at)`.
pub type Held = (String, i64, i64);

/// Makes the org's availability checks and bookings take turns until the transaction ends, so two
/// cannot both see an opening as free and keep it.
pub async fn take_turns(tx: &mut TenantTx) -> Result<(), StoreError> {
    tx.take_turns("openings").await
}

/// Keeps `held` for `lead` until `expires_at`, in place of what it held before.
pub async fn hold(tx: &mut TenantTx, lead: LeadId, held: &Held, expires_at: i64) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "INSERT INTO slot_holds (org_id, lead_id, technician_id, starts_at, ends_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, lead_id) DO UPDATE SET technician_id = excluded.technician_id,
             starts_at = excluded.starts_at, ends_at = excluded.ends_at, expires_at = excluded.expires_at",
    )
    .bind(&org)
    .bind(lead.to_string())
    .bind(&held.0)
    .bind(held.1)
    .bind(held.2)
    .bind(expires_at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The lead booked (or no longer needs its opening kept).
pub async fn release(tx: &mut TenantTx, lead: LeadId) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("DELETE FROM slot_holds WHERE org_id = $1 AND lead_id = $2")
        .bind(&org)
        .bind(lead.to_string())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Openings kept at `now` for leads other than `except_lead`, as busy time for everyone else.
pub async fn held_for_others(
    tx: &mut TenantTx,
    now: i64,
    except_lead: Option<LeadId>,
) -> Result<Vec<Held>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT technician_id, starts_at, ends_at FROM slot_holds
         WHERE org_id = $1 AND expires_at > $2 AND lead_id <> $3",
    )
    .bind(&org)
    .bind(now)
    // No lead is the empty id, which no hold has.
    .bind(except_lead.map(|lead| lead.to_string()).unwrap_or_default())
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(|r| Ok((text(r, "technician_id")?, int(r, "starts_at")?, int(r, "ends_at")?))).collect()
}
