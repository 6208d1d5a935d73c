//! The price list and the crew: what the business sells and who does the work.

use domain::catalog::{ServiceInput, TechnicianInput};
use domain::{ServiceId, TechnicianId};
use serde_json::json;
use store::services::{self, ServiceRow};
use store::technicians::{self, TechnicianRow};
use store::{audit, Db, StoreError, TenantScope, TenantTx};

use crate::audit::{changes, detail};
use crate::permissions::{require, Operation};
use crate::OpsError;

const DUPLICATE_SERVICE: &str = "A service with this name is already on your price list.";
const TECHNICIAN_IN_USE: &str = "This technician has appointments; mark them inactive instead of removing them.";

fn duplicate_service(err: StoreError) -> OpsError {
    match err {
        StoreError::Conflict { .. } => OpsError::conflict_on("name", DUPLICATE_SERVICE),
        other => other.into(),
    }
}

pub async fn create_service(db: &Db, scope: &TenantScope, input: ServiceInput) -> Result<ServiceRow, OpsError> {
    require(scope, Operation::EditPriceList)?;
    let input = input.validate()?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = services::insert(&mut tx, &input).await.map_err(duplicate_service)?;
    audit::record(&mut tx, &format!("service added: {}", row.name), &detail(&row)?).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn replace_service(
    db: &Db,
    scope: &TenantScope,
    id: ServiceId,
    input: ServiceInput,
) -> Result<ServiceRow, OpsError> {
    require(scope, Operation::EditPriceList)?;
    let input = input.validate()?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let before = services::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let row = services::replace(&mut tx, id, &input).await.map_err(duplicate_service)?.ok_or(OpsError::NotFound)?;
    let changed = changes(&before, &row)?;
    audit::record(&mut tx, &format!("service changed: {}", row.name), &json!({ "id": id, "changed": changed })).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete_service(db: &Db, scope: &TenantScope, id: ServiceId) -> Result<(), OpsError> {
    require(scope, Operation::EditPriceList)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = services::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    if !services::delete(&mut tx, id).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, &format!("service removed: {}", row.name), &json!({ "id": id, "name": row.name })).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_technician(
    db: &Db,
    scope: &TenantScope,
    input: TechnicianInput,
) -> Result<TechnicianRow, OpsError> {
    require(scope, Operation::EditTechnicians)?;
    let input = input.validate()?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = technicians::insert(&mut tx, &input).await?;
    audit::record(&mut tx, &format!("technician added: {}", row.name), &detail(&row)?).await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn replace_technician(
    db: &Db,
    scope: &TenantScope,
    id: TechnicianId,
    input: TechnicianInput,
) -> Result<TechnicianRow, OpsError> {
    require(scope, Operation::EditTechnicians)?;
    let input = input.validate()?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let before = technicians::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let row = technicians::replace(&mut tx, id, &input).await?.ok_or(OpsError::NotFound)?;
    let changed = changes(&before, &row)?;
    audit::record(&mut tx, &format!("technician changed: {}", row.name), &json!({ "id": id, "changed": changed }))
        .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn delete_technician(db: &Db, scope: &TenantScope, id: TechnicianId) -> Result<(), OpsError> {
    require(scope, Operation::EditTechnicians)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = technicians::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    let deleted = technicians::delete(&mut tx, id).await.map_err(|err| match err {
        StoreError::Conflict { .. } => OpsError::conflict(TECHNICIAN_IN_USE),
        other => other.into(),
    })?;
    if !deleted {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, &format!("technician removed: {}", row.name), &json!({ "id": id, "name": row.name }))
        .await?;
    tx.commit().await?;
    Ok(())
}
