//! A person steps into a lead's conversation: takes it over from the squad, writes to the
//! customer, hands it back.

use domain::LeadId;
use serde_json::json;
use store::leads::{self, Author, NewMessage};
use store::{audit, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// The longest message a person may send, in characters.
pub const MAX_REPLY_CHARS: usize = 2000;

/// Takes the conversation over (the squad stops replying to this lead) or hands it back.
pub async fn set_takeover(db: &Db, scope: &TenantScope, lead_id: LeadId, take_over: bool) -> Result<(), OpsError> {
    require(scope, Operation::TakeOverConversation)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    if !leads::set_takeover(&mut tx, lead_id, take_over).await? {
        return Err(OpsError::NotFound);
    }
    let action = if take_over { "conversation taken over" } else { "conversation handed back to the squad" };
    audit::record(&mut tx, action, &json!({ "lead_id": lead_id })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), lead_id = %lead_id, take_over, "owner takeover changed");
    Ok(())
}

/// Writes to the customer on the lead's channel; writing takes the conversation over. The message
/// is recorded and delivered through the same ledger as the squad's.
pub async fn reply(db: &Db, scope: &TenantScope, lead_id: LeadId, body: &str) -> Result<(), OpsError> {
    require(scope, Operation::ReplyToCustomer)?;
    let body = body.trim();
    if body.is_empty() {
        return Err(OpsError::validation("body", "Write the message first."));
    }
    if body.chars().count() > MAX_REPLY_CHARS {
        return Err(OpsError::validation("body", "Keep the message under 2,000 characters."));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let lead = leads::get(&mut tx, lead_id).await?.ok_or(OpsError::NotFound)?;
    let message =
        NewMessage { author: Author::Human, ..NewMessage::from_agent(lead_id, lead.channel, body.to_owned()) };
    let message_id = leads::insert_message(&mut tx, &message).await?;
    leads::set_takeover(&mut tx, lead_id, true).await?;
    leads::mark_first_response(&mut tx, lead_id).await?;
    audit::record(&mut tx, "replied to the customer", &json!({ "lead_id": lead_id, "message_id": message_id })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), lead_id = %lead_id, "owner replied");
    Ok(())
}
