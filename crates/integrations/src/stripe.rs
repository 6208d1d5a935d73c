//! Stripe, for card payments into each shop's own Stripe account.
//!
//! Shops connect the Stripe account they already have (Connect OAuth, Standard accounts): the
//! money lands in their balance, refunds and disputes stay in their own Stripe dashboard, and
//! Opsquad keeps nothing of theirs but the account's id. Every API call is made with the
//! platform's key *on behalf of* that account (the `Stripe-Account` header), so a call can only
//! ever touch the account it names. Checkout Sessions go through async-stripe; the OAuth exchange
//! lives on another host (`connect.stripe.com`) and is two form posts, made here with reqwest.
//!
//! Webhooks are checked here too: the `Stripe-Signature` header's HMAC over the raw body with any
//! of the endpoint's secrets (several while one is rotated out), within a tolerance window, and
//! only then is the body read, into [`Event`] with the few fields the squad acts on. Reading
//! events untyped keeps a newer API version from breaking the endpoint.

use std::collections::HashMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use stripe::StripeRequest;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionPaymentIntentData, ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_shared::{CheckoutSession, CheckoutSessionMode, CheckoutSessionPaymentStatus, CheckoutSessionStatus};

/// How long one exchange with Stripe may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How far a webhook's signed timestamp may be from now (Stripe's libraries use five minutes).
pub const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// The platform Opsquad runs Stripe Connect as, and where Stripe's services are.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// The platform's secret key (`sk_live_…`/`sk_test_…`).
    pub secret_key: SecretString,
    /// The platform's Connect client id (`ca_…`).
    pub client_id: String,
    /// `https://api.stripe.com/`.
    pub api_base: String,
    /// `https://connect.stripe.com/` (the OAuth pages and token endpoint).
    pub connect_base: String,
    /// `https://dashboard.stripe.com/` (or `…/test/` for test keys): where the owner opens a payment.
    pub dashboard_base: String,
}

/// Why Stripe could not be used, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    #[error("could not reach Stripe ({0})")]
    Unreachable(String),
    #[error("Stripe refused the request: {0}")]
    Refused(String),
    #[error("Stripe's answer could not be read ({0})")]
    Unreadable(String),
}

impl StripeError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }
}

impl From<stripe::StripeError> for StripeError {
    fn from(err: stripe::StripeError) -> Self {
        match err {
            stripe::StripeError::Stripe(errors, status) => {
                let message = errors.message.clone().unwrap_or_else(|| format!("status {status}"));
                if status >= 500 || status == 429 {
                    Self::Unreachable(message)
                } else {
                    Self::Refused(message)
                }
            }
            stripe::StripeError::JSONDeserialize(e) => Self::Unreadable(e),
            stripe::StripeError::ClientError(e) => Self::Unreachable(e),
            stripe::StripeError::ConfigError(e) => Self::Refused(e),
            stripe::StripeError::Timeout => Self::Unreachable("timed out".into()),
        }
    }
}

/// Where a Checkout Session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutState {
    Open,
    Complete,
    Expired,
}

impl CheckoutState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Complete => "complete",
            Self::Expired => "expired",
        }
    }
}

/// A Checkout Session as the squad needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    pub id: String,
    /// Stripe's page where the customer pays (open sessions only).
    pub url: Option<String>,
    pub state: CheckoutState,
    /// The money was taken (a complete session can still wait for a delayed payment method).
    pub paid: bool,
    pub amount_cents: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    pub payment_intent: Option<String>,
    /// When Stripe stops taking payment through it (Unix ms).
    pub expires_at: i64,
    /// The invoice it was made for (its `client_reference_id`).
    pub invoice_id: Option<String>,
}

impl Checkout {
    fn from_session(session: &CheckoutSession) -> Self {
        let state = match session.status {
            Some(CheckoutSessionStatus::Complete) => CheckoutState::Complete,
            Some(CheckoutSessionStatus::Expired) => CheckoutState::Expired,
            _ => CheckoutState::Open,
        };
        Self {
            id: session.id.to_string(),
            url: session.url.clone(),
            state,
            paid: matches!(session.payment_status, CheckoutSessionPaymentStatus::Paid),
            amount_cents: session.amount_total.unwrap_or_default(),
            currency: session.currency.as_ref().map(|c| c.to_string().to_ascii_uppercase()).unwrap_or_default(),
            payment_intent: session.payment_intent.as_ref().map(|pi| pi.id().to_string()),
            expires_at: session.expires_at * 1000,
            invoice_id: session.client_reference_id.clone(),
        }
    }
}

/// What the customer is asked to pay through Checkout.
#[derive(Debug, Clone)]
pub struct NewCheckout<'a> {
    pub invoice_id: &'a str,
    /// "Invoice INV-00012 — Bright Plumbing"
    pub description: &'a str,
    pub amount_cents: i64,
    /// ISO 4217.
    pub currency: &'a str,
    pub customer_email: Option<&'a str>,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
}

/// A Stripe account that was just connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedAccount {
    pub account_id: String,
    pub livemode: bool,
}

#[derive(Deserialize)]
struct OAuthAnswer {
    #[serde(default)]
    stripe_user_id: Option<String>,
    #[serde(default)]
    livemode: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Opsquad's Stripe platform.
#[derive(Clone)]
pub struct Stripe {
    settings: StripeSettings,
    api: stripe::Client,
    http: reqwest::Client,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("api_base", &self.settings.api_base).finish_non_exhaustive()
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

fn account(id: &str) -> Result<stripe_shared::AccountId, StripeError> {
    if id.starts_with("acct_") && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(stripe_shared::AccountId::from(id.to_owned()))
    } else {
        Err(StripeError::Refused(format!("{id:?} is not a Stripe account id")))
    }
}

impl Stripe {
    pub fn new(mut settings: StripeSettings) -> Result<Self, StripeError> {
        settings.api_base = with_slash(&settings.api_base);
        settings.connect_base = with_slash(&settings.connect_base);
        settings.dashboard_base = with_slash(&settings.dashboard_base);
        // async-stripe's HTTPS connector asks rustls for the process's crypto provider; with more
        // than one compiled in, none is chosen until someone installs one (an error if already set).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let api = stripe::ClientBuilder::new(settings.secret_key.expose_secret())
            .url(settings.api_base.clone())
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| StripeError::Refused(e.to_string()))?;
        let http =
            reqwest::Client::builder().timeout(TIMEOUT).build().map_err(|e| StripeError::Unreachable(e.to_string()))?;
        Ok(Self { settings, api, http })
    }

    /// Stripe's page where the owner signs in and connects their account to Opsquad.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let query = [
            ("response_type", "code"),
            ("client_id", self.settings.client_id.as_str()),
            ("scope", "read_write"),
            ("redirect_uri", redirect_uri),
            ("state", state),
        ];
        let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        format!("{}oauth/authorize?{}", self.settings.connect_base, query.join("&"))
    }

    async fn oauth(&self, path: &str, form: &[(&str, &str)]) -> Result<OAuthAnswer, StripeError> {
        let response = self
            .http
            .post(format!("{}oauth/{path}", self.settings.connect_base))
            .bearer_auth(self.settings.secret_key.expose_secret())
            .form(form)
            .send()
            .await
            .map_err(|e| StripeError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        let answer: OAuthAnswer =
            response.json().await.map_err(|e| StripeError::Unreadable(e.without_url().to_string()))?;
        if let Some(error) = answer.error.as_deref() {
            let said = answer.error_description.as_deref().unwrap_or(error);
            return Err(if status.is_server_error() {
                StripeError::Unreachable(said.to_owned())
            } else {
                StripeError::Refused(said.to_owned())
            });
        }
        if status.is_server_error() {
            return Err(StripeError::Unreachable(format!("status {status}")));
        }
        Ok(answer)
    }

    /// Trades the code Stripe sent back for the account the owner connected.
    pub async fn exchange(&self, code: &str) -> Result<ConnectedAccount, StripeError> {
        let answer = self.oauth("token", &[("grant_type", "authorization_code"), ("code", code)]).await?;
        let account_id = answer.stripe_user_id.ok_or_else(|| StripeError::Unreadable("no account id".into()))?;
        account(&account_id)?;
        Ok(ConnectedAccount { account_id, livemode: answer.livemode })
    }

    /// Ends Opsquad's access to the account (the owner disconnected it here).
    pub async fn deauthorize(&self, account_id: &str) -> Result<(), StripeError> {
        let client_id = self.settings.client_id.clone();
        self.oauth("deauthorize", &[("client_id", &client_id), ("stripe_user_id", account_id)]).await?;
        Ok(())
    }

    /// Creates a Checkout Session on the shop's account, once per `idempotency_key`: sent again
    /// with the same key (a retry), Stripe answers with the session it already made.
    pub async fn create_checkout(
        &self,
        account_id: &str,
        new: &NewCheckout<'_>,
        idempotency_key: &str,
    ) -> Result<Checkout, StripeError> {
        let currency = new
            .currency
            .to_ascii_lowercase()
            .parse::<stripe_types::Currency>()
            .map_err(|_| StripeError::Refused(format!("Stripe does not take {}", new.currency)))?;
        let metadata = HashMap::from([("opsquad_invoice_id".to_owned(), new.invoice_id.to_owned())]);
        let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency);
        price.unit_amount = Some(new.amount_cents);
        price.product_data = Some(ProductData::new(new.description));
        let mut line = CreateCheckoutSessionLineItems::new();
        line.price_data = Some(price);
        line.quantity = Some(1);
        let mut intent = CreateCheckoutSessionPaymentIntentData::new();
        intent.metadata = Some(metadata.clone());
        intent.description = Some(new.description.to_owned());
        let mut request = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Payment)
            .line_items(vec![line])
            .client_reference_id(new.invoice_id)
            .metadata(metadata)
            .payment_intent_data(intent)
            .success_url(new.success_url)
            .cancel_url(new.cancel_url);
        if let Some(email) = new.customer_email {
            request = request.customer_email(email);
        }
        let key = stripe::IdempotencyKey::new(idempotency_key).map_err(|e| StripeError::Refused(e.to_string()))?;
        let session = request
            .customize()
            .account_id(account(account_id)?)
            .request_strategy(stripe::RequestStrategy::Idempotent(key))
            .send(&self.api)
            .await?;
        Ok(Checkout::from_session(&session))
    }

    /// The session as Stripe has it now.
    pub async fn checkout(&self, account_id: &str, id: &str) -> Result<Checkout, StripeError> {
        let session = RetrieveCheckoutSession::new(id.to_owned())
            .customize()
            .account_id(account(account_id)?)
            .send(&self.api)
            .await?;
        Ok(Checkout::from_session(&session))
    }

    /// Stops an open session taking payment (the invoice changed, or a new one replaces it).
    pub async fn expire_checkout(&self, account_id: &str, id: &str) -> Result<Checkout, StripeError> {
        let session = ExpireCheckoutSession::new(id.to_owned())
            .customize()
            .account_id(account(account_id)?)
            .send(&self.api)
            .await?;
        Ok(Checkout::from_session(&session))
    }

    /// Where the owner opens a payment in their own Stripe dashboard.
    pub fn dashboard_link(&self, payment_intent: &str) -> String {
        format!("{}payments/{}", self.settings.dashboard_base, urlencode(payment_intent))
    }
}

fn urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why a webhook delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRefused {
    #[error("the Stripe-Signature header is missing")]
    NoSignature,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance window")]
    Stale,
    #[error("no signature matches any of this endpoint's secrets")]
    Mismatch,
    #[error("the event could not be read: {0}")]
    BadBody(String),
}

/// A Stripe event, as far as the squad reads one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The connected account it happened on (absent for the platform's own events).
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub created: i64,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventData {
    pub object: Value,
}

/// The HMAC-SHA256 of `{timestamp}.{body}` under `secret`, ready to finish or verify (HMAC takes
/// a key of any length, so there is always one).
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Some(mac)
}

/// HMAC-SHA256 of `{timestamp}.{body}` under `secret`, hex: the `v1` of a Stripe signature.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    mac(secret, timestamp, body).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default()
}

/// The webhook endpoint's signing secrets (`whsec_…`): more than one while one is rotated out.
#[derive(Clone, Default)]
pub struct WebhookSecrets(Vec<SecretString>);

impl WebhookSecrets {
    pub fn new(secrets: Vec<SecretString>) -> Self {
        Self(secrets.into_iter().filter(|s| !s.expose_secret().trim().is_empty()).collect())
    }
}

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecrets({} secrets)", self.0.len())
    }
}

/// Checks a delivery's `Stripe-Signature` against every secret (any may match: during a rotation
/// Stripe signs with the old and the new), within [`SIGNATURE_TOLERANCE_SECS`] of `now_secs`, and
/// only then reads the body.
pub fn verify(
    secrets: &WebhookSecrets,
    header: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<Event, WebhookRefused> {
    let header = header.ok_or(WebhookRefused::NoSignature)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t.parse::<i64>().map_err(|_| WebhookRefused::Malformed)?),
            Some(("v1", v)) => signatures.push(hex::decode(v).map_err(|_| WebhookRefused::Malformed)?),
            Some(_) => {}
            None => return Err(WebhookRefused::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(WebhookRefused::Malformed)?;
    if signatures.is_empty() {
        return Err(WebhookRefused::Malformed);
    }
    if (now_secs - timestamp).abs() > SIGNATURE_TOLERANCE_SECS {
        return Err(WebhookRefused::Stale);
    }
    let matched = secrets.0.iter().any(|secret| {
        signatures
            .iter()
            .any(|given| mac(secret.expose_secret(), timestamp, body).is_some_and(|m| m.verify_slice(given).is_ok()))
    });
    if !matched {
        return Err(WebhookRefused::Mismatch);
    }
    serde_json::from_slice(body).map_err(|e| WebhookRefused::BadBody(e.to_string()))
}

/// What an event says about money, read from its object. Each fact is about one payment intent
/// and only ever adds to what is known, so facts can be applied in any order, and twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// The money was taken.
    Paid {
        payment_intent: String,
        amount_cents: i64,
        currency: String,
        invoice_id: Option<String>,
        checkout: Option<String>,
    },
    /// A session stopped taking payment without being paid.
    CheckoutExpired { checkout: String },
    /// This much of the payment has been refunded so far.
    Refunded { payment_intent: String, refunded_cents: i64 },
    /// The customer's bank disputes the payment; `status` is Stripe's (`needs_response`, `won`, `lost`…).
    Disputed { payment_intent: String, dispute: String, amount_cents: i64, status: String },
    /// The shop disconnected Opsquad from its Stripe account.
    Deauthorized,
    /// Nothing the squad acts on.
    Other,
}

fn text(object: &Value, key: &str) -> Option<String> {
    match object.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        // An expanded object in place of its id.
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn cents(object: &Value, key: &str) -> i64 {
    object.get(key).and_then(Value::as_i64).unwrap_or_default()
}

fn invoice_of(object: &Value) -> Option<String> {
    object
        .get("metadata")
        .and_then(|m| m.get("opsquad_invoice_id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| text(object, "client_reference_id"))
}

impl Event {
    pub fn fact(&self) -> Fact {
        let object = &self.data.object;
        let currency = || text(object, "currency").unwrap_or_default().to_ascii_uppercase();
        match self.kind.as_str() {
            "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
                match (text(object, "payment_status").as_deref(), text(object, "payment_intent")) {
                    (Some("paid"), Some(payment_intent)) => Fact::Paid {
                        payment_intent,
                        amount_cents: cents(object, "amount_total"),
                        currency: currency(),
                        invoice_id: invoice_of(object),
                        checkout: text(object, "id"),
                    },
                    _ => Fact::Other,
                }
            }
            "checkout.session.expired" => {
                text(object, "id").map_or(Fact::Other, |checkout| Fact::CheckoutExpired { checkout })
            }
            "payment_intent.succeeded" => match text(object, "id") {
                Some(payment_intent) => Fact::Paid {
                    payment_intent,
                    amount_cents: cents(object, "amount_received"),
                    currency: currency(),
                    invoice_id: invoice_of(object),
                    checkout: None,
                },
                None => Fact::Other,
            },
            "charge.refunded" => match text(object, "payment_intent") {
                Some(payment_intent) => {
                    Fact::Refunded { payment_intent, refunded_cents: cents(object, "amount_refunded") }
                }
                None => Fact::Other,
            },
            kind if kind.starts_with("charge.dispute.") => {
                match (text(object, "payment_intent"), text(object, "id"), text(object, "status")) {
                    (Some(payment_intent), Some(dispute), Some(status)) => {
                        Fact::Disputed { payment_intent, dispute, amount_cents: cents(object, "amount"), status }
                    }
                    _ => Fact::Other,
                }
            }
            "account.application.deauthorized" => Fact::Deauthorized,
            _ => Fact::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secrets(values: &[&str]) -> WebhookSecrets {
        WebhookSecrets::new(values.iter().map(|s| SecretString::from((*s).to_owned())).collect())
    }

    fn event(kind: &str, object: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "id": "evt_1", "object": "event", "type": kind, "account": "acct_1", "created": 1,
            "data": { "object": object },
        }))
        .unwrap()
    }

    #[test]
    fn a_signature_by_any_current_secret_within_the_window_is_accepted() {
        let body = event("payment_intent.succeeded", json!({ "id": "pi_1", "amount_received": 500 }));
        let now = 1_800_000_000;
        let header = format!("t={now},v1={}", sign("whsec_new", now, &body));
        let event = verify(&secrets(&["whsec_old", "whsec_new"]), Some(&header), &body, now + 10).unwrap();
        assert_eq!(event.id, "evt_1");
        assert_eq!(event.account.as_deref(), Some("acct_1"));
        // Stripe sends one v1 per secret during a rotation; one match is enough.
        let both = format!("t={now},v1={},v1={}", sign("whsec_gone", now, &body), sign("whsec_old", now, &body));
        assert!(verify(&secrets(&["whsec_old"]), Some(&both), &body, now).is_ok());
    }

    #[test]
    fn a_wrong_stale_missing_or_tampered_signature_is_refused() {
        let body = event("payment_intent.succeeded", json!({ "id": "pi_1" }));
        let now = 1_800_000_000;
        let keys = secrets(&["whsec_right"]);
        let wrong = format!("t={now},v1={}", sign("whsec_wrong", now, &body));
        assert_eq!(verify(&keys, Some(&wrong), &body, now), Err(WebhookRefused::Mismatch));
        let right = format!("t={now},v1={}", sign("whsec_right", now, &body));
        assert_eq!(verify(&keys, Some(&right), &body, now + 301), Err(WebhookRefused::Stale));
        assert_eq!(verify(&keys, Some(&right), &body, now - 301), Err(WebhookRefused::Stale));
        assert_eq!(verify(&keys, None, &body, now), Err(WebhookRefused::NoSignature));
        assert_eq!(verify(&keys, Some("v1=abc"), &body, now), Err(WebhookRefused::Malformed));
        assert_eq!(verify(&keys, Some(&format!("t={now}")), &body, now), Err(WebhookRefused::Malformed));
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        assert_eq!(verify(&keys, Some(&right), &tampered, now), Err(WebhookRefused::Mismatch));
    }

    #[test]
    fn events_become_facts_about_one_payment() {
        let read = |kind: &str, object: Value| {
            let body = event(kind, object);
            serde_json::from_slice::<Event>(&body).unwrap().fact()
        };
        let completed = read(
            "checkout.session.completed",
            json!({ "id": "cs_1", "payment_status": "paid", "payment_intent": "pi_1", "amount_total": 12_500,
                    "currency": "usd", "client_reference_id": "inv_1" }),
        );
        assert_eq!(
            completed,
            Fact::Paid {
                payment_intent: "pi_1".into(),
                amount_cents: 12_500,
                currency: "USD".into(),
                invoice_id: Some("inv_1".into()),
                checkout: Some("cs_1".into())
            }
        );
        let unpaid = read(
            "checkout.session.completed",
            json!({ "id": "cs_1", "payment_status": "unpaid", "payment_intent": "pi_1" }),
        );
        assert_eq!(unpaid, Fact::Other, "a delayed payment method has not paid yet");
        let succeeded = read(
            "payment_intent.succeeded",
            json!({ "id": "pi_1", "amount_received": 12_500, "currency": "usd", "metadata": { "opsquad_invoice_id": "inv_1" } }),
        );
        assert!(matches!(succeeded, Fact::Paid { invoice_id: Some(ref i), checkout: None, .. } if i == "inv_1"));
        let refunded =
            read("charge.refunded", json!({ "id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 2_500 }));
        assert_eq!(refunded, Fact::Refunded { payment_intent: "pi_1".into(), refunded_cents: 2_500 });
        let disputed = read(
            "charge.dispute.created",
            json!({ "id": "dp_1", "payment_intent": "pi_1", "amount": 12_500, "status": "needs_response" }),
        );
        assert!(matches!(disputed, Fact::Disputed { ref status, .. } if status == "needs_response"));
        assert_eq!(read("account.application.deauthorized", json!({ "id": "ca_1" })), Fact::Deauthorized);
        assert_eq!(read("customer.created", json!({ "id": "cus_1" })), Fact::Other);
    }

    #[test]
    fn only_account_ids_are_sent_as_the_account() {
        assert!(account("acct_1Abc").is_ok());
        assert!(account("acct_1\r\nX-Evil: 1").is_err());
        assert!(account("cus_1").is_err());
    }
}
