//! Members of an organisation.

use domain::{Email, OrgId, Role, UserId};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text, uuid};
use crate::{now_ms, AuthTx, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub id: UserId,
    pub org_id: OrgId,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub created_at: i64,
}

/// What log-in needs to verify a password, found by email before the tenant is known.
#[derive(Debug, Clone)]
pub struct LoginCandidate {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
}

impl LoginCandidate {
    /// The scope log-in grants, for the auth code to take once the password matched and the user
    /// is not disabled.
    pub fn scope_once_verified(&self) -> crate::TenantScope {
        crate::TenantScope::from_verified_credential(self.org_id, Some(self.user_id), self.role)
    }
}

const COLUMNS: &str = "id, org_id, email, name, role, created_at";

fn from_row(row: &AnyRow) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        id: UserId::from_uuid(uuid(row, "id")?),
        org_id: OrgId::from_uuid(uuid(row, "org_id")?),
        email: text(row, "email")?,
        name: opt_text(row, "name")?,
        role: Role::parse(&text(row, "role")?).map_err(StoreError::corrupt)?,
        created_at: int(row, "created_at")?,
    })
}

pub async fn find_for_login(tx: &mut AuthTx, email: &Email) -> Result<Option<LoginCandidate>, StoreError> {
    let row = sqlx::query("SELECT id, org_id, role, password_hash, disabled_at FROM users WHERE email = $1")
        .bind(email.canonical())
        .fetch_optional(tx.conn())
        .await?;
    row.map(|row| {
        Ok(LoginCandidate {
            user_id: UserId::from_uuid(uuid(&row, "id")?),
            org_id: OrgId::from_uuid(uuid(&row, "org_id")?),
            role: Role::parse(&text(&row, "role")?).map_err(StoreError::corrupt)?,
            password_hash: text(&row, "password_hash")?,
            disabled: opt_int(&row, "disabled_at")?.is_some(),
        })
    })
    .transpose()
}

/// The user behind a session, if they still exist, belong to that org and are not disabled.
/// Sessions are re-checked on every request so that disabling a user takes effect at once.
pub async fn find_active(
    tx: &mut AuthTx,
    org_id: OrgId,
    user_id: UserId,
) -> Result<Option<crate::TenantScope>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND org_id = $2 AND disabled_at IS NULL");
    let row = sqlx::query(&sql).bind(user_id.to_string()).bind(org_id.to_string()).fetch_optional(tx.conn()).await?;
    let user = row.as_ref().map(from_row).transpose()?;
    Ok(user.map(|u| crate::TenantScope::from_verified_credential(u.org_id, Some(u.id), u.role)))
}

pub async fn get(tx: &mut TenantTx, user_id: UserId) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
    let org = tx.org().to_owned();
    let row = sqlx::query(&sql).bind(&org).bind(user_id.to_string()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// The org's active members, oldest first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE org_id = $1 AND disabled_at IS NULL ORDER BY created_at, id");
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Replaces a member's password hash. Callers also end the member's sessions.
pub async fn set_password_hash(tx: &mut TenantTx, user_id: UserId, password_hash: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("UPDATE users SET password_hash = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .bind(password_hash)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// A member's current password hash (`None` for a member who never set one).
pub async fn password_hash(tx: &mut TenantTx, user_id: UserId) -> Result<Option<String>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT password_hash FROM users WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.as_ref().map(|r| opt_text(r, "password_hash")).transpose()?.flatten())
}

/// Sets or clears the name a member goes by.
pub async fn set_name(tx: &mut TenantTx, user_id: UserId, name: Option<&str>) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("UPDATE users SET name = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .bind(name)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// An active member by email, if the org has one.
pub async fn find_active_by_email(tx: &mut TenantTx, email: &Email) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE org_id = $1 AND email = $2 AND disabled_at IS NULL");
    let org = tx.org().to_owned();
    let row = sqlx::query(&sql).bind(&org).bind(email.canonical()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// Removes a member from the team: they can no longer log in, and what they did stays attributed
/// to them in the audit log. Callers also end the member's sessions.
pub async fn disable(tx: &mut TenantTx, user_id: UserId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("UPDATE users SET disabled_at = $3 WHERE org_id = $1 AND id = $2 AND disabled_at IS NULL")
        .bind(&org)
        .bind(user_id.to_string())
        .bind(crate::now_ms())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Who may be emailed when a lead needs a person: the org's active members whose address is
/// confirmed and who have not turned the emails off (the caller keeps those whose role receives
/// them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecipient {
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
}

pub async fn alert_recipients(tx: &mut TenantTx) -> Result<Vec<AlertRecipient>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, email, name, role FROM users
         WHERE org_id = $1 AND disabled_at IS NULL AND email_confirmed_at IS NOT NULL
           AND email_alerts_off_at IS NULL
         ORDER BY created_at, id",
    )
    .bind(&org)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AlertRecipient {
                user_id: UserId::from_uuid(uuid(row, "id")?),
                email: text(row, "email")?,
                name: opt_text(row, "name")?,
                role: Role::parse(&text(row, "role")?).map_err(StoreError::corrupt)?,
            })
        })
        .collect()
}

/// Whether the person gets alert emails.
pub async fn email_alerts(tx: &mut TenantTx, user_id: UserId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT email_alerts_off_at FROM users WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .fetch_one(tx.conn())
        .await?;
    Ok(opt_int(&row, "email_alerts_off_at")?.is_none())
}

pub async fn set_email_alerts(tx: &mut TenantTx, user_id: UserId, on: bool) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("UPDATE users SET email_alerts_off_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(user_id.to_string())
        .bind((!on).then(now_ms))
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}
