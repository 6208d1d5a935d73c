//! Browser sessions through the server functions the pages use: sign-up, log-in, log-out, CSRF,
//! throttling, fixation, revocation, roles and the two-tenant wall.

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    sign_up_log_out_log_in,
    wrong_credentials_get_one_uniform_answer,
    sign_up_problems_are_reported_per_field_and_nothing_is_saved,
    cross_site_posts_are_refused_and_change_nothing,
    log_in_is_throttled,
    log_in_issues_a_new_session_id,
    a_disabled_user_is_signed_out_at_once,
    org_b_session_cannot_touch_org_a_api_keys,
    staff_cannot_manage_api_keys,
    expired_sessions_are_refused_and_swept,
);

async fn expired_sessions_are_refused_and_swept(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    app.log_in(&org.owner_email, &org.password).await;
    assert_eq!(dashboard(&app).await.status(), 200);
    app.admin_execute("UPDATE sessions SET expires_at = 1").await;
    assert_eq!(dashboard(&app).await.status(), StatusCode::SEE_OTHER, "an expired session is not honoured");

    let mut tx = store::AuthTx::begin(&app.db).await.unwrap();
    let swept = store::sessions::delete_expired(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(swept, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM sessions").await, 0);
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("opsquad_session="))
        .map(str::to_owned)
}

async fn sign_up(app: &TestApp, business: &str, email: &str, password: &str) -> reqwest::Response {
    app.post_form(
        "/api/auth/signup",
        &[("business_name", business), ("your_name", "Dana"), ("email", email), ("password", password)],
    )
    .await
}

async fn dashboard(app: &TestApp) -> reqwest::Response {
    app.client.get(app.url("/app")).send().await.unwrap()
}

async fn sign_up_log_out_log_in(app: TestApp) {
    let response = sign_up(&app, "Cool Breeze HVAC", "dana@coolbreeze.example.com", "a long enough password").await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let value = cookie.trim_start_matches("opsquad_session=").split(';').next().unwrap().to_owned();
    let hash = hex::encode(Sha256::digest(value.as_bytes()));
    assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM sessions WHERE id_hash = '{hash}'")).await, 1);
    assert_eq!(app.admin_count(&format!("SELECT COUNT(*) FROM sessions WHERE id_hash = '{value}'")).await, 0);

    let page = dashboard(&app).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Cool Breeze HVAC"));

    let out = app.post_form("/api/auth/logout", &[]).await;
    assert!(out.status().is_success() || out.status().is_redirection());
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM sessions").await, 0, "log-out deletes the session row");
    let page = dashboard(&app).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/login");

    let back = app.log_in("Dana@CoolBreeze.example.com", "a long enough password").await;
    assert!(back.status().is_success() || back.status().is_redirection(), "{}", back.status());
    assert_eq!(dashboard(&app).await.status(), 200);
}

async fn wrong_credentials_get_one_uniform_answer(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    for (email, password) in [
        (org.owner_email.as_str(), "wrong password!"),
        ("nobody@example.com", "wrong password!"),
        ("not an email", "x"),
    ] {
        let response = app.log_in(email, password).await;
        assert_eq!(response.status(), 401, "{email}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_credentials", "{email}");
    }
    assert_eq!(dashboard(&app).await.status(), StatusCode::SEE_OTHER);
}

async fn sign_up_problems_are_reported_per_field_and_nothing_is_saved(app: TestApp) {
    for (business, email, password, field) in [
        ("", "a@b.example.com", "long enough password", "business_name"),
        ("Acme", "nope", "long enough password", "email"),
        ("Acme", "a@b.example.com", "short", "password"),
    ] {
        let response = sign_up(&app, business, email, password).await;
        assert_eq!(response.status(), 422, "{field}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "validation");
        assert_eq!(body["field"], field);
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 0);

    let org = app.create_org("Acme Heating").await;
    let taken = sign_up(&app, "Copycat", &org.owner_email, "long enough password").await;
    assert_eq!(taken.status(), 409);
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["field"], "email");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 1, "no half-created org");
}

async fn cross_site_posts_are_refused_and_change_nothing(app: TestApp) {
    let form = [
        ("business_name", "Evil"),
        ("your_name", "E"),
        ("email", "evil@example.com"),
        ("password", "long enough password"),
    ];
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")],
        vec![("sec-fetch-site", "same-site")],
        vec![],
    ];
    for headers in cases {
        let mut request = app.client.post(app.url("/api/auth/signup")).form(&form);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{headers:?}");
    }
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 0);

    // The same request from our own page goes through.
    let ok = app
        .client
        .post(app.url("/api/auth/signup"))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(ok.status().is_success() || ok.status().is_redirection(), "{}", ok.status());
}

async fn log_in_is_throttled(app: TestApp) {
    // configuration/test.toml allows 5 attempts per minute per client.
    for _ in 0..5 {
        assert_eq!(app.log_in("someone@example.com", "guess guess guess").await.status(), 401);
    }
    let blocked = app.log_in("someone@example.com", "guess guess guess").await;
    assert_eq!(blocked.status(), 429);
    let body: Value = blocked.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

async fn log_in_issues_a_new_session_id(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    let response = app
        .client
        .post(app.url("/api/auth/login"))
        .headers(app.same_origin())
        .header("cookie", format!("opsquad_session={planted}"))
        .form(&[("email", org.owner_email.as_str()), ("password", org.password.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&response).expect("a session cookie");
    assert!(!cookie.starts_with(&format!("opsquad_session={planted}")), "{cookie}");
}

async fn a_disabled_user_is_signed_out_at_once(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    app.log_in(&org.owner_email, &org.password).await;
    assert_eq!(dashboard(&app).await.status(), 200);
    app.admin_execute(&format!("UPDATE users SET disabled_at = 1 WHERE org_id = '{}'", org.id)).await;
    assert_eq!(dashboard(&app).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM sessions").await, 0, "the session row is gone");
}

async fn create_key(app: &TestApp, name: &str) -> reqwest::Response {
    app.post_form("/api/api-keys/create", &[("name", name)]).await
}

async fn org_b_session_cannot_touch_org_a_api_keys(app: TestApp) {
    let a = app.create_org("Org A").await;
    let b = app.create_org("Org B").await;
    let a_keys: Value = {
        let a_app = app.new_browser();
        a_app.log_in(&a.owner_email, &a.password).await;
        a_app.client.get(a_app.url("/api/api-keys/list")).send().await.unwrap().json().await.unwrap()
    };
    let a_key_id = a_keys[0]["id"].as_str().unwrap().to_owned();

    app.log_in(&b.owner_email, &b.password).await;
    let listed: Value = app.client.get(app.url("/api/api-keys/list")).send().await.unwrap().json().await.unwrap();
    assert!(listed.as_array().unwrap().iter().all(|k| k["id"] != a_key_id.as_str()), "B's list holds no A keys");
    let summary: Value = app.client.get(app.url("/api/dashboard/summary")).send().await.unwrap().json().await.unwrap();
    assert_eq!(summary["org_name"], "Org B");

    let revoke = app.post_form("/api/api-keys/revoke", &[("id", &a_key_id)]).await;
    assert_eq!(revoke.status(), 404);
    let me = app.api(reqwest::Method::GET, "/api/v1/me", &a.api_key).await.send().await.unwrap();
    assert_eq!(me.status(), 200, "A's key still works");

    let created = create_key(&app, "B's key").await;
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    assert!(created["key"].as_str().unwrap().starts_with("osq_"));
    let count = app.admin_count(&format!("SELECT COUNT(*) FROM api_keys WHERE org_id = '{}'", a.id)).await;
    assert_eq!(count, 1, "nothing was added to A");
}

async fn staff_cannot_manage_api_keys(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let hash = auth::password::hash(&domain::Password::parse("staff password 123").unwrap()).await.unwrap();
    app.admin_execute(&format!(
        "INSERT INTO users (id, org_id, email, password_hash, role, created_at) VALUES ('{}', '{}', 'tech@acme.example.com', '{hash}', 'staff', 1)",
        uuid::Uuid::new_v4(),
        org.id
    ))
    .await;
    app.log_in("tech@acme.example.com", "staff password 123").await;
    assert_eq!(dashboard(&app).await.status(), 200);
    assert_eq!(create_key(&app, "sneaky").await.status(), 403);
    let list = app.client.get(app.url("/api/api-keys/list")).send().await.unwrap();
    assert_eq!(list.status(), 403);
}

on_both_backends!(sign_up_is_throttled);

async fn sign_up_is_throttled(app: TestApp) {
    // configuration/test.toml allows 5 sign-ups per hour per client.
    for n in 0..5 {
        let response = sign_up(&app, "Acme", &format!("owner{n}@throttle.example.com"), "long enough password").await;
        assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    }
    let blocked = sign_up(&app, "Acme", "owner6@throttle.example.com", "long enough password").await;
    assert_eq!(blocked.status(), 429);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 5);
}
