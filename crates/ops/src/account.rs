//! A signed-in person's own account: the name they go by and their password. Changing the
//! password ends every session of theirs; the caller starts a fresh one for the browser in hand.

use domain::{Password, PersonName, UserId};
use serde_json::json;
use store::{audit, sessions, users, Db, TenantScope, TenantTx};

use crate::OpsError;

/// The person behind the scope; an API key has no account to change.
fn person(scope: &TenantScope) -> Result<UserId, OpsError> {
    scope.user_id().ok_or(OpsError::Forbidden)
}

/// Sets the name the person goes by; blank clears it.
pub async fn rename(db: &Db, scope: &TenantScope, name: &str) -> Result<(), OpsError> {
    let user = person(scope)?;
    let name = match name.trim() {
        "" => None,
        given => Some(PersonName::parse(given).map_err(|e| OpsError::validation("name", e))?),
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    if !users::set_name(&mut tx, user, name.as_ref().map(PersonName::as_str)).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, "name changed", &json!({ "user_id": user })).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the person's password after checking the current one, and ends all their sessions.
pub async fn change_password(db: &Db, scope: &TenantScope, current: &str, new: &str) -> Result<(), OpsError> {
    let user = person(scope)?;
    let new = Password::parse(new).map_err(|e| OpsError::validation("new_password", e))?;
    if new.expose() == current {
        return Err(OpsError::validation("new_password", "choose a password different from the current one"));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let stored = users::password_hash(&mut tx, user).await?;
    let matches =
        auth::password::verify(stored, current).await.map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    if !matches {
        return Err(OpsError::validation("current_password", "that is not your current password"));
    }
    let hash = auth::password::hash(&new).await.map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    users::set_password_hash(&mut tx, user, &hash).await?;
    sessions::delete_for_user(&mut tx, user).await?;
    audit::record(&mut tx, "password changed", &json!({ "user_id": user })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), user_id = %user, "password changed; sessions ended");
    Ok(())
}
