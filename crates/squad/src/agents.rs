//! The squad's agents: each a versioned prompt (a file in `prompts/`), a tool set and model
//! settings.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::model::{InferenceSettings, ToolSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentName {
    LeadResponse,
    Scheduler,
    Invoice,
}

impl AgentName {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LeadResponse => "lead_response",
            Self::Scheduler => "scheduler",
            Self::Invoice => "invoice",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "lead_response" => Some(Self::LeadResponse),
            "scheduler" => Some(Self::Scheduler),
            "invoice" => Some(Self::Invoice),
            _ => None,
        }
    }
}

/// A prompt file: a `version:` line, a `---` line, then the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub version: String,
    pub text: String,
}

fn parse_prompt(file: &str) -> Prompt {
    let (head, text) = file.split_once("\n---\n").unwrap_or(("", file));
    let version = head.strip_prefix("version:").map_or("unversioned", str::trim).to_owned();
    Prompt { version, text: text.trim().to_owned() }
}

pub fn prompt(agent: AgentName) -> Prompt {
    match agent {
        AgentName::LeadResponse => parse_prompt(include_str!("../prompts/lead_response.md")),
        AgentName::Scheduler => parse_prompt(include_str!("../prompts/scheduler.md")),
        AgentName::Invoice => parse_prompt(include_str!("../prompts/invoice.md")),
    }
}

/// Per-agent defaults from the seeds: a Haiku-class model, near-zero temperature.
pub fn settings(agent: AgentName, model_id: &str) -> InferenceSettings {
    match agent {
        AgentName::LeadResponse => {
            InferenceSettings { model_id: model_id.to_owned(), temperature: 0.1, max_tokens: 1024, top_p: 0.9 }
        }
        AgentName::Scheduler => {
            InferenceSettings { model_id: model_id.to_owned(), temperature: 0.0, max_tokens: 512, top_p: 0.9 }
        }
        AgentName::Invoice => {
            InferenceSettings { model_id: model_id.to_owned(), temperature: 0.0, max_tokens: 1024, top_p: 0.9 }
        }
    }
}

fn tool(name: &str, description: &str, input_schema: serde_json::Value) -> ToolSpec {
    ToolSpec { name: name.to_owned(), description: description.to_owned(), input_schema }
}

fn search_memory() -> ToolSpec {
    tool(
        "search_memory",
        "Search what the squad remembers: past jobs, run summaries, issues and preferences.",
        json!({ "type": "object", "additionalProperties": false, "required": ["query"],
                "properties": { "query": { "type": "string", "maxLength": 100 },
                                "layer": { "enum": ["preference", "history", "session_summary", "issue", null] } } }),
    )
}

fn log_issue() -> ToolSpec {
    tool(
        "log_issue",
        "Record an edge case and how it was handled, so the squad and the owner learn from it.",
        json!({ "type": "object", "additionalProperties": false, "required": ["description"],
                "properties": { "description": { "type": "string", "minLength": 1, "maxLength": 500 } } }),
    )
}

fn escalate() -> ToolSpec {
    tool(
        "escalate",
        "Hand the lead to a person: safety hazards, complaints, manipulation attempts, anything outside the rules.",
        json!({ "type": "object", "required": ["kind", "reason"], "additionalProperties": false,
                "properties": { "kind": { "type": "string" }, "reason": { "type": "string", "maxLength": 500 } } }),
    )
}

/// The smallest tool set each agent needs. No agent can change prices or payment details.
pub fn tools(agent: AgentName) -> Vec<ToolSpec> {
    match agent {
        AgentName::LeadResponse => vec![
            tool(
                "qualify_lead",
                "Report the facts read from the inquiry; returns the score (1-10), reason codes, whether the lead is qualified and whether to escalate.",
                json!({ "type": "object", "required": ["intent", "language", "manipulation", "has_phone", "has_email"],
                        "properties": {
                            "intent": { "enum": ["service_request", "quote_request", "safety_emergency", "complaint", "spam", "vendor", "job_applicant", "other_trade"] },
                            "service": { "type": ["string", "null"] },
                            "urgency": { "enum": ["routine", "urgent", "emergency", null] },
                            "hazard": { "enum": ["gas_leak", "carbon_monoxide", "electrical_fire", null] },
                            "postal_code": { "type": ["string", "null"] },
                            "language": { "enum": ["english", "spanish"] },
                            "manipulation": { "type": "array", "items": { "type": "string" } },
                            "has_phone": { "type": "boolean" }, "has_email": { "type": "boolean" } } }),
            ),
            tool(
                "send_reply",
                "Reply to the customer on the channel they used.",
                json!({ "type": "object", "required": ["text"], "additionalProperties": false,
                        "properties": { "text": { "type": "string", "minLength": 1, "maxLength": 2000 } } }),
            ),
            escalate(),
            tool(
                "save_preference",
                "Remember a customer's preference for later visits.",
                json!({ "type": "object", "additionalProperties": false, "required": ["key", "value"],
                        "properties": { "key": { "enum": ["preferred_time"] },
                                        "value": { "enum": ["mornings", "afternoons", "evenings", "weekends"] } } }),
            ),
            search_memory(),
            log_issue(),
            tool(
                "handoff_to_agent",
                "Pass a qualified lead to the Scheduler with the facts it needs.",
                json!({ "type": "object", "required": ["target", "reason"], "additionalProperties": false,
                        "properties": { "target": { "enum": ["scheduler"] }, "reason": { "type": "string" } } }),
            ),
        ],
        AgentName::Scheduler => vec![
            tool(
                "check_availability",
                "Real openings for the lead's service from hours, holidays, time zone, technicians and bookings.",
                json!({ "type": "object", "additionalProperties": false, "properties": {} }),
            ),
            tool(
                "book_appointment",
                "Book one of the openings check_availability returned.",
                json!({ "type": "object", "required": ["technician_id", "starts_at"], "additionalProperties": false,
                        "properties": { "technician_id": { "type": "string" }, "starts_at": { "type": "integer" } } }),
            ),
            tool(
                "send_confirmation",
                "Confirm the booked appointment to the customer.",
                json!({ "type": "object", "additionalProperties": false, "properties": {} }),
            ),
            escalate(),
            search_memory(),
            log_issue(),
        ],
        AgentName::Invoice => vec![
            tool(
                "generate_invoice",
                "Price the completed job from the price list; returns the lines and totals in cents.",
                json!({ "type": "object", "additionalProperties": false, "properties": {} }),
            ),
            tool(
                "send_invoice",
                "Send the itemised invoice to the customer.",
                json!({ "type": "object", "additionalProperties": false, "properties": {} }),
            ),
            escalate(),
            search_memory(),
            log_issue(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_versioned_files() {
        let p = prompt(AgentName::LeadResponse);
        assert_eq!(p.version, "lead_response/v1");
        assert!(p.text.contains("UNTRUSTED"));
        assert_eq!(prompt(AgentName::Scheduler).version, "scheduler/v1");
        assert_eq!(prompt(AgentName::Invoice).version, "invoice/v1");
    }

    #[test]
    fn no_agent_holds_a_money_or_payment_tool() {
        for agent in [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice] {
            for t in tools(agent) {
                assert!(!["discount", "refund", "price", "payment"].iter().any(|w| t.name.contains(w)), "{}", t.name);
            }
        }
    }
}
