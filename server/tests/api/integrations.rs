//! Connecting a shop's mailbox over IMAP and SMTP, against real servers (pymap and aiosmtpd):
//! both are tried before anything is stored, a wrong setting is named, the passwords are stored
//! only sealed, and each shop sees and changes only its own connection.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::mail_peers::{MailPeers, Secured, PASSWORD};
use crate::on_both_backends;

on_both_backends!(
    an_owner_connects_a_mailbox_and_only_ciphertext_is_stored,
    a_wrong_setting_is_named_and_nothing_is_stored,
    each_shop_sees_and_changes_only_its_own_connection,
    the_squads_reply_leaves_through_the_shops_own_mailbox,
    an_email_gets_a_reply_in_its_thread_and_an_answer_continues_the_lead,
    new_mail_is_taken_in_at_once_while_the_inbox_is_watched,
    a_web_form_customer_is_answered_by_email_through_the_mailbox,
    a_mailbox_on_a_private_network_is_refused_unless_allowed,
    encrypted_mail_servers_are_reached_and_an_unknown_certificate_is_refused,
);

const SHOP: &str = "shop@springfield-heating.example";

async fn put(app: &TestApp, key: &str, body: &Value) -> (u16, Value) {
    let response = app.api(Method::PUT, "/api/v1/integrations/email", key).await.json(body).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(!text.contains(PASSWORD), "no answer carries a password: {text}");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn an_owner_connects_a_mailbox_and_only_ciphertext_is_stored(app: TestApp) {
    let peers = MailPeers::start().await;
    let org = app.create_org("Springfield Heating").await;
    let (status, connected) = put(&app, &org.api_key, &peers.connection(SHOP)).await;
    assert_eq!(status, 200, "{connected}");
    assert_eq!((connected["provider"].as_str(), connected["status"].as_str()), (Some("imap_smtp"), Some("connected")));
    assert_eq!(connected["account"], SHOP);
    assert_eq!(
        connected["settings"]["imap"],
        json!({ "host": "127.0.0.1", "port": peers.imap_port, "tls": "none", "username": "demouser" })
    );

    let listed: Value = app.api_json("/api/v1/integrations", &org.api_key).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(PASSWORD));

    // The database holds only the sealed text, bound to this org; the audit log names the account.
    let sealed_rows = app
        .admin_count(&format!(
            "SELECT COUNT(*) FROM integrations WHERE credentials_sealed LIKE 'v1.dev-test.%'
             AND credentials_sealed NOT LIKE '%{PASSWORD}%' AND org_id = '{}'",
            org.id
        ))
        .await;
    assert_eq!(sealed_rows, 1);
    assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{PASSWORD}%'")).await, 0);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'email connected'").await, 1);

    // It opens with the server's keys, and with other keys fails loudly rather than quietly.
    let scope = store::Operator::new("test").act_for(org.id, None, domain::Role::Owner);
    let access = server::startup::mail_access(&app.settings()).unwrap();
    let mut tx = store::TenantTx::read(&app.db, &scope).await.unwrap();
    let mailbox = ops::integrations::mailbox(&mut tx, &scope, &access).await.unwrap().unwrap();
    assert_eq!((mailbox.address.as_str(), mailbox.smtp.port), (SHOP, peers.smtp_port));
    let wrong =
        integrations::secrets::Keyring::parse(&integrations::secrets::Keyring::new_entry("dev-test").into()).unwrap();
    let wrong = ops::integrations::MailAccess { keys: std::sync::Arc::new(wrong), ..access };
    let err = ops::integrations::mailbox(&mut tx, &scope, &wrong).await.unwrap_err();
    assert!(err.to_string().contains("does not open") || format!("{err:?}").contains("does not open"), "{err:?}");
}

async fn a_wrong_setting_is_named_and_nothing_is_stored(app: TestApp) {
    let peers = MailPeers::start().await;
    let org = app.create_org("Springfield Heating").await;
    let good = peers.connection(SHOP);
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let mut at = &mut body;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at[path[path.len() - 1]] = value;
        body
    };
    for (body, field, says) in [
        (with(&["imap", "password"], json!("wrong")), "imap", "refused the username or password"),
        (with(&["smtp", "password"], json!("wrong")), "smtp", "refused the username or password"),
        (with(&["imap", "port"], json!(1)), "imap", "could not reach"),
        (with(&["smtp", "host"], json!("mail.example.com")), "smtp.tls", "STARTTLS or TLS"),
        (with(&["address"], json!("not an address")), "address", "email address"),
        (with(&["kind"], json!("pop3")), "kind", "imap_smtp"),
    ] {
        let (status, answer) = put(&app, &org.api_key, &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(says), "{answer}");
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations").await, 0, "nothing was stored");
}

async fn each_shop_sees_and_changes_only_its_own_connection(app: TestApp) {
    let peers = MailPeers::start().await;
    let first = app.create_org("Springfield Heating").await;
    let second = app.create_org("Other Plumbing").await;
    let (status, _) = put(&app, &first.api_key, &peers.connection(SHOP)).await;
    assert_eq!(status, 200);
    let theirs: Value = app.api_json("/api/v1/integrations", &second.api_key).await;
    assert_eq!(theirs, json!([]));
    let delete = |key: String| {
        let app = &app;
        async move {
            app.api(Method::DELETE, "/api/v1/integrations/email", &key).await.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(delete(second.api_key.clone()).await, 404, "the other shop has nothing to disconnect");
    let staff = app.api_key_with_role(&first, domain::Role::Staff).await;
    assert_eq!(put(&app, &staff, &peers.connection(SHOP)).await.0, 403, "only the owner connects accounts");
    assert_eq!(delete(staff).await, 403);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations").await, 1);
    assert_eq!(delete(first.api_key.clone()).await, 204);
    let mine: Value = app.api_json("/api/v1/integrations", &first.api_key).await;
    assert_eq!(mine, json!([]));
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations").await, 0, "the credentials are gone");
}

async fn the_squads_reply_leaves_through_the_shops_own_mailbox(app: TestApp) {
    let peers = MailPeers::start().await;
    let key = crate::squad::demo(&app).await;
    let (status, _) = put(&app, &key, &peers.connection(SHOP)).await;
    assert_eq!(status, 200);
    let inquiry = json!({ "channel": "email", "from": { "name": "Dana Reed", "email": "dana@example.com" },
        "subject": "No heat", "body": "Our furnace stopped working, no heat. 12 Oak St, Springfield 62704." });
    crate::squad::inbound(&app, &key, inquiry).await;
    app.drain().await;

    let sent = peers.received();
    assert!(!sent.is_empty(), "the SMTP server received the squad's messages");
    let first = &sent[0];
    assert!(first.contains("To: dana@example.com"), "{first}");
    assert!(first.contains("From: ") && first.contains(" <shop@springfield-heating.example>"), "{first}");
    assert!(first.contains("Subject: Re: No heat"), "the reply answers the customer's subject: {first}");
    assert!(first.contains("Content-Type: multipart/alternative"), "a text and an HTML copy: {first}");
    assert!(first.contains("Reply to this email to reach us."), "{first}");
    assert!(first.contains("Auto-Submitted: auto-replied"), "no out-of-office loops: {first}");
    // The ledger says it left through the mailbox, and the connection is healthy.
    let through_mailbox = app
        .admin_count("SELECT COUNT(*) FROM side_effects WHERE kind = 'message' AND status = 'done' AND response LIKE '%imap_smtp%'")
        .await;
    assert_eq!(usize::try_from(through_mailbox).unwrap(), sent.len());
    let listed: Value = app.api_json("/api/v1/integrations", &key).await;
    assert_eq!((listed[0]["status"].as_str(), listed[0]["last_error"].as_str()), (Some("connected"), None));
    assert!(listed[0]["checked_at"].as_i64().is_some());

    // With the mail server gone, a message waits to be retried, and the owner sees why.
    drop(peers);
    crate::squad::inbound(
        &app,
        &key,
        json!({ "channel": "email", "from": { "email": "pat@example.com" },
        "body": "Can someone look at my water heater? 62704" }),
    )
    .await;
    app.drain().await;
    let listed: Value = app.api_json("/api/v1/integrations", &key).await;
    assert_eq!(listed[0]["status"], "error", "{listed}");
    assert!(listed[0]["last_error"].as_str().unwrap().contains("could not reach"), "{listed}");
    assert!(
        app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'deliver_message' AND status = 'queued'").await >= 1,
        "not dropped: queued to try again"
    );
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM escalations").await, 0, "a retry is not yet the owner's problem");

    // Out of retries, the message is not quietly lost: the owner is told which and why.
    app.admin_execute(
        "UPDATE jobs SET attempts = max_attempts - 1, run_at = 0 WHERE kind = 'deliver_message' AND status = 'queued'",
    )
    .await;
    app.drain().await;
    let waiting = app
        .admin_count(
            "SELECT COUNT(*) FROM escalations WHERE kind = 'delivery_failed' AND status = 'pending'
             AND reason LIKE '%pat@example.com%'",
        )
        .await;
    assert!(waiting >= 1, "the owner has the undelivered email to handle");
    assert!(app.admin_count("SELECT COUNT(*) FROM side_effects WHERE status = 'failed'").await >= 1);
}

/// Runs the mailbox's next check now (it is queued a few seconds ahead), then everything it queued.
async fn check_mailbox_now(app: &TestApp) {
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'check_mailbox' AND status = 'queued'").await;
    app.drain().await;
}

fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    raw.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

async fn an_email_gets_a_reply_in_its_thread_and_an_answer_continues_the_lead(app: TestApp) {
    let peers = MailPeers::start().await;
    let key = crate::squad::demo(&app).await;
    peers.deliver("From: Earlier <old@example.com>\nSubject: Already here\nMessage-ID: <old1@example.com>\n\nThis was in the inbox before the shop connected it.\n").await;
    let (status, _) = put(&app, &key, &peers.connection(SHOP)).await;
    assert_eq!(status, 200);
    let at_connection = app.admin_text("SELECT cursor FROM integrations").await;

    // A customer's email lands in the shop's mailbox; the squad answers it in the same thread.
    peers.deliver("From: Dana Reed <dana@example.com>\nTo: shop@springfield-heating.example\nSubject: No heat\n\
Message-ID: <c1@example.com>\n\nOur furnace stopped working, no heat. 12 Oak St, Springfield 62704.\n\nDana\n-- \nDana Reed, Springfield\n").await;
    check_mailbox_now(&app).await;
    let leads: Value = app.api_json("/api/v1/leads", &key).await;
    let leads = leads.as_array().unwrap();
    assert_eq!(leads.len(), 1, "only mail that arrived after connecting is the squad's: {leads:?}");
    assert_eq!(leads[0]["channel"], "email");
    let sent = peers.received();
    let reply = sent.first().expect("the squad's reply reached the SMTP server");
    assert_eq!(header(reply, "To"), Some("dana@example.com"), "{reply}");
    assert_eq!(header(reply, "In-Reply-To"), Some("<c1@example.com>"), "{reply}");
    assert_eq!(header(reply, "Subject"), Some("Re: No heat"), "{reply}");
    let squad_id = header(reply, "Message-ID").unwrap().to_owned();

    // Dana answers in that thread: the same lead goes on, and the thread proves it is Dana.
    peers.deliver(&format!("From: Dana Reed <dana@example.com>\nSubject: Re: No heat\nMessage-ID: <c2@example.com>\n\
In-Reply-To: {squad_id}\nReferences: <c1@example.com> {squad_id}\n\nThanks! Is there a charge for the visit?\n\n> earlier text\n")).await;
    // An out-of-office reply and a newsletter start nothing.
    peers.deliver("From: Pat <pat@example.com>\nSubject: Out of office\nAuto-Submitted: auto-replied\nMessage-ID: <a1@example.com>\n\nAway.\n").await;
    peers.deliver("From: News <news@example.com>\nSubject: Deals\nList-Id: <deals.example.com>\nMessage-ID: <n1@example.com>\n\nDeals.\n").await;
    check_mailbox_now(&app).await;
    let leads: Value = app.api_json("/api/v1/leads", &key).await;
    assert_eq!(leads.as_array().unwrap().len(), 1, "{leads}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM messages WHERE sender_proof = 'email_thread'").await, 1);
    let kept = app
        .admin_count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND body LIKE '%earlier text%'")
        .await;
    assert_eq!(kept, 0, "the quoted history is cut from what the squad reads");
    let whole = app
        .admin_count(
            "SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND original_body LIKE '%> earlier text%'",
        )
        .await;
    assert_eq!(whole, 1, "and kept in the record beside it");
    let record: Value = app.api_json(&format!("/api/v1/leads/{}", leads[0]["id"].as_str().unwrap()), &key).await;
    let shown = record["messages"].as_array().unwrap().iter().filter(|m| m["original_body"].is_string()).count();
    assert_eq!(shown, 2, "the lead shows both emails whose signature or quotes were cut: {record}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'automatic email passed over'").await, 2);

    // The squad's first reply comes back undelivered: it is marked so, and the owner is told why.
    peers
        .deliver(&format!(
            "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered Mail Returned to Sender\n\
Message-ID: <bounce1@mx.example.com>\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\n\
Your message could not be delivered.\n--b\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n\
Diagnostic-Code: smtp; 550 5.1.1 No such user\n--b\nContent-Type: message/rfc822-headers\n\n\
Message-ID: {squad_id}\nSubject: Re: No heat\n--b--\n"
        ))
        .await;
    check_mailbox_now(&app).await;
    assert_eq!(
        app.admin_count(
            "SELECT COUNT(*) FROM escalations WHERE kind = 'delivery_failed' AND reason LIKE '%550 5.1.1 No such user%'"
        )
        .await,
        1
    );
    assert_eq!(
        app.admin_count("SELECT COUNT(*) FROM side_effects WHERE status = 'failed' AND response LIKE '%returned%'")
            .await,
        1
    );
    let leads: Value = app.api_json("/api/v1/leads", &key).await;
    assert_eq!(leads.as_array().unwrap().len(), 1, "a bounce starts nothing");

    // Checking again (a restart, a second check) reads nothing twice.
    let inbound = "SELECT COUNT(*) FROM messages WHERE direction = 'inbound'";
    let before = app.admin_count(inbound).await;
    check_mailbox_now(&app).await;
    // As if the squad's place had been lost right after connecting: everything since is read again.
    app.admin_execute(&format!("UPDATE integrations SET cursor = '{at_connection}'")).await;
    check_mailbox_now(&app).await;
    assert_eq!(app.admin_count(inbound).await, before, "every letter read again was recognised by its Message-ID");
}

async fn new_mail_is_taken_in_at_once_while_the_inbox_is_watched(app: TestApp) {
    let peers = MailPeers::start().await;
    let key = crate::squad::demo(&app).await;
    assert_eq!(put(&app, &key, &peers.connection(SHOP)).await.0, 200);
    // One worker throughout, as `serve` runs it: its first check starts an IDLE watcher.
    let worker = app.worker(std::sync::Arc::new(squad::offline::OfflineModel));
    worker.drain().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    peers
        .deliver(
            "From: Dana Reed <dana@example.com>\nSubject: No heat\nMessage-ID: <w1@example.com>\n\n\
Furnace is out, no heat. 12 Oak St, Springfield 62704.\n",
        )
        .await;
    // The regular check is 30 s away; the watcher brings it forward as soon as the mail lands.
    let started = std::time::Instant::now();
    loop {
        worker.drain().await.unwrap();
        let leads: Value = app.api_json("/api/v1/leads", &key).await;
        if !leads.as_array().unwrap().is_empty() {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "the new mail was not taken in");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!peers.received().is_empty(), "and answered");
}

async fn a_web_form_customer_is_answered_by_email_through_the_mailbox(app: TestApp) {
    let peers = MailPeers::start().await;
    let key = crate::squad::demo(&app).await;
    // Before the mailbox is connected a form's reply is only recorded, never claimed sent.
    let form = |email: &str| {
        json!({ "channel": "form", "from": { "name": "Dana Reed", "email": email },
                "body": "Our furnace stopped working, no heat. 12 Oak St, Springfield 62704." })
    };
    crate::squad::inbound(&app, &key, form("early@example.com")).await;
    app.drain().await;
    assert!(peers.received().is_empty());
    let recorded = app.admin_count("SELECT COUNT(*) FROM side_effects WHERE response LIKE '%imap_smtp%'").await;
    assert_eq!(recorded, 0);

    assert_eq!(put(&app, &key, &peers.connection(SHOP)).await.0, 200);
    crate::squad::inbound(&app, &key, form("dana@example.com")).await;
    app.drain().await;
    let sent = peers.received();
    let first = sent.first().expect("the reply left through the shop's mailbox");
    assert!(first.contains("To: dana@example.com"), "{first}");
    assert!(first.contains(" <shop@springfield-heating.example>"), "{first}");
    assert!(first.contains("Subject: Your message to Springfield Comfort & Plumbing"), "{first}");
    // A customer who left only a phone number cannot be emailed: their reply is recorded as before.
    let by_phone = json!({ "channel": "form", "from": { "name": "Pat", "phone": "217-555-0199" },
                           "body": "Water heater leaking. 62704" });
    crate::squad::inbound(&app, &key, by_phone).await;
    app.drain().await;
    assert!(peers.received().iter().all(|l| !l.contains("217-555-0199")));
}

async fn a_mailbox_on_a_private_network_is_refused_unless_allowed(app: TestApp) {
    let peers = MailPeers::start().await;
    let org = app.create_org("Acme Heating").await;
    // Production's rule: a shop cannot point Opsquad at this machine or its private network.
    let strict = app.serve_with(|s| s.channels.private_mail_servers = false).await;
    let (status, refused) = put(&strict, &org.api_key, &peers.connection(SHOP)).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (422, Some("imap")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("private network"), "{refused}");
    let mut inside = peers.connection(SHOP);
    inside["imap"]["host"] = json!("imap.example.com");
    inside["smtp"]["host"] = json!("169.254.169.254");
    let (status, refused) = put(&strict, &org.api_key, &inside).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM integrations").await, 0, "nothing stored");
    // This test setup allows it (its mail servers run here).
    assert_eq!(put(&app, &org.api_key, &peers.connection(SHOP)).await.0, 200);

    // A name that led to the internet when it was saved and leads inside now (DNS rebinding) is
    // refused when the squad connects, and the owner sees why.
    let mut settings = app.settings();
    settings.channels.private_mail_servers = false;
    let strict_access = server::startup::mail_access(&settings).unwrap();
    let strict_worker = server::worker::Worker {
        own_channels: std::sync::Arc::new(ops::integrations::Mailroom::new(strict_access.clone())),
        mail_access: strict_access,
        ..app.worker(std::sync::Arc::new(squad::offline::OfflineModel))
    };
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'check_mailbox' AND status = 'queued'").await;
    strict_worker.drain().await.unwrap();
    let listed: Value = app.api_json("/api/v1/integrations", &org.api_key).await;
    assert_eq!(listed[0]["status"], "error", "{listed}");
    assert!(listed[0]["last_error"].as_str().unwrap().contains("private network"), "{listed}");
}

async fn encrypted_mail_servers_are_reached_and_an_unknown_certificate_is_refused(app: TestApp) {
    let key = crate::squad::demo(&app).await;
    let secured = |mut body: Value, smtp: &str| {
        body["imap"]["tls"] = json!("starttls");
        body["smtp"]["tls"] = json!(smtp);
        body
    };
    // IMAP upgraded with STARTTLS, SMTP likewise: connected, and the squad's reply goes out.
    let starttls = MailPeers::start_secured(Secured::With { smtp: "starttls", trusted: true }).await;
    let (status, answer) = put(&app, &key, &secured(starttls.connection(SHOP), "starttls")).await;
    assert_eq!(status, 200, "{answer}");
    let inquiry = json!({ "channel": "email", "from": { "name": "Dana Reed", "email": "dana@example.com" },
        "subject": "No heat", "body": "Our furnace stopped working, no heat. 12 Oak St, Springfield 62704." });
    crate::squad::inbound(&app, &key, inquiry).await;
    app.drain().await;
    assert!(!starttls.received().is_empty(), "the reply crossed an encrypted SMTP connection");

    // SMTP encrypted from the first byte (port 465's way).
    let wrapped = MailPeers::start_secured(Secured::With { smtp: "tls", trusted: true }).await;
    let (status, answer) = put(&app, &key, &secured(wrapped.connection(SHOP), "tls")).await;
    assert_eq!(status, 200, "{answer}");

    // Asking for plain text where the server insists on encryption is refused, and named.
    let (status, answer) = put(&app, &key, &secured(starttls.connection(SHOP), "none")).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (422, Some("smtp")), "{answer}");

    // A certificate nobody vouches for is refused before any password is sent.
    let stranger = MailPeers::start_secured(Secured::With { smtp: "tls", trusted: false }).await;
    let (status, answer) = put(&app, &key, &secured(stranger.connection(SHOP), "tls")).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (422, Some("imap")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("secure connection"), "{answer}");
    let mut only_smtp = secured(stranger.connection(SHOP), "tls");
    only_smtp["imap"] = secured(starttls.connection(SHOP), "tls")["imap"].clone();
    let (status, answer) = put(&app, &key, &only_smtp).await;
    assert_eq!((status, answer["error"]["field"].as_str()), (422, Some("smtp")), "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("secure connection"), "{answer}");
    let listed: Value = app.api_json("/api/v1/integrations", &key).await;
    assert_eq!(listed[0]["settings"]["smtp"]["port"], json!(wrapped.smtp_port), "the refused settings were not kept");
}
