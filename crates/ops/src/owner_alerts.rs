//! Alerts to the owner by email: when a lead needs a person (any escalation, a safety emergency
//! first among them), each owner whose address is confirmed and who has not turned the emails off
//! gets a letter at once through Opsquad's own mail server, with a link to the lead. Each owner is
//! emailed once per escalation however often the job is retried.

use domain::LeadId;
use serde_json::json;
use squad::link_tokens::PublicUrl;
use store::side_effects::{self, Entry};
use store::users::AlertRecipient;
use store::{audit, escalations, leads, orgs, users, Db, StoreError, TenantScope, TenantTx};

use crate::account_mail::{AccountMail, AccountMailError, Notice};

/// What an alert job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alerted {
    /// Letters left for this many owners (those already emailed on an earlier attempt not counted).
    Sent(usize),
    /// Nobody to tell by email: the escalation was already decided, no owner has a confirmed
    /// address with alerts on, or this Opsquad has no mail server.
    Nobody(&'static str),
}

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The mail server did not take a letter; the job retries (owners already emailed are not
    /// emailed again).
    #[error(transparent)]
    Mail(#[from] AccountMailError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Longest stretch of the escalation's reason a letter quotes (it may be a model's words about a
/// customer's message; the lead's page has it all).
const REASON_CHARS: usize = 400;

pub async fn alert(
    db: &Db,
    scope: &TenantScope,
    mail: &AccountMail,
    site: &PublicUrl,
    escalation_id: &str,
) -> Result<Alerted, AlertError> {
    if !mail.can_send() {
        return Ok(Alerted::Nobody("this Opsquad has no mail server"));
    }
    let mut tx = TenantTx::read(db, scope).await?;
    let Some(escalation) = escalations::get(&mut tx, escalation_id).await? else {
        return Ok(Alerted::Nobody("the escalation is gone"));
    };
    if escalation.status != domain::squad::EscalationStatus::Pending {
        return Ok(Alerted::Nobody("the escalation was already decided"));
    }
    let lead_id = LeadId::parse(&escalation.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let lead = leads::get(&mut tx, lead_id).await?;
    let customer = lead.map_or_else(|| "A customer".to_owned(), |l| l.customer_name);
    let business = orgs::current(&mut tx).await?.name;
    let mut recipients = users::alert_recipients(&mut tx).await?;
    recipients.retain(|r| crate::Operation::ReceiveOwnerAlerts.allows(r.role));
    tx.commit().await?;
    if recipients.is_empty() {
        return Ok(Alerted::Nobody("no owner has a confirmed address with alerts on"));
    }

    let (headline, why) = words(&escalation.kind, &escalation.reason);
    let link = site.at(&format!("app/leads/{lead_id}"));
    let letter = |owner: &AlertRecipient| Notice {
        to: owner.email.clone(),
        subject: format!("{business}: {customer} needs you ({headline})"),
        text: format!(
            "{}\n\n{customer} needs you: {headline}.\n\n{why}\n\nOpen the lead to act on it:\n{link}\n\n\
             You get this email because you own {business} on Opsquad. To stop these emails, turn off \
             \"Email me when a lead needs me\" in Settings, under Your account.",
            crate::account_mail::greeting(owner.name.as_deref())
        ),
    };
    let once = Once {
        key: &format!("alert:{escalation_id}"),
        kind: "owner_alert",
        audit: "owner alerted by email",
        detail: &json!({ "escalation_id": escalation_id, "lead_id": lead_id }),
    };
    Ok(Alerted::Sent(email_each_once(db, scope, mail, &recipients, &once, letter).await?))
}

/// One letter to each of several owners, and how the ledger and the audit log know it.
pub(crate) struct Once<'a> {
    /// Each owner's letter is remembered as `{key}:{user id}`.
    pub key: &'a str,
    /// The side effect's kind in the ledger.
    pub kind: &'a str,
    /// The audit log's action for each letter, and what it records besides the owner.
    pub audit: &'a str,
    pub detail: &'a serde_json::Value,
}

/// Emails each of `recipients` the letter `letter` writes for them, once however often this
/// runs: the side-effect ledger remembers each letter sent. How many were sent now.
pub(crate) async fn email_each_once(
    db: &Db,
    scope: &TenantScope,
    mail: &AccountMail,
    recipients: &[AlertRecipient],
    once: &Once<'_>,
    letter: impl Fn(&AlertRecipient) -> Notice,
) -> Result<usize, AlertError> {
    let mut sent = 0;
    for owner in recipients {
        let key = format!("{}:{}", once.key, owner.user_id);
        let mut tx = TenantTx::begin(db, scope).await?;
        match side_effects::begin(&mut tx, &key, once.kind, "email").await? {
            Entry::Done(_) | Entry::Failed(_) => continue,
            Entry::New | Entry::Started => {}
        }
        tx.commit().await?;
        mail.send(&letter(owner)).await?;
        let mut tx = TenantTx::begin(db, scope).await?;
        side_effects::finish(&mut tx, &key, true, &json!({ "to": owner.email })).await?;
        let mut entry = once.detail.clone();
        entry["user_id"] = json!(owner.user_id);
        audit::record(&mut tx, once.audit, &entry).await?;
        tx.commit().await?;
        sent += 1;
    }
    Ok(sent)
}

/// The alert's headline for `kind`, and the reason as the letter quotes it.
fn words(kind: &str, reason: &str) -> (&'static str, String) {
    let headline = match kind {
        "safety" => "a possible safety emergency",
        "approval" => "an approval",
        "delivery_failed" => "a message could not be delivered",
        "calendar" => "a technician's calendar",
        "complaint" => "a complaint",
        "language" => "someone who writes in another language",
        "manipulation" => "a message that tried to manipulate the squad",
        "model" | "limit" => "the squad could not finish",
        "follow_up" => "a follow-up",
        _ => "a decision",
    };
    let mut quoted: String = reason.chars().take(REASON_CHARS).collect();
    if reason.chars().count() > REASON_CHARS {
        quoted.push_str("...");
    }
    (headline, format!("Why: {quoted}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_names_the_kind_and_quotes_a_bounded_reason() {
        let (headline, why) = words("safety", "Customer smells gas near the furnace.");
        assert_eq!(headline, "a possible safety emergency");
        assert_eq!(why, "Why: Customer smells gas near the furnace.");
        let (headline, why) = words("something_new", &"x".repeat(1000));
        assert_eq!(headline, "a decision");
        assert_eq!(why.chars().count(), "Why: ".len() + REASON_CHARS + 3);
    }
}
