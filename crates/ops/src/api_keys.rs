//! API keys: how other tools act for the org through the REST API, each with owner or staff rights.

use domain::{ApiKeyId, KeyScope, Role};
use serde_json::json;
use store::api_keys::{self, ApiKeyRow};
use store::{audit, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// A new key: its row and the key itself, shown once and stored only as a hash.
#[derive(Debug)]
pub struct NewKey {
    pub row: ApiKeyRow,
    pub plaintext: String,
}

/// Only a person who is the owner manages keys: a key cannot mint or revoke keys.
fn require_owner_in_person(scope: &TenantScope) -> Result<(), OpsError> {
    require(scope, Operation::ManageApiKeys)?;
    if scope.user_id().is_none() {
        return Err(OpsError::Forbidden);
    }
    Ok(())
}

pub async fn create(
    db: &Db,
    scope: &TenantScope,
    name: &str,
    role: Role,
    key_scope: KeyScope,
) -> Result<NewKey, OpsError> {
    require_owner_in_person(scope)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(OpsError::validation("name", "Give the key a name of up to 80 characters, like \"Zapier\"."));
    }
    let generated = auth::api_key::generate(name);
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = api_keys::insert(&mut tx, &generated.record, role, key_scope).await?;
    let entry = json!({ "id": row.id, "name": row.name, "prefix": row.prefix, "role": role, "scope": key_scope });
    audit::record(&mut tx, &format!("API key created: {}", row.name), &entry).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), api_key_id = %row.id, "API key created");
    Ok(NewKey { row, plaintext: generated.plaintext })
}

pub async fn revoke(db: &Db, scope: &TenantScope, id: ApiKeyId) -> Result<ApiKeyRow, OpsError> {
    require_owner_in_person(scope)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let row = api_keys::revoke(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit::record(&mut tx, &format!("API key revoked: {}", row.name), &json!({ "id": row.id, "name": row.name }))
        .await?;
    tx.commit().await?;
    Ok(row)
}

/// The org's keys, for the owner.
pub async fn list(db: &Db, scope: &TenantScope) -> Result<Vec<ApiKeyRow>, OpsError> {
    require_owner_in_person(scope)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let rows = api_keys::list(&mut tx).await?;
    tx.commit().await?;
    Ok(rows)
}
