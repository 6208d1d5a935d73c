//! The audit log: what an entry's detail says about a change, and reading the log newest first.

use serde_json::{json, Map, Value};
use store::audit::{self, AuditEntry};
use store::{Db, StoreError, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

pub const MAX_PAGE: i64 = 200;

/// Serialises a value for an audit entry's detail.
pub(crate) fn detail(value: &impl serde::Serialize) -> Result<Value, OpsError> {
    serde_json::to_value(value).map_err(|e| OpsError::Store(StoreError::Corrupt(e.to_string())))
}

/// `{field: {before, after}}` for each field (and each part of `policies`) that differs.
pub fn changes(before: &impl serde::Serialize, after: &impl serde::Serialize) -> Result<Value, OpsError> {
    let mut out = Map::new();
    diff_fields("", &detail(before)?, &detail(after)?, &mut out);
    Ok(Value::Object(out))
}

fn diff_fields(prefix: &str, before: &Value, after: &Value, out: &mut Map<String, Value>) {
    let (Value::Object(b), Value::Object(a)) = (before, after) else {
        if before != after {
            out.insert(prefix.trim_end_matches('.').to_owned(), json!({ "before": before, "after": after }));
        }
        return;
    };
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    for key in keys {
        let (bv, av) = (b.get(key).unwrap_or(&Value::Null), a.get(key).unwrap_or(&Value::Null));
        if bv == av {
            continue;
        }
        if prefix.is_empty() && key == "policies" {
            diff_fields("policies.", bv, av, out);
        } else {
            out.insert(format!("{prefix}{key}"), json!({ "before": bv, "after": av }));
        }
    }
}

/// One page of entries older than `before` (an entry id), and the cursor for the next page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<String>,
}

pub async fn page(db: &Db, scope: &TenantScope, limit: i64, before: Option<&str>) -> Result<AuditPage, OpsError> {
    require(scope, Operation::ReadAuditLog)?;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(OpsError::validation("limit", format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let mut tx = TenantTx::read(db, scope).await?;
    // One more than asked tells whether another page follows.
    let mut entries = audit::page(&mut tx, limit + 1, before).await?;
    tx.commit().await?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    let next_before = if more { entries.last().map(|e| e.id.clone()) } else { None };
    Ok(AuditPage { entries, next_before })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_each_field_that_differs_with_before_and_after() {
        let before = json!({ "tax_rate_bps": 0, "tone": "friendly", "policies": { "guardrails": { "discounts": "block" }, "models": {} } });
        let after = json!({ "tax_rate_bps": 825, "tone": "friendly", "policies": { "guardrails": { "discounts": "require_approval" }, "models": {} } });
        let changed = changes(&before, &after).unwrap();
        assert_eq!(
            changed,
            json!({
                "tax_rate_bps": { "before": 0, "after": 825 },
                "policies.guardrails": { "before": { "discounts": "block" }, "after": { "discounts": "require_approval" } },
            })
        );
        assert_eq!(changes(&before, &before).unwrap(), json!({}));
    }
}
