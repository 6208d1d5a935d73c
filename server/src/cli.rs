//! Operator commands that run against the configured database without the HTTP server.

use auth::accounts::{self, SignUp};
use domain::{ApiKeyId, Email, KeyScope, OrgId, OrgName, Password, Role};
use secrecy::ExposeSecret;
use serde::Serialize;
use store::{api_keys, audit, AuthTx, Db, DbOptions, Operator, TenantTx};

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
    let db = Db::open(url, &DbOptions::default()).await.map_err(anyhow::Error::from)?;
    let key = auth::api_key::generate("Created by opsquad org create");
    let input = SignUp { org_name, owner_name: None, email: email.clone(), password, email_confirmed: true };
    let created = accounts::sign_up(&db, input, Some(&key)).await.map_err(|e| match e {
        accounts::AccountError::EmailTaken => CliError::EmailTaken(email.to_string()),
        other => CliError::Other(other.into()),
    })?;
    db.close().await;
    let printed = CreatedOrgLine { org_id: created.org.id.to_string(), api_key: key.plaintext };
    serde_json::to_string(&printed).map_err(|e| CliError::Other(e.into()))
}

/// `opsquad key create`: a key for `org` with `scope` and `role`; prints {"id", "api_key"}.
pub async fn create_key(
    settings: &Settings,
    org: &str,
    scope: &str,
    role: &str,
    name: &str,
) -> Result<String, CliError> {
    let invalid = |field, message: String| CliError::Invalid { field, message };
    let org = OrgId::parse(org).map_err(|e| invalid("org", e.to_string()))?;
    let scope = KeyScope::parse(scope).ok_or_else(|| invalid("scope", "use inbound, read or full".into()))?;
    let role = Role::parse(role).map_err(|e| invalid("role", e.to_string()))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(invalid("name", "up to 80 printable characters".into()));
    }
    let db = open(settings).await?;
    let created = async {
        let acting = Operator::new("key create").act_for(org, None, Role::Owner);
        let mut tx = TenantTx::begin(&db, &acting).await?;
        match store::orgs::current(&mut tx).await {
            Err(store::StoreError::Database(sqlx::Error::RowNotFound)) => return Ok(None),
            found => found?,
        };
        let generated = auth::api_key::generate(name);
        let row = api_keys::insert(&mut tx, &generated.record, role, scope).await?;
        let entry =
            serde_json::json!({ "id": row.id, "name": row.name, "prefix": row.prefix, "role": role, "scope": scope });
        audit::record(&mut tx, &format!("API key created by an operator: {}", row.name), &entry).await?;
        tx.commit().await?;
        Ok::<_, store::StoreError>(Some((row.id, generated.plaintext)))
    }
    .await
    .map_err(anyhow::Error::from)?;
    db.close().await;
    let (id, api_key) = created.ok_or_else(|| invalid("org", format!("no organisation {org}")))?;
    serde_json::to_string(&CreatedKeyLine { id: id.to_string(), api_key }).map_err(|e| CliError::Other(e.into()))
}

/// `opsquad key revoke`: revokes the key, whichever org it belongs to; prints {"id", "revoked"}.
pub async fn revoke_key(settings: &Settings, id: &str) -> Result<String, CliError> {
    let id = ApiKeyId::parse(id).map_err(|e| CliError::Invalid { field: "id", message: e.to_string() })?;
    let db = open(settings).await?;
    let revoked = async {
        let mut lookup = AuthTx::begin(&db).await?;
        let org = api_keys::org_of(&mut lookup, id).await?;
        lookup.commit().await?;
        let Some(org) = org else { return Ok(None) };
        let acting = Operator::new("key revoke").act_for(org, None, Role::Owner);
        let mut tx = TenantTx::begin(&db, &acting).await?;
        let row = api_keys::revoke(&mut tx, id).await?;
        if let Some(row) = &row {
            let entry = serde_json::json!({ "id": row.id, "name": row.name });
            audit::record(&mut tx, &format!("API key revoked by an operator: {}", row.name), &entry).await?;
        }
        tx.commit().await?;
        Ok::<_, store::StoreError>(row)
    }
    .await
    .map_err(anyhow::Error::from)?;
    db.close().await;
    let row = revoked.ok_or_else(|| CliError::Invalid { field: "id", message: format!("no API key {id}") })?;
    Ok(serde_json::json!({ "id": row.id, "revoked": true }).to_string())
}

async fn open(settings: &Settings) -> Result<Db, CliError> {
    let url = settings.database.url.expose_secret();
    Ok(Db::open(url, &DbOptions::default()).await.map_err(anyhow::Error::from)?)
}

#[derive(Serialize)]
struct CreatedKeyLine {
    id: String,
    api_key: String,
}

#[derive(Serialize)]
struct CreatedOrgLine {
    org_id: String,
    api_key: String,
}

/// The labelled sets under `evals/` (`squad::eval::SETS`): `tune.jsonl` may be read while writing
/// rules; the holdouts are frozen — each one's SHA-256 is recorded beside it (`holdout.sha256`), and a
/// holdout that changed is refused unless the change is declared (`--refreeze-holdout` records the new
/// hash).
fn eval_cases(dir: &std::path::Path, split: &str, refreeze: bool) -> Result<Vec<squad::eval::EvalCase>, CliError> {
    let sets = squad::eval::sets(split).ok_or_else(|| CliError::Invalid {
        field: "split",
        message: format!("no set is called `{split}` (use {})", squad::eval::split_names()),
    })?;
    let mut cases = Vec::new();
    for set in sets {
        let path = dir.join(set.file);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError::Invalid { field: "dir", message: format!("{}: {e}", path.display()) })?;
        if set.frozen {
            check_frozen(&path, &text, refreeze)?;
        }
        let parsed = squad::eval::parse_cases(&text)
            .map_err(|e| CliError::Invalid { field: "dir", message: format!("{}: {e}", path.display()) })?;
        cases.extend(parsed);
    }
    Ok(cases)
}

fn check_frozen(path: &std::path::Path, holdout: &str, refreeze: bool) -> Result<(), CliError> {
    use sha2::{Digest, Sha256};
    let hash = hex::encode(Sha256::digest(holdout.as_bytes()));
    let record = path.with_extension("sha256");
    if refreeze {
        return std::fs::write(&record, format!("{hash}\n"))
            .map_err(|e| CliError::Invalid { field: "dir", message: format!("{}: {e}", record.display()) });
    }
    let recorded = std::fs::read_to_string(&record).unwrap_or_default();
    if recorded.trim() != hash {
        return Err(CliError::Invalid {
            field: "split",
            message: format!(
                "{} is not the frozen holdout (its sha256 is {hash}, {} says `{}`). Rules are never edited \
                 against a holdout; if cases were added on purpose, run once with --refreeze-holdout to record \
                 the new hash and say so in the change",
                path.display(),
                record.display(),
                recorded.trim()
            ),
        });
    }
    Ok(())
}

fn eval_summary(split: &str, model: &str, report: &squad::eval::Report) -> Result<String, CliError> {
    let accuracy = |scores: &squad::eval::Scores| {
        serde_json::json!({
            "cases": scores.cases,
            "qualification": scores.qualification.accuracy(),
            "intent": scores.intent.accuracy(),
            "service": scores.service.accuracy(),
            "urgency": scores.urgency.accuracy(),
            "escalation": scores.escalation.accuracy(),
            "life_safety_escalated": format!(
                "{} of {}",
                scores.life_safety_escalated.correct, scores.life_safety_escalated.total
            ),
        })
    };
    let summary = serde_json::json!({
        "split": split,
        "model": model,
        "cases": report.cases,
        "accuracy": accuracy(&report.overall),
        "shops": report.shops.iter().map(|(name, scores)| (name.clone(), accuracy(scores))).collect::<serde_json::Map<_, _>>(),
        "service_confusion": report.service_confusion,
        "intent_confusion": report.intent_confusion,
        "misses": report.misses,
    });
    serde_json::to_string_pretty(&summary).map_err(|e| CliError::Other(e.into()))
}

/// `opsquad eval`: runs the labelled inquiries through the offline reader and `qualify_lead`
/// against the shop each case was written to, and prints the report as JSON.
pub fn eval(dir: &std::path::Path, split: &str, refreeze: bool) -> Result<String, CliError> {
    let cases = eval_cases(dir, split, refreeze)?;
    eval_summary(split, "offline", &squad::eval::run(&cases))
}

/// `opsquad eval --model bedrock`: the same cases through Lead Response's first turn on the
/// configured Bedrock model. Without AWS credentials it says so and skips (`Ok(None)`).
pub async fn eval_bedrock(
    settings: &Settings,
    dir: &std::path::Path,
    split: &str,
    refreeze: bool,
) -> Result<Option<String>, CliError> {
    let cases = eval_cases(dir, split, refreeze)?;
    let config = &settings.bedrock;
    if let Err(reason) = bedrock::credentials_available(&config.region).await {
        eprintln!(
            "opsquad: eval skipped: no AWS credentials for Bedrock ({reason}). Set them in the environment, \
             a profile or an instance role to evaluate {}.",
            config.model_id
        );
        return Ok(None);
    }
    let models = config.agent_models().map_err(|e| CliError::Other(e.into()))?;
    let agent = models.lead_response.clone();
    // The eval measures the configured model itself, so no fallback answers in its place.
    let provider = config.provider_settings(false);
    let model = bedrock::BedrockModel::from_environment(provider).await;
    let report = squad::eval::run_with_model(&cases, &model, &agent).await.map_err(|e| CliError::Other(e.into()))?;
    eval_summary(split, &agent.model_id, &report).map(Some)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn eval_reports_each_set_and_refuses_unknown_ones_and_a_changed_holdout() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../evals");
        let report: serde_json::Value = serde_json::from_str(&eval(&dir, "all", false).unwrap()).unwrap();
        assert!(report["cases"].as_u64().unwrap() >= 60);
        assert!(report["accuracy"]["qualification"].as_f64().is_some());
        assert!(report["shops"]["springfield"]["cases"].as_u64().is_some());
        for split in squad::eval::SETS.iter().map(|set| set.name) {
            let report: serde_json::Value = serde_json::from_str(&eval(&dir, split, false).unwrap()).unwrap();
            assert!(report["shops"]["bright_spark"]["cases"].as_u64().unwrap() >= 20, "{split}");
        }
        assert!(matches!(eval(&dir, "training", false), Err(CliError::Invalid { field: "split", .. })));
        assert!(matches!(eval(Path::new("/no/such/dir"), "all", false), Err(CliError::Invalid { field: "dir", .. })));

        let copy = tempfile::tempdir().unwrap();
        for name in ["tune.jsonl", "holdout.jsonl", "holdout.sha256"] {
            std::fs::copy(dir.join(name), copy.path().join(name)).unwrap();
        }
        assert!(eval(copy.path(), "holdout", false).is_ok(), "the committed holdout is the frozen one");
        let mut changed = std::fs::read_to_string(copy.path().join("holdout.jsonl")).unwrap();
        changed.push_str(std::fs::read_to_string(dir.join("tune.jsonl")).unwrap().lines().next().unwrap());
        std::fs::write(copy.path().join("holdout.jsonl"), changed).unwrap();
        let refused = eval(copy.path(), "holdout", false).unwrap_err().to_string();
        assert!(refused.contains("is not the frozen holdout"), "{refused}");
        assert!(eval(copy.path(), "holdout", true).is_ok(), "declared: the new hash is recorded");
        assert!(eval(copy.path(), "holdout", false).is_ok());
    }
}
