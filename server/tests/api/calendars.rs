//! Technicians' own calendars against a real CalDAV server (Radicale, from PyPI, with htpasswd
//! sign-in): what is on a technician's calendar is never offered, a booking becomes an event in
//! it, moving and cancelling the booking move and remove the event, a calendar that cannot be read
//! books nothing over unknown time, an event deleted in the calendar is reported to the owner, and
//! a recurring event across a daylight-saving change blocks the same local hour on both sides.
//! Google calendars the same, against a local Google (`tests/peers/gmail_peer.py`, myworld's
//! Calendar API): connected by signing in with Google, tokens renewed and kept, a withdrawn grant
//! shown in words.

use std::process::Stdio;

use domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use store::TenantTx;
use tokio::process::{Child, Command};

use crate::helpers::TestApp;
use crate::mail_peers::{answers, free_port, tool};
use crate::on_both_backends;
use crate::squad::{furnace, inbound, lead};

on_both_backends!(
    a_customer_who_texts_is_booked_around_the_technicians_calendar_until_they_text_stop,
    a_technicians_calendar_keeps_its_busy_times_and_gets_the_visits,
    a_calendar_that_cannot_be_read_books_nothing_over_unknown_time,
    a_visit_deleted_from_the_calendar_is_reported_to_the_owner,
    calendars_are_each_shops_own,
    a_technicians_google_calendar_keeps_its_busy_times_and_gets_the_visits,
    a_google_calendar_sign_in_counts_only_for_the_shop_and_session_that_started_it,
);

/// Radicale on 127.0.0.1 with the demo's furnace technicians as users, each with a `work` calendar.
struct Radicale {
    base: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    process: Option<Child>,
}

const USERS: [(&str, &str); 2] = [("ana", "ana-app-password"), ("chris", "chris-app-password")];

impl Radicale {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let users: String = USERS.iter().map(|(u, p)| format!("{u}:{p}\n")).collect();
        std::fs::write(dir.path().join("users"), users).unwrap();
        let port = free_port();
        let config = format!(
            "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {}\n\
             htpasswd_encryption = plain\n[storage]\nfilesystem_folder = {}\n[logging]\nlevel = warning\n",
            dir.path().join("users").display(),
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config"), config).unwrap();
        let process = Command::new(tool("radicale"))
            .arg("-C")
            .arg(dir.path().join("config"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        assert!(answers(port).await, "Radicale did not answer on {port}");
        let peer = Self {
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            _dir: dir,
            process: Some(process),
        };
        for (user, _) in USERS {
            let made = peer.call("MKCALENDAR", user, &format!("/{user}/work/"), String::new()).await;
            assert_eq!(made.0, 201, "{}", made.1);
        }
        peer
    }

    fn password(user: &str) -> &'static str {
        USERS.iter().find(|(u, _)| *u == user).unwrap().1
    }

    async fn call(&self, method: &str, user: &str, path: &str, body: String) -> (u16, String) {
        let answer = self
            .http
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", self.base))
            .basic_auth(user, Some(Self::password(user)))
            .header("Content-Type", "text/calendar")
            .body(body)
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    }

    /// Something of the technician's own on their calendar, `[start, end)` in Unix ms.
    async fn busy(&self, user: &str, uid: &str, start: i64, end: i64) {
        let stamp = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y%m%dT%H%M%SZ").to_string();
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{}\r\n\
             DTSTART:{}\r\nDTEND:{}\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            stamp(start),
            stamp(start),
            stamp(end)
        );
        let put = self.call("PUT", user, &format!("/{user}/work/{uid}.ics"), body).await;
        assert_eq!(put.0, 201, "{}", put.1);
    }

    /// The event Opsquad wrote for `appointment`, if it is in the user's calendar.
    async fn visit(&self, user: &str, appointment: &str) -> Option<String> {
        let (status, body) =
            self.call("GET", user, &format!("/{user}/work/opsquad-{appointment}.ics"), String::new()).await;
        (status == 200).then_some(body)
    }

    fn connection(&self, user: &str, url: &str) -> Value {
        json!({ "url": format!("{}{url}", self.base), "username": user, "password": Self::password(user) })
    }

    async fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().await.unwrap();
        }
    }
}

/// The demo crew's ids by first name, lower case.
async fn crew(app: &TestApp, key: &str) -> Vec<(String, String)> {
    let all: Value = app.api_json("/api/v1/technicians", key).await;
    all.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let first = t["name"].as_str().unwrap().split(' ').next().unwrap().to_lowercase();
            (first, t["id"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn id_of<'a>(crew: &'a [(String, String)], name: &str) -> &'a str {
    &crew.iter().find(|(n, _)| n == name).unwrap().1
}

async fn connect(app: &TestApp, key: &str, technician: &str, body: &Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/technicians/{technician}/calendar");
    let answer = app.api(Method::PUT, &path, key).await.json(body).send().await.unwrap();
    (answer.status(), answer.json().await.unwrap_or(Value::Null))
}

fn org_of(demo: &server::demo::DemoCredentials) -> domain::OrgId {
    domain::OrgId::parse(&demo.org_id).unwrap()
}

/// The furnace openings the squad would offer now, as `(technician_id, starts_at, ends_at)`.
async fn furnace_openings(app: &TestApp, org: &domain::OrgId) -> Vec<(String, i64, i64)> {
    openings_for(app, org, "Furnace repair").await
}

/// The openings for the demo service `name` the squad would offer now.
async fn openings_for(app: &TestApp, org: &domain::OrgId, name: &str) -> Vec<(String, i64, i64)> {
    let scope = store::Operator::new("test").act_for(*org, None, Role::Owner);
    let mut tx = TenantTx::read(&app.db, &scope).await.unwrap();
    let service = store::services::list(&mut tx).await.unwrap().into_iter().find(|s| s.name == name).unwrap();
    let slots =
        squad::bookings::openings_within(&mut tx, &service, None, squad::bookings::Window::standard(store::now_ms()))
            .await
            .unwrap();
    tx.commit().await.unwrap();
    slots.into_iter().map(|s| (s.technician_id, s.starts_at, s.ends_at)).collect()
}

fn booked_appointment(lead: &Value) -> (String, String, i64, i64) {
    let a =
        lead["appointments"].as_array().unwrap().iter().find(|a| a["status"] == "scheduled").expect("a live booking");
    (
        a["id"].as_str().unwrap().to_owned(),
        a["technician_id"].as_str().unwrap().to_owned(),
        a["starts_at"].as_i64().unwrap(),
        a["ends_at"].as_i64().unwrap(),
    )
}

/// The "done when": a customer texts the shop's number, the squad answers by text and books
/// a time that avoids what the technician has on in their own calendar, the visit appears in that
/// calendar, and the customer's STOP ends every text to them (the reminder included).
async fn a_customer_who_texts_is_booked_around_the_technicians_calendar_until_they_text_stop(app: TestApp) {
    let demo = app.demo().await;
    let (app, twilio) = crate::texts::served(&app).await;
    let key = demo.api_key.as_str();
    assert_eq!(crate::texts::connect(&app, key, crate::texts::connection()).await.0, StatusCode::OK);
    let crew = crew(&app, key).await;
    let ana = id_of(&crew, "ana").to_owned();
    let calendars = Radicale::start().await;

    // Ana is the one who repairs air conditioning; her first opening is taken by the dentist.
    let before = openings_for(&app, &org_of(&demo), "AC repair").await;
    assert!(before.iter().all(|(t, _, _)| *t == ana));
    let (block_start, block_end) = (before[0].1 - 3_600_000, before[0].1 + 4 * 3_600_000);
    calendars.busy("ana", "dentist", block_start, block_end).await;
    let (status, body) = connect(&app, key, &ana, &calendars.connection("ana", "/")).await;
    assert_eq!(status, 200, "{body}");

    let customer = "+12175550144";
    let (status, _) = twilio
        .text(customer, "Hi, my AC stopped blowing cold air this morning. Can someone come look? 1420 Walnut St, Springfield IL 62704")
        .await;
    assert_eq!(status, 200);
    crate::texts::drain(&app, &twilio).await;
    let leads: Value = app.api_json("/api/v1/leads", key).await;
    let id = leads[0]["id"].as_str().unwrap().to_owned();
    let booked = lead(&app, key, &id).await;
    assert_eq!((booked["channel"].as_str(), booked["stage"].as_str()), (Some("sms"), Some("booked")), "{booked:#}");
    let (appointment, tech, start, end) = booked_appointment(&booked);
    assert_eq!(tech, ana);
    assert!(end <= block_start || start >= block_end, "booked over the dentist: {start}–{end}");
    let texts = twilio.sent_to(customer).await;
    assert!(texts.iter().any(|t| t.starts_with("You're booked for ")), "confirmed by text: {texts:?}");
    let event = calendars.visit("ana", &appointment).await.expect("the visit is in Ana's calendar");
    assert!(event.contains("SUMMARY:AC repair — "), "{event}");
    assert!(event.contains("+12175550144"), "how to reach the customer: {event}");

    // STOP: the reminders that come due are not texted.
    let (_, twiml) = twilio.text(customer, "STOP").await;
    assert!(twiml.contains("you won&apos;t get any more texts from us"), "{twiml}");
    let sent = twilio.sent_to(customer).await.len();
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'send_reminder' AND status = 'queued'").await;
    assert!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'send_reminder' AND run_at = 0").await >= 1);
    crate::texts::drain(&app, &twilio).await;
    assert_eq!(twilio.sent_to(customer).await.len(), sent, "nothing is texted after STOP");
}

async fn a_technicians_calendar_keeps_its_busy_times_and_gets_the_visits(app: TestApp) {
    let demo = app.demo().await;
    let key = demo.api_key.clone();
    let crew = crew(&app, &key).await;
    let (ana, chris) = (id_of(&crew, "ana").to_owned(), id_of(&crew, "chris").to_owned());
    let peer = Radicale::start().await;

    // Before any calendar, the first furnace opening; both furnace technicians then have a
    // dentist appointment over it (and the hours either side).
    let before = furnace_openings(&app, &org_of(&demo)).await;
    let first = before[0].1;
    let (block_start, block_end) = (first - 3_600_000, first + 4 * 3_600_000);
    peer.busy("ana", "dentist", block_start, block_end).await;
    peer.busy("chris", "dentist", block_start, block_end).await;

    // A wrong password is refused with the field to fix; nothing is kept.
    let mut wrong = peer.connection("ana", "/ana/work/");
    wrong["password"] = json!("not-it");
    let (status, body) = connect(&app, &key, &ana, &wrong).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("password"), "{body}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM technician_calendars").await, 0);

    // Ana gives her account's address and her first calendar is found; Chris the calendar's own.
    let (status, body) = connect(&app, &key, &ana, &peer.connection("ana", "/")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["url"].as_str().unwrap().ends_with("/ana/work/"), "{body}");
    assert_eq!((body["status"].as_str(), body["username"].as_str()), (Some("connected"), Some("ana")));
    assert!(!body.to_string().contains("ana-app-password"), "the password is never shown again");
    let (status, body) = connect(&app, &key, &chris, &peer.connection("chris", "/chris/work/")).await;
    assert_eq!(status, 200, "{body}");
    let stored = app.admin_text("SELECT credentials_sealed FROM technician_calendars LIMIT 1").await;
    assert!(!stored.contains("app-password"), "the password is sealed at rest");

    let after = furnace_openings(&app, &org_of(&demo)).await;
    assert!(!after.is_empty());
    for (tech, start, end) in &after {
        if tech == &ana || tech == &chris {
            assert!(*end <= block_start || *start >= block_end, "an opening over the dentist: {start}–{end}");
        }
    }

    // The squad books a furnace repair around it, and the visit appears in the calendar.
    let id = inbound(&app, &key, furnace("jordan@example.com")).await;
    app.drain().await;
    let booked = lead(&app, &key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let (appointment, tech, start, end) = booked_appointment(&booked);
    assert!(end <= block_start || start >= block_end, "booked over the dentist: {start}–{end}");
    let user = if tech == ana { "ana" } else { "chris" };
    let event = peer.visit(user, &appointment).await.expect("the visit is in the technician's calendar");
    assert!(event.contains("SUMMARY:Furnace repair — Jordan Miles"), "{event}");
    assert!(event.contains(&format!("/app/leads/{id}")), "a link to the lead: {event}");
    assert!(event.contains("1420 Walnut St"), "where to go: {event}");
    let ledger = app.admin_count(&format!("SELECT COUNT(*) FROM side_effects WHERE idempotency_key = 'calendar:{appointment}:write' AND status = 'done'")).await;
    assert_eq!(ledger, 1, "the write is in the ledger");

    // Read again, the calendar shows the visit as busy; it is the booking itself, so moving it may
    // still offer its own time and the times around it.
    let scope = store::Operator::new("test").act_for(org_of(&demo), None, Role::Owner);
    let access = server::startup::calendar_access(&app.settings()).unwrap();
    squad::calendars::Calendars::refresh(&access, &app.db, &scope, squad::calendars::Freshness::AllNow).await.unwrap();
    let mut tx = TenantTx::read(&app.db, &scope).await.unwrap();
    let service =
        store::services::list(&mut tx).await.unwrap().into_iter().find(|s| s.name == "Furnace repair").unwrap();
    let lead_id = domain::LeadId::parse(&id).unwrap();
    let around = squad::bookings::openings(&mut tx, &service, lead_id).await.unwrap();
    tx.commit().await.unwrap();
    assert!(
        around.iter().any(|s| s.technician_id == tech && s.starts_at == start),
        "the visit's own time is open to move it"
    );

    // The owner moves the visit: the calendar shows the new time only.
    let later = after.iter().find(|(t, s, _)| *t == tech && *s >= end + 86_400_000).expect("a later opening").1;
    // The owner picks the time as the shop's clock shows it (the demo shop is in Chicago).
    let when = chrono::DateTime::from_timestamp_millis(later)
        .unwrap()
        .with_timezone(&chrono_tz::America::Chicago)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let moved = ops::appointments::reschedule(&app.db, &scope, &appointment, &tech, &when, false).await.unwrap();
    app.drain().await;
    assert_eq!(peer.visit(user, &appointment).await, None, "the old time is gone from the calendar");
    let moved_event = peer.visit(user, &moved.appointment_id).await.expect("the new time is in the calendar");
    let stamp = chrono::DateTime::from_timestamp_millis(later).unwrap().format("%Y%m%dT%H%M%SZ").to_string();
    assert!(moved_event.contains(&format!("DTSTART:{stamp}")), "{moved_event}");

    // Cancelled: the visit leaves the calendar; the dentist stays.
    ops::appointments::cancel(&app.db, &scope, &moved.appointment_id, "the customer fixed it", false).await.unwrap();
    app.drain().await;
    assert_eq!(peer.visit(user, &moved.appointment_id).await, None);
    assert_eq!(peer.call("GET", user, &format!("/{user}/work/dentist.ics"), String::new()).await.0, 200);

    // Disconnected: openings no longer follow the calendar, and the password is forgotten.
    let gone =
        app.api(Method::DELETE, &format!("/api/v1/technicians/{ana}/calendar"), &key).await.send().await.unwrap();
    assert_eq!(gone.status(), 204);
    let left =
        app.admin_count(&format!("SELECT COUNT(*) FROM technician_calendars WHERE technician_id = '{ana}'")).await;
    assert_eq!(left, 0);
}

async fn a_calendar_that_cannot_be_read_books_nothing_over_unknown_time(app: TestApp) {
    let demo = app.demo().await;
    let key = demo.api_key.clone();
    let crew = crew(&app, &key).await;
    let mut peer = Radicale::start().await;
    for name in ["ana", "chris"] {
        let (status, body) =
            connect(&app, &key, id_of(&crew, name), &peer.connection(name, &format!("/{name}/work/"))).await;
        assert_eq!(status, 200, "{body}");
    }
    // The calendar server goes away, and what was read of it grows old.
    peer.stop().await;
    app.admin_execute("UPDATE technician_calendars SET read_at = read_at - 3600000").await;

    let id = inbound(&app, &key, furnace("pat@example.com")).await;
    app.drain().await;
    let escalated = lead(&app, &key, &id).await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM appointments").await, 0, "nothing booked over unknown time");
    assert_eq!(escalated["stage"], "escalated", "{escalated:#}");
    let why = app.admin_text("SELECT reason FROM escalations ORDER BY created_at DESC LIMIT 1").await;
    assert!(why.contains("Ana Ortiz's calendar could not be read"), "{why}");
    let listed: Value = app.api_json("/api/v1/calendars", &key).await;
    assert!(
        listed.as_array().unwrap().iter().all(|c| c["status"] == "error" && c["last_error"].is_string()),
        "{listed}"
    );

    // The owner books Ana by hand anyway; her calendar stays out of reach through every retry of
    // writing the visit into it, and then the owner is told to let her know themselves.
    let scope = store::Operator::new("test").act_for(org_of(&demo), None, Role::Owner);
    let furnace = escalated["service_id"].as_str().unwrap().to_owned();
    let when = chrono::DateTime::from_timestamp_millis(store::now_ms() + 3 * 86_400_000)
        .unwrap()
        .with_timezone(&chrono_tz::America::Chicago)
        .format("%Y-%m-%dT10:00")
        .to_string();
    let hand = ops::appointments::HandBooking {
        service_id: furnace,
        technician_id: id_of(&crew, "ana").to_owned(),
        starts_at: when,
        tell_customer: false,
    };
    let lead_id = domain::LeadId::parse(&id).unwrap();
    ops::appointments::book_by_hand(&app.db, &scope, lead_id, &hand).await.unwrap();
    app.admin_execute("UPDATE jobs SET attempts = max_attempts - 1 WHERE kind = 'sync_calendar_event'").await;
    app.drain().await;
    let why = app.admin_text("SELECT reason FROM escalations WHERE kind = 'calendar'").await;
    assert!(
        why.contains("could not be written into Ana Ortiz's calendar") && why.contains("tell Ana Ortiz yourself"),
        "{why}"
    );
}

async fn a_visit_deleted_from_the_calendar_is_reported_to_the_owner(app: TestApp) {
    let demo = app.demo().await;
    let key = demo.api_key.clone();
    let crew = crew(&app, &key).await;
    let peer = Radicale::start().await;
    for name in ["ana", "chris"] {
        let (status, body) =
            connect(&app, &key, id_of(&crew, name), &peer.connection(name, &format!("/{name}/work/"))).await;
        assert_eq!(status, 200, "{body}");
    }
    let id = inbound(&app, &key, furnace("sam@example.com")).await;
    app.drain().await;
    let (appointment, tech, _, _) = booked_appointment(&lead(&app, &key, &id).await);
    let user = if tech == id_of(&crew, "ana") { "ana" } else { "chris" };
    assert!(peer.visit(user, &appointment).await.is_some());

    // Someone deletes it on their phone; the next check notices and asks the owner, once.
    let deleted = peer.call("DELETE", user, &format!("/{user}/work/opsquad-{appointment}.ics"), String::new()).await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    for _ in 0..2 {
        app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'check_calendars' AND status = 'queued'").await;
        app.drain().await;
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM escalations WHERE kind = 'calendar'").await, 1);
    let why = app.admin_text("SELECT reason FROM escalations WHERE kind = 'calendar'").await;
    assert!(why.contains("was deleted from") && why.contains("still booked"), "{why}");
    let waiting = lead(&app, &key, &id).await;
    assert_eq!(
        (waiting["stage"].as_str(), waiting["waiting_on"].as_str()),
        (Some("booked"), Some("owner")),
        "{waiting:#}"
    );
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'check_calendars' AND status = 'queued'").await,
        1,
        "the checks go on"
    );
}

async fn calendars_are_each_shops_own(app: TestApp) {
    let demo = app.demo().await;
    let other = app.create_org("Other Plumbing").await;
    let crew = crew(&app, &demo.api_key).await;
    let ana = id_of(&crew, "ana");
    let peer = Radicale::start().await;
    let (status, _) = connect(&app, &demo.api_key, ana, &peer.connection("ana", "/ana/work/")).await;
    assert_eq!(status, 200);

    let path = format!("/api/v1/technicians/{ana}/calendar");
    let (status, _) = connect(&app, &other.api_key, ana, &peer.connection("chris", "/chris/work/")).await;
    assert_eq!(status, 404, "another shop cannot connect a calendar to this shop's technician");
    let seen = app.api(Method::GET, &path, &other.api_key).await.send().await.unwrap();
    assert_eq!(seen.status(), 404);
    let removed = app.api(Method::DELETE, &path, &other.api_key).await.send().await.unwrap();
    assert_eq!(removed.status(), 404);
    let listed: Value = app.api_json("/api/v1/calendars", &other.api_key).await;
    assert_eq!(listed, json!([]));

    // Nor through the dashboard's Settings.
    assert!(app.log_in(&other.owner_email, &other.password).await.status().is_success());
    let (status, shown) = crate::helpers::get(&app, "/api/settings/calendars").await;
    assert_eq!((status, &shown["technicians"]), (200, &json!([])), "{shown}");
    let (status, _) = crate::helpers::post(&app, "/api/settings/calendars/disconnect", &[("technician_id", ana)]).await;
    assert_eq!(status, 404);
    let url = format!("{}/chris/work/", peer.base);
    let form =
        [("technician_id", ana), ("url", url.as_str()), ("username", "chris"), ("password", "chris-app-password")];
    let (status, _) = crate::helpers::post(&app, "/api/settings/calendars/connect", &form).await;
    assert_eq!(status, 404);

    let mine: Value = app.api_json(&path, &demo.api_key).await;
    assert_eq!(mine["username"], "ana", "still connected: {mine}");
    let owner = app.new_browser();
    assert!(owner.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    let (status, shown) = crate::helpers::get(&owner, "/api/settings/calendars").await;
    assert_eq!(status, 200);
    let anas = shown["technicians"].as_array().unwrap().iter().find(|t| t["technician_id"] == ana).unwrap().clone();
    assert_eq!(
        (anas["calendar"]["username"].as_str(), anas["calendar"]["healthy"].as_bool()),
        (Some("ana"), Some(true)),
        "{shown}"
    );
}

/// Radicale expands a daily 09:00–10:00 Chicago appointment across the spring change (2027-03-14):
/// the technician is busy at 09:00 local every day, 15:00 UTC before and 14:00 UTC after.
#[tokio::test]
async fn a_daily_appointment_blocks_the_same_local_hour_across_a_daylight_saving_change() {
    use integrations::calendar::caldav::{CalDav, CalDavCalendar};
    use squad::tools::availability::{check_availability, AvailabilityQuery, Technician};
    let peer = Radicale::start().await;
    let body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTIMEZONE\r\nTZID:America/Chicago\r\n\
        BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0500\r\nTZNAME:CDT\r\nDTSTART:19700308T020000\r\n\
        RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:-0500\r\n\
        TZOFFSETTO:-0600\r\nTZNAME:CST\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n\
        END:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:gym\r\nDTSTAMP:20261203T090000Z\r\n\
        DTSTART;TZID=America/Chicago:20270308T090000\r\nDTEND;TZID=America/Chicago:20270308T100000\r\n\
        RRULE:FREQ=DAILY;COUNT=14\r\nSUMMARY:Gym\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert_eq!(peer.call("PUT", "ana", "/ana/work/gym.ics", body.into()).await.0, 201);

    let utc =
        |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap().and_utc().timestamp_millis();
    let calendar = CalDavCalendar {
        url: format!("{}/ana/work/", peer.base),
        username: "ana".into(),
        password: Radicale::password("ana").to_owned().into(),
    };
    let caldav = CalDav::new(integrations::mail::Reach::Anywhere).unwrap();
    let (from, until) = (utc("2027-03-10 00:00"), utc("2027-03-18 00:00"));
    let busy = caldav.busy(&calendar, from, until).await.unwrap();
    assert!(busy.contains(&(utc("2027-03-12 15:00"), utc("2027-03-12 16:00"))), "09:00 CST: {busy:?}");
    assert!(busy.contains(&(utc("2027-03-15 14:00"), utc("2027-03-15 15:00"))), "09:00 CDT: {busy:?}");

    use domain::schedule::{Interval, TimeOfDay, Weekday, WeeklyHours};
    let morning = Interval { open: TimeOfDay::parse("08:00").unwrap(), close: TimeOfDay::parse("12:00").unwrap() };
    let hours = WeeklyHours::new(Weekday::ALL[..5].iter().map(|d| (*d, vec![morning])).collect()).unwrap();
    let ana = Technician { id: "ana".into(), skills: vec![], working_hours: None, busy, known_until: Some(until) };
    let slots = check_availability(&AvailabilityQuery {
        tz: chrono_tz::America::Chicago,
        business_hours: &hours,
        holidays: &[],
        buffer_minutes: 0,
        technicians: std::slice::from_ref(&ana),
        skill: None,
        duration_minutes: 60,
        not_before: from,
        until,
        step_minutes: 60,
        max_slots: 100,
    });
    let starts: Vec<&str> = slots.iter().map(|s| s.local_start.as_str()).collect();
    for day in ["2027-03-11", "2027-03-12", "2027-03-15", "2027-03-16"] {
        assert!(starts.contains(&format!("{day}T08:00").as_str()), "{day} 08:00 is free: {starts:?}");
        assert!(!starts.contains(&format!("{day}T09:00").as_str()), "{day} 09:00 is the gym: {starts:?}");
        assert!(starts.contains(&format!("{day}T10:00").as_str()), "{day} 10:00 is free: {starts:?}");
    }
}

const ANA_GOOGLE: &str = "ana.ortiz@gmail.example";

/// An AC repair inquiry (Ana is the shop's one AC technician) by email.
fn ac_repair(email: &str) -> Value {
    json!({ "channel": "email", "from": { "name": "Robin Hale", "email": email }, "subject": "AC not cooling",
            "body": "Hi, my AC stopped blowing cold air this morning. Can someone come look? 1420 Walnut St, Springfield IL 62704" })
}

/// Ana's Google calendar as the outside world reaches it (her phone, say).
struct AnasGoogle<'a> {
    peer: &'a crate::gmail::GooglePeer,
    token: String,
}

impl<'a> AnasGoogle<'a> {
    async fn open(peer: &'a crate::gmail::GooglePeer) -> Self {
        let made = peer.post("/peer/calendars", json!({ "address": ANA_GOOGLE })).await;
        Self { peer, token: made["token"].as_str().unwrap().to_owned() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/gw/www.googleapis.com/calendar/v3/calendars/primary/{path}", self.peer.base)
    }

    async fn add(&self, summary: &str, start: i64, end: i64) {
        let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
        let body = json!({ "summary": summary, "start": { "dateTime": at(start) }, "end": { "dateTime": at(end) } });
        let answer = self.peer.http.post(self.url("events")).bearer_auth(&self.token).json(&body).send().await.unwrap();
        assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
    }

    /// The event Opsquad wrote for `appointment`, unless it is not (or no longer) there.
    async fn visit(&self, appointment: &str) -> Option<Value> {
        let id = integrations::calendar::google::event_id(&format!("opsquad-{appointment}"));
        let answer =
            self.peer.http.get(self.url(&format!("events/{id}"))).bearer_auth(&self.token).send().await.unwrap();
        if !answer.status().is_success() {
            return None;
        }
        let event: Value = answer.json().await.unwrap();
        (event["status"] != "cancelled").then_some(event)
    }

    async fn delete(&self, appointment: &str) {
        let id = integrations::calendar::google::event_id(&format!("opsquad-{appointment}"));
        let answer =
            self.peer.http.delete(self.url(&format!("events/{id}"))).bearer_auth(&self.token).send().await.unwrap();
        assert_eq!(answer.status(), 204);
    }
}

/// A worker whose calendars reach the Google peer (the tests' default worker has no Google app).
fn google_worker(app: &TestApp, peer: &crate::gmail::GooglePeer) -> server::worker::Worker {
    let mut settings = app.settings();
    settings.gmail = peer.settings();
    server::worker::Worker {
        calendars: std::sync::Arc::new(server::startup::calendar_access(&settings).unwrap()),
        ..app.worker(std::sync::Arc::new(squad::offline::OfflineModel))
    }
}

/// Signs in with Google as `address` for the technician, in `app`'s browser (already signed in to
/// Opsquad), following every redirect as a browser would; where Opsquad sent the browser back to.
async fn sign_in_with_google(
    app: &TestApp,
    peer: &crate::gmail::GooglePeer,
    technician: &str,
    address: &str,
) -> String {
    let path = format!("/app/integrations/google-calendar/connect?technician={technician}&from=settings");
    let start = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let to_google = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(to_google.starts_with(&format!("{}/o/oauth2/v2/auth?", peer.base)), "{to_google}");
    let page = peer.http.get(&to_google).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("add the visits booked for you to your calendar"), "{page}");
    let state = peer.calls("authorize").await.pop().unwrap()["state"].as_str().unwrap().to_owned();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = no_redirects
        .post(format!("{}/o/oauth2/approve", peer.base))
        .form(&[("state", state.as_str()), ("address", address), ("answer", "allow")])
        .send()
        .await
        .unwrap();
    let back = back.headers()["location"].to_str().unwrap().to_owned();
    // The browser returns to Opsquad's public address; here that is the test server.
    let (_, query) = back.split_once('?').unwrap();
    let done =
        app.client.get(app.url(&format!("/app/integrations/google-calendar/callback?{query}"))).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    done.headers()["location"].to_str().unwrap().to_owned()
}

async fn a_technicians_google_calendar_keeps_its_busy_times_and_gets_the_visits(app: TestApp) {
    let peer = crate::gmail::GooglePeer::start().await;
    let demo = app.demo().await;
    let app = app.serve_with(|s| s.gmail = peer.settings()).await;
    let key = demo.api_key.clone();
    let crew = crew(&app, &key).await;
    let ana = id_of(&crew, "ana").to_owned();
    let org = org_of(&demo);

    // Ana has the dentist over her first AC opening, in her Google calendar.
    let before = openings_for(&app, &org, "AC repair").await;
    let (block_start, block_end) = (before[0].1 - 3_600_000, before[0].1 + 4 * 3_600_000);
    let anas = AnasGoogle::open(&peer).await;
    anas.add("Dentist", block_start, block_end).await;

    // The owner has Ana sign in with Google from Settings. Google's access tokens last a minute.
    peer.post("/peer/settings", json!({ "expires_in": 60 })).await;
    assert!(app.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    assert_eq!(sign_in_with_google(&app, &peer, &ana, ANA_GOOGLE).await, "/app/settings");
    let asked = &peer.calls("authorize").await[0];
    assert_eq!(asked["scope"], integrations::calendar::google::SCOPES);
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(
        asked["redirect_uri"],
        format!("{}/app/integrations/google-calendar/callback", app.settings().payments.public_url)
    );
    let (status, shown) = crate::helpers::get(&app, "/api/settings/calendars").await;
    assert_eq!(status, 200);
    assert_eq!(shown["google_outcome"]["connected"], ANA_GOOGLE, "{shown}");
    let anas_row = shown["technicians"].as_array().unwrap().iter().find(|t| t["technician_id"] == ana).unwrap().clone();
    assert_eq!(
        (anas_row["calendar"]["provider"].as_str(), anas_row["calendar"]["healthy"].as_bool()),
        (Some("google"), Some(true)),
        "{shown}"
    );
    let view: Value = app.api_json(&format!("/api/v1/technicians/{ana}/calendar"), &key).await;
    assert_eq!((view["provider"].as_str(), view["username"].as_str()), (Some("google"), Some(ANA_GOOGLE)), "{view}");
    assert!(!view.to_string().contains("ya29") && !view.to_string().contains("1//"), "no token is shown: {view}");
    let sealed = app.admin_text("SELECT credentials_sealed FROM technician_calendars").await;
    assert!(!sealed.contains("ya29") && !sealed.contains("1//"), "tokens are sealed at rest");

    // Read from Google's free-busy, at most 62 days at a time: the dentist is never offered.
    let after = openings_for(&app, &org, "AC repair").await;
    assert!(!after.is_empty());
    assert!(after.iter().all(|(_, s, e)| *e <= block_start || *s >= block_end), "an opening over the dentist");
    let (from, until) = (
        app.admin_count("SELECT busy_from FROM technician_calendars").await,
        app.admin_count("SELECT busy_until FROM technician_calendars").await,
    );
    assert!(until - from <= 62 * 86_400_000, "one free-busy question spans {} days", (until - from) / 86_400_000);

    // The squad books around it, and the visit appears in Ana's Google calendar.
    let id = inbound(&app, &key, ac_repair("robin@example.com")).await;
    google_worker(&app, &peer).drain().await.unwrap();
    let booked = lead(&app, &key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let (appointment, tech, start, end) = booked_appointment(&booked);
    assert_eq!(tech, ana);
    assert!(end <= block_start || start >= block_end, "booked over the dentist: {start}–{end}");
    let event = anas.visit(&appointment).await.expect("the visit is in Ana's Google calendar");
    assert!(event["summary"].as_str().unwrap().starts_with("AC repair — Robin Hale"), "{event}");
    assert!(event["description"].as_str().unwrap().contains(&format!("/app/leads/{id}")), "{event}");
    assert!(event["location"].as_str().unwrap().contains("1420 Walnut St"), "{event}");
    let starts = chrono::DateTime::parse_from_rfc3339(event["start"]["dateTime"].as_str().unwrap()).unwrap();
    assert_eq!(starts.timestamp_millis(), start);

    // Google's access tokens lapse (here within a minute): renewed ones are kept, sealed.
    let scope = store::Operator::new("test").act_for(org, None, Role::Owner);
    let access = google_worker(&app, &peer).calendars;
    squad::calendars::Calendars::refresh(&*access, &app.db, &scope, squad::calendars::Freshness::AllNow).await.unwrap();
    let renewed = app.admin_text("SELECT credentials_sealed FROM technician_calendars").await;
    assert_ne!(renewed, sealed, "the renewed token was kept");
    assert!(peer.calls("token").await.iter().any(|c| c["grant_type"] == "refresh_token"));

    // The owner moves the visit, then cancels it: Ana's calendar follows.
    let later = after.iter().find(|(_, s, _)| *s >= end + 86_400_000).expect("a later opening").1;
    let when = chrono::DateTime::from_timestamp_millis(later)
        .unwrap()
        .with_timezone(&chrono_tz::America::Chicago)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let moved = ops::appointments::reschedule(&app.db, &scope, &appointment, &ana, &when, false).await.unwrap();
    google_worker(&app, &peer).drain().await.unwrap();
    assert_eq!(anas.visit(&appointment).await, None, "the old time is gone from the calendar");
    let moved_event = anas.visit(&moved.appointment_id).await.expect("the new time is in the calendar");
    let starts = chrono::DateTime::parse_from_rfc3339(moved_event["start"]["dateTime"].as_str().unwrap()).unwrap();
    assert_eq!(starts.timestamp_millis(), later);

    // Deleted on Ana's phone: the next check tells the owner, once.
    anas.delete(&moved.appointment_id).await;
    for _ in 0..2 {
        app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'check_calendars' AND status = 'queued'").await;
        google_worker(&app, &peer).drain().await.unwrap();
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM escalations WHERE kind = 'calendar'").await, 1);
    let why = app.admin_text("SELECT reason FROM escalations WHERE kind = 'calendar'").await;
    assert!(why.contains("was deleted from Ana Ortiz's calendar"), "{why}");

    // Ana withdraws Opsquad's access in her Google account: the calendar says so, and offers nothing.
    peer.post("/peer/revoke", json!({ "address": ANA_GOOGLE, "calendar": true })).await;
    squad::calendars::Calendars::refresh(&*access, &app.db, &scope, squad::calendars::Freshness::AllNow).await.unwrap();
    let view: Value = app.api_json(&format!("/api/v1/technicians/{ana}/calendar"), &key).await;
    assert_eq!(view["status"], "error", "{view}");
    assert!(view["last_error"].as_str().unwrap().contains("Google no longer lets Opsquad use this calendar"), "{view}");
    app.admin_execute("UPDATE technician_calendars SET read_at = read_at - 3600000").await;
    assert!(openings_for(&app, &org, "AC repair").await.is_empty(), "nothing is offered over unknown time");
}

async fn a_google_calendar_sign_in_counts_only_for_the_shop_and_session_that_started_it(app: TestApp) {
    let peer = crate::gmail::GooglePeer::start().await;
    let demo = app.demo().await;
    let other = app.create_org("Other Plumbing").await;
    let app = app.serve_with(|s| s.gmail = peer.settings()).await;
    let ana = id_of(&crew(&app, &demo.api_key).await, "ana").to_owned();

    // Another shop's owner names this shop's technician: Google is asked, nothing is connected.
    assert!(app.log_in(&other.owner_email, &other.password).await.status().is_success());
    assert_eq!(sign_in_with_google(&app, &peer, &ana, ANA_GOOGLE).await, "/app/settings");
    let (_, shown) = crate::helpers::get(&app, "/api/settings/calendars").await;
    assert_eq!(shown["google_outcome"]["problem"], "That technician is not on your team.", "{shown}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM technician_calendars").await, 0);

    // Google's answer to a sign-in started in one browser does nothing in another.
    let owner = app.new_browser();
    assert!(owner.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    let path = format!("/app/integrations/google-calendar/connect?technician={ana}&from=setup");
    let start = owner.client.get(owner.url(&path)).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    peer.http.get(start.headers()["location"].to_str().unwrap()).send().await.unwrap();
    let state = peer.calls("authorize").await.pop().unwrap()["state"].as_str().unwrap().to_owned();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = no_redirects
        .post(format!("{}/o/oauth2/approve", peer.base))
        .form(&[("state", state.as_str()), ("address", ANA_GOOGLE), ("answer", "allow")])
        .send()
        .await
        .unwrap();
    let back = back.headers()["location"].to_str().unwrap().to_owned();
    let (_, query) = back.split_once('?').unwrap();
    let stray = app.new_browser();
    assert!(stray.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    let callback = format!("/app/integrations/google-calendar/callback?{query}");
    stray.client.get(stray.url(&callback)).send().await.unwrap();
    let (_, shown) = crate::helpers::get(&stray, "/api/settings/calendars").await;
    assert!(shown["google_outcome"]["problem"].as_str().unwrap().contains("was not started here"), "{shown}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM technician_calendars").await, 0);

    // In the browser that started it, it connects; back to the wizard it came from.
    let done = owner.client.get(owner.url(&callback)).send().await.unwrap();
    assert_eq!(done.headers()["location"], "/app/setup");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM technician_calendars WHERE provider = 'google'").await, 1);

    // Declining on Google's page connects nothing and says so.
    let start = owner.client.get(owner.url(&path)).send().await.unwrap();
    peer.http.get(start.headers()["location"].to_str().unwrap()).send().await.unwrap();
    let state = peer.calls("authorize").await.pop().unwrap()["state"].as_str().unwrap().to_owned();
    let back = no_redirects
        .post(format!("{}/o/oauth2/approve", peer.base))
        .form(&[("state", state.as_str()), ("address", ANA_GOOGLE), ("answer", "deny")])
        .send()
        .await
        .unwrap();
    let (_, query) = back.headers()["location"].to_str().unwrap().split_once('?').unwrap();
    owner.client.get(owner.url(&format!("/app/integrations/google-calendar/callback?{query}"))).send().await.unwrap();
    let (_, shown) = crate::helpers::get(&owner, "/api/settings/calendars").await;
    assert!(shown["google_outcome"]["problem"].as_str().unwrap().contains("access was not allowed"), "{shown}");
}
