//! The price list and the crew: what the business sells and who does the work.

use domain::catalog::{ServiceInput, TechnicianInput};
use domain::work::{Trade, CATALOGUE, SHOP_PREFIX};
use domain::{ServiceId, TechnicianId};
use serde_json::json;
use store::services::{self, ServiceRow};
use store::technicians::{self, TechnicianRow};
use store::{audit, work_kinds, Db, StoreError, TenantScope, TenantTx};

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

/// Saves the kind of work of the shop's own that `input` defines, or checks that the one its
/// `skill` names exists: a service always points at a kind the squad can recognise.
async fn kind_of_work(tx: &mut TenantTx, input: &ServiceInput) -> Result<(), OpsError> {
    if let Some(kind) = input.shop_kind()? {
        work_kinds::save(tx, &kind).await?;
        audit::record(tx, &format!("kind of work saved: {}", kind.name), &detail(&kind)?).await?;
        return Ok(());
    }
    match input.skill.as_deref() {
        Some(key) if key.starts_with(SHOP_PREFIX) && work_kinds::get(tx, key).await?.is_none() => {
            Err(OpsError::validation(
                "skill",
                format!("`{key}` is not one of your kinds of work; GET /api/v1/work-kinds lists them"),
            ))
        }
        _ => Ok(()),
    }
}

/// A kind of work a service can be for: from the catalogue, or one of the shop's own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KindOfWork {
    pub key: String,
    pub trade: Trade,
    pub trade_name: &'static str,
    pub name: String,
    pub words: Vec<String>,
    /// `catalogue` or `shop`.
    pub source: &'static str,
}

/// The work catalogue, then the shop's own kinds of work.
pub async fn work_kinds(db: &Db, scope: &TenantScope) -> Result<Vec<KindOfWork>, OpsError> {
    require(scope, Operation::ReadRecords)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let own = work_kinds::list(&mut tx).await?;
    tx.commit().await?;
    let catalogue = CATALOGUE.iter().map(|kind| KindOfWork {
        key: kind.key.to_owned(),
        trade: kind.trade,
        trade_name: kind.trade.name(),
        name: kind.name.to_owned(),
        words: kind.words.iter().map(|w| (*w).to_owned()).collect(),
        source: "catalogue",
    });
    let own = own.into_iter().map(|kind| KindOfWork {
        trade_name: kind.trade.name(),
        key: kind.key,
        trade: kind.trade,
        name: kind.name,
        words: kind.words,
        source: "shop",
    });
    Ok(catalogue.chain(own).collect())
}

pub async fn create_service(db: &Db, scope: &TenantScope, input: ServiceInput) -> Result<ServiceRow, OpsError> {
    require(scope, Operation::EditPriceList)?;
    let input = input.validate()?;
    let mut tx = TenantTx::begin(db, scope).await?;
    kind_of_work(&mut tx, &input).await?;
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
    kind_of_work(&mut tx, &input).await?;
    let row = services::replace(&mut tx, id, &input).await.map_err(duplicate_service)?.ok_or(OpsError::NotFound)?;
    let changed = changes(&before, &row)?;
    audit::record(&mut tx, &format!("service changed: {}", row.name), &json!({ "id": id, "changed": changed })).await?;
    tx.commit().await?;
    Ok(row)
}

/// What a person changes on a service already on the price list; its kind of work stays.
#[derive(Debug, Clone)]
pub struct ServiceEdit {
    pub name: String,
    pub price_cents: i64,
    pub duration_minutes: i64,
    pub emergency_fee_cents: i64,
    pub taxable: bool,
}

/// Changes a service's name, price, duration, emergency fee and tax, keeping the rest.
pub async fn edit_service(
    db: &Db,
    scope: &TenantScope,
    id: ServiceId,
    edit: ServiceEdit,
) -> Result<ServiceRow, OpsError> {
    require(scope, Operation::EditPriceList)?;
    let current = {
        let mut tx = TenantTx::read(db, scope).await?;
        let row = services::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
        tx.commit().await?;
        row
    };
    let input = ServiceInput {
        name: edit.name,
        pricing: current.pricing,
        price_cents: edit.price_cents,
        duration_minutes: edit.duration_minutes,
        emergency_fee_cents: edit.emergency_fee_cents,
        taxable: edit.taxable,
        skill: current.skill,
        active: current.active,
        kind_name: None,
        trade: None,
        words: Vec::new(),
    };
    replace_service(db, scope, id, input).await
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

/// Changes a technician's name, email and kinds of work, keeping their hours and calendar.
pub async fn edit_technician(
    db: &Db,
    scope: &TenantScope,
    id: TechnicianId,
    name: String,
    email: Option<String>,
    skills: Vec<String>,
) -> Result<TechnicianRow, OpsError> {
    require(scope, Operation::EditTechnicians)?;
    let current = {
        let mut tx = TenantTx::read(db, scope).await?;
        let row = technicians::get(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
        tx.commit().await?;
        row
    };
    let input = TechnicianInput {
        name,
        email,
        phone: current.phone,
        skills,
        working_hours: current.working_hours,
        calendar_id: current.calendar_id,
        active: current.active,
    };
    replace_technician(db, scope, id, input).await
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
