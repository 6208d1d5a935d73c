//! The self-serve booking page: the owner publishes it, a customer books one of the real openings
//! with no conversation, and everything a booking needs is made at once — or nothing is.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{field, get, post, TestApp};
use crate::on_both_backends;
use crate::squad::{demo, lead};

on_both_backends!(
    a_customer_books_an_opening_on_the_published_page,
    a_double_submit_books_once,
    the_manage_link_moves_the_booking_to_another_opening_once,
    bad_input_gets_a_clear_answer_and_changes_nothing,
    two_customers_racing_for_one_slot_exactly_one_wins,
    each_shop_publishes_only_its_own_page,
    bookings_from_one_address_are_throttled,
);

/// Publishes the demo shop's page with `settings`; returns (owner key, org id).
async fn published(app: &TestApp, settings: Value) -> (String, String) {
    let key = demo(app).await;
    let response = app.api(Method::PUT, "/api/v1/channels/booking", &key).await.json(&settings).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let me: Value = app.api_json("/api/v1/me", &key).await;
    (key, me["org"]["id"].as_str().unwrap().to_owned())
}

async fn page(app: &TestApp, org: &str) -> Value {
    let (status, view) = get(app, &format!("/api/book/view?org={org}")).await;
    assert_eq!(status, 200, "{view}");
    view
}

fn service_id(page: &Value, name: &str) -> String {
    let services = page["services"].as_array().unwrap();
    services.iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("{name} in {services:?}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn openings(app: &TestApp, org: &str, service: &str) -> Vec<Value> {
    let (status, list) = get(app, &format!("/api/book/openings?org={org}&service_id={service}")).await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// A filled-in form for `starts_at`.
fn form(org: &str, service: &str, starts_at: i64, submission: &str) -> Vec<(String, String)> {
    [
        ("org", org.to_owned()),
        ("service_id", service.to_owned()),
        ("starts_at", starts_at.to_string()),
        ("name", "Tom Ames".to_owned()),
        ("email", "tom.ames@example.com".to_owned()),
        ("phone", "".to_owned()),
        ("street", "77 Elm Ct".to_owned()),
        ("zip", "62704".to_owned()),
        ("note", "Side gate is unlocked.".to_owned()),
        ("submission", submission.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn confirm(app: &TestApp, form: &[(String, String)]) -> (u16, Value) {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    post(app, "/api/book/confirm", &pairs).await
}

fn with(mut form: Vec<(String, String)>, name: &str, value: &str) -> Vec<(String, String)> {
    form.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
    form
}

const LIVE: &str = "SELECT COUNT(*) FROM appointments WHERE status IN ('scheduled', 'confirmed')";

async fn a_customer_books_an_opening_on_the_published_page(app: TestApp) {
    let (key, org) = published(&app, json!({ "enabled": true })).await;
    let channel: Value = app.api_json("/api/v1/channels/booking", &key).await;
    assert_eq!(channel["url"], format!("http://127.0.0.1:3000/book/{org}"));
    assert_eq!((channel["days_ahead"].as_i64(), channel["min_notice_minutes"].as_i64()), (Some(14), Some(120)));
    let me: Value = app.api_json("/api/v1/me", &key).await;
    assert_eq!(me["booking_url"], channel["url"]);

    let html = app.client.get(app.url(&format!("/book/{org}"))).send().await.unwrap();
    assert_eq!(html.status(), 200);
    assert!(html.text().await.unwrap().contains("Book a visit"));

    let view = page(&app, &org).await;
    assert_eq!(view["time_zone"], "America/Chicago");
    let tune_up = service_id(&view, "Heating & cooling tune-up");
    assert_eq!(
        view["services"].as_array().unwrap().iter().find(|s| s["id"] == tune_up.as_str()).unwrap()["price"],
        "$119.00"
    );
    let times = openings(&app, &org, &tune_up).await;
    assert!(!times.is_empty());
    let now = store::now_ms();
    let first = times[0]["starts_at"].as_i64().unwrap();
    assert!(first >= now + 120 * 60_000, "the page's minimum notice holds");
    assert!(times.iter().all(|t| t["starts_at"].as_i64().unwrap() < now + 14 * 86_400_000));
    assert!(times[0]["time"].as_str().unwrap().ends_with("CST"), "labelled with the zone: {}", times[0]);

    let (status, booked) = confirm(&app, &form(&org, &tune_up, first, view["submission"].as_str().unwrap())).await;
    assert_eq!(status, 200, "{booked}");
    let manage = booked["manage_url"].as_str().unwrap();
    assert!(manage.starts_with("/manage/"));
    assert_eq!(booked["service"], "Heating & cooling tune-up");

    // On the board at once, as a booked lead on its own channel, with everything a booking has.
    let leads: Value = app.api_json("/api/v1/leads", &key).await;
    let card = leads.as_array().unwrap().iter().find(|l| l["channel"] == "booking_page").expect("the lead").clone();
    assert_eq!(card["stage"], "booked");
    let detail = lead(&app, &key, card["id"].as_str().unwrap()).await;
    assert_eq!(detail["customer"]["name"], "Tom Ames");
    assert_eq!(detail["customer"]["address"], "77 Elm Ct, 62704");
    assert_eq!(detail["appointments"][0]["starts_at"].as_i64(), Some(first));
    let inbound = &detail["messages"][0];
    assert_eq!((inbound["channel"].as_str(), inbound["sender_proof"].as_str()), (Some("booking_page"), Some("none")));
    assert!(inbound["body"].as_str().unwrap().contains("Side gate is unlocked."));
    let reminders = "SELECT COUNT(*) FROM jobs WHERE kind = 'send_reminder'";
    assert!(app.admin_count(reminders).await >= 1, "reminders queued with the booking");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM agent_runs").await, 0, "a booking needs no conversation");

    // The confirmation goes to the address given, with a private link of its own.
    app.drain().await;
    let sent = app.outbox.delivered();
    let confirmation = sent.iter().find(|m| m.to == "tom.ames@example.com").expect("a confirmation");
    assert!(
        confirmation.body.contains("You're booked for") && confirmation.body.contains("/manage/"),
        "{}",
        confirmation.body
    );
    assert!(!confirmation.body.contains(manage), "its own link, not the one on screen");

    // The link on screen opens the booking and cancels it; the cancellation frees the slot.
    let token = manage.trim_start_matches("/manage/");
    let (status, opened) = get(&app, &format!("/api/manage/view?token={token}")).await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["booking"]["service"], "Heating & cooling tune-up");
    let (status, _) = post(&app, "/api/manage/cancel", &[("token", token)]).await;
    assert_eq!(status, 200);
    assert_eq!(app.admin_count(LIVE).await, 0);
    assert!(openings(&app, &org, &tune_up).await.iter().any(|t| t["starts_at"].as_i64() == Some(first)));
}

async fn the_manage_link_moves_the_booking_to_another_opening_once(app: TestApp) {
    let (key, org) = published(&app, json!({ "enabled": true })).await;
    let view = page(&app, &org).await;
    let tune_up = service_id(&view, "Heating & cooling tune-up");
    let first = openings(&app, &org, &tune_up).await[0]["starts_at"].as_i64().unwrap();
    let (_, booked) = confirm(&app, &form(&org, &tune_up, first, view["submission"].as_str().unwrap())).await;
    let token = booked["manage_url"].as_str().unwrap().trim_start_matches("/manage/").to_owned();

    // Another shop's link, or none, opens nothing here; the customer's own lists the other times.
    let (status, _) = get(&app, "/api/manage/openings?token=not-a-real-link").await;
    assert_eq!(status, 404);
    let (status, times) = get(&app, &format!("/api/manage/openings?token={token}")).await;
    assert_eq!(status, 200, "{times}");
    let times = times.as_array().unwrap();
    assert!(times.iter().all(|t| t["starts_at"].as_i64() != Some(first)), "not the time it already has");
    let later = times.iter().rev().find(|t| t["time"].as_str().unwrap().starts_with("10:00")).unwrap();
    let later_at = later["starts_at"].as_i64().unwrap();

    // A time that is not an opening changes nothing and leaves the link usable.
    let (status, answer) =
        post(&app, "/api/manage/move", &[("token", &token), ("starts_at", &(later_at + 60_000).to_string())]).await;
    assert_eq!((status, field(&answer)), (409, "starts_at"), "{answer}");
    let (status, when) =
        post(&app, "/api/manage/move", &[("token", &token), ("starts_at", &later_at.to_string())]).await;
    assert_eq!(status, 200, "{when}");
    assert!(when.as_str().unwrap().contains("10:00 AM"), "{when}");

    // One live booking, at the new time; the customer is told, with a fresh link; the owner can see it.
    assert_eq!(app.admin_count(LIVE).await, 1);
    let leads: Value = app.api_json("/api/v1/leads", &key).await;
    let card = leads.as_array().unwrap().iter().find(|l| l["channel"] == "booking_page").unwrap().clone();
    let detail = lead(&app, &key, card["id"].as_str().unwrap()).await;
    assert_eq!(detail["stage"], "booked");
    let live: Vec<&Value> = detail["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| matches!(a["status"].as_str(), Some("scheduled" | "confirmed")))
        .collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["starts_at"].as_i64(), Some(later_at));
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'booking moved through a manage link'").await,
        1
    );
    app.drain().await;
    let told = app.outbox.delivered();
    assert!(told
        .iter()
        .any(|m| m.to == "tom.ames@example.com" && m.body.contains("10:00 AM") && m.body.contains("/manage/")));

    // The link worked once.
    let (again, _) = post(&app, "/api/manage/move", &[("token", &token), ("starts_at", &first.to_string())]).await;
    assert_eq!(again, 404);
}

async fn a_double_submit_books_once(app: TestApp) {
    let (_, org) = published(&app, json!({ "enabled": true })).await;
    let view = page(&app, &org).await;
    let drain = service_id(&view, "Drain cleaning");
    let first = openings(&app, &org, &drain).await[0]["starts_at"].as_i64().unwrap();
    let filled = form(&org, &drain, first, view["submission"].as_str().unwrap());
    let (once, booked) = confirm(&app, &filled).await;
    let (twice, again) = confirm(&app, &filled).await;
    assert_eq!((once, twice), (200, 200), "{again}");
    assert_eq!(again["when"], booked["when"]);
    assert_eq!(again["manage_url"], Value::Null, "the private link is shown once");
    assert_eq!(app.admin_count(LIVE).await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers WHERE name = 'Tom Ames'").await, 1);
}

async fn bad_input_gets_a_clear_answer_and_changes_nothing(app: TestApp) {
    let key = demo(&app).await;
    let me: Value = app.api_json("/api/v1/me", &key).await;
    let org = me["org"]["id"].as_str().unwrap().to_owned();
    assert!(me.get("booking_url").is_none(), "no page until the owner publishes one");

    // Not published, unknown, malformed: the same "not found".
    for id in [org.as_str(), "0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a", "nope"] {
        let (status, _) = get(&app, &format!("/api/book/view?org={id}")).await;
        assert_eq!(status, 404, "{id}");
    }
    let closed = app.client.get(app.url(&format!("/book/{org}"))).send().await.unwrap().text().await.unwrap();
    assert!(closed.contains("Please contact them directly") && !closed.contains("What do you need?"), "{closed}");

    // Settings out of range or naming a service that doesn't exist.
    for (bad, named) in [
        (json!({ "enabled": true, "days_ahead": 61 }), "days_ahead"),
        (json!({ "enabled": true, "min_notice_minutes": -5 }), "min_notice_minutes"),
        (json!({ "enabled": true, "services": ["0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a"] }), "services"),
        (json!({ "enabled": true, "colour": "red" }), ""),
    ] {
        let response = app.api(Method::PUT, "/api/v1/channels/booking", &key).await.json(&bad).send().await.unwrap();
        assert_eq!(response.status(), 422, "{bad}");
        let body: Value = response.json().await.unwrap();
        if !named.is_empty() {
            assert_eq!(body["error"]["field"], named, "{body}");
        }
    }
    let (_, still_off) = get(&app, &format!("/api/book/view?org={org}")).await;
    assert_eq!(still_off["code"], "not_found");

    // Only the tune-up is offered, two days ahead at most.
    let tune_up_id = {
        let services: Value = app.api_json("/api/v1/services", &key).await;
        let list = services.as_array().unwrap().clone();
        let find = |name: &str| list.iter().find(|s| s["name"] == name).unwrap()["id"].as_str().unwrap().to_owned();
        (find("Heating & cooling tune-up"), find("Drain cleaning"))
    };
    let settings = json!({ "enabled": true, "services": [tune_up_id.0], "days_ahead": 2 });
    let response = app.api(Method::PUT, "/api/v1/channels/booking", &key).await.json(&settings).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let view = page(&app, &org).await;
    assert_eq!(view["services"].as_array().unwrap().len(), 1);
    let tune_up = tune_up_id.0.as_str();
    let times = openings(&app, &org, tune_up).await;
    let now = store::now_ms();
    assert!(times.iter().all(|t| t["starts_at"].as_i64().unwrap() < now + 2 * 86_400_000));
    let (status, _) = get(&app, &format!("/api/book/openings?org={org}&service_id={}", tune_up_id.1)).await;
    assert_eq!(status, 422, "a service the page does not offer");

    let submission = view["submission"].as_str().unwrap();
    let good =
        form(&org, tune_up, times.first().map_or(now + 86_400_000, |t| t["starts_at"].as_i64().unwrap()), submission);
    type Form = Vec<(String, String)>;
    let cases: Vec<(Form, u16, &str)> = vec![
        (with(good.clone(), "zip", "61602"), 422, "zip"),
        (with(good.clone(), "street", "Springfield"), 422, "street"),
        (with(with(good.clone(), "email", ""), "phone", ""), 422, "email"),
        (with(good.clone(), "email", "not-an-email"), 422, "email"),
        (with(good.clone(), "name", ""), 422, "name"),
        (with(good.clone(), "note", &"x".repeat(2_001)), 422, "note"),
        (with(good.clone(), "starts_at", &(now - 3_600_000).to_string()), 409, "starts_at"),
        (with(good.clone(), "starts_at", &(now + 30 * 86_400_000).to_string()), 409, "starts_at"),
        (with(good.clone(), "starts_at", "tomorrow"), 422, "starts_at"),
        (with(good.clone(), "service_id", &tune_up_id.1), 422, "service_id"),
        (with(good.clone(), "submission", ""), 422, "submission"),
    ];
    for (bad, status, named) in cases {
        let (got, body) = confirm(&app, &bad).await;
        assert_eq!((got, field(&body)), (status, named), "{body}");
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 0, "nothing half-made");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers WHERE name = 'Tom Ames'").await, 0);

    // Integrations cannot report messages on the page's channel.
    let forged = json!({ "channel": "booking_page", "from": { "email": "x@example.com" }, "body": "Book me" });
    let response = app.api(Method::POST, "/api/v1/inbound", &key).await.json(&forged).send().await.unwrap();
    assert_eq!(response.status(), 422);
}

async fn two_customers_racing_for_one_slot_exactly_one_wins(app: TestApp) {
    let (_, org) = published(&app, json!({ "enabled": true })).await;
    // Drain cleaning has one technician: one opening is one slot.
    let view = page(&app, &org).await;
    let drain = service_id(&view, "Drain cleaning");
    let first = openings(&app, &org, &drain).await[0]["starts_at"].as_i64().unwrap();
    let other = page(&app, &org).await;
    let (a, b) = (form(&org, &drain, first, view["submission"].as_str().unwrap()), {
        let f = form(&org, &drain, first, other["submission"].as_str().unwrap());
        with(with(f, "name", "Rita Cole"), "email", "rita@example.com")
    });
    let second = app.new_browser();
    let ((sa, ba), (sb, bb)) = tokio::join!(confirm(&app, &a), confirm(&second, &b));
    let mut statuses = [sa, sb];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{ba} {bb}");
    let loser = if sa == 409 { &ba } else { &bb };
    assert_eq!(field(loser), "starts_at");
    assert!(loser["message"].as_str().unwrap().contains("still free"), "{loser}");
    assert_eq!(app.admin_count(LIVE).await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 1, "the loser left nothing behind");
    assert!(openings(&app, &org, &drain).await.iter().all(|t| t["starts_at"].as_i64() != Some(first)));
}

async fn each_shop_publishes_only_its_own_page(app: TestApp) {
    let (_, org) = published(&app, json!({ "enabled": true })).await;
    let other = app.create_org("Other Plumbing").await;
    let other_view = get(&app, &format!("/api/book/view?org={}", other.id)).await;
    assert_eq!(other_view.0, 404, "the other shop has not published its page");

    // The other shop's owner changes only its own page; its staff change nothing.
    let response = app
        .api(Method::PUT, "/api/v1/channels/booking", &other.api_key)
        .await
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(page(&app, &org).await["business"], "Springfield Comfort & Plumbing");
    let staff = app.api_key_with_role(&other, domain::Role::Staff).await;
    let response = app
        .api(Method::PUT, "/api/v1/channels/booking", &staff)
        .await
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let read: Value = app.api_json("/api/v1/channels/booking", &staff).await;
    assert_eq!(read["enabled"], false);
    assert_eq!(read["url"], format!("http://127.0.0.1:3000/book/{}", other.id));

    // A service of one shop is never bookable on the other's page.
    let response = app
        .api(Method::POST, "/api/v1/services", &other.api_key)
        .await
        .json(&json!({ "name": "Sewer camera", "pricing": "flat", "price_cents": 20000, "duration_minutes": 60,
                      "skill": "drain_cleaning" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let theirs: Value = response.json().await.unwrap();
    let (status, _) =
        get(&app, &format!("/api/book/openings?org={org}&service_id={}", theirs["id"].as_str().unwrap())).await;
    assert_eq!(status, 422);
}

async fn bookings_from_one_address_are_throttled(app: TestApp) {
    let (_, org) = published(&app, json!({ "enabled": true })).await;
    let limited = app.serve_with(|s| s.server.limits.bookings_per_hour_per_address = 1).await;
    let view = page(&limited, &org).await;
    let tune_up = service_id(&view, "Heating & cooling tune-up");
    let times = openings(&limited, &org, &tune_up).await;
    let (first, _) =
        confirm(&limited, &form(&org, &tune_up, times[0]["starts_at"].as_i64().unwrap(), "first-key")).await;
    assert_eq!(first, 200);
    let next = times[1]["starts_at"].as_i64().unwrap();
    let (second, body) = confirm(&limited, &form(&org, &tune_up, next, "second-key")).await;
    assert_eq!(second, 429, "{body}");
    assert_eq!(limited.admin_count(LIVE).await, 1);
}
