//! The chat widget: the owner publishes it for their sites; a visitor's session starts a
//! conversation of its own, reads only that, and gets the squad's reply over its event stream;
//! a person taking over silences the squad; each shop's widget is its own.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{field, get, post, TestApp};
use crate::on_both_backends;
use crate::squad::{demo, inbound};

on_both_backends!(
    a_visitor_chats_and_the_squads_reply_reaches_the_window,
    a_session_reads_and_continues_only_its_own_conversation,
    the_stream_sends_each_line_once_and_resumes_after_the_last_one_seen,
    the_reply_streams_in_pieces_then_lands_once,
    a_reply_that_is_not_sent_is_taken_back,
    the_visitor_books_an_offered_time_with_a_tap,
    a_time_taken_meanwhile_is_not_booked_twice_and_the_next_ones_are_offered,
    when_a_person_takes_over_the_squad_says_nothing_more,
    bad_input_gets_a_clear_answer_and_changes_nothing,
    each_shop_has_only_its_own_widget,
    chats_from_one_address_are_throttled,
    a_visitor_who_leaves_an_email_gets_later_replies_there_and_can_answer,
    without_a_mailbox_a_left_contact_is_kept_for_the_team_and_nothing_is_emailed,
    a_visitor_who_left_gets_the_offered_times_in_words,
);

const SITE: &str = "https://www.springfield-heating.example";

/// Publishes the demo shop's widget; returns (owner key, org id).
async fn published(app: &TestApp) -> (String, String) {
    let key = demo(app).await;
    let response = app
        .api(Method::PUT, "/api/v1/channels/widget", &key)
        .await
        .json(&json!({ "enabled": true, "allowed_origins": [SITE] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let me: Value = app.api_json("/api/v1/me", &key).await;
    (key, me["org"]["id"].as_str().unwrap().to_owned())
}

/// A new session (or the one `token` names); its answer.
async fn start(app: &TestApp, org: &str, token: Option<&str>) -> (u16, Value) {
    let mut form = vec![("org", org)];
    if let Some(token) = token {
        form.push(("token", token));
    }
    post(app, "/api/widget/start", &form).await
}

async fn session(app: &TestApp, org: &str) -> String {
    let (status, started) = start(app, org, None).await;
    assert_eq!(status, 200, "{started}");
    started["token"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, org: &str, token: &str, body: &str) -> (u16, Value) {
    post(app, "/api/widget/send", &[("org", org), ("token", token), ("body", body)]).await
}

/// The lines the session's window would show now.
async fn lines(app: &TestApp, org: &str, token: &str) -> Vec<Value> {
    let (status, started) = start(app, org, Some(token)).await;
    assert_eq!(status, 200, "{started}");
    started["lines"].as_array().unwrap().clone()
}

fn from(lines: &[Value], who: &str) -> usize {
    lines.iter().filter(|l| l["from"] == who).count()
}

const FURNACE: &str = "Hi, this is Dana Reed. Our furnace stopped working, no heat. 12 Oak St, Springfield 62704.";

async fn a_visitor_chats_and_the_squads_reply_reaches_the_window(app: TestApp) {
    let (key, org) = published(&app).await;
    let me: Value = app.api_json("/api/v1/me", &key).await;
    assert!(me["widget_snippet"].as_str().unwrap().contains(&format!("data-widget=\"{org}\"")));
    let token = session(&app, &org).await;
    let (status, line) = send(&app, &org, &token, FURNACE).await;
    assert_eq!(status, 200, "{line}");
    assert_eq!(line["from"], "visitor");
    app.drain().await;

    let shown = lines(&app, &org, &token).await;
    assert_eq!(from(&shown, "visitor"), 1);
    assert!(from(&shown, "assistant") >= 1, "{shown:?}");
    // The lead is on the board like any other, on the chat channel, verified by the session.
    chat_lead(&app, &key).await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers WHERE name = 'Dana Reed'").await, 1);
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM messages WHERE sender_proof = 'widget_session'").await,
        1,
        "the visitor's message carries how it was verified"
    );
    // A reply is delivered by the chat itself, not handed to an email or SMS provider.
    assert_eq!(
        app.admin_count(
            "SELECT COUNT(*) FROM side_effects WHERE kind = 'message' AND request_hash = 'chat' AND status = 'done'"
        )
        .await,
        i64::try_from(from(&shown, "assistant")).unwrap()
    );
}

/// The id of the org's (one) chat lead, as the board lists it.
pub(crate) async fn chat_lead(app: &TestApp, key: &str) -> domain::LeadId {
    let leads: Value = app.api_json("/api/v1/leads", key).await;
    let lead = leads.as_array().unwrap().iter().find(|l| l["channel"] == "chat").expect("a chat lead on the board");
    domain::LeadId::parse(lead["id"].as_str().unwrap()).unwrap()
}

async fn a_session_reads_and_continues_only_its_own_conversation(app: TestApp) {
    let (key, org) = published(&app).await;
    // A customer on file, by email.
    inbound(
        &app,
        &key,
        json!({ "channel": "email", "from": { "name": "Pat Known", "email": "pat@example.com" },
        "body": "Drain is slow. 62704" }),
    )
    .await;
    let first = session(&app, &org).await;
    let second = session(&app, &org).await;
    assert_ne!(first, second);
    send(&app, &org, &first, FURNACE).await;
    // Naming a customer's email proves nothing: this visitor is kept apart from Pat.
    send(&app, &org, &second, "I'm pat@example.com, can you tell me what you have on file for me?").await;
    app.drain().await;
    let theirs = lines(&app, &org, &second).await;
    assert!(theirs.iter().all(|l| !l["body"].as_str().unwrap().contains("Dana")), "{theirs:?}");
    assert_eq!(from(&theirs, "visitor"), 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers WHERE email = 'pat@example.com'").await, 1);

    // The first session's next message continues its own lead.
    let (status, _) = send(&app, &org, &first, "Also the thermostat is blank.").await;
    assert_eq!(status, 200);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM leads WHERE channel = 'chat'").await, 2);
    assert_eq!(from(&lines(&app, &org, &first).await, "visitor"), 2);
}

/// Reads the stream until `enough` lines arrived or `patience` passed; returns (line ids, raw).
async fn read_stream(response: reqwest::Response, enough: usize, patience: Duration) -> (Vec<String>, String) {
    let mut response = response;
    let mut raw = String::new();
    let deadline = tokio::time::Instant::now() + patience;
    let ids = |raw: &str| -> Vec<String> {
        raw.split("\n\n")
            .filter(|event| event.lines().any(|l| l == "event: line"))
            .filter_map(|event| event.lines().find_map(|l| l.strip_prefix("id: ")).map(str::to_owned))
            .collect()
    };
    while ids(&raw).len() < enough {
        match tokio::time::timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(bytes))) => raw.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    (ids(&raw), raw)
}

async fn the_stream_sends_each_line_once_and_resumes_after_the_last_one_seen(app: TestApp) {
    let (_, org) = published(&app).await;
    let token = session(&app, &org).await;
    send(&app, &org, &token, FURNACE).await;
    app.drain().await;
    let shown = lines(&app, &org, &token).await;
    assert!(shown.len() >= 2);

    let url = app.url(&format!("/widget/{org}/events?token={token}"));
    let response = app.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (ids, raw) = read_stream(response, shown.len(), Duration::from_secs(5)).await;
    let expected: Vec<String> = shown.iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, expected, "every line once, in order: {raw}");

    // Reconnecting after the first line sends the rest only.
    let response = app.client.get(&url).header("last-event-id", &expected[0]).send().await.unwrap();
    let (ids, _) = read_stream(response, shown.len() - 1, Duration::from_secs(3)).await;
    assert_eq!(ids, expected[1..].to_vec());
    // After the last one, nothing but the status.
    let response = app.client.get(&url).header("last-event-id", expected.last().unwrap()).send().await.unwrap();
    let (ids, raw) = read_stream(response, 1, Duration::from_millis(1500)).await;
    assert!(ids.is_empty(), "{raw}");
    assert!(raw.contains("event: status"), "{raw}");
}

/// One server-sent event: its name, data and id.
#[derive(Debug)]
pub(crate) struct Sse {
    pub(crate) event: String,
    pub(crate) data: Value,
    pub(crate) id: Option<String>,
}

/// Reads a widget's event stream as the window does.
pub(crate) struct Stream {
    response: reqwest::Response,
    raw: String,
}

impl Stream {
    async fn open(app: &TestApp, org: &str, token: &str, last_seen: Option<&str>) -> Stream {
        let mut request = app.client.get(app.url(&format!("/widget/{org}/events?token={token}")));
        if let Some(id) = last_seen {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        Stream { response, raw: String::new() }
    }

    fn events(&self) -> Vec<Sse> {
        let complete = self.raw.rsplit_once("\n\n").map_or("", |(done, _)| done);
        complete
            .split("\n\n")
            .filter_map(|block| {
                let field = |name: &str| block.lines().find_map(|l| l.strip_prefix(name)).map(str::to_owned);
                Some(Sse {
                    event: field("event: ")?,
                    data: serde_json::from_str(&field("data: ")?).unwrap(),
                    id: field("id: "),
                })
            })
            .collect()
    }

    /// Reads until `done` holds of what came, or `patience` runs out.
    pub(crate) async fn until(&mut self, done: impl Fn(&[Sse]) -> bool, patience: Duration) -> Vec<Sse> {
        let deadline = tokio::time::Instant::now() + patience;
        while !done(&self.events()) {
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.raw.push_str(&String::from_utf8_lossy(&bytes)),
                _ => break,
            }
        }
        self.events()
    }
}

/// A visitor's new chat (the FURNACE message sent) with its window's stream open and following the
/// conversation: (owner key, org id, session token, stream).
pub(crate) async fn chat_awaiting_the_squad(app: &TestApp) -> (String, String, String, Stream) {
    let (key, org) = published(app).await;
    let token = session(app, &org).await;
    send(app, &org, &token, FURNACE).await;
    let mut stream = Stream::open(app, &org, &token, None).await;
    // Once the visitor's own line is back, the stream follows the conversation.
    stream.until(|events| events.iter().any(|e| e.event == "line"), Duration::from_secs(5)).await;
    (key, org, token, stream)
}

pub(crate) fn squad_line(events: &[Sse]) -> Option<usize> {
    events.iter().position(|e| e.event == "line" && e.data["from"] == "assistant")
}

/// Checks that the squad's first line came after at least `pieces` deltas of one draft that
/// spell it out, each continuing the last, with nothing of the draft after it; its position.
pub(crate) fn streamed_then_landed(events: &[Sse], pieces: usize) -> usize {
    let landed = squad_line(events).expect("the squad's reply arrived");
    let deltas: Vec<&Sse> = events[..landed].iter().filter(|e| e.event == "delta").collect();
    assert!(deltas.len() >= pieces, "the reply came in pieces before it landed: {events:?}");
    let draft = &deltas[0].data["draft"];
    assert!(deltas.iter().all(|d| d.data["draft"] == *draft && d.id.is_none()), "one draft, and no ids: {deltas:?}");
    let mut written = String::new();
    for delta in &deltas {
        assert_eq!(delta.data["at"], written.chars().count(), "each piece continues the last");
        written.push_str(delta.data["text"].as_str().unwrap());
    }
    assert_eq!(written.trim(), events[landed].data["body"].as_str().unwrap());
    assert!(
        events[landed..].iter().all(|e| !(e.event == "delta" && e.data["draft"] == *draft)),
        "nothing of the draft after its line"
    );
    landed
}

async fn the_reply_streams_in_pieces_then_lands_once(app: TestApp) {
    let (_, org, token, mut stream) = chat_awaiting_the_squad(&app).await;
    let worker = app.new_browser();
    let worker = tokio::spawn(async move { worker.drain().await });
    let events = stream.until(|events| squad_line(events).is_some(), Duration::from_secs(20)).await;
    worker.await.unwrap();

    let landed = streamed_then_landed(&events, 3);

    // A window that reconnects after the reply gets neither the draft nor the line again.
    let seen = events[landed].id.clone().unwrap();
    let mut again = Stream::open(&app, &org, &token, Some(&seen)).await;
    let events = again.until(|events| events.iter().any(|e| e.event == "status"), Duration::from_secs(3)).await;
    assert!(events.iter().all(|e| e.event != "delta" && e.id.as_deref() != Some(seen.as_str())), "{events:?}");
}

/// The offline model, but every reply it writes is longer than a reply may be: the tool refuses it.
struct Rambling;

#[async_trait::async_trait]
impl squad::model::Model for Rambling {
    fn provider(&self) -> &'static str {
        "offline"
    }

    async fn converse(
        &self,
        request: &squad::model::ModelRequest,
    ) -> Result<squad::model::ModelResponse, squad::model::ModelError> {
        let mut response = squad::offline::OfflineModel.converse(request).await?;
        for content in &mut response.content {
            if let squad::model::Content::ToolUse { name, input, .. } = content {
                if name == "send_reply" {
                    input["text"] = Value::String("Hello ".repeat(400));
                }
            }
        }
        Ok(response)
    }
}

async fn a_reply_that_is_not_sent_is_taken_back(app: TestApp) {
    let (_, org, token, mut stream) = chat_awaiting_the_squad(&app).await;
    let worker = app.new_browser();
    let worker = tokio::spawn(async move { worker.worker(std::sync::Arc::new(Rambling)).drain().await.unwrap() });
    let events = stream.until(|events| events.iter().any(|e| e.event == "discard"), Duration::from_secs(20)).await;
    worker.await.unwrap();
    let drafted = events.iter().position(|e| e.event == "delta").expect("the reply was shown as it was written");
    let taken_back = events.iter().position(|e| e.event == "discard").expect("and taken back");
    assert!(drafted < taken_back);
    assert_eq!(events[taken_back].data["draft"], events[drafted].data["draft"]);
    let shown = lines(&app, &org, &token).await;
    assert!(shown.iter().all(|l| !l["body"].as_str().unwrap().starts_with("Hello Hello")), "{shown:?}");
}

async fn choose(app: &TestApp, org: &str, token: &str, offer: &str) -> (u16, Value) {
    post(app, "/api/widget/choose", &[("org", org), ("token", token), ("offer", offer)]).await
}

/// The times the newest line offers: (offer id, label).
fn offered(lines: &[Value]) -> Vec<(String, String)> {
    let Some(last) = lines.last() else { return Vec::new() };
    last["choices"]
        .as_array()
        .map(|c| c.iter().map(|c| (c["id"].as_str().unwrap().into(), c["label"].as_str().unwrap().into())).collect())
        .unwrap_or_default()
}

async fn the_visitor_books_an_offered_time_with_a_tap(app: TestApp) {
    let (key, org) = published(&app).await;
    let token = session(&app, &org).await;
    send(&app, &org, &token, FURNACE).await;
    app.drain().await;

    // In a chat the Scheduler offers times rather than booking one the visitor never saw.
    let shown = lines(&app, &org, &token).await;
    let times = offered(&shown);
    assert_eq!(times.len(), 3, "{shown:#?}");
    assert!(times.iter().all(|(_, label)| label.contains(" AM ") || label.contains(" PM ")), "{times:?}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM appointments").await, 0, "nothing booked before the tap");
    let lead = chat_lead(&app, &key).await;
    let board: Value = app.api_json(&format!("/api/v1/leads/{lead}"), &key).await;
    assert_eq!(board["waiting_on"], "customer", "{board}");

    let (pick, label) = &times[1];
    let (status, line) = choose(&app, &org, &token, pick).await;
    assert_eq!(status, 200, "{line}");
    assert_eq!((line["from"].as_str(), line["body"].as_str()), (Some("visitor"), Some(label.as_str())));
    let offered_at = app.admin_count(&format!("SELECT starts_at FROM time_offers WHERE id = '{pick}'")).await;
    assert_eq!(
        app.admin_count(&format!(
            "SELECT COUNT(*) FROM appointments WHERE starts_at = {offered_at} AND status = 'scheduled'"
        ))
        .await,
        1,
        "the time tapped is the time booked"
    );
    let after = lines(&app, &org, &token).await;
    let confirmation = after.last().unwrap();
    assert_eq!(confirmation["from"], "assistant");
    assert!(confirmation["body"].as_str().unwrap().starts_with("You're booked for"), "{confirmation}");
    assert!(after.iter().all(|l| l["choices"].as_array().unwrap().is_empty()), "no time is offered once booked");
    let board: Value = app.api_json(&format!("/api/v1/leads/{lead}"), &key).await;
    assert_eq!(board["stage"], "booked", "{board}");
    assert!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'send_reminder'").await >= 1, "reminders queued");

    // A second tap (another button, a double click) books nothing more.
    let (status, answer) = choose(&app, &org, &token, &times[0].0).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer.to_string().contains("already booked"), "{answer}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM appointments").await, 1);

    // Another visitor cannot use this conversation's offers, nor can the other shop's widget.
    let stranger = session(&app, &org).await;
    send(&app, &org, &stranger, "Do you do furnace repair? 62704").await;
    assert_eq!(choose(&app, &org, &stranger, &times[2].0).await.0, 404);
    assert_eq!(choose(&app, &org, &token, "not-an-offer").await.0, 404);
    let other = app.create_org("Other Plumbing").await;
    let response = app
        .api(Method::PUT, "/api/v1/channels/widget", &other.api_key)
        .await
        .json(&json!({ "enabled": true, "allowed_origins": ["https://other.example"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let other_org = other.id.to_string();
    let other_token = session(&app, &other_org).await;
    assert_eq!(choose(&app, &other_org, &other_token, &times[2].0).await.0, 404);
    assert_eq!(choose(&app, &other_org, &token, &times[2].0).await.0, 409, "a session is its own shop's");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM appointments").await, 1);
}

async fn a_time_taken_meanwhile_is_not_booked_twice_and_the_next_ones_are_offered(app: TestApp) {
    let (key, org) = published(&app).await;
    // Three visitors at once are each offered a first opening of their own: the Scheduler keeps a
    // visitor's first time from the others for a while, so they do not race for one.
    let mut visitors = Vec::new();
    for _ in 0..3 {
        let token = session(&app, &org).await;
        send(&app, &org, &token, FURNACE).await;
        visitors.push(token);
    }
    app.drain().await;
    let opening = |pick: &str| format!("SELECT technician_id || '@' || starts_at FROM time_offers WHERE id = '{pick}'");
    let mut firsts = Vec::new();
    for token in &visitors {
        let (pick, _) = offered(&lines(&app, &org, token).await).first().cloned().expect("times offered");
        firsts.push((pick.clone(), app.admin_text(&opening(&pick)).await));
    }
    let distinct: std::collections::HashSet<&String> = firsts.iter().map(|(_, at)| at).collect();
    assert_eq!(distinct.len(), 3, "each visitor's first opening is their own: {firsts:?}");

    // The third visitor's first time is taken meanwhile, with every technician: the owner booked
    // callers on the phone.
    let starts_at = firsts[2].1.split_once('@').unwrap().1.parse::<i64>().unwrap();
    let caller = crate::squad::inbound(&app, &key, crate::squad::furnace("phone@example.com")).await;
    let owner = store::Operator::new("test").act_for(domain::OrgId::parse(&org).unwrap(), None, domain::Role::Owner);
    let mut tx = store::TenantTx::begin(&app.db, &owner).await.unwrap();
    for technician in store::technicians::list(&mut tx).await.unwrap() {
        let visit = store::appointments::NewAppointment {
            lead_id: domain::LeadId::parse(&caller).unwrap(),
            technician_id: technician.id,
            service_id: None,
            starts_at,
            ends_at: starts_at + 2 * 3_600_000,
        };
        store::appointments::book(&mut tx, &visit).await.unwrap();
    }
    tx.commit().await.unwrap();
    let by_phone = app.admin_count("SELECT COUNT(*) FROM appointments").await;

    let mut outcomes = Vec::new();
    for (token, (pick, _)) in visitors.iter().zip(&firsts) {
        let (status, answer) = choose(&app, &org, token, pick).await;
        assert_eq!(status, 200, "{answer}");
        outcomes.push(lines(&app, &org, token).await);
    }
    let booked = |shown: &Vec<Value>| shown.last().unwrap()["body"].as_str().unwrap().starts_with("You're booked");
    assert!(booked(&outcomes[0]) && booked(&outcomes[1]), "the first two took their own times");
    let last = outcomes[2].last().unwrap();
    assert!(last["body"].as_str().unwrap().contains("just taken"), "{last}");
    let next = offered(&outcomes[2]);
    assert!(!next.is_empty(), "{last}");
    for (pick, _) in &next {
        assert_ne!(app.admin_text(&opening(pick)).await, firsts[2].1, "the taken time is not offered again");
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM appointments").await, by_phone + 2);
    let overlapping = app
        .admin_count(
            "SELECT COUNT(*) FROM appointments a JOIN appointments b
             ON a.technician_id = b.technician_id AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at",
        )
        .await;
    assert_eq!(overlapping, 0, "never two bookings for one technician at once");
}

async fn when_a_person_takes_over_the_squad_says_nothing_more(app: TestApp) {
    let (key, org) = published(&app).await;
    let token = session(&app, &org).await;
    send(&app, &org, &token, FURNACE).await;
    app.drain().await;
    let before = lines(&app, &org, &token).await;
    let (_, started) = start(&app, &org, Some(&token)).await;
    assert_eq!(started["person_joined"], false);

    let org_id = domain::OrgId::parse(&org).unwrap();
    let owner = store::Operator::new("test").act_for(org_id, None, domain::Role::Owner);
    let lead = chat_lead(&app, &key).await;
    ops::conversations::set_takeover(&app.db, &owner, lead, true).await.unwrap();
    let (_, started) = start(&app, &org, Some(&token)).await;
    assert_eq!(started["person_joined"], true, "the window says a person joined");

    send(&app, &org, &token, "Is someone there? Can you come at 2pm?").await;
    app.drain().await;
    let after = lines(&app, &org, &token).await;
    assert_eq!(from(&after, "assistant"), from(&before, "assistant"), "the squad stayed quiet");
    ops::conversations::reply(&app.db, &owner, lead, "Hi Dana, Sam here. 2pm works.").await.unwrap();
    let after = lines(&app, &org, &token).await;
    assert_eq!(after.last().unwrap()["from"], "person");
}

async fn bad_input_gets_a_clear_answer_and_changes_nothing(app: TestApp) {
    let key = demo(&app).await;
    let put = |body: Value| {
        let app = &app;
        let key = key.clone();
        async move {
            let response =
                app.api(Method::PUT, "/api/v1/channels/widget", &key).await.json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for (body, wrong) in [
        (json!({ "enabled": true }), "allowed_origins"),
        (json!({ "enabled": true, "allowed_origins": ["https://shop.example/contact"] }), "allowed_origins"),
        (json!({ "enabled": true, "allowed_origins": ["shop.example"] }), "allowed_origins"),
        (json!({ "enabled": false, "greeting": " " }), "greeting"),
        (json!({ "enabled": false, "accent_color": "red" }), "accent_color"),
    ] {
        let (status, answer) = put(body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], wrong, "{body}");
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM widgets").await, 0, "nothing was stored");
    let me: Value = app.api_json("/api/v1/me", &key).await;
    assert!(me.get("widget_snippet").is_none(), "an unpublished widget has no snippet");
    let org = me["org"]["id"].as_str().unwrap().to_owned();

    // The widget is off: there is nothing to chat with.
    assert_eq!(get(&app, &format!("/api/widget/front?org={org}")).await.0, 404);
    assert_eq!(start(&app, &org, None).await.0, 404);
    assert_eq!(start(&app, "not-an-org", None).await.0, 404);

    let (status, _) = put(json!({ "enabled": true, "allowed_origins": [SITE] })).await;
    assert_eq!(status, 200);
    let token = session(&app, &org).await;
    let (status, answer) = send(&app, &org, &token, "   ").await;
    assert_eq!((status, field(&answer)), (422, "body"));
    let (status, answer) = send(&app, &org, &token, &"x".repeat(2001)).await;
    assert_eq!((status, field(&answer)), (422, "body"));
    let (status, answer) = send(&app, &org, &format!("{token}x"), "hello").await;
    assert_eq!((status, field(&answer)), (409, "session"), "{answer}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM messages").await, 0);
    let events = app.client.get(app.url(&format!("/widget/{org}/events?token=nonsense"))).send().await.unwrap();
    assert_eq!(events.status(), 401);
}

async fn each_shop_has_only_its_own_widget(app: TestApp) {
    let (_, org) = published(&app).await;
    let other = app.create_org("Other Plumbing").await;
    let other_org = other.id.to_string();
    assert_eq!(start(&app, &other_org, None).await.0, 404, "the other shop has not published a widget");

    // The other shop's owner changes only its own widget; its staff change nothing.
    let response = app
        .api(Method::PUT, "/api/v1/channels/widget", &other.api_key)
        .await
        .json(&json!({ "enabled": true, "allowed_origins": ["https://other.example"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let staff = app.api_key_with_role(&other, domain::Role::Staff).await;
    let response = app
        .api(Method::PUT, "/api/v1/channels/widget", &staff)
        .await
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let read: Value = app.api_json("/api/v1/channels/widget", &staff).await;
    assert_eq!(read["allowed_origins"], json!(["https://other.example"]));
    let (_, front) = get(&app, &format!("/api/widget/front?org={org}")).await;
    assert_eq!(front["business"], "Springfield Comfort & Plumbing");

    // A session of one shop's widget is nothing to the other's.
    let token = session(&app, &org).await;
    send(&app, &org, &token, FURNACE).await;
    let (status, answer) = send(&app, &other_org, &token, "hello").await;
    assert_eq!((status, field(&answer)), (409, "session"));
    let (status, answer) = leave(&app, &other_org, &token, "dana@example.com").await;
    assert_eq!((status, field(&answer)), (409, "session"));
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM customers WHERE email IS NOT NULL").await, 0);
    let (_, resumed) = start(&app, &other_org, Some(&token)).await;
    assert_ne!(resumed["token"], token);
    assert_eq!(resumed["lines"], json!([]), "a fresh session, not the other shop's conversation");
    let events = app.client.get(app.url(&format!("/widget/{other_org}/events?token={token}"))).send().await.unwrap();
    assert_eq!(events.status(), 401);
    // Each window may be framed only by its own shop's sites.
    let window = app.client.get(app.url(&format!("/widget/{other_org}"))).send().await.unwrap();
    let csp = window.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors https://other.example") && !csp.contains(SITE), "{csp}");
}

async fn chats_from_one_address_are_throttled(app: TestApp) {
    let (key, org) = published(&app).await;
    let limited = app
        .serve_with(|s| {
            s.server.limits.chats_per_hour_per_address = 1;
            s.server.limits.chat_messages_per_minute_per_address = 2;
            s.server.limits.chat_streams_per_session = 1;
            s.server.limits.streams_per_org = 1;
        })
        .await;
    let token = session(&limited, &org).await;
    assert_eq!(start(&limited, &org, None).await.0, 429, "a second new chat from the same address");
    assert_eq!(start(&limited, &org, Some(&token)).await.0, 200, "resuming one's own chat is not a new one");
    assert_eq!(send(&limited, &org, &token, "one").await.0, 200);
    assert_eq!(send(&limited, &org, &token, "two").await.0, 200);
    assert_eq!(send(&limited, &org, &token, "three").await.0, 429);
    assert_eq!(limited.admin_count("SELECT COUNT(*) FROM messages").await, 2);

    // A visitor's streams are counted apart from the owner's: the chat never takes the board's.
    let events = limited.url(&format!("/widget/{org}/events?token={token}"));
    let held = limited.client.get(&events).send().await.unwrap();
    assert_eq!(held.status(), 200);
    assert_eq!(limited.client.get(&events).send().await.unwrap().status(), 429, "one stream per session here");
    let board = limited.api(Method::GET, "/api/v1/events", &key).await.send().await.unwrap();
    assert_eq!(board.status(), 200, "the owner's stream is not crowded out");
    drop(held);
}

async fn leave(app: &TestApp, org: &str, token: &str, contact: &str) -> (u16, Value) {
    post(app, "/api/widget/contact", &[("org", org), ("token", token), ("contact", contact)]).await
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

async fn a_visitor_who_leaves_an_email_gets_later_replies_there_and_can_answer(app: TestApp) {
    let peers = crate::mail_peers::MailPeers::start().await;
    let (key, org) = published(&app).await;
    let connected = app
        .api(Method::PUT, "/api/v1/integrations/email", &key)
        .await
        .json(&peers.connection("shop@springfield-heating.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(connected.status(), 200);
    // Someone else is already a customer with the address the visitor will type.
    let earlier = json!({ "channel": "email", "from": { "name": "Dana Reed", "email": "dana@example.com" },
                          "body": "Please service my water heater next month." });
    inbound(&app, &key, earlier).await;
    app.drain().await;
    let sent_before = peers.received().len();

    let token = session(&app, &org).await;
    let (status, early) = leave(&app, &org, &token, "dana@example.com").await;
    assert_eq!((status, field(&early)), (409, "contact"), "nothing to continue yet: {early}");
    send(&app, &org, &token, FURNACE).await;
    assert_eq!(leave(&app, &org, &token, "not an address").await.0, 422);
    let (status, left) = leave(&app, &org, &token, "Dana@Example.com").await;
    assert_eq!(status, 200, "{left}");
    assert_eq!((left["contact"].as_str(), left["emailed"].as_bool()), (Some("Dana@example.com"), Some(true)));
    let (_, resumed) = start(&app, &org, Some(&token)).await;
    assert_eq!(resumed["contact"], left, "a reload shows what was left");
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM customers WHERE LOWER(email) = 'dana@example.com'").await,
        2,
        "the visitor's own customer holds it; the widget proves nothing, so nobody is joined"
    );

    // While the window is open, replies are in the chat only.
    app.drain().await;
    assert_eq!(peers.received().len(), sent_before, "nothing emailed while the visitor is on the page");

    // The visitor leaves; later a person at the shop answers in the chat. It goes by email too.
    app.admin_execute("UPDATE widget_sessions SET last_seen_at = last_seen_at - 60000").await;
    let org_id = domain::OrgId::parse(&org).unwrap();
    let owner = store::Operator::new("test").act_for(org_id, None, domain::Role::Owner);
    let lead = chat_lead(&app, &key).await;
    ops::conversations::set_takeover(&app.db, &owner, lead, true).await.unwrap();
    ops::conversations::reply(&app.db, &owner, lead, "Hi Dana, Sam here. We can come at 2pm tomorrow.").await.unwrap();
    app.drain().await;
    let sent = peers.received();
    assert_eq!(sent.len(), sent_before + 1, "one letter");
    let letter = sent.last().unwrap();
    assert_eq!(header(letter, "To"), Some("Dana@example.com"), "{letter}");
    assert!(letter.contains("Sam here"), "{letter}");
    assert_eq!(lines(&app, &org, &token).await.last().unwrap()["from"], "person", "and it is in the chat");

    // Dana answers the letter: the thread proves it is her, and the same conversation goes on.
    let ours = header(letter, "Message-ID").unwrap().to_owned();
    peers
        .deliver(&format!(
            "From: Dana Reed <dana@example.com>\nSubject: Re: Your message\nMessage-ID: <d2@example.com>\n\
             In-Reply-To: {ours}\nReferences: {ours}\n\n2pm is perfect, thanks!\n"
        ))
        .await;
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'check_mailbox' AND status = 'queued'").await;
    app.drain().await;
    let answer = app
        .admin_text("SELECT lead_id FROM messages WHERE sender_proof = 'email_thread' AND body LIKE '%2pm is perfect%'")
        .await;
    assert_eq!(answer, lead.to_string(), "the emailed answer continues the chat's lead");
}

async fn without_a_mailbox_a_left_contact_is_kept_for_the_team_and_nothing_is_emailed(app: TestApp) {
    let (key, org) = published(&app).await;
    let token = session(&app, &org).await;
    send(&app, &org, &token, FURNACE).await;
    let (status, left) = leave(&app, &org, &token, "dana@example.com").await;
    assert_eq!((status, left["emailed"].as_bool()), (200, Some(false)), "{left}");
    let (status, left) = leave(&app, &org, &token, "(217) 555-0142").await;
    assert_eq!((status, left["contact"].as_str()), (200, Some("(217) 555-0142")), "{left}");

    app.admin_execute("UPDATE widget_sessions SET last_seen_at = last_seen_at - 60000").await;
    app.drain().await;
    let org_id = domain::OrgId::parse(&org).unwrap();
    let owner = store::Operator::new("test").act_for(org_id, None, domain::Role::Owner);
    let lead = chat_lead(&app, &key).await;
    ops::conversations::reply(&app.db, &owner, lead, "Hi Dana, Sam here.").await.unwrap();
    app.drain().await;
    let not_chat =
        app.admin_count("SELECT COUNT(*) FROM side_effects WHERE kind = 'message' AND request_hash <> 'chat'").await;
    assert_eq!(not_chat, 0, "every reply stayed in the chat: nothing was claimed sent elsewhere");
    assert!(app.outbox.delivered().is_empty(), "no message went anywhere but the chat");
}

async fn a_visitor_who_left_gets_the_offered_times_in_words(app: TestApp) {
    let peers = crate::mail_peers::MailPeers::start().await;
    let (key, org) = published(&app).await;
    let mailbox = peers.connection("shop@springfield-heating.example");
    let connected = app.api(Method::PUT, "/api/v1/integrations/email", &key).await.json(&mailbox).send().await.unwrap();
    assert_eq!(connected.status(), 200);
    let token = session(&app, &org).await;
    send(&app, &org, &token, FURNACE).await;
    assert_eq!(leave(&app, &org, &token, "dana@example.com").await.0, 200);
    // The visitor closes the page before the squad answers.
    app.admin_execute("UPDATE widget_sessions SET last_seen_at = last_seen_at - 60000").await;
    app.drain().await;

    let shown = lines(&app, &org, &token).await;
    let times = offered(&shown);
    assert!(!times.is_empty(), "times are offered in the chat: {shown:#?}");
    let letters = peers.received();
    let offer = letters.iter().find(|l| l.contains("The times we offered:")).expect("the offer went by email");
    let unfolded = offer.replace("=\r\n", "").replace("=\n", "");
    assert!(unfolded.contains("Reply with the one that suits you"), "{unfolded}");
    assert_eq!(unfolded.matches("\n- ").count(), times.len(), "each offered time, in words: {unfolded}");
}
