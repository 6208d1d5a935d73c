//! Organisations (tenants) and sign-up, which creates an org with its owner atomically.

use domain::{Email, OrgId, OrgName, PersonName, Role, UserId};
use serde::Serialize;

use crate::rows::{int, text, uuid};
use crate::{api_keys, new_id, now_ms, AuthTx, Db, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRow {
    pub id: OrgId,
    pub name: String,
    /// The onboarding wizard's next step, or `done`.
    pub onboarding_step: String,
    pub created_at: i64,
}

/// Everything sign-up writes. The password arrives already hashed.
#[derive(Debug, Clone)]
pub struct NewOrgWithOwner {
    pub org_name: OrgName,
    pub owner_email: Email,
    pub owner_name: Option<PersonName>,
    pub password_hash: String,
    /// The operator vouches for the address (the CLI, the demo); a person signing up confirms it
    /// by opening a link sent to it.
    pub owner_email_confirmed: bool,
    /// An API key to create in the same transaction (the operator CLI prints it once).
    pub initial_api_key: Option<api_keys::NewApiKey>,
}

#[derive(Debug, Clone)]
pub struct CreatedOrg {
    pub org: OrgRow,
    pub owner_id: UserId,
    pub api_key: Option<api_keys::ApiKeyRow>,
}

impl CreatedOrg {
    /// The new owner's scope: whoever just created the org acts as its owner.
    pub fn owner_scope(&self) -> crate::TenantScope {
        crate::TenantScope::from_verified_credential(self.org.id, Some(self.owner_id), Role::Owner)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CreateOrgError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where a new org's onboarding wizard starts.
pub const FIRST_ONBOARDING_STEP: &str = "profile";

/// Creates the org, its owner, default business settings and optionally an API key — all or
/// nothing.
#[tracing::instrument(skip_all)]
pub async fn create_with_owner(db: &Db, new: NewOrgWithOwner) -> Result<CreatedOrg, CreateOrgError> {
    let org_id = OrgId::from_uuid(new_id());
    let owner_id = UserId::from_uuid(new_id());
    let org = org_id.to_string();
    let now = now_ms();

    let mut tx = AuthTx::begin(db).await?;
    tx.enter_org(&org).await?;
    sqlx::query("INSERT INTO orgs (id, name, onboarding_step, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&org)
        .bind(new.org_name.as_str())
        .bind(FIRST_ONBOARDING_STEP)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    let inserted = sqlx::query(
        "INSERT INTO users (id, org_id, email, name, password_hash, role, created_at, email_confirmed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(owner_id.to_string())
    .bind(&org)
    .bind(new.owner_email.canonical())
    .bind(new.owner_name.as_ref().map(|n| n.as_str().to_owned()))
    .bind(&new.password_hash)
    .bind(Role::Owner.as_str())
    .bind(now)
    .bind(new.owner_email_confirmed.then_some(now))
    .execute(tx.conn())
    .await;
    match inserted.map_err(StoreError::from) {
        Ok(_) => {}
        Err(StoreError::Conflict { .. }) => return Err(CreateOrgError::EmailTaken),
        Err(other) => return Err(other.into()),
    }
    let hours =
        serde_json::to_string(&domain::schedule::WeeklyHours::weekdays_eight_to_five()).map_err(StoreError::corrupt)?;
    sqlx::query("INSERT INTO business_settings (org_id, weekly_hours, updated_at) VALUES ($1, $2, $3)")
        .bind(&org)
        .bind(hours)
        .bind(now)
        .execute(tx.conn())
        .await
        .map_err(StoreError::from)?;
    let api_key = match new.initial_api_key {
        Some(key) => {
            Some(api_keys::insert_on(tx.conn(), &org, &key, Role::Owner, domain::KeyScope::Full, Some(owner_id)).await?)
        }
        None => None,
    };
    let detail = serde_json::json!({ "name": new.org_name.as_str(), "api_key": api_key.is_some() });
    crate::audit::insert(tx.conn(), &org, Some(owner_id.to_string()), None, "business created", &detail).await?;
    tx.commit().await?;
    Ok(CreatedOrg {
        org: OrgRow {
            id: org_id,
            name: new.org_name.to_string(),
            onboarding_step: FIRST_ONBOARDING_STEP.to_owned(),
            created_at: now,
        },
        owner_id,
        api_key,
    })
}

/// The current tenant's org.
pub async fn current(tx: &mut TenantTx) -> Result<OrgRow, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT id, name, onboarding_step, created_at FROM orgs WHERE id = $1")
        .bind(&org)
        .fetch_one(tx.conn())
        .await?;
    Ok(OrgRow {
        id: OrgId::from_uuid(uuid(&row, "id")?),
        name: text(&row, "name")?,
        onboarding_step: text(&row, "onboarding_step")?,
        created_at: int(&row, "created_at")?,
    })
}

pub async fn rename(tx: &mut TenantTx, name: &OrgName) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE orgs SET name = $2 WHERE id = $1").bind(&org).bind(name.as_str()).execute(tx.conn()).await?;
    Ok(())
}

/// Saves where the onboarding wizard is (`done` when finished or skipped).
pub async fn set_onboarding_step(tx: &mut TenantTx, step: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE orgs SET onboarding_step = $2 WHERE id = $1").bind(&org).bind(step).execute(tx.conn()).await?;
    Ok(())
}
