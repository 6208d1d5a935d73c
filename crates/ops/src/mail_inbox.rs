//! Taking in what reaches a shop's connected mailbox. A `check_mailbox` job reads the mail that
//! arrived since the squad's place in the inbox (the IMAP UID it last took, or Gmail's history
//! id — see [`crate::gmail`]), and each letter in
//! its own transaction enters the same inbound path as every channel, moving that place on with
//! it: a crash or restart re-reads at most the letter in hand, and its Message-ID makes the
//! second reading a no-op. Automatic mail (out-of-office replies, lists, bounces) and the shop's
//! own letters never start a conversation. A reply that names one of the squad's own emails in
//! its thread headers, from the customer that email went to, is verified by that thread.

use ::integrations::inbox::{self, Automatic, Cursor, Found};
use domain::inbound::SenderProof;
use domain::jobs::{CheckMailbox, Job};
use domain::pipeline::Channel;
use domain::{Email, PersonName};
use serde_json::json;
use store::integrations as connections;
use store::jobs::{self, NewJob};
use store::{audit, customers, leads, Db, StoreError, TenantScope, TenantTx};

use crate::inbound::{self, Inquiry};
use crate::integrations::{connected, Connected, MailAccess, Mailbox};
use crate::OpsError;

/// How often a connected mailbox is looked at when no watcher reports new mail sooner.
pub const CHECK_EVERY_MS: i64 = 30_000;
/// The most letters one check takes in; the rest wait for the next.
pub(crate) const PER_CHECK: usize = 50;

/// What one check did.
#[derive(Debug, Default, Clone)]
pub struct Checked {
    /// Letters that entered the inbound path.
    pub taken: usize,
    /// Automatic mail and the shop's own, passed over.
    pub passed_over: usize,
    /// The mailbox's incoming server while it stays connected, for a watcher to wait on.
    pub imap: Option<::integrations::mail::Server>,
    /// The mailbox was read, but something the owner should know went wrong on the way.
    pub warning: Option<String>,
}

/// New mail is waiting (a watcher on the inbox saw it): the queued check runs now. `false` when
/// no check is queued — the mailbox was disconnected and its watcher should stop.
pub async fn wake(db: &Db, scope: &TenantScope) -> Result<bool, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let queued = jobs::is_queued(&mut tx, "check_mailbox").await?;
    jobs::make_due(&mut tx, "check_mailbox").await?;
    tx.commit().await?;
    Ok(queued)
}

/// Queues the mailbox's next check (`at`, Unix ms) in the caller's transaction, unless one is
/// already waiting: one chain of checks per mailbox, however often it is reconnected.
pub(crate) async fn queue_check(tx: &mut TenantTx, at: i64) -> Result<(), StoreError> {
    if jobs::is_queued(tx, "check_mailbox").await? {
        return Ok(());
    }
    jobs::enqueue(
        tx,
        &NewJob {
            job: Job::CheckMailbox(CheckMailbox {}),
            run_at: Some(at),
            // A check that fails (the database is away) retries with backoff for hours: it is the
            // chain that keeps the mailbox read.
            max_attempts: 20,
            idempotency_key: format!("check-mailbox:{at}"),
        },
    )
    .await?;
    Ok(())
}

/// A `check_mailbox` job: takes in what is new, records how the mailbox fared, and queues the
/// next check while the mailbox stays connected.
pub async fn check(db: &Db, scope: &TenantScope, access: &MailAccess) -> Result<Checked, OpsError> {
    let mut tx = TenantTx::read(db, scope).await?;
    let Some(connection) = connected(&mut tx, scope, access).await? else {
        // Disconnected: the chain of checks ends here.
        return Ok(Checked::default());
    };
    let provider = connection.provider();
    let cursor = connections::cursor(&mut tx, provider).await?;
    tx.commit().await?;
    let outcome = match &connection {
        Connected::Servers(mailbox) => {
            take_in(db, scope, mailbox, cursor.and_then(|c| serde_json::from_str::<Cursor>(&c).ok())).await
        }
        Connected::Gmail(account) => match &access.google {
            Some(google) => crate::gmail::take_in(db, scope, &access.keys, google, account, cursor).await,
            None => Err(TakeInError::Mail {
                words: "this Opsquad is no longer set up for Gmail; ask its operator, or connect the mailbox over IMAP and SMTP".into(),
                broken: false,
            }),
        },
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    // The owner sees on the connection whether the mailbox could be read; the next check tries
    // again, unless the mailbox's owner withdrew the access (only connecting again mends that).
    let (checked, again) = match outcome {
        Ok(checked) => {
            connections::set_health(&mut tx, provider, checked.warning.as_deref()).await?;
            (checked, true)
        }
        Err(TakeInError::Mail { words, broken }) => {
            tracing::warn!(org_id = %scope.org_id(), error = %words, broken, "the mailbox could not be read");
            connections::set_health(&mut tx, provider, Some(&format!("Reading mail: {words}"))).await?;
            if broken {
                audit::record(&mut tx, "email connection broken", &json!({ "provider": provider, "why": words }))
                    .await?;
            }
            (Checked::default(), !broken)
        }
        // The job's own retry is the next check.
        Err(TakeInError::Ops(e)) => return Err(e),
    };
    if again {
        queue_check(&mut tx, store::now_ms() + CHECK_EVERY_MS).await?;
    }
    tx.commit().await?;
    let imap = match connection {
        Connected::Servers(mailbox) => Some(mailbox.imap),
        Connected::Gmail(_) => None,
    };
    Ok(Checked { imap, ..checked })
}

pub(crate) enum TakeInError {
    /// The mailbox could not be read, in words for the owner; `broken` when only connecting it
    /// again can mend that.
    Mail {
        words: String,
        broken: bool,
    },
    Ops(OpsError),
}

impl From<::integrations::mail::MailError> for TakeInError {
    fn from(e: ::integrations::mail::MailError) -> Self {
        Self::Mail { words: e.to_string(), broken: false }
    }
}

impl From<OpsError> for TakeInError {
    fn from(e: OpsError) -> Self {
        Self::Ops(e)
    }
}

impl From<StoreError> for TakeInError {
    fn from(e: StoreError) -> Self {
        Self::Ops(e.into())
    }
}

async fn take_in(
    db: &Db,
    scope: &TenantScope,
    mailbox: &Mailbox,
    cursor: Option<Cursor>,
) -> Result<Checked, TakeInError> {
    let cursor = match cursor {
        Some(cursor) => cursor,
        None => {
            let now = inbox::cursor_now(&mailbox.imap).await?;
            save_cursor(db, scope, now).await?;
            return Ok(Checked::default());
        }
    };
    let letters = match inbox::fetch_after(&mailbox.imap, cursor, PER_CHECK).await? {
        Found::New(letters) => letters,
        Found::Renumbered { now } => {
            tracing::warn!(org_id = %scope.org_id(), "the mail server renumbered the inbox; reading on from now");
            save_cursor(db, scope, now).await?;
            return Ok(Checked::default());
        }
    };
    let mut checked = Checked::default();
    for fetched in letters {
        let mut tx = TenantTx::begin(db, scope).await?;
        let next = Cursor { uid_validity: cursor.uid_validity, last_uid: fetched.uid };
        // Which server an IMAP mailbox's Authentication-Results come from is not known: no
        // DMARC verdict is trusted there.
        if take_one(&mut tx, &mailbox.address, None, &fetched.raw, &format!("imap:{}", fetched.uid)).await? {
            checked.taken += 1;
        } else {
            checked.passed_over += 1;
        }
        connections::set_cursor(&mut tx, crate::integrations::PROVIDER, &json!(next).to_string()).await?;
        tx.commit().await?;
    }
    Ok(checked)
}

async fn save_cursor(db: &Db, scope: &TenantScope, cursor: Cursor) -> Result<(), StoreError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    connections::set_cursor(&mut tx, crate::integrations::PROVIDER, &json!(cursor).to_string()).await?;
    tx.commit().await
}

/// One letter (its raw bytes) that reached the shop's `own` address into the inbound path;
/// `false` when it was passed over. `fallback_id` names it when it has no `Message-ID`.
/// `authserv` is the mailbox's own receiving server, whose DMARC verdict proves a sender.
pub(crate) async fn take_one(
    tx: &mut TenantTx,
    own: &str,
    authserv: Option<&str>,
    raw: &[u8],
    fallback_id: &str,
) -> Result<bool, OpsError> {
    let Some(letter) = inbox::read(raw) else {
        tracing::warn!(id = fallback_id, "a letter in the inbox could not be read; passed over");
        return Ok(false);
    };
    let from = letter.from_address.as_deref().and_then(|a| Email::parse(a).ok());
    let own = Email::parse(own).ok();
    let ours = matches!((&from, &own), (Some(f), Some(o)) if f.canonical() == o.canonical());
    if letter.automatic == Some(Automatic::Bounce) {
        returned(tx, raw, letter.message_id.as_deref()).await?;
    }
    if let Some(kind) = letter.automatic {
        let entry = json!({ "id": fallback_id, "message_id": letter.message_id, "kind": format!("{kind:?}") });
        audit::record(tx, "automatic email passed over", &entry).await?;
        return Ok(false);
    }
    let Some(from) = from.filter(|_| !ours) else { return Ok(false) };
    // A reply in a thread the squad started, from the customer it wrote to, proves the sender.
    // The squad's letter may have been an email, or a chat reply emailed to a visitor who left.
    let mut known = None;
    let threads =
        letter.in_reply_to.iter().chain(&letter.references).flat_map(|id| [(Channel::Email, id), (Channel::Chat, id)]);
    for (channel, id) in threads {
        if let Some((lead, _)) = leads::find_by_external_id(tx, channel, id).await? {
            let Some(lead) = leads::get(tx, lead).await? else { continue };
            let Some(customer) = customers::get(tx, lead.customer_id).await? else { continue };
            let same = customer
                .email
                .as_deref()
                .and_then(|e| Email::parse(e).ok())
                .is_some_and(|e| e.canonical() == from.canonical());
            if same {
                known = Some(customer);
                break;
            }
        }
    }
    let mut body = letter.text.clone();
    if !letter.attachments.is_empty() {
        body.push_str(&format!("\n\n[Attached: {}]", letter.attachments.join(", ")));
    }
    if body.trim().is_empty() {
        body = "(The email had no text.)".to_owned();
    }
    let external_id = letter.message_id.clone().unwrap_or_else(|| fallback_id.to_owned());
    let inquiry = match &known {
        Some(customer) => Inquiry {
            subject: letter.subject.clone(),
            external_id: Some(external_id),
            ..Inquiry::from_known_customer(customer, Channel::Email, SenderProof::EmailThread, body)?
        },
        None => Inquiry {
            channel: Channel::Email,
            name: letter.from_name.as_deref().and_then(|n| PersonName::parse(n).ok()),
            email: Some(from),
            phone: None,
            subject: letter.subject.clone(),
            body,
            address: None,
            external_id: Some(external_id),
            // The mailbox's own server vouches that the sender's domain sent it (DMARC).
            proof: if authserv.is_some() && letter.dmarc_pass_by.as_deref() == authserv {
                SenderProof::EmailAuthenticated
            } else {
                SenderProof::None
            },
            known_customer: None,
        },
    };
    let accepted = inbound::accept_in(tx, &inquiry).await?;
    if let (Some(whole), false) = (&letter.whole, accepted.replayed) {
        leads::keep_original(tx, accepted.message_id, whole).await?;
    }
    Ok(true)
}

/// A bounce names the letter that came back in the headers it quotes: when that is one of the
/// squad's, it is marked not delivered and the owner is told, with the receiving server's reason.
async fn returned(tx: &mut TenantTx, raw: &[u8], own_id: Option<&str>) -> Result<(), StoreError> {
    let text = String::from_utf8_lossy(raw);
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    };
    // The receiving server's words, bounded: a bounce is outside text like any other.
    let why: String = field("Diagnostic-Code")
        .or_else(|| field("Status"))
        .unwrap_or_else(|| "no reason given".to_owned())
        .chars()
        .take(200)
        .collect();
    let quoted = text.lines().filter_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case("Message-ID").then(|| value.trim().to_owned())
    });
    for id in quoted.filter(|id| Some(id.as_str()) != own_id) {
        if let Some((_, message)) = leads::find_by_external_id(tx, Channel::Email, &id).await? {
            if squad::channels::returned(tx, message, &why).await? {
                tracing::info!(%message, "an email the squad sent came back");
            }
        }
    }
    Ok(())
}
