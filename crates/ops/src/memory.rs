//! Forgetting what the squad remembers.

use serde_json::json;
use store::{audit, memories, Db, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

pub async fn forget(db: &Db, scope: &TenantScope, id: &str) -> Result<(), OpsError> {
    require(scope, Operation::ForgetMemory)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    if !memories::delete(&mut tx, id).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, "memory entry forgotten", &json!({ "id": id })).await?;
    tx.commit().await?;
    Ok(())
}
