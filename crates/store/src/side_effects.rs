//! The side-effect ledger: every call that leaves the building (an email, an SMS, a payment
//! provider) is keyed by an idempotency key. A retried or resumed job finds the key `done` and does
//! not repeat the call; `started` means an earlier attempt may or may not have reached the
//! provider, so the retry passes the same key to the provider to let it deduplicate.

use serde_json::Value;

use crate::rows::{opt_text, text};
use crate::{now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// First time this key is seen: go ahead.
    New,
    /// An earlier attempt started and did not record an outcome.
    Started,
    Done(Value),
    Failed(Value),
}

/// The request an earlier attempt claimed `key` for, if any: a retry keeps the first attempt's
/// decision about what to do.
pub async fn claimed_request(tx: &mut TenantTx, key: &str) -> Result<Option<String>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT request_hash FROM side_effects WHERE org_id = $1 AND idempotency_key = $2")
        .bind(&org)
        .bind(key)
        .fetch_optional(tx.conn())
        .await?;
    row.map(|r| text(&r, "request_hash")).transpose()
}

/// Claims `key` for a side effect of `kind` described by `request_hash`. The same key with a
/// different request is a bug in the caller and refused.
pub async fn begin(tx: &mut TenantTx, key: &str, kind: &str, request_hash: &str) -> Result<Entry, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO side_effects (org_id, idempotency_key, kind, status, request_hash, created_at, updated_at)
         VALUES ($1, $2, $3, 'started', $4, $5, $5) ON CONFLICT (org_id, idempotency_key) DO NOTHING",
    )
    .bind(&org)
    .bind(key)
    .bind(kind)
    .bind(request_hash)
    .bind(now)
    .execute(tx.conn())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Entry::New);
    }
    let row = sqlx::query(
        "SELECT status, request_hash, response FROM side_effects WHERE org_id = $1 AND idempotency_key = $2",
    )
    .bind(&org)
    .bind(key)
    .fetch_one(tx.conn())
    .await?;
    if text(&row, "request_hash")? != request_hash {
        return Err(StoreError::corrupt(format!("side effect {key} was started with a different request")));
    }
    let response = || -> Result<Value, StoreError> {
        opt_text(&row, "response")?
            .map(|r| serde_json::from_str(&r).map_err(StoreError::corrupt))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(match text(&row, "status")?.as_str() {
        "done" => Entry::Done(response()?),
        "failed" => Entry::Failed(response()?),
        _ => Entry::Started,
    })
}

/// Records the outcome of a started side effect.
pub async fn finish(tx: &mut TenantTx, key: &str, succeeded: bool, response: &Value) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE side_effects SET status = $3, response = $4, updated_at = $5 WHERE org_id = $1 AND idempotency_key = $2",
    )
    .bind(&org)
    .bind(key)
    .bind(if succeeded { "done" } else { "failed" })
    .bind(serde_json::to_string(response).map_err(StoreError::corrupt)?)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}
