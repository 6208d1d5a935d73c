//! Connecting the shop's own accounts. Today: its mailbox over IMAP and SMTP (Gmail, which
//! connects by signing in with Google, is in [`crate::gmail`]). Both servers are
//! tried with the owner's settings before anything is stored; the passwords are then sealed
//! under the server's keyring, bound to the org, and never shown or logged again.

use ::integrations::mail::{self, MailError, Server, Tls};
use ::integrations::secrets::Keyring;
use domain::Email;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::json;
use squad::channels::{Channel, DeliveryError, Outbound, OwnChannels};
use store::integrations::{self as connections, Connection, NewConnection};
use store::{audit, Db, StoreError, TenantScope, TenantTx};

use crate::permissions::{require, Operation};
use crate::OpsError;

/// `PUT /api/v1/integrations/email`: a mailbox and the two servers that reach it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConnection {
    /// `imap_smtp` (Gmail connects through its own sign-in instead).
    pub kind: String,
    /// The shop's address: what customers write to and replies come from.
    pub address: String,
    pub imap: ServerSettings,
    pub smtp: ServerSettings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: String,
    pub password: SecretString,
}

/// One server of a connection, as it may be shown: no password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerShown {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: String,
}

pub(crate) const PROVIDER: &str = "imap_smtp";

/// What the sealed text holds.
#[derive(Serialize, Deserialize)]
struct Passwords {
    imap: String,
    smtp: String,
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Where a connection's secrets are bound: they open only for this org and provider.
pub(crate) fn context(scope: &TenantScope, provider: &str) -> String {
    format!("{}/{provider}", scope.org_id())
}

fn checked(
    field: &str,
    input: &ServerSettings,
    reach: mail::Reach,
    problems: &mut Vec<(String, String)>,
) -> Option<Server> {
    let host = input.host.trim();
    let mut wrong: Vec<(&str, &str)> = Vec::new();
    if host.is_empty() || host.len() > 253 || host.chars().any(|c| c.is_whitespace() || c == '/' || c == '@') {
        wrong.push(("host", "Give the server's name, like imap.example.com."));
    }
    if input.port == 0 {
        wrong.push(("port", "Give the server's port, like 993 for IMAP or 587 for SMTP."));
    }
    if input.username.trim().is_empty() || input.username.len() > 320 {
        wrong.push(("username", "Give the user name you sign in to the mailbox with."));
    }
    let password = input.password.expose_secret();
    if password.is_empty() || password.len() > 1024 {
        wrong.push(("password", "Give the mailbox's password (an app password if your provider offers one)."));
    }
    let server = Server {
        host: host.to_owned(),
        port: input.port,
        tls: input.tls,
        username: input.username.trim().to_owned(),
        password: input.password.clone(),
        reach,
    };
    if wrong.is_empty() && server.tls == Tls::None && !server.is_local() {
        wrong.push(("tls", "Choose STARTTLS or TLS: without it the password would cross the internet unencrypted."));
    }
    let ok = wrong.is_empty();
    problems.extend(wrong.into_iter().map(|(name, message)| (format!("{field}.{name}"), message.to_owned())));
    ok.then_some(server)
}

fn shown(server: &Server) -> ServerShown {
    ServerShown { host: server.host.clone(), port: server.port, tls: server.tls, username: server.username.clone() }
}

/// What failed when a server was tried, naming it.
fn failed(field: &str, err: &MailError) -> OpsError {
    let name = if field == "imap" { "IMAP (incoming mail)" } else { "SMTP (outgoing mail)" };
    OpsError::validation(field, format!("{name}: {err}."))
}

/// Tries both servers with the owner's settings; stores the connection (passwords sealed) only
/// when both answered, replacing any email connection the shop had.
pub async fn connect_email(
    db: &Db,
    keys: &Keyring,
    reach: mail::Reach,
    scope: &TenantScope,
    input: EmailConnection,
) -> Result<Connection, OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut problems = Vec::new();
    if input.kind != PROVIDER {
        problems.push(("kind".to_owned(), "Use `imap_smtp`; Gmail connects through its own sign-in.".to_owned()));
    }
    let address = Email::parse(input.address.trim());
    if let Err(e) = &address {
        problems.push(("address".to_owned(), format!("The shop's email address: {e}.")));
    }
    let imap = checked("imap", &input.imap, reach, &mut problems);
    let smtp = checked("smtp", &input.smtp, reach, &mut problems);
    OpsError::from_problems(problems)?;
    let (Ok(address), Some(imap), Some(smtp)) = (address, imap, smtp) else {
        return Err(OpsError::validation("kind", "The connection's settings are incomplete."));
    };
    // Both refuse a server out of `reach` before connecting.
    // Mail that arrives from now on is the squad's; what was already there is the shop's.
    let start = ::integrations::inbox::cursor_now(&imap).await.map_err(|e| failed("imap", &e))?;
    mail::check_smtp(&smtp).await.map_err(|e| failed("smtp", &e))?;
    let cursor = json!(start).to_string();

    let passwords =
        Passwords { imap: imap.password.expose_secret().to_owned(), smtp: smtp.password.expose_secret().to_owned() };
    let plain = serde_json::to_vec(&passwords).map_err(corrupt)?;
    let sealed = keys.seal(&context(scope, PROVIDER), &plain).map_err(corrupt)?;
    let config = json!({ "imap": shown(&imap), "smtp": shown(&smtp) });
    let new = NewConnection {
        provider: PROVIDER,
        account: address.as_str(),
        config: &config,
        sealed: &sealed,
        cursor: Some(&cursor),
    };
    let entry =
        json!({ "provider": PROVIDER, "address": address.as_str(), "imap": config["imap"], "smtp": config["smtp"] });
    keep_email(db, scope, &new, &entry).await
}

/// Keeps `new` as the shop's one email connection (replacing any other), queues its first mailbox
/// check and audits `entry`, in one transaction; the connection as stored.
pub(crate) async fn keep_email(
    db: &Db,
    scope: &TenantScope,
    new: &NewConnection<'_>,
    entry: &serde_json::Value,
) -> Result<Connection, OpsError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    connections::put_email(&mut tx, new).await?;
    crate::mail_inbox::queue_check(&mut tx, store::now_ms()).await?;
    audit::record(&mut tx, "email connected", entry).await?;
    let stored = email_of(&mut tx).await?.ok_or_else(|| corrupt("the connection just stored is missing"))?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), provider = new.provider, "email connected");
    Ok(stored)
}

pub(crate) async fn email_of(tx: &mut TenantTx) -> Result<Option<Connection>, StoreError> {
    Ok(connections::email(tx).await?.map(|(connection, _)| connection))
}

/// Every connection of the shop, with its status and last error; never a credential.
pub async fn list(db: &Db, scope: &TenantScope) -> Result<Vec<Connection>, OpsError> {
    require(scope, Operation::ReadRecords)?;
    let mut tx = TenantTx::read(db, scope).await?;
    let all = connections::list(&mut tx).await?;
    tx.commit().await?;
    Ok(all)
}

/// Disconnects the shop's email and forgets its credentials.
pub async fn disconnect_email(db: &Db, scope: &TenantScope) -> Result<(), OpsError> {
    require(scope, Operation::ManageIntegrations)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(current) = email_of(&mut tx).await? else { return Err(OpsError::NotFound) };
    connections::delete_email(&mut tx).await?;
    audit::record(&mut tx, "email disconnected", &json!({ "provider": current.provider, "address": current.account }))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A shop's mailbox, opened for use: its address and both servers with their passwords.
#[derive(Debug, Clone)]
pub struct Mailbox {
    pub address: String,
    pub imap: Server,
    pub smtp: Server,
}

/// The shop's connected mailbox, its passwords opened; `None` when it has none. A stored secret
/// that does not open (a wrong or missing key) is an error, never a silent `None`.
pub async fn mailbox(
    tx: &mut TenantTx,
    scope: &TenantScope,
    access: &MailAccess,
) -> Result<Option<Mailbox>, StoreError> {
    let Some((connection, sealed)) = connections::email(tx).await? else { return Ok(None) };
    if connection.provider != PROVIDER {
        return Ok(None);
    }
    let plain =
        access.keys.open(&context(scope, PROVIDER), &sealed).map_err(|e| corrupt(format!("email credentials: {e}")))?;
    let passwords: Passwords =
        serde_json::from_slice(&plain).map_err(|e| corrupt(format!("email credentials: {e}")))?;
    let server = |shown: &serde_json::Value, password: String| -> Result<Server, StoreError> {
        let shown: ServerShown = serde_json::from_value(shown.clone()).map_err(corrupt)?;
        Ok(Server {
            host: shown.host,
            port: shown.port,
            tls: shown.tls,
            username: shown.username,
            password: SecretString::from(password),
            reach: access.reach,
        })
    };
    Ok(Some(Mailbox {
        address: connection.account.clone().unwrap_or_default(),
        imap: server(&connection.config["imap"], passwords.imap)?,
        smtp: server(&connection.config["smtp"], passwords.smtp)?,
    }))
}

/// A shop's connected email, opened for use: its own servers, or its Gmail.
#[derive(Debug, Clone)]
pub enum Connected {
    Servers(Mailbox),
    Gmail(crate::gmail::GmailAccount),
}

impl Connected {
    pub fn address(&self) -> &str {
        match self {
            Self::Servers(mailbox) => &mailbox.address,
            Self::Gmail(account) => &account.address,
        }
    }

    pub fn provider(&self) -> &'static str {
        match self {
            Self::Servers(_) => PROVIDER,
            Self::Gmail(_) => crate::gmail::PROVIDER,
        }
    }
}

/// The shop's connected email of either kind, its credentials opened; `None` when it has none.
pub async fn connected(
    tx: &mut TenantTx,
    scope: &TenantScope,
    access: &MailAccess,
) -> Result<Option<Connected>, StoreError> {
    let Some((connection, sealed)) = connections::email(tx).await? else { return Ok(None) };
    if connection.provider == crate::gmail::PROVIDER {
        let tokens = crate::gmail::open(&access.keys, scope, &sealed)?;
        let address = connection.account.clone().unwrap_or_default();
        return Ok(Some(Connected::Gmail(crate::gmail::GmailAccount { address, tokens })));
    }
    Ok(mailbox(tx, scope, access).await?.map(Connected::Servers))
}

/// What a shop's email is sent with: the keys its credentials open with, and Google's services
/// when this Opsquad is set up for Gmail.
#[derive(Clone)]
pub struct MailAccess {
    pub keys: std::sync::Arc<Keyring>,
    pub google: Option<std::sync::Arc<::integrations::gmail::Google>>,
    /// Which mail servers a shop's settings may lead to, checked at every connection.
    pub reach: mail::Reach,
}

/// Sends an org's email through its own mailbox, when it connected one.
pub struct Mailroom {
    access: MailAccess,
}

impl Mailroom {
    pub fn new(access: MailAccess) -> Self {
        Self { access }
    }
}

#[async_trait::async_trait]
impl OwnChannels for Mailroom {
    async fn for_org(
        &self,
        tx: &mut TenantTx,
        scope: &TenantScope,
        channel: &str,
    ) -> Result<Option<std::sync::Arc<dyn Channel>>, StoreError> {
        if channel != domain::pipeline::Channel::Email.as_str() {
            return Ok(None);
        }
        let Some(connected) = connected(tx, scope, &self.access).await? else { return Ok(None) };
        let business = store::orgs::current(tx).await?.name;
        Ok(Some(match connected {
            Connected::Servers(mailbox) => std::sync::Arc::new(SmtpChannel { mailbox, business }),
            Connected::Gmail(account) => {
                // A Gmail connection on an Opsquad no longer set up for Gmail cannot send; the
                // message waits on the server's default channel instead of being lost.
                let Some(google) = self.access.google.clone() else { return Ok(None) };
                std::sync::Arc::new(crate::gmail::GmailChannel::new(google, account, business))
            }
        }))
    }
}

/// Every account of the shop a message may leave through: its mailbox, and its Twilio number.
pub struct ShopChannels {
    mail: Mailroom,
    texts: crate::texts::Texting,
}

impl ShopChannels {
    pub fn new(mail: Mailroom, texts: crate::texts::Texting) -> Self {
        Self { mail, texts }
    }
}

#[async_trait::async_trait]
impl OwnChannels for ShopChannels {
    async fn for_org(
        &self,
        tx: &mut TenantTx,
        scope: &TenantScope,
        channel: &str,
    ) -> Result<Option<std::sync::Arc<dyn Channel>>, StoreError> {
        if channel == domain::pipeline::Channel::Sms.as_str() {
            self.texts.for_org(tx, scope, channel).await
        } else {
            self.mail.for_org(tx, scope, channel).await
        }
    }
}

/// The letter a message to a customer goes out as, from the shop's address and in its name.
pub(crate) fn letter_for(message: &Outbound, from: &str, business: &str) -> mail::Letter {
    mail::Letter {
        from_name: business.to_owned(),
        from: from.to_owned(),
        to: message.to.clone(),
        subject: message.subject.clone().unwrap_or_else(|| format!("Your message to {business}")),
        text: format!("{}\n\n--\n{business} · Reply to this email to reach us.", message.body),
        in_reply_to: message.in_reply_to.clone(),
        references: message.in_reply_to.iter().cloned().collect(),
        written: mail::Written::InReply,
    }
}

/// One shop's mailbox as the channel its email leaves through.
struct SmtpChannel {
    mailbox: Mailbox,
    business: String,
}

#[async_trait::async_trait]
impl Channel for SmtpChannel {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn deliver(&self, message: &Outbound, _idempotency_key: &str) -> Result<serde_json::Value, DeliveryError> {
        let letter = letter_for(message, &self.mailbox.address, &self.business);
        match mail::send(&self.mailbox.smtp, &letter).await {
            Ok(message_id) => Ok(json!({ "provider": PROVIDER, "sent": true, "message_id": message_id })),
            Err(e @ MailError::Refused(_)) => Err(DeliveryError::Permanent(e.to_string())),
            Err(e) => Err(DeliveryError::Transient(e.to_string())),
        }
    }
}
