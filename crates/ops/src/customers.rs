//! The people a business serves, as a person edits them.

use domain::{CustomerId, Email};
use serde_json::json;
use store::customers::{self, CustomerPatch, CustomerRow, NewCustomer};
use store::{audit, Db, TenantScope, TenantTx};

use crate::audit::changes;
use crate::permissions::{require, Operation};
use crate::OpsError;

/// A customer's email as a form or the API sends it: blank is none.
pub fn parse_email(raw: Option<String>) -> Result<Option<Email>, OpsError> {
    raw.filter(|e| !e.trim().is_empty())
        .map(|e| Email::parse(&e).map_err(|err| OpsError::validation("email", err)))
        .transpose()
}

/// A customer's phone: blank is none; otherwise a number a person could dial.
pub fn parse_phone(raw: Option<String>) -> Result<Option<String>, OpsError> {
    Ok(raw.filter(|p| !p.trim().is_empty()).map(|p| domain::catalog::parse_phone(&p)).transpose()?)
}

/// Free text of at most `max` characters, trimmed; blank is none.
pub fn parse_text(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, OpsError> {
    let Some(raw) = raw.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else { return Ok(None) };
    if raw.chars().count() > max {
        return Err(OpsError::validation(field, format!("use at most {max} characters")));
    }
    if raw.chars().any(|c| c.is_control() && c != '\n') {
        return Err(OpsError::validation(field, "remove control characters"));
    }
    Ok(Some(raw))
}

/// The longest address, postal code and notes a customer record holds, in characters.
pub const ADDRESS_CHARS: usize = 300;
pub const POSTAL_CODE_CHARS: usize = 16;
pub const NOTES_CHARS: usize = 4000;

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
