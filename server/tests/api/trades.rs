//! Every trade, every shop: an electrical shop set up through the API gets its electrical work
//! qualified, priced and booked, and work of a trade it is not in declined in its own words.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{inbound, lead, outbound};

on_both_backends!(an_electrical_shop_books_its_electrical_work_and_declines_plumbing);

async fn an_electrical_shop_books_its_electrical_work_and_declines_plumbing(app: TestApp) {
    let org = app.create_org("Bright Spark Electric").await;
    let key = org.api_key.as_str();
    let mut settings: Value = app.api_json("/api/v1/settings", key).await;
    settings["service_area"] = json!({ "zip_codes": ["61604", "61614"] });
    let saved = app.api(Method::PUT, "/api/v1/settings", key).await.json(&settings).send().await.unwrap();
    assert_eq!(saved.status(), 200);
    for (name, skill, price) in
        [("EV charger install", "ev_charger", 45_000), ("Ceiling fan install", "ceiling_fan", 18_000)]
    {
        let service = json!({ "name": name, "pricing": "flat", "price_cents": price, "duration_minutes": 180,
                              "emergency_fee_cents": 0, "skill": skill });
        let created = app.api(Method::POST, "/api/v1/services", key).await.json(&service).send().await.unwrap();
        assert_eq!(created.status(), 201);
    }
    let tech = json!({ "name": "Eli Watts", "skills": ["ev_charger", "ceiling_fan"] });
    assert_eq!(app.api(Method::POST, "/api/v1/technicians", key).await.json(&tech).send().await.unwrap().status(), 201);

    let ev = inbound(
        &app,
        key,
        json!({ "channel": "email", "from": { "name": "Tom Ames", "email": "tom.ames@example.com", "phone": "309-555-0142" },
                "subject": "EV charger", "body": "Need a Level 2 EV charger installed in the garage, panel is on the same wall. 1208 E Kingman Ave, Peoria IL 61604" }),
    )
    .await;
    app.drain().await;
    let booked = lead(&app, key, &ev).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let reasons: Vec<&str> = booked["score_reasons"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(reasons.contains(&"service:ev_charger") && reasons.contains(&"area:inside"), "{reasons:?}");
    assert_eq!(booked["appointments"][0]["status"], "scheduled");
    assert!(outbound(&booked)[0].contains("ev charger install"), "{:?}", outbound(&booked));

    let toilet = inbound(
        &app,
        key,
        json!({ "channel": "form", "from": { "name": "Ann", "email": "ann@example.com" },
                "body": "My toilet is running nonstop, can you fix it? 61604" }),
    )
    .await;
    app.drain().await;
    let declined = lead(&app, key, &toilet).await;
    assert_ne!(declined["stage"], "booked");
    assert_eq!(declined["appointments"], json!([]));
    let reply = outbound(&declined).pop().expect("a reply");
    assert!(reply.contains("We specialise in electrical work") && !reply.contains("plumbing"), "{reply}");
}
