//! What the squad did, told as an owner would tell it: one sentence per recorded step, and the
//! lead's reason codes as short phrases. The technical record (model, tokens, JSON) stays one
//! click away on the timeline.

use serde_json::Value;

/// An agent by the name the dashboard gives it.
pub fn agent_name(key: &str) -> &str {
    match key {
        "lead_response" => "Lead Response",
        "scheduler" => "Scheduler",
        "invoice" => "Invoice",
        other => other,
    }
}

/// What a tool does, as the end of "chose to …" or "tried to …".
pub fn tool_words(tool: &str) -> String {
    match tool {
        "lookup_customer" => "look up the customer",
        "qualify_lead" => "qualify the lead",
        "check_service_area" => "check the service area",
        "quote_price" => "look up the price",
        "send_reply" => "reply to the customer",
        "request_details" => "ask the customer for details",
        "escalate" => "hand this to you",
        "handoff_to_agent" => "pass the lead on",
        "check_availability" => "look for openings",
        "book_appointment" => "book the appointment",
        "offer_times" => "offer the customer times to pick from",
        "reschedule" => "move the appointment",
        "cancel" => "cancel the appointment",
        "send_confirmation" => "confirm with the customer",
        "generate_invoice" => "draw up the invoice",
        "send_invoice" => "send the invoice",
        "check_payment" => "check the payment",
        "send_payment_reminder" => "remind the customer to pay",
        "save_preference" => "remember a preference",
        "search_memory" => "search what it remembers",
        "log_issue" => "note an issue",
        other => return other.replace('_', " "),
    }
    .to_owned()
}

/// "2026-11-03T10:00" as "Tue Nov 3, 10:00 AM"; anything else as written.
fn visit(local_start: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(local_start, "%Y-%m-%dT%H:%M")
        .map(|t| t.format("%a %b %-d, %-I:%M %p").to_string())
        .unwrap_or_else(|_| local_start.to_owned())
}

/// One tool call in a sentence, from what it returned. `technician` names a technician by id.
pub fn tool_story(tool: &str, output: &Value, is_error: bool, technician: &dyn Fn(&str) -> Option<String>) -> String {
    if is_error {
        let why = output["error"].as_str().unwrap_or("it was not allowed");
        return format!("Tried to {} but was stopped: {why}.", tool_words(tool));
    }
    let text = |key: &str| output[key].as_str().map(str::to_owned);
    let booked_with = || {
        let when = text("local_start").map(|s| visit(&s)).unwrap_or_default();
        let who =
            text("technician_id").and_then(|id| technician(&id)).map(|n| format!(" with {n}")).unwrap_or_default();
        format!("{when}{who}")
    };
    match tool {
        "qualify_lead" => {
            let reasons: Vec<String> = output["reasons"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).map(reason_words).collect())
                .unwrap_or_default();
            let verdict = if output["qualified"] == Value::Bool(true) { "Qualified" } else { "Did not qualify" };
            let score = output["score"].as_i64().map(|s| format!(" — {s}/10")).unwrap_or_default();
            format!("{verdict} the lead: {}{score}.", reasons.join(", "))
        }
        "check_service_area" => match output["inside"].as_bool() {
            Some(true) => "Checked the service area: the address is inside it.".to_owned(),
            Some(false) => "Checked the service area: the address is outside it.".to_owned(),
            None => "Checked the service area: it can't tell from the address.".to_owned(),
        },
        "send_reply" => "Replied to the customer.".to_owned(),
        "request_details" => "Asked the customer for what's missing.".to_owned(),
        "escalate" => "Handed this to you.".to_owned(),
        "handoff_to_agent" => {
            format!("Passed the lead to the {}.", agent_name(output["to"].as_str().unwrap_or("scheduler")))
        }
        "check_availability" => match output["slots"].as_array().map(Vec::len) {
            Some(0) | None => format!("Found no opening. {}", text("why_none").unwrap_or_default()).trim().to_owned(),
            Some(n) => format!("Found {n} opening{}.", if n == 1 { "" } else { "s" }),
        },
        "book_appointment" => format!("Booked {}.", booked_with()),
        "offer_times" => {
            let times: Vec<String> = output["offered"]
                .as_array()
                .map(|o| o.iter().filter_map(|t| t["local_start"].as_str()).map(visit).collect())
                .unwrap_or_default();
            format!("Offered the customer {} in the chat, to book with a tap.", times.join("; "))
        }
        "reschedule" => format!("Moved the appointment to {}.", booked_with()),
        "cancel" => "Cancelled the appointment.".to_owned(),
        // Whether it left the building is on the message itself (the conversation says so).
        "send_confirmation" => "Wrote the customer a confirmation.".to_owned(),
        "save_preference" => {
            format!(
                "Remembered that the customer prefers {}.",
                text("preferred_time").unwrap_or_else(|| "a time".to_owned())
            )
        }
        "lookup_customer" => "Looked up the customer record.".to_owned(),
        "quote_price" => "Looked up the price on your price list.".to_owned(),
        "generate_invoice" => "Drew up the invoice.".to_owned(),
        "send_invoice" => "Wrote the invoice to the customer.".to_owned(),
        "check_payment" => "Checked the payment.".to_owned(),
        "send_payment_reminder" => "Reminded the customer to pay.".to_owned(),
        "search_memory" => "Searched what the squad remembers.".to_owned(),
        "log_issue" => "Noted an issue.".to_owned(),
        other => format!("Used {}.", other.replace('_', " ")),
    }
}

/// A reason code from `qualify_lead` as a short phrase ("urgency:urgent" → "urgent").
pub fn reason_words(code: &str) -> String {
    let (key, value) = code.split_once(':').unwrap_or((code, ""));
    let kind = || domain::work::name_of(value).to_lowercase();
    match (key, value) {
        ("intent", "service_request") => "wants a job done".to_owned(),
        ("intent", "quote_request") => "asks for a price".to_owned(),
        ("intent", "safety_emergency") => "a safety emergency".to_owned(),
        ("intent", "complaint") => "a complaint".to_owned(),
        ("intent", "spam") => "spam".to_owned(),
        ("intent", "vendor") => "a sales pitch".to_owned(),
        ("intent", "job_applicant") => "a job seeker".to_owned(),
        ("intent", "other_trade") => "work of another trade".to_owned(),
        ("urgency", level) => level.to_owned(),
        ("safety", hazard) => hazard.replace('_', " "),
        ("service", "unclear") => "not clear what they need".to_owned(),
        ("service", "none_matching") => "nothing on your price list fixes it".to_owned(),
        ("service", _) => kind(),
        ("service_not_offered", _) => format!("{} is not on your price list", kind()),
        ("also_asked", _) => format!("also asked about {}", kind()),
        ("also_asked_not_offered", _) => format!("also asked about {}, which you don't do", kind()),
        ("area", "inside") => "in your area".to_owned(),
        ("area", "outside") => "outside your area".to_owned(),
        ("area", "unknown") => "no address yet".to_owned(),
        ("address", "no_street") => "no street address yet".to_owned(),
        ("contact", "phone") => "left a phone number".to_owned(),
        ("contact", "email_only") => "email only".to_owned(),
        ("quote_only", _) => "only wants a quote".to_owned(),
        _ => code.replace(['_', ':'], " "),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn steps_read_as_sentences() {
        let nobody = |_: &str| None;
        let q = json!({ "score": 9, "qualified": true,
                        "reasons": ["intent:service_request", "urgency:urgent", "service:furnace_repair", "area:inside"] });
        assert_eq!(
            tool_story("qualify_lead", &q, false, &nobody),
            "Qualified the lead: wants a job done, urgent, heating / furnace repair, in your area — 9/10."
        );
        let ana = |id: &str| (id == "t1").then(|| "Ana Ortiz".to_owned());
        let booked = json!({ "local_start": "2026-11-03T10:00", "technician_id": "t1" });
        assert_eq!(tool_story("book_appointment", &booked, false, &ana), "Booked Tue Nov 3, 10:00 AM with Ana Ortiz.");
        let none = json!({ "slots": [], "why_none": "Nobody on your crew is set up to do EV charger install." });
        assert_eq!(
            tool_story("check_availability", &none, false, &nobody),
            "Found no opening. Nobody on your crew is set up to do EV charger install."
        );
        let refused = json!({ "error": "the lead has no service address yet" });
        assert_eq!(
            tool_story("handoff_to_agent", &refused, true, &nobody),
            "Tried to pass the lead on but was stopped: the lead has no service address yet."
        );
        assert_eq!(tool_story("log_issue", &json!({}), false, &nobody), "Noted an issue.");
    }

    #[test]
    fn reason_codes_read_as_phrases() {
        assert_eq!(
            reason_words("service_not_offered:toilet_repair"),
            "toilet repair & install is not on your price list"
        );
        assert_eq!(
            reason_words("also_asked_not_offered:outlets_switches"),
            "also asked about outlets & switches, which you don't do"
        );
        assert_eq!(reason_words("service:shop_pool_heater"), "pool heater");
        assert_eq!(reason_words("area:unknown"), "no address yet");
        assert_eq!(reason_words("address:no_street"), "no street address yet");
    }
}
