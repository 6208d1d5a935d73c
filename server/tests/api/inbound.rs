//! POST /api/v1/inbound and the leads it creates: one transaction, continuation of open leads,
//! validation, and the two-tenant wall.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    an_inquiry_becomes_a_customer_a_lead_a_message_and_a_queued_run,
    a_reply_continues_the_open_lead_and_a_closed_lead_starts_fresh,
    bad_inquiries_are_refused_and_nothing_is_stored,
    org_b_cannot_see_org_a_leads,
    an_unnamed_sender_is_named_by_their_address_however_long,
    the_wrong_content_type_or_query_gets_the_documented_status,
    a_retried_message_is_answered_once_and_stored_once,
    a_subject_reaches_the_squad_as_one_line,
);

fn inquiry(email: &str, body: &str) -> Value {
    json!({
        "channel": "email",
        "from": { "name": "Jordan Miles", "email": email, "phone": "(312) 555-0142" },
        "subject": "No heat",
        "body": body,
        "address": "12 Elm St, Chicago, IL 60601"
    })
}

fn verified(mut body: Value) -> Value {
    body["sender_verified"] = json!(true);
    body
}

async fn post(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.api(Method::POST, "/api/v1/inbound", key).await.json(body).send().await.unwrap()
}

async fn an_inquiry_becomes_a_customer_a_lead_a_message_and_a_queued_run(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let response =
        post(&app, &org.api_key, &inquiry("jordan@example.com", "Our furnace stopped working last night.")).await;
    assert_eq!(response.status(), 202);
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["continued"], false);
    let lead_id = accepted["lead_id"].as_str().unwrap();

    let lead: Value = app
        .api(Method::GET, &format!("/api/v1/leads/{lead_id}"), &org.api_key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lead["stage"], "new");
    assert_eq!(lead["waiting_on"], "none");
    assert_eq!(lead["channel"], "email");
    assert_eq!(lead["customer"]["name"], "Jordan Miles");
    assert_eq!(lead["customer"]["postal_code"], "60601");
    assert_eq!(lead["messages"].as_array().unwrap().len(), 1);
    assert_eq!(lead["messages"][0]["id"], accepted["message_id"]);
    assert_eq!(lead["messages"][0]["author"], "customer");
    assert_eq!(lead["messages"][0]["body"], "Our furnace stopped working last night.");
    assert_eq!(lead["steps"], json!([]));

    let queued = app
        .admin_count(&format!(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'run_squad' AND status = 'queued' AND idempotency_key = 'inbound:{}'",
            accepted["message_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(queued, 1, "the squad's run is queued with the inquiry");
}

async fn a_reply_continues_the_open_lead_and_a_closed_lead_starts_fresh(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let first: Value =
        post(&app, &org.api_key, &inquiry("jordan@example.com", "Furnace is out.")).await.json().await.unwrap();
    // Each follow-up comes from a sender the caller verified; an unverified one would start a
    // lead of its own (see identity.rs).
    let reply = json!({ "channel": "sms", "from": { "phone": "(312) 555-0142" }, "body": "Tuesday morning works",
                        "sender_verified": true });
    let second: Value = post(&app, &org.api_key, &reply).await.json().await.unwrap();
    assert_eq!(second["continued"], true);
    assert_eq!(second["lead_id"], first["lead_id"], "the same customer's open lead");
    let by_email_case: Value =
        post(&app, &org.api_key, &verified(inquiry("JORDAN@example.com", "Any update?"))).await.json().await.unwrap();
    assert_eq!(by_email_case["lead_id"], first["lead_id"]);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers").await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM messages").await, 3);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs").await, 3, "one run per message");

    app.admin_execute(&format!("UPDATE leads SET stage = 'paid' WHERE id = '{}'", first["lead_id"].as_str().unwrap()))
        .await;
    let later: Value = post(&app, &org.api_key, &verified(inquiry("jordan@example.com", "AC is making noise now")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(later["continued"], false);
    assert_ne!(later["lead_id"], first["lead_id"]);

    let paid: Vec<Value> = app
        .api(Method::GET, "/api/v1/leads?stage=paid", &org.api_key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(paid.len(), 1);
    let all: Vec<Value> =
        app.api(Method::GET, "/api/v1/leads", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["id"], later["lead_id"], "most recently active first");
}

async fn bad_inquiries_are_refused_and_nothing_is_stored(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let long = "x".repeat(20_001);
    for (body, field) in [
        (json!({ "channel": "fax", "from": { "email": "a@example.com" }, "body": "hi" }), "channel"),
        (json!({ "channel": "email", "from": { "name": "Nobody" }, "body": "hi" }), "from"),
        (json!({ "channel": "email", "from": { "email": "not-an-email" }, "body": "hi" }), "from.email"),
        (json!({ "channel": "sms", "from": { "phone": "call me" }, "body": "hi" }), "from.phone"),
        (json!({ "channel": "email", "from": { "email": "a@example.com" }, "body": "   " }), "body"),
        (json!({ "channel": "email", "from": { "email": "a@example.com" }, "body": long }), "body"),
    ] {
        let response = post(&app, &org.api_key, &body).await;
        assert_eq!(response.status(), 422, "{field}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field);
    }
    let bad_stage = app.api(Method::GET, "/api/v1/leads?stage=won", &org.api_key).await.send().await.unwrap();
    assert_eq!(bad_stage.status(), 422);
    for table in ["customers", "leads", "messages", "jobs"] {
        assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM {table}")).await, 0, "{table}");
    }
}

async fn org_b_cannot_see_org_a_leads(app: TestApp) {
    let a = app.create_org("Org A").await;
    let b = app.create_org("Org B").await;
    let accepted: Value =
        post(&app, &a.api_key, &inquiry("jordan@example.com", "Furnace is out.")).await.json().await.unwrap();
    let path = format!("/api/v1/leads/{}", accepted["lead_id"].as_str().unwrap());
    assert_eq!(app.api(Method::GET, &path, &b.api_key).await.send().await.unwrap().status(), 404);
    let listed: Vec<Value> =
        app.api(Method::GET, "/api/v1/leads", &b.api_key).await.send().await.unwrap().json().await.unwrap();
    assert!(listed.is_empty());

    // The same person writing to B is B's customer, with B's own lead.
    let in_b: Value =
        post(&app, &b.api_key, &inquiry("jordan@example.com", "Also need a quote")).await.json().await.unwrap();
    assert_eq!(in_b["continued"], false);
    assert_ne!(in_b["lead_id"], accepted["lead_id"]);
    let a_lead: Value = app.api(Method::GET, &path, &a.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(a_lead["messages"].as_array().unwrap().len(), 1, "nothing of B's landed in A's lead");
}

async fn an_unnamed_sender_is_named_by_their_address_however_long(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let address = format!("{}@{}.example.com", "a".repeat(64), "b".repeat(150));
    let body = json!({ "channel": "email", "from": { "name": "  ", "email": address }, "body": "No heat." });
    let response = post(&app, &org.api_key, &body).await;
    assert_eq!(response.status(), 202, "a valid inquiry is accepted");
    let accepted: Value = response.json().await.unwrap();
    let lead: Value =
        app.api_json(&format!("/api/v1/leads/{}", accepted["lead_id"].as_str().unwrap()), &org.api_key).await;
    let name = lead["customer"]["name"].as_str().unwrap();
    assert_eq!(name.chars().count(), domain::PersonName::MAX_CHARS, "{name}");
    assert!(address.starts_with(name));
}

async fn the_wrong_content_type_or_query_gets_the_documented_status(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let body = r#"{ "channel": "email", "from": { "email": "a@example.com" }, "body": "hi" }"#;
    let untyped = app.api(Method::POST, "/api/v1/inbound", &org.api_key).await.body(body).send().await.unwrap();
    assert_eq!(untyped.status(), 415, "a body not declared as JSON");
    let error: Value = untyped.json().await.unwrap();
    assert_eq!(error["error"]["code"], "unsupported_media_type");
    for query in ["?limit=abc", "?limit=5&limit=6"] {
        let response =
            app.api(Method::GET, &format!("/api/v1/customers{query}"), &org.api_key).await.send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "validation", "{query}");
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 0);
}

async fn a_retried_message_is_answered_once_and_stored_once(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut body = inquiry("retry@example.com", "Furnace is out.");
    body["external_id"] = json!("zap-7781");
    let first = post(&app, &org.api_key, &body).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["replayed"], false);

    // The integration timed out and sends it again, the same id in the body or as the header.
    let again: Value = post(&app, &org.api_key, &body).await.json().await.unwrap();
    assert_eq!(
        (&again["lead_id"], &again["message_id"], &again["replayed"]),
        (&first["lead_id"], &first["message_id"], &json!(true))
    );
    let mut headed = inquiry("retry@example.com", "Furnace is out.");
    headed["external_id"] = Value::Null;
    let by_header = app
        .api(Method::POST, "/api/v1/inbound", &org.api_key)
        .await
        .header("Idempotency-Key", "zap-7781")
        .json(&headed)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 202);
    assert_eq!(by_header.json::<Value>().await.unwrap()["message_id"], first["message_id"]);
    // Retries racing each other still store one message.
    let racing = futures::future::join_all((0..4).map(|_| post(&app, &org.api_key, &body))).await;
    assert!(racing.iter().all(|r| r.status() == 202));

    assert_eq!(app.admin_count("SELECT COUNT(*) FROM messages").await, 1, "one message");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 1, "one lead");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'run_squad'").await, 1, "one run, one reply");

    let conflicting = app
        .api(Method::POST, "/api/v1/inbound", &org.api_key)
        .await
        .header("Idempotency-Key", "zap-0000")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(conflicting.status(), 422, "two different ids for one message");

    // Another org's identical id is its own message.
    let other = app.create_org("Other Heating").await;
    let theirs: Value = post(&app, &other.api_key, &body).await.json().await.unwrap();
    assert_eq!(theirs["replayed"], false);
}

async fn a_subject_reaches_the_squad_as_one_line(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut body = inquiry("crlf@example.com", "Furnace is out.");
    body["subject"] = json!("No heat\r\nBcc: everyone@example.com");
    let accepted: Value = post(&app, &org.api_key, &body).await.json().await.unwrap();
    let lead: Value =
        app.api_json(&format!("/api/v1/leads/{}", accepted["lead_id"].as_str().unwrap()), &org.api_key).await;
    assert_eq!(lead["messages"][0]["subject"], "No heat Bcc: everyone@example.com");
}
