//! Read-only facts for the owner's usage and cost page: per lead, when it came in, how fast it
//! got an answer, how far it went and what the squad spent on it.

use domain::billing::InvoiceStatus;
use domain::pipeline::{Channel, Stage};
use domain::schedule::AppointmentStatus;

use crate::rows::{int, opt_int, stored};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadFacts {
    pub created_at: i64,
    /// Where the inquiry came from.
    pub channel: Channel,
    pub first_response_at: Option<i64>,
    pub stage: Stage,
    pub score: Option<i64>,
    /// Appointments that were not cancelled.
    pub appointments: i64,
    /// Invoices sent or paid (not drafts or voided ones).
    pub invoices: i64,
    pub paid_invoices: i64,
    /// Model spend over all the lead's runs, in micro-dollars.
    pub cost_micros: i64,
}

/// Every lead created at or after `since_ms`, oldest first.
pub async fn leads_since(tx: &mut TenantTx, since_ms: i64) -> Result<Vec<LeadFacts>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT l.id, l.created_at, l.channel, l.first_response_at, l.stage, l.score,
            (SELECT COUNT(*) FROM appointments a
              WHERE a.org_id = l.org_id AND a.lead_id = l.id AND a.status <> $3) AS appointments,
            (SELECT COUNT(*) FROM invoices i
              WHERE i.org_id = l.org_id AND i.lead_id = l.id AND i.status IN ($4, $5)) AS invoices,
            (SELECT COUNT(*) FROM invoices i
              WHERE i.org_id = l.org_id AND i.lead_id = l.id AND i.status = $5) AS paid_invoices,
            (SELECT CAST(COALESCE(SUM(r.cost_micros), 0) AS BIGINT) FROM agent_runs r
              WHERE r.org_id = l.org_id AND r.lead_id = l.id) AS cost_micros
         FROM leads l
         WHERE l.org_id = $1 AND l.created_at >= $2
         ORDER BY l.created_at, l.id",
    )
    .bind(&org)
    .bind(since_ms)
    .bind(AppointmentStatus::Cancelled.as_str())
    .bind(InvoiceStatus::Sent.as_str())
    .bind(InvoiceStatus::Paid.as_str())
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(LeadFacts {
                created_at: int(row, "created_at")?,
                channel: stored(row, "channel", Channel::parse)?,
                first_response_at: opt_int(row, "first_response_at")?,
                stage: stored(row, "stage", Stage::parse)?,
                score: opt_int(row, "score")?,
                appointments: int(row, "appointments")?,
                invoices: int(row, "invoices")?,
                paid_invoices: int(row, "paid_invoices")?,
                cost_micros: int(row, "cost_micros")?,
            })
        })
        .collect()
}

/// Model spend from `first_day` (UTC `YYYY-MM-DD`, inclusive) on, in micro-dollars.
pub async fn spent_since(tx: &mut TenantTx, first_day: &str) -> Result<i64, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS spent FROM usage WHERE org_id = $1 AND day >= $2",
    )
    .bind(&org)
    .bind(first_day)
    .fetch_one(tx.conn())
    .await?;
    int(&row, "spent")
}

/// Money customers paid since `since_ms` (test-mode payments left out), in the shop's cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Collected {
    pub total_cents: i64,
    /// Of it, by card through the shop's Stripe account.
    pub card_cents: i64,
    /// Given back since, as Stripe reported refunds of those card payments.
    pub refunded_cents: i64,
}

pub async fn collected_since(tx: &mut TenantTx, since_ms: i64) -> Result<Collected, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT) AS total,
                CAST(COALESCE(SUM(CASE WHEN p.provider = 'stripe' THEN p.amount_cents ELSE 0 END), 0) AS BIGINT) AS card,
                CAST(COALESCE(SUM(s.refunded_cents), 0) AS BIGINT) AS refunded
         FROM payments p
         LEFT JOIN stripe_payments s
           ON s.org_id = p.org_id AND p.provider = 'stripe' AND s.payment_intent = p.reference
         WHERE p.org_id = $1 AND p.created_at >= $2 AND p.method <> 'test'",
    )
    .bind(&org)
    .bind(since_ms)
    .fetch_one(tx.conn())
    .await?;
    Ok(Collected {
        total_cents: int(&row, "total")?,
        card_cents: int(&row, "card")?,
        refunded_cents: int(&row, "refunded")?,
    })
}
