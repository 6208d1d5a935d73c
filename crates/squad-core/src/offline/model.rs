//! The offline model as a [`Model`] provider: it reads the conversation it is given — the opening
//! message and the results of the tools it already called — and answers with the tool calls the
//! agent's prompt asks for. Deterministic, free, and fast.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::{read_change_request, ChangeRequest};
use super::{read_inquiry, requested_visit, Inquiry};
use crate::agents::Task;
use crate::conversation::Opening;
use crate::facts::{PreferredTime, VisitDay};
use crate::model::{
    estimate_tokens, Content, Model, ModelError, ModelRequest, ModelResponse, Role, StopReason, Usage, Watcher,
};
use crate::price_list::PriceList;
use crate::tools::qualify::lacks_address;

#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineModel;

/// What the agent already learned this turn: each tool's results, in order, and what it asked.
struct Seen(HashMap<String, Vec<(Value, bool)>>, HashMap<String, Value>);

impl Seen {
    fn from(request: &ModelRequest) -> Self {
        let mut names = HashMap::new();
        let mut inputs = HashMap::new();
        let mut seen: HashMap<String, Vec<(Value, bool)>> = HashMap::new();
        for message in &request.messages {
            for content in &message.content {
                match content {
                    Content::ToolUse { id, name, input } => {
                        names.insert(id.clone(), name.clone());
                        inputs.insert(name.clone(), input.clone());
                    }
                    Content::ToolResult { tool_use_id, content, is_error } => {
                        if let Some(name) = names.get(tool_use_id) {
                            seen.entry(name.clone()).or_default().push((content.clone(), *is_error));
                        }
                    }
                    Content::Text { .. } => {}
                }
            }
        }
        Self(seen, inputs)
    }

    fn asked(&self, tool: &str) -> Option<&Value> {
        self.1.get(tool)
    }

    fn last(&self, tool: &str) -> Option<&(Value, bool)> {
        self.0.get(tool).and_then(|v| v.last())
    }

    fn count(&self, tool: &str) -> usize {
        self.0.get(tool).map_or(0, Vec::len)
    }

    fn succeeded(&self, tool: &str) -> bool {
        self.0.get(tool).is_some_and(|v| v.iter().any(|(_, err)| !err))
    }
}

fn call(n: usize, name: &str, input: Value) -> Content {
    Content::ToolUse { id: format!("offline-{name}-{n}"), name: name.to_owned(), input }
}

fn has_tool(request: &ModelRequest, name: &str) -> bool {
    request.tools.iter().any(|t| t.name == name)
}

#[async_trait]
impl Model for OfflineModel {
    fn provider(&self) -> &'static str {
        "offline"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let first = request.messages.first().ok_or_else(|| ModelError::Refused("no messages".into()))?;
        debug_assert_eq!(first.role, Role::User);
        let opening = Opening::read(first);
        let seen = Seen::from(request);
        let turn = request.messages.len();
        let calls = if has_tool(request, "qualify_lead") {
            lead_response(&opening, &PriceList::read(&request.system), &seen, turn)
        } else if has_tool(request, "check_availability") && opening.task == Task::CustomerFollowUp {
            booking_change(&opening, &seen, turn)
        } else if has_tool(request, "check_availability") {
            scheduler(&opening, &seen, turn)
        } else if has_tool(request, "generate_invoice") && opening.task == Task::PaymentFollowUp {
            payment_follow_up(&seen, turn)
        } else if has_tool(request, "generate_invoice") {
            invoice(&seen, turn)
        } else {
            return Err(ModelError::Refused("the offline model knows no agent with these tools".into()));
        };
        let prompt_chars: String = request.system.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join("\n");
        let input_tokens = estimate_tokens(&prompt_chars)
            + estimate_tokens(&serde_json::to_string(&request.messages).unwrap_or_default());
        let (content, stop_reason) = if calls.is_empty() {
            (vec![Content::Text { text: "Done.".to_owned() }], StopReason::EndTurn)
        } else {
            (calls, StopReason::ToolUse)
        };
        let output_tokens = estimate_tokens(&serde_json::to_string(&content).unwrap_or_default());
        Ok(ModelResponse {
            content,
            stop_reason,
            usage: Usage { input_tokens, output_tokens, cache_read_tokens: 0, cache_write_tokens: 0 },
            model_id: None,
        })
    }

    /// The rules compose each answer at once; a watched tool input is then told a few words at a
    /// time, at about the pace a streaming model writes, so what watches it (a chat window) works
    /// the same on either model.
    async fn converse_watched(
        &self,
        request: &ModelRequest,
        watcher: &dyn Watcher,
    ) -> Result<ModelResponse, ModelError> {
        let response = self.converse(request).await?;
        for (id, name, input) in response.tool_uses() {
            if !watcher.watches(name) {
                continue;
            }
            let json = input.to_string();
            let spaces = json.match_indices(' ').map(|(at, _)| at);
            for cut in spaces.step_by(WORDS_A_PIECE).skip(1).chain([json.len()]) {
                watcher.tool_input(id, name, &json[..cut]);
                tokio::time::sleep(PIECE_PAUSE).await;
            }
        }
        Ok(response)
    }
}

/// How the offline model paces a watched answer: a piece of a few words every few tens of
/// milliseconds (about 100 words a second).
const WORDS_A_PIECE: usize = 3;
const PIECE_PAUSE: std::time::Duration = std::time::Duration::from_millis(30);

fn lead_response(opening: &Opening, price_list: &PriceList, seen: &Seen, turn: usize) -> Vec<Content> {
    if seen.count("qualify_lead") == 0 {
        let (contact, messages) = (opening.contact, &opening.messages);
        let subject = messages.iter().rev().find_map(|m| m.subject.clone());
        let address = messages.iter().rev().find_map(|m| m.address.clone());
        let body = messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>().join("\n");
        let facts = read_inquiry(&Inquiry {
            subject: subject.as_deref(),
            body: &body,
            address: address.as_deref(),
            has_phone: contact.has_phone,
            has_email: contact.has_email,
            price_list,
        });
        return vec![call(turn, "qualify_lead", serde_json::to_value(&facts).unwrap_or(Value::Null))];
    }
    if seen.count("send_reply") > 0
        || seen.count("request_details") > 0
        || seen.count("escalate") > 0
        || seen.count("handoff_to_agent") > 0
        || seen.count("save_preference") > 0
    {
        return vec![];
    }
    let Some((q, false)) = seen.last("qualify_lead") else { return vec![] };
    let mut calls = Vec::new();
    let reasons: Vec<&str> =
        q["reasons"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let intent = reasons.iter().find_map(|r| r.strip_prefix("intent:")).unwrap_or("service_request");
    let service = q["service_name"].as_str().unwrap_or("your request");
    let quoting = intent == "quote_request" && q["qualified"] == json!(true) && q["escalate"].is_null();
    if quoting && seen.count("quote_price") == 0 {
        return vec![call(turn, "quote_price", json!({}))];
    }
    let quote = seen.last("quote_price").filter(|(_, err)| !err).and_then(|(r, _)| r["summary"].as_str());
    if let Some(kind) = q["escalate"].as_str() {
        calls.push(call(turn, "escalate", json!({ "kind": kind, "reason": escalation_reason(kind, &reasons) })));
    }
    let needs_address = q["qualified"] == json!(true) && q["escalate"].is_null() && lacks_address(&reasons);
    let unclear = q["escalate"].is_null()
        && reasons.contains(&"service:unclear")
        && matches!(intent, "service_request" | "quote_request");
    let message = if unclear {
        let trades = shop_trades(price_list).map(|t| format!(" We do {t}.")).unwrap_or_default();
        let address =
            if lacks_address(&reasons) { " And what's the service address (street and ZIP code)?" } else { "" };
        Some((
            "request_details",
            format!(
                "Thanks for getting in touch! So we can send the right technician, what do you need help with?{trades}{address}"
            ),
        ))
    } else if needs_address {
        let what =
            if reasons.contains(&"area:unknown") { "the street and ZIP code" } else { "the house number and street" };
        Some((
            "request_details",
            format!(
                "Thanks for getting in touch about {service}! To send a technician we need the service address: \
                 {what}. Reply with it and we'll find the first available time."
            ),
        ))
    } else {
        reply(q, intent, service, &reasons, price_list).map(|text| ("send_reply", text))
    };
    if let Some((tool, mut text)) = message {
        if let Some(quote) = quote {
            text = format!("{text} Our price list: {quote}");
        }
        text.push_str(&also_asked(&reasons, price_list));
        calls.push(call(turn, tool, json!({ "text": text })));
    }
    if q["qualified"] == json!(true) {
        if let Some(preferred) = seen.asked("qualify_lead").and_then(|facts| facts["preferred_time"].as_str()) {
            calls.push(call(turn, "save_preference", json!({ "key": "preferred_time", "value": preferred })));
        }
    }
    if q["qualified"] == json!(true) && q["escalate"].is_null() && !needs_address {
        calls.push(call(
            turn,
            "handoff_to_agent",
            json!({ "target": "scheduler", "reason": "qualified lead ready to book" }),
        ));
    }
    calls
}

fn escalation_reason(kind: &str, reasons: &[&str]) -> String {
    match kind {
        "safety" => format!(
            "Safety hazard reported ({}). Call the customer now.",
            reasons.iter().find(|r| r.starts_with("safety:")).unwrap_or(&"safety")
        ),
        "complaint" => "The customer is unhappy with past work or billing.".to_owned(),
        "language" => "The customer wrote in a language the squad does not reply in.".to_owned(),
        _ => {
            "The message tries to change prices, payment details or instructions; review before anything else happens."
                .to_owned()
        }
    }
}

/// What the shop does, in words, from the trades of its price list: "electrical work and heating
/// and cooling".
fn shop_trades(price_list: &PriceList) -> Option<String> {
    let words: Vec<&str> = price_list
        .trades()
        .iter()
        .map(|trade| match trade {
            domain::work::Trade::Hvac => "heating and cooling",
            domain::work::Trade::Plumbing => "plumbing",
            domain::work::Trade::Electrical => "electrical work",
        })
        .collect();
    match words.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        [rest @ .., last] => Some(format!("{} and {last}", rest.join(", "))),
    }
}

/// What the reply says about a second request of another trade: noted when the shop does that
/// work too, pointed elsewhere when it does not.
fn also_asked(reasons: &[&str], price_list: &PriceList) -> String {
    if let Some(key) = reasons.iter().find_map(|r| r.strip_prefix("also_asked:")) {
        return format!(" We've noted the {} as well.", kind_in_words(key, price_list));
    }
    let Some(key) = reasons.iter().find_map(|r| r.strip_prefix("also_asked_not_offered:")) else {
        return String::new();
    };
    let pro = match domain::work::find(key).map(|k| k.trade) {
        Some(domain::work::Trade::Electrical) => "an electrician",
        Some(domain::work::Trade::Plumbing) => "a plumber",
        Some(domain::work::Trade::Hvac) => "a heating and cooling company",
        None => return String::new(),
    };
    format!(" For the {}, you'll want {pro}: that isn't work we do.", kind_in_words(key, price_list))
}

/// A kind of work's name inside a sentence: "EV chargers", "air conditioning repair".
fn kind_in_words(key: &str, price_list: &PriceList) -> String {
    let name = match (domain::work::find(key), price_list.offer(key)) {
        (Some(kind), _) => kind.name,
        (None, Some(offer)) => offer.name.as_str(),
        (None, None) => return "that service".to_owned(),
    };
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => {
            format!("{}{}", first.to_lowercase(), &name[first.len_utf8()..])
        }
        _ => name.to_owned(),
    }
}

fn reply(q: &Value, intent: &str, service: &str, reasons: &[&str], price_list: &PriceList) -> Option<String> {
    let hazard = reasons.iter().find_map(|r| r.strip_prefix("safety:"));
    let text = match (q["escalate"].as_str(), intent) {
        (_, "spam" | "vendor") => return None,
        (Some("safety"), _) => match hazard {
            Some("gas_leak") => "Please leave the building now and call your gas company's emergency line or 911 from outside. Don't switch lights on or off or use anything that could spark. We've flagged this to our team as an emergency.".to_owned(),
            Some("carbon_monoxide") => "Get everyone outside into fresh air now and call 911, especially if anyone feels dizzy or has a headache. Don't go back in until it's declared safe. We've flagged this to our team as an emergency.".to_owned(),
            _ => "If you see smoke or flames, leave and call 911 now. If it's safe to reach, switch off the main breaker. We've flagged this to our team as an emergency.".to_owned(),
        },
        (Some("complaint"), _) => "I'm sorry about this. I've passed your message to the owner, who will follow up with you personally.".to_owned(),
        (Some("language"), _) => "Gracias por su mensaje. Un miembro de nuestro equipo le responderá muy pronto. (Thank you for your message; a team member will reply shortly.)".to_owned(),
        (Some(_), _) => format!("Thanks for reaching out about {service}. A member of our team will review your request and get back to you shortly."),
        (None, "job_applicant") => "Thanks for your interest in working with us! We've passed your message to the owner.".to_owned(),
        (None, "other_trade") => match shop_trades(price_list) {
            Some(trades) => format!("Thanks for reaching out! We specialise in {trades}, so we're not the right fit for this job."),
            None => "Thanks for reaching out! This isn't work we do, so we're not the right fit for this job.".to_owned(),
        },
        (None, _) if reasons.contains(&"area:outside") => "Thanks for contacting us. Unfortunately your address is outside the area we serve, so we can't take this job.".to_owned(),
        (None, _) if reasons.iter().any(|r| r.starts_with("service_not_offered:")) => {
            let kind = reasons.iter().find_map(|r| r.strip_prefix("service_not_offered:")).map_or_else(|| "that service".to_owned(), |key| kind_in_words(key, price_list));
            format!("Thanks for contacting us. We don't offer {kind}, so we're not the right fit for this job.")
        }
        (None, _) => {
            let urgency = if reasons.contains(&"urgency:emergency") {
                " We're treating this as an emergency."
            } else {
                ""
            };
            format!("Thanks for getting in touch about {service}!{urgency} We're checking our technicians' calendars for the first available time now.")
        }
    };
    Some(text)
}

/// The customer's remembered preferred time, from the trusted memory lines of the opening.
fn preferred_time(opening: &Opening) -> Option<String> {
    opening.memory.iter().find_map(|line| line.strip_prefix("preference preferred_time=").map(str::to_owned))
}

/// Whether a slot's local start ("2026-11-02T08:00") suits the preference.
fn suits(local_start: &str, preference: &str) -> bool {
    PreferredTime::parse(preference).is_none_or(|p| p.suits(local_start))
}

/// How many times the Scheduler tries to book before a person takes over.
const MAX_BOOKING_TRIES: usize = 5;

fn scheduler(opening: &Opening, seen: &Seen, turn: usize) -> Vec<Content> {
    if seen.succeeded("book_appointment") {
        return if seen.count("send_confirmation") == 0 {
            vec![call(turn, "send_confirmation", json!({}))]
        } else {
            vec![]
        };
    }
    if seen.count("escalate") > 0 {
        return vec![];
    }
    let (day, preference) = asked_for(opening);
    // A refused booking comes back with the openings there are now: book one of those.
    let refused = seen.last("book_appointment").filter(|(_, err)| *err);
    if let Some(openings) = refused.map(|(output, _)| &output["openings"]).filter(|o| o["slots"].is_array()) {
        if seen.count("book_appointment") >= MAX_BOOKING_TRIES {
            return vec![call(
                turn,
                "escalate",
                json!({ "kind": "scheduling_failed", "reason": scheduling_failure(seen) }),
            )];
        }
        return book_first(turn, openings, preference.as_deref());
    }
    let checks = seen.count("check_availability");
    if checks == 0 || (refused.is_some() && seen.count("book_appointment") == checks && checks < MAX_BOOKING_TRIES) {
        return vec![call(turn, "check_availability", availability_input(day, preference.as_deref()))];
    }
    if seen.succeeded("offer_times") {
        return vec![];
    }
    match seen.last("check_availability") {
        Some((result, false)) if opening.live_chat && seen.count("offer_times") == 0 => {
            match offered(result, preference.as_deref()) {
                slots if slots.is_empty() => vec![call(
                    turn,
                    "escalate",
                    json!({ "kind": "no_availability", "reason": result["why_none"].as_str().unwrap_or("No opening in the next two weeks for this service.") }),
                )],
                slots => vec![call(turn, "offer_times", json!({ "slots": slots }))],
            }
        }
        Some((result, false)) => book_first(turn, result, preference.as_deref()),
        _ => vec![call(turn, "escalate", json!({ "kind": "scheduling_failed", "reason": scheduling_failure(seen) }))],
    }
}

/// Books the opening [`pick_slot`] chooses from an availability answer, or hands the lead to the
/// owner with the answer's reason when there is none.
fn book_first(turn: usize, availability: &Value, preference: Option<&str>) -> Vec<Content> {
    match pick_slot(availability, preference) {
        Some(slot) => vec![call(
            turn,
            "book_appointment",
            json!({ "technician_id": slot["technician_id"], "starts_at": slot["starts_at"] }),
        )],
        None => vec![call(
            turn,
            "escalate",
            json!({ "kind": "no_availability", "reason": availability["why_none"].as_str().unwrap_or("No opening in the next two weeks for this service.") }),
        )],
    }
}

/// The first opening that suits the preference, else the first opening; never the appointment's
/// current time.
fn pick_slot<'a>(availability: &'a Value, preference: Option<&str>) -> Option<&'a Value> {
    let current = &availability["current_appointment"]["starts_at"];
    let slots: Vec<&Value> =
        availability["slots"].as_array()?.iter().filter(|s| current.is_null() || s["starts_at"] != *current).collect();
    slots
        .iter()
        .find(|s| preference.is_none_or(|p| suits(s["local_start"].as_str().unwrap_or_default(), p)))
        .or_else(|| slots.first())
        .copied()
}

/// Up to three openings to show a chat visitor, at different times: those that suit the
/// preference first, in the order the availability check gave them.
fn offered(availability: &Value, preference: Option<&str>) -> Vec<Value> {
    let Some(slots) = availability["slots"].as_array() else { return Vec::new() };
    let fits = |s: &&Value| preference.is_none_or(|p| suits(s["local_start"].as_str().unwrap_or_default(), p));
    let mut order: Vec<&Value> = slots.iter().filter(fits).collect();
    order.extend(slots.iter().filter(|s| !fits(s)));
    let mut starts = std::collections::HashSet::new();
    order
        .into_iter()
        .filter(|s| starts.insert(s["starts_at"].as_i64()))
        .take(3)
        .map(|s| json!({ "technician_id": s["technician_id"], "starts_at": s["starts_at"] }))
        .collect()
}

/// Why scheduling stopped, from the tool that refused (a lead without a recognised service, a
/// removed service), so the owner reads the real cause.
fn scheduling_failure(seen: &Seen) -> String {
    let refused = ["book_appointment", "check_availability"]
        .iter()
        .find_map(|tool| seen.last(tool).filter(|(_, err)| *err).map(|(output, _)| output.clone()));
    match refused.as_ref().and_then(|o| o.as_str().or_else(|| o["error"].as_str())) {
        Some(why) => format!("Could not book: {why}."),
        None => "Could not find or book an opening.".to_owned(),
    }
}

/// The day and part of the day the customer asked for in their newest message that says one,
/// else the part of the day the squad remembers they prefer.
fn asked_for(opening: &Opening) -> (Option<VisitDay>, Option<String>) {
    let asked =
        opening.messages.iter().rev().map(|m| requested_visit(&m.body)).find(|(d, t)| d.is_some() || t.is_some());
    match asked {
        Some((day, time)) => (day, time.map(|t| t.as_str().to_owned()).or_else(|| preferred_time(opening))),
        None => (None, preferred_time(opening)),
    }
}

fn availability_input(day: Option<VisitDay>, preference: Option<&str>) -> Value {
    let mut input = json!({});
    if let Some(day) = day {
        input["day"] = json!(day.as_str());
    }
    if let Some(p) = preference {
        input["preferred_time"] = json!(p);
    }
    input
}

/// The Scheduler when a booked customer writes again: cancel, move, or pass it to a person.
fn booking_change(opening: &Opening, seen: &Seen, turn: usize) -> Vec<Content> {
    if seen.count("escalate") > 0 || seen.count("send_confirmation") > 0 {
        return vec![];
    }
    if seen.succeeded("cancel") || seen.succeeded("reschedule") {
        return vec![call(turn, "send_confirmation", json!({}))];
    }
    let newest = opening.messages.last().map_or("", |m| m.body.as_str());
    let hand_over = |reason: &str| vec![call(turn, "escalate", json!({ "kind": "follow_up", "reason": reason }))];
    match read_change_request(newest) {
        ChangeRequest::Other => {
            hand_over("The customer wrote again about their booked appointment; it needs a person's answer.")
        }
        ChangeRequest::Cancel if seen.count("cancel") == 0 => {
            vec![call(turn, "cancel", json!({ "reason": "The customer asked to cancel." }))]
        }
        ChangeRequest::Cancel => hand_over("The customer asked to cancel, but the appointment could not be cancelled."),
        ChangeRequest::Reschedule(preference) => {
            let remembered = preferred_time(opening);
            let preference = preference.map(|p| p.as_str()).or(remembered.as_deref());
            let checks = seen.count("check_availability");
            let failed = seen.last("reschedule").is_some_and(|(_, err)| *err);
            if checks == 0 || (failed && seen.count("reschedule") == checks && checks < 5) {
                return vec![call(turn, "check_availability", availability_input(None, preference))];
            }
            match seen.last("check_availability") {
                Some((result, false)) => match pick_slot(result, preference) {
                    Some(slot) => vec![call(
                        turn,
                        "reschedule",
                        json!({ "technician_id": slot["technician_id"], "starts_at": slot["starts_at"] }),
                    )],
                    None => hand_over("The customer asked to move the appointment and there is no other opening."),
                },
                _ => hand_over("The customer asked to move the appointment and it could not be moved."),
            }
        }
    }
}

/// The Invoice agent when an invoice falls due: remind only if it is still unpaid.
fn payment_follow_up(seen: &Seen, turn: usize) -> Vec<Content> {
    if seen.count("send_payment_reminder") > 0 || seen.count("escalate") > 0 {
        return vec![];
    }
    match seen.last("check_payment") {
        None => vec![call(turn, "check_payment", json!({}))],
        Some((status, false))
            if status["balance_cents"].as_i64().unwrap_or(0) > 0
                && status["status"] == domain::billing::InvoiceStatus::Sent.as_str() =>
        {
            vec![call(turn, "send_payment_reminder", json!({}))]
        }
        Some((_, false)) => vec![],
        Some((_, true)) => vec![call(
            turn,
            "escalate",
            json!({ "kind": "payment_check_failed", "reason": "The invoice's payment could not be checked." }),
        )],
    }
}

fn invoice(seen: &Seen, turn: usize) -> Vec<Content> {
    if seen.count("escalate") > 0 || seen.count("send_invoice") > 0 {
        return vec![];
    }
    match seen.last("generate_invoice") {
        None => vec![call(turn, "generate_invoice", json!({}))],
        Some((_, false)) => vec![call(turn, "send_invoice", json!({}))],
        Some((_, true)) => {
            vec![call(
                turn,
                "escalate",
                json!({ "kind": "invoice_failed", "reason": "The job could not be priced from the price list." }),
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_is_offered_three_distinct_times_those_that_suit_first() {
        let slot =
            |tech: &str, at: i64, local: &str| json!({ "technician_id": tech, "starts_at": at, "local_start": local });
        let availability = json!({ "slots": [
            slot("ana", 1, "2026-12-03T08:00"),
            slot("chris", 1, "2026-12-03T08:00"),
            slot("ana", 2, "2026-12-03T13:00"),
            slot("ana", 3, "2026-12-03T14:00"),
            slot("ana", 4, "2026-12-04T09:00"),
        ] });
        let starts = |offer: Vec<Value>| offer.iter().map(|s| s["starts_at"].as_i64().unwrap()).collect::<Vec<_>>();
        assert_eq!(starts(offered(&availability, None)), [1, 2, 3], "one button per time");
        assert_eq!(starts(offered(&availability, Some("afternoons"))), [2, 3, 1], "afternoons first");
        assert!(offered(&json!({ "slots": [] }), None).is_empty());
    }
}
