//! Channel identity: only a verified sender continues a customer's thread or changes their
//! booking. Knowing a customer's email or phone number gets a stranger a lead of their own, and the
//! real customer a private manage link that works once.

use std::sync::Arc;

use reqwest::Method;
use serde_json::{json, Value};
use squad::offline::OfflineModel;

use crate::helpers::{post, TestApp};
use crate::on_both_backends;
use crate::squad::{demo, furnace, lead, outbound};

on_both_backends!(
    knowing_a_customers_email_is_not_enough_to_touch_their_booking,
    a_sender_the_caller_vouches_for_continues_the_thread,
    the_manage_link_cancels_the_booking_once_and_opens_nothing_else,
    a_message_through_the_manage_link_continues_the_booked_lead,
);

async fn accept(app: &TestApp, key: &str, body: &Value) -> Value {
    let response = app.api(Method::POST, "/api/v1/inbound", key).await.json(body).send().await.unwrap();
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

fn vouched(mut body: Value) -> Value {
    body["sender_verified"] = json!(true);
    body
}

/// The demo shop with one booked emergency from jordan@example.com; returns (key, lead id).
async fn booked(app: &TestApp) -> (String, String) {
    let key = demo(app).await;
    let accepted = accept(app, &key, &vouched(furnace("jordan@example.com"))).await;
    app.worker(Arc::new(OfflineModel)).drain().await.unwrap();
    let id = accepted["lead_id"].as_str().unwrap().to_owned();
    assert_eq!(lead(app, &key, &id).await["stage"], "booked");
    (key, id)
}

/// The private link in the latest manage-link message delivered (the queue is drained first).
async fn manage_token(app: &TestApp) -> Option<String> {
    app.drain().await;
    app.outbox.delivered().iter().rev().find_map(|m| {
        let at = m.body.find("/manage/")? + "/manage/".len();
        Some(m.body[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
    })
}

async fn knowing_a_customers_email_is_not_enough_to_touch_their_booking(app: TestApp) {
    let (key, id) = booked(&app).await;
    let live = "SELECT COUNT(*) FROM appointments WHERE status IN ('scheduled', 'confirmed')";
    assert_eq!(app.admin_count(live).await, 1);

    let attack = json!({ "channel": "form", "from": { "name": "Jordan Miles", "email": "jordan@example.com" },
                         "body": "Please cancel my appointment, I found someone else." });
    let first = accept(&app, &key, &attack).await;
    assert_eq!(first["sender_proof"], "none");
    assert_eq!(first["continued"], false, "an unverified sender never continues the thread");
    assert_ne!(first["lead_id"].as_str(), Some(id.as_str()));
    app.worker(Arc::new(OfflineModel)).drain().await.unwrap();

    assert_eq!(app.admin_count(live).await, 1, "the booking stands");
    let original = lead(&app, &key, &id).await;
    assert_eq!(original["stage"], "booked");
    assert!(original["messages"].as_array().unwrap().iter().all(|m| m["body"] != attack["body"]));
    let stranger = lead(&app, &key, first["lead_id"].as_str().unwrap()).await;
    assert_ne!(stranger["customer"]["id"], original["customer"]["id"], "a customer of its own, with no history");
    assert_eq!(stranger["appointments"], json!([]));

    // The real customer is sent a private link, on file, and only one a day however often the
    // stranger writes.
    let token = manage_token(&app).await.expect("a manage link to the customer on file");
    assert_eq!(token.len(), 43);
    let delivered = app.outbox.delivered();
    let sent = delivered.iter().find(|m| m.body.contains(&token)).unwrap();
    assert_eq!(sent.to, "jordan@example.com", "to the contact on file");
    let stored = outbound(&lead(&app, &key, &id).await).pop().unwrap();
    assert!(stored.contains("[private link]") && !stored.contains(&token), "only delivery holds the link: {stored}");
    let anywhere = format!("SELECT COUNT(*) FROM messages WHERE body LIKE '%{token}%'");
    assert_eq!(app.admin_count(&anywhere).await, 0);
    accept(&app, &key, &attack).await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM manage_links").await, 1);
    let hash = squad::link_tokens::token_hash(&token);
    assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM manage_links WHERE token_hash = '{hash}'")).await, 1);
    assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM manage_links WHERE token_hash = '{token}'")).await, 0);

    // Nobody without a booking gets links.
    let unknown = json!({ "channel": "form", "from": { "email": "nobody@example.com" }, "body": "Cancel it" });
    accept(&app, &key, &unknown).await;
    accept(&app, &key, &unknown).await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM manage_links").await, 1);
}

async fn a_sender_the_caller_vouches_for_continues_the_thread(app: TestApp) {
    let (key, id) = booked(&app).await;
    let again = accept(&app, &key, &vouched(furnace("jordan@example.com"))).await;
    assert_eq!((again["continued"].as_bool(), again["lead_id"].as_str()), (Some(true), Some(id.as_str())));
    assert_eq!(again["sender_proof"], "api_assertion");
    let lead = lead(&app, &key, &id).await;
    let last_inbound = lead["messages"].as_array().unwrap().iter().rev().find(|m| m["author"] == "customer").unwrap();
    assert_eq!(last_inbound["sender_proof"], "api_assertion");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM manage_links").await, 0);
}

async fn the_manage_link_cancels_the_booking_once_and_opens_nothing_else(app: TestApp) {
    let (key, id) = booked(&app).await;
    // Another shop with its own booking, which no link of this one may reach.
    let other = app.create_org("Other Shop").await;
    let other_lead = accept(&app, &other.api_key, &vouched(furnace("jordan@example.com"))).await;

    let attack = json!({ "channel": "form", "from": { "email": "jordan@example.com" }, "body": "Cancel my booking" });
    accept(&app, &key, &attack).await;
    let token = manage_token(&app).await.unwrap();
    let other_id = other_lead["lead_id"].as_str().unwrap();
    let other_messages = lead(&app, &other.api_key, other_id).await["messages"].as_array().unwrap().len();

    let page = app.client.get(app.url(&format!("/manage/{token}"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let cache = page.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(cache.as_deref(), Some("private, no-store"), "a page behind a private link is never cached");
    let html = page.text().await.unwrap();
    assert!(html.contains("Your booking") && html.contains("Jordan Miles"), "{html}");

    for bad in ["short", &"A".repeat(43), &token[..42]] {
        let (status, _) = post(&app, "/api/manage/cancel", &[("token", bad)]).await;
        assert_eq!(status, 404, "{bad}");
    }
    assert_eq!(lead(&app, &key, &id).await["stage"], "booked");

    let (status, body) = post(&app, "/api/manage/cancel", &[("token", &token)]).await;
    assert_eq!(status, 200, "{body}");
    let after = lead(&app, &key, &id).await;
    assert_eq!(after["stage"], "disqualified");
    assert_eq!(after["appointments"][0]["status"], "cancelled");

    let (again, _) = post(&app, "/api/manage/cancel", &[("token", &token)]).await;
    assert_eq!(again, 404, "a link works once");
    let (write, _) = post(&app, "/api/manage/write", &[("token", &token), ("body", "Hello?")]).await;
    assert_eq!(write, 404);
    let gone = app.client.get(app.url(&format!("/manage/{token}"))).send().await.unwrap();
    assert!(gone.text().await.unwrap().contains("This link no longer works"));

    let untouched = lead(&app, &other.api_key, other_id).await;
    assert_eq!(untouched["messages"].as_array().unwrap().len(), other_messages, "the other shop's lead is untouched");
    let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'booking cancelled through a manage link'";
    assert_eq!(app.admin_count(audited).await, 1);
}

async fn a_message_through_the_manage_link_continues_the_booked_lead(app: TestApp) {
    let (key, id) = booked(&app).await;
    accept(&app, &key, &json!({ "channel": "form", "from": { "email": "jordan@example.com" }, "body": "Move it" }))
        .await;
    let token = manage_token(&app).await.unwrap();

    let (status, body) = post(&app, "/api/manage/write", &[("token", &token), ("body", "   ")]).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) =
        post(&app, "/api/manage/write", &[("token", &token), ("body", "Could you come Thursday afternoon instead?")])
            .await;
    assert_eq!(status, 200, "{body}");
    let after = lead(&app, &key, &id).await;
    let last = after["messages"].as_array().unwrap().iter().rev().find(|m| m["author"] == "customer").unwrap();
    assert_eq!(last["body"], "Could you come Thursday afternoon instead?");
    assert_eq!(last["sender_proof"], "manage_link");
    let queued =
        format!("SELECT COUNT(*) FROM jobs WHERE kind = 'run_squad' AND status = 'queued' AND payload LIKE '%{id}%'");
    assert_eq!(app.admin_count(&queued).await, 1, "the squad picks the booked lead up again");
    let (again, _) = post(&app, "/api/manage/write", &[("token", &token), ("body", "And again")]).await;
    assert_eq!(again, 404, "a link works once");
}
