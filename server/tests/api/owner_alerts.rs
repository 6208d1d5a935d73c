//! Alerts to the owner by email (issue 17): an escalation emails each owner whose address is
//! confirmed at once, through Opsquad's own mail server (a real SMTP peer here), once however often
//! the job runs; nothing goes to an unconfirmed address, to an owner who turned it off, or
//! anywhere when no mail server is set up. Each morning each shop's owners get a summary of the
//! day, once, and a shop with nothing to report gets none.

use std::sync::Arc;

use serde_json::json;

use crate::account_email::account_mail;
use crate::helpers::TestApp;
use crate::mail_peers::MailPeers;
use crate::on_both_backends;
use crate::squad::{demo, inbound};

on_both_backends!(
    a_safety_emergency_emails_the_owner_once_with_a_link_to_the_lead,
    an_owner_who_turned_alerts_off_or_is_unconfirmed_gets_nothing,
    each_shop_gets_its_own_morning_summary_once,
);

const GAS: &str = "I smell gas near my furnace in the basement, like rotten eggs. 62704";

fn mailing_worker(app: &TestApp, peers: &MailPeers) -> server::worker::Worker {
    let mail = account_mail(peers.smtp_port).sender().expect("account mail settings");
    server::worker::Worker { account_mail: Arc::new(mail), ..app.worker(Arc::new(squad::offline::OfflineModel)) }
}

async fn a_safety_emergency_emails_the_owner_once_with_a_link_to_the_lead(app: TestApp) {
    let peers = MailPeers::start().await;
    let owner = app.demo().await;
    let lead =
        inbound(&app, &owner.api_key, json!({ "channel": "sms", "from": { "phone": "217-555-0111" }, "body": GAS }))
            .await;
    let worker = mailing_worker(&app, &peers);
    worker.drain().await.unwrap();

    let letters = peers.received();
    assert_eq!(letters.len(), 1, "one owner, one letter");
    let letter = letters[0].replace("=\r\n", "").replace("=\n", "");
    assert!(letter.contains(&format!("To: {}", owner.owner_email)), "{letter}");
    assert!(letter.contains("needs you: a possible safety emergency."), "{letter}");
    assert!(letter.contains("Subject: Springfield Comfort & Plumbing: 217-555-0111 needs you"), "{letter}");
    assert!(letter.contains(&format!("/app/leads/{lead}")), "{letter}");
    assert!(letter.contains("Auto-Submitted: auto-generated"), "{letter}");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'owner alerted by email'").await, 1);

    // The job runs again (a retry after a crash, say): the owner is not emailed twice.
    app.admin_execute("UPDATE jobs SET status = 'queued', run_at = 0 WHERE kind = 'alert_owners'").await;
    worker.drain().await.unwrap();
    assert_eq!(peers.received().len(), 1);
}

async fn an_owner_who_turned_alerts_off_or_is_unconfirmed_gets_nothing(app: TestApp) {
    let peers = MailPeers::start().await;
    let key = demo(&app).await;
    let worker = mailing_worker(&app, &peers);

    // Without a mail server the job ends without claiming anything.
    inbound(&app, &key, json!({ "channel": "sms", "from": { "phone": "217-555-0101" }, "body": GAS })).await;
    app.drain().await;
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE kind = 'alert_owners' AND status = 'done'").await, 1);

    // An owner whose address is not confirmed gets nothing.
    app.admin_execute("UPDATE users SET email_confirmed_at = NULL").await;
    inbound(&app, &key, json!({ "channel": "sms", "from": { "phone": "217-555-0102" }, "body": GAS })).await;
    worker.drain().await.unwrap();
    assert_eq!(peers.received().len(), 0, "an unconfirmed address receives nothing");

    // Confirmed, but the owner turned the emails off.
    app.admin_execute("UPDATE users SET email_confirmed_at = 1").await;
    let org = app.admin_text("SELECT id FROM orgs").await;
    let user = app.admin_text("SELECT id FROM users").await;
    let scope = store::Operator::new("test").act_for(
        domain::OrgId::parse(&org).unwrap(),
        Some(domain::UserId::parse(&user).unwrap()),
        domain::Role::Owner,
    );
    ops::account::set_email_alerts(&app.db, &scope, false).await.unwrap();
    inbound(&app, &key, json!({ "channel": "sms", "from": { "phone": "217-555-0103" }, "body": GAS })).await;
    worker.drain().await.unwrap();
    assert_eq!(peers.received().len(), 0, "alerts are off");
    ops::account::set_email_alerts(&app.db, &scope, true).await.unwrap();
    inbound(&app, &key, json!({ "channel": "sms", "from": { "phone": "217-555-0104" }, "body": GAS })).await;
    worker.drain().await.unwrap();
    assert_eq!(peers.received().len(), 1, "and on again");

    // Staff are not owners: they may not turn owner alerts on.
    let staff = store::Operator::new("test").act_for(
        domain::OrgId::parse(&org).unwrap(),
        Some(domain::UserId::parse(&user).unwrap()),
        domain::Role::Staff,
    );
    assert!(matches!(ops::account::set_email_alerts(&app.db, &staff, true).await, Err(ops::OpsError::Forbidden)));
}

async fn each_shop_gets_its_own_morning_summary_once(app: TestApp) {
    let peers = MailPeers::start().await;
    let shop = app.demo().await;
    let quiet = app.create_org("Quiet Plumbing").await;
    app.admin_execute("UPDATE users SET email_confirmed_at = 1").await;
    let leak = json!({ "channel": "email", "from": { "name": "Pat Lee", "email": "pat@example.com" },
        "subject": "Water heater", "body": "Our water heater drips a little. Could someone look at it this week? 62704" });
    inbound(&app, &shop.api_key, leak).await;
    let worker = mailing_worker(&app, &peers);
    worker.drain().await.unwrap();
    let before = peers.received().len();

    // Housekeeping starts each shop's chain, once, for the coming 7:00 in the shop's time zone.
    assert_eq!(ops::owner_summary::schedule(&app.db).await.unwrap(), 2);
    assert_eq!(ops::owner_summary::schedule(&app.db).await.unwrap(), 0, "one chain per shop");
    let due = |org: String| {
        let app = &app;
        async move {
            app.admin_count(&format!(
                "SELECT COUNT(*) FROM jobs WHERE kind = 'owner_summary' AND status = 'queued' AND org_id = '{org}'
                 AND run_at > {}",
                store::now_ms()
            ))
            .await
        }
    };
    assert_eq!((due(shop.org_id.clone()).await, due(quiet.id.to_string()).await), (1, 1));

    // The morning comes: the busy shop's owner hears about their day; the quiet shop gets nothing.
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'owner_summary'").await;
    worker.drain().await.unwrap();
    let letters = peers.received();
    assert_eq!(letters.len(), before + 1, "one summary, for the shop that had a day");
    let letter = letters[before].replace("=\r\n", "").replace("=\n", "");
    assert!(letter.contains(&format!("To: {}", shop.owner_email)), "{letter}");
    assert!(letter.contains("your morning summary"), "{letter}");
    assert!(letter.contains("1 new inquiry (email: 1)"), "{letter}");
    assert!(letter.contains("/app"), "{letter}");
    assert!(!letter.contains(&quiet.owner_email), "{letter}");
    // Tomorrow's is queued for each shop, and a repeated run sends nothing twice.
    assert_eq!((due(shop.org_id.clone()).await, due(quiet.id.to_string()).await), (1, 1));
    app.admin_execute("UPDATE jobs SET status = 'queued', run_at = 0 WHERE kind = 'owner_summary' AND status = 'done'")
        .await;
    worker.drain().await.unwrap();
    assert_eq!(peers.received().len(), before + 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'owner summary emailed'").await, 1);
}
