//! Deciding an escalation: what happens to the lead and its run. Shared by a person's decision
//! (the approvals inbox, `POST /api/v1/escalations/{id}/decision`) and the timeout fallback the
//! worker applies. Deciding an `approval` — an action a guardrail parked for the owner — is the
//! owner's; staff decide the others.

use domain::jobs::{Job, RunSquad};
use domain::pipeline::{Stage, WaitingOn};
use domain::policy::Fallback;
use domain::squad::{AgentName, EscalationStatus};
use domain::LeadId;
use serde_json::json;
use store::escalations::{self, EscalationRow};
use store::jobs::{self, NewJob};
use store::{audit, leads, Db, StoreError, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// The longest note a person may leave with a decision, in characters.
const MAX_NOTE_CHARS: usize = 1000;

/// Who decided and how it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecidedBy {
    /// The scope's user (or API key).
    Person,
    /// Nobody decided in time; the kind's fallback was applied (recorded as `expired`).
    Timeout,
}

/// What a decision did to the lead and its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The parked run or the lead's scheduling carries on.
    Resumed,
    /// The parked run learns the answer was no.
    Declined,
    /// The lead is closed.
    Closed,
    /// Nothing for the squad to do; a person has it in hand.
    Acknowledged,
}

/// The operation deciding this escalation is.
fn operation_for(escalation: &EscalationRow) -> Operation {
    if escalation.kind == "approval" {
        Operation::DecideApproval
    } else {
        Operation::DecideEscalation
    }
}

/// Whether approving an escalation about `lead` hands it back to the Scheduler: it is qualified
/// (score 4 or more, a service on the price list) and not yet booked.
pub fn resumes_scheduling(lead: &store::leads::LeadRow) -> bool {
    matches!(lead.stage, Stage::Escalated | Stage::Qualifying | Stage::Scheduling)
        && lead.score.is_some_and(|s| s >= 4)
        && lead.service_id.is_some()
}

/// A person approves or rejects escalation `id` with an optional note.
pub async fn decide(
    db: &Db,
    scope: &TenantScope,
    id: &str,
    approve: bool,
    note: Option<String>,
) -> Result<Outcome, OpsError> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(OpsError::validation("note", "Keep the note under 1,000 characters."));
    }
    apply(db, scope, id, approve, note.as_deref(), DecidedBy::Person).await
}

/// Records the decision once, with its audit entry, and applies it:
/// - an approval a parked run asked for: the run resumes and learns the answer (`resumed`/`declined`);
/// - approving a qualified, unbooked lead: scheduling resumes (`resumed`);
/// - approving anything else: the owner has it in hand (`acknowledged`): an escalated lead moves
///   back to Qualifying with the conversation taken over;
/// - rejecting: an unbooked lead is closed (`closed`), a booked one just acknowledged.
async fn apply(
    db: &Db,
    scope: &TenantScope,
    id: &str,
    approve: bool,
    note: Option<&str>,
    by: DecidedBy,
) -> Result<Outcome, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let outcome = apply_in(&mut tx, scope, id, approve, note, by).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), escalation_id = %id, approve, ?outcome, "escalation decided");
    Ok(outcome)
}

/// A person's decision taken inside another operation's transaction (voiding an invoice rejects
/// the approval that asked to send it).
pub(crate) async fn decide_in(
    tx: &mut TenantTx,
    scope: &TenantScope,
    id: &str,
    approve: bool,
    note: &str,
) -> Result<Outcome, OpsError> {
    apply_in(tx, scope, id, approve, Some(note), DecidedBy::Person).await
}

async fn apply_in(
    tx: &mut TenantTx,
    scope: &TenantScope,
    id: &str,
    approve: bool,
    note: Option<&str>,
    by: DecidedBy,
) -> Result<Outcome, OpsError> {
    let escalation = escalations::get(tx, id).await?.ok_or(OpsError::NotFound)?;
    if by == DecidedBy::Person {
        require(scope, operation_for(&escalation))?;
    }
    let (status, user) = match by {
        DecidedBy::Person => {
            (if approve { EscalationStatus::Approved } else { EscalationStatus::Rejected }, scope.user_id())
        }
        DecidedBy::Timeout => (EscalationStatus::Expired, None),
    };
    if !escalations::decide_as(tx, id, status, note, user).await? {
        return Err(OpsError::conflict_on("decision", format!("This escalation was already {}.", escalation.status)));
    }
    let lead_id = LeadId::parse(&escalation.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let resume = |run: RunSquad| NewJob {
        job: Job::RunSquad(run),
        run_at: None,
        max_attempts: 8,
        idempotency_key: format!("decision:{id}"),
    };
    let outcome = if let (Some(run_id), "approval") = (escalation.run_id.as_deref(), escalation.kind.as_str()) {
        leads::set_waiting_on(tx, lead_id, WaitingOn::None).await?;
        let run = RunSquad { resume_run: Some(run_id.to_owned()), ..RunSquad::for_lead(lead_id) };
        jobs::enqueue(tx, &resume(run)).await?;
        if approve {
            Outcome::Resumed
        } else {
            Outcome::Declined
        }
    } else {
        let lead = leads::get(tx, lead_id).await?.ok_or(OpsError::NotFound)?;
        let resumable = resumes_scheduling(&lead);
        let finished = lead.stage.is_booked_or_later();
        match (approve, resumable, finished) {
            (true, true, _) => {
                leads::set_stage(tx, lead_id, Stage::Qualifying, WaitingOn::None).await?;
                let run = RunSquad { start_with: Some(AgentName::Scheduler), ..RunSquad::for_lead(lead_id) };
                jobs::enqueue(tx, &resume(run)).await?;
                Outcome::Resumed
            }
            (true, false, _) | (false, _, true) => {
                // A person has it in hand: an escalated lead leaves "Needs you" and the squad stays
                // out of its conversation until someone hands it back. A timeout is nobody's hand:
                // the lead stays where the owner will see it.
                if lead.stage == Stage::Escalated && by == DecidedBy::Person {
                    leads::set_stage(tx, lead_id, Stage::Qualifying, WaitingOn::None).await?;
                    leads::set_takeover(tx, lead_id, true).await?;
                } else {
                    leads::set_waiting_on(tx, lead_id, WaitingOn::None).await?;
                }
                Outcome::Acknowledged
            }
            (false, _, false) => {
                leads::set_stage(tx, lead_id, Stage::Disqualified, WaitingOn::None).await?;
                Outcome::Closed
            }
        }
    };
    let action = format!("escalation {status}: {}", escalation.kind);
    let entry = json!({ "id": id, "lead_id": lead_id, "kind": escalation.kind, "note": note, "outcome": outcome });
    audit::record(tx, &action, &entry).await?;
    Ok(outcome)
}

/// Applies the fallback to every escalation past its timeout; returns how many.
pub async fn expire_due(db: &Db) -> Result<usize, StoreError> {
    let due = escalations::due_for_timeout(db, 100).await?;
    let mut applied = 0;
    for store::escalations::DueEscalation { scope, id, fallback } in due {
        let approve = fallback == Fallback::Approve;
        let note = format!("No decision within the time limit; applied the fallback: {}.", fallback.as_str());
        match apply(db, &scope, &id, approve, Some(&note), DecidedBy::Timeout).await {
            Ok(_) | Err(OpsError::Conflict { .. } | OpsError::NotFound) => applied += 1,
            Err(OpsError::Store(err)) => return Err(err),
            Err(other) => return Err(StoreError::Corrupt(format!("escalation {id} could not time out: {other}"))),
        }
    }
    Ok(applied)
}
