//! What each run step records. The runtime writes a step through [`StepPayload`] and reads it back
//! through the same type to resume; the lead timeline reads it through it too. A stored step that
//! does not fit is an error naming the step, never an empty default.

use domain::pipeline::Stage;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::ModelResponse;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCall {
    pub provider: String,
    pub model_id: String,
    pub response: ModelResponse,
}

/// A tool call and what it returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolStep {
    pub tool_use_id: String,
    pub tool: String,
    pub input: Value,
    pub output: Value,
    pub is_error: bool,
}

/// A guardrail parked a tool call until a person decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalAsked {
    /// The parked call's tool-use id.
    pub approval_for: String,
    pub tool: String,
    pub escalation_id: String,
}

/// Why the run itself ended in a person's hands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationCause {
    /// The customer wrote again about a lead in this stage, which only a person acts on.
    FollowUp(Stage),
    /// The model refused the request, in its words.
    ModelRefused(String),
    /// A limit ran out (`turns`, `handoffs`, `run_budget`, `daily_budget`, `timeout`, `truncated`…).
    Limit(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEscalated {
    #[serde(flatten)]
    pub cause: EscalationCause,
    pub reason: String,
    pub escalation_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub note: String,
    /// The tools the agent used successfully in its turn, when the note ends one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepPayload {
    ModelCall(ModelCall),
    /// A tool call; a successful handoff and a successful `escalate` are stored under their own kinds.
    Tool(ToolStep),
    ApprovalAsked(ApprovalAsked),
    RunEscalated(RunEscalated),
    Note(Note),
}

impl StepPayload {
    /// The kind the step is stored under: what the timeline and the event stream show.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ModelCall(_) => "model_call",
            Self::Tool(t) if !t.is_error && t.tool == "handoff_to_agent" => "handoff",
            Self::Tool(t) if !t.is_error && t.tool == "escalate" => "escalation",
            Self::Tool(_) => "tool_call",
            Self::ApprovalAsked(_) | Self::RunEscalated(_) => "escalation",
            Self::Note(_) => "note",
        }
    }

    /// The stored payload.
    pub fn to_value(&self) -> Value {
        let value = match self {
            Self::ModelCall(p) => serde_json::to_value(p),
            Self::Tool(p) => serde_json::to_value(p),
            Self::ApprovalAsked(p) => serde_json::to_value(p),
            Self::RunEscalated(p) => serde_json::to_value(p),
            Self::Note(p) => serde_json::to_value(p),
        };
        // Serialising these plain structs cannot fail; `Null` would be caught on reading.
        value.unwrap_or(Value::Null)
    }

    /// A stored step of `kind`, or why it does not fit.
    pub fn read(kind: &str, payload: &Value) -> Result<Self, String> {
        fn parse<T: serde::de::DeserializeOwned>(payload: &Value) -> Result<T, String> {
            T::deserialize(payload).map_err(|e| e.to_string())
        }
        match kind {
            "model_call" => parse(payload).map(Self::ModelCall),
            "tool_call" | "handoff" => parse(payload).map(Self::Tool),
            "escalation" if payload.get("tool_use_id").is_some() => parse(payload).map(Self::Tool),
            "escalation" if payload.get("approval_for").is_some() => parse(payload).map(Self::ApprovalAsked),
            "escalation" => parse(payload).map(Self::RunEscalated),
            "note" => parse(payload).map(Self::Note),
            other => Err(format!("unknown step kind `{other}`")),
        }
    }

    /// The tool the step is about: the one called, or the one waiting for approval.
    pub fn tool_name(&self) -> Option<&str> {
        match self {
            Self::Tool(t) => Some(&t.tool),
            Self::ApprovalAsked(a) => Some(&a.tool),
            _ => None,
        }
    }

    /// The tool call this step answers, with its result.
    pub fn as_tool(&self) -> Option<&ToolStep> {
        match self {
            Self::Tool(t) => Some(t),
            _ => None,
        }
    }
}

/// A step of a run, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedStep {
    pub seq: i64,
    pub agent: String,
    pub payload: StepPayload,
}

/// Reads a run's stored steps; the first that does not fit is an error naming its run and number.
pub fn read_steps(run_id: &str, steps: Vec<store::runs::Step>) -> Result<Vec<RecordedStep>, store::StoreError> {
    steps
        .into_iter()
        .map(|s| {
            let payload = StepPayload::read(&s.kind, &s.payload)
                .map_err(|why| store::StoreError::Corrupt(format!("run {run_id} step {}: {why}", s.seq)))?;
            Ok(RecordedStep { seq: s.seq, agent: s.agent, payload })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_step_is_read_back_as_it_was_written() {
        let steps = [
            StepPayload::Tool(ToolStep {
                tool_use_id: "t1".into(),
                tool: "handoff_to_agent".into(),
                input: json!({ "target": "scheduler" }),
                output: json!({ "to": "scheduler" }),
                is_error: false,
            }),
            StepPayload::ApprovalAsked(ApprovalAsked {
                approval_for: "t2".into(),
                tool: "send_invoice".into(),
                escalation_id: "e1".into(),
            }),
            StepPayload::RunEscalated(RunEscalated {
                cause: EscalationCause::Limit("turns".into()),
                reason: "out of turns".into(),
                escalation_id: "e2".into(),
            }),
            StepPayload::RunEscalated(RunEscalated {
                cause: EscalationCause::FollowUp(Stage::Paid),
                reason: "wrote again".into(),
                escalation_id: "e3".into(),
            }),
            StepPayload::Note(Note { note: "done".into(), tools: vec!["send_reply".into()] }),
        ];
        for step in steps {
            let read = StepPayload::read(step.kind(), &step.to_value()).unwrap();
            assert_eq!(read, step);
        }
        assert_eq!(
            StepPayload::RunEscalated(RunEscalated {
                cause: EscalationCause::Limit("turns".into()),
                reason: "r".into(),
                escalation_id: "e".into(),
            })
            .to_value(),
            json!({ "limit": "turns", "reason": "r", "escalation_id": "e" }),
            "the stored shape is unchanged"
        );
    }

    #[test]
    fn a_step_that_does_not_fit_is_an_error() {
        assert!(StepPayload::read("model_call", &json!({ "response": 3 })).is_err());
        assert!(StepPayload::read("tool_call", &json!({ "tool": "x" })).is_err());
        assert_eq!(StepPayload::read("dance", &json!({})).unwrap_err(), "unknown step kind `dance`");
    }
}
