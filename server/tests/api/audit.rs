//! The audit log: every mutation through either door — the REST API or the dashboard's server
//! functions — is one entry naming who made it (the API key or the person), and
//! `GET /api/v1/audit` pages through them for the owner and for no other org.

use std::sync::Arc;

use domain::Role;
use reqwest::Method;
use serde_json::{json, Value};
use squad::offline::OfflineModel;

use crate::dashboard::{post_json, week};
use crate::helpers::{get, post, TestApp};
use crate::on_both_backends;
use crate::permissions::escalations_for;
use crate::squad::{booked_and_completed, lead};
use crate::team::invite;

on_both_backends!(
    every_mutation_through_the_api_is_audited_with_its_key,
    every_mutation_in_the_dashboard_is_audited_with_its_person,
    the_audit_log_pages_newest_first_and_stays_in_its_org,
);

async fn audit(app: &TestApp, key: &str, query: &str) -> Value {
    let response = app.api(Method::GET, &format!("/api/v1/audit{query}"), key).await.send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn send(app: &TestApp, method: Method, path: &str, key: &str, body: Option<Value>) -> Value {
    let mut request = app.api(method, path, key).await;
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

/// The actions of the log's entries, newest first.
fn actions(page: &Value) -> Vec<String> {
    page["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

fn assert_has(actions: &[String], expected: &str) {
    assert!(actions.iter().any(|a| a.starts_with(expected)), "no `{expected}` entry in {actions:#?}");
}

async fn every_mutation_through_the_api_is_audited_with_its_key(app: TestApp) {
    let demo = app.demo().await;
    let key = demo.api_key.clone();
    app.admin_execute("DELETE FROM audit_log").await;

    let mut settings: Value = app.api_json("/api/v1/settings", &key).await;
    settings["tax_rate_bps"] = json!(700);
    send(&app, Method::PUT, "/api/v1/settings", &key, Some(settings)).await;
    let service = json!({ "name": "Sump pump install", "pricing": "flat", "price_cents": 45000, "duration_minutes": 120,
        "emergency_fee_cents": 0, "taxable": true, "skill": "sump_pump", "active": true });
    let created = send(&app, Method::POST, "/api/v1/services", &key, Some(service.clone())).await;
    let path = format!("/api/v1/services/{}", created["id"].as_str().unwrap());
    let mut cheaper = service;
    cheaper["price_cents"] = json!(40000);
    send(&app, Method::PUT, &path, &key, Some(cheaper)).await;
    send(&app, Method::DELETE, &path, &key, None).await;
    let technician = json!({ "name": "Rita Volt", "skills": ["plumbing"] });
    let created = send(&app, Method::POST, "/api/v1/technicians", &key, Some(technician.clone())).await;
    let path = format!("/api/v1/technicians/{}", created["id"].as_str().unwrap());
    send(&app, Method::PUT, &path, &key, Some(json!({ "name": "Rita Volt", "skills": ["plumbing", "drain"] }))).await;
    send(&app, Method::DELETE, &path, &key, None).await;
    let created = send(&app, Method::POST, "/api/v1/customers", &key, Some(json!({ "name": "Ada Park" }))).await;
    let path = format!("/api/v1/customers/{}", created["id"].as_str().unwrap());
    send(&app, Method::PATCH, &path, &key, Some(json!({ "phone": "(217) 555-0199" }))).await;
    send(&app, Method::DELETE, &path, &key, None).await;

    // Booked, completed (through the API) and billed; then paid by check.
    let lead_id = booked_and_completed(&app, &key, "audit@example.com").await;
    let invoice = lead(&app, &key, &lead_id).await["invoices"][0]["id"].as_str().unwrap().to_owned();
    let payment = json!({ "amount_cents": 100, "method": "check", "reference": "check 1001" });
    send(&app, Method::POST, &format!("/api/v1/invoices/{invoice}/payments"), &key, Some(payment)).await;
    let memory: Vec<Value> = app.api_json("/api/v1/memory", &key).await;
    let forgotten = memory.first().expect("the squad remembered the run")["id"].as_str().unwrap().to_owned();
    send(&app, Method::DELETE, &format!("/api/v1/memory/{forgotten}"), &key, None).await;
    let org = crate::helpers::Org {
        id: domain::OrgId::parse(&demo.org_id).unwrap(),
        api_key: key.clone(),
        owner_email: demo.owner_email.clone(),
        password: demo.password.clone(),
    };
    let (_, manipulation) = escalations_for(&app, &org).await;
    let path = format!("/api/v1/escalations/{manipulation}/decision");
    send(&app, Method::POST, &path, &key, Some(json!({ "approve": false, "note": "Spam." }))).await;
    app.worker(Arc::new(OfflineModel)).drain().await.unwrap();

    let page = audit(&app, &key, "?limit=200").await;
    let actions = actions(&page);
    for expected in [
        "settings replaced",
        "service added: Sump pump install",
        "service changed: Sump pump install",
        "service removed: Sump pump install",
        "technician added: Rita Volt",
        "technician changed: Rita Volt",
        "technician removed: Rita Volt",
        "customer added",
        "customer changed",
        "customer removed",
        "inquiry accepted (email)",
        "appointment completed",
        "payment recorded on invoice",
        "memory entry forgotten",
        "escalation rejected: manipulation",
    ] {
        assert_has(&actions, expected);
    }
    for entry in page["entries"].as_array().unwrap() {
        assert_eq!(entry["user_id"], Value::Null, "{entry}");
        assert_eq!(entry["api_key_name"], "Demo key (opsquad demo)", "every entry names the key: {entry}");
    }
    let replaced = page["entries"].as_array().unwrap().iter().find(|e| e["action"] == "settings replaced").unwrap();
    assert_eq!(replaced["detail"]["changed"]["tax_rate_bps"], json!({ "before": 0, "after": 700 }), "{replaced}");
    let changed = page["entries"].as_array().unwrap().iter().find(|e| e["action"] == "customer changed").unwrap();
    assert_eq!(changed["detail"]["fields"], json!(["phone"]), "names what changed, not the customer's data");
}

async fn every_mutation_in_the_dashboard_is_audited_with_its_person(app: TestApp) {
    let org = app.create_org("Audit Electric").await;
    app.log_in(&org.owner_email, &org.password).await;
    let ok = |(status, body): (u16, Value), what: &str| assert_eq!(status, 200, "{what}: {body}");

    ok(
        post(&app, "/api/setup/profile", &[("business_name", "Audit Electric LLC"), ("time_zone", "America/Chicago")])
            .await,
        "profile",
    );
    ok(post_json(&app, "/api/setup/hours", &json!({ "days": week("08:00", "17:00"), "holidays": "" })).await, "hours");
    ok(
        post(&app, "/api/setup/area", &[("zip_codes", "62704"), ("center_zip", ""), ("radius_miles", "")]).await,
        "area",
    );
    let service = [
        ("name", "Panel upgrade"),
        ("pricing", "flat"),
        ("price", "1800"),
        ("duration_minutes", "240"),
        ("emergency_fee", ""),
        ("skill", "panel_upgrade"),
    ];
    ok(post(&app, "/api/setup/services/add", &service).await, "service");
    let services = get(&app, "/api/setup").await.1["services"].clone();
    let service_id = services[0]["id"].as_str().unwrap().to_owned();
    ok(
        post(&app, "/api/setup/technicians/add", &[("name", "Vic Amp"), ("email", ""), ("skills", "electrical")]).await,
        "technician",
    );
    let technician_id = get(&app, "/api/setup").await.1["technicians"][0]["id"].as_str().unwrap().to_owned();
    ok(post(&app, "/api/setup/step", &[("from", "services"), ("to", "technicians")]).await, "step");
    let operations = [
        ("booking_buffer_minutes", "30"),
        ("reminder_hours", "24, 1"),
        ("tax_rate_percent", "6.25"),
        ("invoice_approval_above", "1000"),
        ("run_budget", "0.50"),
        ("daily_budget", "25"),
    ];
    ok(post(&app, "/api/setup/operations", &operations).await, "operations");
    let policies = [
        ("discounts", "block"),
        ("new_payment_address", "require_approval"),
        ("booking_outside_rules", "block"),
        ("approval_fallback", "wait"),
        ("approval_after_hours", "24"),
        ("manipulation_fallback", "reject"),
        ("manipulation_after_hours", "48"),
        ("limit_fallback", "wait"),
        ("limit_after_hours", "24"),
        ("language_fallback", "wait"),
        ("language_after_hours", "24"),
    ];
    ok(post(&app, "/api/setup/policies", &policies).await, "policies");
    ok(crate::models::save(&app, &[]).await, "models");
    let (status, lead) = post(&app, "/api/board/test-inquiry", &[("body", "My breaker keeps tripping. 62704")]).await;
    ok((status, lead.clone()), "test inquiry");
    let lead = lead.as_str().unwrap().to_owned();
    ok(post(&app, "/api/leads/takeover", &[("id", lead.as_str()), ("take_over", "true")]).await, "takeover");
    ok(
        post(&app, "/api/leads/reply", &[("id", lead.as_str()), ("body", "We'll call you in ten minutes.")]).await,
        "reply",
    );
    ok(post(&app, "/api/leads/takeover", &[("id", lead.as_str()), ("take_over", "false")]).await, "hand back");
    let joining = invite(&app, "joiner@example.com").await;
    crate::team::join(&app, &joining, "Jo Iner", "joiner password 123").await;
    invite(&app, "helper@example.com").await;
    let invitation = get(&app, "/api/team").await.1["invitations"][0]["id"].as_str().unwrap().to_owned();
    ok(post(&app, "/api/team/invitations/revoke", &[("id", invitation.as_str())]).await, "withdraw");
    let (status, key) = post(&app, "/api/api-keys/create", &[("name", "Front desk"), ("role", "staff")]).await;
    ok((status, key.clone()), "key");
    assert_eq!(key["view"]["role"], "staff");
    let key_id = key["view"]["id"].as_str().unwrap().to_owned();
    ok(post(&app, "/api/api-keys/revoke", &[("id", key_id.as_str())]).await, "revoke key");
    let (_, manipulation) = crate::permissions::escalations_for(&app, &org).await;
    ok(post(&app, "/api/approvals/decide", &[("id", manipulation.as_str()), ("approve", "true")]).await, "decide");
    ok(post(&app, "/api/setup/services/remove", &[("id", service_id.as_str())]).await, "remove service");
    ok(post(&app, "/api/setup/technicians/remove", &[("id", technician_id.as_str())]).await, "remove technician");

    let page = audit(&app, &org.api_key, "?limit=200").await;
    let actions = actions(&page);
    for expected in [
        "business created",
        "joiner@example.com joined the team",
        "profile updated",
        "hours updated",
        "service area updated",
        "service added: Panel upgrade",
        "technician added: Vic Amp",
        "set-up moved to technicians",
        "operations updated",
        "approval rules updated",
        "AI model settings updated",
        "inquiry accepted (form)",
        "conversation taken over",
        "replied to the customer",
        "conversation handed back to the squad",
        "invited helper@example.com",
        "invitation withdrawn: helper@example.com",
        "API key created: Front desk",
        "API key revoked: Front desk",
        "escalation approved: manipulation",
        "service removed: Panel upgrade",
        "technician removed: Vic Amp",
    ] {
        assert_has(&actions, expected);
    }
    let by_person: Vec<&Value> =
        page["entries"].as_array().unwrap().iter().filter(|e| e["user_email"] == org.owner_email.as_str()).collect();
    assert_eq!(
        by_person.len(),
        actions.len() - 2,
        "every dashboard change names the owner, but the API's inquiry (for the escalation) and the joining member's entry"
    );
    let profile = page["entries"].as_array().unwrap().iter().find(|e| e["action"] == "profile updated").unwrap();
    assert_eq!(profile["detail"]["changed"]["business_name"]["after"], "Audit Electric LLC");
    assert_eq!(profile["detail"]["changed"]["time_zone"]["after"], "America/Chicago");
    let rules = page["entries"].as_array().unwrap().iter().find(|e| e["action"] == "approval rules updated").unwrap();
    assert_eq!(rules["detail"]["changed"]["policies.guardrails"]["after"]["discounts"], "block", "{rules}");
}

async fn the_audit_log_pages_newest_first_and_stays_in_its_org(app: TestApp) {
    let a = app.create_org("Pages Heating").await;
    let b = app.create_org("Other Heating").await;
    for n in 0..5 {
        let body = json!({ "name": format!("Customer {n}") });
        send(&app, Method::POST, "/api/v1/customers", &a.api_key, Some(body)).await;
    }
    let first = audit(&app, &a.api_key, "?limit=2").await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 2);
    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    loop {
        seen.extend(page["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()));
        let Some(next) = page["next_before"].as_str() else { break };
        page = audit(&app, &a.api_key, &format!("?limit=2&before={next}")).await;
    }
    assert_eq!(seen.len(), 6, "every entry once across the pages (the sign-up and 5 customers): {seen:?}");
    let all = audit(&app, &a.api_key, "?limit=200").await;
    let ids: Vec<&str> = all["entries"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, seen, "pages follow the newest-first order");

    let other = audit(&app, &b.api_key, "?limit=200").await;
    let theirs = other["entries"].as_array().unwrap();
    assert_eq!(theirs.len(), 1, "another org sees only its own sign-up: {other}");
    assert_eq!(theirs[0]["action"], "business created");
    assert!(!ids.contains(&theirs[0]["id"].as_str().unwrap()));
    let foreign = audit(&app, &b.api_key, &format!("?before={}", ids[0])).await;
    assert_eq!(foreign["entries"], json!([]), "another org's cursor finds nothing");
    let bad = app.api(Method::GET, "/api/v1/audit?limit=0", &a.api_key).await.send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let staff = app.api_key_with_role(&a, Role::Staff).await;
    let refused = app.api(Method::GET, "/api/v1/audit", &staff).await.send().await.unwrap();
    assert_eq!(refused.status(), 403);
}
