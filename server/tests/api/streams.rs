//! Readers and live streams never hold up other tenants: a read transaction takes no write lock,
//! and each org and credential may keep only so many event streams open.

use reqwest::Method;

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{demo, furnace};

on_both_backends!(a_reader_never_holds_up_a_writer, live_streams_are_capped_per_credential_and_per_org);

async fn a_reader_never_holds_up_a_writer(app: TestApp) {
    let reading = app.create_org("Reading Co").await;
    let key = demo(&app).await;

    // A reader (a page, an API read, an event stream's poll) is mid-transaction...
    let scope = store::Operator::new("test").act_for(reading.id, None, domain::Role::Owner);
    let mut reader = store::TenantTx::read(&app.db, &scope).await.unwrap();
    store::leads::list(&mut reader, None, 10).await.unwrap();

    // ...while another org's inbound message is written. Were the reader holding SQLite's write
    // lock, the writer would wait out the busy timeout and fail.
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        app.api(Method::POST, "/api/v1/inbound", &key).await.json(&furnace("writer@example.com")).send(),
    )
    .await
    .expect("an answer")
    .unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    reader.commit().await.unwrap();
}

async fn live_streams_are_capped_per_credential_and_per_org(app: TestApp) {
    let app = app
        .serve_with(|s| {
            s.server.limits.streams_per_org = 3;
            s.server.limits.streams_per_credential = 2;
        })
        .await;
    let org = app.create_org("Streaming Co").await;
    let second_key = app.api_key_with_role(&org, domain::Role::Staff).await;
    let other = app.create_org("Neighbour Co").await;
    let open = |key: String| {
        let app = &app;
        async move { app.api(Method::GET, "/api/v1/events", &key).await.send().await.unwrap() }
    };

    let mut held = vec![open(org.api_key.clone()).await, open(org.api_key.clone()).await];
    assert!(held.iter().all(|r| r.status() == 200));
    let refused = open(org.api_key.clone()).await;
    assert_eq!(refused.status(), 429, "a third stream on one key");
    assert_eq!(refused.headers()["retry-after"], "30");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");

    held.push(open(second_key.clone()).await);
    assert_eq!(held[2].status(), 200, "another key of the org, under the org's cap");
    assert_eq!(open(second_key.clone()).await.status(), 429, "the org's cap");
    assert_eq!(open(other.api_key.clone()).await.status(), 200, "another org is not affected");

    // A client that leaves frees its place.
    drop(held.remove(0));
    let mut again = None;
    for _ in 0..250 {
        let response = open(org.api_key.clone()).await;
        if response.status() == 200 {
            again = Some(response);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "the closed stream's place was never freed");
}
