//! The people a business serves, as a person edits them.

use domain::CustomerId;
use serde_json::json;
use store::customers::{self, CustomerPatch, CustomerRow, NewCustomer};
use store::{audit, Db, TenantScope, TenantTx};

use crate::audit::changes;
use crate::permissions::{require, Operation};
use crate::OpsError;

pub async fn create(db: &Db, scope: &TenantScope, new: &NewCustomer) -> Result<CustomerRow, OpsError> {
    require(scope, Operation::EditCustomers)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = customers::insert(&mut tx, new).await?;
    audit::record(&mut tx, "customer added", &json!({ "id": row.id })).await?;
    tx.commit().await?;
    Ok(row)
}

/// Contact details are personal data: the audit entry names the fields that changed, not their values.
pub async fn update(
    db: &Db,
    scope: &TenantScope,
    id: CustomerId,
    patch: &CustomerPatch,
) -> Result<CustomerRow, OpsError> {
    require(scope, Operation::EditCustomers)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let before = customers::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let row = customers::update(&mut tx, id, patch).await?.ok_or(OpsError::NotFound)?;
    let changed = changes(&before, &row)?;
    let fields: Vec<&String> =
        changed.as_object().map(|m| m.keys().filter(|k| *k != "updated_at").collect()).unwrap_or_default();
    audit::record(&mut tx, "customer changed", &json!({ "id": id, "fields": fields })).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete(db: &Db, scope: &TenantScope, id: CustomerId) -> Result<(), OpsError> {
    require(scope, Operation::EditCustomers)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    if !customers::delete(&mut tx, id).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, "customer removed", &json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(())
}
