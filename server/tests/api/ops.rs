use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(health_and_readiness_answer, metrics_count_requests_by_route, unknown_api_routes_answer_json_404);

async fn health_and_readiness_answer(app: TestApp) {
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"), "every response carries a request id");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

async fn metrics_count_requests_by_route(app: TestApp) {
    app.client.get(app.url("/healthz")).send().await.unwrap();
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains(r#"route="/healthz""#), "{text}");
}

async fn unknown_api_routes_answer_json_404(app: TestApp) {
    let org = app.create_org("Json Plumbing").await;
    let response = app.api(reqwest::Method::GET, "/api/v1/nope", &org.api_key).await.send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}
