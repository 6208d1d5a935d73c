//! /api/v1/settings, /services, /technicians, /work-kinds: validation, CRUD and the two-tenant wall.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    settings_start_sensible_and_are_replaced_whole,
    invalid_settings_are_refused_by_field_and_nothing_changes,
    services_crud_with_unique_names,
    technicians_crud_and_booked_ones_cannot_be_deleted,
    org_b_cannot_touch_org_a_catalog,
    concurrent_saves_of_different_sections_keep_both,
    the_work_catalogue_covers_three_trades_for_readers_only,
    a_service_names_a_kind_of_work_from_the_catalogue,
);

fn valid_settings() -> Value {
    json!({
        "time_zone": "America/Chicago",
        "weekly_hours": {
            "mon": [{ "open": "07:30", "close": "12:00" }, { "open": "13:00", "close": "18:00" }],
            "sat": [{ "open": "09:00", "close": "13:00" }]
        },
        "holidays": ["2026-12-25", "2026-11-26"],
        "service_area": { "zip_codes": ["60601", "60602"], "center_zip": "60601", "radius_miles": 25 },
        "booking_buffer_minutes": 45,
        "reminder_offsets_minutes": [60, 1440],
        "tone": "professional",
        "currency": "USD",
        "tax_rate_bps": 1025,
        "payment_terms_days": 30,
        "run_budget_micros": 250000,
        "daily_budget_micros": 5000000
    })
}

async fn settings_start_sensible_and_are_replaced_whole(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let initial: Value =
        app.api(Method::GET, "/api/v1/settings", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(initial["time_zone"], "America/New_York");
    assert_eq!(initial["weekly_hours"]["mon"][0], json!({ "open": "08:00", "close": "17:00" }));
    assert_eq!(initial["weekly_hours"]["sat"], Value::Null, "closed on weekends");
    assert_eq!(initial["reminder_offsets_minutes"], json!([1440, 60]));

    let put =
        app.api(Method::PUT, "/api/v1/settings", &org.api_key).await.json(&valid_settings()).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let stored: Value =
        app.api(Method::GET, "/api/v1/settings", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(stored["time_zone"], "America/Chicago");
    assert_eq!(stored["holidays"], json!(["2026-11-26", "2026-12-25"]), "sorted");
    assert_eq!(stored["reminder_offsets_minutes"], json!([1440, 60]));
    assert_eq!(stored["weekly_hours"]["mon"][1]["close"], "18:00");
    assert_eq!(stored["service_area"]["radius_miles"], 25);
}

async fn invalid_settings_are_refused_by_field_and_nothing_changes(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let before: Value =
        app.api(Method::GET, "/api/v1/settings", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    let mut cases = Vec::new();
    for (path, value, expect_field) in [
        ("/time_zone", json!("Mars/Olympus"), None),
        ("/weekly_hours", json!({ "tue": [{ "open": "17:00", "close": "08:00" }] }), None),
        (
            "/weekly_hours",
            json!({ "wed": [{ "open": "08:00", "close": "12:00" }, { "open": "11:00", "close": "15:00" }] }),
            None,
        ),
        ("/holidays", json!(["25/12/2026"]), None),
        ("/tax_rate_bps", json!(20000), Some("tax_rate_bps")),
        ("/currency", json!("DOGE"), Some("currency")),
        ("/service_area", json!({ "zip_codes": ["ABCDE"] }), Some("service_area.zip_codes")),
        ("/booking_buffer_minutes", json!(-1), Some("booking_buffer_minutes")),
    ] {
        let mut body = valid_settings();
        *body.pointer_mut(path).unwrap() = value;
        cases.push((body, expect_field));
    }
    let mut unknown = valid_settings();
    unknown["owner_override"] = json!(true);
    cases.push((unknown, None));
    for (body, field) in cases {
        let response = app.api(Method::PUT, "/api/v1/settings", &org.api_key).await.json(&body).send().await.unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "validation");
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field);
        }
    }
    let after: Value =
        app.api(Method::GET, "/api/v1/settings", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(before, after);
}

fn furnace() -> Value {
    json!({ "name": "Furnace repair", "pricing": "flat", "price_cents": 18900, "duration_minutes": 120,
            "emergency_fee_cents": 9900, "skill": "Furnace Repair" })
}

async fn services_crud_with_unique_names(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let created = app.api(Method::POST, "/api/v1/services", &org.api_key).await.json(&furnace()).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["skill"], "furnace_repair");
    assert_eq!(created["taxable"], true);
    let id = created["id"].as_str().unwrap();

    let duplicate =
        app.api(Method::POST, "/api/v1/services", &org.api_key).await.json(&furnace()).send().await.unwrap();
    assert_eq!(duplicate.status(), 409);

    let mut hourly = furnace();
    hourly["pricing"] = json!("hourly");
    hourly["price_cents"] = json!(9500);
    let replaced =
        app.api(Method::PUT, &format!("/api/v1/services/{id}"), &org.api_key).await.json(&hourly).send().await.unwrap();
    assert_eq!(replaced.status(), 200);
    let replaced: Value = replaced.json().await.unwrap();
    assert_eq!(replaced["pricing"], "hourly");
    assert_eq!(replaced["price_cents"], 9500);

    let mut bad = furnace();
    bad["price_cents"] = json!(-1);
    let refused = app.api(Method::POST, "/api/v1/services", &org.api_key).await.json(&bad).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let mut bad = furnace();
    bad["pricing"] = json!("per_vibe");
    let refused = app.api(Method::POST, "/api/v1/services", &org.api_key).await.json(&bad).send().await.unwrap();
    assert_eq!(refused.status(), 422);

    let list: Vec<Value> =
        app.api(Method::GET, "/api/v1/services", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(list.len(), 1);
    let deleted = app.api(Method::DELETE, &format!("/api/v1/services/{id}"), &org.api_key).await.send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = app.api(Method::GET, &format!("/api/v1/services/{id}"), &org.api_key).await.send().await.unwrap();
    assert_eq!(gone.status(), 404);
}

async fn technicians_crud_and_booked_ones_cannot_be_deleted(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let body = json!({ "name": "Ana Ortiz", "phone": "(312) 555-0100", "skills": ["HVAC", "furnace-repair"],
                       "working_hours": { "tue": [{ "open": "10:00", "close": "19:00" }] } });
    let created = app.api(Method::POST, "/api/v1/technicians", &org.api_key).await.json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["skills"], json!(["furnace_repair", "hvac"]));
    assert_eq!(created["working_hours"]["tue"][0]["open"], "10:00");
    let id = created["id"].as_str().unwrap().to_owned();

    let plain = app
        .api(Method::POST, "/api/v1/technicians", &org.api_key)
        .await
        .json(&json!({ "name": "Ben", "skills": [] }))
        .send()
        .await
        .unwrap();
    let plain: Value = plain.json().await.unwrap();
    assert_eq!(plain["working_hours"], Value::Null, "works the business's hours");

    let inactive = json!({ "name": "Ana Ortiz", "skills": ["hvac"], "active": false });
    let replaced: Value = app
        .api(Method::PUT, &format!("/api/v1/technicians/{id}"), &org.api_key)
        .await
        .json(&inactive)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(replaced["active"], false);
    assert_eq!(replaced["phone"], Value::Null);

    // Give Ana an appointment: now she can only be deactivated.
    let org_id = org.id.to_string();
    app.admin_execute(&format!(
        "INSERT INTO customers (id, org_id, name, created_at, updated_at) VALUES ('c1', '{org_id}', 'Jo', 1, 1)"
    ))
    .await;
    app.admin_execute(&format!("INSERT INTO leads (id, org_id, customer_id, channel, created_at, updated_at) VALUES ('l1', '{org_id}', 'c1', 'api', 1, 1)")).await;
    app.admin_execute(&format!("INSERT INTO appointments (id, org_id, lead_id, technician_id, starts_at, ends_at, created_at, updated_at) VALUES ('a1', '{org_id}', 'l1', '{id}', 0, 3600000, 1, 1)")).await;
    let refused =
        app.api(Method::DELETE, &format!("/api/v1/technicians/{id}"), &org.api_key).await.send().await.unwrap();
    assert_eq!(refused.status(), 409);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM technicians").await, 2);
}

async fn org_b_cannot_touch_org_a_catalog(app: TestApp) {
    let a = app.create_org("Org A").await;
    let b = app.create_org("Org B").await;
    let service: Value = app
        .api(Method::POST, "/api/v1/services", &a.api_key)
        .await
        .json(&furnace())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tech: Value = app
        .api(Method::POST, "/api/v1/technicians", &a.api_key)
        .await
        .json(&json!({ "name": "Ana", "skills": ["hvac"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (path, body) in [
        (format!("/api/v1/services/{}", service["id"].as_str().unwrap()), furnace()),
        (format!("/api/v1/technicians/{}", tech["id"].as_str().unwrap()), json!({ "name": "Mallory" })),
    ] {
        assert_eq!(app.api(Method::GET, &path, &b.api_key).await.send().await.unwrap().status(), 404, "{path}");
        assert_eq!(
            app.api(Method::PUT, &path, &b.api_key).await.json(&body).send().await.unwrap().status(),
            404,
            "{path}"
        );
        assert_eq!(app.api(Method::DELETE, &path, &b.api_key).await.send().await.unwrap().status(), 404, "{path}");
        assert_eq!(app.api(Method::GET, &path, &a.api_key).await.send().await.unwrap().status(), 200, "{path}");
    }
    for list in ["/api/v1/services", "/api/v1/technicians"] {
        let seen: Vec<Value> = app.api(Method::GET, list, &b.api_key).await.send().await.unwrap().json().await.unwrap();
        assert!(seen.is_empty(), "{list}");
    }
    app.api(Method::PUT, "/api/v1/settings", &b.api_key).await.json(&valid_settings()).send().await.unwrap();
    let a_settings: Value =
        app.api(Method::GET, "/api/v1/settings", &a.api_key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(a_settings["time_zone"], "America/New_York", "B's settings are B's alone");
    let fetched: Value = app
        .api(Method::GET, &format!("/api/v1/services/{}", service["id"].as_str().unwrap()), &a.api_key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, service, "A's service is untouched");
}

/// Two people save different sections at the same moment, many times over: every save lands.
/// (Without the row lock, PostgreSQL's read-change-write lets the later save overwrite the other.)
async fn concurrent_saves_of_different_sections_keep_both(app: TestApp) {
    use domain::Role;
    use ops::Operation;

    let org = app.create_org("Race Heating").await;
    let scope = store::Operator::new("test").act_for(org.id, None, Role::Owner);
    for round in 1..=15_i64 {
        let tax = ops::settings::change(&app.db, &scope, Operation::ChangeBusinessDetails, "tax", None, |s| {
            s.tax_rate_bps = round;
            Ok(())
        });
        let buffer = ops::settings::change(&app.db, &scope, Operation::ChangeBusinessDetails, "buffer", None, |s| {
            s.booking_buffer_minutes = round;
            Ok(())
        });
        let threshold =
            ops::settings::change(&app.db, &scope, Operation::ChangeInvoiceThreshold, "threshold", None, |s| {
                s.invoice_approval_above_cents = round * 100;
                Ok(())
            });
        let (tax, buffer, threshold) = tokio::join!(tax, buffer, threshold);
        tax.unwrap();
        buffer.unwrap();
        threshold.unwrap();
        let saved: Value = app.api_json("/api/v1/settings", &org.api_key).await;
        assert_eq!(
            (&saved["tax_rate_bps"], &saved["booking_buffer_minutes"], &saved["invoice_approval_above_cents"]),
            (&json!(round), &json!(round), &json!(round * 100)),
            "round {round}: every concurrent save kept"
        );
    }
}

async fn the_work_catalogue_covers_three_trades_for_readers_only(app: TestApp) {
    let org = app.create_org("Bright Spark Electric").await;
    let kinds: Value = app.api_json("/api/v1/work-kinds", &org.api_key).await;
    let kinds = kinds.as_array().unwrap();
    let of = |trade: &str| kinds.iter().filter(|k| k["trade"] == trade).count();
    assert!(of("hvac") >= 10 && of("plumbing") >= 10 && of("electrical") >= 10, "{kinds:?}");
    let ev = kinds.iter().find(|k| k["key"] == "ev_charger").expect("EV chargers");
    assert_eq!((ev["name"].as_str(), ev["trade_name"].as_str()), (Some("EV chargers"), Some("Electrical")));
    assert!(ev["words"].as_array().unwrap().iter().any(|w| w == "level 2 charger"));

    let other = app.create_org("Other Shop").await;
    let theirs: Value = app.api_json("/api/v1/work-kinds", &other.api_key).await;
    assert_eq!(theirs.as_array().unwrap().len(), kinds.len(), "the same catalogue for every shop");
    let form_key = app.api_key_with(&org, domain::Role::Staff, domain::KeyScope::Inbound).await;
    let refused = app.api(Method::GET, "/api/v1/work-kinds", &form_key).await.send().await.unwrap();
    assert_eq!(refused.status(), 403, "a form's inbound key reads nothing back");
    let anonymous = app.client.get(app.url("/api/v1/work-kinds")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

async fn a_service_names_a_kind_of_work_from_the_catalogue(app: TestApp) {
    let org = app.create_org("Bright Spark Electric").await;
    let mut service = furnace();
    service["skill"] = json!("roof_repair");
    let refused = app.api(Method::POST, "/api/v1/services", &org.api_key).await.json(&service).send().await.unwrap();
    assert_eq!(refused.status(), 422);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["field"], "skill");
    assert!(error["error"]["message"].as_str().unwrap().contains("GET /api/v1/work-kinds"), "{error}");
    service["skill"] = json!("EV charger");
    let created = app.api(Method::POST, "/api/v1/services", &org.api_key).await.json(&service).send().await.unwrap();
    assert_eq!(created.status(), 201, "written the way people write it");
    assert_eq!(created.json::<Value>().await.unwrap()["skill"], "ev_charger");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM services").await, 1, "the refused one left nothing behind");
}
