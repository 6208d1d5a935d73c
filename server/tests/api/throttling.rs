//! Throttles: per client address (resolved through trusted proxies only), per account for log-in,
//! sign-up and invitations, per org and per key on the REST API. Each refusal is 429 with
//! `Retry-After`.

use reqwest::{Method, Response};
use serde_json::Value;

use crate::binary::Binary;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    wrong_passwords_lock_the_account_from_every_address_but_right_ones_do_not_count,
    sign_ups_for_one_email_are_limited,
    attempts_on_one_invitation_are_limited,
    api_calls_are_limited_per_org_and_per_key,
);

fn retry_after(response: &Response) -> u64 {
    let header = response.headers().get("retry-after").expect("a Retry-After header");
    header.to_str().unwrap().parse().unwrap()
}

async fn wrong_passwords_lock_the_account_from_every_address_but_right_ones_do_not_count(app: TestApp) {
    let app = app
        .serve_with(|s| {
            s.auth.login_attempts_per_minute = 1000;
            s.auth.failed_logins_per_account_per_hour = 3;
        })
        .await;
    let org = app.create_org("Acme").await;
    for _ in 0..5 {
        assert!(app.log_in(&org.owner_email, &org.password).await.status().is_success(), "right passwords");
    }
    for _ in 0..3 {
        assert_eq!(app.log_in(&org.owner_email, "not the password").await.status(), 401);
    }
    let shouted = org.owner_email.to_uppercase();
    let locked = app.new_browser().log_in(&shouted, &org.password).await;
    assert_eq!(locked.status(), 429, "even the right password waits, whatever the case of the address");
    let wait = retry_after(&locked);
    assert!((3500..=3600).contains(&wait), "until the hour is over: {wait}");
    let body: Value = locked.json().await.unwrap();
    assert_eq!((body["code"].as_str(), body["retry_after_seconds"].as_u64()), (Some("rate_limited"), Some(wait)));

    let other = app.create_org("Other Shop").await;
    assert!(app.log_in(&other.owner_email, &other.password).await.status().is_success(), "other accounts");
}

async fn sign_ups_for_one_email_are_limited(app: TestApp) {
    let app = app
        .serve_with(|s| {
            s.auth.signups_per_hour = 1000;
            s.auth.signups_per_email_per_hour = 2;
        })
        .await;
    let sign_up = |email: &'static str| {
        let browser = app.new_browser();
        async move {
            let form =
                [("business_name", "Acme"), ("your_name", "Dana"), ("email", email), ("password", "long enough pw")];
            browser.post_form("/api/auth/signup", &form).await
        }
    };
    assert!(sign_up("dana@acme.example.com").await.status().is_success());
    assert_eq!(sign_up("dana@acme.example.com").await.status(), 409, "taken");
    let refused = sign_up("DANA@acme.example.com").await;
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) > 0);
    assert!(sign_up("sam@acme.example.com").await.status().is_success(), "another address");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 2);
}

async fn attempts_on_one_invitation_are_limited(app: TestApp) {
    let app = app
        .serve_with(|s| {
            s.auth.invite_attempts_per_hour = 1000;
            s.auth.invite_attempts_per_invitation_per_hour = 2;
        })
        .await;
    let org = app.create_org("Acme").await;
    assert!(app.log_in(&org.owner_email, &org.password).await.status().is_success());
    let token = crate::team::invite(&app, "sam@acme.example.com").await;
    let visitor = app.new_browser();
    let accept = |password: &'static str| {
        let (visitor, token) = (&visitor, token.clone());
        async move {
            let form = [("token", token.as_str()), ("your_name", "Sam"), ("password", password)];
            visitor.post_form("/api/invite/accept", &form).await.status().as_u16()
        }
    };
    assert_eq!(accept("short").await, 422);
    assert_eq!(accept("short").await, 422);
    assert_eq!(accept("a long enough password").await, 429, "the invitation waits");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM users").await, 1, "nobody joined");
}

async fn api_calls_are_limited_per_org_and_per_key(app: TestApp) {
    let app = app
        .serve_with(|s| {
            s.server.limits.api_calls_per_hour_per_org = 4;
            s.server.limits.api_calls_per_hour_per_key = 2;
        })
        .await;
    let acme = app.create_org("Acme").await;
    let second_key = app.api_key_with_role(&acme, domain::Role::Owner).await;
    let other = app.create_org("Other Shop").await;
    let call = |key: String| {
        let app = &app;
        async move { app.api(Method::GET, "/api/v1/customers", &key).await.send().await.unwrap() }
    };

    for _ in 0..2 {
        assert_eq!(call(acme.api_key.clone()).await.status(), 200);
    }
    let refused = call(acme.api_key.clone()).await;
    assert_eq!(refused.status(), 429, "the key's allowance");
    assert!((3500..=3600).contains(&retry_after(&refused)));
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["error"]["code"], "rate_limited");
    assert!(error["error"]["message"].as_str().unwrap().contains("this API key"), "{error}");

    // The refused call still counted against the org: 3 of its 4.
    assert_eq!(call(second_key.clone()).await.status(), 200);
    let refused = call(second_key).await;
    assert_eq!(refused.status(), 429, "the org's allowance, shared by its keys");
    let error: Value = refused.json().await.unwrap();
    assert!(error["error"]["message"].as_str().unwrap().contains("this business"), "{error}");

    assert_eq!(call(other.api_key.clone()).await.status(), 200, "another org has its own");
}

/// A log-in attempt to the binary from `forwarded_for`, with a fresh email each time (so only the
/// address limit applies): the status and the Retry-After header.
async fn log_in_from(server: &Binary, forwarded_for: &str, n: usize) -> (u16, Option<u64>) {
    let origin = format!("http://{}", server.addr);
    let email = format!("nobody{n}@example.com");
    let response = reqwest::Client::new()
        .post(format!("{origin}/api/auth/login"))
        .header("origin", &origin)
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email.as_str()), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    let wait = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status().as_u16(), wait)
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() {
    // configuration/test.toml allows 5 log-in attempts per minute per client.
    let server = Binary::start(&[("OPSQUAD_SERVER__TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]);
    for n in 0..5 {
        assert_eq!(log_in_from(&server, "203.0.113.1", n).await.0, 401);
    }
    let (status, wait) = log_in_from(&server, "203.0.113.1, 10.0.0.9", 5).await;
    assert_eq!(status, 429, "the same client through a second proxy");
    assert!(wait.is_some_and(|w| (1..=60).contains(&w)), "{wait:?}");
    assert_eq!(
        log_in_from(&server, "198.51.100.7, 203.0.113.1", 6).await.0,
        429,
        "a forged entry to the left of the proxy's changes nothing"
    );
    assert_eq!(log_in_from(&server, "203.0.113.2", 7).await.0, 401, "the next visitor is not locked out");
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_headers_are_ignored() {
    let server = Binary::start(&[]);
    for n in 0..5 {
        assert_eq!(log_in_from(&server, &format!("203.0.113.{n}"), n).await.0, 401);
    }
    let (status, wait) = log_in_from(&server, "203.0.113.99", 5).await;
    assert_eq!(status, 429, "a made-up address does not buy more attempts");
    assert!(wait.is_some());
}
