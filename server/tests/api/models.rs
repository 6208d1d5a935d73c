//! The settings page's "AI models" section: the owner chooses each agent's model among the ones
//! this server can bill, and its temperature, length and top-p; staff and other orgs cannot change
//! it; the worker then thinks with the choice.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{field, get, post, TestApp};
use crate::on_both_backends;
use crate::team::{invite, join};

on_both_backends!(
    the_owner_chooses_each_agents_model_among_the_priced_ones,
    staff_and_other_orgs_cannot_change_the_models,
    an_offline_server_offers_no_models_but_keeps_the_sampling_settings,
);

const HAIKU: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";
const NOVA_LITE: &str = "amazon.nova-lite-v1:0";

/// The same database served with the Bedrock provider and the configured price table.
async fn on_bedrock(app: &TestApp) -> TestApp {
    app.serve_with(|s| s.worker.model_provider = "bedrock".into()).await
}

/// Posts the models form: every field blank, then `changes`.
pub(crate) async fn save(app: &TestApp, changes: &[(&str, &str)]) -> (u16, Value) {
    let mut form: Vec<(String, &str)> = Vec::new();
    for agent in ["lead_response", "scheduler", "invoice"] {
        for suffix in ["model", "temperature", "max_tokens", "top_p"] {
            form.push((format!("{agent}_{suffix}"), ""));
        }
    }
    for (name, value) in changes {
        form.iter_mut().find(|(n, _)| n == name).expect("a models field").1 = value;
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    post(app, "/api/settings/models/save", &form).await
}

fn agent<'a>(view: &'a Value, name: &str) -> &'a Value {
    view["agents"].as_array().unwrap().iter().find(|a| a["agent"] == name).unwrap()
}

async fn the_owner_chooses_each_agents_model_among_the_priced_ones(app: TestApp) {
    let org = app.create_org("Model Heating").await;
    let server = on_bedrock(&app).await;
    assert_eq!(get(&server, "/api/settings/models").await.0, 401, "logged out");
    server.log_in(&org.owner_email, &org.password).await;

    let (status, view) = get(&server, "/api/settings/models").await;
    assert_eq!(status, 200, "{view}");
    assert_eq!((view["provider"].as_str(), view["can_change"].as_bool()), (Some("bedrock"), Some(true)));
    let choices: Vec<&str> = view["choices"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(choices, [NOVA_LITE, HAIKU], "the configured price table, nothing else");
    assert!(view["choices"][1]["words"].as_str().unwrap().contains("$0.80 in, $4.00 out per million tokens"));
    let lead = agent(&view, "lead_response");
    assert_eq!((lead["model_id"].as_str(), lead["default_model"].as_str()), (Some(""), Some(HAIKU)));
    assert_eq!(
        (lead["default_temperature"].as_str(), lead["default_max_tokens"].as_str()),
        (Some("0.1"), Some("1024"))
    );
    assert_eq!(agent(&view, "scheduler")["default_max_tokens"], "512", "the seeds' defaults");

    let invalid = [
        ("lead_response_model", "us.anthropic.claude-opus-4-5"),
        ("scheduler_temperature", "1.5"),
        ("invoice_max_tokens", "100000"),
        ("lead_response_top_p", "most"),
    ];
    for (name, value) in invalid {
        let (status, body) = save(&server, &[(name, value)]).await;
        assert_eq!((status, field(&body)), (422, name), "{body}");
    }
    assert_eq!(get(&server, "/api/settings/models").await.1, view, "nothing invalid saved");

    let chosen =
        [("lead_response_model", NOVA_LITE), ("lead_response_temperature", "0.3"), ("scheduler_max_tokens", "700")];
    let (status, body) = save(&server, &chosen).await;
    assert_eq!(status, 200, "{body}");
    let saved = get(&server, "/api/settings/models").await.1;
    let lead = agent(&saved, "lead_response");
    assert_eq!((lead["model_id"].as_str(), lead["temperature"].as_str()), (Some(NOVA_LITE), Some("0.3")));
    assert_eq!(agent(&saved, "scheduler")["max_tokens"], "700");
    assert_eq!(agent(&saved, "invoice")["model_id"], "", "blank keeps the default");
    let via_api: Value = app.api_json("/api/v1/settings", &org.api_key).await;
    assert_eq!(
        via_api["policies"]["models"],
        json!({ "lead_response": { "model_id": NOVA_LITE, "temperature": 0.3, "max_tokens": null, "top_p": null },
                "scheduler": { "model_id": null, "temperature": null, "max_tokens": 700, "top_p": null } })
    );
    assert_eq!(get(&server, "/api/setup").await.1["audit"][0]["what"], "AI model settings updated");

    // Clearing every field returns each agent to its default.
    assert_eq!(save(&server, &[]).await.0, 200);
    let via_api: Value = app.api_json("/api/v1/settings", &org.api_key).await;
    assert_eq!(via_api["policies"]["models"], json!({}));

    // A model chosen through the API that this server cannot bill is shown as ignored.
    let mut settings = via_api.clone();
    settings["policies"]["models"] = json!({ "invoice": { "model_id": "unpriced-model" } });
    let put = app.api(Method::PUT, "/api/v1/settings", &org.api_key).await.json(&settings).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let invoice = agent(&get(&server, "/api/settings/models").await.1, "invoice").clone();
    assert_eq!((invoice["model_id"].as_str(), invoice["ignored_model"].as_str()), (Some(""), Some("unpriced-model")));
}

async fn staff_and_other_orgs_cannot_change_the_models(app: TestApp) {
    let org = app.create_org("Owner Heating").await;
    let other = app.create_org("Bystander Heating").await;
    app.log_in(&org.owner_email, &org.password).await;
    let token = invite(&app, "tech@example.com").await;
    let server = on_bedrock(&app).await;
    let staff = join(&server, &token, "Tech Person", "a long staff password").await;

    let (status, view) = get(&staff, "/api/settings/models").await;
    assert_eq!((status, view["can_change"].as_bool()), (200, Some(false)), "staff see the settings read-only");
    assert_eq!(save(&staff, &[("lead_response_model", NOVA_LITE)]).await.0, 403);

    let owner = server.new_browser();
    owner.log_in(&org.owner_email, &org.password).await;
    let forged = owner
        .client
        .post(owner.url("/api/settings/models/save"))
        .header("origin", "https://evil.example.com")
        .form(&[("lead_response_model", NOVA_LITE)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "cross-site posts are refused");
    assert_eq!(save(&owner, &[("lead_response_model", NOVA_LITE)]).await.0, 200);

    let bystander = server.new_browser();
    bystander.log_in(&other.owner_email, &other.password).await;
    let theirs = get(&bystander, "/api/settings/models").await.1;
    assert_eq!(agent(&theirs, "lead_response")["model_id"], "", "another org's choice is untouched");
    let via_api: Value = app.api_json("/api/v1/settings", &other.api_key).await;
    assert_eq!(via_api["policies"]["models"], json!({}));
    let mine: Value = app.api_json("/api/v1/settings", &org.api_key).await;
    assert_eq!(mine["policies"]["models"]["lead_response"]["model_id"], NOVA_LITE);
}

async fn an_offline_server_offers_no_models_but_keeps_the_sampling_settings(app: TestApp) {
    let org = app.create_org("Offline Heating").await;
    app.log_in(&org.owner_email, &org.password).await;
    let view = get(&app, "/api/settings/models").await.1;
    assert_eq!(view["provider"], "offline");
    assert_eq!(view["choices"], json!([]));
    assert_eq!(agent(&view, "invoice")["default_model"], "offline-rules-v1");
    let (status, body) = save(&app, &[("invoice_model", HAIKU)]).await;
    assert_eq!((status, field(&body)), (422, "invoice_model"), "no price on this server: {body}");
    assert_eq!(save(&app, &[("invoice_temperature", "0.2")]).await.0, 200);
    assert_eq!(agent(&get(&app, "/api/settings/models").await.1, "invoice")["temperature"], "0.2");
}
