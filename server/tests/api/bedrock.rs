//! The whole pipeline with `OPSQUAD_MODEL=bedrock`: the worker built from configuration calls a
//! Converse endpoint on 127.0.0.1 through the AWS SDK, lead → scheduler → invoice.
//!
//! - Against aimock, every turn answered from the fixtures in `tests/fixtures/`: the booking's
//!   technician and start are filled in from the openings the Scheduler will be offered, as a real
//!   model would read them from `check_availability`. Costs must match the price table exactly.
//! - Against a peer that decodes each Converse request back into the squad's terms and answers
//!   with the offline model's decisions, and plays the prompt cache (a prefix closed by a cache
//!   point is written once and read afterwards), which aimock does not.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, Once};

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use reqwest::Method;
use serde_json::{json, Value};
use squad::model::{
    estimate_tokens, Content, InferenceSettings, Message, Model, ModelRequest, Role, SystemBlock, ToolSpec,
};
use squad::offline::OfflineModel;
use squad::pricing::{Price, PriceTable};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{furnace, inbound, lead};

on_both_backends!(
    the_demo_pipeline_runs_on_aimock_fixtures_with_model_ids_and_exact_costs,
    the_demo_pipeline_runs_on_bedrock_with_model_ids_cache_hits_and_costs,
    each_agent_uses_its_model_the_orgs_overrides_and_a_stronger_model_after_a_refused_tool_call,
    a_chat_visitor_sees_the_reply_as_converse_stream_delivers_it,
);

const NOVA_LITE: &str = "amazon.nova-lite-v1:0";
const HAIKU: &str = "anthropic.claude-3-5-haiku-20241022-v1:0";

/// The fixtures for the demo inquiry, with the booking's technician and start filled in.
fn pipeline_fixtures(technician_id: &str, starts_at: i64) -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aimock-demo-pipeline.json");
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.replace("{{technician_id}}", technician_id).replace("\"{{starts_at}}\"", &starts_at.to_string());
    serde_json::from_str(&text).unwrap()
}

/// The first opening for the demo's furnace repair a day or more ahead: one the Scheduler will
/// be offered however long the run takes.
async fn furnace_opening(app: &TestApp, org_id: &str, lead_id: &str) -> squad::tools::availability::Slot {
    let org = domain::OrgId::parse(org_id).unwrap();
    let scope = store::Operator::new("test").act_for(org, None, domain::Role::Staff);
    let mut tx = store::TenantTx::begin(&app.db, &scope).await.unwrap();
    let services = store::services::list(&mut tx).await.unwrap();
    let furnace = services.iter().find(|s| s.skill.as_deref() == Some("furnace_repair")).unwrap();
    let lead = domain::LeadId::parse(lead_id).unwrap();
    let openings = squad::bookings::openings(&mut tx, furnace, lead).await.unwrap();
    tx.commit().await.unwrap();
    let tomorrow = store::now_ms() + 86_400_000;
    openings.into_iter().find(|s| s.starts_at >= tomorrow).expect("an opening a day ahead")
}

async fn a_chat_visitor_sees_the_reply_as_converse_stream_delivers_it(app: TestApp) {
    use crate::widget::{chat_awaiting_the_squad, chat_lead, squad_line, streamed_then_landed};
    test_credentials();
    let (key, org, _, mut stream) = chat_awaiting_the_squad(&app).await;
    let lead = chat_lead(&app, &key).await;
    let slot = furnace_opening(&app, &org, &lead.to_string()).await;
    let mut fixtures = pipeline_fixtures(&slot.technician_id, slot.starts_at);
    // The turn that writes the reply comes over the wire in 7-character pieces.
    for fixture in fixtures.as_array_mut().unwrap() {
        if fixture["match"]["toolCallId"] == "lr-qualify" {
            fixture["chunkSize"] = json!(7);
            // A pause between pieces, as a model has: on a loaded machine the stream could
            // otherwise find the whole reply written before it looked once.
            fixture["latency"] = json!(30);
        }
    }
    let peer = bedrock::aimock::Aimock::start(fixtures).await.unwrap();
    let mut settings = app.settings();
    settings.worker.model_provider = "bedrock".into();
    settings.bedrock.endpoint_url = Some(peer.url.clone());
    settings.bedrock.model_id = HAIKU.into();
    settings.bedrock.fallback_model_id = None;
    let mut worker = server::startup::build_worker(&settings, app.db.clone()).await.unwrap();
    worker.live = app.live.clone();

    let working = tokio::spawn(async move { worker.drain().await.unwrap() });
    let events = stream.until(|events| squad_line(events).is_some(), std::time::Duration::from_secs(30)).await;
    working.await.unwrap();
    // Told a piece at a time as they arrived (a provider that cannot stream tells it once, whole).
    let landed = streamed_then_landed(&events, 5);
    assert!(events[landed].data["body"]
        .as_str()
        .unwrap()
        .starts_with("Thanks for getting in touch about your furnace!"));
}

async fn the_demo_pipeline_runs_on_aimock_fixtures_with_model_ids_and_exact_costs(app: TestApp) {
    test_credentials();
    let demo = app.demo().await;
    let id = inbound(&app, &demo.api_key, furnace("aimock@example.com")).await;
    let slot = furnace_opening(&app, &demo.org_id, &id).await;
    let fixtures = pipeline_fixtures(&slot.technician_id, slot.starts_at);
    let peer = bedrock::aimock::Aimock::start(fixtures.clone()).await.unwrap();
    let mut settings = app.settings();
    settings.worker.model_provider = "bedrock".into();
    settings.bedrock.endpoint_url = Some(peer.url.clone());
    settings.bedrock.model_id = HAIKU.into();
    settings.bedrock.fallback_model_id = None;
    let worker = server::startup::build_worker(&settings, app.db.clone()).await.unwrap();

    worker.drain().await.unwrap();
    let booked = lead(&app, &demo.api_key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let appointment = &booked["appointments"][0];
    assert_eq!(appointment["technician_id"], slot.technician_id.as_str(), "the slot the fixture chose");
    assert_eq!(appointment["starts_at"], slot.starts_at);
    let replies = crate::squad::outbound(&booked);
    assert!(replies[0].starts_with("Thanks for getting in touch about your furnace!"), "{replies:?}");
    let path = format!("/api/v1/appointments/{}/complete", appointment["id"].as_str().unwrap());
    assert_eq!(app.api(Method::POST, &path, &demo.api_key).await.send().await.unwrap().status(), 200);
    worker.drain().await.unwrap();
    assert_eq!(lead(&app, &demo.api_key, &id).await["stage"], "invoiced", "lead → scheduler → invoice");

    // Nine turns: Lead Response 2, Scheduler 4, Invoice 3, each answered by its fixture once.
    let journal = peer.journal().await.unwrap();
    assert_eq!(journal.len(), 9, "{journal:#?}");
    assert_eq!(peer.calls_to(HAIKU).await.unwrap(), 9);

    // Each call costs exactly what the price table says for the usage its fixture reported:
    // Claude 3.5 Haiku at 800 / 4,000 micro-dollars per 1k input / output tokens, rounded up.
    let expected: i64 = fixtures
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let usage = &f["response"]["usage"];
            let milli = usage["input_tokens"].as_i64().unwrap() * 800 + usage["output_tokens"].as_i64().unwrap() * 4000;
            (milli + 999) / 1000
        })
        .sum();
    let stored = app
        .admin_count(&format!(
            "SELECT CAST(COALESCE(SUM(s.cost_micros), 0) AS BIGINT) FROM run_steps s
             JOIN agent_runs r ON r.id = s.run_id WHERE r.lead_id = '{id}'"
        ))
        .await;
    assert_eq!(stored, expected, "the steps' costs");
    let runs = app
        .admin_count(&format!(
            "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM agent_runs WHERE lead_id = '{id}'"
        ))
        .await;
    assert_eq!(runs, expected, "the runs' totals");

    app.log_in(&demo.owner_email, &demo.password).await;
    let timeline: Value =
        app.client.get(app.url(&format!("/api/leads/timeline?id={id}"))).send().await.unwrap().json().await.unwrap();
    let calls: Vec<&Value> =
        timeline["steps"].as_array().unwrap().iter().filter(|s| s["kind"] == "model call").collect();
    assert_eq!(calls.len(), 9);
    assert!(calls.iter().all(|s| s["title"].as_str().unwrap().starts_with(HAIKU)), "{calls:#?}");
    let shown = format!("${}.{:04}", expected / 1_000_000, (expected % 1_000_000) / 100);
    assert_eq!(timeline["total_cost"], shown, "the owner sees what the lead cost");
}

#[derive(Default)]
struct Seen {
    calls: usize,
    cache_points: usize,
    prefixes: HashSet<String>,
    models: HashSet<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn text_of(block: &Value) -> Option<String> {
    block["text"].as_str().map(str::to_owned)
}

/// A Converse request body back in the squad's terms; `None` for the cached prefix if the
/// request carries no cache point.
fn decode(model_id: &str, body: &Value) -> (ModelRequest, Option<String>) {
    let mut prefix = String::new();
    let mut cached = None;
    let tools: Vec<ToolSpec> = body["toolConfig"]["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|tool| {
            if tool.get("cachePoint").is_some() {
                cached = Some(prefix.clone());
                return None;
            }
            let spec = &tool["toolSpec"];
            prefix.push_str(&spec.to_string());
            Some(ToolSpec {
                name: spec["name"].as_str()?.to_owned(),
                description: spec["description"].as_str().unwrap_or_default().to_owned(),
                input_schema: spec["inputSchema"]["json"].clone(),
            })
        })
        .collect();
    let mut system = Vec::new();
    for block in body["system"].as_array().into_iter().flatten() {
        if block.get("cachePoint").is_some() {
            cached = Some(prefix.clone());
        } else if let Some(text) = text_of(block) {
            prefix.push_str(&text);
            system.push(SystemBlock { text, cache_point: false });
        }
    }
    let messages = body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| Message {
            role: if m["role"] == "assistant" { Role::Assistant } else { Role::User },
            content: m["content"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    if let Some(text) = text_of(c) {
                        return Some(Content::Text { text });
                    }
                    if let Some(tool) = c.get("toolUse") {
                        return Some(Content::ToolUse {
                            id: tool["toolUseId"].as_str()?.to_owned(),
                            name: tool["name"].as_str()?.to_owned(),
                            input: tool["input"].clone(),
                        });
                    }
                    let result = c.get("toolResult")?;
                    let first = &result["content"][0];
                    let content = first.get("json").cloned().unwrap_or_else(|| first["text"].clone());
                    Some(Content::ToolResult {
                        tool_use_id: result["toolUseId"].as_str()?.to_owned(),
                        content,
                        is_error: result["status"] == "error",
                    })
                })
                .collect(),
        })
        .collect();
    let config = &body["inferenceConfig"];
    let settings = InferenceSettings {
        model_id: model_id.to_owned(),
        temperature: config["temperature"].as_f64().unwrap_or_default() as f32,
        max_tokens: config["maxTokens"].as_u64().unwrap_or_default() as u32,
        top_p: config["topP"].as_f64().unwrap_or_default() as f32,
    };
    (ModelRequest { system, messages, tools, settings }, cached)
}

fn encode(content: &[Content]) -> Vec<Value> {
    content
        .iter()
        .map(|c| match c {
            Content::Text { text } => json!({ "text": text }),
            Content::ToolUse { id, name, input } => {
                json!({ "toolUse": { "toolUseId": id, "name": name, "input": input } })
            }
            Content::ToolResult { .. } => json!({ "text": "" }),
        })
        .collect()
}

async fn converse(State(seen): State<Shared>, Path(model_id): Path<String>, Json(body): Json<Value>) -> Json<Value> {
    let (request, cached) = decode(&model_id, &body);
    let answer = OfflineModel.converse(&request).await.expect("the offline model answers");
    let total = estimate_tokens(&body.to_string());
    let (read, write) = {
        let mut seen = seen.lock().unwrap();
        seen.calls += 1;
        seen.models.insert(model_id.clone());
        match cached {
            Some(prefix) => {
                seen.cache_points += 1;
                let tokens = estimate_tokens(&prefix);
                if seen.prefixes.insert(prefix) {
                    (0, tokens)
                } else {
                    (tokens, 0)
                }
            }
            None => (0, 0),
        }
    };
    let output = answer.usage.output_tokens;
    let input = total.saturating_sub(read + write);
    Json(json!({
        "output": { "message": { "role": "assistant", "content": encode(&answer.content) } },
        "stopReason": if answer.tool_uses().next().is_some() { "tool_use" } else { "end_turn" },
        "usage": { "inputTokens": input, "outputTokens": output, "totalTokens": input + output + read + write,
                   "cacheReadInputTokens": read, "cacheWriteInputTokens": write },
        "metrics": { "latencyMs": 1 }
    }))
}

async fn start_peer() -> (String, Shared) {
    let seen = Shared::default();
    let router = Router::new().route("/model/{model_id}/converse", post(converse)).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

/// The standard AWS credential chain reads the environment first; the peer ignores signatures.
fn test_credentials() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDOPSQUADTEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "opsquad-test-secret-not-real");
    });
}

async fn the_demo_pipeline_runs_on_bedrock_with_model_ids_cache_hits_and_costs(app: TestApp) {
    test_credentials();
    let (url, seen) = start_peer().await;
    let demo = app.demo().await;
    let mut settings = app.settings();
    settings.worker.model_provider = "bedrock".into();
    settings.bedrock.endpoint_url = Some(url);
    settings.bedrock.model_id = NOVA_LITE.into();
    settings.bedrock.fallback_model_id = None;
    let worker = server::startup::build_worker(&settings, app.db.clone()).await.unwrap();
    assert_eq!(worker.model.provider(), "bedrock");

    let id = inbound(&app, &demo.api_key, furnace("bedrock@example.com")).await;
    worker.drain().await.unwrap();
    let booked = lead(&app, &demo.api_key, &id).await;
    assert_eq!(booked["stage"], "booked", "{booked:#}");
    let appointment = booked["appointments"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/appointments/{appointment}/complete");
    assert_eq!(app.api(Method::POST, &path, &demo.api_key).await.send().await.unwrap().status(), 200);
    worker.drain().await.unwrap();
    let billed = lead(&app, &demo.api_key, &id).await;
    assert_eq!(billed["stage"], "invoiced", "lead → scheduler → invoice over the wire");

    let (calls_made, models, cache_points) = {
        let seen = seen.lock().unwrap();
        (seen.calls, seen.models.clone(), seen.cache_points)
    };
    assert_eq!(models, HashSet::from([NOVA_LITE.to_owned()]));
    assert!(calls_made >= 5, "every agent turn went over the wire: {calls_made}");
    assert!(cache_points > 0, "Lead Response's tools and prompt pass Nova's 1,000-token minimum");

    // What the owner sees: each model call with its model id, cache hits and a cost from the
    // configured price table.
    app.log_in(&demo.owner_email, &demo.password).await;
    let timeline: Value =
        app.client.get(app.url(&format!("/api/leads/timeline?id={id}"))).send().await.unwrap().json().await.unwrap();
    let calls: Vec<&Value> =
        timeline["steps"].as_array().unwrap().iter().filter(|s| s["kind"] == "model call").collect();
    assert_eq!(calls.len(), calls_made);
    assert!(calls.iter().all(|s| s["title"].as_str().unwrap().starts_with(NOVA_LITE)), "{calls:#?}");
    assert!(calls.iter().any(|s| s["cached_tokens"].as_i64().unwrap() > 0), "cache hits are shown");
    let stored = app
        .admin_count(&format!(
            "SELECT CAST(COALESCE(SUM(s.cost_micros), 0) AS BIGINT) FROM run_steps s
             JOIN agent_runs r ON r.id = s.run_id WHERE r.lead_id = '{id}'"
        ))
        .await;
    let reads =
        app.admin_count(&format!("SELECT CAST(COALESCE(SUM(s.cache_read_tokens), 0) AS BIGINT) FROM run_steps s JOIN agent_runs r ON r.id = s.run_id WHERE r.lead_id = '{id}'")).await;
    assert!(stored > 0 && reads > 0, "cost {stored} µ$, cache reads {reads} tokens");
    let shown = format!("${}.{:04}", stored / 1_000_000, (stored % 1_000_000) / 100);
    assert_eq!(timeline["total_cost"], shown, "the owner sees what the steps cost");
    let runs = app
        .admin_count(&format!(
            "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM agent_runs WHERE lead_id = '{id}'"
        ))
        .await;
    assert_eq!(runs, stored, "the runs' totals are the sum of their steps");
}

/// The offline model's decisions, recording each request's agent, model and temperature; its first
/// scheduler turn tries to book without a slot, which the tool refuses.
#[derive(Default)]
struct Recording {
    seen: Mutex<Vec<(String, String, f32)>>,
}

#[async_trait::async_trait]
impl Model for Recording {
    fn provider(&self) -> &'static str {
        "recording"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<squad::model::ModelResponse, squad::model::ModelError> {
        let has = |name: &str| request.tools.iter().any(|t| t.name == name);
        let agent = if has("qualify_lead") {
            "lead_response"
        } else if has("check_availability") {
            "scheduler"
        } else {
            "invoice"
        };
        let first_scheduler_turn = {
            let mut seen = self.seen.lock().unwrap();
            seen.push((agent.to_owned(), request.settings.model_id.clone(), request.settings.temperature));
            agent == "scheduler" && seen.iter().filter(|(a, _, _)| a == "scheduler").count() == 1
        };
        if first_scheduler_turn {
            return Ok(squad::model::ModelResponse {
                content: vec![Content::ToolUse {
                    id: "bad-booking".into(),
                    name: "book_appointment".into(),
                    input: json!({}),
                }],
                stop_reason: squad::model::StopReason::ToolUse,
                usage: squad::model::Usage::default(),
                model_id: None,
            });
        }
        OfflineModel.converse(request).await
    }
}

async fn each_agent_uses_its_model_the_orgs_overrides_and_a_stronger_model_after_a_refused_tool_call(app: TestApp) {
    let demo = app.demo().await;
    // The org prefers another (priced) model for Lead Response, a warmer temperature, and an
    // unpriced model for Invoice that must be ignored.
    let mut settings: Value = app.api_json("/api/v1/settings", &demo.api_key).await;
    settings["policies"]["models"] = json!({
        "lead_response": { "model_id": "org-pick", "temperature": 0.3 },
        "invoice": { "model_id": "unpriced-model" }
    });
    let put = app.api(Method::PUT, "/api/v1/settings", &demo.api_key).await.json(&settings).send().await.unwrap();
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap());
    settings["policies"]["models"] = json!({ "dispatcher": { "temperature": 0.3 } });
    let refused = app.api(Method::PUT, "/api/v1/settings", &demo.api_key).await.json(&settings).send().await.unwrap();
    assert_eq!(refused.status(), 422, "unknown agents are refused");

    let model = Arc::new(Recording::default());
    let mut worker = app.worker(model.clone());
    worker.models = squad::agents::AgentModels::seeds("house-model");
    worker.models.hard_case_model_id = Some("strong-model".into());
    let price = Price { input_per_1k: 1, output_per_1k: 1, cache_read_per_1k: 0, cache_write_per_1k: 0 };
    worker.limits.prices =
        ["house-model", "org-pick", "strong-model"].iter().fold(PriceTable::default(), |t, m| t.with(m, price));
    let id = inbound(&app, &demo.api_key, furnace("choice@example.com")).await;
    worker.drain().await.unwrap();
    let booked = lead(&app, &demo.api_key, &id).await;
    let appointment = booked["appointments"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/appointments/{appointment}/complete");
    assert_eq!(app.api(Method::POST, &path, &demo.api_key).await.send().await.unwrap().status(), 200);
    worker.drain().await.unwrap();

    let seen = model.seen.lock().unwrap().clone();
    let of = |agent: &str| seen.iter().filter(|(a, _, _)| a == agent).cloned().collect::<Vec<_>>();
    assert!(of("lead_response").iter().all(|(_, m, t)| m == "org-pick" && *t == 0.3), "{seen:?}");
    let scheduler = of("scheduler");
    assert_eq!((scheduler[0].1.as_str(), scheduler[0].2), ("house-model", 0.0), "the seeds' scheduler settings");
    assert_eq!(scheduler[1].1, "strong-model", "the turn after the refused booking: {seen:?}");
    assert!(scheduler[2..].iter().all(|(_, m, _)| m == "house-model"), "back to the house model: {seen:?}");
    assert!(!of("invoice").is_empty() && of("invoice").iter().all(|(_, m, _)| m == "house-model"), "unpriced: ignored");
}
