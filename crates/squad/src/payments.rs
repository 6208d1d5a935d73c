//! The payments interface: where an invoice's pay link comes from and how a payment is booked
//! against it.
//!
//! Until Stripe is connected the provider is [`HostedPayPage`]: a link to Opsquad's own pay page
//! (`/pay/{token}`), which shows the itemised invoice. The token is 256 random bits and the
//! database keeps only its SHA-256, by which the page finds the invoice before the tenant is
//! known. A link is minted when the message carrying it is delivered (the stored message holds a
//! placeholder) or when a person asks for one to share, and it expires.

use async_trait::async_trait;
use domain::billing::InvoiceStatus;
use domain::pipeline::{Stage, WaitingOn};
use domain::{LeadId, MessageId};
use store::invoices::{self, InvoiceRow, LockedInvoice};
use store::leads::{self, NewMessage};
use store::payments::{self, NewPayment};
use store::{pay_links, StoreError, TenantTx};

pub use crate::link_tokens::{looks_like_token, token_hash};
use crate::link_tokens::{new_token, PublicUrl};
use crate::tools::invoice::format_money;

/// A freshly minted pay link: shown once, to whoever it was minted for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssuedLink {
    pub url: String,
    pub expires_at: i64,
}

#[async_trait]
pub trait PaymentLinks: Send + Sync + std::fmt::Debug {
    fn provider(&self) -> &'static str;

    /// A new link where the customer pays this invoice, minted for the outbound `message` that
    /// carries it (replacing the link an earlier attempt to deliver it minted), or for a person
    /// to share when `message` is `None`. Runs in the caller's transaction.
    async fn mint(
        &self,
        tx: &mut TenantTx,
        invoice_id: &str,
        message: Option<MessageId>,
    ) -> Result<IssuedLink, StoreError>;
}

/// How long a pay link works unless configured otherwise.
pub const DEFAULT_PAY_LINK_DAYS: u32 = 30;

/// Opsquad's own pay page.
#[derive(Debug, Clone)]
pub struct HostedPayPage {
    public_url: PublicUrl,
    lifetime_ms: i64,
}

impl HostedPayPage {
    pub fn new(public_url: PublicUrl, lifetime_days: u32) -> Self {
        Self { public_url, lifetime_ms: i64::from(lifetime_days) * 86_400_000 }
    }
}

#[async_trait]
impl PaymentLinks for HostedPayPage {
    fn provider(&self) -> &'static str {
        "hosted"
    }

    async fn mint(
        &self,
        tx: &mut TenantTx,
        invoice_id: &str,
        message: Option<MessageId>,
    ) -> Result<IssuedLink, StoreError> {
        let token = new_token();
        let expires_at = store::now_ms() + self.lifetime_ms;
        pay_links::issue(tx, invoice_id, message, &token_hash(&token), expires_at).await?;
        Ok(IssuedLink { url: self.public_url.link("pay", &token), expires_at })
    }
}

/// How long after its payment a pay link still shows the paid invoice (the customer's receipt).
pub const RECEIPT_GRACE_MS: i64 = 24 * 3_600_000;

/// Whether a pay link expiring at `expires_at` still opens `invoice` at `now`: while the invoice
/// takes payments, and for [`RECEIPT_GRACE_MS`] after it was paid.
pub fn link_opens(expires_at: i64, invoice: &InvoiceRow, now: i64) -> bool {
    now < expires_at
        && match invoice.status {
            InvoiceStatus::Sent => true,
            InvoiceStatus::Paid => invoice.paid_at.is_some_and(|paid| now < paid + RECEIPT_GRACE_MS),
            InvoiceStatus::Draft | InvoiceStatus::Void => false,
        }
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("invoice {number} is {status}, so it cannot take a payment")]
    NotPayable { number: String, status: InvoiceStatus },
    #[error("the amount must be between 1 cent and the balance due, {balance}")]
    BadAmount { balance: String },
    #[error("the reference {reference} is already recorded on another invoice")]
    ReferenceUsed { reference: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentOutcome {
    /// False when this payment's reference was already recorded (a replay).
    pub recorded: bool,
    pub paid_cents: i64,
    pub balance_cents: i64,
    /// True when this payment settled the invoice.
    pub settled: bool,
}

/// Books a payment against a sent invoice, in the caller's transaction and under the invoice's
/// lock, so concurrent payments are counted one after the other. The payment that settles the
/// invoice marks it paid, moves the lead to `paid` and sends the customer a receipt. A replay of
/// an already-recorded reference changes nothing; the same reference on another invoice is refused.
pub async fn record_payment(
    tx: &mut TenantTx,
    invoice: &LockedInvoice,
    payment: &NewPayment<'_>,
) -> Result<PaymentOutcome, PaymentError> {
    let earlier = payments::for_invoice(tx, &invoice.id).await?;
    let paid_before: i64 = earlier.iter().map(|p| p.amount_cents).sum();
    let balance = invoice.total_cents - paid_before;
    let money = |cents: i64| format_money(cents, &invoice.currency);
    if earlier.iter().any(|p| p.provider == payment.provider && p.reference == payment.reference) {
        return Ok(PaymentOutcome { recorded: false, paid_cents: paid_before, balance_cents: balance, settled: false });
    }
    if invoice.status != InvoiceStatus::Sent {
        return Err(PaymentError::NotPayable { number: invoice.number.clone(), status: invoice.status });
    }
    if payment.amount_cents < 1 || payment.amount_cents > balance {
        return Err(PaymentError::BadAmount { balance: money(balance) });
    }
    if !payments::record(tx, payment).await? {
        return Err(PaymentError::ReferenceUsed { reference: payment.reference.to_owned() });
    }
    let paid = paid_before + payment.amount_cents;
    let settled = paid >= invoice.total_cents && invoices::mark_paid(tx, &invoice.id).await?;
    if settled {
        let lead_id = LeadId::parse(&invoice.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(lead) = leads::get(tx, lead_id).await? {
            leads::set_stage(tx, lead.id, Stage::Paid, WaitingOn::None).await?;
            let body = format!(
                "Thank you! We received your payment of {} for invoice {}. It is now paid in full.",
                money(invoice.total_cents),
                invoice.number
            );
            leads::insert_message(tx, &NewMessage::from_agent(lead.id, lead.channel, body)).await?;
        }
    }
    Ok(PaymentOutcome { recorded: true, paid_cents: paid, balance_cents: invoice.total_cents - paid, settled })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(status: InvoiceStatus, paid_at: Option<i64>) -> InvoiceRow {
        InvoiceRow {
            id: "inv".into(),
            lead_id: "lead".into(),
            appointment_id: None,
            number: "INV-00001".into(),
            status,
            currency: "USD".into(),
            subtotal_cents: 100,
            discount_cents: 0,
            tax_cents: 0,
            total_cents: 100,
            due_at: None,
            sent_at: Some(0),
            paid_at,
            created_at: 0,
            lines: Vec::new(),
        }
    }

    #[test]
    fn a_link_opens_a_payable_invoice_until_it_expires_and_a_paid_one_for_a_day() {
        let (now, expires) = (1_000_000_000, 2_000_000_000);
        assert!(link_opens(expires, &invoice(InvoiceStatus::Sent, None), now));
        assert!(!link_opens(now, &invoice(InvoiceStatus::Sent, None), now), "expired");
        assert!(!link_opens(expires, &invoice(InvoiceStatus::Draft, None), now), "never sent");
        let paid_just_now = invoice(InvoiceStatus::Paid, Some(now - 1));
        assert!(link_opens(expires, &paid_just_now, now), "the receipt");
        let paid_yesterday = invoice(InvoiceStatus::Paid, Some(now - RECEIPT_GRACE_MS));
        assert!(!link_opens(expires, &paid_yesterday, now));
    }
}
