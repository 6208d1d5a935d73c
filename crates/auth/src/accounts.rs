//! Sign-up and log-in: the two ways a person gets a tenant scope.

use domain::{Email, OrgName, Password, PersonName};
use store::orgs::{self, CreateOrgError, CreatedOrg, NewOrgWithOwner};
use store::{users, AuthTx, Db, StoreError, TenantScope};

use crate::api_key::GeneratedKey;
use crate::password::{self, PasswordHashError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] PasswordHashError),
}

#[derive(Debug, Clone)]
pub struct SignUp {
    pub org_name: OrgName,
    pub owner_name: Option<PersonName>,
    pub email: Email,
    pub password: Password,
    /// The operator vouches for the address (the CLI, the demo); a person signing up does not,
    /// and confirms it through a link.
    pub email_confirmed: bool,
}

/// Creates an org and its owner; with `api_key`, also that key, atomically.
pub async fn sign_up(db: &Db, input: SignUp, api_key: Option<&GeneratedKey>) -> Result<CreatedOrg, AccountError> {
    let password_hash = password::hash(&input.password).await?;
    let new = NewOrgWithOwner {
        org_name: input.org_name,
        owner_email: input.email,
        owner_name: input.owner_name,
        password_hash,
        owner_email_confirmed: input.email_confirmed,
        initial_api_key: api_key.map(|k| k.record.clone()),
    };
    orgs::create_with_owner(db, new).await.map_err(|e| match e {
        CreateOrgError::EmailTaken => AccountError::EmailTaken,
        CreateOrgError::Store(e) => AccountError::Store(e),
    })
}

/// Verifies an email and password. Unknown emails, wrong passwords and disabled users all get the
/// same error after the same amount of work.
pub async fn log_in(db: &Db, email: &str, candidate: &str) -> Result<TenantScope, AccountError> {
    let Ok(email) = Email::parse(email) else {
        password::verify(None, candidate).await?;
        return Err(AccountError::InvalidCredentials);
    };
    let mut tx = AuthTx::begin(db).await?;
    let found = users::find_for_login(&mut tx, &email).await?;
    tx.commit().await?;
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let verified = password::verify(stored, candidate).await?;
    match found {
        Some(user) if verified && !user.disabled => Ok(user.scope_once_verified()),
        _ => Err(AccountError::InvalidCredentials),
    }
}

/// The scope for an org the operator CLI just created (it holds no credential of its own).
pub fn operator_scope(created: &CreatedOrg) -> TenantScope {
    created.owner_scope()
}
