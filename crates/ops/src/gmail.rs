//! A shop's Gmail, connected by signing in with Google. The code Google sends back is traded
//! (with the PKCE verifier the owner's session kept) for tokens, which are sealed like every
//! credential; the squad then reads the inbox's history from where it last stood, woken by
//! Gmail's push notifications or, when those stop, by the regular checks, and answers with
//! `messages.send` in the customer's own thread. A grant the owner withdrew marks the connection
//! broken, in words, and ends the checks until Gmail is connected again.

use std::sync::Arc;

use ::integrations::gmail::{self, GmailError, Google, Tokens};
use ::integrations::mail;
use ::integrations::secrets::Keyring;
use serde::{Deserialize, Serialize};
use serde_json::json;
use squad::channels::{Channel, DeliveryError, Outbound};
use store::integrations::{self as connections, Connection, NewConnection};
use store::{audit, Db, StoreError, TenantScope, TenantTx};

use crate::integrations::{context, corrupt, keep_email, letter_for};
use crate::mail_inbox::{self, Checked, TakeInError};
use crate::permissions::{require, Operation};
use crate::OpsError;

pub(crate) const PROVIDER: &str = "gmail";
/// The server that receives Gmail's mail and writes its Authentication-Results.
const GMAIL_AUTHSERV: &str = "mx.google.com";
/// How often the push subscription is renewed (Gmail ends a watch after seven days).
const WATCH_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// A connected Gmail, its tokens opened.
#[derive(Debug, Clone)]
pub struct GmailAccount {
    pub address: String,
    pub tokens: Tokens,
}

/// Where the squad stands in the mailbox: Gmail's history id, and when push was last asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cursor {
    history_id: String,
    #[serde(default)]
    watched_at: Option<i64>,
}

pub(crate) fn open(keys: &Keyring, scope: &TenantScope, sealed: &str) -> Result<Tokens, StoreError> {
    let plain = keys.open(&context(scope, PROVIDER), sealed).map_err(|e| corrupt(format!("Gmail tokens: {e}")))?;
    serde_json::from_slice(&plain).map_err(|e| corrupt(format!("Gmail tokens: {e}")))
}

fn seal(keys: &Keyring, scope: &TenantScope, tokens: &Tokens) -> Result<String, StoreError> {
    let plain = serde_json::to_vec(tokens).map_err(corrupt)?;
    keys.seal(&context(scope, PROVIDER), &plain).map_err(corrupt)
}

/// Why Gmail could not be connected, for the owner.
fn refused(err: &GmailError) -> OpsError {
    OpsError::validation("gmail", format!("Gmail: {err}."))
}

/// Finishes the sign-in: trades `code` for the mailbox's tokens, reads which mailbox it is, and
/// keeps the connection (replacing any email connection the shop had). Mail that arrives from now
/// on is the squad's to read.
pub async fn connect(
    db: &Db,
    keys: &Keyring,
    google: &Google,
    scope: &TenantScope,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<Connection, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    if code.is_empty() || code.len() > 2048 {
        return Err(OpsError::validation("code", "Google sent back no usable sign-in code; try connecting again."));
    }
    let http = Google::http();
    let tokens = google.exchange(&http, code, verifier, redirect_uri).await.map_err(|e| refused(&e))?;
    let mut mailbox = gmail::Mailbox::new(google, http, tokens);
    let profile = mailbox.profile().await.map_err(|e| refused(&e))?;
    let address = domain::Email::parse(&profile.address)
        .map_err(|e| OpsError::validation("gmail", format!("Gmail named an address we cannot use: {e}.")))?;
    let sealed = seal(keys, scope, mailbox.tokens().0)?;
    let cursor = json!(Cursor { history_id: profile.history_id, watched_at: None }).to_string();
    let config = json!({ "scopes": gmail::SCOPES });
    let new = NewConnection {
        provider: PROVIDER,
        account: address.as_str(),
        config: &config,
        sealed: &sealed,
        cursor: Some(&cursor),
    };
    keep_email(db, scope, &new, &json!({ "provider": PROVIDER, "address": address.as_str() })).await
}

/// Gmail reported a change in `address` (a verified push): the queued check of every shop
/// connected to that mailbox runs now. How many shops that was.
pub async fn pushed(db: &Db, address: &str) -> Result<usize, OpsError> {
    let mut woken = 0;
    for scope in connections::gmail_orgs(db, address).await? {
        if mail_inbox::wake(db, &scope).await? {
            woken += 1;
        }
    }
    Ok(woken)
}

async fn save(db: &Db, scope: &TenantScope, cursor: &Cursor) -> Result<(), StoreError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    connections::set_cursor(&mut tx, PROVIDER, &json!(cursor).to_string()).await?;
    tx.commit().await
}

/// Keeps tokens Google renewed during a check, so the next one starts with them.
async fn keep_tokens(
    db: &Db,
    scope: &TenantScope,
    keys: &Keyring,
    mailbox: &gmail::Mailbox<'_>,
) -> Result<(), StoreError> {
    let (tokens, renewed) = mailbox.tokens();
    if !renewed {
        return Ok(());
    }
    let sealed = seal(keys, scope, tokens)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    connections::set_credentials(&mut tx, PROVIDER, &sealed).await?;
    tx.commit().await
}

fn unreadable(err: GmailError) -> TakeInError {
    let revoked = matches!(err, GmailError::Revoked(_));
    TakeInError::Mail { words: err.to_string(), broken: revoked }
}

/// One check of a Gmail inbox: the messages history added since the squad's place, each taken in
/// its own transaction with the place moved past it.
pub(crate) async fn take_in(
    db: &Db,
    scope: &TenantScope,
    keys: &Keyring,
    google: &Google,
    account: &GmailAccount,
    cursor: Option<String>,
) -> Result<Checked, TakeInError> {
    let mut mailbox = gmail::Mailbox::new(google, Google::http(), account.tokens.clone());
    let outcome = read_history(db, scope, google, &mut mailbox, account, cursor).await;
    // Whatever happened, a renewed token is kept.
    keep_tokens(db, scope, keys, &mailbox).await?;
    outcome
}

async fn read_history(
    db: &Db,
    scope: &TenantScope,
    google: &Google,
    mailbox: &mut gmail::Mailbox<'_>,
    account: &GmailAccount,
    cursor: Option<String>,
) -> Result<Checked, TakeInError> {
    let Some(mut cursor) = cursor.and_then(|c| serde_json::from_str::<Cursor>(&c).ok()) else {
        let profile = mailbox.profile().await.map_err(unreadable)?;
        save(db, scope, &Cursor { history_id: profile.history_id, watched_at: None }).await?;
        return Ok(Checked::default());
    };
    let mut checked = Checked::default();
    if let Some(topic) = &google.topic {
        if cursor.watched_at.is_none_or(|at| store::now_ms() - at > WATCH_EVERY_MS) {
            match mailbox.watch(topic).await {
                Ok(()) => cursor.watched_at = Some(store::now_ms()),
                Err(e) => {
                    checked.warning = Some(format!(
                    "Gmail could not be asked to report new mail at once ({e}); it is read every 30 seconds instead"
                ))
                }
            }
        }
    }
    let history = match mailbox.history_since(&cursor.history_id, mail_inbox::PER_CHECK).await {
        Ok(history) => history,
        Err(GmailError::HistoryGone) => {
            // Gmail keeps about a week of history: after a longer outage the squad reads on from
            // now, and the owner sees that mail in between was not read.
            let profile = mailbox.profile().await.map_err(unreadable)?;
            let mut tx = TenantTx::begin(db, scope).await?;
            let entry = json!({ "provider": PROVIDER, "from": cursor.history_id, "to": profile.history_id });
            audit::record(&mut tx, "gmail history skipped", &entry).await?;
            cursor.history_id = profile.history_id;
            connections::set_cursor(&mut tx, PROVIDER, &json!(cursor).to_string()).await?;
            tx.commit().await?;
            checked.warning = Some("Gmail no longer had the history since the last check; mail that arrived while Opsquad could not read the mailbox was skipped — check the inbox yourself".into());
            return Ok(checked);
        }
        Err(e) => return Err(unreadable(e)),
    };
    for added in history.added {
        let raw = mailbox.raw(&added.id).await.map_err(unreadable)?;
        let mut tx = TenantTx::begin(db, scope).await?;
        let fallback_id = format!("gmail:{}", added.id);
        if mail_inbox::take_one(&mut tx, &account.address, Some(GMAIL_AUTHSERV), &raw, &fallback_id).await? {
            checked.taken += 1;
        } else {
            checked.passed_over += 1;
        }
        cursor.history_id = added.history_id;
        connections::set_cursor(&mut tx, PROVIDER, &json!(cursor).to_string()).await?;
        tx.commit().await?;
    }
    cursor.history_id = history.history_id;
    save(db, scope, &cursor).await?;
    Ok(checked)
}

/// One shop's Gmail as the channel its email leaves through.
pub(crate) struct GmailChannel {
    google: Arc<Google>,
    account: GmailAccount,
    business: String,
}

impl GmailChannel {
    pub(crate) fn new(google: Arc<Google>, account: GmailAccount, business: String) -> Self {
        Self { google, account, business }
    }
}

fn failed(err: GmailError) -> DeliveryError {
    if err.is_transient() {
        DeliveryError::Transient(err.to_string())
    } else {
        DeliveryError::Permanent(err.to_string())
    }
}

#[async_trait::async_trait]
impl Channel for GmailChannel {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn deliver(&self, message: &Outbound, _idempotency_key: &str) -> Result<serde_json::Value, DeliveryError> {
        let letter = letter_for(message, &self.account.address, &self.business);
        let (built, message_id) = mail::compose(&letter).map_err(|e| DeliveryError::Permanent(e.to_string()))?;
        let mut mailbox = gmail::Mailbox::new(&self.google, Google::http(), self.account.tokens.clone());
        // Gmail threads a reply only when it is told the thread (and the subject matches).
        let thread = match &message.in_reply_to {
            Some(parent) => mailbox.thread_of(parent).await.map_err(failed)?,
            None => None,
        };
        let id = mailbox.send(&built.formatted(), thread.as_deref()).await.map_err(failed)?;
        // The customer's answer names the id Gmail kept; if it cannot be read now, ours stands
        // (the answer's References still name the customer's own first message).
        let kept = mailbox.message_id_of(&id).await.ok().flatten().unwrap_or(message_id);
        Ok(json!({ "provider": PROVIDER, "sent": true, "message_id": kept, "gmail_id": id, "thread_id": thread }))
    }
}
