//! The squad's vocabulary that other parts of the system store and exchange: which agent acts and
//! what a run is for. Kept here so jobs and stored runs can name them without the agent runtime.

use serde::{Deserialize, Serialize};

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

/// What a run is for. The agent reads it as a trusted line of its opening message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// A new inquiry: qualify, reply, schedule.
    #[default]
    Inquiry,
    /// The customer wrote again about a booked appointment: move it, cancel it, or pass it on.
    CustomerFollowUp,
    /// The job is done: bill it.
    Billing,
    /// A sent invoice is due: check whether it is paid and remind the customer if not.
    PaymentFollowUp,
}

impl Task {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inquiry => "inquiry",
            Self::CustomerFollowUp => "customer_follow_up",
            Self::Billing => "billing",
            Self::PaymentFollowUp => "payment_follow_up",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Inquiry, Self::CustomerFollowUp, Self::Billing, Self::PaymentFollowUp]
            .into_iter()
            .find(|t| t.as_str() == value)
    }

    pub const fn describe(self) -> &'static str {
        match self {
            Self::Inquiry => "a new inquiry to answer, qualify and schedule",
            Self::CustomerFollowUp => {
                "the customer wrote again about their booked appointment; the newest message is last"
            }
            Self::Billing => "the appointment is completed; invoice it",
            Self::PaymentFollowUp => "a sent invoice is due; check the payment and remind the customer if unpaid",
        }
    }
}

/// Where a run of the squad stands. Stored as its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Parked: a guardrail wants a person to approve the next action.
    WaitingApproval,
    /// Parked until the customer answers (an invoice was sent).
    WaitingCustomer,
    /// Parked until the booked job is done.
    WaitingCompletion,
    Done,
    /// Handed to a person.
    Escalated,
}

impl RunStatus {
    pub const ALL: [Self; 6] = [
        Self::Running,
        Self::WaitingApproval,
        Self::WaitingCustomer,
        Self::WaitingCompletion,
        Self::Done,
        Self::Escalated,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::WaitingApproval => "waiting_approval",
            Self::WaitingCustomer => "waiting_customer",
            Self::WaitingCompletion => "waiting_completion",
            Self::Done => "done",
            Self::Escalated => "escalated",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// A run in this state will not go on by itself (it may still be woken if parked).
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Escalated)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

text_enum!(
    /// Where an escalation stands: waiting for a person, decided by one, or decided by its
    /// timeout's fallback (`expired`).
    EscalationStatus { Pending => "pending", Approved => "approved", Rejected => "rejected", Expired => "expired" }
);

text_enum!(
    /// What an escalation's timeout does when nobody decides: approve, reject, or keep waiting.
    TimeoutPolicy { Approve => "approve", Reject => "reject", Keep => "keep" }
);

impl From<crate::policy::Fallback> for TimeoutPolicy {
    fn from(fallback: crate::policy::Fallback) -> Self {
        match fallback {
            crate::policy::Fallback::Approve => Self::Approve,
            crate::policy::Fallback::Reject => Self::Reject,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_text_and_serde() {
        for status in RunStatus::ALL {
            assert_eq!(RunStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        for agent in [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice] {
            assert_eq!(AgentName::parse(agent.as_str()), Some(agent));
        }
        assert_eq!(RunStatus::parse("paused"), None);
    }
}
