//! A lead's booking as every door changes it: the Scheduler's tools and a customer's manage link
//! cancel through the same function, so a cancellation always closes the lead and is remembered.

use domain::pipeline::{Stage, WaitingOn};
use store::appointments::{self, AppointmentRow};
use store::leads::{self, LeadRow};
use store::memories::{self, Layer, NewMemory};
use store::{StoreError, TenantTx};

/// The lead's live (scheduled or confirmed) appointment, the latest if there were several.
pub async fn live(tx: &mut TenantTx, lead: domain::LeadId) -> Result<Option<AppointmentRow>, StoreError> {
    Ok(appointments::for_lead(tx, lead).await?.into_iter().rev().find(|a| a.status.is_live()))
}

/// Cancels the lead's live appointment and closes the lead; returns the cancelled appointment's
/// id, or `None` when there was nothing to cancel.
pub async fn cancel(tx: &mut TenantTx, lead: &LeadRow, reason: &str) -> Result<Option<String>, StoreError> {
    let Some(current) = live(tx, lead.id).await? else { return Ok(None) };
    if !appointments::cancel(tx, &current.id).await? {
        return Ok(None);
    }
    leads::set_stage(tx, lead.id, Stage::Disqualified, WaitingOn::None).await?;
    memories::remember(
        tx,
        &NewMemory {
            layer: Layer::History,
            customer_id: Some(lead.customer_id),
            lead_id: Some(lead.id),
            key: None,
            content: &format!("Appointment cancelled: {}", reason.chars().take(200).collect::<String>()),
        },
    )
    .await?;
    Ok(Some(current.id))
}
