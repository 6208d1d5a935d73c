//! Editing what is already set up: a service's price and duration (its kind of work stays), a
//! technician's name, email and kinds of work, the person's own name and password — every field
//! problem reported at once, nothing half-saved, and another org's ids answering 404.

use serde_json::Value;

use crate::helpers::{field, get, post, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_service_and_a_technician_are_edited_in_place,
    forms_report_every_problem_at_once,
    a_person_changes_their_name_and_password_and_other_sessions_end,
);

async fn a_person_changes_their_name_and_password_and_other_sessions_end(app: TestApp) {
    let org = app.create_org("Account Electric").await;
    assert_eq!(post(&app, "/api/account/name", &[("name", "Dana")]).await.0, 401, "logged out");
    app.log_in(&org.owner_email, &org.password).await;
    let phone = app.new_browser();
    phone.log_in(&org.owner_email, &org.password).await;

    let (status, body) = post(&app, "/api/account/name", &[("name", &"x".repeat(300))]).await;
    assert_eq!((status, field(&body)), (422, "name"));
    assert_eq!(post(&app, "/api/account/name", &[("name", "Dana Reyes")]).await.0, 200);
    assert_eq!(get(&app, "/api/account").await.1["name"], "Dana Reyes");

    let change = |current: &'static str, new: &'static str| [("current_password", current), ("new_password", new)];
    let (status, body) =
        post(&app, "/api/account/password", &change("wrong password here", "a brand new password")).await;
    assert_eq!((status, field(&body)), (422, "current_password"));
    let (status, body) = post(&app, "/api/account/password", &change("integration password", "short")).await;
    assert_eq!((status, field(&body)), (422, "new_password"));
    assert_eq!(get(&phone, "/api/account").await.0, 200, "nothing changed yet");

    let (status, body) =
        post(&app, "/api/account/password", &change("integration password", "a brand new password")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(get(&app, "/api/account").await.0, 200, "this browser stays signed in");
    assert_eq!(get(&phone, "/api/account").await.0, 401, "every other session ended");
    let fresh = app.new_browser();
    assert_eq!(fresh.log_in(&org.owner_email, "integration password").await.status(), 401);
    assert!(fresh.log_in(&org.owner_email, "a brand new password").await.status().is_success());
}

/// The fields a `fields` error names, in order.
fn problem_fields(body: &Value) -> Vec<&str> {
    assert_eq!(body["code"], "fields", "{body}");
    body["problems"].as_array().unwrap().iter().filter_map(|p| p["field"].as_str()).collect()
}

async fn forms_report_every_problem_at_once(app: TestApp) {
    let form = [("business_name", " "), ("your_name", ""), ("email", "not-an-email"), ("password", "short")];
    let (status, body) = post(&app, "/api/auth/signup", &form).await;
    assert_eq!(status, 422);
    assert_eq!(problem_fields(&body), ["business_name", "email", "password"]);
    assert!(body["problems"][2]["message"].as_str().unwrap().contains("10"), "{body}");

    let org = app.create_org("Problem Plumbing").await;
    app.log_in(&org.owner_email, &org.password).await;
    let service = [
        ("name", ""),
        ("pricing", "flat"),
        ("price", "lots"),
        ("duration_minutes", "an hour"),
        ("emergency_fee", ""),
        ("skill", "drain_cleaning"),
    ];
    let (status, body) = post(&app, "/api/setup/services/add", &service).await;
    assert_eq!(status, 422);
    assert_eq!(problem_fields(&body), ["name", "price", "duration_minutes"]);
    assert!(get(&app, "/api/setup").await.1["services"].as_array().unwrap().is_empty(), "nothing saved");

    let technician = [("name", " "), ("email", "ana-at-example"), ("skills", "")];
    let (status, body) = post(&app, "/api/setup/technicians/add", &technician).await;
    assert_eq!(status, 422);
    assert_eq!(problem_fields(&body), ["name", "email"]);
    assert!(get(&app, "/api/setup").await.1["technicians"].as_array().unwrap().is_empty(), "nothing saved");
}

async fn a_service_and_a_technician_are_edited_in_place(app: TestApp) {
    let demo = app.demo().await;
    app.log_in(&demo.owner_email, &demo.password).await;
    let setup = get(&app, "/api/setup").await.1;
    let service = setup["services"][0].clone();
    let id = service["id"].as_str().unwrap();
    let form = |name: &'static str, price: &'static str, duration: &'static str| {
        vec![
            ("id", id),
            ("name", name),
            ("price", price),
            ("duration_minutes", duration),
            ("emergency_fee", ""),
            ("taxable", "on"),
        ]
    };
    for (bad, wrong) in [
        (form("Furnace repair", "cheap", "90"), "price"),
        (form("Furnace repair", "149", "soon"), "duration_minutes"),
        (form(" ", "149", "90"), "name"),
    ] {
        let (status, body) = post(&app, "/api/setup/services/edit", &bad).await;
        assert_eq!((status, field(&body)), (422, wrong), "{body}");
    }
    let unchanged = get(&app, "/api/setup").await.1["services"][0].clone();
    assert_eq!(unchanged, service, "nothing invalid is saved");

    let (status, body) =
        post(&app, "/api/setup/services/edit", &form("Furnace repair (standard)", "199.50", "90")).await;
    assert_eq!(status, 200, "{body}");
    let services = get(&app, "/api/setup").await.1["services"].clone();
    let edited = services.as_array().unwrap().iter().find(|s| s["id"] == id).unwrap().clone();
    assert_eq!(
        (edited["name"].as_str(), edited["price_amount"].as_str(), edited["duration_minutes"].as_i64()),
        (Some("Furnace repair (standard)"), Some("199.50"), Some(90))
    );
    assert_eq!(edited["skill"], service["skill"], "the kind of work stays");

    let technician = setup["technicians"][0].clone();
    let tech_id = technician["id"].as_str().unwrap();
    let (status, body) =
        post(&app, "/api/setup/technicians/edit", &[("id", tech_id), ("name", ""), ("email", ""), ("skills", "")])
            .await;
    assert_eq!((status, field(&body)), (422, "name"));
    let skills: Vec<&str> = technician["skills"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let first_skill = skills[0].to_owned();
    let edit =
        [("id", tech_id), ("name", "Ana Ortiz-Reyes"), ("email", "ana@example.com"), ("skills", first_skill.as_str())];
    assert_eq!(post(&app, "/api/setup/technicians/edit", &edit).await.0, 200);
    let crew = get(&app, "/api/setup").await.1["technicians"].clone();
    let edited = crew.as_array().unwrap().iter().find(|t| t["id"] == tech_id).unwrap().clone();
    assert_eq!(
        (edited["name"].as_str(), edited["email"].as_str(), edited["skills"].clone()),
        (Some("Ana Ortiz-Reyes"), Some("ana@example.com"), serde_json::json!([first_skill]))
    );

    let other = app.create_org("Other Electric").await;
    let stranger = app.new_browser();
    stranger.log_in(&other.owner_email, &other.password).await;
    assert_eq!(post(&stranger, "/api/setup/services/edit", &form("Mine now", "1", "60")).await.0, 404);
    let theirs = [("id", tech_id), ("name", "Stolen"), ("email", ""), ("skills", "")];
    assert_eq!(post(&stranger, "/api/setup/technicians/edit", &theirs).await.0, 404);
    let crew = get(&app, "/api/setup").await.1["technicians"].clone();
    assert!(crew.as_array().unwrap().iter().any(|t| t["name"] == "Ana Ortiz-Reyes"));
}
