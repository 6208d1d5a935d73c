//! The one permission table, seen through both doors: every owner-only operation answers 403 to
//! staff through the REST API (a staff API key, and a token minted from it) and through the
//! dashboard's server functions (a staff member's session) — and nothing changes when it does.

use domain::Role;
use reqwest::Method;
use serde_json::{json, Value};
use store::escalations::{self, NewEscalation};
use store::TenantTx;

use crate::helpers::{get, post, Org, TestApp};
use crate::on_both_backends;
use crate::squad::{furnace, inbound};
use crate::team::{invite, join};

on_both_backends!(
    owner_only_operations_refuse_staff_through_the_api,
    owner_only_operations_refuse_staff_in_the_dashboard,
);

/// Two pending escalations on a new lead of `org`: an `approval` (a guardrail parked an action for
/// the owner) and a `manipulation`; their ids.
pub(crate) async fn escalations_for(app: &TestApp, org: &Org) -> (String, String) {
    let lead = inbound(app, &org.api_key, furnace("esc@example.com")).await;
    let lead = domain::LeadId::parse(&lead).unwrap();
    let scope = store::Operator::new("test").act_for(org.id, None, Role::Owner);
    let mut tx = TenantTx::begin(&app.db, &scope).await.unwrap();
    let mut ids = Vec::new();
    for kind in ["approval", "manipulation"] {
        let new = NewEscalation {
            lead_id: lead,
            run_id: None,
            kind,
            reason: "test escalation",
            proposed_action: json!({ "tool": "send_invoice" }),
        };
        ids.push(escalations::insert(&mut tx, &new).await.unwrap());
    }
    tx.commit().await.unwrap();
    let (approval, manipulation) = (ids[0].clone(), ids[1].clone());
    (approval, manipulation)
}

async fn put_settings(app: &TestApp, key: &str, settings: &Value) -> u16 {
    let response = app.api(Method::PUT, "/api/v1/settings", key).await.json(settings).send().await.unwrap();
    response.status().as_u16()
}

async fn decide(app: &TestApp, key: &str, id: &str) -> u16 {
    let path = format!("/api/v1/escalations/{id}/decision");
    let response = app.api(Method::POST, &path, key).await.json(&json!({ "approve": false })).send().await.unwrap();
    response.status().as_u16()
}

/// A change to the settings document.
type Change = fn(&mut Value);

async fn owner_only_operations_refuse_staff_through_the_api(app: TestApp) {
    let org = app.create_org("Rights Heating").await;
    let staff_key = app.api_key_with_role(&org, Role::Staff).await;
    let token: Value =
        app.api(Method::POST, "/api/v1/tokens", &staff_key).await.send().await.unwrap().json().await.unwrap();
    let staff_token = token["access_token"].as_str().unwrap().to_owned();
    let me: Value = app.api_json("/api/v1/me", &staff_token).await;
    assert_eq!(me["role"], "staff", "a token acts with its key's role");

    let original: Value = app.api_json("/api/v1/settings", &org.api_key).await;
    let owner_only_changes: [(&str, Change); 6] = [
        ("run budget", |s| s["run_budget_micros"] = json!(9_000_000)),
        ("daily budget", |s| s["daily_budget_micros"] = json!(1)),
        ("invoice approval threshold", |s| s["invoice_approval_above_cents"] = json!(100_000_000)),
        ("guardrail", |s| s["policies"]["guardrails"]["discounts"] = json!("block")),
        ("escalation timeouts", |s| s["policies"]["escalation_timeouts"] = json!({})),
        ("models", |s| s["policies"]["models"] = json!({ "lead_response": { "temperature": 0.9 } })),
    ];
    for (what, change) in owner_only_changes {
        let mut changed = original.clone();
        change(&mut changed);
        for credential in [&staff_key, &staff_token] {
            assert_eq!(put_settings(&app, credential, &changed).await, 403, "staff changing the {what}");
        }
    }
    let unchanged: Value = app.api_json("/api/v1/settings", &org.api_key).await;
    assert_eq!(unchanged, original, "nothing refused was saved");

    let mut tax = original.clone();
    tax["tax_rate_bps"] = json!(825);
    assert_eq!(put_settings(&app, &staff_key, &tax).await, 200, "staff may change the business's details");

    let audit = app.api(Method::GET, "/api/v1/audit", &staff_key).await.send().await.unwrap();
    assert_eq!(audit.status(), 403, "the audit log is the owner's");

    let (approval, manipulation) = escalations_for(&app, &org).await;
    assert_eq!(decide(&app, &staff_key, &approval).await, 403, "an approval is the owner's to decide");
    assert_eq!(decide(&app, &staff_token, &approval).await, 403);
    assert_eq!(decide(&app, &staff_key, &manipulation).await, 200, "staff decide the other escalations");
    let pending: Vec<Value> = app.api_json("/api/v1/escalations?status=pending", &org.api_key).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0]["id"], approval.as_str(), "the refused decision left the approval pending");
    assert_eq!(decide(&app, &org.api_key, &approval).await, 200, "the owner's key decides it");
}

async fn owner_only_operations_refuse_staff_in_the_dashboard(app: TestApp) {
    let org = app.create_org("Rights Plumbing").await;
    app.log_in(&org.owner_email, &org.password).await;
    let token = invite(&app, "staff@example.com").await;
    let staff = join(&app, &token, "Sam Staff", "staff password 123").await;
    let (approval, manipulation) = escalations_for(&app, &org).await;

    let setup = get(&app, "/api/setup").await.1;
    // The operations form as saved, with one field changed.
    let operations = |field: &str, value: &str| -> Vec<(String, String)> {
        [
            "booking_buffer_minutes",
            "reminder_hours",
            "tax_rate_percent",
            "invoice_approval_above",
            "run_budget",
            "daily_budget",
        ]
        .into_iter()
        .map(|f| {
            let saved = setup[f].as_str().map_or_else(|| setup[f].to_string(), str::to_owned);
            (f.to_owned(), if f == field { value.to_owned() } else { saved })
        })
        .collect()
    };

    for (field, value) in [("run_budget", "99.00"), ("daily_budget", "0.01"), ("invoice_approval_above", "1000000")] {
        let status = post(&staff, "/api/setup/operations", &pairs(&operations(field, value))).await.0;
        assert_eq!(status, 403, "staff changing {field}");
    }
    let policies = [
        ("discounts", "block"),
        ("new_payment_address", "require_approval"),
        ("booking_outside_rules", "block"),
        ("approval_fallback", "wait"),
        ("approval_after_hours", "24"),
        ("manipulation_fallback", "wait"),
        ("manipulation_after_hours", "24"),
        ("limit_fallback", "wait"),
        ("limit_after_hours", "24"),
        ("language_fallback", "wait"),
        ("language_after_hours", "24"),
    ];
    let (status, body) = crate::models::save(&staff, &[]).await;
    assert_eq!(status, 403, "/api/settings/models/save: {body}");
    let refused: [(&str, Vec<(&str, &str)>); 5] = [
        ("/api/setup/policies", policies.to_vec()),
        ("/api/team/invite", vec![("email", "another@example.com")]),
        ("/api/api-keys/create", vec![("name", "Zapier"), ("role", "owner")]),
        ("/api/approvals/decide", vec![("id", approval.as_str()), ("approve", "true")]),
        ("/api/team/invitations/revoke", vec![("id", "0190a0a0-0000-7000-8000-000000000000")]),
    ];
    for (path, form) in &refused {
        let (status, body) = post(&staff, path, form).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    let after = get(&app, "/api/setup").await.1;
    assert_eq!(after["policies"], setup["policies"], "nothing refused was saved");
    for f in ["run_budget", "daily_budget", "invoice_approval_above"] {
        assert_eq!(after[f], setup[f], "{f}");
    }
    let keys = get(&app, "/api/api-keys/list").await.1;
    assert_eq!(keys.as_array().unwrap().len(), 1, "no key was made");

    let tax = operations("tax_rate_percent", "8.25");
    assert_eq!(post(&staff, "/api/setup/operations", &pairs(&tax)).await.0, 200, "staff may change the tax rate");
    let decided = post(&staff, "/api/approvals/decide", &[("id", manipulation.as_str()), ("approve", "false")]).await;
    assert_eq!(decided.0, 200, "staff decide escalations that are not approvals: {}", decided.1);
    let owner_decides = post(&app, "/api/approvals/decide", &[("id", approval.as_str()), ("approve", "false")]).await;
    assert_eq!(owner_decides.0, 200, "{}", owner_decides.1);
}

fn pairs(owned: &[(String, String)]) -> Vec<(&str, &str)> {
    owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
