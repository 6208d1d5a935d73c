//! Text messages against a local Twilio (`tests/peers/twilio_peer.py`: the 2010-04-01 REST API
//! with basic auth, status callbacks and customers' texts signed the way Twilio signs them): an
//! owner connects the shop's Twilio number, a customer texts it and the squad answers by text,
//! every text's progress is tracked, STOP ends all texts to a number and START brings them back,
//! a text that is not delivered goes by email instead, and webhooks that are not the connected
//! account's change nothing.

use std::process::Stdio;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::helpers::TestApp;
use crate::mail_peers::{answers, free_port, tool};
use crate::on_both_backends;
use crate::squad::lead;

on_both_backends!(
    an_owner_connects_twilio_and_the_squad_answers_customers_by_text,
    stop_ends_every_text_and_start_brings_them_back,
    a_text_that_is_not_delivered_goes_by_email_instead,
    webhooks_not_signed_by_the_shops_account_change_nothing,
    a_missed_call_is_texted_back_and_opens_a_lead,
    a_reminder_waits_out_the_night_where_the_customer_is,
    texts_can_go_through_the_shops_messaging_service,
);

pub(crate) const ACCOUNT_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub(crate) const AUTH_TOKEN: &str = "twilio-test-auth-token-0123456789";
pub(crate) const NUMBER: &str = "+12175550100";
/// The peer's one Messaging Service, whose sender pool holds [`NUMBER`].
const SERVICE_SID: &str = "MG5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";
/// Where the tests' server says it is reached (`payments.public_url` in the test settings):
/// Twilio calls it and signs what it calls, and the peer forwards it to the server's real port.
const PUBLIC: &str = "http://127.0.0.1:3000";

/// Twilio on 127.0.0.1, for one test.
pub(crate) struct TwilioPeer {
    base: String,
    http: reqwest::Client,
    _process: Child,
}

impl TwilioPeer {
    async fn start() -> Self {
        let port = free_port();
        let dir = env!("CARGO_MANIFEST_DIR");
        let process = Command::new(tool("python"))
            .arg(format!("{dir}/tests/peers/twilio_peer.py"))
            .args([&port.to_string(), ACCOUNT_SID, AUTH_TOKEN, NUMBER, &format!("{PUBLIC}/webhooks/twilio/sms")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        assert!(answers(port).await, "the Twilio peer did not answer on {port}");
        Self { base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), _process: process }
    }

    fn settings(&self) -> server::config::TwilioSettings {
        server::config::TwilioSettings {
            api_base: Some(format!("{}/", self.base)),
            messaging_base: Some(format!("{}/", self.base)),
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let answer = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
        answer.json().await.unwrap()
    }

    /// A customer at `from` texts the shop: the webhook's status and TwiML answer.
    pub(crate) async fn text(&self, from: &str, body: &str) -> (u16, String) {
        let said = self.post("/peer/text", json!({ "from": from, "body": body })).await;
        (said["status"].as_u64().unwrap() as u16, said["body"].as_str().unwrap().to_owned())
    }

    /// Every text sent through the account, oldest first.
    async fn sent(&self) -> Vec<Value> {
        let all: Value = self.http.get(format!("{}/peer/texts", self.base)).send().await.unwrap().json().await.unwrap();
        all["texts"].as_array().unwrap().clone()
    }

    pub(crate) async fn sent_to(&self, to: &str) -> Vec<String> {
        self.sent().await.iter().filter(|t| t["to"] == to).map(|t| t["body"].as_str().unwrap().to_owned()).collect()
    }

    /// Waits until every status callback was delivered.
    async fn settled(&self) {
        for _ in 0..200 {
            let left: Value =
                self.http.get(format!("{}/peer/settled", self.base)).send().await.unwrap().json().await.unwrap();
            if left["pending"] == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the Twilio peer still has status callbacks to deliver");
    }
}

/// The test app served with Twilio at the peer.
pub(crate) async fn served(app: &TestApp) -> (TestApp, TwilioPeer) {
    let peer = TwilioPeer::start().await;
    let settings = peer.settings();
    let served = app.serve_with(|s| s.twilio = settings).await;
    peer.post("/peer/forward", json!({ "public": PUBLIC, "actual": served.url("") })).await;
    (served, peer)
}

/// Runs every due job with a worker whose texts reach the peer.
pub(crate) async fn drain(app: &TestApp, peer: &TwilioPeer) {
    let mut settings = app.settings();
    settings.twilio = peer.settings();
    let worker = server::worker::Worker {
        own_channels: server::startup::own_channels(&settings).unwrap(),
        ..app.worker(Arc::new(squad::offline::OfflineModel))
    };
    worker.drain().await.unwrap();
}

pub(crate) async fn connect(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    let answer = app.api(Method::PUT, "/api/v1/integrations/sms", key).await.json(&body).send().await.unwrap();
    (answer.status(), answer.json().await.unwrap_or(Value::Null))
}

pub(crate) fn connection() -> Value {
    json!({ "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "number": "(217) 555-0100" })
}

async fn an_owner_connects_twilio_and_the_squad_answers_customers_by_text(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    let key = demo.api_key.as_str();

    // Wrong token, a number that is not the account's, a malformed SID: each says what is wrong.
    let (status, wrong) = connect(&app, key, with("auth_token", "nope")).await;
    assert_eq!(
        (status, wrong["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("auth_token")),
        "{wrong}"
    );
    let (status, wrong) = connect(&app, key, with("number", "+12175550199")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong["error"]["message"], "+12175550199 is not one of this Twilio account's numbers.");
    let (status, _) = connect(&app, key, with("account_sid", "AC123")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations WHERE provider = 'twilio'").await, 0);

    let (status, connected) = connect(&app, key, connection()).await;
    assert_eq!(status, StatusCode::OK, "{connected}");
    assert_eq!((connected["provider"].as_str(), connected["account"].as_str()), (Some("twilio"), Some(NUMBER)));
    assert_eq!(connected["settings"]["account_sid"], ACCOUNT_SID);
    assert!(!connected.to_string().contains(AUTH_TOKEN), "the token never comes back: {connected}");
    assert_eq!(
        app.admin_count(&format!("SELECT COUNT(*) FROM integrations WHERE credentials_sealed LIKE '%{AUTH_TOKEN}%'"))
            .await,
        0,
        "the token is sealed at rest"
    );

    // "Send a test text".
    let tested = app
        .api(Method::POST, "/api/v1/integrations/sms/test", key)
        .await
        .json(&json!({ "to": "217-555-0177" }))
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), StatusCode::OK);
    let test_texts = peer.sent_to("+12175550177").await;
    assert_eq!(test_texts.len(), 1);
    assert!(test_texts[0].contains("this is a test text from Opsquad"), "{test_texts:?}");

    // A customer texts the shop: the carrier vouches for the number, the squad answers by text.
    let customer = "+12175550142";
    let (status, twiml) =
        peer.text(customer, "Hi, my AC stopped blowing cold air this morning. Can someone come look? 1420 Walnut St, Springfield IL 62704").await;
    assert_eq!(status, 200, "{twiml}");
    assert!(twiml.ends_with("<Response></Response>"), "the squad answers by its own job: {twiml}");
    drain(&app, &peer).await;
    let leads: Value = app.api_json("/api/v1/leads", key).await;
    let id = leads.as_array().unwrap()[0]["id"].as_str().unwrap().to_owned();
    let found = lead(&app, key, &id).await;
    assert_eq!(found["channel"], "sms", "{found}");
    let inbound = &found["messages"][0];
    assert_eq!((inbound["channel"].as_str(), inbound["sender_proof"].as_str()), (Some("sms"), Some("carrier_sms")));
    let replies = peer.sent_to(customer).await;
    assert!(!replies.is_empty(), "the squad's reply went out by text");

    // Twilio reports each text's progress; the last word is kept.
    peer.settled().await;
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM sms_texts WHERE status = 'delivered' AND message_id IS NOT NULL").await,
        replies.len() as i64
    );
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM sms_texts WHERE segments >= 1 AND price_micros >= 7900").await,
        replies.len() as i64,
        "segments and what each text cost are kept"
    );

    // The same text delivered twice by Twilio is taken once.
    let sid = peer.sent().await.len();
    let again = peer.post("/peer/text", json!({ "from": customer, "body": "Thanks!", "sid": "SMrepeat" })).await;
    let twice = peer.post("/peer/text", json!({ "from": customer, "body": "Thanks!", "sid": "SMrepeat" })).await;
    assert_eq!((again["status"].as_u64(), twice["status"].as_u64()), (Some(200), Some(200)));
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM messages WHERE external_id = 'SMrepeat'").await, 1);
    assert!(peer.sent().await.len() >= sid);
}

/// The good connection with one field changed.
fn with(field: &str, value: &str) -> Value {
    let mut changed = connection();
    changed[field] = json!(value);
    changed
}

async fn stop_ends_every_text_and_start_brings_them_back(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    let key = demo.api_key.as_str();
    assert_eq!(connect(&app, key, connection()).await.0, StatusCode::OK);
    let customer = "+12175550143";
    peer.text(customer, "Water heater is leaking in the basement, can you come this week? 62704").await;
    drain(&app, &peer).await;
    let before = peer.sent_to(customer).await.len();
    assert!(before > 0);

    let (_, twiml) = peer.text(customer, "STOP").await;
    assert!(twiml.contains("you won&apos;t get any more texts from us. Reply START to get them again."), "{twiml}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM sms_opt_outs").await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'texts stopped'").await, 1);

    // Whatever the squad has to say now (a reply, a reminder) is not texted to them.
    peer.text(customer, "Actually what time works?").await;
    drain(&app, &peer).await;
    assert_eq!(peer.sent_to(customer).await.len(), before, "nothing is texted after STOP");
    assert!(
        app.admin_count("SELECT COUNT(*) FROM side_effects WHERE response LIKE '%texted STOP%'").await >= 1,
        "the message says why it was not sent"
    );

    let (_, help) = peer.text(customer, "help").await;
    assert!(help.contains("Reply STOP to stop texts."), "{help}");
    let (_, twiml) = peer.text(customer, "START").await;
    assert!(twiml.contains("texts are back on"), "{twiml}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM sms_opt_outs").await, 0);
    peer.text(customer, "Is Thursday morning possible?").await;
    drain(&app, &peer).await;
    assert!(peer.sent_to(customer).await.len() > before, "texts flow again after START");
}

async fn a_text_that_is_not_delivered_goes_by_email_instead(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    let key = demo.api_key.as_str();
    assert_eq!(connect(&app, key, connection()).await.0, StatusCode::OK);
    let number = "+12175550144";
    peer.post("/peer/undeliverable", json!({ "number": number })).await;
    // An integration hands in a text message from a customer whose email is on file too.
    let inbound = app
        .api(Method::POST, "/api/v1/inbound", key)
        .await
        .json(
            &json!({ "channel": "sms", "from": { "name": "Casey Rowe", "phone": number, "email": "casey@example.com" },
                       "body": "Furnace making a loud banging noise, can someone check it this week? 62704" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(inbound.status(), StatusCode::ACCEPTED);
    let id = inbound.json::<Value>().await.unwrap()["lead_id"].as_str().unwrap().to_owned();
    drain(&app, &peer).await;
    assert!(!peer.sent_to(number).await.is_empty(), "the reply was texted first");
    peer.settled().await;
    drain(&app, &peer).await;

    assert!(
        app.admin_count("SELECT COUNT(*) FROM sms_texts WHERE status = 'undelivered' AND error_code = 30003").await
            >= 1
    );
    let emailed: Vec<_> = app.outbox.delivered().into_iter().filter(|m| m.to == "casey@example.com").collect();
    assert!(!emailed.is_empty(), "the same words went by email");
    assert!(emailed[0].subject.as_deref().unwrap_or_default().starts_with("Our text to you from"));
    let found = lead(&app, key, &id).await;
    assert!(
        found["messages"].as_array().unwrap().iter().any(|m| m["channel"] == "email" && m["author"] == "agent"),
        "the timeline shows the email: {found}"
    );
    assert!(
        app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'text not delivered; sent by email'").await >= 1
    );
}

async fn webhooks_not_signed_by_the_shops_account_change_nothing(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    assert_eq!(connect(&app, &demo.api_key, connection()).await.0, StatusCode::OK);
    // Another shop cannot take the same number, and sees none of the first shop's connection.
    let other = app.create_org("Other Shop").await;
    let (status, taken) = connect(&app, &other.api_key, connection()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    let theirs: Value = app.api_json("/api/v1/integrations", &other.api_key).await;
    assert_eq!(theirs, json!([]));
    let removed = app.api(Method::DELETE, "/api/v1/integrations/sms", &other.api_key).await.send().await.unwrap();
    assert_eq!(removed.status(), StatusCode::NOT_FOUND);
    let tested = app
        .api(Method::POST, "/api/v1/integrations/sms/test", &other.api_key)
        .await
        .json(&json!({ "to": "+12175550177" }))
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), StatusCode::NOT_FOUND, "no text leaves through another shop's number");
    assert!(app.log_in(&other.owner_email, &other.password).await.status().is_success());
    let (status, shown) = crate::helpers::get(&app, "/api/settings/sms").await;
    assert_eq!((status, &shown["number"]), (200, &Value::Null), "the other owner's settings show none: {shown}");
    let (status, _) = crate::helpers::post(&app, "/api/settings/sms/disconnect", &[]).await;
    assert_eq!(status, 404);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations WHERE provider = 'twilio'").await, 1);
    assert!(peer.sent().await.is_empty());

    let fields = [
        ("AccountSid", ACCOUNT_SID),
        ("From", "+12175550145"),
        ("To", NUMBER),
        ("Body", "Need a plumber today, pipe burst"),
        ("MessageSid", "SMforged"),
    ];
    let url = format!("{PUBLIC}/webhooks/twilio/sms");
    let owned: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let send = |signature: Option<String>, fields: Vec<(String, String)>| {
        let app_url = app.url("/webhooks/twilio/sms");
        async move {
            let mut request = reqwest::Client::new().post(app_url).form(&fields);
            if let Some(signature) = signature {
                request = request.header("x-twilio-signature", signature);
            }
            request.send().await.unwrap().status()
        }
    };
    assert_eq!(send(None, owned.clone()).await, StatusCode::FORBIDDEN, "unsigned");
    let forged = integrations::twilio::signature(&"another-token".to_owned().into(), &url, &owned);
    assert_eq!(send(Some(forged), owned.clone()).await, StatusCode::FORBIDDEN, "signed with another token");
    let wrong_url = integrations::twilio::signature(&AUTH_TOKEN.to_owned().into(), "http://evil.example/x", &owned);
    assert_eq!(send(Some(wrong_url), owned.clone()).await, StatusCode::FORBIDDEN, "signed for another URL");
    let mut elsewhere = owned.clone();
    elsewhere[2].1 = "+12175550999".into();
    let signed = integrations::twilio::signature(&AUTH_TOKEN.to_owned().into(), &url, &elsewhere);
    assert_eq!(send(Some(signed), elsewhere).await, StatusCode::NOT_FOUND, "a number no shop here connected");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM inbound_events WHERE provider = 'twilio'").await, 0);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 0);

    // Signed by the shop's account, the same text is taken.
    let good = integrations::twilio::signature(&AUTH_TOKEN.to_owned().into(), &url, &owned);
    assert_eq!(send(Some(good), owned).await, StatusCode::OK);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 1);
    drop(peer);
}

async fn a_missed_call_is_texted_back_and_opens_a_lead(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    let key = demo.api_key.as_str();
    let (status, connected) = connect(&app, key, with("forward_calls_to", "217-555-0199")).await;
    assert_eq!(status, StatusCode::OK, "{connected}");
    assert_eq!(connected["settings"]["forward_calls_to"], "+12175550199");

    // A call the owner picks up is just a call: counted, nothing more.
    let answered =
        peer.post("/peer/call", json!({ "from": "+12175550150", "answer": "completed", "duration": 95 })).await;
    assert_eq!(answered["rang"], "+12175550199", "{answered}");
    assert_eq!(answered["done"]["status"], 200);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 0);
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM phone_calls WHERE outcome = 'answered' AND duration_seconds = 95").await,
        1
    );

    // One nobody picks up: the caller hears why, is texted within the same request's work, and a
    // lead opens on the board.
    let caller = "+12175550151";
    let missed = peer.post("/peer/call", json!({ "from": caller, "answer": "no-answer", "sid": "CAmissed" })).await;
    assert_eq!(missed["done"]["status"], 200, "{missed}");
    assert!(missed["done"]["body"].as_str().unwrap().contains("<Say>Sorry we missed you"), "{missed}");
    drain(&app, &peer).await;
    let texted = peer.sent_to(caller).await;
    assert_eq!(texted.len(), 1, "{texted:?}");
    assert!(texted[0].contains("Sorry we missed your call! What can we help you with?"), "{texted:?}");
    let leads: Value = app.api_json("/api/v1/leads", key).await;
    let id = leads.as_array().unwrap()[0]["id"].as_str().unwrap().to_owned();
    let found = lead(&app, key, &id).await;
    assert_eq!(found["channel"], "call", "{found}");
    // Twilio asking again about the same call texts nobody twice.
    peer.post("/peer/call", json!({ "from": caller, "answer": "no-answer", "sid": "CAmissed" })).await;
    drain(&app, &peer).await;
    assert_eq!(peer.sent_to(caller).await.len(), 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads").await, 1);

    // The caller rings again and the owner picks up: the lead's page shows both calls, matched by
    // the number; the usage report counts them.
    peer.post("/peer/call", json!({ "from": caller, "answer": "completed", "duration": 240, "sid": "CAagain" })).await;
    assert!(app.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    let (status, timeline) = crate::helpers::get(&app, &format!("/api/leads/timeline?id={id}")).await;
    assert_eq!(status, 200, "{timeline}");
    let calls: Vec<&str> = timeline["calls"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].ends_with(&format!("missed call from {caller}; texted back")), "{calls:?}");
    assert!(calls[1].ends_with(&format!("call from {caller}, answered (4 min)")), "{calls:?}");
    let (_, usage) = crate::helpers::get(&app, "/api/usage").await;
    assert_eq!(
        usage["calls"], "Calls to your Twilio number: 2 answered, 1 missed — 1 texted back, 0 of them booked.",
        "{usage}"
    );
    let other = app.create_org("Other Shop").await;
    let theirs = app.new_browser();
    assert!(theirs.log_in(&other.owner_email, &other.password).await.status().is_success());
    let (_, usage) = crate::helpers::get(&theirs, "/api/usage").await;
    assert_eq!(usage["calls"], Value::Null, "another shop counts none of these calls: {usage}");

    // The caller texts back: the same lead goes on, and the squad answers by text.
    peer.text(caller, "Hi yes, my furnace is making a loud banging noise. Can someone come this week? 62704").await;
    drain(&app, &peer).await;
    let after = lead(&app, key, &id).await;
    let inbound: Vec<&Value> =
        after["messages"].as_array().unwrap().iter().filter(|m| m["direction"] == "inbound").collect();
    assert_eq!(inbound.len(), 2, "the call and the text are one lead: {after}");
    assert!(peer.sent_to(caller).await.len() > 1, "the squad answered by text");
    assert!(
        after["messages"].as_array().unwrap().iter().filter(|m| m["author"] == "agent").all(|m| m["channel"] == "sms"),
        "{after}"
    );

    // With no phone to ring, every caller hears a short message and is texted back.
    assert_eq!(connect(&app, key, connection()).await.0, StatusCode::OK);
    let unrung = peer.post("/peer/call", json!({ "from": "+12175550152" })).await;
    assert!(unrung["voice"]["body"].as_str().unwrap().contains("<Say>Thanks for calling"), "{unrung}");
    assert!(unrung["done"].is_null(), "nothing rang: {unrung}");
    drain(&app, &peer).await;
    assert_eq!(peer.sent_to("+12175550152").await.len(), 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads WHERE channel = 'call'").await, 2);
}

/// Sets the demo shop's time zone to one whose clocks read `hour`:xx now.
async fn clocks_at(app: &TestApp, hour: i64) {
    let utc_hour = (store::now_ms() / 3_600_000) % 24;
    let mut offset = (hour - utc_hour).rem_euclid(24);
    if offset > 14 {
        offset -= 24;
    }
    // The Etc zones' signs are the other way round: Etc/GMT-5 is five hours ahead of UTC.
    let zone = match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    app.admin_execute(&format!("UPDATE business_settings SET time_zone = '{zone}'")).await;
}

async fn a_reminder_waits_out_the_night_where_the_customer_is(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    let key = demo.api_key.as_str();
    assert_eq!(connect(&app, key, connection()).await.0, StatusCode::OK);
    clocks_at(&app, 23).await;

    // At 11 pm the squad still answers someone who has just written.
    let customer = "+12175550146";
    peer.text(
        customer,
        "Hi, my AC stopped blowing cold air this morning. Can someone come look? 1420 Walnut St, Springfield IL 62704",
    )
    .await;
    drain(&app, &peer).await;
    let answered = peer.sent_to(customer).await.len();
    assert!(answered >= 2, "the reply and the booking's confirmation went at once");
    let leads: Value = app.api_json("/api/v1/leads", key).await;
    assert_eq!(leads[0]["stage"], "booked");

    // An hour later a reminder comes due: it is not an answer to anything, so it waits for 8 am.
    app.admin_execute("UPDATE messages SET created_at = created_at - 3600000 WHERE direction = 'inbound'").await;
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'send_reminder' AND status = 'queued'").await;
    drain(&app, &peer).await;
    assert_eq!(peer.sent_to(customer).await.len(), answered, "nothing is texted in the quiet hours");
    let now = store::now_ms();
    let held = app
        .admin_count(&format!(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'deliver_message' AND status = 'queued' AND run_at > {now} \
             AND run_at <= {}",
            now + 9 * 3_600_000 + 60_000
        ))
        .await;
    assert!(held >= 1, "the reminder is queued again for the morning");
    // The owner sees why it has not gone.
    assert!(app.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    let id = leads[0]["id"].as_str().unwrap();
    let (status, timeline) = crate::helpers::get(&app, &format!("/api/leads/timeline?id={id}")).await;
    assert_eq!(status, 200, "{timeline}");
    let words: Vec<&str> =
        timeline["messages"].as_array().unwrap().iter().filter_map(|m| m["delivery"]["words"].as_str()).collect();
    assert!(words.contains(&"Waits until 8:00 AM: it is night where the customer is"), "{words:?}");

    // Morning comes: it goes.
    clocks_at(&app, 9).await;
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'deliver_message' AND status = 'queued'").await;
    drain(&app, &peer).await;
    let texts = peer.sent_to(customer).await;
    assert!(texts.len() > answered && texts.last().unwrap().starts_with("Reminder: "), "{texts:?}");
}

async fn texts_can_go_through_the_shops_messaging_service(app: TestApp) {
    let demo = app.demo().await;
    let (app, peer) = served(&app).await;
    let key = demo.api_key.as_str();

    // A SID that is not a Messaging Service's, or not this account's, is refused by name.
    let (status, body) = connect(&app, key, with("messaging_service_sid", "MG123")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "messaging_service_sid", "{body}");
    let (status, body) = connect(&app, key, with("messaging_service_sid", &format!("MG{}", "0".repeat(32)))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("not one of this Twilio account's Messaging Services"));
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations WHERE provider = 'twilio'").await, 0);

    // The shop's service: the test text and the squad's answers go out through it.
    let (status, body) = connect(&app, key, with("messaging_service_sid", SERVICE_SID)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["settings"]["messaging_service_sid"], SERVICE_SID, "{body}");
    let tested = app
        .api(Method::POST, "/api/v1/integrations/sms/test", key)
        .await
        .json(&json!({ "to": "+12175550177" }))
        .send()
        .await
        .unwrap();
    assert_eq!(tested.status(), StatusCode::OK, "{}", tested.text().await.unwrap());
    peer.text("+12175550178", "Hi, is anyone free to fix a leaking water heater this week? 62704").await;
    drain(&app, &peer).await;
    let sent = peer.sent().await;
    assert!(sent.len() >= 2, "{sent:?}");
    assert!(
        sent.iter().all(|t| t["messaging_service_sid"] == SERVICE_SID && t["from"] == NUMBER),
        "every text went through the service, from the shop's number: {sent:?}"
    );
}
