use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer,
    metrics_count_requests_by_route,
    unknown_api_routes_answer_json_404,
    org_create_prints_an_org_and_a_working_key,
    a_killed_worker_is_unready_counted_and_back,
    metrics_can_require_a_bearer_token,
);

async fn org_create_prints_an_org_and_a_working_key(app: TestApp) {
    let settings = app.settings();
    let line =
        server::cli::create_org(&settings, "Acme HVAC", "owner@acme.test", "correct horse battery").await.unwrap();
    assert!(line.starts_with(r#"{"org_id":""#), "{line}");
    let printed: serde_json::Value = serde_json::from_str(&line).unwrap();
    let key = printed["api_key"].as_str().unwrap();
    let me: serde_json::Value =
        app.api(reqwest::Method::GET, "/api/v1/me", key).await.send().await.unwrap().json().await.unwrap();
    assert_eq!(me["org"]["id"], printed["org_id"]);
    assert_eq!(me["org"]["name"], "Acme HVAC");

    let again = server::cli::create_org(&settings, "Acme Again", "OWNER@acme.test", "correct horse battery").await;
    assert!(matches!(again, Err(server::cli::CliError::EmailTaken(_))), "the same address in any case is taken");
    let invalid = server::cli::create_org(&settings, "Acme", "owner2@acme.test", "short").await;
    assert!(matches!(invalid, Err(server::cli::CliError::Invalid { field: "password", .. })));
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 1, "failed attempts leave nothing behind");
}

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

on_both_backends!(demo_is_idempotent_and_prints_working_credentials);

async fn demo_is_idempotent_and_prints_working_credentials(app: TestApp) {
    let settings = app.settings();
    let first = server::demo::create_demo(&settings).await.unwrap();
    let second = server::demo::create_demo(&settings).await.unwrap();
    assert_eq!(first.org_id, second.org_id, "one demo org, however often it runs");
    assert_ne!(first.api_key, second.api_key);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM orgs").await, 1);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM services").await, 7);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM technicians").await, 3);

    for key in [&first.api_key, &second.api_key] {
        let me = app.api(reqwest::Method::GET, "/api/v1/me", key).await.send().await.unwrap();
        assert_eq!(me.status(), 200);
    }
    let settings: serde_json::Value = app
        .api(reqwest::Method::GET, "/api/v1/settings", &second.api_key)
        .await
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["time_zone"], "America/Chicago");
    assert_eq!(settings["weekly_hours"]["sat"][0]["close"], "13:00");

    assert_eq!(app.log_in(&second.owner_email, &first.password).await.status(), 401, "the old password was replaced");
    let ok = app.log_in(&second.owner_email, &second.password).await;
    assert!(ok.status().is_success() || ok.status().is_redirection(), "{}", ok.status());
}

/// Concurrent workers finish every lead with exactly one job run each (no lock errors, no
/// retries) on a fresh database of each backend.
#[tokio::test]
async fn the_benchmark_books_every_lead_once_on_both_backends() {
    let mut backends = vec![None];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        backends.push(Some(url));
    }
    for postgres in backends {
        let crew = server::bench::Crew { workers: 3, instances: 1 };
        let report = server::bench::run(24, crew, postgres.as_deref()).await.unwrap();
        assert_eq!(report["stages"]["invoiced"], 24, "{report:#}");
        // Each lead: its run, the delivery of its reply and of its confirmation, then the
        // Invoice agent's run and the delivery of the invoice.
        assert_eq!(report["jobs_run"], 24 * 5, "{report:#}");
        // 19 steps on the happy path: no run lost a race for an opening and tried again.
        assert_eq!(report["steps_committed"], 24 * 19, "{report:#}");
        assert_eq!(report["escalations"], serde_json::json!({}), "{report:#}");
    }
}

on_both_backends!(the_openapi_document_matches_the_routes);

async fn the_openapi_document_matches_the_routes(app: TestApp) {
    let doc: serde_json::Value =
        app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    let id = "0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a";
    // Every documented operation exists: unauthenticated, it answers 401, never 404 or 405.
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() || path == "/openapi.json" {
                continue;
            }
            let url = app.url(&format!("/api/v1{}", path.replace("{id}", id)));
            let response = app.client.request(method.to_uppercase().parse().unwrap(), url).send().await.unwrap();
            assert_eq!(response.status(), 401, "{} {path}", method.to_uppercase());
        }
    }
    // Every route the router serves is documented.
    let source = include_str!("../../src/api/mod.rs");
    for route in source.split(".route(\"").skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(paths.contains_key(route), "{route} is served but not documented");
    }
    // A service's kind of work is one of the catalogue's keys, or one of the shop's own.
    let kinds: Vec<serde_json::Value> =
        domain::work::CATALOGUE.iter().map(|kind| serde_json::json!(kind.key)).collect();
    for schema in ["ServiceInput", "Service"] {
        let documented = &doc["components"]["schemas"][schema]["properties"]["skill"]["anyOf"];
        let choices = documented.as_array().unwrap();
        let listed = choices.iter().find_map(|c| c["enum"].as_array());
        assert_eq!(listed, Some(&kinds), "{schema}.skill lists the work catalogue");
        let shop = choices.iter().find_map(|c| c["pattern"].as_str()).unwrap();
        assert!(shop.starts_with(&format!("^{}", domain::work::SHOP_PREFIX)), "{schema}.skill: {shop}");
    }
}

async fn readiness(app: &TestApp) -> (u16, serde_json::Value) {
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    (ready.status().as_u16(), ready.json().await.unwrap())
}

/// Polls `/readyz` until it reports `worker`, for at most ten seconds.
async fn wait_for_worker(app: &TestApp, worker: &str) -> (u16, serde_json::Value) {
    for _ in 0..1000 {
        let (status, body) = readiness(app).await;
        if body["worker"] == worker {
            return (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the worker never became {worker}");
}

async fn a_killed_worker_is_unready_counted_and_back(app: TestApp) {
    let (status, body) = readiness(&app).await;
    assert_eq!((status, &body["worker"]), (200, &serde_json::json!("disabled")), "tests drain the queue themselves");

    let served = app
        .serve_with(|s| {
            s.worker.enabled = true;
            s.worker.poll_ms = 20;
            s.worker.restart_backoff_ms = 1500;
        })
        .await;
    assert_eq!(wait_for_worker(&served, "running").await.0, 200);
    assert!(served.worker.kill(), "a worker task was running");
    let (status, body) = wait_for_worker(&served, "restarting").await;
    assert_eq!((status, &body["status"]), (503, &serde_json::json!("unavailable")), "no worker, not ready");
    let metrics = served.client.get(served.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("opsquad_worker_deaths_total"), "the death is counted: {metrics}");
    assert_eq!(wait_for_worker(&served, "running").await.0, 200, "restarted after its backoff");

    // The restarted worker drains the queue: an inquiry gets its reply without anyone draining.
    let org = served.create_org("Supervised Heating").await;
    let lead = crate::squad::inbound(&served, &org.api_key, crate::squad::furnace("back@example.com")).await;
    for _ in 0..500 {
        let view = crate::squad::lead(&served, &org.api_key, &lead).await;
        if view["stage"] != "new" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the restarted worker never ran the inquiry");
}

async fn metrics_can_require_a_bearer_token(app: TestApp) {
    let guarded = app
        .serve_with(|s| s.telemetry.metrics_token = Some(secrecy::SecretString::from("scrape-me-7Q2".to_owned())))
        .await;
    let scrape = |token: Option<&'static str>| {
        let request = reqwest::Client::new().get(guarded.url("/metrics"));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    assert_eq!(scrape(None).await.status(), 401);
    assert_eq!(scrape(Some("scrape-me")).await.status(), 401, "a wrong token");
    let scraped = scrape(Some("scrape-me-7Q2")).await;
    assert_eq!(scraped.status(), 200);
    assert!(scraped.text().await.unwrap().contains("http_requests_total"));
    // Without a token configured it stays open, as before.
    assert_eq!(app.client.get(app.url("/metrics")).send().await.unwrap().status(), 200);
}
