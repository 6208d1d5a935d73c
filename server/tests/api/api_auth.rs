//! Bearer authentication on /api/v1: API keys, access tokens, and the attacks on them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TEST_KID, TEST_SECRET};
use crate::on_both_backends;

on_both_backends!(
    an_api_key_identifies_its_org,
    missing_wrong_and_revoked_keys_get_401,
    a_key_mints_an_access_token_that_works_until_it_is_forged,
    tokens_cannot_mint_tokens,
    org_b_key_never_sees_org_a,
    a_keys_scope_limits_what_it_and_its_tokens_reach,
);

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

async fn me(app: &TestApp, bearer: &str) -> reqwest::Response {
    app.api(Method::GET, "/api/v1/me", bearer).await.send().await.unwrap()
}

async fn an_api_key_identifies_its_org(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let response = me(&app, &org.api_key).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["org"]["id"], org.id.to_string());
    assert_eq!(body["org"]["name"], "Acme Heating");
    assert_eq!(body["credential"]["kind"], "api_key");
}

async fn missing_wrong_and_revoked_keys_get_401(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let none = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthenticated");

    let mut wrong = org.api_key.clone();
    wrong.pop();
    wrong.push(if org.api_key.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(me(&app, &wrong).await.status(), 401);
    assert_eq!(me(&app, "osq_").await.status(), 401);
    let basic = app.client.get(app.url("/api/v1/me")).basic_auth("user", Some(&org.api_key)).send().await.unwrap();
    assert_eq!(basic.status(), 401);

    app.admin_execute(&format!("UPDATE api_keys SET revoked_at = 1 WHERE org_id = '{}'", org.id)).await;
    assert_eq!(me(&app, &org.api_key).await.status(), 401);
}

fn claims(org: &str, sub: &str) -> Value {
    let t = now();
    json!({ "iss": "opsquad", "aud": "opsquad-api", "sub": sub, "org": org, "iat": t, "nbf": t, "exp": t + 600 })
}

fn sign(claims: &Value, kid: &str, secret: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn a_key_mints_an_access_token_that_works_until_it_is_forged(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let minted = app.api(Method::POST, "/api/v1/tokens", &org.api_key).await.send().await.unwrap();
    assert_eq!(minted.status(), 200);
    let body: Value = minted.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let ok = me(&app, &token).await;
    assert_eq!(ok.status(), 200);
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(ok["credential"]["kind"], "access_token");
    let key_id = ok["credential"]["api_key_id"].as_str().unwrap().to_owned();

    // Our signature over valid claims is accepted: the attacks below differ in one thing each.
    let org_id = org.id.to_string();
    assert_eq!(me(&app, &sign(&claims(&org_id, &key_id), TEST_KID, TEST_SECRET)).await.status(), 200);

    let mut expired = claims(&org_id, &key_id);
    expired["exp"] = json!(now() - 120);
    expired["nbf"] = json!(now() - 1000);
    let mut future = claims(&org_id, &key_id);
    future["nbf"] = json!(now() + 600);
    let mut widget = claims(&org_id, &key_id);
    widget["aud"] = json!("opsquad-widget");
    let mut foreign_issuer = claims(&org_id, &key_id);
    foreign_issuer["iss"] = json!("someone-else");
    let mut no_exp = claims(&org_id, &key_id);
    no_exp.as_object_mut().unwrap().remove("exp");
    for (what, forged) in [
        ("expired", sign(&expired, TEST_KID, TEST_SECRET)),
        ("not yet valid", sign(&future, TEST_KID, TEST_SECRET)),
        ("wrong audience", sign(&widget, TEST_KID, TEST_SECRET)),
        ("wrong issuer", sign(&foreign_issuer, TEST_KID, TEST_SECRET)),
        ("no expiry", sign(&no_exp, TEST_KID, TEST_SECRET)),
        ("unknown kid", sign(&claims(&org_id, &key_id), "test-k2", TEST_SECRET)),
        ("another key", sign(&claims(&org_id, &key_id), TEST_KID, "someone-elses-secret-someone-elses-secret")),
    ] {
        assert_eq!(me(&app, &forged).await.status(), 401, "{what} must be refused");
    }

    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{TEST_KID}"}}"#));
    let payload = URL_SAFE_NO_PAD.encode(claims(&org_id, &key_id).to_string());
    assert_eq!(me(&app, &format!("{header}.{payload}.")).await.status(), 401, "alg none");

    let other = app.create_org("Other Org").await;
    let parts: Vec<&str> = token.split('.').collect();
    let tampered_claims = claims(&other.id.to_string(), &key_id);
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(tampered_claims.to_string()), parts[2]);
    assert_eq!(me(&app, &tampered).await.status(), 401, "tampered payload");
}

async fn tokens_cannot_mint_tokens(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let body: Value =
        app.api(Method::POST, "/api/v1/tokens", &org.api_key).await.send().await.unwrap().json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let again = app.api(Method::POST, "/api/v1/tokens", token).await.send().await.unwrap();
    assert_eq!(again.status(), 403);
}

async fn org_b_key_never_sees_org_a(app: TestApp) {
    let a = app.create_org("Org A").await;
    let b = app.create_org("Org B").await;
    let body: Value = me(&app, &b.api_key).await.json().await.unwrap();
    assert_eq!(body["org"]["id"], b.id.to_string());
    assert_ne!(body["org"]["id"], a.id.to_string());

    // A token minted with B's key is B's, whatever it is used for.
    let minted: Value =
        app.api(Method::POST, "/api/v1/tokens", &b.api_key).await.send().await.unwrap().json().await.unwrap();
    let token = minted["access_token"].as_str().unwrap();
    let via_token: Value = me(&app, token).await.json().await.unwrap();
    assert_eq!(via_token["org"]["id"], b.id.to_string());
}

async fn status(app: &TestApp, method: Method, path: &str, key: &str, body: Option<Value>) -> u16 {
    let request = app.api(method, path, key).await;
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap().status().as_u16()
}

/// An `inbound` key (the one a website form embeds) hands in inquiries and nothing else; a `read`
/// key reads; a token minted from a key has its key's scope and dies with it.
async fn a_keys_scope_limits_what_it_and_its_tokens_reach(app: TestApp) {
    use domain::{KeyScope, Role};
    let org = app.create_org("Acme Heating").await;
    let inquiry = json!({ "channel": "form", "from": { "email": "jo@example.com" }, "body": "My furnace is out." });
    let vouched =
        json!({ "channel": "form", "from": { "email": "jo@example.com" }, "body": "Hi", "sender_verified": true });
    let customer = json!({ "name": "Jo Doe", "email": "jo2@example.com" });

    let inbound = app.api_key_with(&org, Role::Owner, KeyScope::Inbound).await;
    assert_eq!(status(&app, Method::POST, "/api/v1/inbound", &inbound, Some(inquiry.clone())).await, 202);
    assert_eq!(
        status(&app, Method::POST, "/api/v1/inbound", &inbound, Some(vouched.clone())).await,
        403,
        "cannot vouch"
    );
    for path in ["/api/v1/leads", "/api/v1/customers", "/api/v1/settings", "/api/v1/events", "/api/v1/audit"] {
        assert_eq!(status(&app, Method::GET, path, &inbound, None).await, 403, "{path}");
    }
    assert_eq!(status(&app, Method::POST, "/api/v1/customers", &inbound, Some(customer.clone())).await, 403);
    let me: Value = app.api_json("/api/v1/me", &inbound).await;
    assert_eq!(me["credential"]["scope"], "inbound", "a key may always ask who it is");

    let read = app.api_key_with(&org, Role::Staff, KeyScope::Read).await;
    assert_eq!(status(&app, Method::GET, "/api/v1/leads", &read, None).await, 200);
    assert_eq!(status(&app, Method::GET, "/api/v1/customers", &read, None).await, 200);
    assert_eq!(status(&app, Method::POST, "/api/v1/customers", &read, Some(customer.clone())).await, 403);
    assert_eq!(status(&app, Method::POST, "/api/v1/inbound", &read, Some(inquiry.clone())).await, 403);

    let full = app.api_key_with(&org, Role::Staff, KeyScope::Full).await;
    assert_eq!(status(&app, Method::POST, "/api/v1/customers", &full, Some(customer)).await, 201);

    // A token carries no more than its key, and stops when the key is revoked.
    let minted: Value =
        app.api(Method::POST, "/api/v1/tokens", &inbound).await.send().await.unwrap().json().await.unwrap();
    let token = minted["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status(&app, Method::GET, "/api/v1/leads", &token, None).await, 403);
    assert_eq!(status(&app, Method::POST, "/api/v1/inbound", &token, Some(inquiry)).await, 202);
    app.admin_execute(&format!(
        "UPDATE api_keys SET revoked_at = 1 WHERE org_id = '{}' AND name LIKE '%inbound%'",
        org.id
    ))
    .await;
    assert_eq!(status(&app, Method::GET, "/api/v1/me", &token, None).await, 401, "revoked with its key");

    // Another org's key of any scope sees nothing here.
    let other = app.create_org("Org B").await;
    let other_read = app.api_key_with(&other, Role::Owner, KeyScope::Read).await;
    let leads: Vec<Value> = app.api_json("/api/v1/leads", &other_read).await;
    assert!(leads.is_empty());
}
