//! The onboarding wizard's saved place.

use domain::setup;
use store::{audit, orgs, services, technicians, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// Saves the wizard's place inside a form's own save (`None`: the form was not in the wizard).
pub(crate) async fn advance_in(tx: &mut TenantTx, next: Option<&str>) -> Result<(), OpsError> {
    let Some(next) = next.filter(|n| !n.is_empty()) else { return Ok(()) };
    if !setup::is_place(next) {
        return Err(OpsError::validation("step", "Unknown set-up step."));
    }
    orgs::set_onboarding_step(tx, next).await?;
    Ok(())
}

/// Moves the wizard from `from` to `to` without a form (the list steps, skipping connections,
/// finishing, going back). Leaving the price list or the crew forward needs at least one of each.
pub async fn go_to_step(db: &Db, scope: &TenantScope, from: &str, to: &str) -> Result<(), OpsError> {
    require(scope, Operation::MoveSetupStep)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let forward = setup::step_index(to).is_none_or(|t| setup::step_index(from).is_some_and(|f| t > f));
    if forward && from == "services" && services::list(&mut tx).await?.iter().all(|s| !s.active) {
        return Err(OpsError::validation("step", "Add at least one service so the squad can quote and book."));
    }
    if forward && from == "technicians" && technicians::list(&mut tx).await?.iter().all(|t| !t.active) {
        return Err(OpsError::validation("step", "Add at least one technician so the squad has someone to send."));
    }
    advance_in(&mut tx, Some(to)).await?;
    audit::record(&mut tx, &format!("set-up moved to {to}"), &serde_json::json!({ "from": from, "to": to })).await?;
    tx.commit().await?;
    Ok(())
}
