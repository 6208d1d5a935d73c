//! /api/v1/customers: CRUD, validation, and the two-tenant wall.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    create_read_update_delete,
    invalid_input_is_refused_with_the_field_and_nothing_is_saved,
    org_b_cannot_read_list_change_or_delete_org_a_customers,
);

async fn create(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    app.api(Method::POST, "/api/v1/customers", key).await.json(&body).send().await.unwrap()
}

async fn create_read_update_delete(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let created = create(
        &app,
        &org.api_key,
        json!({
            "name": "Jordan Miles", "email": "Jordan@Example.COM", "phone": "(555) 010-2030",
            "address": "12 Elm St", "postal_code": "10001"
        }),
    )
    .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["email"], "Jordan@example.com");
    assert_eq!(created["phone"], "+15550102030", "kept in one form, the one texts arrive from");
    let id = created["id"].as_str().unwrap();
    // Found however the number is typed.
    let scope = store::Operator::new("test").act_for(org.id, None, domain::Role::Owner);
    let mut tx = store::TenantTx::read(&app.db, &scope).await.unwrap();
    for typed in ["010-2030", "(555) 010", "+1 555 010 2030"] {
        assert_eq!(store::customers::search(&mut tx, typed, 10).await.unwrap().len(), 1, "{typed}");
    }
    let texting = store::customers::find_by_contact(&mut tx, None, Some("+15550102030")).await.unwrap();
    assert_eq!(texting.map(|c| c.id.to_string()).as_deref(), Some(id), "the same customer when they text");
    tx.commit().await.unwrap();

    let fetched: Value = app
        .api(Method::GET, &format!("/api/v1/customers/{id}"), &org.api_key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, created);

    let patched = app
        .api(Method::PATCH, &format!("/api/v1/customers/{id}"), &org.api_key)
        .await
        .json(&json!({ "phone": null, "notes": "Prefers mornings" }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["phone"], Value::Null, "null clears a field");
    assert_eq!(patched["email"], "Jordan@example.com", "absent fields stay");
    assert_eq!(patched["notes"], "Prefers mornings");

    let list: Vec<Value> =
        app.api(Method::GET, "/api/v1/customers", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(list.len(), 1);

    let deleted = app.api(Method::DELETE, &format!("/api/v1/customers/{id}"), &org.api_key).await.send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = app.api(Method::GET, &format!("/api/v1/customers/{id}"), &org.api_key).await.send().await.unwrap();
    assert_eq!(gone.status(), 404);
}

async fn invalid_input_is_refused_with_the_field_and_nothing_is_saved(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    for (body, field) in [
        (json!({ "name": "" }), Some("name")),
        (json!({ "name": "Jo", "email": "not an email" }), Some("email")),
        (json!({ "name": "Jo", "phone": "call me maybe" }), Some("phone")),
        (json!({ "name": "Jo", "postal_code": "x".repeat(17) }), Some("postal_code")),
        (json!({ "name": "Jo", "org_id": "someone else's" }), None),
        (json!({ "email": "jo@example.com" }), None),
    ] {
        let response = create(&app, &org.api_key, body.clone()).await;
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "validation", "{body}");
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field, "{body}");
        }
    }
    let not_json = app
        .api(Method::POST, "/api/v1/customers", &org.api_key)
        .await
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let bad_limit = app.api(Method::GET, "/api/v1/customers?limit=0", &org.api_key).await.send().await.unwrap();
    assert_eq!(bad_limit.status(), 422);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers").await, 0);
}

async fn org_b_cannot_read_list_change_or_delete_org_a_customers(app: TestApp) {
    let a = app.create_org("Org A").await;
    let b = app.create_org("Org B").await;
    let created: Value = create(&app, &a.api_key, json!({ "name": "Alice of A", "email": "alice@a.example.com" }))
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/customers/{id}");

    let read = app.api(Method::GET, &path, &b.api_key).await.send().await.unwrap();
    assert_eq!(read.status(), 404);
    let list: Vec<Value> =
        app.api(Method::GET, "/api/v1/customers", &b.api_key).await.send().await.unwrap().json().await.unwrap();
    assert!(list.is_empty());
    let update =
        app.api(Method::PATCH, &path, &b.api_key).await.json(&json!({ "name": "Mallory" })).send().await.unwrap();
    assert_eq!(update.status(), 404);
    let delete = app.api(Method::DELETE, &path, &b.api_key).await.send().await.unwrap();
    assert_eq!(delete.status(), 404);

    let still: Value = app.api(Method::GET, &path, &a.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(still, created, "org A's customer is untouched");

    let malformed = app.api(Method::GET, "/api/v1/customers/not-a-uuid", &a.api_key).await.send().await.unwrap();
    assert_eq!(malformed.status(), 404);
}
