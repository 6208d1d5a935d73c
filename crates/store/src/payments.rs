//! Payments against invoices.
//!
//! A payment is recorded once per `(provider, reference)`: a webhook delivered twice, or an owner
//! pressing "record payment" twice with the same reference, adds one row.

use domain::UserId;
use serde::Serialize;

use crate::rows::{int, opt_text, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

pub const METHODS: &[&str] = &["card", "cash", "check", "bank_transfer", "other", "test"];

#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub invoice_id: &'a str,
    pub amount_cents: i64,
    pub method: &'a str,
    /// Who took the money: `hosted` (the built-in pay page), `manual` (the owner), later `stripe`.
    pub provider: &'a str,
    /// The provider's id for this payment; the key that makes recording idempotent.
    pub reference: &'a str,
    pub recorded_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRow {
    pub id: String,
    pub invoice_id: String,
    pub amount_cents: i64,
    pub method: String,
    pub provider: String,
    pub reference: String,
    pub recorded_by: Option<String>,
    pub created_at: i64,
}

/// Records a payment; returns false when this `(provider, reference)` was already recorded.
pub async fn record(tx: &mut TenantTx, new: &NewPayment<'_>) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let inserted = sqlx::query(
        "INSERT INTO payments (id, org_id, invoice_id, amount_cents, method, provider, reference, recorded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (org_id, provider, reference) DO NOTHING",
    )
    .bind(new_id().to_string())
    .bind(&org)
    .bind(new.invoice_id)
    .bind(new.amount_cents)
    .bind(new.method)
    .bind(new.provider)
    .bind(new.reference)
    .bind(new.recorded_by.map(|u| u.to_string()))
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The invoice's payments, oldest first.
pub async fn for_invoice(tx: &mut TenantTx, invoice_id: &str) -> Result<Vec<PaymentRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, invoice_id, amount_cents, method, provider, reference, recorded_by, created_at FROM payments
         WHERE org_id = $1 AND invoice_id = $2 ORDER BY created_at, id",
    )
    .bind(&org)
    .bind(invoice_id)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PaymentRow {
                id: text(row, "id")?,
                invoice_id: text(row, "invoice_id")?,
                amount_cents: int(row, "amount_cents")?,
                method: text(row, "method")?,
                provider: text(row, "provider")?,
                reference: text(row, "reference")?,
                recorded_by: opt_text(row, "recorded_by")?,
                created_at: int(row, "created_at")?,
            })
        })
        .collect()
}

/// What has been paid against the invoice so far.
pub async fn paid_cents(tx: &mut TenantTx, invoice_id: &str) -> Result<i64, StoreError> {
    Ok(for_invoice(tx, invoice_id).await?.iter().map(|p| p.amount_cents).sum())
}
