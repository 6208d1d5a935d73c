//! Gmail against a local Google (`tests/peers/gmail_peer.py`: PyPI's myworld Gmail REST API with
//! a sign-in page, a PKCE-checking token endpoint, `users.watch` and a signing-key set): an owner
//! connects by signing in, the tokens are stored only sealed, a customer's email is answered in
//! its Gmail thread, pushes are checked before they wake anything, mail is caught up without them,
//! tokens are renewed, a withdrawn grant breaks the connection in words, and a sign-in answer is
//! accepted only by the session that started it.

use std::process::Stdio;
use std::sync::Arc;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::process::{Child, Command};

use crate::helpers::TestApp;
use crate::mail_peers::{answers, free_port, tool};
use crate::on_both_backends;

on_both_backends!(
    an_owner_connects_gmail_and_the_squad_answers_in_the_thread,
    pushes_are_checked_and_missed_ones_are_caught_up,
    tokens_are_renewed_and_a_withdrawn_grant_breaks_the_connection,
    a_sign_in_answer_counts_only_in_the_session_that_started_it,
);

const SHOP: &str = "office@springfield-heating.example";
const CLIENT_ID: &str = "opsquad-test.apps.example";
const CLIENT_SECRET: &str = "opsquad-test-secret";
const TOPIC: &str = "projects/opsquad-test/topics/gmail";
const PUSH_KEY_ID: &str = "opsquad-test-push-key";

/// Google on 127.0.0.1, for one test.
pub(crate) struct GooglePeer {
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    _process: Child,
}

impl GooglePeer {
    pub(crate) async fn start() -> Self {
        let port = free_port();
        let dir = env!("CARGO_MANIFEST_DIR");
        let process = Command::new(tool("python"))
            .arg(format!("{dir}/tests/peers/gmail_peer.py"))
            .args([&port.to_string(), &format!("{dir}/tests/fixtures/gmail_push_jwks.json"), CLIENT_ID, CLIENT_SECRET])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        assert!(answers(port).await, "the Google peer did not answer on {port}");
        Self { base: format!("http://127.0.0.1:{port}"), http: reqwest::Client::new(), _process: process }
    }

    pub(crate) fn settings(&self) -> server::config::GmailSettings {
        server::config::GmailSettings {
            client_id: Some(CLIENT_ID.into()),
            client_secret: Some(CLIENT_SECRET.to_owned().into()),
            auth_url: Some(format!("{}/o/oauth2/v2/auth", self.base)),
            token_url: Some(format!("{}/token", self.base)),
            api_base: Some(format!("{}/gw/gmail.googleapis.com", self.base)),
            calendar_api_base: Some(format!("{}/gw/www.googleapis.com", self.base)),
            jwks_url: Some(format!("{}/oauth2/v3/certs", self.base)),
            pubsub_topic: Some(TOPIC.into()),
            push_service_account: None,
        }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Value {
        self.http.post(format!("{}{path}", self.base)).json(&body).send().await.unwrap().json().await.unwrap()
    }

    /// An access token for `address`'s mailbox, as the outside world would reach it.
    async fn token(&self, address: &str) -> String {
        self.post("/peer/mailboxes", json!({ "address": address })).await["token"].as_str().unwrap().to_owned()
    }

    /// Puts `raw` into `address`'s inbox, as mail arriving from outside would.
    async fn deliver(&self, address: &str, raw: &str) {
        let token = self.token(address).await;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw.replace('\n', "\r\n"));
        let answer = self
            .http
            .post(format!("{}/gw/gmail.googleapis.com/gmail/v1/users/me/messages", self.base))
            .bearer_auth(token)
            .json(&json!({ "raw": raw, "labelIds": ["INBOX"] }))
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.text().await.unwrap());
    }

    /// Every message in `address`'s mailbox, as the peer keeps it, oldest first.
    async fn messages(&self, address: &str) -> Vec<Value> {
        let instance = self.post("/peer/mailboxes", json!({ "address": address })).await["instance"].clone();
        let state: Value = self
            .http
            .get(format!("{}/instances/{}/state", self.base, instance.as_str().unwrap()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut all: Vec<Value> =
            state["state"]["mailboxes"][address]["messages"].as_object().unwrap().values().cloned().collect();
        all.sort_by_key(|m| m["internalDate"].as_str().and_then(|d| d.parse::<i64>().ok()).unwrap_or_default());
        all
    }

    pub(crate) async fn calls(&self, kind: &str) -> Vec<Value> {
        let all: Value = self.http.get(format!("{}/peer/calls", self.base)).send().await.unwrap().json().await.unwrap();
        all["calls"].as_array().unwrap().iter().filter(|c| c["kind"] == kind).cloned().collect()
    }
}

/// A worker that reaches the peer (the tests' default worker has no Gmail settings).
fn worker(app: &TestApp, peer: &GooglePeer) -> server::worker::Worker {
    let mut settings = app.settings();
    settings.gmail = peer.settings();
    let access = server::startup::mail_access(&settings).unwrap();
    server::worker::Worker {
        own_channels: Arc::new(ops::integrations::Mailroom::new(access.clone())),
        mail_access: access,
        ..app.worker(Arc::new(squad::offline::OfflineModel))
    }
}

/// Runs the mailbox's check now, as a push or the passing of time would, then what it queued.
async fn check_now(app: &TestApp, peer: &GooglePeer) {
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'check_mailbox' AND status = 'queued'").await;
    worker(app, peer).drain().await.unwrap();
}

/// Signs in as the owner `email` in `app`'s browser and connects Gmail as `address`, following
/// every redirect as a browser would; the page's account of what happened.
async fn connect(app: &TestApp, peer: &GooglePeer, email: &str, password: &str, address: &str) -> Value {
    assert!(app.log_in(email, password).await.status().is_success());
    let start = app.client.get(app.url("/app/integrations/gmail/connect?from=settings")).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let to_google = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(to_google.starts_with(&format!("{}/o/oauth2/v2/auth?", peer.base)), "{to_google}");
    let page = peer.http.get(&to_google).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Allow"), "{page}");
    let asked = peer.calls("authorize").await.pop().unwrap();
    let state = asked["state"].as_str().unwrap();
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = no_redirects
        .post(format!("{}/o/oauth2/approve", peer.base))
        .form(&[("state", state), ("address", address), ("answer", "allow")])
        .send()
        .await
        .unwrap();
    let back = back.headers()["location"].to_str().unwrap().to_owned();
    // The browser returns to Opsquad's public address; here that is the test server.
    let (_, query) = back.split_once('?').unwrap();
    let done = app.client.get(app.url(&format!("/app/integrations/gmail/callback?{query}"))).send().await.unwrap();
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(done.headers()["location"], "/app/settings");
    email_view(app).await
}

/// What Settings → Email shows the signed-in user.
async fn email_view(app: &TestApp) -> Value {
    app.client.get(app.url("/api/settings/email")).send().await.unwrap().json().await.unwrap()
}

fn push_token(app: &TestApp, audience: Option<&str>, issuer: &str, expires_in: i64) -> String {
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("../fixtures/gmail_push_key.pem")).unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(PUSH_KEY_ID.into());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let ours = format!("{}/webhooks/gmail", app.settings().payments.public_url);
    let claims = json!({ "iss": issuer, "aud": audience.unwrap_or(&ours), "iat": now, "exp": now + expires_in,
        "email": "gmail-push@opsquad-test.iam.gserviceaccount.com", "email_verified": true, "sub": "1" });
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

/// Delivers Gmail's notification for `address` as Pub/Sub pushes it; the status.
async fn push(app: &TestApp, token: Option<&str>, address: &str) -> u16 {
    let data = base64::engine::general_purpose::STANDARD
        .encode(json!({ "emailAddress": address, "historyId": "1001" }).to_string());
    let body = json!({ "message": { "data": data, "messageId": "2070443601311540", "publishTime": "2026-12-02T16:00:00Z" },
        "subscription": "projects/opsquad-test/subscriptions/gmail-push" });
    let mut request = reqwest::Client::new().post(app.url("/webhooks/gmail")).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn an_owner_connects_gmail_and_the_squad_answers_in_the_thread(app: TestApp) {
    let peer = GooglePeer::start().await;
    let demo = app.demo().await;
    let app = app.serve_with(|s| s.gmail = peer.settings()).await;
    let view = connect(&app, &peer, &demo.owner_email, &demo.password, SHOP).await;
    assert_eq!(view["gmail_outcome"]["connected"], SHOP, "{view}");
    assert_eq!(
        (view["mailbox"]["provider"].as_str(), view["mailbox"]["address"].as_str()),
        (Some("gmail"), Some(SHOP))
    );

    // The sign-in asked to read and send only, with a PKCE challenge the token exchange proved.
    let asked = &peer.calls("authorize").await[0];
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["scope"], integrations::gmail::SCOPES);
    assert_eq!(
        asked["redirect_uri"],
        format!("{}/app/integrations/gmail/callback", app.settings().payments.public_url)
    );
    let exchanged = peer.calls("token").await;
    assert_eq!(exchanged[0]["grant_type"], "authorization_code");
    assert_eq!(exchanged[0]["has_verifier"], true);

    // Only ciphertext is stored; the API shows the account and never a token.
    let listed: Value = app.api_json("/api/v1/integrations", &demo.api_key).await;
    assert_eq!((listed[0]["provider"].as_str(), listed[0]["account"].as_str()), (Some("gmail"), Some(SHOP)));
    assert!(!listed.to_string().contains("ya29") && !listed.to_string().contains("1//"), "{listed}");
    let sealed = app.admin_text("SELECT credentials_sealed FROM integrations").await;
    assert!(sealed.starts_with("v1.dev-test.") && !sealed.contains("1//") && !sealed.contains("ya29"), "{sealed}");

    // A customer writes to the shop's Gmail; Gmail pushes; the squad answers in that thread.
    peer.deliver(
        SHOP,
        "From: Dana Reed <dana@example.com>\nTo: office@springfield-heating.example\nSubject: No heat\n\
Message-ID: <c1@example.com>\n\nOur furnace stopped working, no heat. 12 Oak St, Springfield 62704.\n",
    )
    .await;
    assert_eq!(push(&app, Some(&push_token(&app, None, "https://accounts.google.com", 300)), SHOP).await, 204);
    let due = app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'check_mailbox' AND status = 'queued' AND run_at <= 1000000000000000").await;
    assert_eq!(due, 1);
    worker(&app, &peer).drain().await.unwrap();
    let leads: Value = app.api_json("/api/v1/leads", &demo.api_key).await;
    assert_eq!(leads.as_array().unwrap().len(), 1, "{leads}");
    assert_ne!(leads[0]["stage"], "new", "the lead moved on the board: {}", leads[0]);
    let mailbox = peer.messages(SHOP).await;
    let inbound = mailbox.iter().find(|m| m["subject"] == "No heat").unwrap();
    let reply =
        mailbox.iter().find(|m| m["labelIds"].to_string().contains("SENT")).expect("the squad's reply was sent");
    assert_eq!(reply["to"], json!(["dana@example.com"]));
    assert_eq!(reply["subject"], "Re: No heat");
    assert_eq!(reply["threadId"], inbound["threadId"], "the reply is in the customer's Gmail thread");
    assert_eq!(reply["headers"]["In-Reply-To"], inbound["messageId"]);
    assert!(reply["body"].as_str().unwrap().contains("Reply to this email to reach us."), "{reply}");
    assert_eq!(peer.calls("watch").await[0]["topicName"], TOPIC, "Gmail was asked to push new mail");

    // Dana answers in the thread: the same lead goes on, and the thread proves it is Dana.
    peer.deliver(
        SHOP,
        &format!(
            "From: Dana Reed <dana@example.com>\nSubject: Re: No heat\nMessage-ID: <c2@example.com>\n\
In-Reply-To: {}\nReferences: {} {}\n\nThanks! Is there a charge for the visit?\n",
            reply["messageId"].as_str().unwrap(),
            inbound["messageId"].as_str().unwrap(),
            reply["messageId"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(push(&app, Some(&push_token(&app, None, "accounts.google.com", 300)), SHOP).await, 204);
    worker(&app, &peer).drain().await.unwrap();
    let leads: Value = app.api_json("/api/v1/leads", &demo.api_key).await;
    assert_eq!(leads.as_array().unwrap().len(), 1, "{leads}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM messages WHERE sender_proof = 'email_thread'").await, 1);
    let through_gmail = app
        .admin_count("SELECT COUNT(*) FROM side_effects WHERE status = 'done' AND response LIKE '%\"gmail\"%'")
        .await;
    assert!(through_gmail >= 2, "both answers left through Gmail: {through_gmail}");
}

async fn pushes_are_checked_and_missed_ones_are_caught_up(app: TestApp) {
    let peer = GooglePeer::start().await;
    let demo = app.demo().await;
    let other = app.create_org("Other Plumbing").await;
    let app = app.serve_with(|s| s.gmail = peer.settings()).await;
    connect(&app, &peer, &demo.owner_email, &demo.password, SHOP).await;
    let second = app.new_browser();
    connect(&second, &peer, &other.owner_email, &other.password, "desk@other-plumbing.example").await;
    worker(&app, &peer).drain().await.unwrap();
    let queued = |org: String| {
        let app = &app;
        async move {
            app.admin_count(&format!(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'check_mailbox' AND status = 'queued' AND org_id = '{org}'
                 AND run_at <= {}",
                store::now_ms() + 1000
            ))
            .await
        }
    };
    assert_eq!((queued(demo.org_id.clone()).await, queued(other.id.to_string()).await), (0, 0));

    // Anything not signed by Google for this endpoint wakes nothing.
    let google = "https://accounts.google.com";
    assert_eq!(push(&app, None, SHOP).await, 401);
    assert_eq!(push(&app, Some("not-a-token"), SHOP).await, 401);
    assert_eq!(
        push(&app, Some(&push_token(&app, Some("https://elsewhere.example/push"), google, 300)), SHOP).await,
        401
    );
    assert_eq!(push(&app, Some(&push_token(&app, None, "https://evil.example", 300)), SHOP).await, 401);
    assert_eq!(push(&app, Some(&push_token(&app, None, google, -600)), SHOP).await, 401, "expired");
    let forged = {
        let good = push_token(&app, None, google, 300);
        let (head, rest) = good.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({ "iss": google, "aud": "x", "exp": 4102444800_i64 }).to_string());
        format!("{head}.{claims}.{signature}")
    };
    assert_eq!(push(&app, Some(&forged), SHOP).await, 401, "a signature over other claims");
    assert_eq!(queued(demo.org_id.clone()).await, 0);

    // A push for one shop's mailbox wakes that shop's check only; one for no shop is acknowledged.
    let valid = push_token(&app, None, google, 300);
    assert_eq!(push(&app, Some(&valid), "nobody@example.com").await, 204);
    assert_eq!(push(&app, Some(&valid), SHOP).await, 204);
    assert_eq!((queued(demo.org_id.clone()).await, queued(other.id.to_string()).await), (1, 0));

    // Pushes stop: mail that arrives meanwhile is read at the next regular check, once.
    peer.deliver(
        "desk@other-plumbing.example",
        "From: Lee <lee@example.com>\nSubject: Leaking pipe\n\
Message-ID: <l1@example.com>\n\nA pipe under my sink is leaking. 40 Elm St 62704\n",
    )
    .await;
    check_now(&app, &peer).await;
    check_now(&app, &peer).await;
    let theirs = app.admin_count(&format!("SELECT COUNT(*) FROM leads WHERE org_id = '{}'", other.id)).await;
    assert_eq!(theirs, 1, "caught up without a push, and taken in once");
    let ours = app.admin_count(&format!("SELECT COUNT(*) FROM leads WHERE org_id = '{}'", demo.org_id)).await;
    assert_eq!(ours, 0, "the other shop's mail stays the other shop's");
}

async fn tokens_are_renewed_and_a_withdrawn_grant_breaks_the_connection(app: TestApp) {
    let peer = GooglePeer::start().await;
    let demo = app.demo().await;
    let app = app.serve_with(|s| s.gmail = peer.settings()).await;
    // Access tokens that last a minute are renewed before every use.
    peer.post("/peer/settings", json!({ "expires_in": 60 })).await;
    connect(&app, &peer, &demo.owner_email, &demo.password, SHOP).await;
    let sealed_at_connection = app.admin_text("SELECT credentials_sealed FROM integrations").await;
    check_now(&app, &peer).await;
    let renewals = peer.calls("token").await.iter().filter(|c| c["grant_type"] == "refresh_token").count();
    assert!(renewals >= 1, "the token was renewed before it lapsed");
    assert_ne!(app.admin_text("SELECT credentials_sealed FROM integrations").await, sealed_at_connection, "and kept");
    let listed: Value = app.api_json("/api/v1/integrations", &demo.api_key).await;
    assert_eq!(listed[0]["status"], "connected", "{listed}");

    // The owner withdraws Opsquad's access in their Google account.
    peer.post("/peer/revoke", json!({ "address": SHOP })).await;
    check_now(&app, &peer).await;
    let listed: Value = app.api_json("/api/v1/integrations", &demo.api_key).await;
    assert_eq!(listed[0]["status"], "error", "{listed}");
    assert!(listed[0]["last_error"].as_str().unwrap().contains("connect Gmail again"), "{listed}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'email connection broken'").await, 1);
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'check_mailbox' AND status = 'queued'").await,
        0,
        "no more checks until Gmail is connected again"
    );
    let view = email_view(&app).await;
    assert_eq!(view["mailbox"]["status"], "error", "Settings shows it broken: {view}");
}

async fn a_sign_in_answer_counts_only_in_the_session_that_started_it(app: TestApp) {
    let peer = GooglePeer::start().await;
    let demo = app.demo().await;
    let other = app.create_org("Other Plumbing").await;
    let app = app.serve_with(|s| s.gmail = peer.settings()).await;
    let callback = |who: &TestApp, query: &str| {
        let url = who.url(&format!("/app/integrations/gmail/callback?{query}"));
        let client = who.client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };

    // The owner starts a sign-in; another shop's owner cannot finish it with its answer.
    assert!(app.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    let start = app.client.get(app.url("/app/integrations/gmail/connect")).send().await.unwrap();
    let to_google = start.headers()["location"].to_str().unwrap().to_owned();
    let state = to_google.split("state=").nth(1).unwrap().split('&').next().unwrap().to_owned();
    let intruder = app.new_browser();
    assert!(intruder.log_in(&other.owner_email, &other.password).await.status().is_success());
    assert_eq!(callback(&intruder, &format!("code=4%2Fstolen&state={state}")).await, StatusCode::SEE_OTHER);
    let seen = email_view(&intruder).await;
    assert!(seen["gmail_outcome"]["problem"].as_str().unwrap().contains("not started here"), "{seen}");

    // In the owner's own session a wrong state is refused, and the sign-in is then used up.
    assert_eq!(callback(&app, "code=4%2Fx&state=forged").await, StatusCode::SEE_OTHER);
    let seen = email_view(&app).await;
    assert!(seen["gmail_outcome"]["problem"].as_str().unwrap().contains("does not belong"), "{seen}");
    assert_eq!(callback(&app, &format!("code=4%2Fx&state={state}")).await, StatusCode::SEE_OTHER);
    let seen = email_view(&app).await;
    assert!(seen["gmail_outcome"]["problem"].as_str().unwrap().contains("already used"), "{seen}");
    assert_eq!(seen["mailbox"], Value::Null);

    // Saying no on Google's page connects nothing, and says so.
    let start = app.client.get(app.url("/app/integrations/gmail/connect")).send().await.unwrap();
    let state = start.headers()["location"]
        .to_str()
        .unwrap()
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(callback(&app, &format!("error=access_denied&state={state}")).await, StatusCode::SEE_OTHER);
    let seen = email_view(&app).await;
    assert!(seen["gmail_outcome"]["problem"].as_str().unwrap().contains("not allowed"), "{seen}");

    // Staff cannot connect the shop's email, and nothing was stored by any of this.
    let token = crate::team::invite(&app, "tech@springfield-heating.example").await;
    let staff = crate::team::join(&app, &token, "Sam Tech", "a long staff password").await;
    let start = staff.client.get(staff.url("/app/integrations/gmail/connect")).send().await.unwrap();
    assert_eq!(start.headers()["location"], "/app/settings", "staff are not sent to Google");
    let seen = email_view(&staff).await;
    assert!(seen["gmail_outcome"]["problem"].as_str().unwrap().contains("Only the owner"), "{seen}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations").await, 0);

    // An Opsquad without a Google app offers no Gmail and takes no pushes.
    let plain = app.serve_with(|_| {}).await;
    assert!(plain.log_in(&demo.owner_email, &demo.password).await.status().is_success());
    assert_eq!(email_view(&plain).await["gmail_available"], false);
    assert_eq!(email_view(&app).await["gmail_available"], true);
    assert_eq!(push(&plain, Some(&push_token(&plain, None, "accounts.google.com", 300)), SHOP).await, 404);
}
