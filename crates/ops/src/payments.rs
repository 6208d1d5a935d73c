//! A person records a payment taken outside the pay page: cash, a check, a bank transfer. The
//! reference makes it idempotent: the same reference twice is one payment.

use domain::billing::InvoiceStatus;
use serde_json::json;
use squad::payments::{record_payment, PaymentError, PaymentOutcome};
use store::payments::{NewPayment, PayLink};
use store::{audit, invoices, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// How a person may say the money came in.
pub const METHODS: &[&str] = &["cash", "check", "bank_transfer", "card", "other"];

#[derive(Debug, Clone)]
pub struct ManualPayment {
    pub amount_cents: i64,
    pub method: String,
    /// The receipt, check number or transfer id.
    pub reference: String,
}

pub async fn record(
    db: &Db,
    scope: &TenantScope,
    invoice_id: &str,
    input: &ManualPayment,
) -> Result<PaymentOutcome, OpsError> {
    require(scope, Operation::RecordPayment)?;
    if !METHODS.contains(&input.method.as_str()) {
        return Err(OpsError::validation("method", format!("choose one of {}", METHODS.join(", "))));
    }
    let reference = input.reference.trim();
    if reference.is_empty() || reference.chars().count() > 100 {
        return Err(OpsError::validation("reference", "give the receipt, check or transfer number (1-100 characters)"));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let invoice = invoices::lock(&mut tx, invoice_id).await?.ok_or(OpsError::NotFound)?;
    let payment = NewPayment {
        invoice_id: &invoice.id,
        amount_cents: input.amount_cents,
        method: &input.method,
        provider: "manual",
        reference,
        recorded_by: scope.user_id(),
    };
    let outcome = record_payment(&mut tx, &invoice, &payment).await.map_err(|err| match err {
        PaymentError::NotPayable { .. } => OpsError::conflict(err),
        PaymentError::BadAmount { .. } => OpsError::validation("amount_cents", err),
        PaymentError::ReferenceUsed { .. } => OpsError::conflict_on("reference", err),
        PaymentError::Store(e) => e.into(),
    })?;
    if outcome.recorded {
        let entry = json!({
            "invoice_id": invoice.id, "number": invoice.number, "amount_cents": input.amount_cents,
            "method": input.method, "reference": reference, "settled": outcome.settled,
        });
        audit::record(&mut tx, &format!("payment recorded on invoice {}", invoice.number), &entry).await?;
    }
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), invoice_id, recorded = outcome.recorded, settled = outcome.settled, "payment recorded");
    Ok(outcome)
}

/// The pay page's test payment (test mode only, checked by the caller): the invoice's balance,
/// recorded once however often the customer presses the button.
pub async fn record_test_payment(db: &Db, link: &PayLink) -> Result<(), OpsError> {
    let mut tx = TenantTx::begin(db, &link.scope).await?;
    let invoice = invoices::lock(&mut tx, &link.invoice_id).await?.ok_or(OpsError::NotFound)?;
    if invoice.status == InvoiceStatus::Paid {
        return Ok(());
    }
    let paid = store::payments::paid_cents(&mut tx, &invoice.id).await?;
    let reference = format!("test:{}", invoice.id);
    let payment = NewPayment {
        invoice_id: &invoice.id,
        amount_cents: invoice.total_cents - paid,
        method: "test",
        provider: "hosted",
        reference: &reference,
        recorded_by: None,
    };
    let outcome = record_payment(&mut tx, &invoice, &payment).await.map_err(|err| match err {
        PaymentError::Store(e) => e.into(),
        other => OpsError::conflict_on("token", other),
    })?;
    if outcome.recorded {
        let entry = json!({ "invoice_id": invoice.id, "number": invoice.number, "amount_cents": payment.amount_cents });
        audit::record(&mut tx, &format!("test payment recorded on invoice {}", invoice.number), &entry).await?;
    }
    tx.commit().await?;
    tracing::info!(org_id = %link.scope.org_id(), invoice_id = %invoice.id, "test payment recorded");
    Ok(())
}
