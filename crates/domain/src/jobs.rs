//! Every kind of background job and its payload. The queue stores a job as its `kind` and its
//! `payload`; this enum is the one mapping between the two and the types the worker runs, so a
//! job is written and read through the same type and an unknown or malformed row is an error.

use serde::{Deserialize, Serialize};

use crate::squad::{AgentName, Task};
use crate::{LeadId, MessageId};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    /// Run (or resume) the squad for a lead.
    RunSquad(RunSquad),
    /// Remind a customer of a booked appointment.
    SendReminder(SendReminder),
    /// Send one recorded outbound message through its channel.
    DeliverMessage(DeliverMessage),
    /// Take in the mail that reached the org's connected mailbox; the next check is queued after.
    CheckMailbox(CheckMailbox),
    /// Tell the org's owners by email that a lead needs them (an escalation was raised).
    AlertOwners(AlertOwners),
    /// Email the org's owners what happened in the last day and what waits for them; the next
    /// day's is queued after.
    OwnerSummary(OwnerSummary),
    /// Act on a Stripe webhook event stored in `inbound_events`.
    StripeEvent(StripeEvent),
    /// Ask Stripe how the org's open Checkout Sessions stand and repair what a lost webhook left;
    /// the next one is queued after.
    ReconcileStripe(ReconcileStripe),
    /// Write a booked appointment into its technician's calendar, or take a cancelled one out.
    SyncCalendarEvent(SyncCalendarEvent),
    /// Read the org's technicians' calendars again and check that the visits written into them are
    /// still there; the next check is queued after.
    CheckCalendars(CheckCalendars),
}

impl Job {
    /// The job's kind as stored (the `kind` column and the serialized tag).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::RunSquad(_) => "run_squad",
            Self::SendReminder(_) => "send_reminder",
            Self::DeliverMessage(_) => "deliver_message",
            Self::CheckMailbox(_) => "check_mailbox",
            Self::AlertOwners(_) => "alert_owners",
            Self::OwnerSummary(_) => "owner_summary",
            Self::StripeEvent(_) => "stripe_event",
            Self::ReconcileStripe(_) => "reconcile_stripe",
            Self::SyncCalendarEvent(_) => "sync_calendar_event",
            Self::CheckCalendars(_) => "check_calendars",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSquad {
    pub lead_id: LeadId,
    /// The inbound message that started the run, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// Set when a person approved an escalated lead or completed a job: that agent starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_with: Option<AgentName>,
    /// Set when a person decided on a parked run's approval: that run continues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_run: Option<String>,
    /// Set for runs that are not about the lead's newest message (a payment follow-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
}

impl RunSquad {
    /// A run about the lead's current state, with nothing else specified.
    pub const fn for_lead(lead_id: LeadId) -> Self {
        Self { lead_id, message_id: None, start_with: None, resume_run: None, task: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendReminder {
    pub appointment_id: String,
    pub minutes_before: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverMessage {
    pub message_id: MessageId,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckMailbox {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertOwners {
    pub escalation_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerSummary {
    /// The shop's local date the summary is for (`YYYY-MM-DD`), sent that morning.
    pub day: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeEvent {
    pub event_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileStripe {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncCalendarEvent {
    pub appointment_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckCalendars {}

text_enum!(
    /// Where a queued job stands. `dead` jobs used up their attempts or can never succeed.
    JobState { Queued => "queued", Running => "running", Done => "done", Dead => "dead" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_is_stored_as_its_kind_and_payload() {
        let lead = LeadId::parse("018f4f52-3f4a-7c3e-9d55-1b2c3d4e5f60").unwrap();
        let job = Job::RunSquad(RunSquad { start_with: Some(AgentName::Invoice), ..RunSquad::for_lead(lead) });
        let value = serde_json::to_value(&job).unwrap();
        assert_eq!(value["kind"], "run_squad");
        assert_eq!(value["payload"]["start_with"], "invoice");
        assert!(value["payload"].get("resume_run").is_none());
        assert_eq!(serde_json::from_value::<Job>(value).unwrap(), job);
        assert_eq!(job.kind(), "run_squad");
    }

    #[test]
    fn unknown_kinds_and_malformed_payloads_are_errors() {
        let unknown = serde_json::json!({ "kind": "launch_rocket", "payload": {} });
        assert!(serde_json::from_value::<Job>(unknown).is_err());
        let malformed = serde_json::json!({ "kind": "send_reminder", "payload": { "appointment": "a" } });
        assert!(serde_json::from_value::<Job>(malformed).is_err());
    }
}
