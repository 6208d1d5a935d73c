//! Deciding an escalation: what happens to the lead and its run. Shared by the owner's decision
//! (`POST /api/v1/escalations/{id}/decision`) and the timeout fallback the worker applies.

use domain::pipeline::{Stage, WaitingOn};
use domain::{LeadId, UserId};
use serde_json::json;
use store::escalations;
use store::jobs::{self, NewJob};
use store::{leads, Db, StoreError, TenantScope, TenantTx};

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("no such escalation")]
    NotFound,
    #[error("this escalation was already {0}")]
    AlreadyDecided(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The longest note a person may leave with a decision, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// A decision's note, trimmed (`None` when blank); `Err` when it is longer than [`MAX_NOTE_CHARS`].
pub fn clean_note(note: Option<String>) -> Result<Option<String>, NoteTooLong> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(NoteTooLong);
    }
    Ok(note)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteTooLong;

/// Who decided and how it is recorded.
#[derive(Debug, Clone, Copy)]
pub enum DecidedBy {
    Person(Option<UserId>),
    /// Nobody decided in time; the kind's fallback was applied (recorded as `expired`).
    Timeout,
}

/// Records the decision once and applies it:
/// - an approval a parked run asked for: the run resumes and learns the answer (`resumed`/`declined`);
/// - approving a qualified, unbooked lead: scheduling resumes (`resumed`);
/// - approving anything else: the owner has it in hand (`acknowledged`);
/// - rejecting: an unbooked lead is closed (`closed`), a booked one just acknowledged.
pub async fn apply(
    db: &Db,
    scope: &TenantScope,
    id: &str,
    approve: bool,
    note: Option<&str>,
    by: DecidedBy,
) -> Result<&'static str, DecisionError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let escalation = escalations::get(&mut tx, id).await?.ok_or(DecisionError::NotFound)?;
    let (status, user) = match by {
        DecidedBy::Person(user) => (if approve { "approved" } else { "rejected" }, user),
        DecidedBy::Timeout => ("expired", None),
    };
    if !escalations::decide_as(&mut tx, id, status, note, user).await? {
        return Err(DecisionError::AlreadyDecided(escalation.status));
    }
    let lead_id = LeadId::parse(&escalation.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let resume = |payload: serde_json::Value| NewJob {
        kind: "run_squad".to_owned(),
        payload,
        run_at: None,
        max_attempts: 8,
        idempotency_key: format!("decision:{id}"),
    };
    let outcome = if let (Some(run_id), "approval") = (escalation.run_id.as_deref(), escalation.kind.as_str()) {
        leads::set_waiting_on(&mut tx, lead_id, WaitingOn::None).await?;
        jobs::enqueue(&mut tx, &resume(json!({ "lead_id": lead_id, "resume_run": run_id }))).await?;
        if approve {
            "resumed"
        } else {
            "declined"
        }
    } else {
        let lead = leads::get(&mut tx, lead_id).await?.ok_or(DecisionError::NotFound)?;
        let resumable = matches!(lead.stage, Stage::Escalated | Stage::Qualifying | Stage::Scheduling)
            && lead.score.is_some_and(|s| s >= 4)
            && lead.service_id.is_some();
        let finished = matches!(lead.stage, Stage::Booked | Stage::Completed | Stage::Invoiced | Stage::Paid);
        match (approve, resumable, finished) {
            (true, true, _) => {
                leads::set_stage(&mut tx, lead_id, Stage::Qualifying, WaitingOn::None).await?;
                jobs::enqueue(&mut tx, &resume(json!({ "lead_id": lead_id, "start_with": "scheduler" }))).await?;
                "resumed"
            }
            (true, false, _) | (false, _, true) => {
                leads::set_waiting_on(&mut tx, lead_id, WaitingOn::None).await?;
                "acknowledged"
            }
            (false, _, false) => {
                leads::set_stage(&mut tx, lead_id, Stage::Disqualified, WaitingOn::None).await?;
                "closed"
            }
        }
    };
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), escalation_id = %id, approve, outcome, "escalation decided");
    Ok(outcome)
}

/// Applies the fallback to every escalation past its timeout; returns how many.
pub async fn expire_due(db: &Db) -> Result<usize, StoreError> {
    let due = escalations::due_for_timeout(db, 100).await?;
    let mut applied = 0;
    for (org, id, policy) in due {
        // The worker acts for the org that owns the row it just read.
        let scope = TenantScope::from_verified_credential(org, None, domain::Role::Owner);
        let approve = policy == "approve";
        let note = format!("No decision within the time limit; applied the fallback: {policy}.");
        match apply(db, &scope, &id, approve, Some(&note), DecidedBy::Timeout).await {
            Ok(_) | Err(DecisionError::AlreadyDecided(_) | DecisionError::NotFound) => applied += 1,
            Err(DecisionError::Store(err)) => return Err(err),
        }
    }
    Ok(applied)
}
