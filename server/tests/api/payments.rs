//! After the invoice: the pay link and page, payments recorded once, payment follow-ups, and the
//! guardrails on money (discounts, new billing addresses). Plus customers who write again about a
//! booking: move it, cancel it, or ask a person.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{json, Value};
use squad::model::{Content, Model, ModelError, ModelRequest, ModelResponse};
use squad::offline::OfflineModel;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{booked_and_completed, demo, furnace, inbound, lead, outbound};

on_both_backends!(
    the_pay_link_shows_the_invoice_and_takes_a_test_payment_once,
    a_shared_pay_link_is_shown_once_and_expires,
    owners_record_payments_once_per_reference_and_only_in_their_org,
    concurrent_payments_are_counted_one_after_the_other,
    a_reference_already_used_on_another_invoice_is_refused,
    payment_follow_ups_remind_only_unpaid_invoices,
    a_booked_customer_can_move_or_cancel_by_writing_again,
    other_follow_ups_on_a_booking_go_to_the_owner,
    discounts_and_new_billing_addresses_wait_for_the_owner,
    a_blocked_discount_is_refused_and_nothing_is_billed,
    escalation_timeouts_follow_the_org_policy,
);

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

async fn invoice_of(app: &TestApp, key: &str, lead_id: &str) -> Value {
    lead(app, key, lead_id).await["invoices"][0].clone()
}

/// The pay links in what was delivered to `to`, oldest first.
fn delivered_pay_links(app: &TestApp, to: &str) -> Vec<String> {
    app.outbox
        .delivered()
        .iter()
        .filter(|m| m.to == to)
        .filter_map(|m| m.body.split_whitespace().find(|w| w.contains("/pay/")).map(str::to_owned))
        .collect()
}

/// Every stored place a token could leak to: messages, run steps, the audit log, links.
async fn stored_anywhere(app: &TestApp, token: &str) -> i64 {
    let mut found = 0;
    let places = [("messages", "body"), ("run_steps", "payload"), ("audit_log", "detail"), ("pay_links", "token_hash")];
    for (table, column) in places {
        found += app.admin_count(&format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%{token}%'")).await;
    }
    found
}

async fn the_pay_link_shows_the_invoice_and_takes_a_test_payment_once(app: TestApp) {
    let key = demo(&app).await;
    let id = booked_and_completed(&app, &key, "payer@example.com").await;
    let invoiced = lead(&app, &key, &id).await;
    let stored = outbound(&invoiced).pop().unwrap();
    assert!(stored.contains("Pay online: [private link]"), "the stored message holds a placeholder: {stored}");
    let links = delivered_pay_links(&app, "payer@example.com");
    assert_eq!(links.len(), 1, "the delivered invoice carries its link");
    let url = links[0].clone();
    assert!(url.starts_with("http://127.0.0.1:3000/pay/"), "{url}");
    let token = token_of(&url);
    assert_eq!(stored_anywhere(&app, &token).await, 0, "the token is nowhere at rest");
    let hash = squad::payments::token_hash(&token);
    assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM pay_links WHERE token_hash = '{hash}'")).await, 1);

    let page = app.client.get(app.url(&format!("/pay/{token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "private, no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("INV-00001") && html.contains("$349.00") && html.contains("test mode"), "{html}");

    let view = |t: String| {
        let app = &app;
        async move { app.client.get(app.url(&format!("/api/pay/view?token={t}"))).send().await.unwrap() }
    };
    assert_eq!(view("not-a-token".into()).await.status(), 404);
    let forged: String = token.chars().rev().collect();
    assert_eq!(view(forged.clone()).await.status(), 404, "a well-formed token that was never issued");
    let shown: Value = view(token.clone()).await.json().await.unwrap();
    assert_eq!((shown["status"].as_str(), shown["total"].as_str()), (Some("sent"), Some("$349.00")));

    for _ in 0..2 {
        let paid = app.post_form("/api/pay/test", &[("token", token.as_str())]).await;
        assert!(paid.status().is_success(), "{}", paid.status());
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM payments").await, 1, "paying twice records one payment");
    let audit: Value = app.api_json("/api/v1/audit?limit=200", &key).await;
    let recorded: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("test payment recorded on invoice"))
        .collect();
    assert_eq!(recorded.len(), 1, "one audit entry for the one payment: {audit}");
    let paid = lead(&app, &key, &id).await;
    assert_eq!((paid["stage"].as_str(), paid["waiting_on"].as_str()), (Some("paid"), Some("none")));
    assert_eq!(paid["invoices"][0]["status"], "paid");
    let receipt = outbound(&paid).pop().unwrap();
    assert!(receipt.contains("received your payment of $349.00"), "{receipt}");
    let shown: Value = view(token.clone()).await.json().await.unwrap();
    assert_eq!(shown["status"], "paid", "the link shows the receipt for a day");

    // A day after the payment the link opens nothing.
    app.admin_execute("UPDATE invoices SET paid_at = paid_at - 86400001").await;
    assert_eq!(view(token.clone()).await.status(), 404);
    let page = app.client.get(app.url(&format!("/pay/{token}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("We couldn't find this invoice") && !page.contains("$349.00"), "{page}");
}

async fn a_shared_pay_link_is_shown_once_and_expires(app: TestApp) {
    let shop = app.demo().await;
    let key = shop.api_key.clone();
    let id = booked_and_completed(&app, &key, "shared@example.com").await;
    let invoice = invoice_of(&app, &key, &id).await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/invoices/{invoice}/pay-link");
    let share = |key: String| {
        let app = &app;
        let path = path.clone();
        async move { app.api(Method::POST, &path, &key).await.send().await.unwrap() }
    };

    let other = app.create_org("Org B").await;
    assert_eq!(share(other.api_key.clone()).await.status(), 404, "another org's invoice");
    let shop = crate::helpers::Org {
        id: domain::OrgId::parse(&shop.org_id).unwrap(),
        api_key: key.clone(),
        owner_email: shop.owner_email,
        password: shop.password,
    };
    let reader = app.api_key_with(&shop, domain::Role::Staff, domain::KeyScope::Read).await;
    assert_eq!(share(reader).await.status(), 403, "a read-only key shares no links");

    let shared = share(key.clone()).await;
    assert_eq!(shared.status(), 201);
    let shared: Value = shared.json().await.unwrap();
    let url = shared["url"].as_str().unwrap();
    let token = token_of(url);
    assert!(shared["expires_at"].as_i64().unwrap() > store::now_ms() + 29 * 86_400_000, "30 days by default");
    assert_eq!(stored_anywhere(&app, &token).await, 0, "the link is in the answer and nowhere else");
    let audit: Value = app.api_json("/api/v1/audit?limit=200", &key).await;
    assert!(audit["entries"].as_array().unwrap().iter().any(|e| e["action"] == "pay link made for invoice INV-00001"));

    let view = |t: String| {
        let app = &app;
        async move { app.client.get(app.url(&format!("/api/pay/view?token={t}"))).send().await.unwrap().status() }
    };
    assert_eq!(view(token.clone()).await, 200);
    let delivered = token_of(&delivered_pay_links(&app, "shared@example.com")[0]);
    assert_eq!(view(delivered.clone()).await, 200, "the link in the invoice message still works too");

    // Each link expires on its own.
    let hash = squad::payments::token_hash(&token);
    app.admin_execute(&format!("UPDATE pay_links SET expires_at = 0 WHERE token_hash = '{hash}'")).await;
    assert_eq!(view(token.clone()).await, 404, "an expired link");
    let paid = app.post_form("/api/pay/test", &[("token", token.as_str())]).await;
    assert_eq!(paid.status(), 404, "an expired link takes no payment");
    assert_eq!(view(delivered).await, 200);

    // Once paid, the invoice takes no new link.
    let settle = json!({ "amount_cents": 34_900, "method": "check", "reference": "CHK-7" });
    let recorded = app.api(Method::POST, &format!("/api/v1/invoices/{invoice}/payments"), &key).await;
    assert_eq!(recorded.json(&settle).send().await.unwrap().status(), 201);
    let refused = share(key.clone()).await;
    assert_eq!(refused.status(), 409);
    let refused: Value = refused.json().await.unwrap();
    assert!(refused["error"]["message"].as_str().unwrap().contains("is paid"), "{refused}");
}

async fn owners_record_payments_once_per_reference_and_only_in_their_org(app: TestApp) {
    let key = demo(&app).await;
    let id = booked_and_completed(&app, &key, "cash@example.com").await;
    let invoice = invoice_of(&app, &key, &id).await["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/invoices/{invoice}/payments");
    let pay = |body: Value, key: String| {
        let app = &app;
        let path = path.clone();
        async move { app.api(Method::POST, &path, &key).await.json(&body).send().await.unwrap() }
    };

    let other = app.create_org("Org B").await;
    let cash = json!({ "amount_cents": 10_000, "method": "cash", "reference": "R-1" });
    assert_eq!(pay(cash.clone(), other.api_key.clone()).await.status(), 404, "another org's invoice");
    assert_eq!(
        app.api(Method::GET, &format!("/api/v1/invoices/{invoice}"), &other.api_key)
            .await
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let first = pay(cash.clone(), key.clone()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!((first["balance_cents"].as_i64(), first["settled"].as_bool()), (Some(24_900), Some(false)));
    let replay = pay(cash, key.clone()).await;
    assert_eq!(replay.status(), 200, "the same reference again changes nothing");
    assert_eq!(replay.json::<Value>().await.unwrap()["recorded"], false);
    assert_eq!(lead(&app, &key, &id).await["stage"], "invoiced", "a part payment does not settle it");

    for (body, field) in [
        (json!({ "amount_cents": 30_000, "method": "check", "reference": "C-9" }), "amount_cents"),
        (json!({ "amount_cents": 0, "method": "check", "reference": "C-9" }), "amount_cents"),
        (json!({ "amount_cents": 100, "method": "test", "reference": "T" }), "method"),
        (json!({ "amount_cents": 100, "method": "cash", "reference": "  " }), "reference"),
    ] {
        let refused = pay(body, key.clone()).await;
        assert_eq!(refused.status(), 422);
        assert_eq!(refused.json::<Value>().await.unwrap()["error"]["field"], field);
    }

    let rest = pay(json!({ "amount_cents": 24_900, "method": "check", "reference": "C-1042" }), key.clone()).await;
    assert_eq!(rest.status(), 201);
    assert_eq!(rest.json::<Value>().await.unwrap()["settled"], true);
    assert_eq!(lead(&app, &key, &id).await["stage"], "paid");
    let after = pay(json!({ "amount_cents": 1, "method": "cash", "reference": "R-2" }), key.clone()).await;
    assert_eq!(after.status(), 409, "a paid invoice takes no more payments");

    let detail: Value = app
        .api(Method::GET, &format!("/api/v1/invoices/{invoice}"), &key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["payments"].as_array().unwrap().len(), 2);
    assert_eq!((detail["paid_cents"].as_i64(), detail["balance_cents"].as_i64()), (Some(34_900), Some(0)));
}

async fn pay(app: &TestApp, key: &str, invoice: &str, cents: i64, reference: &str) -> reqwest::Response {
    let body = json!({ "amount_cents": cents, "method": "card", "reference": reference });
    let path = format!("/api/v1/invoices/{invoice}/payments");
    app.api(Method::POST, &path, key).await.json(&body).send().await.unwrap()
}

async fn owner_scope(app: &TestApp, key: &str) -> store::TenantScope {
    let me: Value = app.api_json("/api/v1/me", key).await;
    let org = domain::OrgId::parse(me["org"]["id"].as_str().unwrap()).unwrap();
    store::Operator::new("test").act_for(org, None, domain::Role::Owner)
}

async fn concurrent_payments_are_counted_one_after_the_other(app: TestApp) {
    let key = demo(&app).await;
    let whole = booked_and_completed(&app, &key, "twice@example.com").await;
    let whole = invoice_of(&app, &key, &whole).await["id"].as_str().unwrap().to_owned();
    let halves = booked_and_completed(&app, &key, "halves@example.com").await;
    let halves_invoice = invoice_of(&app, &key, &halves).await["id"].as_str().unwrap().to_owned();

    // Six terminals charge the whole $349.00 at once, their transactions interleaved: one payment
    // is booked, the rest are refused.
    let scope = owner_scope(&app, &key).await;
    let card = |reference: String, cents: i64| ops::payments::ManualPayment {
        amount_cents: cents,
        method: "card".into(),
        reference,
    };
    let attempts: Vec<_> = (0..6).map(|i| card(format!("terminal-{i}"), 34_900)).collect();
    let outcomes =
        futures::future::join_all(attempts.iter().map(|p| ops::payments::record(&app.db, &scope, &whole, p))).await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|o| matches!(o, Ok(_) | Err(ops::OpsError::Conflict { .. }))), "{outcomes:?}");
    let paid =
        format!("SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM payments WHERE invoice_id = '{whole}'");
    assert_eq!(app.admin_count(&paid).await, 34_900, "never overpaid");

    // Two halves at once settle the invoice between them.
    let (a, b) = (card("half-a".into(), 17_450), card("half-b".into(), 17_450));
    let (a, b) = tokio::join!(
        ops::payments::record(&app.db, &scope, &halves_invoice, &a),
        ops::payments::record(&app.db, &scope, &halves_invoice, &b)
    );
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    let settled = lead(&app, &key, &halves).await;
    assert_eq!(settled["invoices"][0]["status"], "paid", "{settled:#}");
    assert_eq!(settled["stage"], "paid");
}

async fn a_reference_already_used_on_another_invoice_is_refused(app: TestApp) {
    let key = demo(&app).await;
    let first = booked_and_completed(&app, &key, "first@example.com").await;
    let first = invoice_of(&app, &key, &first).await["id"].as_str().unwrap().to_owned();
    let second = booked_and_completed(&app, &key, "second@example.com").await;
    let second = invoice_of(&app, &key, &second).await["id"].as_str().unwrap().to_owned();

    assert_eq!(pay(&app, &key, &first, 5_000, "CHK-77").await.status(), 201);
    let reused = pay(&app, &key, &second, 5_000, "CHK-77").await;
    assert_eq!(reused.status(), 409, "not silently dropped");
    let error: Value = reused.json().await.unwrap();
    assert_eq!(error["error"]["field"], "reference", "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("CHK-77"), "{error}");
    let detail: Value = app.api_json(&format!("/api/v1/invoices/{second}"), &key).await;
    assert_eq!(detail["paid_cents"], 0);
}

async fn payment_follow_ups_remind_only_unpaid_invoices(app: TestApp) {
    let key = demo(&app).await;
    let unpaid = booked_and_completed(&app, &key, "slow@example.com").await;
    let paid = booked_and_completed(&app, &key, "prompt@example.com").await;
    let invoice = invoice_of(&app, &key, &paid).await["id"].as_str().unwrap().to_owned();
    let settle = json!({ "amount_cents": 34_900, "method": "card", "reference": "terminal-1" });
    let path = format!("/api/v1/invoices/{invoice}/payments");
    assert_eq!(app.api(Method::POST, &path, &key).await.json(&settle).send().await.unwrap().status(), 201);
    assert_eq!(
        app.admin_count(
            "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE 'payment_follow_up:%' AND status = 'queued'"
        )
        .await,
        4,
        "two follow-ups per invoice, queued with it"
    );

    // The due date arrives.
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE idempotency_key LIKE 'payment_follow_up:%:0'").await;
    app.drain().await;

    let reminded = lead(&app, &key, &unpaid).await;
    let reminder = outbound(&reminded).pop().unwrap();
    assert!(reminder.starts_with("A friendly reminder: invoice INV-0000"), "{reminder}");
    let links = delivered_pay_links(&app, "slow@example.com");
    assert_eq!(links.len(), 2, "the invoice and the reminder each carry a link of their own: {links:?}");
    assert_ne!(links[0], links[1]);
    let tools: Vec<&str> = reminded["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["payload"]["tool"].as_str())
        .filter(|t| ["check_payment", "send_payment_reminder"].contains(t))
        .collect();
    assert_eq!(tools, ["check_payment", "send_payment_reminder"]);

    let settled = lead(&app, &key, &paid).await;
    assert!(outbound(&settled).iter().all(|m| !m.contains("friendly reminder")), "a paid invoice gets no reminder");
    assert!(settled["steps"].as_array().unwrap().iter().any(|s| s["payload"]["tool"] == "check_payment"));
    assert_eq!(settled["stage"], "paid");
}

async fn a_booked_customer_can_move_or_cancel_by_writing_again(app: TestApp) {
    let key = demo(&app).await;
    let moving = inbound(&app, &key, furnace("mover@example.com")).await;
    let leaving = inbound(&app, &key, furnace("leaver@example.com")).await;
    app.drain().await;
    let before = lead(&app, &key, &moving).await["appointments"][0].clone();

    let again = |email: &str, body: &str| json!({ "channel": "email", "from": { "name": "Jordan Miles", "email": email }, "body": body, "sender_verified": true });
    let continued =
        inbound(&app, &key, again("mover@example.com", "Can we reschedule? Afternoons work better for me.")).await;
    assert_eq!(continued, moving, "the reply continues the open lead");
    inbound(&app, &key, again("leaver@example.com", "Please cancel my appointment, we fixed it ourselves.")).await;
    app.drain().await;

    let moved = lead(&app, &key, &moving).await;
    assert_eq!(moved["stage"], "booked");
    let appointments = moved["appointments"].as_array().unwrap();
    assert_eq!(appointments.len(), 2);
    let old = appointments.iter().find(|a| a["id"] == before["id"]).unwrap();
    let new = appointments.iter().find(|a| a["id"] != before["id"]).unwrap();
    assert_eq!(old["status"], "cancelled");
    assert_eq!(new["status"], "scheduled");
    let hour = chrono::DateTime::from_timestamp_millis(new["starts_at"].as_i64().unwrap())
        .unwrap()
        .with_timezone(&chrono_tz::America::Chicago)
        .format("%H")
        .to_string()
        .parse::<u32>()
        .unwrap();
    assert!((12..17).contains(&hour), "moved to an afternoon, as asked: {hour}:00");
    assert!(outbound(&moved).last().unwrap().starts_with("You're booked for "));
    let reminders_for_new = app
        .admin_count(&format!(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'send_reminder' AND payload LIKE '%{}%'",
            new["id"].as_str().unwrap()
        ))
        .await;
    assert!(reminders_for_new >= 1, "the new time gets its own reminders");

    let cancelled = lead(&app, &key, &leaving).await;
    assert_eq!(cancelled["stage"], "disqualified");
    assert_eq!(cancelled["appointments"][0]["status"], "cancelled");
    assert!(outbound(&cancelled).last().unwrap().contains("is cancelled"), "{:?}", outbound(&cancelled));
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM escalations").await, 0, "no person was needed");

    // The cancelled appointment's reminders are skipped when they fall due.
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'send_reminder'").await;
    app.drain().await;
    let after = lead(&app, &key, &leaving).await;
    assert!(outbound(&after).iter().all(|m| !m.starts_with("Reminder:")));
}

async fn other_follow_ups_on_a_booking_go_to_the_owner(app: TestApp) {
    let key = demo(&app).await;
    let id = inbound(&app, &key, furnace("asker@example.com")).await;
    app.drain().await;
    let question = json!({ "channel": "email", "from": { "email": "asker@example.com" },
                           "body": "Will the technician bring replacement filters?", "sender_verified": true });
    inbound(&app, &key, question).await;
    app.drain().await;
    let asked = lead(&app, &key, &id).await;
    assert_eq!((asked["stage"].as_str(), asked["waiting_on"].as_str()), (Some("booked"), Some("owner")));
    assert_eq!(asked["appointments"][0]["status"], "scheduled", "the booking stands");
    let pending: Vec<Value> = app
        .api(Method::GET, "/api/v1/escalations?status=pending", &key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["kind"], "follow_up");
}

/// The offline model, with the Invoice agent asking for a 10% discount and a different billing
/// address — what a persuaded LLM would try.
struct GenerousModel;

#[async_trait]
impl Model for GenerousModel {
    fn provider(&self) -> &'static str {
        "test-generous"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let mut response = OfflineModel.converse(request).await?;
        for content in &mut response.content {
            if let Content::ToolUse { name, input, .. } = content {
                match name.as_str() {
                    "generate_invoice" => input["discount_percent"] = json!(10),
                    "send_invoice" => input["email"] = json!("billing@elsewhere.example"),
                    _ => {}
                }
            }
        }
        Ok(response)
    }
}

async fn decide_pending(app: &TestApp, key: &str, approve: bool) -> Vec<Value> {
    let pending: Vec<Value> = app
        .api(Method::GET, "/api/v1/escalations?status=pending", key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for escalation in &pending {
        let path = format!("/api/v1/escalations/{}/decision", escalation["id"].as_str().unwrap());
        let decided =
            app.api(Method::POST, &path, key).await.json(&json!({ "approve": approve })).send().await.unwrap();
        assert_eq!(decided.status(), 200);
    }
    pending
}

async fn complete_with(app: &TestApp, key: &str, email: &str, model: Arc<dyn Model>) -> String {
    let id = inbound(app, key, furnace(email)).await;
    app.drain().await;
    let appointment = lead(app, key, &id).await["appointments"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/appointments/{appointment}/complete");
    assert_eq!(app.api(Method::POST, &path, key).await.send().await.unwrap().status(), 200);
    app.worker(model).drain().await.unwrap();
    id
}

async fn discounts_and_new_billing_addresses_wait_for_the_owner(app: TestApp) {
    let key = demo(&app).await;
    let id = complete_with(&app, &key, "haggler@example.com", Arc::new(GenerousModel)).await;
    let parked = lead(&app, &key, &id).await;
    assert!(parked["invoices"].as_array().unwrap().is_empty(), "no invoice before the discount is approved");
    assert_eq!(parked["waiting_on"], "owner");

    let first = decide_pending(&app, &key, true).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["kind"], "approval");
    assert!(first[0]["reason"].as_str().unwrap().contains("10% discount"), "{}", first[0]["reason"]);
    assert_eq!(first[0]["proposed_action"]["discount_percent"], 10);
    app.worker(Arc::new(GenerousModel)).drain().await.unwrap();

    let drafted = lead(&app, &key, &id).await;
    let invoice = &drafted["invoices"][0];
    assert_eq!(
        (invoice["discount_cents"].as_i64(), invoice["total_cents"].as_i64(), invoice["status"].as_str()),
        (Some(3_490), Some(31_410), Some("draft")),
        "10% off $349.00, computed by code; not sent yet"
    );
    let second = decide_pending(&app, &key, true).await;
    assert_eq!(second.len(), 1);
    assert!(second[0]["reason"].as_str().unwrap().contains("billing@elsewhere.example"), "{}", second[0]["reason"]);
    app.worker(Arc::new(GenerousModel)).drain().await.unwrap();

    let sent = lead(&app, &key, &id).await;
    assert_eq!(sent["stage"], "invoiced");
    let message = sent["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(message["recipient"], "billing@elsewhere.example");
    assert!(message["body"].as_str().unwrap().contains("Discount: -$34.90"), "{}", message["body"]);
}

async fn a_blocked_discount_is_refused_and_nothing_is_billed(app: TestApp) {
    let key = demo(&app).await;
    let mut settings: Value =
        app.api(Method::GET, "/api/v1/settings", &key).await.send().await.unwrap().json().await.unwrap();
    settings["policies"]["guardrails"]["discounts"] = json!("block");
    assert_eq!(
        app.api(Method::PUT, "/api/v1/settings", &key).await.json(&settings).send().await.unwrap().status(),
        200
    );

    let id = complete_with(&app, &key, "blocked@example.com", Arc::new(GenerousModel)).await;
    let refused = lead(&app, &key, &id).await;
    assert!(refused["invoices"].as_array().unwrap().is_empty());
    let step = refused["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["payload"]["tool"] == "generate_invoice")
        .unwrap()
        .clone();
    assert_eq!(step["payload"]["is_error"], true);
    assert!(step["payload"]["output"]["error"].as_str().unwrap().contains("policy does not allow"), "{step}");
    let pending: Vec<Value> = app
        .api(Method::GET, "/api/v1/escalations?status=pending", &key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pending.iter().all(|e| e["kind"] != "approval"), "a blocked action asks nobody");
    assert!(pending.iter().any(|e| e["kind"] == "invoice_failed"), "the agent hands the failure to a person");
}

async fn escalation_timeouts_follow_the_org_policy(app: TestApp) {
    let key = demo(&app).await;
    let mut settings: Value =
        app.api(Method::GET, "/api/v1/settings", &key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(settings["policies"]["escalation_timeouts"]["approval"]["after_hours"], 24, "the default");

    settings["policies"]["escalation_timeouts"]["safety"] = json!({ "after_hours": 1, "fallback": "approve" });
    let refused = app.api(Method::PUT, "/api/v1/settings", &key).await.json(&settings).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"]["field"], "policies.escalation_timeouts.safety");

    settings["policies"]["escalation_timeouts"] = json!({ "approval": { "after_hours": 2, "fallback": "approve" } });
    settings["invoice_approval_above_cents"] = json!(100);
    assert_eq!(
        app.api(Method::PUT, "/api/v1/settings", &key).await.json(&settings).send().await.unwrap().status(),
        200
    );
    let id = booked_and_completed(&app, &key, "timeout@example.com").await;
    assert_eq!(lead(&app, &key, &id).await["invoices"][0]["status"], "draft");
    assert_eq!(
        app.admin_count(
            "SELECT COUNT(*) FROM escalations WHERE kind = 'approval' AND timeout_policy = 'approve'
             AND timeout_at - created_at = 7200000"
        )
        .await,
        1,
        "two hours, then approve"
    );
    app.admin_execute("UPDATE escalations SET timeout_at = 1 WHERE kind = 'approval'").await;
    app.drain().await;
    assert_eq!(lead(&app, &key, &id).await["invoices"][0]["status"], "sent", "the fallback approved it");
}
