//! Card payments against a local Stripe (`tests/peers/stripe_peer.py`: Connect OAuth, Checkout
//! Sessions on a connected account with idempotency keys, a hosted checkout page, and events signed
//! the way Stripe signs them): an owner connects the shop's Stripe account, the customer pays the
//! invoice by card from its pay link, and the invoice ends paid whether the webhooks arrive once,
//! twice, out of order, or not at all (reconciliation). Deliveries that are not Stripe's change
//! nothing; events for other accounts are ignored; refunds, disputes and a disconnection from
//! Stripe's side reach the owner.

use std::process::Stdio;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::helpers::{get, TestApp};
use crate::mail_peers::{answers, free_port, tool};
use crate::on_both_backends;
use crate::squad::{booked_and_completed, lead};

on_both_backends!(
    an_owner_connects_stripe_and_the_customer_pays_by_card,
    webhooks_are_verified_stored_once_and_read_in_any_order,
    reconciliation_books_a_payment_whose_webhook_was_lost,
    a_disconnection_from_stripe_and_refused_connections_reach_the_owner,
);

const SECRET_KEY: &str = "sk_test_opsquad_platform";
const CLIENT_ID: &str = "ca_opsquad_test";
const WEBHOOK_SECRET: &str = "whsec_opsquad_test";
const OLD_WEBHOOK_SECRET: &str = "whsec_opsquad_rotated_out";

/// Stripe on 127.0.0.1, for one test.
struct StripePeer {
    base: String,
    http: reqwest::Client,
    _process: Child,
}

impl StripePeer {
    async fn start() -> Self {
        let port = free_port();
        let dir = env!("CARGO_MANIFEST_DIR");
        let process = Command::new(tool("python"))
            .arg(format!("{dir}/tests/peers/stripe_peer.py"))
            .args([&port.to_string(), SECRET_KEY, CLIENT_ID])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        assert!(answers(port).await, "the Stripe peer did not answer on {port}");
        Self { base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), _process: process }
    }

    fn settings(&self) -> server::config::StripeSettings {
        server::config::StripeSettings {
            secret_key: Some(SECRET_KEY.to_owned().into()),
            client_id: Some(CLIENT_ID.into()),
            webhook_secrets: vec![OLD_WEBHOOK_SECRET.to_owned().into(), WEBHOOK_SECRET.to_owned().into()],
            api_base: Some(format!("{}/", self.base)),
            connect_base: Some(format!("{}/", self.base)),
            dashboard_base: Some("https://dashboard.stripe.com/test/".into()),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let answer = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        answer.json().await.unwrap()
    }

    async fn calls(&self, kind: &str) -> Vec<Value> {
        let all: Value = self.http.get(format!("{}/peer/calls", self.base)).send().await.unwrap().json().await.unwrap();
        all["calls"].as_array().unwrap().iter().filter(|c| c["kind"] == kind).cloned().collect()
    }

    /// Every event Stripe made, oldest first: `(type, payload)`.
    async fn events(&self) -> Vec<(String, String)> {
        let all: Value =
            self.http.get(format!("{}/peer/events", self.base)).send().await.unwrap().json().await.unwrap();
        all["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["type"].as_str().unwrap().to_owned(), e["payload"].as_str().unwrap().to_owned()))
            .collect()
    }

    async fn event(&self, kind: &str) -> String {
        let all = self.events().await;
        all.into_iter().rev().find(|(k, _)| k == kind).map(|(_, p)| p).unwrap_or_else(|| panic!("no {kind} event"))
    }

    /// The customer pays session `session` by card (the peer's checkout page, without a browser).
    async fn pay(&self, session: &str) -> String {
        self.post("/peer/pay", json!({ "session": session })).await["payment_intent"].as_str().unwrap().to_owned()
    }
}

/// A worker that reaches the peer (the tests' default worker has no Stripe settings).
fn worker(app: &TestApp, peer: &StripePeer) -> server::worker::Worker {
    server::worker::Worker {
        stripe: peer.settings().stripe().unwrap().map(Arc::new),
        ..app.worker(Arc::new(squad::offline::OfflineModel))
    }
}

async fn drain(app: &TestApp, peer: &StripePeer) {
    worker(app, peer).drain().await.unwrap();
}

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Delivers `payload` to the webhook endpoint signed with `secret` at `at`; the status and answer.
async fn deliver_signed(app: &TestApp, payload: &str, secret: &str, at: i64) -> (u16, Value) {
    let signature = format!("t={at},v1={}", integrations::stripe::sign(secret, at, payload.as_bytes()));
    let answer = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(payload.to_owned())
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Delivers `payload` as Stripe would, and asserts it was taken.
async fn deliver(app: &TestApp, payload: &str) -> String {
    let (status, answer) = deliver_signed(app, payload, WEBHOOK_SECRET, now_secs()).await;
    assert_eq!(status, 200, "{answer}");
    answer["outcome"].as_str().unwrap().to_owned()
}

/// Signs in as `email` and connects Stripe on the peer's page (as `account`, when given),
/// following every redirect as a browser would; what Settings → Card payments then shows.
async fn connect(app: &TestApp, peer: &StripePeer, email: &str, password: &str, account: Option<&str>) -> Value {
    assert!(app.log_in(email, password).await.status().is_success());
    let start = app.client.get(app.url("/app/integrations/stripe/connect?from=settings")).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let to_stripe = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(to_stripe.starts_with(&format!("{}/oauth/authorize?", peer.base)), "{to_stripe}");
    let page = peer.http.get(&to_stripe).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Connect my Stripe account"), "{page}");
    let state = peer.calls("authorize").await.pop().unwrap()["state"].as_str().unwrap().to_owned();
    let back = answer_sign_in(peer, &state, "allow", account).await;
    let (_, query) = back.split_once('?').unwrap();
    let done = app.client.get(app.url(&format!("/app/integrations/stripe/callback?{query}"))).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/app/settings");
    get(app, "/api/settings/stripe").await.1
}

/// The owner's answer on Stripe's page; where Stripe sends the browser back to.
async fn answer_sign_in(peer: &StripePeer, state: &str, answer: &str, account: Option<&str>) -> String {
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut form = vec![("state", state), ("answer", answer)];
    if let Some(account) = account {
        form.push(("account", account));
    }
    let back = no_redirects.post(format!("{}/oauth/authorize/answer", peer.base)).form(&form).send().await.unwrap();
    back.headers()["location"].to_str().unwrap().to_owned()
}

/// A completed job billed to `email`: the lead, its invoice's id and the pay link's token.
async fn invoiced(app: &TestApp, key: &str, email: &str) -> (String, String, String) {
    let lead_id = booked_and_completed(app, key, email).await;
    let invoice = lead(app, key, &lead_id).await["invoices"][0]["id"].as_str().unwrap().to_owned();
    let link = app
        .outbox
        .delivered()
        .iter()
        .filter(|m| m.to == email)
        .find_map(|m| m.body.split_whitespace().find(|w| w.contains("/pay/")).map(str::to_owned))
        .expect("the invoice was delivered with its pay link");
    (lead_id, invoice, link.rsplit('/').next().unwrap().to_owned())
}

/// The customer presses "Pay by card"; where they are sent.
async fn pay_by_card(app: &TestApp, token: &str) -> String {
    let go = app.client.get(app.url(&format!("/pay/{token}/card"))).send().await.unwrap();
    assert_eq!(go.status(), StatusCode::SEE_OTHER);
    go.headers()["location"].to_str().unwrap().to_owned()
}

fn session_of(checkout_url: &str) -> String {
    checkout_url.rsplit('/').next().unwrap().to_owned()
}

async fn invoice(app: &TestApp, key: &str, id: &str) -> Value {
    app.api_json(&format!("/api/v1/invoices/{id}"), key).await
}

async fn an_owner_connects_stripe_and_the_customer_pays_by_card(app: TestApp) {
    let peer = StripePeer::start().await;
    let demo = app.demo().await;
    let app = app.serve_with(|s| s.stripe = peer.settings()).await;
    let view = connect(&app, &peer, &demo.owner_email, &demo.password, None).await;
    let account = view["account"].as_str().unwrap().to_owned();
    assert!(account.starts_with("acct_") && view["healthy"] == true, "{view}");
    assert_eq!(view["outcome"]["Ok"], account.as_str(), "the page says it worked: {view}");
    let asked = &peer.calls("authorize").await[0];
    assert_eq!((asked["scope"].as_str(), asked["client_id"].as_str()), (Some("read_write"), Some(CLIENT_ID)));
    assert_eq!(peer.calls("token").await[0]["platform_key"], true, "the code is traded with the platform's key");
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'reconcile_stripe' AND status = 'queued'").await,
        1,
        "reconciliation starts with the connection"
    );

    // The job is done and billed; the pay page offers the card.
    let (lead_id, invoice_id, token) = invoiced(&app, &demo.api_key, "card.payer@example.com").await;
    let html = app.client.get(app.url(&format!("/pay/{token}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("by card") && html.contains("$349.00"), "{html}");

    // "Pay by card" opens a Checkout Session on the shop's own account, for exactly the balance,
    // under a key made of the invoice, the amount and the attempt; pressing it again reuses it.
    let checkout = pay_by_card(&app, &token).await;
    assert!(checkout.starts_with(&format!("{}/c/pay/cs_test_", peer.base)), "{checkout}");
    assert_eq!(pay_by_card(&app, &token).await, checkout, "the open session is reused");
    let created = peer.calls("create_session").await;
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["account"], account.as_str(), "made on the shop's account, never the platform's");
    assert_eq!(created[0]["idempotency_key"], format!("opsquad-checkout:{invoice_id}:34900:1"));

    // Part is paid in cash: the next card payment is for what is left, and the old session ends.
    let cash = app
        .api(Method::POST, &format!("/api/v1/invoices/{invoice_id}/payments"), &demo.api_key)
        .await
        .json(&json!({ "amount_cents": 4_900, "method": "cash", "reference": "receipt 17" }))
        .send()
        .await
        .unwrap();
    assert!(cash.status().is_success(), "{}", cash.status());
    let rest = pay_by_card(&app, &token).await;
    assert_ne!(rest, checkout);
    let created = peer.calls("create_session").await;
    assert_eq!(created[1]["idempotency_key"], format!("opsquad-checkout:{invoice_id}:30000:2"));
    let expired = peer.calls("expire_session").await;
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["session"], session_of(&checkout).as_str());

    // The customer pays; Stripe's webhooks arrive; the invoice and the lead show paid.
    let pi = peer.pay(&session_of(&rest)).await;
    for (_, payload) in peer.events().await {
        deliver(&app, &payload).await;
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'stripe_event' AND status = 'queued'").await, 3);
    drain(&app, &peer).await;
    let paid = invoice(&app, &demo.api_key, &invoice_id).await;
    assert_eq!(paid["invoice"]["status"], "paid", "{paid}");
    assert_eq!(paid["balance_cents"], 0);
    let by_card: Vec<&Value> =
        paid["payments"].as_array().unwrap().iter().filter(|p| p["provider"] == "stripe").collect();
    assert_eq!(by_card.len(), 1);
    assert_eq!(
        (by_card[0]["reference"].as_str(), by_card[0]["amount_cents"].as_i64()),
        (Some(pi.as_str()), Some(30_000))
    );
    assert_eq!(paid["card_payments"][0]["dashboard_url"], format!("https://dashboard.stripe.com/test/payments/{pi}"));
    let after = lead(&app, &demo.api_key, &lead_id).await;
    assert_eq!(after["stage"], "paid", "{after}");
    // The owner's invoice page links the card payment to their Stripe dashboard; usage counts the money.
    let (_, view) = get(&app, &format!("/api/invoices/view?id={invoice_id}")).await;
    let lines = view["payments"].as_array().unwrap();
    let card = lines.iter().find(|p| p["reference"] == pi.as_str()).unwrap();
    assert_eq!(card["stripe"]["dashboard_url"], format!("https://dashboard.stripe.com/test/payments/{pi}"));
    assert!(lines.iter().any(|p| p["method"] == "cash" && p["stripe"].is_null()), "{view}");
    let (_, usage) = get(&app, "/api/usage").await;
    assert_eq!(usage["collected"]["total"], "$349.00", "{usage}");
    assert_eq!(usage["collected"]["note"], "$300.00 by card through Stripe", "{usage}");
    let html = app.client.get(app.url(&format!("/pay/{token}?card=done"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Paid in full"), "the customer's page shows it: {html}");

    // Stripe delivers everything again: acknowledged, and nothing changes.
    for (_, payload) in peer.events().await {
        assert_eq!(deliver(&app, &payload).await, "already received");
    }
    drain(&app, &peer).await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM payments WHERE provider = 'stripe'").await, 1);
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM inbound_events WHERE provider = 'stripe' AND processed_at IS NOT NULL")
            .await,
        3
    );
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'card payment received%'").await, 1);
}

async fn webhooks_are_verified_stored_once_and_read_in_any_order(app: TestApp) {
    let peer = StripePeer::start().await;
    let plain = app.serve_with(|_| {}).await;
    let (status, _) = deliver_signed(&plain, "{}", WEBHOOK_SECRET, now_secs()).await;
    assert_eq!(status, 404, "an Opsquad without Stripe takes no Stripe events");

    let demo = app.demo().await;
    let app = app.serve_with(|s| s.stripe = peer.settings()).await;
    connect(&app, &peer, &demo.owner_email, &demo.password, None).await;
    let (_, invoice_id, token) = invoiced(&app, &demo.api_key, "order@example.com").await;

    // Another shop here has its own Stripe account; an event on it naming this shop's invoice
    // is stored as that shop's and books nothing anywhere.
    let other = app.create_org("Other Shop").await;
    let other_scope = store::Operator::new("test").act_for(other.id, None, domain::Role::Owner);
    let mut tx = store::TenantTx::begin(&app.db, &other_scope).await.unwrap();
    store::stripe::put_account(&mut tx, "acct_othershop", false).await.unwrap();
    tx.commit().await.unwrap();
    let foreign = json!({ "id": "evt_foreign", "object": "event", "type": "payment_intent.succeeded", "account": "acct_othershop",
        "created": now_secs(), "data": { "object": { "id": "pi_foreign", "object": "payment_intent", "amount_received": 34_900,
        "currency": "usd", "metadata": { "opsquad_invoice_id": invoice_id } } } });
    assert_eq!(deliver(&app, &foreign.to_string()).await, "queued");
    let nobody = json!({ "id": "evt_nobody", "type": "payment_intent.succeeded", "account": "acct_nobodyhere",
        "created": now_secs(), "data": { "object": { "id": "pi_x", "amount_received": 1 } } });
    assert!(deliver(&app, &nobody.to_string()).await.starts_with("ignored"));
    drain(&app, &peer).await;
    assert_eq!(invoice(&app, &demo.api_key, &invoice_id).await["invoice"]["status"], "sent");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM payments").await, 0);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM inbound_events WHERE event_id = 'evt_nobody'").await, 0);

    // The customer pays; later part is refunded and the bank disputes it.
    let pi = peer.pay(&session_of(&pay_by_card(&app, &token).await)).await;
    peer.post("/peer/refund", json!({ "payment_intent": pi, "amount": 5_000 })).await;
    peer.post("/peer/dispute", json!({ "payment_intent": pi })).await;
    let events = peer.events().await;
    assert_eq!(
        events.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["payment_intent.succeeded", "checkout.session.completed", "charge.refunded", "charge.dispute.created"]
    );

    // Deliveries that are not Stripe's are refused before anything is read or stored.
    let completed = &events[1].1;
    let forged = deliver_signed(&app, completed, "whsec_somebody_else", now_secs()).await;
    assert_eq!(forged.0, 400, "{}", forged.1);
    assert_eq!(deliver_signed(&app, completed, WEBHOOK_SECRET, now_secs() - 600).await.0, 400, "too old");
    let unsigned =
        reqwest::Client::new().post(app.url("/webhooks/stripe")).body(completed.clone()).send().await.unwrap();
    assert_eq!(unsigned.status(), 400);
    let tampered = completed.replace("\"amount_total\": 34900", "\"amount_total\": 1");
    assert_ne!(&tampered, completed);
    let at = now_secs();
    let signature = format!("t={at},v1={}", integrations::stripe::sign(WEBHOOK_SECRET, at, completed.as_bytes()));
    let swapped = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", signature)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(swapped.status(), 400, "a signature covers its own body only");
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM inbound_events").await,
        1,
        "only the other shop's event is stored"
    );

    // Signed with the secret being rotated out still counts. Everything arrives backwards, the
    // refund twice, each processed before the next arrives.
    let (status, _) = deliver_signed(&app, &events[3].1, OLD_WEBHOOK_SECRET, now_secs()).await;
    assert_eq!(status, 200);
    drain(&app, &peer).await;
    for (_, payload) in [&events[2], &events[2], &events[1], &events[0]] {
        deliver(&app, payload).await;
        drain(&app, &peer).await;
    }
    let paid = invoice(&app, &demo.api_key, &invoice_id).await;
    assert_eq!(paid["invoice"]["status"], "paid", "{paid}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM payments WHERE provider = 'stripe'").await, 1);
    assert_eq!(paid["card_payments"][0]["refunded_cents"], 5_000, "{paid}");
    assert_eq!(paid["card_payments"][0]["dispute_status"], "needs_response");
    let (_, view) = get(&app, &format!("/api/invoices/view?id={invoice_id}")).await;
    let stripe = &view["payments"][0]["stripe"];
    assert_eq!(
        (stripe["refunded"].as_str(), stripe["dispute"].as_str()),
        (Some("$50.00 refunded"), Some("Disputed: Stripe needs your evidence")),
        "{view}"
    );
    let (_, usage) = get(&app, "/api/usage").await;
    assert_eq!(usage["collected"]["note"], "$349.00 by card through Stripe, $50.00 refunded since", "{usage}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%refunded through Stripe'").await, 1);
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM escalations WHERE kind = 'payment_dispute' AND status = 'pending'").await,
        1
    );
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'alert_owners'").await,
        1,
        "the owner is emailed"
    );
}

async fn reconciliation_books_a_payment_whose_webhook_was_lost(app: TestApp) {
    let peer = StripePeer::start().await;
    let demo = app.demo().await;
    let app = app.serve_with(|s| s.stripe = peer.settings()).await;
    connect(&app, &peer, &demo.owner_email, &demo.password, None).await;
    let (lead_id, invoice_id, token) = invoiced(&app, &demo.api_key, "lost.webhook@example.com").await;
    let pi = peer.pay(&session_of(&pay_by_card(&app, &token).await)).await;

    // No webhook arrives. The next reconciliation asks Stripe and books what it says.
    drain(&app, &peer).await;
    assert_eq!(invoice(&app, &demo.api_key, &invoice_id).await["invoice"]["status"], "sent");
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'reconcile_stripe' AND status = 'queued'").await;
    drain(&app, &peer).await;
    assert!(!peer.calls("retrieve_session").await.is_empty());
    let paid = invoice(&app, &demo.api_key, &invoice_id).await;
    assert_eq!(paid["invoice"]["status"], "paid", "{paid}");
    assert_eq!(paid["payments"][0]["reference"], pi.as_str());
    assert_eq!(lead(&app, &demo.api_key, &lead_id).await["stage"], "paid");
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'reconciliation booked a card payment no webhook had delivered'").await,
        1
    );
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'reconcile_stripe' AND status = 'queued'").await,
        1,
        "the next one is queued"
    );

    // The lost webhooks turn up late: taken, and nothing is booked twice.
    deliver(&app, &peer.event("checkout.session.completed").await).await;
    deliver(&app, &peer.event("payment_intent.succeeded").await).await;
    drain(&app, &peer).await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM escalations WHERE kind = 'payment_problem'").await, 0);
}

async fn a_disconnection_from_stripe_and_refused_connections_reach_the_owner(app: TestApp) {
    let peer = StripePeer::start().await;
    let demo = app.demo().await;
    let app = app.serve_with(|s| s.stripe = peer.settings()).await;

    // An answer that does not carry this sign-in's state is refused; so is a declined one.
    assert!(app.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    app.client.get(app.url("/app/integrations/stripe/connect")).send().await.unwrap();
    let forged =
        app.client.get(app.url("/app/integrations/stripe/callback?code=ac_forged&state=forged")).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    let view = get(&app, "/api/settings/stripe").await.1;
    assert!(view["outcome"]["Err"].as_str().unwrap().contains("does not belong"), "{view}");
    assert!(view["account"].is_null());
    let start = app.client.get(app.url("/app/integrations/stripe/connect")).send().await.unwrap();
    peer.http.get(start.headers()["location"].to_str().unwrap()).send().await.unwrap();
    let state = peer.calls("authorize").await.pop().unwrap()["state"].as_str().unwrap().to_owned();
    let back = answer_sign_in(&peer, &state, "deny", None).await;
    let (_, query) = back.split_once('?').unwrap();
    app.client.get(app.url(&format!("/app/integrations/stripe/callback?{query}"))).send().await.unwrap();
    let view = get(&app, "/api/settings/stripe").await.1;
    assert!(view["outcome"]["Err"].as_str().unwrap().contains("declined"), "{view}");

    // Connected; another shop may not connect the same Stripe account.
    let account = connect(&app, &peer, &demo.owner_email, &demo.password, Some("acct_springfield1")).await["account"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = app.create_org("Copycat Heating").await;
    let other_scope = store::Operator::new("test").act_for(other.id, None, domain::Role::Owner);
    peer.http
        .get(format!("{}/oauth/authorize?response_type=code&client_id={CLIENT_ID}&state=s2&redirect_uri=x", peer.base))
        .send()
        .await
        .unwrap();
    let back = answer_sign_in(&peer, "s2", "allow", Some(&account)).await;
    let code = back.split("code=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let stripe = peer.settings().stripe().unwrap().unwrap();
    let refused = ops::stripe::connect(&app.db, &stripe, &other_scope, &code).await;
    assert!(
        matches!(refused, Err(ops::OpsError::Validation { ref message, .. }) if message.contains("another shop")),
        "{refused:?}"
    );

    // The shop disconnects Opsquad on Stripe's side: the connection shows broken, card payment stops.
    let (_, _, token) = invoiced(&app, &demo.api_key, "after.disconnect@example.com").await;
    peer.post("/peer/deauthorize", json!({ "account": account })).await;
    deliver(&app, &peer.event("account.application.deauthorized").await).await;
    drain(&app, &peer).await;
    let view = get(&app, "/api/settings/stripe").await.1;
    assert_eq!(view["healthy"], false, "{view}");
    assert!(view["last_error"].as_str().unwrap().contains("disconnected"), "{view}");
    let html = app.client.get(app.url(&format!("/pay/{token}"))).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("by card"), "{html}");
    let back = pay_by_card(&app, &token).await;
    assert_eq!(back, format!("/pay/{token}?card=unavailable"));
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'Stripe connection ended from Stripe''s side'")
            .await,
        1
    );

    // Connected again, then disconnected by the owner here: Stripe is told, the account forgotten.
    connect(&app, &peer, &demo.owner_email, &demo.password, Some(&account)).await;
    let (status, _) = crate::helpers::post(&app, "/api/settings/stripe/disconnect", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(peer.calls("deauthorize").await.last().unwrap()["account"], account.as_str());
    assert!(get(&app, "/api/settings/stripe").await.1["account"].is_null());
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations WHERE provider = 'stripe'").await, 0);
}
