//! Times offered in a live chat: the Scheduler shows a few openings as buttons on one chat line,
//! and the visitor books by tapping one. An offer holds nothing; the booking is checked against
//! the openings when it is picked.

use domain::{LeadId, MessageId, TechnicianId, TimeOfferId};

use crate::rows::{int, text, uuid};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeOffer {
    pub id: TimeOfferId,
    pub lead_id: LeadId,
    /// The chat line that shows it.
    pub message_id: MessageId,
    /// Who was free then when it was offered; another technician may take it when picked.
    pub technician_id: String,
    pub starts_at: i64,
}

/// Records the times offered on `message`, in the order shown.
pub async fn insert(
    tx: &mut TenantTx,
    lead: LeadId,
    message: MessageId,
    times: &[(TechnicianId, i64)],
) -> Result<Vec<TimeOfferId>, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    let mut ids = Vec::with_capacity(times.len());
    // Created one millisecond apart, so the stored order is the order shown.
    for (n, (technician, starts_at)) in times.iter().enumerate() {
        let id = TimeOfferId::from_uuid(new_id());
        sqlx::query(
            "INSERT INTO time_offers (id, org_id, lead_id, message_id, technician_id, starts_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(&org)
        .bind(lead.to_string())
        .bind(message.to_string())
        .bind(technician.to_string())
        .bind(*starts_at)
        .bind(now + i64::try_from(n).unwrap_or(0))
        .execute(tx.conn())
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Every time offered on the lead's chat, in the order offered.
pub async fn for_lead(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<TimeOffer>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, lead_id, message_id, technician_id, starts_at FROM time_offers
         WHERE org_id = $1 AND lead_id = $2 ORDER BY created_at, id",
    )
    .bind(&org)
    .bind(lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(read).collect()
}

/// The offer `id` made on `lead`'s chat; `None` for any other lead's.
pub async fn get(tx: &mut TenantTx, lead: LeadId, id: TimeOfferId) -> Result<Option<TimeOffer>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT id, lead_id, message_id, technician_id, starts_at FROM time_offers
         WHERE org_id = $1 AND lead_id = $2 AND id = $3",
    )
    .bind(&org)
    .bind(lead.to_string())
    .bind(id.to_string())
    .fetch_optional(tx.conn())
    .await?;
    row.as_ref().map(read).transpose()
}

fn read(row: &sqlx::any::AnyRow) -> Result<TimeOffer, StoreError> {
    Ok(TimeOffer {
        id: TimeOfferId::from_uuid(uuid(row, "id")?),
        lead_id: LeadId::from_uuid(uuid(row, "lead_id")?),
        message_id: MessageId::from_uuid(uuid(row, "message_id")?),
        technician_id: text(row, "technician_id")?,
        starts_at: int(row, "starts_at")?,
    })
}
