//! Per-org API keys. Only a SHA-256 of the key is stored; the key itself is shown once.

use domain::{ApiKeyId, KeyScope, OrgId, Role, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_uuid, text, uuid};
use crate::{new_id, now_ms, AuthTx, StoreError, TenantTx};

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    /// The non-secret start of the key, shown in lists so owners can tell keys apart.
    pub prefix: String,
    pub key_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub name: String,
    pub prefix: String,
    /// What the key may do: `owner` or `staff` rights within its org.
    pub role: Role,
    /// What it may touch: `inbound`, `read` or `full`.
    pub scope: KeyScope,
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, prefix, role, scope, created_by, created_at, last_used_at, revoked_at";

fn key_scope(row: &AnyRow) -> Result<KeyScope, StoreError> {
    crate::rows::stored(row, "scope", KeyScope::parse)
}

fn from_row(row: &AnyRow) -> Result<ApiKeyRow, StoreError> {
    Ok(ApiKeyRow {
        id: ApiKeyId::from_uuid(uuid(row, "id")?),
        name: text(row, "name")?,
        prefix: text(row, "prefix")?,
        role: Role::parse(&text(row, "role")?).map_err(StoreError::corrupt)?,
        scope: key_scope(row)?,
        created_by: opt_uuid(row, "created_by")?.map(UserId::from_uuid),
        created_at: int(row, "created_at")?,
        last_used_at: opt_int(row, "last_used_at")?,
        revoked_at: opt_int(row, "revoked_at")?,
    })
}

pub(crate) async fn insert_on(
    conn: &mut sqlx::AnyConnection,
    org: &str,
    new: &NewApiKey,
    role: Role,
    scope: KeyScope,
    created_by: Option<UserId>,
) -> Result<ApiKeyRow, StoreError> {
    let id = ApiKeyId::from_uuid(new_id());
    let now = now_ms();
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, name, prefix, key_hash, created_by, created_at, role, scope)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(org)
    .bind(&new.name)
    .bind(&new.prefix)
    .bind(&new.key_hash)
    .bind(created_by.map(|u| u.to_string()))
    .bind(now)
    .bind(role.as_str())
    .bind(scope.as_str())
    .execute(conn)
    .await?;
    Ok(ApiKeyRow {
        id,
        name: new.name.clone(),
        prefix: new.prefix.clone(),
        role,
        scope,
        created_by,
        created_at: now,
        last_used_at: None,
        revoked_at: None,
    })
}

pub async fn insert(tx: &mut TenantTx, new: &NewApiKey, role: Role, scope: KeyScope) -> Result<ApiKeyRow, StoreError> {
    let org = tx.org().to_owned();
    let created_by = tx.scope().user_id();
    insert_on(tx.conn(), &org, new, role, scope, created_by).await
}

pub async fn list(tx: &mut TenantTx) -> Result<Vec<ApiKeyRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id");
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Revokes a key of the current org. `None` when no such key exists in this org.
pub async fn revoke(tx: &mut TenantTx, id: ApiKeyId) -> Result<Option<ApiKeyRow>, StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE api_keys SET revoked_at = $3 WHERE org_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(&org)
        .bind(id.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE org_id = $1 AND id = $2");
    let row = sqlx::query(&sql).bind(&org).bind(id.to_string()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// A key that is in use: who it is and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActiveKey {
    pub id: ApiKeyId,
    pub org_id: OrgId,
    pub role: Role,
    pub key_scope: KeyScope,
}

impl ActiveKey {
    /// The scope the key acts in.
    pub fn scope(&self) -> crate::TenantScope {
        crate::TenantScope::from_verified_api_key(self.org_id, self.id, self.role, self.key_scope)
    }
}

fn active(row: &AnyRow) -> Result<ActiveKey, StoreError> {
    Ok(ActiveKey {
        id: ApiKeyId::from_uuid(uuid(row, "id")?),
        org_id: OrgId::from_uuid(uuid(row, "org_id")?),
        role: Role::parse(&text(row, "role")?).map_err(StoreError::corrupt)?,
        key_scope: key_scope(row)?,
    })
}

/// The key an access token was minted from, if it is still not revoked: a token dies with its key.
pub async fn still_active(tx: &mut AuthTx, id: ApiKeyId, org: OrgId) -> Result<Option<ActiveKey>, StoreError> {
    let row = sqlx::query(
        "SELECT id, org_id, role, scope FROM api_keys WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .fetch_optional(tx.conn())
    .await?;
    row.as_ref().map(active).transpose()
}

/// Resolves a presented key (by hash) to its org and role, if the key exists and is not revoked.
pub async fn authenticate(tx: &mut AuthTx, key_hash: &str) -> Result<Option<ActiveKey>, StoreError> {
    let row = sqlx::query("SELECT id, org_id, role, scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .bind(key_hash)
        .fetch_optional(tx.conn())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let key = active(&row)?;
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
        .bind(key.id.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(Some(key))
}

/// The org a key belongs to, found by its id before the tenant is known: how an operator names a
/// key to revoke from the command line.
pub async fn org_of(tx: &mut AuthTx, id: ApiKeyId) -> Result<Option<OrgId>, StoreError> {
    let row =
        sqlx::query("SELECT org_id FROM api_keys WHERE id = $1").bind(id.to_string()).fetch_optional(tx.conn()).await?;
    row.map(|row| Ok(OrgId::from_uuid(uuid(&row, "org_id")?))).transpose()
}
