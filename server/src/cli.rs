//! Operator commands that run against the configured database without the HTTP server.

use auth::accounts::{self, SignUp};
use domain::{Email, OrgName, Password};
use secrecy::ExposeSecret;
use serde::Serialize;
use store::{Db, DbOptions};

use crate::config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("--{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("an account with the email {0} already exists")]
    EmailTaken(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let url = settings.database.url.expose_secret();
    Db::migrate(url, &DbOptions::default()).await?;
    Ok(())
}

/// `opsquad org create`: an org, its owner and an API key; prints one JSON line.
pub async fn create_org(
    settings: &Settings,
    name: &str,
    owner_email: &str,
    password: &str,
) -> Result<String, CliError> {
    let invalid = |field, message: String| CliError::Invalid { field, message };
    let org_name = OrgName::parse(name).map_err(|e| invalid("name", e.to_string()))?;
    let email = Email::parse(owner_email).map_err(|e| invalid("owner-email", e.to_string()))?;
    let password = Password::parse(password).map_err(|e| invalid("password", e.to_string()))?;

    let url = settings.database.url.expose_secret();
    Db::migrate(url, &DbOptions::default()).await.map_err(anyhow::Error::from)?;
    let db = Db::connect(url, &DbOptions::default()).await.map_err(anyhow::Error::from)?;
    let key = auth::api_key::generate("Created by opsquad org create");
    let input = SignUp { org_name, owner_name: None, email: email.clone(), password };
    let created = accounts::sign_up(&db, input, Some(&key)).await.map_err(|e| match e {
        accounts::AccountError::EmailTaken => CliError::EmailTaken(email.to_string()),
        other => CliError::Other(other.into()),
    })?;
    db.close().await;
    let printed = CreatedOrgLine { org_id: created.org.id.to_string(), api_key: key.plaintext };
    serde_json::to_string(&printed).map_err(|e| CliError::Other(e.into()))
}

#[derive(Serialize)]
struct CreatedOrgLine {
    org_id: String,
    api_key: String,
}
