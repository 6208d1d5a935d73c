//! What Opsquad keeps of each shop's Stripe: the connected account (an `integrations` row with the
//! account id as its label and no credentials: calls are made with the platform's key on behalf
//! of the account), the Checkout Sessions made for invoices, and what Stripe's events said about
//! each payment, merged so that the order they came in does not matter.

use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{new_id, now_ms, Db, StoreError, TenantScope, TenantTx};

pub const PROVIDER: &str = "stripe";

/// The org's Stripe account id and whether the connection works (`connected`) or was ended from
/// Stripe's side (`error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub account_id: String,
    pub status: String,
    pub livemode: bool,
}

impl Account {
    pub fn usable(&self) -> bool {
        self.status == "connected"
    }
}

/// The org's Stripe connection, if it has one.
pub async fn account(tx: &mut TenantTx) -> Result<Option<Account>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT account_label, status, config FROM integrations
         WHERE org_id = $1 AND provider = 'stripe' AND status <> 'disconnected'",
    )
    .bind(&org)
    .fetch_optional(tx.conn())
    .await?;
    row.map(|row| {
        let config: serde_json::Value = serde_json::from_str(&text(&row, "config")?).unwrap_or_default();
        Ok(Account {
            account_id: opt_text(&row, "account_label")?.unwrap_or_default(),
            status: text(&row, "status")?,
            livemode: config.get("livemode").and_then(serde_json::Value::as_bool).unwrap_or(false),
        })
    })
    .transpose()
}

/// Connects `account_id` as the org's Stripe account, replacing any it had.
pub async fn put_account(tx: &mut TenantTx, account_id: &str, livemode: bool) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query("DELETE FROM integrations WHERE org_id = $1 AND provider = 'stripe'")
        .bind(&org)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "INSERT INTO integrations (id, org_id, provider, status, account_label, config, created_at, updated_at, checked_at)
         VALUES ($1, $2, 'stripe', 'connected', $3, $4, $5, $5, $5)",
    )
    .bind(new_id().to_string())
    .bind(&org)
    .bind(account_id)
    .bind(serde_json::json!({ "livemode": livemode }).to_string())
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Forgets the org's Stripe connection; whether there was one.
pub async fn delete_account(tx: &mut TenantTx) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM integrations WHERE org_id = $1 AND provider = 'stripe'")
        .bind(&org)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The org that connected Stripe account `account_id`, found before any tenant is known (a
/// webhook names only the account). At most one org holds an account: a second org connecting
/// the same account takes it over only after the first lets go, see [`account_taken`].
pub async fn org_of_account(db: &Db, account_id: &str) -> Result<Option<TenantScope>, StoreError> {
    let mut tx = db.begin_door("app.stripe_account_lookup").await?;
    let rows = sqlx::query(
        "SELECT org_id FROM integrations WHERE provider = 'stripe' AND account_label = $1 ORDER BY created_at LIMIT 1",
    )
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.first()
        .map(|row| {
            let org = domain::OrgId::parse(&text(row, "org_id")?).map_err(StoreError::corrupt)?;
            Ok(TenantScope::from_verified_credential(org, None, domain::Role::Staff))
        })
        .transpose()
}

/// Whether another org already connected `account_id`.
pub async fn account_taken(db: &Db, scope: &TenantScope, account_id: &str) -> Result<bool, StoreError> {
    Ok(org_of_account(db, account_id).await?.is_some_and(|other| other.org_id() != scope.org_id()))
}

/// A Checkout Session made for an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRow {
    pub id: String,
    pub invoice_id: String,
    pub amount_cents: i64,
    pub currency: String,
    /// `open`, `complete` or `expired`.
    pub status: String,
    pub url: Option<String>,
    pub payment_intent: Option<String>,
    pub attempt: i64,
    pub expires_at: i64,
}

fn checkout_from(row: &AnyRow) -> Result<CheckoutRow, StoreError> {
    Ok(CheckoutRow {
        id: text(row, "id")?,
        invoice_id: text(row, "invoice_id")?,
        amount_cents: int(row, "amount_cents")?,
        currency: text(row, "currency")?,
        status: text(row, "status")?,
        url: opt_text(row, "url")?,
        payment_intent: opt_text(row, "payment_intent")?,
        attempt: int(row, "attempt")?,
        expires_at: int(row, "expires_at")?,
    })
}

const CHECKOUT_COLUMNS: &str =
    "id, invoice_id, amount_cents, currency, status, url, payment_intent, attempt, expires_at";

/// Keeps a session Stripe made (a retry that got the same session back changes nothing).
pub async fn keep_checkout(tx: &mut TenantTx, checkout: &CheckoutRow) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO stripe_checkouts (id, org_id, invoice_id, amount_cents, currency, status, url, payment_intent,
                                       attempt, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
         ON CONFLICT (org_id, id) DO NOTHING",
    )
    .bind(&checkout.id)
    .bind(&org)
    .bind(&checkout.invoice_id)
    .bind(checkout.amount_cents)
    .bind(&checkout.currency)
    .bind(&checkout.status)
    .bind(&checkout.url)
    .bind(&checkout.payment_intent)
    .bind(checkout.attempt)
    .bind(checkout.expires_at)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The invoice's sessions, newest first.
pub async fn checkouts_for_invoice(tx: &mut TenantTx, invoice_id: &str) -> Result<Vec<CheckoutRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!(
        "SELECT {CHECKOUT_COLUMNS} FROM stripe_checkouts WHERE org_id = $1 AND invoice_id = $2
         ORDER BY created_at DESC, attempt DESC"
    ))
    .bind(&org)
    .bind(invoice_id)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(checkout_from).collect()
}

/// Sessions still open as far as Opsquad knows, on invoices that still take payment: what
/// reconciliation asks Stripe about.
pub async fn open_checkouts(tx: &mut TenantTx) -> Result<Vec<CheckoutRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!(
        "SELECT {CHECKOUT_COLUMNS} FROM stripe_checkouts c
         WHERE c.org_id = $1 AND c.status = 'open'
           AND EXISTS (SELECT 1 FROM invoices i WHERE i.org_id = c.org_id AND i.id = c.invoice_id AND i.status = 'sent')
         ORDER BY c.created_at"
    ))
    .bind(&org)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(checkout_from).collect()
}

/// Records where a session stands (only ever forward: an expired or complete one stays so).
pub async fn set_checkout_state(
    tx: &mut TenantTx,
    id: &str,
    status: &str,
    payment_intent: Option<&str>,
) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE stripe_checkouts SET status = $3, payment_intent = COALESCE($4, payment_intent), updated_at = $5
         WHERE org_id = $1 AND id = $2 AND status = 'open'",
    )
    .bind(&org)
    .bind(id)
    .bind(status)
    .bind(payment_intent)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What Stripe has said about one payment, and what the squad did about it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFacts {
    pub payment_intent: String,
    pub invoice_id: Option<String>,
    pub checkout_id: Option<String>,
    pub amount_cents: i64,
    pub currency: Option<String>,
    pub refunded_cents: i64,
    pub dispute_id: Option<String>,
    pub dispute_status: Option<String>,
    pub dispute_cents: i64,
    pub booked_at: Option<i64>,
    pub told_refunded_cents: i64,
    pub told_dispute_status: Option<String>,
    pub problem: Option<String>,
}

fn facts_from(row: &AnyRow) -> Result<PaymentFacts, StoreError> {
    Ok(PaymentFacts {
        payment_intent: text(row, "payment_intent")?,
        invoice_id: opt_text(row, "invoice_id")?,
        checkout_id: opt_text(row, "checkout_id")?,
        amount_cents: int(row, "amount_cents")?,
        currency: opt_text(row, "currency")?,
        refunded_cents: int(row, "refunded_cents")?,
        dispute_id: opt_text(row, "dispute_id")?,
        dispute_status: opt_text(row, "dispute_status")?,
        dispute_cents: int(row, "dispute_cents")?,
        booked_at: opt_int(row, "booked_at")?,
        told_refunded_cents: int(row, "told_refunded_cents")?,
        told_dispute_status: opt_text(row, "told_dispute_status")?,
        problem: opt_text(row, "problem")?,
    })
}

const FACT_COLUMNS: &str =
    "payment_intent, invoice_id, checkout_id, amount_cents, currency, refunded_cents, dispute_id,
     dispute_status, dispute_cents, booked_at, told_refunded_cents, told_dispute_status, problem";

/// A fact to merge into a payment's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge<'a> {
    Paid {
        amount_cents: i64,
        currency: &'a str,
        invoice_id: Option<&'a str>,
        checkout_id: Option<&'a str>,
    },
    Refunded {
        refunded_cents: i64,
    },
    /// `at`: when Stripe says it happened (seconds), so an older dispute event never undoes a newer.
    Disputed {
        dispute_id: &'a str,
        status: &'a str,
        amount_cents: i64,
        at: i64,
    },
}

/// Merges `fact` into what is known of `payment_intent` and returns the result. The invoice is
/// taken only if it is one of the org's.
pub async fn merge(tx: &mut TenantTx, payment_intent: &str, fact: &Merge<'_>) -> Result<PaymentFacts, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO stripe_payments (org_id, payment_intent, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, payment_intent) DO NOTHING",
    )
    .bind(&org)
    .bind(payment_intent)
    .bind(now)
    .execute(tx.conn())
    .await?;
    let update = match fact {
        Merge::Paid { amount_cents, currency, invoice_id, checkout_id } => sqlx::query(
            "UPDATE stripe_payments SET
                 amount_cents = CASE WHEN amount_cents > $3 THEN amount_cents ELSE $3 END,
                 currency = COALESCE(currency, $4),
                 invoice_id = COALESCE(invoice_id, (SELECT id FROM invoices WHERE org_id = $1 AND id = $5)),
                 checkout_id = COALESCE(checkout_id, $6),
                 updated_at = $7
             WHERE org_id = $1 AND payment_intent = $2",
        )
        .bind(&org)
        .bind(payment_intent)
        .bind(*amount_cents)
        .bind(*currency)
        .bind(*invoice_id)
        .bind(*checkout_id)
        .bind(now),
        Merge::Refunded { refunded_cents } => sqlx::query(
            "UPDATE stripe_payments SET
                 refunded_cents = CASE WHEN refunded_cents > $3 THEN refunded_cents ELSE $3 END, updated_at = $4
             WHERE org_id = $1 AND payment_intent = $2",
        )
        .bind(&org)
        .bind(payment_intent)
        .bind(*refunded_cents)
        .bind(now),
        Merge::Disputed { dispute_id, status, amount_cents, at } => sqlx::query(
            "UPDATE stripe_payments SET dispute_id = $3, dispute_status = $4, dispute_cents = $5, dispute_at = $6,
                 updated_at = $7
             WHERE org_id = $1 AND payment_intent = $2 AND (dispute_at IS NULL OR dispute_at <= $6)",
        )
        .bind(&org)
        .bind(payment_intent)
        .bind(*dispute_id)
        .bind(*status)
        .bind(*amount_cents)
        .bind(*at)
        .bind(now),
    };
    update.execute(tx.conn()).await?;
    facts(tx, payment_intent).await?.ok_or_else(|| StoreError::corrupt("a merged Stripe payment vanished"))
}

pub async fn facts(tx: &mut TenantTx, payment_intent: &str) -> Result<Option<PaymentFacts>, StoreError> {
    let org = tx.org().to_owned();
    let row =
        sqlx::query(&format!("SELECT {FACT_COLUMNS} FROM stripe_payments WHERE org_id = $1 AND payment_intent = $2"))
            .bind(&org)
            .bind(payment_intent)
            .fetch_optional(tx.conn())
            .await?;
    row.as_ref().map(facts_from).transpose()
}

/// Every Stripe payment recorded against the invoice.
pub async fn facts_for_invoice(tx: &mut TenantTx, invoice_id: &str) -> Result<Vec<PaymentFacts>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!(
        "SELECT {FACT_COLUMNS} FROM stripe_payments WHERE org_id = $1 AND invoice_id = $2 ORDER BY updated_at"
    ))
    .bind(&org)
    .bind(invoice_id)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(facts_from).collect()
}

/// What the squad has now done about a payment: booked it, told of refunds up to an amount, told
/// of a dispute's status, or found a problem it could not settle.
#[derive(Debug, Clone, Default)]
pub struct Done<'a> {
    pub booked: bool,
    pub told_refunded_cents: Option<i64>,
    pub told_dispute_status: Option<&'a str>,
    pub problem: Option<&'a str>,
}

pub async fn mark(tx: &mut TenantTx, payment_intent: &str, done: &Done<'_>) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "UPDATE stripe_payments SET
             booked_at = CASE WHEN $3 = 1 THEN COALESCE(booked_at, $7) ELSE booked_at END,
             told_refunded_cents = COALESCE($4, told_refunded_cents),
             told_dispute_status = COALESCE($5, told_dispute_status),
             problem = COALESCE($6, problem),
             updated_at = $7
         WHERE org_id = $1 AND payment_intent = $2",
    )
    .bind(&org)
    .bind(payment_intent)
    .bind(i64::from(done.booked))
    .bind(done.told_refunded_cents)
    .bind(done.told_dispute_status)
    .bind(done.problem)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Stores a webhook event once: false when this event id was already stored (a replay).
pub async fn receive_event(tx: &mut TenantTx, event_id: &str, payload: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "INSERT INTO inbound_events (org_id, provider, event_id, payload, received_at) VALUES ($1, 'stripe', $2, $3, $4)
         ON CONFLICT (org_id, provider, event_id) DO NOTHING",
    )
    .bind(&org)
    .bind(event_id)
    .bind(payload)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A stored event's payload and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub payload: String,
    pub processed_at: Option<i64>,
    pub outcome: Option<String>,
}

pub async fn event(tx: &mut TenantTx, event_id: &str) -> Result<Option<StoredEvent>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT payload, processed_at, outcome FROM inbound_events
         WHERE org_id = $1 AND provider = 'stripe' AND event_id = $2",
    )
    .bind(&org)
    .bind(event_id)
    .fetch_optional(tx.conn())
    .await?;
    row.map(|row| {
        Ok(StoredEvent {
            payload: text(&row, "payload")?,
            processed_at: opt_int(&row, "processed_at")?,
            outcome: opt_text(&row, "outcome")?,
        })
    })
    .transpose()
}

pub async fn event_processed(tx: &mut TenantTx, event_id: &str, outcome: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE inbound_events SET processed_at = $3, outcome = $4
         WHERE org_id = $1 AND provider = 'stripe' AND event_id = $2",
    )
    .bind(&org)
    .bind(event_id)
    .bind(now_ms())
    .bind(outcome)
    .execute(tx.conn())
    .await?;
    Ok(())
}
