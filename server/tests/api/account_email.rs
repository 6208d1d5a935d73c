//! Confirming a sign-up's email address (issue 13): a link goes out through Opsquad's own mail
//! server (a real SMTP peer here); opening it once confirms the address; without a mail server
//! nothing is claimed sent.

use serde_json::Value;

use crate::helpers::{get, post, TestApp};
use crate::mail_peers::{MailPeers, PASSWORD, USER};
use crate::on_both_backends;

on_both_backends!(
    a_sign_up_confirms_its_address_through_the_emailed_link,
    without_a_mail_server_no_link_is_claimed_sent,
    a_refused_link_is_shown_and_only_the_newest_link_works,
    a_forgotten_password_is_reset_through_a_link_to_the_confirmed_address,
    without_a_mail_server_no_reset_link_goes_out_and_a_reset_confirms_the_address,
);

pub(crate) fn account_mail(port: u16) -> server::config::AccountMailSettings {
    server::config::AccountMailSettings {
        from: Some("no-reply@opsquad.test".into()),
        from_name: None,
        smtp_host: Some("127.0.0.1".into()),
        smtp_port: Some(port),
        smtp_tls: Some(integrations::mail::Tls::None),
        smtp_username: Some(USER.into()),
        smtp_password: Some(PASSWORD.to_owned().into()),
    }
}

async fn sign_up(app: &TestApp, email: &str) {
    let form = [
        ("business_name", "Bright Sparks Electric"),
        ("your_name", "Dana"),
        ("email", email),
        ("password", "long enough password"),
    ];
    let response = app.post_form("/api/auth/signup", &form).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
}

/// The confirmation link in a raw message (quoted-printable soft breaks undone).
fn link_in(raw: &str) -> String {
    token_after(raw, "/confirm-email/")
}

fn token_after(raw: &str, page: &str) -> String {
    let unfolded = raw.replace("=\r\n", "").replace("=\n", "");
    let start = unfolded.find(page).expect("a link") + page.len();
    unfolded[start..start + 43].to_owned()
}

async fn a_sign_up_confirms_its_address_through_the_emailed_link(app: TestApp) {
    let peers = MailPeers::start().await;
    let app = app.serve_with(|s| s.account_mail = account_mail(peers.smtp_port)).await;
    sign_up(&app, "dana@brightsparks.example.com").await;

    let (status, email) = get(&app, "/api/account/email").await;
    assert_eq!(status, 200);
    assert_eq!(email["email"], "dana@brightsparks.example.com");
    assert_eq!((email["confirmed"].as_bool(), email["link_sent"].as_bool()), (Some(false), Some(true)), "{email}");

    let received = peers.received();
    assert_eq!(received.len(), 1, "one letter");
    let letter = &received[0];
    assert!(letter.contains("To: dana@brightsparks.example.com"), "{letter}");
    assert!(letter.contains("Auto-Submitted: auto-generated"), "{letter}");
    assert!(letter.contains("Bright Sparks Electric"), "{letter}");
    let token = link_in(letter);
    let stored = app.admin_text("SELECT token_hash FROM email_confirmations").await;
    assert!(!stored.contains(&token) && stored.len() == 64, "only the link's hash is kept");

    // The link is the credential: a browser with no session can use it, once.
    let elsewhere = app.new_browser();
    let wrong = post(&elsewhere, "/api/auth/confirm-email", &[("token", "A".repeat(43).as_str())]).await;
    assert_eq!(wrong.0, 404);
    assert_eq!(get(&app, "/api/account/email").await.1["confirmed"], false, "a wrong link confirms nothing");
    assert_eq!(post(&elsewhere, "/api/auth/confirm-email", &[("token", token.as_str())]).await.0, 200);
    assert_eq!(get(&app, "/api/account/email").await.1["confirmed"], true);
    assert_eq!(post(&elsewhere, "/api/auth/confirm-email", &[("token", token.as_str())]).await.0, 404, "used once");

    let again = post(&app, "/api/account/email/link", &[]).await;
    assert_eq!(again.0, 409, "{}", again.1);
    assert_eq!(peers.received().len(), 1, "nothing more is sent to a confirmed address");
}

async fn without_a_mail_server_no_link_is_claimed_sent(app: TestApp) {
    sign_up(&app, "sam@example.com").await;
    let (status, email) = get(&app, "/api/account/email").await;
    assert_eq!(status, 200);
    assert_eq!(email["can_send"], false);
    assert_eq!((email["confirmed"].as_bool(), email["link_sent"].as_bool()), (Some(false), Some(false)));
    let refused = post(&app, "/api/account/email/link", &[]).await;
    assert_eq!(refused.0, 409);
    assert!(refused.1["message"].as_str().unwrap_or_default().contains("cannot send email"), "{}", refused.1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM email_confirmations").await, 0, "no link was made");

    // Someone else's status is never shown: a visitor without a session is sent to log in.
    assert_eq!(get(&app.new_browser(), "/api/account/email").await.0, 401);
}

async fn a_refused_link_is_shown_and_only_the_newest_link_works(app: TestApp) {
    // Nothing listens on this port: the mail server cannot be reached.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let broken = app.serve_with(|s| s.account_mail = account_mail(closed)).await;
    sign_up(&broken, "lee@example.com").await;
    let email: Value = get(&broken, "/api/account/email").await.1;
    assert_eq!(email["link_sent"], false, "{email}");
    assert!(email["send_error"].as_str().is_some_and(|e| e.contains("could not reach")), "{email}");
    let soon = post(&broken, "/api/account/email/link", &[]).await;
    assert_eq!(soon.0, 409, "a minute between links: {}", soon.1);

    // The mail server is back; the person asks for a link, and a while later for another. Only
    // the newest one works.
    let peers = MailPeers::start().await;
    let mended = broken.serve_with(|s| s.account_mail = account_mail(peers.smtp_port)).await;
    mended.log_in("lee@example.com", "long enough password").await;
    let mut tokens = Vec::new();
    for n in 1..=2 {
        app.admin_execute("UPDATE email_confirmations SET created_at = created_at - 120000").await;
        let (status, email) = post(&mended, "/api/account/email/link", &[]).await;
        assert_eq!(status, 200, "{email}");
        assert_eq!((email["link_sent"].as_bool(), email["send_error"].as_str()), (Some(true), None), "{email}");
        assert_eq!(peers.received().len(), n);
        tokens.push(link_in(&peers.received()[n - 1]));
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM email_confirmations").await, 3, "one row per link");
    assert_eq!(post(&mended, "/api/auth/confirm-email", &[("token", tokens[0].as_str())]).await.0, 404, "replaced");
    assert_eq!(get(&mended, "/api/account/email").await.1["confirmed"], false);
    assert_eq!(post(&mended, "/api/auth/confirm-email", &[("token", tokens[1].as_str())]).await.0, 200);
    assert_eq!(get(&mended, "/api/account/email").await.1["confirmed"], true);
}

async fn a_forgotten_password_is_reset_through_a_link_to_the_confirmed_address(app: TestApp) {
    let peers = MailPeers::start().await;
    let app = app.serve_with(|s| s.account_mail = account_mail(peers.smtp_port)).await;
    let org = app.create_org("Acme Heating").await;
    let signed_in = app.new_browser();
    assert!(signed_in.log_in(&org.owner_email, &org.password).await.status().is_success());

    // The same answer for an address with an account and one without; only the first gets a letter.
    let stranger = app.new_browser();
    assert_eq!(post(&stranger, "/api/auth/forgot-password", &[("email", "nobody@example.com")]).await.0, 200);
    assert!(peers.received().is_empty());
    let shouted = org.owner_email.to_uppercase();
    assert_eq!(post(&stranger, "/api/auth/forgot-password", &[("email", shouted.as_str())]).await.0, 200);
    let letters = peers.received();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].contains(&format!("To: {}", org.owner_email)) && letters[0].contains("Reset your Opsquad password")
    );
    let token = token_after(&letters[0], "/reset-password/");
    let stored = app.admin_text("SELECT token_hash FROM password_resets").await;
    assert!(!stored.contains(&token), "only the link's hash is kept");

    let short = post(&stranger, "/api/auth/reset-password", &[("token", token.as_str()), ("password", "short")]).await;
    assert_eq!((short.0, crate::helpers::field(&short.1)), (422, "password"), "{}", short.1);
    let new = "a brand new password";
    let done = post(&stranger, "/api/auth/reset-password", &[("token", token.as_str()), ("password", new)]).await;
    assert_eq!(done.0, 200, "{}", done.1);
    assert_eq!(app.log_in(&org.owner_email, &org.password).await.status(), 401, "the old password is gone");
    assert!(app.log_in(&org.owner_email, new).await.status().is_success());
    assert_eq!(get(&signed_in, "/api/account").await.0, 401, "every earlier session ended");
    let again =
        post(&stranger, "/api/auth/reset-password", &[("token", token.as_str()), ("password", "yet another password")])
            .await;
    assert_eq!(again.0, 404, "a link works once");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM audit_log WHERE action = 'password reset by email'").await, 1);
}

async fn without_a_mail_server_no_reset_link_goes_out_and_a_reset_confirms_the_address(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let refused = post(&app, "/api/auth/forgot-password", &[("email", org.owner_email.as_str())]).await;
    assert_eq!(refused.0, 409, "{}", refused.1);
    assert!(refused.1["message"].as_str().unwrap_or_default().contains("cannot reset passwords"), "{}", refused.1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM password_resets").await, 0);

    let peers = MailPeers::start().await;
    let mailing = app.serve_with(|s| s.account_mail = account_mail(peers.smtp_port)).await;
    // Someone opened an account with an address that is not theirs and never confirmed it: its real
    // owner asks for a reset, and using the link makes the account and the address theirs.
    app.admin_execute("UPDATE users SET email_confirmed_at = NULL").await;
    assert_eq!(post(&mailing, "/api/auth/forgot-password", &[("email", org.owner_email.as_str())]).await.0, 200);
    let token = token_after(&peers.received()[0], "/reset-password/");
    let form = [("token", token.as_str()), ("password", "the real owner's password")];
    assert_eq!(post(&mailing, "/api/auth/reset-password", &form).await.0, 200);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM users WHERE email_confirmed_at IS NOT NULL").await, 1);
    let bad = post(&mailing, "/api/auth/forgot-password", &[("email", "not an address")]).await;
    assert_eq!((bad.0, crate::helpers::field(&bad.1)), (422, "email"));
}
