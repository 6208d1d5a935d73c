//! Changing how the business runs. Every change reads the settings locked, applies one section or
//! the whole, validates the result, checks that the actor may change each part that differs, and
//! saves it with an audit entry of what changed from what — so two saves at the same moment both
//! land and a staff member cannot slip a budget change into an ordinary form.

use domain::catalog::BusinessSettings;
use domain::schedule::TimeZone;
use domain::OrgName;
use serde_json::{json, Value};
use store::{audit, orgs, settings, Db, TenantScope, TenantTx};

use crate::audit::changes;
use crate::permissions::{require, Operation};
use crate::{setup, OpsError};

/// Which operations a change from `before` to `after` performs.
pub fn operations_for(before: &BusinessSettings, after: &BusinessSettings) -> Vec<Operation> {
    let mut ops = Vec::new();
    fn details(s: &BusinessSettings) -> impl PartialEq + '_ {
        (
            s.time_zone.as_str(),
            &s.weekly_hours,
            &s.holidays,
            &s.service_area,
            s.booking_buffer_minutes,
            &s.reminder_offsets_minutes,
            &s.tone,
            &s.currency,
            s.tax_rate_bps,
            s.payment_terms_days,
        )
    }
    if details(before) != details(after) {
        ops.push(Operation::ChangeBusinessDetails);
    }
    if (before.run_budget_micros, before.daily_budget_micros) != (after.run_budget_micros, after.daily_budget_micros) {
        ops.push(Operation::ChangeBudgets);
    }
    if before.invoice_approval_above_cents != after.invoice_approval_above_cents {
        ops.push(Operation::ChangeInvoiceThreshold);
    }
    let (b, a) = (&before.policies, &after.policies);
    if b.guardrails != a.guardrails || b.escalation_timeouts != a.escalation_timeouts {
        ops.push(Operation::ChangeGuardrails);
    }
    if b.models != a.models {
        ops.push(Operation::ChangeModels);
    }
    ops
}

/// One change of the settings inside `tx`: `section` is the operation the form or request stands
/// for (checked even when nothing differs), `apply` the change.
async fn change_in(
    tx: &mut TenantTx,
    section: Operation,
    apply: impl FnOnce(&mut BusinessSettings) -> Result<(), OpsError>,
) -> Result<(BusinessSettings, Value), OpsError> {
    let scope = tx.scope().clone();
    require(&scope, section)?;
    let before = settings::get_for_update(tx).await?;
    let mut after = before.clone();
    apply(&mut after)?;
    for op in operations_for(&before, &after) {
        require(&scope, op)?;
    }
    let after = after.validate()?;
    settings::put(tx, &after).await?;
    let changed = changes(&before, &after)?;
    Ok((after, changed))
}

/// Changes one section of the settings (a dashboard form). `next_step` saves the wizard's place
/// when the form is part of it.
pub async fn change(
    db: &Db,
    scope: &TenantScope,
    section: Operation,
    action: &str,
    next_step: Option<&str>,
    apply: impl FnOnce(&mut BusinessSettings) -> Result<(), OpsError>,
) -> Result<BusinessSettings, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let (saved, changed) = change_in(&mut tx, section, apply).await?;
    audit::record(&mut tx, action, &json!({ "changed": changed })).await?;
    setup::advance_in(&mut tx, next_step).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), action, "settings changed");
    Ok(saved)
}

/// Replaces the settings as a whole (`PUT /api/v1/settings`); each part that differs needs its
/// own permission.
pub async fn replace(db: &Db, scope: &TenantScope, new: BusinessSettings) -> Result<BusinessSettings, OpsError> {
    change(db, scope, Operation::ChangeBusinessDetails, "settings replaced", None, |s| {
        *s = new;
        Ok(())
    })
    .await
}

/// The business's name and time zone.
pub async fn change_profile(
    db: &Db,
    scope: &TenantScope,
    name: &OrgName,
    zone: TimeZone,
    next_step: Option<&str>,
) -> Result<(), OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let before = orgs::current(&mut tx).await?.name;
    let (_, mut changed) = change_in(&mut tx, Operation::ChangeBusinessDetails, |s| {
        s.time_zone = zone;
        Ok(())
    })
    .await?;
    orgs::rename(&mut tx, name).await?;
    if before != name.as_str() {
        changed["business_name"] = json!({ "before": before, "after": name.as_str() });
    }
    audit::record(&mut tx, "profile updated", &json!({ "changed": changed })).await?;
    setup::advance_in(&mut tx, next_step).await?;
    tx.commit().await?;
    Ok(())
}

/// The settings as they are now.
pub async fn get(db: &Db, scope: &TenantScope) -> Result<BusinessSettings, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let current = settings::get(&mut tx).await?;
    tx.commit().await?;
    Ok(current)
}
