//! Every trade, every shop: an electrical shop set up through the API gets its electrical work
//! qualified, priced and booked, and work of a trade it is not in declined in its own words.

use reqwest::Method;
use serde_json::{json, Value};

use std::sync::Arc;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::scripted::Scripted;
use crate::squad::{demo, inbound, lead, outbound};

on_both_backends!(
    an_electrical_shop_books_its_electrical_work_and_declines_plumbing,
    without_a_service_address_the_squad_asks_for_it_and_books_once_it_arrives,
    a_model_cannot_hand_off_a_lead_that_has_no_address,
    a_vague_request_gets_a_short_question_before_anything_is_booked,
    a_shop_defines_its_own_kind_of_work_and_the_squad_books_it,
    the_day_and_time_of_day_the_customer_names_is_what_gets_booked,
    a_weekday_named_on_that_day_once_it_is_full_means_next_week_s,
    a_name_and_number_written_in_the_message_reach_the_customer_record,
    a_second_request_of_another_trade_is_answered_too,
    when_nobody_does_the_work_the_owner_is_told_that_and_the_customer_is_promised_nothing,
    a_danger_at_a_shop_that_cannot_fix_it_still_tops_the_board,
);

async fn an_electrical_shop_books_its_electrical_work_and_declines_plumbing(app: TestApp) {
    let org = app.create_org("Bright Spark Electric").await;
    let key = org.api_key.as_str();
    serve_zips(&app, key, &["61604", "61614"]).await;
    for (name, skill, price) in
        [("EV charger install", "ev_charger", 45_000), ("Ceiling fan install", "ceiling_fan", 18_000)]
    {
        let service = json!({ "name": name, "pricing": "flat", "price_cents": price, "duration_minutes": 180,
                              "emergency_fee_cents": 0, "skill": skill });
        add(&app, key, "/api/v1/services", service).await;
    }
    add(&app, key, "/api/v1/technicians", json!({ "name": "Eli Watts", "skills": ["ev_charger", "ceiling_fan"] }))
        .await;

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

async fn without_a_service_address_the_squad_asks_for_it_and_books_once_it_arrives(app: TestApp) {
    let key = demo(&app).await;
    let from = json!({ "name": "Ray Dunn", "email": "ray.dunn@example.com", "phone": "217-555-0110" });
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "email", "from": from, "subject": "AC", "body": "Our AC stopped cooling. Can someone come tomorrow?" }),
    )
    .await;
    app.drain().await;
    let waiting = lead(&app, &key, &id).await;
    assert_eq!((waiting["stage"].as_str(), waiting["waiting_on"].as_str()), (Some("qualifying"), Some("customer")));
    assert_eq!(waiting["appointments"], json!([]), "nobody is sent without an address");
    let asked = outbound(&waiting).pop().unwrap();
    assert!(asked.contains("we need the service address"), "{asked}");

    let address = json!({ "channel": "email", "from": from, "sender_verified": true,
                          "body": "It's 1420 Walnut St, Springfield 62704." });
    assert_eq!(inbound(&app, &key, address).await, id, "the reply continues the lead");
    app.drain().await;
    let booked = lead(&app, &key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    assert_eq!(booked["appointments"][0]["status"], "scheduled");

    // A ZIP code alone says the area is served, not which door to knock on.
    let from = json!({ "name": "Ana Ruiz", "email": "ana.ruiz@example.com" });
    let zip_only =
        json!({ "channel": "email", "from": from, "body": "Our drain is clogged, any day this week. 62704" });
    let id = inbound(&app, &key, zip_only).await;
    app.drain().await;
    let waiting = lead(&app, &key, &id).await;
    assert_eq!(waiting["waiting_on"], "customer");
    assert_eq!(waiting["appointments"], json!([]), "nobody is sent to a ZIP code");
    assert!(waiting["score_reasons"].as_array().unwrap().contains(&json!("address:no_street")), "{waiting:#}");
    let asked = outbound(&waiting).pop().unwrap();
    assert!(asked.contains("the house number and street"), "{asked}");
    let street = json!({ "channel": "email", "from": from, "sender_verified": true, "body": "Sure, 77 Elm Ct." });
    inbound(&app, &key, street).await;
    app.drain().await;
    let booked = lead(&app, &key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let customer = &booked["customer"];
    assert_eq!((customer["address"].as_str(), customer["postal_code"].as_str()), (Some("77 Elm Ct"), Some("62704")));
}

async fn a_model_cannot_hand_off_a_lead_that_has_no_address(app: TestApp) {
    let key = demo(&app).await;
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "form", "from": { "email": "blind@example.com" }, "body": "Furnace is out, please come." }),
    )
    .await;
    let facts = json!({ "intent": "service_request", "service": "furnace_repair", "urgency": "urgent",
                        "hazard": null, "postal_code": null, "language": "english", "manipulation": [],
                        "has_phone": false, "has_email": true });
    let model = Arc::new(Scripted::new([
        ("qualify_lead", facts),
        ("handoff_to_agent", json!({ "target": "scheduler", "reason": "book it anyway" })),
    ]));
    app.worker(model.clone()).drain().await.unwrap();
    assert!(model.finished());
    let after = lead(&app, &key, &id).await;
    assert_ne!(after["stage"], "scheduling");
    let refused = after["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["payload"]["tool"] == "handoff_to_agent")
        .expect("the handoff step");
    assert_eq!(refused["payload"]["is_error"], true, "{refused:#}");
    assert!(refused["payload"]["output"].to_string().contains("no service address"), "{refused:#}");

    // A street the customer never wrote is not an address: the model cannot invent one.
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "form", "from": { "email": "zip.only@example.com" }, "body": "Furnace is out. 62704" }),
    )
    .await;
    let invented = json!({ "intent": "service_request", "service": "furnace_repair", "urgency": "urgent",
                           "hazard": null, "postal_code": "62704", "street": "99 Made Up Rd", "language": "english",
                           "manipulation": [], "has_phone": false, "has_email": true });
    let model = Arc::new(Scripted::new([
        ("qualify_lead", invented),
        ("handoff_to_agent", json!({ "target": "scheduler", "reason": "book it anyway" })),
    ]));
    app.worker(model.clone()).drain().await.unwrap();
    assert!(model.finished());
    let after = lead(&app, &key, &id).await;
    assert_ne!(after["stage"], "scheduling", "{after:#}");
    let step = |tool: &str| {
        after["steps"].as_array().unwrap().iter().find(|s| s["payload"]["tool"] == tool).cloned().expect(tool)
    };
    let qualify = step("qualify_lead");
    assert_eq!(qualify["payload"]["is_error"], true, "{qualify:#}");
    assert!(qualify["payload"]["output"].to_string().contains("exactly as the customer wrote it"), "{qualify:#}");
    assert_eq!(step("handoff_to_agent")["payload"]["is_error"], true);
}

async fn a_vague_request_gets_a_short_question_before_anything_is_booked(app: TestApp) {
    let key = demo(&app).await;
    let from = json!({ "name": "Howard", "email": "howard.k@example.com" });
    let id = inbound(&app, &key, json!({ "channel": "form", "from": from, "body": "Need help with something at the house, please get back to me." })).await;
    app.drain().await;
    let asked = lead(&app, &key, &id).await;
    assert_eq!(asked["waiting_on"], "customer");
    assert_eq!(asked["appointments"], json!([]));
    let question = outbound(&asked).pop().unwrap();
    assert!(
        question.contains("what do you need help with?") && question.contains("We do heating and cooling and plumbing"),
        "{question}"
    );
    assert!(question.contains("service address"), "no ZIP either: {question}");

    let answer = json!({ "channel": "form", "from": from, "sender_verified": true,
                         "body": "Sorry! The furnace won't start. 1420 Walnut St, 62704." });
    inbound(&app, &key, answer).await;
    app.drain().await;
    assert_eq!(lead(&app, &key, &id).await["stage"], "booked");
}

async fn a_shop_defines_its_own_kind_of_work_and_the_squad_books_it(app: TestApp) {
    let org = app.create_org("Blue Lagoon Plumbing").await;
    let other = app.create_org("Other Plumbing").await;
    let key = org.api_key.as_str();
    serve_zips(&app, key, &["61604"]).await;
    let post = |key: String, body: Value| {
        let app = &app;
        async move {
            let response = app.api(Method::POST, "/api/v1/services", &key).await.json(&body).send().await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };
    let pool = json!({ "name": "Pool heater repair", "pricing": "flat", "price_cents": 22_000, "duration_minutes": 120,
                       "kind_name": "Pool heater", "trade": "plumbing", "words": ["Hot tub heater", "spa heater"] });
    let (status, created) = post(key.to_owned(), pool.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["skill"], "shop_pool_heater");

    let (status, err) = post(key.to_owned(), plain(&pool, json!({ "kind_name": "Pool heater", "words": [] }))).await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("trade")), "{err}");
    let (status, err) = post(key.to_owned(), plain(&pool, json!({ "skill": "shop_sauna" }))).await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("skill")), "{err}");
    assert!(err["error"]["message"].as_str().unwrap().contains("/api/v1/work-kinds"), "{err}");
    let (status, err) = post(other.api_key.clone(), plain(&pool, json!({ "skill": "shop_pool_heater" }))).await;
    assert_eq!(status, 422, "another shop's kind is not this shop's: {err}");
    let (status, _) =
        post(key.to_owned(), plain(&pool, json!({ "name": "Pool heater install", "skill": "shop_pool_heater" }))).await;
    assert_eq!(status, 201, "a second service points at the same kind");

    let kinds: Vec<Value> = app.api_json("/api/v1/work-kinds", key).await;
    let own: Vec<&Value> = kinds.iter().filter(|k| k["source"] == "shop").collect();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["key"], "shop_pool_heater");
    assert_eq!(own[0]["trade"], "plumbing");
    assert_eq!(own[0]["words"], json!(["pool heater", "hot tub heater", "spa heater"]));
    assert!(kinds.iter().any(|k| k["key"] == "ev_charger" && k["source"] == "catalogue"));
    let theirs: Vec<Value> = app.api_json("/api/v1/work-kinds", &other.api_key).await;
    assert!(theirs.iter().all(|k| k["source"] == "catalogue"), "a shop's own kinds stay its own");

    add(&app, key, "/api/v1/technicians", json!({ "name": "Gil Marsh", "skills": ["shop_pool_heater"] })).await;
    let id = inbound(
        &app,
        key,
        json!({ "channel": "email", "from": { "name": "Dana Reyes", "email": "dana.reyes@example.com", "phone": "309-555-0190" },
                "subject": "Hot tub", "body": "Our hot tub heater quit over the weekend. Can someone look at it? 1208 E Kingman Ave, Peoria 61604" }),
    )
    .await;
    app.drain().await;
    let booked = lead(&app, key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let reasons: Vec<&str> = booked["score_reasons"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(reasons.contains(&"service:shop_pool_heater"), "{reasons:?}");
}

/// `service` without the fields that define a kind of the shop's own, then `changes`.
fn plain(service: &Value, changes: Value) -> Value {
    let mut fields = service.as_object().unwrap().clone();
    for field in ["kind_name", "trade", "words"] {
        fields.remove(field);
    }
    fields.extend(changes.as_object().unwrap().clone());
    Value::Object(fields)
}

/// A customer asks for a visit on `day` afternoon; the squad runs; the booked visit's local start.
async fn booked_visit(app: &TestApp, key: &str, day: &str, tz: chrono_tz::Tz) -> chrono::DateTime<chrono_tz::Tz> {
    let body = format!(
        "Our furnace is making a grinding noise. Could someone come {day} afternoon? 1420 Walnut St, Springfield 62704"
    );
    let id = inbound(
        app,
        key,
        json!({ "channel": "form", "from": { "name": "Lena Ortiz", "email": "lena.ortiz@example.com" }, "body": body }),
    )
    .await;
    app.drain().await;
    let booked = lead(app, key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let starts = booked["appointments"][0]["starts_at"].as_i64().unwrap();
    chrono::DateTime::from_timestamp_millis(starts).unwrap().with_timezone(&tz)
}

async fn the_day_and_time_of_day_the_customer_names_is_what_gets_booked(app: TestApp) {
    use chrono::{Datelike, Timelike};
    let key = demo(&app).await;
    let settings: Value = app.api_json("/api/v1/settings", &key).await;
    let tz: chrono_tz::Tz = settings["time_zone"].as_str().unwrap().parse().unwrap();
    let local = booked_visit(&app, &key, "Thursday", tz).await;
    assert_eq!(local.weekday(), chrono::Weekday::Thu, "{local}");
    assert!((12..17).contains(&local.hour()), "an afternoon: {local}");
}

/// Written on a Thursday with nothing left that Thursday (here: a holiday), "Thursday afternoon" is
/// next Thursday's afternoon, not whatever afternoon comes first. Runs with today's weekday.
async fn a_weekday_named_on_that_day_once_it_is_full_means_next_week_s(app: TestApp) {
    use chrono::{Datelike, Timelike};
    const NAMES: [(&str, &str); 7] = [
        ("mon", "Monday"),
        ("tue", "Tuesday"),
        ("wed", "Wednesday"),
        ("thu", "Thursday"),
        ("fri", "Friday"),
        ("sat", "Saturday"),
        ("sun", "Sunday"),
    ];
    let key = demo(&app).await;
    let mut settings: Value = app.api_json("/api/v1/settings", &key).await;
    let tz: chrono_tz::Tz = settings["time_zone"].as_str().unwrap().parse().unwrap();
    let today = chrono::DateTime::from_timestamp_millis(store::now_ms()).unwrap().with_timezone(&tz).date_naive();
    let (short, name) = NAMES[today.weekday().num_days_from_monday() as usize];
    let open_that_day = !settings["weekly_hours"][short].is_null();
    settings["holidays"].as_array_mut().unwrap().push(json!(today.to_string()));
    let put = app.api(Method::PUT, "/api/v1/settings", &key).await.json(&settings).send().await.unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());

    let local = booked_visit(&app, &key, name, tz).await;
    if open_that_day {
        assert_eq!(local.date_naive(), today + chrono::Duration::days(7), "{name} next week: {local}");
        assert!((12..17).contains(&local.hour()), "an afternoon: {local}");
    }
}

async fn a_name_and_number_written_in_the_message_reach_the_customer_record(app: TestApp) {
    let key = demo(&app).await;
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "form", "from": { "email": "t.ames@example.com" },
                "body": "Water heater is leaking from the bottom. 1420 Walnut St, 62704.\n\nTom Ames, 217-555-0142" }),
    )
    .await;
    app.drain().await;
    let lead = lead(&app, &key, &id).await;
    let customer = &lead["customer"];
    assert_eq!(customer["name"], "Tom Ames", "{customer:#}");
    assert_eq!(customer["phone"], "+12175550142", "kept in E.164: {customer:#}");
    assert!(customer["notes"].as_str().unwrap().contains("Name and phone number taken from their first message"));
    assert!(lead["score_reasons"].as_array().unwrap().contains(&json!("contact:phone")), "{lead:#}");

    // A name or number the form did give is never replaced by one in the text.
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "form", "from": { "name": "Ruth Bell", "email": "ruth.bell@example.com", "phone": "217-555-0100" },
                "body": "Please call my neighbour Sam Ortiz at 217-555-0199 about the drain. 62704" }),
    )
    .await;
    let customer = &crate::squad::lead(&app, &key, &id).await["customer"];
    assert_eq!((customer["name"].as_str(), customer["phone"].as_str()), (Some("Ruth Bell"), Some("+12175550100")));
}

async fn a_second_request_of_another_trade_is_answered_too(app: TestApp) {
    let key = demo(&app).await;
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "form", "from": { "name": "Ted Moss", "email": "ted.moss@example.com" },
                "body": "Need the water heater replaced. Also an outlet in the garage stopped working. 14 Oak St, 62704" }),
    )
    .await;
    app.drain().await;
    let lead = lead(&app, &key, &id).await;
    let reasons: Vec<&str> = lead["score_reasons"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(reasons.contains(&"service:water_heater"), "{reasons:?}");
    assert!(reasons.contains(&"also_asked_not_offered:outlets_switches"), "{reasons:?}");
    let reply = outbound(&lead).into_iter().next().expect("a reply");
    assert!(reply.contains("you'll want an electrician"), "{reply}");
}

async fn when_nobody_does_the_work_the_owner_is_told_that_and_the_customer_is_promised_nothing(app: TestApp) {
    let org = app.create_org("Bright Spark Electric").await;
    let key = org.api_key.as_str();
    serve_zips(&app, key, &["61604"]).await;
    let service = json!({ "name": "EV charger install", "pricing": "flat", "price_cents": 45_000,
                          "duration_minutes": 180, "skill": "ev_charger" });
    add(&app, key, "/api/v1/services", service).await;
    add(&app, key, "/api/v1/technicians", json!({ "name": "Eli Watts", "skills": ["ceiling_fan"] })).await;
    let id = inbound(
        &app,
        key,
        json!({ "channel": "form", "from": { "name": "Tom Ames", "email": "tom.ames@example.com" },
                "body": "Please install a Level 2 EV charger in our garage. 1208 E Kingman Ave, Peoria 61604" }),
    )
    .await;
    app.drain().await;
    let escalated = lead(&app, key, &id).await;
    assert_eq!(escalated["appointments"], json!([]));
    let pending: Vec<Value> = app
        .api(Method::GET, "/api/v1/escalations?status=pending", key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reason =
        pending.iter().find(|e| e["lead_id"] == json!(id)).unwrap_or_else(|| panic!("an escalation: {escalated:#}"))
            ["reason"]
            .clone();
    assert!(reason.as_str().unwrap().contains("Nobody on your crew is set up to do EV charger install"), "{reason}");
    let replies = outbound(&escalated);
    assert!(replies.iter().all(|r| !r.contains("confirm")), "no confirmation is promised: {replies:?}");
}

async fn a_danger_at_a_shop_that_cannot_fix_it_still_tops_the_board(app: TestApp) {
    let key = demo(&app).await;
    let id = inbound(
        &app,
        &key,
        json!({ "channel": "sms", "from": { "phone": "217-555-0133" }, "body": "breaker panel sparking and burning smell!! 62704" }),
    )
    .await;
    app.drain().await;
    let lead = lead(&app, &key, &id).await;
    assert_eq!(lead["score"], 10, "{lead:#}");
    assert_eq!(lead["stage"], "escalated");
}

/// The shop serves these ZIP codes.
async fn serve_zips(app: &TestApp, key: &str, zips: &[&str]) {
    let mut settings: Value = app.api_json("/api/v1/settings", key).await;
    settings["service_area"] = json!({ "zip_codes": zips });
    assert_eq!(app.api(Method::PUT, "/api/v1/settings", key).await.json(&settings).send().await.unwrap().status(), 200);
}

/// Creates a service or technician through the API.
async fn add(app: &TestApp, key: &str, path: &str, body: Value) {
    let created = app.api(Method::POST, path, key).await.json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201, "{path}");
}
