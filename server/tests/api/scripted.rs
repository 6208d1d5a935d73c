//! A model that plays a fixed script of tool calls, for attacks and failures the offline model
//! would never attempt.

use std::sync::Mutex;

use async_trait::async_trait;
use serde_json::Value;
use squad::model::{Content, Model, ModelError, ModelRequest, ModelResponse, StopReason, Usage};

/// Each turn makes the script's next call if the agent in front of it has that tool; otherwise it
/// ends its turn with "Done.". The script is consumed across runs and agents, in order.
pub(crate) struct Scripted {
    calls: Mutex<Vec<(String, Value)>>,
    seen: Mutex<Vec<ModelRequest>>,
}

impl Scripted {
    pub(crate) fn new(calls: impl IntoIterator<Item = (&'static str, Value)>) -> Self {
        let mut calls: Vec<(String, Value)> = calls.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
        calls.reverse();
        Self { calls: Mutex::new(calls), seen: Mutex::new(Vec::new()) }
    }

    /// Whether every scripted call was made.
    pub(crate) fn finished(&self) -> bool {
        self.calls.lock().unwrap().is_empty()
    }

    /// Every request the model was sent, in order.
    pub(crate) fn requests(&self) -> Vec<ModelRequest> {
        self.seen.lock().unwrap().clone()
    }
}

#[async_trait]
impl Model for Scripted {
    fn provider(&self) -> &'static str {
        "scripted"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        self.seen.lock().unwrap().push(request.clone());
        let mut calls = self.calls.lock().unwrap();
        let next = calls.last().filter(|(name, _)| request.tools.iter().any(|t| &t.name == name)).cloned();
        let (content, stop_reason) = match next {
            Some((name, input)) => {
                calls.pop();
                let id = format!("scripted-{}", calls.len());
                (vec![Content::ToolUse { id, name, input }], StopReason::ToolUse)
            }
            None => (vec![Content::Text { text: "Done.".into() }], StopReason::EndTurn),
        };
        Ok(ModelResponse { content, stop_reason, usage: Usage::default(), model_id: None })
    }
}
