//! Card payments through the shop's own Stripe account.
//!
//! The owner connects their Stripe account (Connect OAuth, Standard account); from then on an
//! invoice's pay page offers "Pay by card", which opens a Checkout Session made on that account
//! for exactly the invoice's balance. Stripe's webhooks are stored once each and processed by a
//! job: each event becomes a fact about one payment, merged into what is known of it, and what
//! the facts now say is settled on the invoice (booked once, refunds and disputes told once), so
//! the order and number of deliveries never change the outcome. Reconciliation asks Stripe about
//! every session still open and settles what a lost webhook left behind.

use ::integrations::stripe::{Checkout, CheckoutState, Event, Fact, NewCheckout, Stripe, StripeError};
use domain::billing::InvoiceStatus;
use domain::jobs::{Job, ReconcileStripe, StripeEvent};
use domain::LeadId;
use serde_json::json;
use squad::link_tokens::PublicUrl;
use squad::payments::{record_payment, PaymentError};
use store::jobs::{self, NewJob};
use store::pay_links::PayLink;
use store::payments::NewPayment;
use store::stripe::{self as kept, CheckoutRow, Done, Merge, PaymentFacts};
use store::{audit, customers, escalations, integrations, invoices, leads, orgs, payments, Db, TenantScope, TenantTx};

use crate::integrations::corrupt;
use crate::permissions::{require, Operation};
use crate::OpsError;

/// How often reconciliation asks Stripe about open sessions.
pub const RECONCILE_EVERY_MS: i64 = 15 * 60 * 1000;
/// An open session this close to expiring is not handed to a customer.
const FRESH_FOR_MS: i64 = 15 * 60 * 1000;

fn refused(err: &StripeError) -> OpsError {
    OpsError::validation("stripe", format!("Stripe: {err}."))
}

async fn queue_reconcile(tx: &mut TenantTx, after_ms: i64) -> Result<(), store::StoreError> {
    // One pending reconciliation per org: a second start (connecting again, housekeeping) adds none.
    if jobs::is_queued(tx, "reconcile_stripe").await? {
        return Ok(());
    }
    let at = store::now_ms() + after_ms;
    jobs::enqueue(
        tx,
        &NewJob {
            job: Job::ReconcileStripe(ReconcileStripe {}),
            run_at: Some(at),
            max_attempts: 5,
            idempotency_key: format!("stripe-reconcile:{at}"),
        },
    )
    .await?;
    Ok(())
}

/// Finishes connecting: trades the code Stripe sent back for the shop's account id and keeps it.
/// An account another shop already connected is refused, so no shop ever takes payment into
/// another's account.
pub async fn connect(db: &Db, stripe: &Stripe, scope: &TenantScope, code: &str) -> Result<kept::Account, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    if code.is_empty() || code.len() > 512 {
        return Err(OpsError::validation("code", "Stripe sent back no usable code; try connecting again."));
    }
    let account = stripe.exchange(code).await.map_err(|e| refused(&e))?;
    if kept::account_taken(db, scope, &account.account_id).await? {
        return Err(OpsError::validation(
            "stripe",
            "That Stripe account is already connected to another shop on Opsquad. Each shop connects its own.",
        ));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    kept::put_account(&mut tx, &account.account_id, account.livemode).await?;
    let entry = json!({ "account": account.account_id, "livemode": account.livemode });
    audit::record(&mut tx, "Stripe connected", &entry).await?;
    queue_reconcile(&mut tx, RECONCILE_EVERY_MS).await?;
    let connected = kept::account(&mut tx).await?.ok_or_else(|| corrupt("Stripe vanished"))?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), account = %account.account_id, "Stripe connected");
    Ok(connected)
}

/// Disconnects the shop's Stripe account: Stripe is told to end Opsquad's access, and the
/// connection is forgotten. Pay pages stop offering card payment at once.
pub async fn disconnect(db: &Db, stripe: &Stripe, scope: &TenantScope) -> Result<(), OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let account = kept::account(&mut tx).await?.ok_or(OpsError::NotFound)?;
    tx.commit().await?;
    if let Err(err) = stripe.deauthorize(&account.account_id).await {
        // Already ended on Stripe's side is as good as ended here; anything else is worth a retry.
        if err.is_transient() {
            return Err(OpsError::conflict(format!("Stripe could not be told to disconnect ({err}); try again.")));
        }
        tracing::info!(org_id = %scope.org_id(), error = %err, "Stripe refused the deauthorization; forgetting the account anyway");
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    kept::delete_account(&mut tx).await?;
    audit::record(&mut tx, "Stripe disconnected", &json!({ "account": account.account_id, "by": "owner" })).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the org takes card payments now.
pub async fn takes_cards(tx: &mut TenantTx) -> Result<bool, store::StoreError> {
    Ok(kept::account(tx).await?.is_some_and(|a| a.usable()))
}

/// Why a customer could not be sent to pay by card.
#[derive(Debug, thiserror::Error)]
pub enum CardError {
    /// The invoice takes no card payment now (paid, void, or the shop has no working Stripe).
    #[error("{0}")]
    NotTaking(String),
    #[error(transparent)]
    Stripe(#[from] StripeError),
    #[error(transparent)]
    Ops(#[from] OpsError),
}

impl From<store::StoreError> for CardError {
    fn from(err: store::StoreError) -> Self {
        Self::Ops(err.into())
    }
}

/// Where the customer holding pay link `link` (whose token is `token`) pays its invoice's balance
/// by card: an open session for exactly that balance, or a new one. A new one is asked for with
/// an idempotency key made of the invoice, the amount and the attempt, so a retry (or two clicks
/// at once) gets the same session; sessions for another amount are expired.
pub async fn card_checkout(
    db: &Db,
    stripe: &Stripe,
    site: &PublicUrl,
    link: &PayLink,
    token: &str,
) -> Result<String, CardError> {
    let scope = &link.scope;
    let mut tx = TenantTx::read(db, scope).await?;
    let account = kept::account(&mut tx).await?.filter(kept::Account::usable);
    let invoice = invoices::get(&mut tx, &link.invoice_id).await?.ok_or(OpsError::NotFound)?;
    let paid = payments::paid_cents(&mut tx, &invoice.id).await?;
    let earlier = kept::checkouts_for_invoice(&mut tx, &invoice.id).await?;
    let lead_id = LeadId::parse(&invoice.lead_id).map_err(|e| corrupt(e.to_string()))?;
    let email = match leads::get(&mut tx, lead_id).await? {
        Some(lead) => customers::get(&mut tx, lead.customer_id).await?.and_then(|c| c.email),
        None => None,
    };
    let business = orgs::current(&mut tx).await?.name;
    tx.commit().await?;
    let Some(account) = account else {
        return Err(CardError::NotTaking(format!("{business} does not take card payments online right now.")));
    };
    let balance = invoice.total_cents - paid;
    if invoice.status != InvoiceStatus::Sent || balance <= 0 {
        return Err(CardError::NotTaking(format!("Invoice {} has nothing left to pay.", invoice.number)));
    }
    let now = store::now_ms();
    let reusable = earlier.iter().find(|c| {
        c.status == "open" && c.amount_cents == balance && c.expires_at > now + FRESH_FOR_MS && c.url.is_some()
    });
    if let Some(open) = reusable {
        return Ok(open.url.clone().unwrap_or_default());
    }
    let attempt = i64::try_from(earlier.len()).unwrap_or(i64::MAX) + 1;
    let description = format!("Invoice {} from {business}", invoice.number);
    let pay_page = site.link("pay", token);
    let new = NewCheckout {
        invoice_id: &invoice.id,
        description: &description,
        amount_cents: balance,
        currency: &invoice.currency,
        customer_email: email.as_deref(),
        success_url: &format!("{pay_page}?card=done"),
        cancel_url: &pay_page,
    };
    let key = format!("opsquad-checkout:{}:{balance}:{attempt}", invoice.id);
    let checkout = stripe.create_checkout(&account.account_id, &new, &key).await?;
    let url = checkout.url.clone().ok_or_else(|| StripeError::Unreadable("the session has no page".into()))?;
    let mut tx = TenantTx::begin(db, scope).await?;
    kept::keep_checkout(&mut tx, &row_of(&checkout, &invoice.id, attempt)).await?;
    audit::record(
        &mut tx,
        &format!("card payment started for invoice {}", invoice.number),
        &json!({ "invoice_id": invoice.id, "checkout": checkout.id, "amount_cents": balance }),
    )
    .await?;
    tx.commit().await?;
    // Sessions for an amount no longer owed must not take money.
    for stale in earlier.iter().filter(|c| c.status == "open" && c.id != checkout.id) {
        match stripe.expire_checkout(&account.account_id, &stale.id).await {
            Ok(after) => {
                let mut tx = TenantTx::begin(db, scope).await?;
                kept::set_checkout_state(&mut tx, &stale.id, after.state.as_str(), after.payment_intent.as_deref())
                    .await?;
                tx.commit().await?;
            }
            // Reconciliation asks again.
            Err(err) => {
                tracing::warn!(org_id = %scope.org_id(), checkout = %stale.id, error = %err, "could not expire an old Checkout Session")
            }
        }
    }
    Ok(url)
}

fn row_of(checkout: &Checkout, invoice_id: &str, attempt: i64) -> CheckoutRow {
    CheckoutRow {
        id: checkout.id.clone(),
        invoice_id: invoice_id.to_owned(),
        amount_cents: checkout.amount_cents,
        currency: checkout.currency.clone(),
        status: checkout.state.as_str().to_owned(),
        url: checkout.url.clone(),
        payment_intent: checkout.payment_intent.clone(),
        attempt,
        expires_at: checkout.expires_at,
    }
}

/// What became of a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored and queued for processing.
    Queued,
    /// This event was already stored: acknowledged and ignored.
    Replay,
    /// No shop here connected the account the event names: acknowledged and ignored.
    UnknownAccount,
}

/// Stores a verified event once, under the org that connected its account, and queues its
/// processing in the same transaction.
pub async fn receive(db: &Db, event: &Event, payload: &str) -> Result<Received, OpsError> {
    let Some(account) = event.account.as_deref() else { return Ok(Received::UnknownAccount) };
    let Some(scope) = kept::org_of_account(db, account).await? else { return Ok(Received::UnknownAccount) };
    let mut tx = TenantTx::begin(db, &scope).await?;
    if !kept::receive_event(&mut tx, &event.id, payload).await? {
        return Ok(Received::Replay);
    }
    let job = NewJob {
        job: Job::StripeEvent(StripeEvent { event_id: event.id.clone() }),
        run_at: None,
        max_attempts: 10,
        idempotency_key: format!("stripe-event:{}", event.id),
    };
    jobs::enqueue(&mut tx, &job).await?;
    tx.commit().await?;
    Ok(Received::Queued)
}

/// Processes a stored event (the job): what it says is merged into the payment's facts, and the
/// facts are settled on the invoice. Processing an event twice changes nothing the second time.
pub async fn process(db: &Db, scope: &TenantScope, event_id: &str) -> Result<String, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(stored) = kept::event(&mut tx, event_id).await? else {
        return Ok("the event is gone".into());
    };
    if let Some(outcome) = stored.outcome.filter(|_| stored.processed_at.is_some()) {
        return Ok(outcome);
    }
    let event: Event =
        serde_json::from_str(&stored.payload).map_err(|e| corrupt(format!("stored Stripe event {event_id}: {e}")))?;
    let outcome = apply(&mut tx, &event.fact(), event.created).await?;
    kept::event_processed(&mut tx, event_id, &outcome).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), event_id, kind = %event.kind, %outcome, "Stripe event processed");
    Ok(outcome)
}

async fn apply(tx: &mut TenantTx, fact: &Fact, at: i64) -> Result<String, OpsError> {
    let facts = match fact {
        Fact::Paid { payment_intent, amount_cents, currency, invoice_id, checkout } => {
            if let Some(checkout) = checkout {
                kept::set_checkout_state(tx, checkout, "complete", Some(payment_intent)).await?;
            }
            let merge = Merge::Paid {
                amount_cents: *amount_cents,
                currency,
                invoice_id: invoice_id.as_deref(),
                checkout_id: checkout.as_deref(),
            };
            kept::merge(tx, payment_intent, &merge).await?
        }
        Fact::CheckoutExpired { checkout } => {
            kept::set_checkout_state(tx, checkout, "expired", None).await?;
            return Ok("checkout expired".into());
        }
        Fact::Refunded { payment_intent, refunded_cents } => {
            kept::merge(tx, payment_intent, &Merge::Refunded { refunded_cents: *refunded_cents }).await?
        }
        Fact::Disputed { payment_intent, dispute, amount_cents, status } => {
            let merge = Merge::Disputed { dispute_id: dispute, status, amount_cents: *amount_cents, at };
            kept::merge(tx, payment_intent, &merge).await?
        }
        Fact::Deauthorized => return deauthorized(tx).await,
        Fact::Other => return Ok("ignored: nothing to act on".into()),
    };
    settle(tx, &facts).await
}

async fn deauthorized(tx: &mut TenantTx) -> Result<String, OpsError> {
    let why = "Stripe says this shop's Stripe account was disconnected from Opsquad, so customers cannot pay \
               by card. Connect Stripe again in Settings.";
    integrations::set_health(tx, kept::PROVIDER, Some(why)).await?;
    audit::record(tx, "Stripe connection ended from Stripe's side", &json!({})).await?;
    Ok("Stripe connection marked broken".into())
}

/// Does what the facts of one payment call for and has not been done: books the payment on its
/// invoice, tells of a refund, raises a dispute to the owner. Each is done once.
async fn settle(tx: &mut TenantTx, facts: &PaymentFacts) -> Result<String, OpsError> {
    let Some(invoice_id) = facts.invoice_id.as_deref() else {
        return Ok("ignored: not a payment for an Opsquad invoice".into());
    };
    let Some(invoice) = invoices::lock(tx, invoice_id).await? else {
        return Ok("ignored: the invoice is gone".into());
    };
    let lead_id = LeadId::parse(&invoice.lead_id).map_err(|e| corrupt(e.to_string()))?;
    let money = |cents: i64| squad::tools::invoice::format_money(cents, &invoice.currency);
    let pi = facts.payment_intent.as_str();
    let mut said = Vec::new();
    let mut booked = facts.booked_at.is_some();

    if facts.amount_cents > 0 && facts.booked_at.is_none() && facts.problem.is_none() {
        let currency = facts.currency.as_deref().unwrap_or_default();
        let payment = NewPayment {
            invoice_id: &invoice.id,
            amount_cents: facts.amount_cents,
            method: "card",
            provider: "stripe",
            reference: pi,
            recorded_by: None,
        };
        let outcome = if currency.eq_ignore_ascii_case(&invoice.currency) {
            record_payment(tx, &invoice, &payment).await
        } else {
            Err(PaymentError::BadAmount { balance: format!("a payment in {currency}, not {}", invoice.currency) })
        };
        match outcome {
            Ok(outcome) => {
                kept::mark(tx, pi, &Done { booked: true, ..Done::default() }).await?;
                booked = true;
                let entry = json!({
                    "invoice_id": invoice.id, "number": invoice.number, "amount_cents": facts.amount_cents,
                    "payment_intent": pi, "settled": outcome.settled,
                });
                audit::record(
                    tx,
                    &format!("card payment received through Stripe on invoice {}", invoice.number),
                    &entry,
                )
                .await?;
                said.push(if outcome.settled { "payment booked, invoice paid" } else { "payment booked" });
            }
            Err(PaymentError::Store(e)) => return Err(e.into()),
            Err(err) => {
                // The money is in the shop's Stripe account whatever the invoice says: the owner decides.
                let problem = format!(
                    "Stripe took {} by card for invoice {} ({pi}), but it could not be booked: {err}. Check the payment \
                     in your Stripe dashboard and refund it there if the customer paid twice.",
                    money(facts.amount_cents),
                    invoice.number
                );
                kept::mark(tx, pi, &Done { problem: Some(&problem), ..Done::default() }).await?;
                raise(tx, lead_id, "payment_problem", &problem, pi).await?;
                said.push("payment could not be booked; owner asked");
            }
        }
    }

    if booked && facts.refunded_cents > facts.told_refunded_cents {
        let entry = json!({
            "invoice_id": invoice.id, "number": invoice.number, "payment_intent": pi,
            "refunded_cents": facts.refunded_cents,
        });
        let what = format!(
            "{} of the card payment on invoice {} refunded through Stripe",
            money(facts.refunded_cents),
            invoice.number
        );
        audit::record(tx, &what, &entry).await?;
        kept::mark(tx, pi, &Done { told_refunded_cents: Some(facts.refunded_cents), ..Done::default() }).await?;
        said.push("refund noted");
    }

    if let Some(status) = facts.dispute_status.as_deref() {
        if facts.told_dispute_status.as_deref() != Some(status) {
            let reason = match status {
                "won" => format!("The card dispute on invoice {} was decided in your favour.", invoice.number),
                "lost" => format!(
                    "The card dispute on invoice {} was lost: {} went back to the customer's bank.",
                    invoice.number,
                    money(facts.dispute_cents)
                ),
                _ => format!(
                    "The customer's bank disputes the card payment of {} on invoice {}. Answer it from your Stripe \
                     dashboard before Stripe's deadline.",
                    money(facts.dispute_cents),
                    invoice.number
                ),
            };
            let entry = json!({
                "invoice_id": invoice.id, "number": invoice.number, "payment_intent": pi,
                "dispute": facts.dispute_id, "status": status,
            });
            audit::record(
                tx,
                &format!("card dispute on invoice {}: {}", invoice.number, status.replace('_', " ")),
                &entry,
            )
            .await?;
            if !matches!(status, "won" | "lost") || facts.told_dispute_status.is_none() {
                raise(tx, lead_id, "payment_dispute", &reason, pi).await?;
            }
            kept::mark(tx, pi, &Done { told_dispute_status: Some(status), ..Done::default() }).await?;
            said.push("dispute noted");
        }
    }
    Ok(if said.is_empty() { "nothing new".into() } else { said.join("; ") })
}

async fn raise(
    tx: &mut TenantTx,
    lead_id: LeadId,
    kind: &str,
    reason: &str,
    pi: &str,
) -> Result<(), store::StoreError> {
    escalations::insert(
        tx,
        &escalations::NewEscalation {
            lead_id,
            run_id: None,
            kind,
            reason,
            proposed_action: json!({ "payment_intent": pi }),
        },
    )
    .await?;
    Ok(())
}

/// What reconciliation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub asked: usize,
    /// Payments booked that no webhook had delivered.
    pub repaired: usize,
    pub expired: usize,
}

/// Asks Stripe about every session still open on an invoice that takes payment, and settles what
/// it says: a completed, paid session is booked (audited as a repair), an expired one is closed.
/// The next reconciliation is queued while the shop has Stripe connected.
pub async fn reconcile(db: &Db, stripe: &Stripe, scope: &TenantScope) -> Result<Reconciled, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let account = kept::account(&mut tx).await?;
    let open = kept::open_checkouts(&mut tx).await?;
    let connected = account.as_ref().is_some_and(kept::Account::usable);
    if connected {
        queue_reconcile(&mut tx, RECONCILE_EVERY_MS).await?;
    }
    tx.commit().await?;
    let mut found = Reconciled::default();
    let Some(account) = account.filter(|_| connected) else { return Ok(found) };
    for row in open {
        found.asked += 1;
        let checkout = match stripe.checkout(&account.account_id, &row.id).await {
            Ok(checkout) => checkout,
            Err(err) if err.is_transient() => return Err(OpsError::conflict(format!("Stripe: {err}"))),
            Err(err) => {
                tracing::warn!(org_id = %scope.org_id(), checkout = %row.id, error = %err, "Stripe would not say how a session stands");
                continue;
            }
        };
        let mut tx = TenantTx::begin(db, scope).await?;
        match (checkout.state, checkout.paid, checkout.payment_intent.as_deref()) {
            (CheckoutState::Complete, true, Some(pi)) => {
                let before = kept::facts(&mut tx, pi).await?;
                let fact = Fact::Paid {
                    payment_intent: pi.to_owned(),
                    amount_cents: checkout.amount_cents,
                    currency: checkout.currency.clone(),
                    invoice_id: Some(row.invoice_id.clone()),
                    checkout: Some(checkout.id.clone()),
                };
                let outcome = apply(&mut tx, &fact, 0).await?;
                if before.is_none_or(|f| f.booked_at.is_none()) && outcome.starts_with("payment booked") {
                    found.repaired += 1;
                    let entry = json!({ "invoice_id": row.invoice_id, "checkout": checkout.id, "payment_intent": pi, "outcome": outcome });
                    audit::record(&mut tx, "reconciliation booked a card payment no webhook had delivered", &entry)
                        .await?;
                }
            }
            (CheckoutState::Expired, _, _) => {
                kept::set_checkout_state(&mut tx, &row.id, "expired", None).await?;
                found.expired += 1;
            }
            _ => {}
        }
        tx.commit().await?;
    }
    Ok(found)
}

/// Housekeeping: restarts reconciliation for every org with Stripe connected and none queued.
pub async fn schedule(db: &Db) -> Result<usize, store::StoreError> {
    let mut started = 0;
    for scope in jobs::orgs_without(db, "reconcile_stripe").await? {
        let mut tx = TenantTx::begin(db, &scope).await?;
        if takes_cards(&mut tx).await? {
            queue_reconcile(&mut tx, 0).await?;
            started += 1;
        }
        tx.commit().await?;
    }
    Ok(started)
}

/// The shop's Stripe payment behind `payment_intent`, as the owner's view shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CardPayment {
    pub payment_intent: String,
    /// The payment in the shop's Stripe dashboard.
    pub dashboard_url: String,
    pub refunded_cents: i64,
    pub dispute_status: Option<String>,
}

/// The Stripe side of each card payment on the invoice.
pub async fn card_payments(
    tx: &mut TenantTx,
    stripe: Option<&Stripe>,
    invoice_id: &str,
) -> Result<Vec<CardPayment>, store::StoreError> {
    let Some(stripe) = stripe else { return Ok(Vec::new()) };
    Ok(kept::facts_for_invoice(tx, invoice_id)
        .await?
        .into_iter()
        .map(|f| CardPayment {
            dashboard_url: stripe.dashboard_link(&f.payment_intent),
            payment_intent: f.payment_intent,
            refunded_cents: f.refunded_cents,
            dispute_status: f.dispute_status,
        })
        .collect())
}
