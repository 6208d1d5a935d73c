//! What each tool takes, as types: a tool call's input is read once into [`ToolInput`] before the
//! tool runs, so a call whose input does not fit is refused with the reason and no tool reads a
//! field that is not there. Fields the model may leave out have defaults the tools then validate.

use domain::squad::AgentName;
use serde::Deserialize;
use serde_json::Value;

use crate::facts::InquiryFacts;

/// Declares the tools' inputs: the enum, and the one mapping from a tool's name to its input type.
macro_rules! tool_inputs {
    ($($variant:ident($input:ty) = $name:literal),+ $(,)?) => {
        #[derive(Debug, Clone)]
        pub enum ToolInput {
            $($variant($input)),+
        }

        impl ToolInput {
            /// The input of a call to tool `name`, or why it does not fit that tool (naming the
            /// field, so the model can correct itself).
            pub fn parse(name: &str, input: &Value) -> Result<Self, String> {
                // A tool without parameters may be called with no input at all.
                let input = if input.is_null() { Value::Object(serde_json::Map::new()) } else { input.clone() };
                match name {
                    $($name => read(name, input).map(Self::$variant),)+
                    _ => Err(format!("unknown tool `{name}`")),
                }
            }

            pub const fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name),+
                }
            }
        }
    };
}

tool_inputs! {
    LookupCustomer(NoInput) = "lookup_customer",
    QualifyLead(InquiryFacts) = "qualify_lead",
    CheckServiceArea(ServiceAreaInput) = "check_service_area",
    QuotePrice(NoInput) = "quote_price",
    SendReply(TextInput) = "send_reply",
    RequestDetails(TextInput) = "request_details",
    Escalate(EscalateInput) = "escalate",
    HandoffToAgent(HandoffInput) = "handoff_to_agent",
    CheckAvailability(AvailabilityInput) = "check_availability",
    BookAppointment(SlotInput) = "book_appointment",
    OfferTimes(OfferInput) = "offer_times",
    Reschedule(SlotInput) = "reschedule",
    Cancel(CancelInput) = "cancel",
    SendConfirmation(NoInput) = "send_confirmation",
    GenerateInvoice(InvoiceInput) = "generate_invoice",
    SendInvoice(SendInvoiceInput) = "send_invoice",
    CheckPayment(NoInput) = "check_payment",
    SendPaymentReminder(NoInput) = "send_payment_reminder",
    SavePreference(PreferenceInput) = "save_preference",
    SearchMemory(SearchInput) = "search_memory",
    LogIssue(IssueInput) = "log_issue",
}

fn read<T: serde::de::DeserializeOwned>(name: &str, input: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(input).map_err(|e| {
        let field = e.path().to_string();
        if field == "." {
            format!("the input for `{name}` does not fit the tool: {}", e.inner())
        } else {
            format!("the input for `{name}` does not fit the tool: `{field}`: {}", e.inner())
        }
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoInput {}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServiceAreaInput {
    pub postal_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TextInput {
    #[serde(default)]
    pub text: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct EscalateInput {
    pub kind: Option<String>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HandoffInput {
    pub target: Option<AgentName>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AvailabilityInput {
    pub preferred_time: Option<String>,
    /// The day the customer asked for (`crate::facts::VisitDay`).
    pub day: Option<String>,
}

/// An opening: which technician, from when (Unix ms).
#[derive(Debug, Clone, Deserialize)]
pub struct SlotInput {
    #[serde(default)]
    pub technician_id: String,
    pub starts_at: i64,
}

/// Openings shown to a chat visitor as buttons, in the order given.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OfferInput {
    #[serde(default)]
    pub slots: Vec<SlotInput>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CancelInput {
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct InvoiceInput {
    pub discount_percent: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SendInvoiceInput {
    /// Where to send it when not the address on file (a guardrail asks the owner first).
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PreferenceInput {
    #[serde(default)]
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchInput {
    pub query: Option<String>,
    pub layer: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct IssueInput {
    #[serde(default)]
    pub description: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_call_is_read_into_its_tool_s_input() {
        let booked = ToolInput::parse("book_appointment", &json!({ "technician_id": "t1", "starts_at": 5 })).unwrap();
        assert!(matches!(booked, ToolInput::BookAppointment(SlotInput { starts_at: 5, .. })));
        assert!(matches!(ToolInput::parse("quote_price", &Value::Null).unwrap(), ToolInput::QuotePrice(_)));
        assert_eq!(booked.name(), "book_appointment");
    }

    #[test]
    fn an_input_that_does_not_fit_is_refused_with_the_reason() {
        let err =
            ToolInput::parse("book_appointment", &json!({ "technician_id": "t1", "starts_at": "noon" })).unwrap_err();
        assert!(err.contains("book_appointment") && err.contains("starts_at"), "{err}");
        assert_eq!(ToolInput::parse("launch_rocket", &json!({})).unwrap_err(), "unknown tool `launch_rocket`");
        let err = ToolInput::parse("generate_invoice", &json!({ "discount_percent": "ten" })).unwrap_err();
        assert!(err.contains("discount_percent"), "{err}");
    }

    #[test]
    fn every_tool_an_agent_is_offered_has_an_input_type() {
        for agent in [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice] {
            for spec in crate::agents::tools(agent, &crate::price_list::PriceList::default()) {
                let parsed = ToolInput::parse(&spec.name, &json!({}));
                assert_ne!(parsed.as_ref().err(), Some(&format!("unknown tool `{}`", spec.name)));
                if let Ok(input) = parsed {
                    assert_eq!(input.name(), spec.name);
                }
            }
        }
    }
}
