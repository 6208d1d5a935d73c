//! Who may do what: the one table of operations, the least role each needs and the API-key scopes
//! that reach it. Both the REST API and the dashboard go through the operations in this crate,
//! which check it first.

use domain::{KeyScope, Role};
use store::TenantScope;

use crate::OpsError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Name, time zone, hours, holidays, service area, booking buffer, reminders, tax, terms.
    ChangeBusinessDetails,
    /// What the squad may spend per run and per day.
    ChangeBudgets,
    /// Above which total an invoice waits for a person.
    ChangeInvoiceThreshold,
    /// Guardrails and what happens to an escalation nobody decides.
    ChangeGuardrails,
    /// Which model each agent thinks with.
    ChangeModels,
    EditPriceList,
    EditTechnicians,
    EditCustomers,
    /// Move the onboarding wizard on.
    MoveSetupStep,
    /// Put an inquiry in front of the squad (API, test inquiry).
    AcceptInquiry,
    /// Hand in an inquiry whose sender the caller says it verified (an integration that checked
    /// the contact itself): the message may continue that customer's thread and booking.
    VouchForSender,
    /// Decide an escalation of any kind but `approval`.
    DecideEscalation,
    /// Decide an `approval` escalation: a guardrail parked the squad's action for the owner.
    DecideApproval,
    /// Book a lead's job by hand, move or cancel an appointment.
    ManageBookings,
    CompleteAppointment,
    RecordPayment,
    /// Withdraw an invoice that has no payment on it.
    VoidInvoice,
    /// Make a fresh pay link for a sent invoice, to pass on to the customer.
    SharePayLink,
    TakeOverConversation,
    ReplyToCustomer,
    ForgetMemory,
    ManageTeam,
    ManageApiKeys,
    ManageIntegrations,
    /// Turn the booking page (and chat widget) on or off and choose what they offer.
    ManageChannels,
    ReadAuditLog,
    /// Be emailed at once when a lead needs a person (and turn those emails on or off).
    ReceiveOwnerAlerts,
    /// Read the pipeline, customers, invoices, escalations, settings and live events.
    ReadRecords,
}

impl Operation {
    pub const ALL: [Self; 28] = [
        Self::ChangeBusinessDetails,
        Self::ChangeBudgets,
        Self::ChangeInvoiceThreshold,
        Self::ChangeGuardrails,
        Self::ChangeModels,
        Self::EditPriceList,
        Self::EditTechnicians,
        Self::EditCustomers,
        Self::MoveSetupStep,
        Self::AcceptInquiry,
        Self::VouchForSender,
        Self::DecideEscalation,
        Self::DecideApproval,
        Self::ManageBookings,
        Self::CompleteAppointment,
        Self::RecordPayment,
        Self::VoidInvoice,
        Self::SharePayLink,
        Self::TakeOverConversation,
        Self::ReplyToCustomer,
        Self::ForgetMemory,
        Self::ManageTeam,
        Self::ManageApiKeys,
        Self::ManageIntegrations,
        Self::ManageChannels,
        Self::ReadAuditLog,
        Self::ReceiveOwnerAlerts,
        Self::ReadRecords,
    ];

    /// The least role that may perform the operation. Owner-only: whatever decides what the squad
    /// may spend or do with customers' money, and who can act for the business.
    pub const fn least_role(self) -> Role {
        match self {
            Self::ChangeBudgets
            | Self::ChangeInvoiceThreshold
            | Self::ChangeGuardrails
            | Self::ChangeModels
            | Self::DecideApproval
            | Self::VoidInvoice
            | Self::ManageTeam
            | Self::ManageApiKeys
            | Self::ManageIntegrations
            | Self::ManageChannels
            | Self::ReadAuditLog
            | Self::ReceiveOwnerAlerts => Role::Owner,
            Self::ChangeBusinessDetails
            | Self::EditPriceList
            | Self::EditTechnicians
            | Self::EditCustomers
            | Self::MoveSetupStep
            | Self::AcceptInquiry
            | Self::VouchForSender
            | Self::DecideEscalation
            | Self::ManageBookings
            | Self::CompleteAppointment
            | Self::RecordPayment
            | Self::SharePayLink
            | Self::TakeOverConversation
            | Self::ReplyToCustomer
            | Self::ForgetMemory
            | Self::ReadRecords => Role::Staff,
        }
    }

    /// Whether an API key of this scope may perform the operation at all (its role decides
    /// next). A form's `inbound` key hands in inquiries and cannot vouch for their senders; a
    /// `read` key reads.
    pub const fn reachable_with(self, scope: KeyScope) -> bool {
        match scope {
            KeyScope::Full => true,
            KeyScope::Read => matches!(self, Self::ReadRecords | Self::ReadAuditLog),
            KeyScope::Inbound => matches!(self, Self::AcceptInquiry),
        }
    }

    pub const fn allows(self, role: Role) -> bool {
        match self.least_role() {
            Role::Owner => matches!(role, Role::Owner),
            Role::Staff => true,
        }
    }
}

/// `Forbidden` unless the scope's role may perform `operation` and its key's scope reaches it.
pub fn require(scope: &TenantScope, operation: Operation) -> Result<(), OpsError> {
    if operation.allows(scope.role()) && operation.reachable_with(scope.key_scope()) {
        Ok(())
    } else {
        tracing::info!(org_id = %scope.org_id(), role = %scope.role(), key_scope = %scope.key_scope(), ?operation, "operation refused for this credential");
        Err(OpsError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_may_do_everything_and_staff_not_what_governs_money_or_people() {
        for op in Operation::ALL {
            assert!(op.allows(Role::Owner), "{op:?}");
        }
        let owner_only: Vec<_> = Operation::ALL.into_iter().filter(|op| !op.allows(Role::Staff)).collect();
        assert_eq!(
            owner_only,
            [
                Operation::ChangeBudgets,
                Operation::ChangeInvoiceThreshold,
                Operation::ChangeGuardrails,
                Operation::ChangeModels,
                Operation::DecideApproval,
                Operation::VoidInvoice,
                Operation::ManageTeam,
                Operation::ManageApiKeys,
                Operation::ManageIntegrations,
                Operation::ManageChannels,
                Operation::ReadAuditLog,
                Operation::ReceiveOwnerAlerts,
            ]
        );
    }

    #[test]
    fn an_inbound_key_only_hands_in_inquiries_and_a_read_key_only_reads() {
        let reach = |scope| Operation::ALL.into_iter().filter(|op| op.reachable_with(scope)).collect::<Vec<_>>();
        assert_eq!(reach(KeyScope::Inbound), [Operation::AcceptInquiry], "not VouchForSender");
        assert_eq!(reach(KeyScope::Read), [Operation::ReadAuditLog, Operation::ReadRecords]);
        assert_eq!(reach(KeyScope::Full).len(), Operation::ALL.len());
    }
}
