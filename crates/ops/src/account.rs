//! A signed-in person's own account: the name they go by, their password, and confirming their
//! email address. Changing the password ends every session of theirs; the caller starts a fresh
//! one for the browser in hand.

use domain::{Password, PersonName, UserId};
use serde_json::json;
use squad::link_tokens::{self, PublicUrl};
use store::{audit, email_confirmations, orgs, sessions, users, AuthTx, Db, TenantScope, TenantTx};

use crate::account_mail::{greeting, AccountMail, AccountMailError, Notice};
use crate::OpsError;

/// The person behind the scope; an API key has no account to change.
fn person(scope: &TenantScope) -> Result<UserId, OpsError> {
    scope.user_id().ok_or(OpsError::Forbidden)
}

/// Sets the name the person goes by; blank clears it.
pub async fn rename(db: &Db, scope: &TenantScope, name: &str) -> Result<(), OpsError> {
    let user = person(scope)?;
    let name = match name.trim() {
        "" => None,
        given => Some(PersonName::parse(given).map_err(|e| OpsError::validation("name", e))?),
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    if !users::set_name(&mut tx, user, name.as_ref().map(PersonName::as_str)).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(&mut tx, "name changed", &json!({ "user_id": user })).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the person's password after checking the current one, and ends all their sessions.
pub async fn change_password(db: &Db, scope: &TenantScope, current: &str, new: &str) -> Result<(), OpsError> {
    let user = person(scope)?;
    let new = Password::parse(new).map_err(|e| OpsError::validation("new_password", e))?;
    if new.expose() == current {
        return Err(OpsError::validation("new_password", "choose a password different from the current one"));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let stored = users::password_hash(&mut tx, user).await?;
    let matches =
        auth::password::verify(stored, current).await.map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    if !matches {
        return Err(OpsError::validation("current_password", "that is not your current password"));
    }
    let hash = auth::password::hash(&new).await.map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    users::set_password_hash(&mut tx, user, &hash).await?;
    sessions::delete_for_user(&mut tx, user).await?;
    audit::record(&mut tx, "password changed", &json!({ "user_id": user })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), user_id = %user, "password changed; sessions ended");
    Ok(())
}

/// Turns the owner's alert emails (a lead that needs them) on or off.
pub async fn set_email_alerts(db: &Db, scope: &TenantScope, on: bool) -> Result<(), OpsError> {
    let user = person(scope)?;
    crate::permissions::require(scope, crate::Operation::ReceiveOwnerAlerts)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    if !users::set_email_alerts(&mut tx, user, on).await? {
        return Err(OpsError::NotFound);
    }
    audit::record(
        &mut tx,
        if on { "alert emails turned on" } else { "alert emails turned off" },
        &json!({ "user_id": user }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The person's address and whether it is confirmed.
pub async fn email_status(db: &Db, scope: &TenantScope) -> Result<email_confirmations::EmailStatus, OpsError> {
    let user = person(scope)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let status = email_confirmations::status(&mut tx, user).await?.ok_or(OpsError::NotFound)?;
    tx.commit().await?;
    Ok(status)
}

/// How long a person waits between two confirmation links, so a button held down is not a flood.
const RESEND_AFTER_MS: i64 = 60 * 1000;

/// Sends the person a link that confirms their address is theirs. Until they open it, that address
/// gets no alerts. The outcome (sent, or why not) is kept for the dashboard.
pub async fn send_email_confirmation(
    db: &Db,
    scope: &TenantScope,
    mail: &AccountMail,
    site: &PublicUrl,
) -> Result<email_confirmations::EmailStatus, OpsError> {
    let user = person(scope)?;
    if !mail.can_send() {
        return Err(OpsError::Conflict { field: None, message: AccountMailError::NotSetUp.to_string() });
    }
    let token = link_tokens::new_token();
    let hash = link_tokens::token_hash(&token);
    let mut tx = TenantTx::begin(db, scope).await?;
    let status = email_confirmations::status(&mut tx, user).await?.ok_or(OpsError::NotFound)?;
    if status.confirmed_at.is_some() {
        return Err(OpsError::Conflict { field: None, message: "your email address is already confirmed".into() });
    }
    if status.last_link.as_ref().is_some_and(|l| l.created_at + RESEND_AFTER_MS > store::now_ms()) {
        return Err(OpsError::Conflict {
            field: None,
            message: "a link was sent less than a minute ago; check your inbox and spam folder".into(),
        });
    }
    let business = orgs::current(&mut tx).await?.name;
    let name = users::get(&mut tx, user).await?.and_then(|u| u.name);
    email_confirmations::create(&mut tx, user, &status.email, &hash).await?;
    tx.commit().await?;

    let notice = Notice {
        to: status.email.clone(),
        subject: "Confirm your email address for Opsquad".into(),
        text: confirmation_text(name.as_deref(), &business, &site.link("confirm-email", &token)),
    };
    let sent = mail.send(&notice).await;
    if let Err(e) = &sent {
        tracing::warn!(org_id = %scope.org_id(), user_id = %user, error = %e, "confirmation email not sent");
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let why = sent.as_ref().err().map(AccountMailError::for_people);
    email_confirmations::record_sending(&mut tx, &hash, why.as_deref()).await?;
    let status = email_confirmations::status(&mut tx, user).await?.ok_or(OpsError::NotFound)?;
    tx.commit().await?;
    Ok(status)
}

fn confirmation_text(name: Option<&str>, business: &str, link: &str) -> String {
    let hello = greeting(name);
    format!(
        "{hello}\n\nThis address was given for the Opsquad account of {business}. Open this link to confirm \
         it is yours:\n\n{link}\n\nThe link works for 48 hours. If you did not sign up, ignore this email: \
         until the address is confirmed, Opsquad sends it no alerts.\n\nThe Opsquad team"
    )
}

/// Opens a confirmation link: the address it was sent to becomes confirmed. A link that is
/// unknown, used, replaced by a newer one or expired is `NotFound`.
pub async fn confirm_email(db: &Db, token: &str) -> Result<(), OpsError> {
    if !link_tokens::looks_like_token(token) {
        return Err(OpsError::NotFound);
    }
    let mut tx = AuthTx::begin(db).await?;
    let confirmed = email_confirmations::confirm(&mut tx, &link_tokens::token_hash(token)).await?;
    tx.commit().await?;
    let confirmed = confirmed.ok_or(OpsError::NotFound)?;
    tracing::info!(org_id = %confirmed.org_id, user_id = %confirmed.user_id, "email address confirmed");
    Ok(())
}

/// Sends a link that sets a new password to `email`, when it is the address of an active member;
/// the caller answers the same either way, so the form tells no one whether an address has an
/// account.
pub async fn request_password_reset(
    db: &Db,
    mail: &AccountMail,
    site: &PublicUrl,
    email: &str,
) -> Result<(), OpsError> {
    if !mail.can_send() {
        return Err(OpsError::Conflict {
            field: None,
            message:
                "this Opsquad cannot send email, so it cannot reset passwords by email; ask the person who runs it"
                    .into(),
        });
    }
    let email = domain::Email::parse(email).map_err(|e| OpsError::validation("email", e))?;
    let token = link_tokens::new_token();
    let Some(found) = store::password_resets::create(db, &email, &link_tokens::token_hash(&token)).await? else {
        return Ok(());
    };
    let hello = greeting(found.name.as_deref());
    let notice = Notice {
        to: found.email.clone(),
        subject: "Reset your Opsquad password".into(),
        text: format!(
            "{hello}\n\nSomeone asked to reset the password of your Opsquad account. Open this link within \
             the hour to choose a new one:\n\n{}\n\nIf it was not you, ignore this email: your password stays \
             as it is.\n\nThe Opsquad team",
            site.link("reset-password", &token)
        ),
    };
    if let Err(e) = mail.send(&notice).await {
        tracing::warn!(org_id = %found.org_id, user_id = %found.user_id, error = %e, "password reset email not sent");
        return Err(OpsError::Conflict {
            field: None,
            message: "we couldn't send the email just now; try again in a few minutes".into(),
        });
    }
    tracing::info!(org_id = %found.org_id, user_id = %found.user_id, "password reset link sent");
    Ok(())
}

/// Uses a reset link once: the new password replaces the old and every session of the person's
/// ends. A link that is unknown, used, replaced or expired is `NotFound`.
pub async fn reset_password(db: &Db, token: &str, new_password: &str) -> Result<(), OpsError> {
    let password = Password::parse(new_password).map_err(|e| OpsError::validation("password", e))?;
    if !link_tokens::looks_like_token(token) {
        return Err(OpsError::NotFound);
    }
    let hash = auth::password::hash(&password).await.map_err(|e| store::StoreError::Corrupt(e.to_string()))?;
    let (org_id, user_id) =
        store::password_resets::reset(db, &link_tokens::token_hash(token), &hash).await?.ok_or(OpsError::NotFound)?;
    tracing::info!(%org_id, %user_id, "password reset by email; sessions ended");
    Ok(())
}
