//! A shop's own kinds of work (`domain::work::ShopKind`), beside the built-in work catalogue.

use domain::work::{ShopKind, Trade};
use sqlx::any::AnyRow;

use crate::rows::{stored, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

fn from_row(row: &AnyRow) -> Result<ShopKind, StoreError> {
    let words = serde_json::from_str(&text(row, "words")?).map_err(|e| StoreError::corrupt(format!("words: {e}")))?;
    Ok(ShopKind { key: text(row, "key")?, trade: stored(row, "trade", Trade::parse)?, name: text(row, "name")?, words })
}

/// Saves `kind` under its key: a new kind, or the latest name, trade and words of one the shop
/// already defined.
pub async fn save(tx: &mut TenantTx, kind: &ShopKind) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let words = serde_json::to_string(&kind.words).map_err(StoreError::corrupt)?;
    let now = now_ms();
    let updated = sqlx::query(
        "UPDATE shop_work_kinds SET trade = $1, name = $2, words = $3, updated_at = $4 WHERE org_id = $5 AND key = $6",
    )
    .bind(kind.trade.as_str())
    .bind(&kind.name)
    .bind(&words)
    .bind(now)
    .bind(&org)
    .bind(&kind.key)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if updated == 0 {
        sqlx::query(
            "INSERT INTO shop_work_kinds (id, org_id, key, trade, name, words, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(new_id().to_string())
        .bind(&org)
        .bind(&kind.key)
        .bind(kind.trade.as_str())
        .bind(&kind.name)
        .bind(&words)
        .bind(now)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

pub async fn get(tx: &mut TenantTx, key: &str) -> Result<Option<ShopKind>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT id, key, trade, name, words FROM shop_work_kinds WHERE org_id = $1 AND key = $2")
        .bind(&org)
        .bind(key)
        .fetch_optional(tx.conn())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The shop's own kinds, by name.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<ShopKind>, StoreError> {
    let org = tx.org().to_owned();
    let rows =
        sqlx::query("SELECT id, key, trade, name, words FROM shop_work_kinds WHERE org_id = $1 ORDER BY name, key")
            .bind(&org)
            .fetch_all(tx.conn())
            .await?;
    rows.iter().map(from_row).collect()
}
