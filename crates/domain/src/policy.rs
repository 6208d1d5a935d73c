//! An org's guardrail policies and escalation timeouts: what the squad may do on its own, what
//! waits for the owner, and what happens when the owner does not decide in time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::FieldError;

/// What a guardrail does with a matching tool call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardAction {
    /// The run parks until the owner approves or declines.
    RequireApproval,
    /// The agent is told no; nothing happens.
    Block,
}

impl GuardAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RequireApproval => "require_approval",
            Self::Block => "block",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "require_approval" => Some(Self::RequireApproval),
            "block" => Some(Self::Block),
            _ => None,
        }
    }
}

/// Checked before every tool call. Invoices above a threshold live in the business settings
/// (`invoice_approval_above_cents`) because the owner thinks of them as an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Guardrails {
    /// A quote or invoice with a discount or a changed price.
    pub discounts: GuardAction,
    /// An invoice or payment request sent anywhere but the customer's address on file.
    pub new_payment_address: GuardAction,
    /// A booking at a time the availability check did not offer (after hours, on a holiday).
    pub booking_outside_rules: GuardAction,
}

impl Default for Guardrails {
    fn default() -> Self {
        Self {
            discounts: GuardAction::RequireApproval,
            new_payment_address: GuardAction::RequireApproval,
            booking_outside_rules: GuardAction::Block,
        }
    }
}

/// The decision applied when a pending escalation outlives its timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    Approve,
    Reject,
}

impl Fallback {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "approve" => Some(Self::Approve),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationTimeout {
    pub after_hours: i64,
    pub fallback: Fallback,
}

/// The escalation kinds an owner may give a timeout, with what each means in a shop owner's words.
pub const TIMEOUT_KINDS: &[(&str, &str)] = &[
    ("approval", "An action waiting for your OK (a discount, an invoice above your limit)"),
    ("manipulation", "A message that tried to give the squad instructions"),
    ("limit", "A lead that used up the squad's turns, time or budget"),
    ("language", "A customer writing in a language the squad does not handle"),
];

/// Kinds that always wait for a person, whatever the settings say: danger, unhappy customers and
/// a customer writing again all need a human answer.
pub const NEVER_TIMES_OUT: &[&str] = &["safety", "complaint", "follow_up"];

/// A number from 0 to 1 (temperature, top-p), compared by value so settings stay `Eq`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fraction(pub f32);

impl PartialEq for Fraction {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Fraction {}

/// The agents whose model settings an org may override.
pub const MODEL_AGENTS: &[&str] = &["lead_response", "scheduler", "invoice"];

/// An org's change to one agent's model settings; absent fields keep the configured value. A
/// model id is used only if the server has a price for it, so budgets always count its cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelOverride {
    pub model_id: Option<String>,
    pub temperature: Option<Fraction>,
    pub max_tokens: Option<u32>,
    pub top_p: Option<Fraction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policies {
    pub guardrails: Guardrails,
    /// Per escalation kind (`approval`, `manipulation`, `limit`, …). A kind that is absent waits
    /// for a person however long it takes.
    pub escalation_timeouts: BTreeMap<String, EscalationTimeout>,
    /// Per agent (`lead_response`, `scheduler`, `invoice`).
    #[serde(deserialize_with = "objects_only")]
    pub models: BTreeMap<String, ModelOverride>,
}

impl Default for Policies {
    fn default() -> Self {
        let timeout = |after_hours, fallback| EscalationTimeout { after_hours, fallback };
        Self {
            guardrails: Guardrails::default(),
            models: BTreeMap::new(),
            escalation_timeouts: BTreeMap::from([
                ("approval".to_owned(), timeout(24, Fallback::Reject)),
                ("manipulation".to_owned(), timeout(48, Fallback::Reject)),
            ]),
        }
    }
}

impl Policies {
    pub fn validate(self) -> Result<Self, FieldError> {
        let error = |field: String, message: &str| FieldError { field, message: message.to_owned() };
        if self.escalation_timeouts.len() > 20 {
            return Err(error("escalation_timeouts".into(), "at most 20 kinds"));
        }
        for (kind, timeout) in &self.escalation_timeouts {
            let field = format!("escalation_timeouts.{kind}");
            let well_formed =
                !kind.is_empty() && kind.len() <= 40 && kind.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if !well_formed {
                return Err(error(field, "a kind is lower-case letters and underscores"));
            }
            if NEVER_TIMES_OUT.contains(&kind.as_str()) {
                return Err(error(field, "safety, complaint and follow-up escalations always wait for a person"));
            }
            if !(1..=24 * 30).contains(&timeout.after_hours) {
                return Err(error(format!("{field}.after_hours"), "must be between 1 and 720 hours"));
            }
        }
        for (agent, model) in &self.models {
            let field = format!("models.{agent}");
            if !MODEL_AGENTS.contains(&agent.as_str()) {
                return Err(error(field, "the agents are lead_response, scheduler and invoice"));
            }
            if let Some(id) = &model.model_id {
                let well_formed = !id.is_empty()
                    && id.len() <= 200
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || ".:-_/".contains(c));
                if !well_formed {
                    return Err(error(
                        format!("{field}.model_id"),
                        "a model id like anthropic.claude-3-5-haiku-20241022-v1:0",
                    ));
                }
            }
            for (name, value) in [("temperature", model.temperature), ("top_p", model.top_p)] {
                if value.is_some_and(|v| !(0.0..=1.0).contains(&v.0)) {
                    return Err(error(format!("{field}.{name}"), "must be between 0 and 1"));
                }
            }
            if model.max_tokens.is_some_and(|m| !(1..=8192).contains(&m)) {
                return Err(error(format!("{field}.max_tokens"), "must be between 1 and 8192"));
            }
        }
        Ok(self)
    }

    /// The timeout for an escalation of this kind, if it has one.
    pub fn timeout_for(&self, kind: &str) -> Option<EscalationTimeout> {
        if NEVER_TIMES_OUT.contains(&kind) {
            return None;
        }
        self.escalation_timeouts.get(kind).copied()
    }
}

/// A map whose values must each be a JSON object. Derived structs also accept an array of their
/// fields in order (`[null, 0.2]`), which no client means and the API document does not allow.
fn objects_only<'de, D, T>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Object<T>(T);

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct Fields<T>(std::marker::PhantomData<T>);

            impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Fields<T> {
                type Value = T;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an object")
                }

                fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                    T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                }
            }

            deserializer.deserialize_map(Fields(std::marker::PhantomData)).map(Object)
        }
    }

    let map: BTreeMap<String, Object<T>> = BTreeMap::deserialize(deserializer)?;
    Ok(map.into_iter().map(|(k, Object(v))| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_override_is_an_object_never_an_array() {
        let object: Policies = serde_json::from_str(r#"{"models": {"invoice": {"temperature": 0.2}}}"#).unwrap();
        assert_eq!(object.models["invoice"].temperature, Some(Fraction(0.2)));
        let array = serde_json::from_str::<Policies>(r#"{"models": {"invoice": [null, 0.2]}}"#);
        assert!(array.is_err(), "an array of fields is refused");
    }

    #[test]
    fn defaults_reject_stale_approvals_and_block_off_rule_bookings() {
        let p = Policies::default();
        assert_eq!(p.timeout_for("approval"), Some(EscalationTimeout { after_hours: 24, fallback: Fallback::Reject }));
        assert_eq!(p.timeout_for("safety"), None);
        assert_eq!(p.guardrails.booking_outside_rules, GuardAction::Block);
        assert_eq!(p.guardrails.discounts, GuardAction::RequireApproval);
    }

    #[test]
    fn an_empty_document_means_the_defaults_for_guardrails() {
        let p: Policies = serde_json::from_str(r#"{"escalation_timeouts":{}}"#).unwrap();
        assert_eq!(p.guardrails, Guardrails::default());
        assert_eq!(p.timeout_for("approval"), None);
    }

    #[test]
    fn safety_can_never_time_out() {
        let mut p = Policies::default();
        p.escalation_timeouts
            .insert("safety".into(), EscalationTimeout { after_hours: 1, fallback: Fallback::Approve });
        let err = p.validate().unwrap_err();
        assert_eq!(err.field, "escalation_timeouts.safety");
    }

    #[test]
    fn timeouts_are_bounded_and_kinds_well_formed() {
        let mut p = Policies::default();
        p.escalation_timeouts.insert("limit".into(), EscalationTimeout { after_hours: 0, fallback: Fallback::Reject });
        assert_eq!(p.clone().validate().unwrap_err().field, "escalation_timeouts.limit.after_hours");
        p.escalation_timeouts.clear();
        p.escalation_timeouts
            .insert("Bad Kind".into(), EscalationTimeout { after_hours: 5, fallback: Fallback::Reject });
        assert!(p.validate().is_err());
    }

    #[test]
    fn model_overrides_are_bounded_per_known_agent() {
        let with = |agent: &str, model: ModelOverride| {
            let mut p = Policies::default();
            p.models.insert(agent.into(), model);
            p.validate()
        };
        let ok = ModelOverride {
            model_id: Some("us.anthropic.claude-3-7-sonnet-20250219-v1:0".into()),
            temperature: Some(Fraction(0.2)),
            max_tokens: Some(2048),
            top_p: Some(Fraction(0.9)),
        };
        assert!(with("scheduler", ok.clone()).is_ok());
        assert_eq!(with("dispatcher", ok.clone()).unwrap_err().field, "models.dispatcher");
        let hot = ModelOverride { temperature: Some(Fraction(1.5)), ..ModelOverride::default() };
        assert_eq!(with("invoice", hot).unwrap_err().field, "models.invoice.temperature");
        let long = ModelOverride { max_tokens: Some(100_000), ..ModelOverride::default() };
        assert_eq!(with("invoice", long).unwrap_err().field, "models.invoice.max_tokens");
        let odd = ModelOverride { model_id: Some("claude; drop table".into()), ..ModelOverride::default() };
        assert_eq!(with("lead_response", odd).unwrap_err().field, "models.lead_response.model_id");
        let json: Policies = serde_json::from_str(r#"{"models":{"scheduler":{"temperature":0.3}}}"#).unwrap();
        assert_eq!(json.models["scheduler"].temperature, Some(Fraction(0.3)));
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<Policies>(r#"{"guardrails":{"discount":"block"}}"#).is_err());
    }
}
