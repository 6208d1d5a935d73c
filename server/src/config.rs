//! Layered configuration: `configuration/base.toml`, then `<environment>.toml`, then
//! `OPSQUAD_*` environment variables. Secrets are `SecretString` and never printed.

use std::net::SocketAddr;
use std::path::Path;

use auth::jwt::{KeyRing, KeyRingError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Local,
    Test,
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub telemetry: TelemetrySettings,
    pub worker: WorkerSettings,
    pub payments: PaymentsSettings,
    pub bedrock: BedrockConfig,
    #[serde(default)]
    pub channels: ChannelsSettings,
    #[serde(default)]
    pub secrets: SecretsSettings,
    #[serde(default)]
    pub account_mail: AccountMailSettings,
    #[serde(default)]
    pub gmail: GmailSettings,
    #[serde(default)]
    pub stripe: StripeSettings,
    #[serde(default)]
    pub twilio: TwilioSettings,
    #[serde(default)]
    pub calendars: CalendarSettings,
}

/// Technicians' own calendars. A shop types its calendar's address: only public HTTPS servers are
/// reached unless `private_servers` (development and tests, whose calendar server runs on
/// 127.0.0.1 over plain HTTP).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    #[serde(default)]
    pub private_servers: bool,
}

impl CalendarSettings {
    pub fn reach(&self) -> integrations::mail::Reach {
        if self.private_servers {
            integrations::mail::Reach::Anywhere
        } else {
            integrations::mail::Reach::Internet
        }
    }
}

/// Where Twilio's REST API is. Each shop connects its own Twilio account; tests point this at a
/// local peer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    #[serde(default)]
    pub api_base: Option<String>,
    /// Where Twilio's Messaging Services API is (`https://messaging.twilio.com/`).
    #[serde(default)]
    pub messaging_base: Option<String>,
}

impl TwilioSettings {
    pub fn twilio(&self) -> Result<integrations::twilio::Twilio, SettingsError> {
        let or = |value: &Option<String>, default: &'static str| {
            value.as_deref().map(str::trim).filter(|b| !b.is_empty()).unwrap_or(default).to_owned()
        };
        let api = or(&self.api_base, "https://api.twilio.com/");
        let messaging = or(&self.messaging_base, "https://messaging.twilio.com/");
        integrations::twilio::Twilio::new(&api, &messaging).map_err(|e| SettingsError::Twilio(e.to_string()))
    }
}

/// Opsquad's Stripe Connect platform, through which shops connect their own Stripe accounts.
/// Without `secret_key` the pay page offers no card payment. The endpoints default to Stripe's
/// own; tests point them at a local peer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeSettings {
    /// The platform's secret key (`sk_…`); set it through `OPSQUAD_STRIPE__SECRET_KEY`.
    #[serde(default)]
    pub secret_key: Option<SecretString>,
    /// The platform's Connect client id (`ca_…`).
    #[serde(default)]
    pub client_id: Option<String>,
    /// The webhook endpoint's signing secrets (`whsec_…`): more than one while one is rotated out.
    /// From the environment, comma-separated: `OPSQUAD_STRIPE__WEBHOOK_SECRETS=whsec_new,whsec_old`.
    #[serde(default, deserialize_with = "secrets_or_commas")]
    pub webhook_secrets: Vec<SecretString>,
    #[serde(default)]
    pub api_base: Option<String>,
    #[serde(default)]
    pub connect_base: Option<String>,
    #[serde(default)]
    pub dashboard_base: Option<String>,
}

impl StripeSettings {
    /// The Stripe platform, when this Opsquad has one.
    pub fn stripe(&self) -> Result<Option<integrations::stripe::Stripe>, SettingsError> {
        use secrecy::ExposeSecret;
        let Some(secret_key) = self.secret_key.clone().filter(|k| !k.expose_secret().trim().is_empty()) else {
            return Ok(None);
        };
        let client_id = self.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let Some(client_id) = client_id else {
            return Err(SettingsError::Stripe("client_id (the platform's ca_… id) is required with secret_key".into()));
        };
        if self.webhook_secrets.iter().all(|s| s.expose_secret().trim().is_empty()) {
            return Err(SettingsError::Stripe(
                "webhook_secrets is required with secret_key: without it no payment would ever be marked paid".into(),
            ));
        }
        let test_key = secret_key.expose_secret().starts_with("sk_test_");
        let or = |value: &Option<String>, default: &str| {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or(default).to_owned()
        };
        let dashboard = if test_key { "https://dashboard.stripe.com/test/" } else { "https://dashboard.stripe.com/" };
        integrations::stripe::Stripe::new(integrations::stripe::StripeSettings {
            secret_key,
            client_id: client_id.to_owned(),
            api_base: or(&self.api_base, "https://api.stripe.com/"),
            connect_base: or(&self.connect_base, "https://connect.stripe.com/"),
            dashboard_base: or(&self.dashboard_base, dashboard),
        })
        .map(Some)
        .map_err(|e| SettingsError::Stripe(e.to_string()))
    }
}

/// Opsquad's Google app, which shops sign in to when they connect Gmail or a technician's Google
/// Calendar. Without `client_id` the dashboard offers only IMAP and SMTP, and CalDAV calendars. The endpoints default to Google's own; tests point
/// them at a local peer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GmailSettings {
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    #[serde(default)]
    pub auth_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub api_base: Option<String>,
    /// Where Google Calendar's API is (`https://www.googleapis.com`).
    #[serde(default)]
    pub calendar_api_base: Option<String>,
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// The Pub/Sub topic Gmail publishes changes to (`projects/p/topics/t`); without it new mail
    /// is read by the regular checks only.
    #[serde(default)]
    pub pubsub_topic: Option<String>,
    /// The service account the push subscription signs its tokens as, when it must be that one.
    #[serde(default)]
    pub push_service_account: Option<String>,
}

impl GmailSettings {
    /// Google's services for connecting Gmail, when this Opsquad has a Google app; push tokens
    /// must name `public_url`'s `/webhooks/gmail` as their audience.
    pub fn google(&self, public_url: &str) -> Result<Option<integrations::gmail::Google>, SettingsError> {
        let Some(client_id) = self.client_id.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let Some(client_secret) = self.client_secret.clone() else {
            return Err(SettingsError::Gmail("client_secret is required with client_id".into()));
        };
        let or = |value: &Option<String>, default: &str| {
            value.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or(default).to_owned()
        };
        let filled =
            |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Ok(Some(integrations::gmail::Google {
            client_id: client_id.to_owned(),
            client_secret,
            auth_url: or(&self.auth_url, "https://accounts.google.com/o/oauth2/v2/auth"),
            token_url: or(&self.token_url, "https://oauth2.googleapis.com/token"),
            api_base: or(&self.api_base, "https://gmail.googleapis.com"),
            calendar_base: or(&self.calendar_api_base, "https://www.googleapis.com"),
            jwks_url: or(&self.jwks_url, "https://www.googleapis.com/oauth2/v3/certs"),
            push_audience: format!("{}/webhooks/gmail", public_url.trim_end_matches('/')),
            push_account: filled(&self.push_service_account),
            topic: filled(&self.pubsub_topic),
        }))
    }
}

/// Opsquad's own mail to the people who use it (confirming a sign-up's address), through the
/// operator's SMTP server — never a shop's mailbox. Without `smtp_host` nothing can be sent, and
/// the dashboard says so instead of pretending.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountMailSettings {
    /// The address mail comes from, e.g. `no-reply@opsquad.example.com`.
    #[serde(default)]
    pub from: Option<String>,
    /// The name beside it ("Opsquad" when unset).
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub smtp_host: Option<String>,
    /// 587 with `starttls` (the default), 465 with `tls`.
    #[serde(default)]
    pub smtp_port: Option<u16>,
    #[serde(default)]
    pub smtp_tls: Option<integrations::mail::Tls>,
    /// Blank for a relay that takes mail without logging in.
    #[serde(default)]
    pub smtp_username: Option<String>,
    #[serde(default)]
    pub smtp_password: Option<SecretString>,
}

impl AccountMailSettings {
    pub fn sender(&self) -> Result<ops::account_mail::AccountMail, SettingsError> {
        use integrations::mail::{Server, Tls};
        use ops::account_mail::AccountMail;

        let invalid = |why: &str| SettingsError::AccountMail(why.to_owned());
        let Some(host) = self.smtp_host.as_deref().map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(AccountMail::Off);
        };
        let from = self.from.as_deref().map(str::trim).unwrap_or_default();
        if !integrations::mail::is_address(from) {
            return Err(invalid("`from` must be the address mail comes from, like no-reply@example.com"));
        }
        let tls = self.smtp_tls.unwrap_or(Tls::Starttls);
        let server = Server {
            host: host.to_owned(),
            port: self.smtp_port.unwrap_or(if tls == Tls::Tls { 465 } else { 587 }),
            tls,
            username: self.smtp_username.clone().unwrap_or_default(),
            password: self.smtp_password.clone().unwrap_or_else(|| SecretString::from(String::new())),
            // The operator's own relay, which may well be on its private network.
            reach: integrations::mail::Reach::Anywhere,
        };
        if tls == Tls::None && !server.is_local() {
            return Err(invalid("smtp_tls = \"none\" is allowed only for a mail server on this machine"));
        }
        let from_name = self.from_name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| "Opsquad".into());
        Ok(AccountMail::Smtp { server, from_name, from: from.to_owned() })
    }
}

/// The keys the shop's credentials are sealed with (`secrets.key`, or `OPSQUAD_SECRETS__KEY`):
/// `id:base64,id:base64` with 32-byte keys, newest first. Older keys still open what they sealed;
/// the newest seals. Production refuses to start without one, or with a development key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsSettings {
    #[serde(default)]
    pub key: Option<SecretString>,
}

/// How outbound messages leave when the shop has no account of its own connected for them (a
/// mailbox; SMS is still to come): only recorded, or, for local development, written to a folder.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsSettings {
    /// Write each outbound message, exactly as it would be sent, as a JSON file in this folder.
    #[serde(default)]
    pub outbox_dir: Option<String>,
    /// Let a shop's mailbox settings name a server on this machine or a private network. Off in
    /// production: a shop could otherwise make Opsquad probe the network it runs in.
    #[serde(default)]
    pub private_mail_servers: bool,
    /// A PEM file of certificate authorities a shop's mail servers may also be signed by, besides
    /// the system's (an operator's own; the tests' mail servers).
    #[serde(default)]
    pub mail_ca_file: Option<String>,
}

impl ChannelsSettings {
    pub fn mail_reach(&self) -> integrations::mail::Reach {
        if self.private_mail_servers {
            integrations::mail::Reach::Anywhere
        } else {
            integrations::mail::Reach::Internet
        }
    }

    pub fn channel(&self) -> std::sync::Arc<dyn squad::channels::Channel> {
        match self.outbox_dir.as_deref().map(str::trim) {
            Some(dir) if !dir.is_empty() => {
                tracing::info!(dir, "outbound messages are written to a folder, not sent");
                std::sync::Arc::new(squad::channels::Folder::new(dir))
            }
            _ => std::sync::Arc::new(squad::channels::RecordOnly),
        }
    }
}

/// The `bedrock` model provider. Credentials come from the standard AWS chain (environment,
/// profile, instance role), never from here.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BedrockConfig {
    pub region: String,
    /// A private endpoint, or a local Converse peer in tests.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The model every agent uses unless told otherwise.
    pub model_id: String,
    /// Used when the model keeps failing or its circuit is open.
    #[serde(default)]
    pub fallback_model_id: Option<String>,
    /// Calls per model before falling back (the first included).
    pub attempts: u32,
    pub call_timeout_seconds: u64,
    /// Micro-dollars per 1,000 tokens, per model.
    pub prices: Vec<ModelPrice>,
    /// Per-agent changes to the seeds' settings, under `[bedrock.agents.<agent>]` (`lead_response`,
    /// `scheduler`, `invoice`): `model_id`, `temperature`, `max_tokens`, `top_p`.
    #[serde(default)]
    pub agents: std::collections::BTreeMap<String, domain::policy::ModelOverride>,
    /// A stronger model for a turn right after a refused tool call.
    #[serde(default)]
    pub hard_case_model_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    pub model_id: String,
    pub input_per_1k: u64,
    pub output_per_1k: u64,
    pub cache_read_per_1k: u64,
    pub cache_write_per_1k: u64,
}

impl BedrockConfig {
    /// How the provider calls Bedrock: region, endpoint, retries and timeout from here.
    pub fn provider_settings(&self, fallback: bool) -> bedrock::BedrockSettings {
        bedrock::BedrockSettings {
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            fallback_model_id: if fallback { self.fallback_model_id.clone() } else { None },
            retry: bedrock::resilience::RetryPolicy { attempts: self.attempts, ..Default::default() },
            breaker: bedrock::resilience::BreakerPolicy::default(),
            call_timeout: std::time::Duration::from_secs(self.call_timeout_seconds),
        }
    }

    /// Each agent's model and settings: the seeds' on `model_id`, then `[bedrock.agents]`. Every
    /// model named must have a price, so budgets count what it costs.
    pub fn agent_models(&self) -> Result<squad::agents::AgentModels, SettingsError> {
        use squad::agents::{AgentModels, AgentName};
        let policies = domain::policy::Policies { models: self.agents.clone(), ..Default::default() };
        policies.validate().map_err(|e| SettingsError::Bedrock(format!("bedrock.{}: {}", e.field, e.message)))?;
        let prices = self.price_table();
        let unpriced = |id: &str| SettingsError::Bedrock(format!("model `{id}` has no entry in [[bedrock.prices]]"));
        let mut models = AgentModels::seeds(&self.model_id);
        models.hard_case_model_id = self.hard_case_model_id.clone();
        for agent in [AgentName::LeadResponse, AgentName::Scheduler, AgentName::Invoice] {
            if let Some(o) = self.agents.get(agent.as_str()) {
                let settings = models.get_mut(agent);
                if let Some(id) = &o.model_id {
                    settings.model_id.clone_from(id);
                }
                squad::agents::apply_sampling(settings, o);
            }
            let id = &models.get(agent).model_id;
            if !prices.has(id) {
                return Err(unpriced(id));
            }
        }
        match &models.hard_case_model_id {
            Some(id) if !prices.has(id) => Err(unpriced(id)),
            _ => Ok(models),
        }
    }

    pub fn price_table(&self) -> squad::pricing::PriceTable {
        self.prices.iter().fold(squad::pricing::PriceTable::default(), |table, p| {
            table.with(
                &p.model_id,
                squad::pricing::Price {
                    input_per_1k: p.input_per_1k,
                    output_per_1k: p.output_per_1k,
                    cache_read_per_1k: p.cache_read_per_1k,
                    cache_write_per_1k: p.cache_write_per_1k,
                },
            )
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsSettings {
    /// Where customers reach this server; pay links start with it.
    pub public_url: String,
    /// The built-in pay page offers a "pay (test mode)" button that records a test payment, so the
    /// whole pipeline can be tried without Stripe. Production refuses it.
    pub test_mode: bool,
    /// How many days a pay link works (1-365). A link also stops working once its invoice is paid
    /// (after a day's grace for the receipt).
    pub pay_link_days: u32,
}

impl PaymentsSettings {
    /// Where invoices' pay links come from.
    pub fn pay_links(&self) -> squad::payments::HostedPayPage {
        squad::payments::HostedPayPage::new(squad::link_tokens::PublicUrl::new(&self.public_url), self.pay_link_days)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Run the job worker inside `serve`. Tests turn it off and drain the queue themselves.
    pub enabled: bool,
    pub poll_ms: u64,
    /// `offline` (the deterministic rules model, no cloud account) or `bedrock`. `OPSQUAD_MODEL`
    /// sets it too.
    pub model_provider: String,
    /// The offline model's id; the Bedrock model is `bedrock.model_id`.
    pub model_id: String,
    /// The first wait before a dead worker is restarted; it doubles on each quick death, up to a minute.
    pub restart_backoff_ms: u64,
    /// How many jobs this instance runs at once.
    pub concurrency: usize,
    /// How long a job this instance claimed is its own; after that (the instance died) another
    /// instance takes it over. Longer than the slowest run.
    pub lease_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub addr: SocketAddr,
    /// Where the built site (wasm bundle, CSS, static files) lives.
    pub site_root: String,
    #[serde(default)]
    pub limits: RequestLimits,
    /// Reverse proxies in front of this server (addresses or CIDR blocks, e.g. `10.0.0.0/8`). Only
    /// from these is `Forwarded` / `X-Forwarded-For` believed; from anyone else the socket's peer
    /// is the client. Empty: no proxy. From the environment, comma-separated:
    /// `OPSQUAD_SERVER__TRUSTED_PROXIES=10.0.0.0/8,192.0.2.1`.
    #[serde(default, deserialize_with = "list_or_commas")]
    pub trusted_proxies: Vec<String>,
    /// Run the business clock from this moment (RFC 3339, e.g. `2026-03-06T15:00:00Z`) instead of
    /// now: for end-to-end tests of dates. Refused in production.
    #[serde(default)]
    pub clock_start: Option<String>,
}

/// A list from a file, or one comma-separated string from an environment variable.
fn list_or_commas<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCommas {
        List(Vec<String>),
        Commas(String),
    }
    Ok(match ListOrCommas::deserialize(deserializer)? {
        ListOrCommas::List(list) => list,
        ListOrCommas::Commas(text) => {
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
    })
}

/// Like [`list_or_commas`], for secrets.
fn secrets_or_commas<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<SecretString>, D::Error> {
    Ok(list_or_commas(deserializer)?.into_iter().map(SecretString::from).collect())
}

impl ServerSettings {
    /// The moment `clock_start` names, in Unix milliseconds.
    pub fn clock_start_ms(&self) -> anyhow::Result<Option<i64>> {
        self.clock_start
            .as_deref()
            .map(|at| {
                chrono::DateTime::parse_from_rfc3339(at.trim())
                    .map(|at| at.timestamp_millis())
                    .map_err(|e| anyhow::anyhow!("server.clock_start `{at}` is not an RFC 3339 time: {e}"))
            })
            .transpose()
    }

    pub fn trusted_proxies(&self) -> Result<crate::middleware::client_addr::TrustedProxies, SettingsError> {
        crate::middleware::client_addr::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|entry| SettingsError::TrustedProxy(entry.to_owned()))
    }
}

/// What one request may cost before any handler sees it. A body past its limit is 413, a body
/// or header that arrives too slowly ends the request (408) or the connection.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestLimits {
    /// The site's forms and server functions (log-in, settings, the chat widget).
    pub form_body_bytes: usize,
    /// The REST API under `/api/v1` (an inbound message may quote a long email).
    pub api_body_bytes: usize,
    /// The whole body must arrive within this.
    pub body_seconds: u64,
    /// A request's headers must arrive within this, or the connection is closed.
    pub header_seconds: u64,
    /// The most header bytes a request may send.
    pub header_bytes: usize,
    /// Live event streams one org may hold open at once (past it: 429).
    pub streams_per_org: usize,
    /// Live event streams one API key or signed-in person may hold open at once.
    pub streams_per_credential: usize,
    /// REST API calls one org may make per hour, with all its keys together (past it: 429).
    pub api_calls_per_hour_per_org: u32,
    /// REST API calls one API key (and the tokens minted from it) may make per hour.
    pub api_calls_per_hour_per_key: u32,
    /// Bookings one client address may make per hour on booking pages.
    pub bookings_per_hour_per_address: u32,
    /// Bookings one org's booking page may take per hour, from everyone together.
    pub bookings_per_hour_per_org: u32,
    /// Chat widget conversations one client address may start per hour.
    pub chats_per_hour_per_address: u32,
    /// Chat widget conversations one org's widget may start per hour, for everyone together.
    pub chats_per_hour_per_org: u32,
    /// Chat widget messages one client address may send per minute.
    pub chat_messages_per_minute_per_address: u32,
    /// Chat widget messages one org may receive per hour, from everyone together.
    pub chat_messages_per_hour_per_org: u32,
    /// Chat widget visitors' event streams one org may have open at once (apart from the
    /// owner's own streams, so visitors never crowd out the dashboard).
    pub chat_streams_per_org: usize,
    /// Event streams one chat session may have open at once (tabs of one visitor).
    pub chat_streams_per_session: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        Self {
            form_body_bytes: 64 * 1024,
            api_body_bytes: 256 * 1024,
            body_seconds: 30,
            header_seconds: 10,
            header_bytes: 16 * 1024,
            streams_per_org: 20,
            streams_per_credential: 5,
            api_calls_per_hour_per_org: 1000,
            api_calls_per_hour_per_key: 1000,
            bookings_per_hour_per_address: 20,
            bookings_per_hour_per_org: 100,
            chats_per_hour_per_address: 30,
            chats_per_hour_per_org: 500,
            chat_messages_per_minute_per_address: 20,
            chat_messages_per_hour_per_org: 3000,
            chat_streams_per_org: 200,
            chat_streams_per_session: 4,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password, so it is a secret (its Debug prints `[REDACTED]`).
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_issuer: String,
    /// `kid:secret[,kid:secret…]`, the signing key first. Absent: a random key per process.
    #[serde(default)]
    pub jwt_keys: Option<SecretString>,
    pub session_ttl_hours: i64,
    pub secure_cookie: bool,
    pub api_token_ttl_seconds: u64,
    /// Log-in attempts per minute from one client address.
    pub login_attempts_per_minute: u32,
    /// Wrong passwords per hour for one account, from anywhere; past it even the right one waits.
    pub failed_logins_per_account_per_hour: u32,
    /// Sign-ups per hour from one client address.
    pub signups_per_hour: u32,
    /// Sign-up attempts per hour for one email address, from anywhere.
    pub signups_per_email_per_hour: u32,
    /// Invitation acceptances per hour from one client address.
    pub invite_attempts_per_hour: u32,
    /// Attempts per hour to accept one invitation.
    pub invite_attempts_per_invitation_per_hour: u32,
}

impl Settings {
    /// Every throttled action's limit.
    pub fn throttle_limits(&self) -> auth::throttle::Limits {
        use auth::throttle::Limit;
        let (auth, limits) = (&self.auth, &self.server.limits);
        auth::throttle::Limits {
            log_in: Limit::per_minute(auth.login_attempts_per_minute),
            failed_log_in: Limit::per_hour(auth.failed_logins_per_account_per_hour),
            sign_up: Limit::per_hour(auth.signups_per_hour),
            sign_up_email: Limit::per_hour(auth.signups_per_email_per_hour),
            accept_invite: Limit::per_hour(auth.invite_attempts_per_hour),
            accept_invite_token: Limit::per_hour(auth.invite_attempts_per_invitation_per_hour),
            api_call_org: Limit::per_hour(limits.api_calls_per_hour_per_org),
            api_call_key: Limit::per_hour(limits.api_calls_per_hour_per_key),
            book_online: Limit::per_hour(limits.bookings_per_hour_per_address),
            book_online_org: Limit::per_hour(limits.bookings_per_hour_per_org),
            chat_session: Limit::per_hour(limits.chats_per_hour_per_address),
            chat_session_org: Limit::per_hour(limits.chats_per_hour_per_org),
            chat_message: Limit::per_minute(limits.chat_messages_per_minute_per_address),
            chat_message_org: Limit::per_hour(limits.chat_messages_per_hour_per_org),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    pub log_format: LogFormat,
    pub log_filter: String,
    /// When set, `/metrics` answers only `Authorization: Bearer <token>` (a secret; never printed).
    #[serde(default)]
    pub metrics_token: Option<SecretString>,
    /// An OpenTelemetry collector's OTLP/HTTP address (`http://collector:4318`): when set, a span
    /// per request, job and run step is sent there. Off by default.
    #[serde(default)]
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("could not read the configuration")]
    Load(#[from] config::ConfigError),
    #[error("OPSQUAD_ENV must be local, test or production, not `{0}`")]
    UnknownEnvironment(String),
    #[error("invalid JWT keys")]
    Keys(#[from] KeyRingError),
    #[error("unknown model provider `{0}` (available: offline, bedrock)")]
    UnknownModelProvider(String),
    #[error("invalid Bedrock settings: {0}")]
    Bedrock(String),
    #[error("payments.pay_link_days must be between 1 and 365, not {0}")]
    PayLinkDays(u32),
    #[error("server.trusted_proxies: `{0}` is neither an IP address nor a CIDR block like 10.0.0.0/8")]
    TrustedProxy(String),
    #[error("invalid secrets.key: {0}")]
    Secrets(#[from] integrations::secrets::SecretsError),
    #[error(
        "secrets.key is not set: the shop's credentials could not be sealed. Generate one with `opsquad secrets-key`"
    )]
    NoSecretsKey,
    #[error("invalid account_mail settings: {0}")]
    AccountMail(String),
    #[error("invalid gmail settings: {0}")]
    Gmail(String),
    #[error("invalid stripe settings: {0}")]
    Stripe(String),
    #[error("invalid twilio settings: {0}")]
    Twilio(String),
    #[error("refusing to start in production: {0}")]
    UnsafeForProduction(&'static str),
    #[error(
        "refusing to listen on {addr} with {what}: the {environment} configuration is for this machine only. \
         Listen on 127.0.0.1 (OPSQUAD_ADDR), or run with OPSQUAD_ENV=production and real keys"
    )]
    ExposedDevelopmentSetup { addr: SocketAddr, environment: &'static str, what: &'static str },
}

impl Settings {
    /// Reads `dir/base.toml`, `dir/<OPSQUAD_ENV or local>.toml` and the environment.
    pub fn load(dir: &Path) -> Result<Self, SettingsError> {
        let environment = std::env::var("OPSQUAD_ENV").unwrap_or_else(|_| "local".to_owned());
        Self::load_for(dir, &environment)
    }

    /// Like [`Settings::load`] for a given environment name (tests use "test").
    pub fn load_for(dir: &Path, environment: &str) -> Result<Self, SettingsError> {
        let environment = environment.to_owned();
        if !matches!(environment.as_str(), "local" | "test" | "production") {
            return Err(SettingsError::UnknownEnvironment(environment));
        }
        let builder = config::Config::builder();
        let builder = with_file(builder, dir, "base.toml");
        let builder = with_file(builder, dir, &format!("{environment}.toml"));
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("OPSQUAD")
                    .prefix_separator("_")
                    .separator("__")
                    .source(Some(section_overrides())),
            )
            .set_override_option("database.url", std::env::var("DATABASE_URL").ok())?
            .set_override_option("server.addr", std::env::var("OPSQUAD_ADDR").ok())?
            .set_override_option("worker.model_provider", std::env::var("OPSQUAD_MODEL").ok())?
            .build()?
            .try_deserialize()?;
        settings.check_production()?;
        settings.check_exposure()?;
        settings.secrets()?;
        settings.account_mail.sender()?;
        if !(1..=365).contains(&settings.payments.pay_link_days) {
            return Err(SettingsError::PayLinkDays(settings.payments.pay_link_days));
        }
        settings.server.trusted_proxies()?;
        match settings.worker.model_provider.as_str() {
            "offline" => {}
            "bedrock" => {
                settings.bedrock.agent_models()?;
            }
            _ => return Err(SettingsError::UnknownModelProvider(settings.worker.model_provider)),
        }
        Ok(settings)
    }

    /// A development setup (the committed JWT key, test payments that mark invoices paid) never
    /// listens beyond this machine: `local` and `test` on a non-loopback address refuse to start.
    pub fn check_exposure(&self) -> Result<(), SettingsError> {
        let environment = match self.environment {
            Environment::Production => return Ok(()),
            Environment::Local => "local",
            Environment::Test => "test",
        };
        if self.server.addr.ip().to_canonical().is_loopback() {
            return Ok(());
        }
        let development_key = match &self.auth.jwt_keys {
            Some(keys) => KeyRing::parse_entries(keys)?.iter().any(|(kid, secret)| is_development_key(kid, secret)),
            None => false,
        };
        let what = match (development_key, self.payments.test_mode) {
            (true, true) => "the development JWT key and test payments",
            (true, false) => "the development JWT key",
            (false, true) => "test payments on",
            (false, false) => return Ok(()),
        };
        Err(SettingsError::ExposedDevelopmentSetup { addr: self.server.addr, environment, what })
    }

    /// Production must never run on development defaults.
    pub fn check_production(&self) -> Result<(), SettingsError> {
        if self.environment != Environment::Production {
            return Ok(());
        }
        let Some(keys) = &self.auth.jwt_keys else {
            return Err(SettingsError::UnsafeForProduction("OPSQUAD_AUTH__JWT_KEYS is not set"));
        };
        let entries = KeyRing::parse_entries(keys)?;
        if entries.iter().any(|(kid, secret)| is_development_key(kid, secret)) {
            return Err(SettingsError::UnsafeForProduction("a development JWT key is configured"));
        }
        KeyRing::new(&self.auth.jwt_issuer, &entries)?;
        if !self.auth.secure_cookie {
            return Err(SettingsError::UnsafeForProduction("session cookies must be Secure (auth.secure_cookie)"));
        }
        if self.payments.test_mode {
            return Err(SettingsError::UnsafeForProduction("payments.test_mode would let anyone mark invoices paid"));
        }
        if self.server.clock_start.is_some() {
            return Err(SettingsError::UnsafeForProduction(
                "server.clock_start would run the business on a made-up date",
            ));
        }
        match &self.secrets.key {
            None => return Err(SettingsError::UnsafeForProduction("OPSQUAD_SECRETS__KEY is not set")),
            Some(spec) if spec.expose_secret().split(',').any(|entry| entry.trim_start().starts_with("dev")) => {
                return Err(SettingsError::UnsafeForProduction("a development secrets key is configured"));
            }
            Some(spec) => {
                integrations::secrets::Keyring::parse(spec)?;
            }
        }
        if !self.payments.public_url.starts_with("https://") {
            return Err(SettingsError::UnsafeForProduction("payments.public_url must be an https:// address"));
        }
        Ok(())
    }

    /// The keyring the shop's credentials are sealed with.
    /// Outside production a configuration without a key (an operator's own `local.toml`, say)
    /// gets a fixed development key, the same on every start; production refuses to start without
    /// a real one.
    pub fn secrets(&self) -> Result<integrations::secrets::Keyring, SettingsError> {
        let development = SecretString::from(DEVELOPMENT_SECRETS_KEY.to_owned());
        let spec = match (&self.secrets.key, self.environment) {
            (Some(spec), _) => spec,
            (None, Environment::Production) => return Err(SettingsError::NoSecretsKey),
            (None, _) => &development,
        };
        Ok(integrations::secrets::Keyring::parse(spec)?)
    }

    pub fn key_ring(&self) -> Result<KeyRing, SettingsError> {
        match &self.auth.jwt_keys {
            Some(spec) => Ok(KeyRing::new(&self.auth.jwt_issuer, &KeyRing::parse_entries(spec)?)?),
            None => Ok(KeyRing::ephemeral(&self.auth.jwt_issuer)),
        }
    }
}

/// Seals credentials in a `local` or `test` configuration that names no key of its own.
const DEVELOPMENT_SECRETS_KEY: &str = "dev-builtin:T3BzcXVhZCBkZXZlbG9wbWVudCBzZWNyZXRzIGtleSE=";

/// The committed development keys: their ids start with `dev` and their secrets say so.
fn is_development_key(kid: &str, secret: &SecretString) -> bool {
    kid.starts_with("dev") || secret.expose_secret().contains("do-not-use-in-production")
}

/// The shipped configuration files, built into the binary so it starts from any directory.
const BUILT_IN: [(&str, &str); 4] = [
    ("base.toml", include_str!("../../configuration/base.toml")),
    ("local.toml", include_str!("../../configuration/local.toml")),
    ("test.toml", include_str!("../../configuration/test.toml")),
    ("production.toml", include_str!("../../configuration/production.toml")),
];

/// `dir/name` when that file exists (an operator's own copy), else the built-in file of that name.
fn with_file(
    builder: config::ConfigBuilder<config::builder::DefaultState>,
    dir: &Path,
    name: &str,
) -> config::ConfigBuilder<config::builder::DefaultState> {
    let path = dir.join(name);
    match BUILT_IN.iter().find(|(file, _)| *file == name) {
        Some((_, text)) if !path.exists() => builder.add_source(config::File::from_str(text, config::FileFormat::Toml)),
        _ => builder.add_source(config::File::from(path)),
    }
}

/// Only `OPSQUAD_<SECTION>__<KEY>` variables configure sections; `OPSQUAD_ENV`, `OPSQUAD_ADDR`, `OPSQUAD_MODEL` and
/// `OPSQUAD_CONFIG_DIR` are read on their own and must not look like unknown settings.
fn section_overrides() -> std::collections::HashMap<String, String> {
    std::env::vars().filter(|(key, _)| key.strip_prefix("OPSQUAD_").is_some_and(|rest| rest.contains("__"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_development_setup_listens_only_on_this_machine() {
        let mut local = production();
        local.environment = Environment::Local;
        local.auth.jwt_keys =
            Some(SecretString::from("dev-local:opsquad-local-development-key-do-not-use-in-production"));
        local.payments.test_mode = true;
        local.server.addr = "0.0.0.0:3000".parse().unwrap();
        let refused = local.check_exposure().unwrap_err().to_string();
        assert!(
            refused.contains("0.0.0.0:3000") && refused.contains("the development JWT key and test payments"),
            "{refused}"
        );
        for loopback in ["127.0.0.1:3000", "[::1]:3000", "[::ffff:127.0.0.1]:3000"] {
            local.server.addr = loopback.parse().unwrap();
            assert!(local.check_exposure().is_ok(), "{loopback}");
        }
        local.server.addr = "10.0.0.5:3000".parse().unwrap();
        local.payments.test_mode = false;
        assert!(local.check_exposure().is_err(), "the development key alone");
        local.auth.jwt_keys = Some(SecretString::from("2026-11:Jx8vQ2mL7pR4tY9wB3nE6kH1sD5fG0aZcV"));
        assert!(local.check_exposure().is_ok(), "a real key and no test payments may listen anywhere");
        assert!(production().check_exposure().is_ok());
    }

    fn production() -> Settings {
        Settings {
            environment: Environment::Production,
            server: ServerSettings {
                addr: "0.0.0.0:3000".parse().unwrap(),
                site_root: "site".into(),
                limits: RequestLimits::default(),
                trusted_proxies: Vec::new(),
                clock_start: None,
            },
            database: DatabaseSettings { url: SecretString::from("postgres://app@db/opsquad"), max_connections: 10 },
            auth: AuthSettings {
                jwt_issuer: "opsquad".into(),
                jwt_keys: Some(SecretString::from("2026-11:Jx8vQ2mL7pR4tY9wB3nE6kH1sD5fG0aZcV")),
                session_ttl_hours: 72,
                secure_cookie: true,
                api_token_ttl_seconds: 900,
                login_attempts_per_minute: 10,
                failed_logins_per_account_per_hour: 20,
                signups_per_hour: 20,
                signups_per_email_per_hour: 5,
                invite_attempts_per_hour: 20,
                invite_attempts_per_invitation_per_hour: 10,
            },
            telemetry: TelemetrySettings {
                log_format: LogFormat::Json,
                log_filter: "info".into(),
                metrics_token: None,
                otlp_endpoint: None,
            },
            worker: WorkerSettings {
                enabled: true,
                poll_ms: 250,
                model_provider: "offline".into(),
                model_id: "offline-rules-v1".into(),
                restart_backoff_ms: 1000,
                concurrency: 4,
                lease_seconds: 300,
            },
            payments: PaymentsSettings {
                public_url: "https://app.example.com".into(),
                test_mode: false,
                pay_link_days: 30,
            },
            bedrock: BedrockConfig {
                region: "us-east-1".into(),
                endpoint_url: None,
                model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
                fallback_model_id: None,
                attempts: 3,
                call_timeout_seconds: 60,
                prices: Vec::new(),
                agents: Default::default(),
                hard_case_model_id: None,
            },
            channels: ChannelsSettings::default(),
            secrets: SecretsSettings {
                key: Some(SecretString::from("k1:q83vEjRlGuG8b8Yqn4y2V0DqgbB7rzsxgwyeLUObqpI=".to_owned())),
            },
            account_mail: AccountMailSettings::default(),
            gmail: GmailSettings::default(),
            stripe: StripeSettings::default(),
            twilio: TwilioSettings::default(),
            calendars: CalendarSettings::default(),
        }
    }

    #[test]
    fn production_refuses_test_payments_and_plain_http_links() {
        let mut s = production();
        s.payments.test_mode = true;
        assert!(s.check_production().is_err());
        let mut s = production();
        s.payments.public_url = "http://app.example.com".into();
        assert!(s.check_production().is_err());
        let mut s = production();
        s.server.clock_start = Some("2026-03-06T15:00:00Z".into());
        assert!(s.check_production().is_err(), "a made-up date");
    }

    #[test]
    fn a_set_clock_is_read_as_rfc_3339_and_a_bad_one_is_named() {
        let mut s = production();
        s.server.clock_start = Some("2026-03-06T09:00:00-06:00".into());
        assert_eq!(s.server.clock_start_ms().unwrap(), Some(1_772_809_200_000));
        s.server.clock_start = Some("March 6".into());
        assert!(s.server.clock_start_ms().unwrap_err().to_string().contains("March 6"));
    }

    #[test]
    fn the_bedrock_price_table_comes_from_the_configuration() {
        let mut s = production();
        s.bedrock.prices.push(ModelPrice {
            model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
            input_per_1k: 800,
            output_per_1k: 4000,
            cache_read_per_1k: 80,
            cache_write_per_1k: 1000,
        });
        let usage = squad::model::Usage {
            input_tokens: 1000,
            output_tokens: 100,
            cache_read_tokens: 2000,
            cache_write_tokens: 500,
        };
        let table = s.bedrock.price_table();
        assert_eq!(table.cost_micros("anthropic.claude-3-5-haiku-20241022-v1:0", &usage), 800 + 400 + 160 + 500);
        assert_eq!(table.cost_micros("amazon.nova-lite-v1:0", &usage), 0, "a model without a price");
    }

    #[test]
    fn the_shipped_configuration_prices_both_bedrock_models() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configuration");
        let s = Settings::load_for(&dir, "test").unwrap();
        let usage = squad::model::Usage { input_tokens: 1000, ..Default::default() };
        assert_eq!(s.bedrock.price_table().cost_micros(&s.bedrock.model_id, &usage), 800);
        let fallback = s.bedrock.fallback_model_id.clone().unwrap();
        assert_eq!(s.bedrock.price_table().cost_micros(&fallback, &usage), 60);
    }

    #[test]
    fn agents_get_the_seeds_settings_then_the_configured_changes_on_priced_models_only() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configuration");
        let mut s = Settings::load_for(&dir, "test").unwrap();
        let models = s.bedrock.agent_models().unwrap();
        assert_eq!((models.lead_response.temperature, models.lead_response.max_tokens), (0.1, 1024));
        assert_eq!((models.scheduler.temperature, models.scheduler.max_tokens), (0.0, 512));
        assert_eq!((models.invoice.temperature, models.invoice.max_tokens), (0.0, 1024));
        assert_eq!(models.hard_case_model_id, None);

        let nova = s.bedrock.fallback_model_id.clone().unwrap();
        s.bedrock.agents.insert(
            "lead_response".into(),
            domain::policy::ModelOverride {
                model_id: Some(nova.clone()),
                temperature: Some(domain::policy::Fraction(0.3)),
                ..Default::default()
            },
        );
        let models = s.bedrock.agent_models().unwrap();
        assert_eq!((models.lead_response.model_id.as_str(), models.lead_response.temperature), (nova.as_str(), 0.3));
        assert_eq!(models.lead_response.max_tokens, 1024, "unchanged fields keep the seeds' value");
        assert_eq!(models.scheduler.model_id, s.bedrock.model_id);

        s.bedrock.hard_case_model_id = Some("anthropic.claude-3-7-sonnet-20250219-v1:0".into());
        assert!(matches!(s.bedrock.agent_models(), Err(SettingsError::Bedrock(m)) if m.contains("no entry")));
        s.bedrock.hard_case_model_id = None;
        s.bedrock
            .agents
            .insert("dispatcher".into(), domain::policy::ModelOverride { max_tokens: Some(10), ..Default::default() });
        assert!(matches!(s.bedrock.agent_models(), Err(SettingsError::Bedrock(m)) if m.contains("models.dispatcher")));
    }

    #[test]
    fn production_accepts_real_keys_and_secure_cookies() {
        production().check_production().unwrap();
    }

    #[test]
    fn production_refuses_development_secrets() {
        let mut s = production();
        s.auth.jwt_keys = None;
        assert!(matches!(s.check_production(), Err(SettingsError::UnsafeForProduction(_))));
        s.auth.jwt_keys = Some(SecretString::from("dev-local:opsquad-local-development-key-do-not-use-in-production"));
        assert!(matches!(s.check_production(), Err(SettingsError::UnsafeForProduction(_))));
        s.auth.jwt_keys = Some(SecretString::from("k1:too-short"));
        assert!(matches!(s.check_production(), Err(SettingsError::Keys(_))));
        let mut s = production();
        s.auth.secure_cookie = false;
        assert!(matches!(s.check_production(), Err(SettingsError::UnsafeForProduction(_))));
        // The key that seals the shops' credentials: required, real, and well formed.
        let mut s = production();
        s.secrets.key = None;
        assert!(matches!(s.check_production(), Err(SettingsError::UnsafeForProduction(_))));
        s.secrets.key = Some(SecretString::from("dev-local:q83vEjRlGuG8b8Yqn4y2V0DqgbB7rzsxgwyeLUObqpI=".to_owned()));
        assert!(matches!(s.check_production(), Err(SettingsError::UnsafeForProduction(_))));
        s.secrets.key = Some(SecretString::from("k1:short".to_owned()));
        assert!(matches!(s.check_production(), Err(SettingsError::Secrets(_))));
    }

    #[test]
    fn debug_output_redacts_secrets() {
        let printed = format!("{:?}", production());
        assert!(!printed.contains("Jx8vQ2mL7pR4"));
        assert!(!printed.contains("app@db"));
    }

    #[test]
    fn outside_production_a_missing_secrets_key_is_the_development_one() {
        let mut s = production();
        s.environment = Environment::Local;
        s.secrets.key = None;
        assert!(s.secrets().unwrap().newest().starts_with("dev"));
        s.environment = Environment::Production;
        assert!(matches!(s.secrets(), Err(SettingsError::NoSecretsKey)));
    }

    #[test]
    fn the_built_in_files_are_used_when_the_directory_has_none() {
        let empty = tempfile::tempdir().unwrap();
        let s = Settings::load_for(empty.path(), "test").unwrap();
        assert_eq!(s.environment, Environment::Test);
        assert!(s.payments.test_mode && !s.worker.enabled, "the shipped test.toml");
        // An operator's own file replaces its built-in twin.
        std::fs::write(empty.path().join("test.toml"), "environment = \"test\"\n[worker]\nenabled = true\n").unwrap();
        let s = Settings::load_for(empty.path(), "test").unwrap();
        assert!(s.worker.enabled && !s.payments.test_mode, "{:?}", s.worker);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_blocks_and_anything_else_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let write = |proxies: &str| {
            let file =
                format!("environment = \"test\"\n[server]\naddr = \"127.0.0.1:0\"\ntrusted_proxies = {proxies}\n");
            std::fs::write(dir.path().join("test.toml"), file).unwrap();
        };
        write(r#"["10.0.0.0/8", "192.0.2.1"]"#);
        let s = Settings::load_for(dir.path(), "test").unwrap();
        assert_eq!(s.server.trusted_proxies, ["10.0.0.0/8", "192.0.2.1"]);
        write(r#""10.0.0.0/8, 192.0.2.1""#);
        assert_eq!(Settings::load_for(dir.path(), "test").unwrap().server.trusted_proxies.len(), 2, "comma-separated");
        write(r#"["10.0.0.0/8", "proxy.internal"]"#);
        let refused = Settings::load_for(dir.path(), "test").unwrap_err().to_string();
        assert!(refused.contains("`proxy.internal` is neither an IP address nor a CIDR block"), "{refused}");
    }

    #[test]
    fn webhook_secrets_are_a_list_or_one_comma_separated_string() {
        use secrecy::ExposeSecret;
        let dir = tempfile::tempdir().unwrap();
        let write = |secrets: &str| {
            let file = format!(
                "environment = \"test\"\n[server]\naddr = \"127.0.0.1:0\"\n[stripe]\nwebhook_secrets = {secrets}\n"
            );
            std::fs::write(dir.path().join("test.toml"), file).unwrap();
        };
        let read = || -> Vec<String> {
            let s = Settings::load_for(dir.path(), "test").unwrap();
            s.stripe.webhook_secrets.iter().map(|k| k.expose_secret().to_owned()).collect()
        };
        write(r#"["whsec_new", "whsec_old"]"#);
        assert_eq!(read(), ["whsec_new", "whsec_old"]);
        write(r#""whsec_new, whsec_old""#);
        assert_eq!(read(), ["whsec_new", "whsec_old"], "as the environment gives it");
    }

    #[test]
    fn committed_files_parse_for_every_environment() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configuration");
        for env in ["local", "test", "production"] {
            let parsed: Settings = config::Config::builder()
                .add_source(config::File::from(dir.join("base.toml")))
                .add_source(config::File::from(dir.join(format!("{env}.toml"))))
                .build()
                .unwrap()
                .try_deserialize()
                .unwrap();
            assert_eq!(format!("{:?}", parsed.environment).to_lowercase(), env);
        }
    }
}
