//! Payments and pay links as people and the pay page use them: a person records a payment taken
//! outside the pay page (cash, a check, a bank transfer; the reference makes it idempotent) or
//! shares a fresh pay link; the pay page opens a link and, in test mode, records a test payment.

use domain::billing::InvoiceStatus;
use serde_json::json;
use squad::payments::{link_opens, looks_like_token, record_payment, token_hash};
use squad::payments::{IssuedLink, PaymentError, PaymentLinks, PaymentOutcome};
use store::invoices::InvoiceRow;
use store::pay_links::{self, PayLink};
use store::payments::NewPayment;
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

/// A fresh pay link for a sent invoice, for a person to pass on to the customer themselves. The
/// link is in the answer and nowhere else; the audit log records that one was made.
pub async fn share_pay_link(
    db: &Db,
    scope: &TenantScope,
    payments: &dyn PaymentLinks,
    invoice_id: &str,
) -> Result<IssuedLink, OpsError> {
    require(scope, Operation::SharePayLink)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let invoice = invoices::get(&mut tx, invoice_id).await?.ok_or(OpsError::NotFound)?;
    if invoice.status != InvoiceStatus::Sent {
        return Err(OpsError::conflict(format!(
            "invoice {} is {}, so it takes no payment; only a sent invoice has a pay link",
            invoice.number, invoice.status
        )));
    }
    let link = payments.mint(&mut tx, &invoice.id, None).await?;
    let entry = json!({ "invoice_id": invoice.id, "number": invoice.number, "expires_at": link.expires_at });
    audit::record(&mut tx, &format!("pay link made for invoice {}", invoice.number), &entry).await?;
    tx.commit().await?;
    Ok(link)
}

/// The pay link behind `token` and the invoice it opens, while it still opens it. A malformed,
/// unknown or expired token, or one whose invoice no longer opens through a link, is "not found":
/// the same answer every way, so the page tells a stranger nothing.
pub async fn open_pay_link(db: &Db, token: &str) -> Result<(PayLink, InvoiceRow), OpsError> {
    if !looks_like_token(token) {
        return Err(OpsError::NotFound);
    }
    let link = pay_links::find(db, &token_hash(token)).await?.ok_or(OpsError::NotFound)?;
    let mut tx = TenantTx::read(db, &link.scope).await?;
    let invoice = invoices::get(&mut tx, &link.invoice_id).await?.ok_or(OpsError::NotFound)?;
    tx.commit().await?;
    if !link_opens(link.expires_at, &invoice, store::now_ms()) {
        return Err(OpsError::NotFound);
    }
    Ok((link, invoice))
}
