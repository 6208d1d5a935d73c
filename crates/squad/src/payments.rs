//! The payments interface: where an invoice's pay link comes from and how a payment is booked
//! against it.
//!
//! Until Stripe is connected the provider is [`HostedPayPage`]: a link to Opsquad's own pay page
//! (`/pay/{token}`), which shows the itemised invoice. The token is 256 random bits; the database
//! keeps the link (so reminders can resend it) and the token's SHA-256, by which the page finds
//! the invoice before the tenant is known.

use async_trait::async_trait;
use domain::billing::InvoiceStatus;
use domain::pipeline::{Stage, WaitingOn};
use domain::LeadId;
use store::invoices::{self, InvoiceRow, LockedInvoice};
use store::leads::{self, NewMessage};
use store::payments::{self, NewPayment};
use store::{StoreError, TenantTx};

use crate::tools::invoice::format_money;

#[async_trait]
pub trait PaymentLinks: Send + Sync {
    fn provider(&self) -> &'static str;

    /// The link where the customer pays this invoice, created once and reused after that. Runs in
    /// the tool's transaction.
    async fn link(&self, tx: &mut TenantTx, invoice: &InvoiceRow) -> Result<String, StoreError>;
}

/// Opsquad's own pay page.
#[derive(Debug, Clone)]
pub struct HostedPayPage {
    public_url: PublicUrl,
}

impl HostedPayPage {
    pub fn new(public_url: PublicUrl) -> Self {
        Self { public_url }
    }
}

use crate::link_tokens::PublicUrl;
pub use crate::link_tokens::{looks_like_token, token_hash};

#[async_trait]
impl PaymentLinks for HostedPayPage {
    fn provider(&self) -> &'static str {
        "hosted"
    }

    async fn link(&self, tx: &mut TenantTx, invoice: &InvoiceRow) -> Result<String, StoreError> {
        if let Some(url) = &invoice.payment_url {
            return Ok(url.clone());
        }
        let token = crate::link_tokens::new_token();
        let url = self.public_url.link("pay", &token);
        invoices::set_pay_link(tx, &invoice.id, &url, &token_hash(&token)).await?;
        Ok(url)
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
