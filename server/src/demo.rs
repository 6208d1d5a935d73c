//! `opsquad demo`: creates (or refreshes) the demo shop from `squad::demo` and prints working
//! credentials. Stored passwords and keys are hashes, so a second run cannot print the old ones:
//! it sets a new password (ending the owner's sessions) and mints a new API key instead.

use auth::accounts::{self, AccountError, SignUp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use domain::catalog::BusinessSettings;
use domain::schedule::{Interval, TimeOfDay, TimeZone, Weekday, WeeklyHours};
use domain::{Email, OrgName, Password, Role};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::Serialize;
use store::{api_keys, services, sessions, settings, technicians, users, AuthTx, Db, DbOptions, Operator, TenantTx};

use crate::cli::CliError;
use crate::config::Settings;

#[derive(Debug, Serialize)]
pub struct DemoCredentials {
    pub org_id: String,
    pub api_key: String,
    pub owner_email: String,
    pub password: String,
}

fn random_password() -> String {
    let mut bytes = [0u8; 15];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn interval(open: &str, close: &str) -> Result<Interval, CliError> {
    let parse = |t: &str| TimeOfDay::parse(t).map_err(|e| CliError::Other(anyhow::anyhow!("demo hours: {e}")));
    Ok(Interval { open: parse(open)?, close: parse(close)? })
}

fn demo_settings() -> Result<BusinessSettings, CliError> {
    let weekday = vec![interval("08:00", "18:00")?];
    let mut days: std::collections::BTreeMap<Weekday, Vec<Interval>> =
        Weekday::ALL[..5].iter().map(|d| (*d, weekday.clone())).collect();
    days.insert(Weekday::Sat, vec![interval("09:00", "13:00")?]);
    let demo = BusinessSettings {
        time_zone: TimeZone::parse(squad::demo::TIME_ZONE).map_err(|e| CliError::Other(e.into()))?,
        weekly_hours: WeeklyHours::new(days).map_err(|e| CliError::Other(e.into()))?,
        holidays: ["2026-11-26", "2026-12-25", "2027-01-01"]
            .iter()
            .map(|d| domain::schedule::parse_date(d))
            .collect::<Result<_, _>>()
            .map_err(|e| CliError::Other(e.into()))?,
        service_area: domain::catalog::ServiceArea {
            zip_codes: squad::demo::service_zips(),
            center_zip: None,
            radius_miles: None,
        },
        booking_buffer_minutes: 30,
        reminder_offsets_minutes: vec![1440, 60],
        tone: "friendly".to_owned(),
        currency: "USD".to_owned(),
        tax_rate_bps: 0,
        payment_terms_days: 14,
        run_budget_micros: 500_000,
        daily_budget_micros: 20_000_000,
        invoice_approval_above_cents: 100_000,
        policies: domain::policy::Policies::default(),
    };
    demo.validate().map_err(|e| CliError::Other(e.into()))
}

pub async fn create_demo(settings: &Settings) -> Result<DemoCredentials, CliError> {
    let url = settings.database.url.expose_secret();
    let db = Db::open(url, &DbOptions::default()).await.map_err(anyhow::Error::from)?;
    let credentials = seed(&db).await;
    db.close().await;
    credentials
}

/// Creates or refreshes the demo shop in an open database.
pub async fn seed(db: &Db) -> Result<DemoCredentials, CliError> {
    let other = |e: store::StoreError| CliError::Other(e.into());
    let email = Email::parse(squad::demo::OWNER_EMAIL).map_err(|e| CliError::Other(e.into()))?;
    let password = random_password();
    let parsed = Password::parse(&password).map_err(|e| CliError::Other(anyhow::anyhow!("{e}")))?;
    let key = auth::api_key::generate("Demo key (opsquad demo)");
    let input = SignUp {
        org_name: OrgName::parse(squad::demo::NAME).map_err(|e| CliError::Other(e.into()))?,
        owner_name: domain::PersonName::parse("Demo Owner").ok(),
        email: email.clone(),
        password: parsed.clone(),
        email_confirmed: true,
    };

    let scope = match accounts::sign_up(db, input, Some(&key)).await {
        Ok(created) => accounts::operator_scope(&created),
        Err(AccountError::EmailTaken) => {
            let mut tx = AuthTx::begin(db).await.map_err(other)?;
            let owner = users::find_for_login(&mut tx, &email).await.map_err(other)?;
            tx.commit().await.map_err(other)?;
            let owner = owner.ok_or_else(|| CliError::Other(anyhow::anyhow!("the demo owner vanished")))?;
            let scope = Operator::new("demo").act_for(owner.org_id, Some(owner.user_id), Role::Owner);
            let hash = auth::password::hash(&parsed).await.map_err(|e| CliError::Other(e.into()))?;
            let mut tx = TenantTx::begin(db, &scope).await.map_err(other)?;
            users::set_password_hash(&mut tx, owner.user_id, &hash).await.map_err(other)?;
            sessions::delete_for_user(&mut tx, owner.user_id).await.map_err(other)?;
            api_keys::insert(&mut tx, &key.record, Role::Owner, domain::KeyScope::Full).await.map_err(other)?;
            tx.commit().await.map_err(other)?;
            scope
        }
        Err(err) => return Err(CliError::Other(err.into())),
    };

    let mut tx = TenantTx::begin(db, &scope).await.map_err(other)?;
    settings::put(&mut tx, &demo_settings()?).await.map_err(other)?;
    // The demo shop is fully set up: its owner skips the wizard.
    store::orgs::set_onboarding_step(&mut tx, "done").await.map_err(other)?;
    let existing: Vec<String> = services::list(&mut tx).await.map_err(other)?.into_iter().map(|s| s.name).collect();
    for service in squad::demo::services() {
        if !existing.contains(&service.name) {
            let service = service.validate().map_err(|e| CliError::Other(e.into()))?;
            services::insert(&mut tx, &service).await.map_err(other)?;
        }
    }
    let crew: Vec<String> = technicians::list(&mut tx).await.map_err(other)?.into_iter().map(|t| t.name).collect();
    for tech in squad::demo::technicians() {
        if !crew.contains(&tech.name) {
            let tech = tech.validate().map_err(|e| CliError::Other(e.into()))?;
            technicians::insert(&mut tx, &tech).await.map_err(other)?;
        }
    }
    tx.commit().await.map_err(other)?;
    Ok(DemoCredentials {
        org_id: scope.org_id().to_string(),
        api_key: key.plaintext,
        owner_email: email.to_string(),
        password,
    })
}
