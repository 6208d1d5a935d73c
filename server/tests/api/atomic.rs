//! A tool call is all or nothing: when it is refused or fails, none of its writes survive; only
//! the step recording the refusal does.

use std::sync::Arc;

use serde_json::json;
use squad::offline::OfflineModel;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::scripted::Scripted;
use crate::squad::{demo, furnace, inbound, lead};

on_both_backends!(a_refused_reschedule_keeps_the_booking_it_would_have_replaced);

async fn a_refused_reschedule_keeps_the_booking_it_would_have_replaced(app: TestApp) {
    let key = demo(&app).await;
    let id = inbound(&app, &key, furnace("jordan@example.com")).await;
    app.worker(Arc::new(OfflineModel)).drain().await.unwrap();
    let booked = lead(&app, &key, &id).await["appointments"][0].clone();
    assert_eq!(booked["status"], "scheduled", "{booked:#}");

    // The customer writes again and the model tries to move the visit to a day later and seven
    // minutes past, which no opening is: `reschedule` cancels the old appointment before it
    // finds that out.
    let mut again = furnace("jordan@example.com");
    again["sender_verified"] = json!(true);
    inbound(&app, &key, again).await;
    let off_grid = booked["starts_at"].as_i64().unwrap() + 24 * 60 * 60_000 + 7 * 60_000;
    let model = Arc::new(Scripted::new([(
        "reschedule",
        json!({ "technician_id": booked["technician_id"], "starts_at": off_grid }),
    )]));
    app.worker(model.clone()).drain().await.unwrap();
    assert!(model.finished(), "the scheduler was asked to reschedule");

    let after = lead(&app, &key, &id).await;
    let refused = after["steps"].as_array().unwrap().iter().find(|s| s["payload"]["tool"] == "reschedule").cloned();
    let refused = refused.unwrap_or_else(|| panic!("the refusal is recorded: {after:#}"));
    assert_eq!(refused["payload"]["is_error"], true, "{refused:#}");
    let appointments = after["appointments"].as_array().unwrap();
    assert_eq!(appointments.len(), 1, "{appointments:#?}");
    assert_eq!(appointments[0]["status"], "scheduled", "the customer keeps their visit: {appointments:#?}");
    assert_eq!(after["stage"], "booked");
    let queued = "SELECT COUNT(*) FROM jobs WHERE kind = 'send_reminder' AND status = 'queued'";
    assert!(app.admin_count(queued).await > 0, "its reminders still go out");
}
