//! Invitations to join an org as staff. The owner creates one inside the tenant; the invitee
//! opens the link before any tenant is known, so looking it up and accepting it go through
//! [`AuthTx`], keyed by the hash of the link's secret.

use domain::{Email, OrgId, PersonName, Role, UserId};
use serde::Serialize;

use crate::rows::{int, opt_int, text, uuid};
use crate::{new_id, now_ms, AuthTx, Db, StoreError, TenantTx};

/// How long an invitation link works.
pub const VALID_FOR_MS: i64 = 7 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingInvitation {
    pub id: String,
    pub email: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Creates an invitation for `email`; any earlier pending one for the same address is withdrawn
/// so only the newest link works.
pub async fn create(tx: &mut TenantTx, email: &Email, token_hash: &str) -> Result<PendingInvitation, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "UPDATE invitations SET revoked_at = $3
         WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(&org)
    .bind(email.canonical())
    .bind(now)
    .execute(tx.conn())
    .await?;
    let id = new_id().to_string();
    let invited_by = tx.scope().user_id().map(|u| u.to_string());
    sqlx::query(
        "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&org)
    .bind(email.canonical())
    .bind(Role::Staff.as_str())
    .bind(token_hash)
    .bind(invited_by)
    .bind(now)
    .bind(now + VALID_FOR_MS)
    .execute(tx.conn())
    .await?;
    Ok(PendingInvitation { id, email: email.canonical(), created_at: now, expires_at: now + VALID_FOR_MS })
}

/// Invitations not yet accepted, withdrawn or expired, newest first.
pub async fn pending(tx: &mut TenantTx) -> Result<Vec<PendingInvitation>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, email, created_at, expires_at FROM invitations
         WHERE org_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
         ORDER BY created_at DESC, id DESC",
    )
    .bind(&org)
    .bind(now_ms())
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PendingInvitation {
                id: text(row, "id")?,
                email: text(row, "email")?,
                created_at: int(row, "created_at")?,
                expires_at: int(row, "expires_at")?,
            })
        })
        .collect()
}

/// Withdraws a pending invitation; `None` when the org has no such pending invitation.
pub async fn revoke(tx: &mut TenantTx, id: &str) -> Result<Option<String>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "UPDATE invitations SET revoked_at = $3
         WHERE org_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
         RETURNING email",
    )
    .bind(&org)
    .bind(id)
    .bind(now_ms())
    .fetch_optional(tx.conn())
    .await?;
    row.map(|r| text(&r, "email")).transpose()
}

/// What the invitee sees before accepting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationPreview {
    pub org_name: String,
    pub email: String,
}

/// A usable invitation behind `token_hash`: not accepted, withdrawn or expired.
pub async fn preview(db: &Db, token_hash: &str) -> Result<Option<InvitationPreview>, StoreError> {
    let mut tx = AuthTx::begin(db).await?;
    let row = sqlx::query(
        "SELECT o.name, i.email FROM invitations i JOIN orgs o ON o.id = i.org_id
         WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(tx.conn())
    .await?;
    tx.commit().await?;
    row.map(|r| Ok(InvitationPreview { org_name: text(&r, "name")?, email: text(&r, "email")? })).transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error("this invitation link is not valid any more")]
    Unusable,
    #[error("this email already belongs to another Opsquad account")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Joined {
    pub org_id: OrgId,
    pub user_id: UserId,
}

/// Uses the invitation once and makes its address a staff member of the inviting org. A member
/// the org removed earlier is re-activated with the new name and password.
pub async fn accept(
    db: &Db,
    token_hash: &str,
    name: Option<&PersonName>,
    password_hash: &str,
) -> Result<Joined, AcceptError> {
    let now = now_ms();
    let mut tx = AuthTx::begin(db).await?;
    let claimed = sqlx::query(
        "UPDATE invitations SET accepted_at = $2
         WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2
         RETURNING org_id, email",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(tx.conn())
    .await
    .map_err(StoreError::from)?
    .ok_or(AcceptError::Unusable)?;
    let org_id = OrgId::from_uuid(uuid(&claimed, "org_id")?);
    let email = text(&claimed, "email")?;
    let org = org_id.to_string();
    tx.enter_org(&org).await?;
    let existing = sqlx::query("SELECT id, org_id, disabled_at FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(tx.conn())
        .await
        .map_err(StoreError::from)?;
    let name = name.map(|n| n.as_str().to_owned());
    let user_id = match existing {
        None => {
            let user_id = UserId::from_uuid(new_id());
            sqlx::query(
                "INSERT INTO users (id, org_id, email, name, password_hash, role, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(user_id.to_string())
            .bind(&org)
            .bind(&email)
            .bind(name)
            .bind(password_hash)
            .bind(Role::Staff.as_str())
            .bind(now)
            .execute(tx.conn())
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict { .. } => AcceptError::EmailTaken,
                other => AcceptError::Store(other),
            })?;
            user_id
        }
        Some(row) if text(&row, "org_id")? == org && opt_int(&row, "disabled_at")?.is_some() => {
            let user_id = UserId::from_uuid(uuid(&row, "id")?);
            sqlx::query(
                "UPDATE users SET name = $3, password_hash = $4, role = $5, disabled_at = NULL
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(&org)
            .bind(user_id.to_string())
            .bind(name)
            .bind(password_hash)
            .bind(Role::Staff.as_str())
            .execute(tx.conn())
            .await
            .map_err(StoreError::from)?;
            user_id
        }
        Some(_) => return Err(AcceptError::EmailTaken),
    };
    let detail = serde_json::json!({ "email": email, "role": Role::Staff.as_str() });
    crate::audit::insert(
        tx.conn(),
        &org,
        Some(user_id.to_string()),
        None,
        &format!("{email} joined the team"),
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Joined { org_id, user_id })
}
