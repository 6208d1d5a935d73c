//! Editing what is already set up: a service's price and duration (its kind of work stays), a
//! technician's name, email and kinds of work — field errors with nothing half-saved, and
//! another org's ids answering 404.

use serde_json::Value;

use crate::helpers::{field, get, post, TestApp};
use crate::on_both_backends;

on_both_backends!(a_service_and_a_technician_are_edited_in_place);

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
