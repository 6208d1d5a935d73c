//! The owners' morning summary by email: what came in during the last day, what was booked and
//! paid, what waits for them and whether the shop's mailbox works, with a link to the dashboard.
//! One letter per owner per day (retries do not repeat it), at 7:00 in the shop's time zone, and
//! none on a day with nothing to say. Each summary queues the next; the worker's housekeeping
//! starts the chain for an org that has none.

use domain::jobs::{Job, OwnerSummary};
use domain::pipeline::Channel;
use domain::squad::EscalationStatus;
use serde_json::json;
use squad::link_tokens::PublicUrl;
use store::jobs::{self, NewJob};
use store::{escalations, integrations, orgs, reports, users, Db, StoreError, TenantScope, TenantTx};

use crate::account_mail::{AccountMail, Notice};
use crate::owner_alerts::{email_each_once, AlertError, Once};

/// The hour of the shop's morning the summary is sent.
pub const SEND_AT_HOUR: u32 = 7;
const KIND: &str = "owner_summary";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What a summary job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Summarized {
    /// Letters left for this many owners (those already emailed today not counted).
    Sent(usize),
    /// Nothing happened and nothing waits: no letter.
    Quiet,
    /// Nobody to tell by email, and why.
    Nobody(&'static str),
}

/// Queues the org's next summary for the coming 7:00 in its time zone (after `done`'s, when one
/// was just sent), unless it is queued.
async fn queue_next(tx: &mut TenantTx, done: Option<&str>) -> Result<(), StoreError> {
    let zone = store::settings::get(tx).await?.time_zone;
    let sent_at = done
        .and_then(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
        .and_then(|day| day.and_hms_opt(SEND_AT_HOUR, 0, 0))
        .and_then(|local| zone.instant(local));
    let after = sent_at.map_or(store::now_ms(), |at| at.max(store::now_ms()));
    let (day, at) = zone.next_at_hour(after, SEND_AT_HOUR);
    jobs::enqueue(
        tx,
        &NewJob {
            job: Job::OwnerSummary(OwnerSummary { day: day.clone() }),
            run_at: Some(at),
            max_attempts: 10,
            idempotency_key: format!("owner-summary:{day}"),
        },
    )
    .await?;
    Ok(())
}

/// Housekeeping: starts the daily chain for every org that has no summary queued. How many.
pub async fn schedule(db: &Db) -> Result<usize, StoreError> {
    let missing = jobs::orgs_without(db, KIND).await?;
    for scope in &missing {
        let mut tx = TenantTx::begin(db, scope).await?;
        queue_next(&mut tx, None).await?;
        tx.commit().await?;
    }
    Ok(missing.len())
}

/// The day at the shop, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Day {
    inquiries: usize,
    /// New inquiries by channel, most first: ("email", 3).
    by_channel: Vec<(Channel, usize)>,
    booked: usize,
    paid: usize,
    waiting: usize,
    /// Hours the oldest waiting decision has waited.
    oldest_hours: i64,
    /// What is wrong with the shop's email connection, in its own words.
    mailbox_problem: Option<String>,
}

impl Day {
    fn is_quiet(&self) -> bool {
        self.inquiries == 0 && self.waiting == 0 && self.mailbox_problem.is_none()
    }

    fn letter(&self, business: &str, hello: &str, link: &str) -> String {
        let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut text = format!("{hello}\n\nThe last day at {business}:\n");
        if self.inquiries == 0 {
            text.push_str("- No new inquiries.\n");
        } else {
            let channels: Vec<String> = self.by_channel.iter().map(|(c, n)| format!("{}: {n}", c.describe())).collect();
            text.push_str(&format!(
                "- {} ({}).\n- {} booked, {} paid.\n",
                plural(self.inquiries, "new inquiry", "new inquiries"),
                channels.join(", "),
                plural(self.booked, "of them", "of them"),
                self.paid
            ));
        }
        if self.waiting > 0 {
            text.push_str(&format!(
                "- Waiting for you: {} (the oldest for {}).\n",
                plural(self.waiting, "decision", "decisions"),
                plural(usize::try_from(self.oldest_hours.max(1)).unwrap_or(1), "hour", "hours")
            ));
        }
        if let Some(problem) = &self.mailbox_problem {
            text.push_str(&format!("- Your shop's email is not working: {problem}\n"));
        }
        text.push_str(&format!(
            "\nOpen your dashboard:\n{link}\n\nYou get this summary each morning because you own {business} on \
             Opsquad. To stop it, turn off \"Email me when a lead needs me\" in Settings, under Your account."
        ));
        text
    }
}

async fn count(tx: &mut TenantTx) -> Result<Day, StoreError> {
    let now = store::now_ms();
    let leads = reports::leads_since(tx, now - DAY_MS).await?;
    let mut by_channel: Vec<(Channel, usize)> = Vec::new();
    for lead in &leads {
        match by_channel.iter_mut().find(|(c, _)| *c == lead.channel) {
            Some((_, n)) => *n += 1,
            None => by_channel.push((lead.channel, 1)),
        }
    }
    by_channel.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
    let waiting = escalations::list(tx, EscalationStatus::Pending, 500).await?;
    let oldest = waiting.iter().map(|e| e.created_at).min();
    let mailbox_problem = integrations::list(tx)
        .await?
        .into_iter()
        .find(|c| matches!(c.provider.as_str(), "imap_smtp" | "gmail") && c.status == "error")
        .map(|c| c.last_error.unwrap_or_else(|| "it could not be used at the last try".into()));
    Ok(Day {
        inquiries: leads.len(),
        by_channel,
        booked: leads.iter().filter(|l| l.appointments > 0).count(),
        paid: leads.iter().filter(|l| l.paid_invoices > 0).count(),
        waiting: waiting.len(),
        oldest_hours: oldest.map_or(0, |at| (now - at) / (60 * 60 * 1000)),
        mailbox_problem,
    })
}

/// An `owner_summary` job: queues tomorrow's, then emails each owner who takes alerts the day's
/// summary, once.
pub async fn send(
    db: &Db,
    scope: &TenantScope,
    mail: &AccountMail,
    site: &PublicUrl,
    day: &str,
) -> Result<Summarized, AlertError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    queue_next(&mut tx, Some(day)).await?;
    tx.commit().await?;
    if !mail.can_send() {
        return Ok(Summarized::Nobody("this Opsquad has no mail server"));
    }
    let mut tx = TenantTx::read(db, scope).await?;
    let counted = count(&mut tx).await?;
    let business = orgs::current(&mut tx).await?.name;
    let mut recipients = users::alert_recipients(&mut tx).await?;
    recipients.retain(|r| crate::Operation::ReceiveOwnerAlerts.allows(r.role));
    tx.commit().await?;
    if counted.is_quiet() {
        return Ok(Summarized::Quiet);
    }
    if recipients.is_empty() {
        return Ok(Summarized::Nobody("no owner has a confirmed address with alerts on"));
    }
    let link = site.at("app");
    let letter = |owner: &store::users::AlertRecipient| Notice {
        to: owner.email.clone(),
        subject: format!("{business}: your morning summary"),
        text: counted.letter(&business, &crate::account_mail::greeting(owner.name.as_deref()), &link),
    };
    let once = Once {
        key: &format!("summary:{day}"),
        kind: "owner_summary",
        audit: "owner summary emailed",
        detail: &json!({ "day": day }),
    };
    Ok(Summarized::Sent(email_each_once(db, scope, mail, &recipients, &once, letter).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_letter_counts_the_day_in_plain_words() {
        let day = Day {
            inquiries: 3,
            by_channel: vec![(Channel::Email, 2), (Channel::Chat, 1)],
            booked: 2,
            paid: 1,
            waiting: 1,
            oldest_hours: 5,
            mailbox_problem: Some("Reading mail: could not reach imap.example.com:993".into()),
        };
        let text = day.letter("Acme Heating", "Hello Dana,", "https://app.example.com/app");
        assert!(text.starts_with("Hello Dana,\n\nThe last day at Acme Heating:\n"), "{text}");
        assert!(text.contains("- 3 new inquiries (email: 2, chat: 1)."), "{text}");
        assert!(text.contains("- 2 of them booked, 1 paid."), "{text}");
        assert!(text.contains("- Waiting for you: 1 decision (the oldest for 5 hours)."), "{text}");
        assert!(text.contains("Your shop's email is not working: Reading mail"), "{text}");
        assert!(text.contains("https://app.example.com/app") && text.contains("To stop it"), "{text}");
        assert!(Day::default().is_quiet());
        assert!(!Day { waiting: 1, ..Day::default() }.is_quiet());
    }
}
