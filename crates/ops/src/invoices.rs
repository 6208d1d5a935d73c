//! An invoice withdrawn by the owner: a draft or sent invoice with no money on it is voided, its
//! pay links stop opening, its follow-ups stop, an approval waiting to send it is declined, and the
//! lead is closed with the reason.

use domain::pipeline::{Stage, WaitingOn};
use domain::LeadId;
use serde_json::json;
use store::escalations::{self, EscalationRow};
use store::{audit, invoices, leads, payments, Db, StoreError, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// The longest reason a person may give, in characters.
const MAX_REASON_CHARS: usize = 500;

/// The lead's pending approval that asks to send its invoice, if any.
pub async fn send_approval(tx: &mut TenantTx, lead: LeadId) -> Result<Option<EscalationRow>, StoreError> {
    Ok(escalations::pending_for_lead(tx, lead)
        .await?
        .into_iter()
        .find(|e| e.kind == "approval" && e.proposed_action["tool"] == "send_invoice"))
}

pub async fn void(db: &Db, scope: &TenantScope, invoice_id: &str, reason: &str) -> Result<(), OpsError> {
    require(scope, Operation::VoidInvoice)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(OpsError::validation("reason", "Say why in a few words (up to 500 characters)."));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let invoice = invoices::lock(&mut tx, invoice_id).await?.ok_or(OpsError::NotFound)?;
    if payments::paid_cents(&mut tx, &invoice.id).await? > 0 {
        return Err(OpsError::conflict(format!(
            "Invoice {} has payments recorded, so it cannot be voided; settle the difference with the customer instead.",
            invoice.number
        )));
    }
    if !invoices::void(&mut tx, &invoice.id).await? {
        return Err(OpsError::conflict(format!(
            "Invoice {} is {}; only a draft or sent invoice can be voided.",
            invoice.number, invoice.status
        )));
    }
    let lead_id = LeadId::parse(&invoice.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // A run parked to ask whether to send this invoice learns the answer is no.
    if let Some(asked) = send_approval(&mut tx, lead_id).await? {
        crate::escalations::decide_in(&mut tx, scope, &asked.id, false, "The invoice was voided.").await?;
    }
    leads::set_stage(&mut tx, lead_id, Stage::Disqualified, WaitingOn::None).await?;
    let entry = json!({ "invoice_id": invoice.id, "number": invoice.number, "lead_id": lead_id, "reason": reason });
    audit::record(&mut tx, &format!("invoice {} voided", invoice.number), &entry).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), invoice_id, "invoice voided");
    Ok(())
}
