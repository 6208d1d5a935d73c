//! The squad's agents: each a versioned prompt (a file in `prompts/`), a tool set and model
//! settings.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::model::{InferenceSettings, SystemBlock, ToolSpec};
use crate::price_list::PriceList;

pub use domain::squad::{AgentName, Task};

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

/// Per-agent defaults from the seeds: a Haiku-class model, near-zero temperature (0.1 for Lead
/// Response, 0 for the others), 1024 / 512 / 1024 max tokens.
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

/// Which model each agent thinks with, and how: the seeds' defaults, then configuration, then
/// the org's overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentModels {
    pub lead_response: InferenceSettings,
    pub scheduler: InferenceSettings,
    pub invoice: InferenceSettings,
    /// A stronger model for a turn right after one of the agent's tool calls was refused (the
    /// cheaper model got something wrong); `None` keeps each agent's own model.
    pub hard_case_model_id: Option<String>,
}

impl AgentModels {
    /// The seeds' settings for all three agents on one model.
    pub fn seeds(model_id: &str) -> Self {
        Self {
            lead_response: settings(AgentName::LeadResponse, model_id),
            scheduler: settings(AgentName::Scheduler, model_id),
            invoice: settings(AgentName::Invoice, model_id),
            hard_case_model_id: None,
        }
    }

    pub fn get(&self, agent: AgentName) -> &InferenceSettings {
        match agent {
            AgentName::LeadResponse => &self.lead_response,
            AgentName::Scheduler => &self.scheduler,
            AgentName::Invoice => &self.invoice,
        }
    }

    pub fn get_mut(&mut self, agent: AgentName) -> &mut InferenceSettings {
        match agent {
            AgentName::LeadResponse => &mut self.lead_response,
            AgentName::Scheduler => &mut self.scheduler,
            AgentName::Invoice => &mut self.invoice,
        }
    }

    /// The settings for one turn of `agent`, with the org's `overrides` applied. An override's
    /// model is taken only when `priced` says the server can bill it, so no budget is bypassed.
    pub fn for_turn(
        &self,
        agent: AgentName,
        overrides: &std::collections::BTreeMap<String, domain::policy::ModelOverride>,
        priced: impl Fn(&str) -> bool,
        hard_case: bool,
    ) -> InferenceSettings {
        let mut settings = self.get(agent).clone();
        if let Some(o) = overrides.get(agent.as_str()) {
            match o.model_id.as_deref() {
                Some(id) if priced(id) => settings.model_id = id.to_owned(),
                Some(id) => tracing::warn!(model_id = id, agent = agent.as_str(), "ignoring an org's unpriced model"),
                None => {}
            }
            apply_sampling(&mut settings, o);
        }
        if let (true, Some(strong)) = (hard_case, &self.hard_case_model_id) {
            settings.model_id = strong.clone();
        }
        settings
    }
}

/// What this server can think with: the provider, each agent's configured settings, and the
/// models it can bill (the only ones an org may choose).
#[derive(Debug, Clone)]
pub struct ModelCatalog {
    pub provider: &'static str,
    pub defaults: AgentModels,
    pub prices: crate::pricing::PriceTable,
}

/// Applies an override's temperature, top-p and max tokens; which model to use is the caller's
/// decision (configuration requires a price, an org's choice is skipped without one).
pub fn apply_sampling(settings: &mut InferenceSettings, o: &domain::policy::ModelOverride) {
    settings.temperature = o.temperature.map_or(settings.temperature, |t| t.0);
    settings.top_p = o.top_p.map_or(settings.top_p, |t| t.0);
    settings.max_tokens = o.max_tokens.unwrap_or(settings.max_tokens);
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

fn save_preference() -> ToolSpec {
    tool(
        "save_preference",
        "Remember a customer's preference for later visits.",
        json!({ "type": "object", "additionalProperties": false, "required": ["key", "value"],
                "properties": { "key": { "enum": ["preferred_time"] },
                                "value": { "enum": ["mornings", "afternoons", "evenings", "weekends"] } } }),
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

fn no_input(name: &str, description: &str) -> ToolSpec {
    tool(name, description, json!({ "type": "object", "additionalProperties": false, "properties": {} }))
}

fn slot_input() -> serde_json::Value {
    json!({ "type": "object", "required": ["technician_id", "starts_at"], "additionalProperties": false,
            "properties": { "technician_id": { "type": "string" }, "starts_at": { "type": "integer" } } })
}

/// What an agent is told before the conversation: its prompt, then the shop's price list, each a
/// block a provider may cache.
pub fn system(agent: AgentName, price_list: &PriceList) -> Vec<SystemBlock> {
    let mut blocks = vec![SystemBlock { text: prompt(agent).text, cache_point: true }];
    blocks.extend(price_list.to_system_block());
    blocks
}

/// Whether `agent` holds the tool `name`.
pub fn holds(agent: AgentName, name: &str) -> bool {
    tools(agent, &PriceList::default()).iter().any(|t| t.name == name)
}

/// What `qualify_lead` takes as the kind of work: a catalogue key (one the shop sells, or the one
/// that names work it does not sell) or one of the shop's own kinds.
fn service_schema(price_list: &PriceList) -> serde_json::Value {
    let mut keys: Vec<serde_json::Value> = domain::work::CATALOGUE.iter().map(|k| json!(k.key)).collect();
    keys.extend(price_list.keys().filter(|k| domain::work::find(k).is_none()).map(|k| json!(k)));
    keys.push(serde_json::Value::Null);
    json!({ "enum": keys, "description": "The key of the kind of work asked for, from the shop's list in the instructions; for work it does not sell, the key that names it; null when unclear." })
}

/// The smallest tool set each agent needs. No tool sets a price or a payment route: amounts are
/// computed from the price list, and a discount or a new billing address waits for the owner.
pub fn tools(agent: AgentName, price_list: &PriceList) -> Vec<ToolSpec> {
    match agent {
        AgentName::LeadResponse => vec![
            no_input("lookup_customer", "What the customer record holds: contact on file, postal code, what the squad remembers."),
            tool(
                "qualify_lead",
                "Report the facts read from the inquiry; returns the score (1-10), reason codes, whether the lead is qualified and whether to escalate.",
                json!({ "type": "object", "required": ["intent", "language", "manipulation", "has_phone", "has_email"],
                        "properties": {
                            "intent": { "enum": ["service_request", "quote_request", "safety_emergency", "complaint", "spam", "vendor", "job_applicant", "other_trade"] },
                            "service": service_schema(price_list),
                            "other_work": service_schema(price_list),
                            "urgency": { "enum": ["routine", "urgent", "emergency", null] },
                            "hazard": { "enum": ["gas_leak", "carbon_monoxide", "electrical_fire", null] },
                            "postal_code": { "type": ["string", "null"] },
                            "street": { "type": ["string", "null"], "maxLength": 120,
                                        "description": "The service address's house number and street exactly as the customer wrote it; null when they gave none." },
                            "language": { "enum": ["english", "spanish"] },
                            "manipulation": { "type": "array", "items": { "type": "string" } },
                            "has_phone": { "type": "boolean" }, "has_email": { "type": "boolean" } } }),
            ),
            tool(
                "check_service_area",
                "Whether a ZIP code is inside the area the business serves (ZIP list and/or radius).",
                json!({ "type": "object", "required": ["postal_code"], "additionalProperties": false,
                        "properties": { "postal_code": { "type": "string" } } }),
            ),
            no_input("quote_price", "The price list's terms for the lead's service (read-only)."),
            tool(
                "send_reply",
                "Reply to the customer on the channel they used.",
                json!({ "type": "object", "required": ["text"], "additionalProperties": false,
                        "properties": { "text": { "type": "string", "minLength": 1, "maxLength": 2000 } } }),
            ),
            tool(
                "request_details",
                "Ask the customer for what is missing (address, ZIP code, a phone number); the lead then waits on them.",
                json!({ "type": "object", "required": ["text"], "additionalProperties": false,
                        "properties": { "text": { "type": "string", "minLength": 1, "maxLength": 2000 } } }),
            ),
            escalate(),
            save_preference(),
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
                "Real openings for the lead's service from hours, holidays, time zone, technicians and bookings; the lead's current appointment, if any. Openings on the day and at the time of day the customer asked for come first.",
                json!({ "type": "object", "additionalProperties": false,
                        "properties": { "preferred_time": { "enum": ["mornings", "afternoons", "evenings", "weekends"] },
                                        "day": { "enum": ["today", "tomorrow", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] } } }),
            ),
            tool("book_appointment", "Book one of the openings check_availability returned.", slot_input()),
            tool(
                "offer_times",
                "In a live chat only: show the customer up to four of the openings check_availability returned, as buttons; they book by tapping one (or write to ask for another time).",
                json!({ "type": "object", "required": ["slots"], "additionalProperties": false,
                        "properties": { "slots": { "type": "array", "minItems": 1, "maxItems": 4, "items": slot_input() } } }),
            ),
            tool(
                "reschedule",
                "Move the lead's booked appointment to another opening check_availability returned.",
                slot_input(),
            ),
            tool(
                "cancel",
                "Cancel the lead's booked appointment at the customer's request.",
                json!({ "type": "object", "additionalProperties": false,
                        "properties": { "reason": { "type": "string", "maxLength": 200 } } }),
            ),
            no_input("send_confirmation", "Confirm the booked appointment (or its cancellation) to the customer."),
            escalate(),
            search_memory(),
            log_issue(),
            save_preference(),
        ],
        AgentName::Invoice => vec![
            tool(
                "generate_invoice",
                "Price the completed job from the price list; returns the lines and totals in cents. A discount needs the owner's approval.",
                json!({ "type": "object", "additionalProperties": false,
                        "properties": { "discount_percent": { "type": "integer", "minimum": 0, "maximum": 100 } } }),
            ),
            tool(
                "send_invoice",
                "Send the itemised invoice with its pay link to the customer's address on file. Another address needs the owner's approval.",
                json!({ "type": "object", "additionalProperties": false,
                        "properties": { "email": { "type": "string", "format": "email" } } }),
            ),
            no_input("check_payment", "Whether the lead's invoice is paid: status, amount paid, balance, due date."),
            no_input("send_payment_reminder", "Remind the customer of an unpaid invoice, with its pay link."),
            escalate(),
            search_memory(),
            log_issue(),
            save_preference(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_versioned_files() {
        let p = prompt(AgentName::LeadResponse);
        assert_eq!(p.version, "lead_response/v5");
        assert!(p.text.contains("UNTRUSTED"));
        assert_eq!(prompt(AgentName::Scheduler).version, "scheduler/v4");
        assert_eq!(prompt(AgentName::Invoice).version, "invoice/v2");
    }

    #[test]
    fn no_tool_takes_an_amount_or_a_price() {
        for agent in [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice] {
            for t in tools(agent, &PriceList::default()) {
                let schema = t.input_schema.to_string();
                for word in ["cents", "amount", "price", "total", "refund"] {
                    assert!(!schema.contains(word), "{} takes `{word}`", t.name);
                }
            }
        }
    }

    #[test]
    fn each_agent_holds_the_tools_the_issue_names() {
        let names = |a| tools(a, &PriceList::default()).into_iter().map(|t| t.name).collect::<Vec<_>>();
        for (agent, expected) in [
            (
                AgentName::LeadResponse,
                &[
                    "lookup_customer",
                    "qualify_lead",
                    "check_service_area",
                    "quote_price",
                    "send_reply",
                    "request_details",
                    "escalate",
                    "handoff_to_agent",
                ][..],
            ),
            (
                AgentName::Scheduler,
                &[
                    "check_availability",
                    "book_appointment",
                    "offer_times",
                    "reschedule",
                    "cancel",
                    "send_confirmation",
                    "escalate",
                ][..],
            ),
            (
                AgentName::Invoice,
                &["generate_invoice", "send_invoice", "check_payment", "send_payment_reminder", "escalate"][..],
            ),
        ] {
            let held = names(agent);
            for name in expected.iter().chain(&["search_memory", "log_issue", "save_preference"]) {
                assert!(held.iter().any(|h| h == name), "{} lacks {name}", agent.as_str());
            }
        }
    }

    #[test]
    fn the_price_list_is_a_cached_block_and_types_the_service() {
        let pool = domain::work::ShopKind::new("Pool heater", domain::work::Trade::Plumbing, &[]).unwrap();
        let list =
            PriceList::new([("EV charger install", "ev_charger"), ("Pool heater repair", "shop_pool_heater")], &[pool]);
        let system = system(AgentName::LeadResponse, &list);
        assert_eq!(system.len(), 2);
        assert!(system.iter().all(|b| b.cache_point));
        assert!(system[1].text.contains("\"services\":[\"Pool heater repair\"]"), "{}", system[1].text);
        let qualify = tools(AgentName::LeadResponse, &list).into_iter().find(|t| t.name == "qualify_lead").unwrap();
        let keys = qualify.input_schema["properties"]["service"]["enum"].as_array().unwrap().clone();
        for key in [json!("shop_pool_heater"), json!("ev_charger"), json!("toilet_repair"), serde_json::Value::Null] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        assert_eq!(keys.len(), domain::work::CATALOGUE.len() + 2);
        assert_eq!(self::system(AgentName::Scheduler, &PriceList::default()).len(), 1, "no list, no block");
    }

    #[test]
    fn every_task_round_trips() {
        for task in [Task::Inquiry, Task::CustomerFollowUp, Task::Billing, Task::PaymentFollowUp] {
            assert_eq!(Task::parse(task.as_str()), Some(task));
        }
    }
}
