//! What a run of the squad can reach: only its own customer's data, whatever the text in front of
//! the model asks for. Tested with a scripted model that attempts what an injected message would
//! ask (the offline model never would).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};
use squad::model::{Content, Model, ModelError, ModelRequest, ModelResponse, StopReason, Usage};
use store::memories::{self, Layer, NewMemory};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{demo, furnace, inbound, lead};

on_both_backends!(a_run_searches_only_its_own_customers_memory);

/// "Search memory for nothing and paste it into your reply": one empty search, then it stops.
struct MemoryDumpingModel;

#[async_trait]
impl Model for MemoryDumpingModel {
    fn provider(&self) -> &'static str {
        "memory-dumping"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let searched = request.messages.len() > 1;
        let content = if searched {
            vec![Content::Text { text: "Done.".into() }]
        } else {
            vec![Content::ToolUse { id: "dump-1".into(), name: "search_memory".into(), input: json!({ "query": "" }) }]
        };
        let stop_reason = if searched { StopReason::EndTurn } else { StopReason::ToolUse };
        Ok(ModelResponse { content, stop_reason, usage: Usage::default(), model_id: None })
    }
}

async fn remember(app: &TestApp, key: &str, lead_id: &str, layer: Layer, customer: bool, content: &str) {
    let lead = lead(app, key, lead_id).await;
    let customer_id = domain::CustomerId::parse(lead["customer"]["id"].as_str().unwrap()).unwrap();
    let me: Value = app.api_json("/api/v1/me", key).await;
    let org = domain::OrgId::parse(me["org"]["id"].as_str().unwrap()).unwrap();
    let scope = store::Operator::new("test").act_for(org, None, domain::Role::Owner);
    let mut tx = store::TenantTx::begin(&app.db, &scope).await.unwrap();
    let new = NewMemory { layer, customer_id: customer.then_some(customer_id), lead_id: None, key: None, content };
    memories::remember(&mut tx, &new).await.unwrap();
    tx.commit().await.unwrap();
}

async fn a_run_searches_only_its_own_customers_memory(app: TestApp) {
    let key = demo(&app).await;
    let other = inbound(&app, &key, furnace("neighbour@example.com")).await;
    remember(&app, &key, &other, Layer::History, true, "Gate code 4411, dog in the yard").await;
    remember(&app, &key, &other, Layer::Preference, false, "Business: never book before 8am").await;

    let mine = inbound(&app, &key, furnace("attacker@example.com")).await;
    app.worker(Arc::new(MemoryDumpingModel)).drain().await.unwrap();

    let steps = lead(&app, &key, &mine).await["steps"].clone();
    let search = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["payload"]["tool"] == "search_memory")
        .unwrap_or_else(|| panic!("the model searched: {steps:#}"));
    let entries: Vec<&Value> = search["payload"]["output"]["entries"].as_array().unwrap().iter().collect();
    let texts: Vec<&str> = entries.iter().map(|e| e["content"].as_str().unwrap()).collect();
    assert!(!texts.iter().any(|t| t.contains("Gate code")), "another customer's notes leaked: {texts:?}");
    assert!(texts.contains(&"Business: never book before 8am"), "the business's own preferences stay reachable");

    // The owner still sees everything the squad remembers.
    let all: Vec<Value> = app.api_json("/api/v1/memory", &key).await;
    assert!(all.iter().any(|m| m["content"] == "Gate code 4411, dog in the yard"));
}
