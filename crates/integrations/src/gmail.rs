//! Gmail through Google's own interfaces. The owner signs in with Google (OAuth 2.0 authorization
//! code with PKCE, read and send scopes only); the squad then reads new mail from the mailbox's
//! history (woken by Gmail's push notifications through Pub/Sub, whose signed tokens are checked
//! here) and sends with `messages.send` in the customer's thread. Every endpoint comes from
//! configuration, so tests point it at a local peer.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Reading and sending mail, nothing more (no deleting, no settings).
pub const SCOPES: &str = "https://www.googleapis.com/auth/gmail.readonly https://www.googleapis.com/auth/gmail.send";
/// How long one exchange with Google may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// An access token this close to expiring is renewed before use.
const RENEW_BEFORE_MS: i64 = 5 * 60 * 1000;
/// Who signs Pub/Sub's push tokens.
const ISSUERS: [&str; 2] = ["accounts.google.com", "https://accounts.google.com"];

/// The Google app Opsquad signs in as, and where Google's services are.
#[derive(Debug, Clone)]
pub struct Google {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Where the owner is sent to sign in and allow access.
    pub auth_url: String,
    pub token_url: String,
    /// `https://gmail.googleapis.com`.
    pub api_base: String,
    /// `https://www.googleapis.com`, where Google Calendar's API is.
    pub calendar_base: String,
    /// Google's signing keys for push tokens.
    pub jwks_url: String,
    /// The audience push tokens must name (the push endpoint's public URL).
    pub push_audience: String,
    /// The service account the push subscription signs as, when it must be that one.
    pub push_account: Option<String>,
    /// The Pub/Sub topic Gmail publishes to (`projects/p/topics/t`); without it the squad relies
    /// on its regular checks.
    pub topic: Option<String>,
}

/// Why Gmail could not be used, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GmailError {
    #[error("Google no longer lets Opsquad use this mailbox ({0}); connect Gmail again")]
    Revoked(String),
    #[error("could not reach Google ({0})")]
    Unreachable(String),
    #[error("Google refused the request: {0}")]
    Refused(String),
    /// The mailbox's history no longer reaches back to the squad's place in it.
    #[error("Gmail's history no longer reaches back to where the squad last read")]
    HistoryGone,
}

impl GmailError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }
}

/// A PKCE pair (RFC 7636): the verifier stays with the owner's session, the challenge goes to Google.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        Self::from_verifier(random_token())
    }

    fn from_verifier(verifier: String) -> Self {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self { verifier, challenge }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// 32 random bytes, URL-safe: a PKCE verifier or an OAuth `state`.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The tokens of one connected mailbox, as they are sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// When the access token stops working (Unix ms).
    pub expires_at: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// The mailbox an account reached: its address and where its history stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub address: String,
    pub history_id: String,
}

/// A message Gmail added to the inbox since a history id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub id: String,
    /// The history record that added it: the squad's place once it is taken in.
    pub history_id: String,
}

/// What the history since the squad's place holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    /// Messages added to the inbox, oldest first.
    pub added: Vec<Added>,
    /// Where the history stands now.
    pub history_id: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn unreachable(e: reqwest::Error) -> GmailError {
    GmailError::Unreachable(e.without_url().to_string())
}

/// Google's words from an error answer: `{"error": {"message"}}` or `{"error", "error_description"}`.
pub(crate) fn google_said(body: &Value) -> String {
    let said = body["error"]["message"]
        .as_str()
        .or_else(|| body["error_description"].as_str())
        .or_else(|| body["error"].as_str())
        .unwrap_or("no reason given");
    said.chars().take(300).collect()
}

impl Google {
    /// An HTTP client for Google's services.
    pub fn http() -> reqwest::Client {
        reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    }

    /// Where to send the owner to allow access to `scopes` (Gmail's [`SCOPES`], or a calendar's):
    /// back to `redirect_uri` with a code and `state`.
    pub fn authorize_url(&self, redirect_uri: &str, state: &str, pkce: &Pkce, scopes: &str) -> String {
        let query = [
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", scopes),
            ("state", state),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
            // A refresh token, so the squad keeps working after the owner leaves.
            ("access_type", "offline"),
            // Whoever is at the screen picks the account (the shop's mailbox, a technician's calendar),
            // not whichever the browser is signed in to.
            ("prompt", "select_account consent"),
        ];
        let encoded: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        let joiner = if self.auth_url.contains('?') { '&' } else { '?' };
        format!("{}{joiner}{}", self.auth_url, encoded.join("&"))
    }

    async fn token_request(&self, http: &reqwest::Client, form: &[(&str, &str)]) -> Result<TokenAnswer, GmailError> {
        let secret = self.client_secret.expose_secret();
        let mut fields = vec![("client_id", self.client_id.as_str()), ("client_secret", secret)];
        fields.extend_from_slice(form);
        let answer = http.post(&self.token_url).form(&fields).send().await.map_err(unreachable)?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return serde_json::from_value(body)
                .map_err(|e| GmailError::Refused(format!("the token answer was not understood: {e}")));
        }
        if body["error"] == "invalid_grant" {
            return Err(GmailError::Revoked(google_said(&body)));
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(GmailError::Unreachable(format!("{status}: {}", google_said(&body))));
        }
        Err(GmailError::Refused(google_said(&body)))
    }

    /// Trades the code Google sent back (with the PKCE verifier) for the mailbox's tokens.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Tokens, GmailError> {
        let answer = self
            .token_request(
                http,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("code_verifier", verifier),
                    ("redirect_uri", redirect_uri),
                ],
            )
            .await?;
        let refresh_token = answer.refresh_token.clone().ok_or_else(|| {
            GmailError::Refused(
                "Google gave no refresh token; remove Opsquad's access in your Google account and connect again".into(),
            )
        })?;
        Ok(Tokens {
            access_token: answer.access_token,
            refresh_token,
            expires_at: now_ms() + answer.expires_in.unwrap_or(3600) * 1000,
        })
    }

    /// A new access token for `tokens` (the refresh token stays unless Google rotates it).
    pub async fn refresh(&self, http: &reqwest::Client, tokens: &Tokens) -> Result<Tokens, GmailError> {
        let answer = self
            .token_request(http, &[("grant_type", "refresh_token"), ("refresh_token", tokens.refresh_token.as_str())])
            .await?;
        Ok(Tokens {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token.unwrap_or_else(|| tokens.refresh_token.clone()),
            expires_at: now_ms() + answer.expires_in.unwrap_or(3600) * 1000,
        })
    }
}

/// Percent-encoding for a query value or a path segment.
pub(crate) fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One Google account, signed in: renews its access token when it is about to lapse (or Google
/// says it has), and remembers that it did so the caller can keep the new one.
pub struct SignedIn<'a> {
    google: &'a Google,
    http: reqwest::Client,
    tokens: Tokens,
    renewed: bool,
}

impl<'a> SignedIn<'a> {
    pub fn new(google: &'a Google, http: reqwest::Client, tokens: Tokens) -> Self {
        Self { google, http, tokens, renewed: false }
    }

    /// The tokens as they stand, and whether they changed since the account was signed in here.
    pub fn tokens(&self) -> (&Tokens, bool) {
        (&self.tokens, self.renewed)
    }

    pub fn google(&self) -> &'a Google {
        self.google
    }

    async fn renew(&mut self) -> Result<(), GmailError> {
        self.tokens = self.google.refresh(&self.http, &self.tokens).await?;
        self.renewed = true;
        Ok(())
    }

    /// One call to a Google API at `url`, renewing the access token first when it is about to
    /// lapse and once more if Google refuses it; Google's status and JSON answer otherwise as they
    /// came (an empty answer is `null`). A token Google still refuses after renewing is revoked.
    pub async fn call(
        &mut self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(reqwest::StatusCode, Value), GmailError> {
        if self.tokens.expires_at - now_ms() < RENEW_BEFORE_MS {
            self.renew().await?;
        }
        let mut renewed_now = false;
        loop {
            let mut request = self.http.request(method.clone(), url).bearer_auth(&self.tokens.access_token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let answer = request.send().await.map_err(unreachable)?;
            let status = answer.status();
            let json: Value = answer.json().await.unwrap_or(Value::Null);
            if status != reqwest::StatusCode::UNAUTHORIZED {
                return Ok((status, json));
            }
            if renewed_now {
                return Err(GmailError::Revoked(google_said(&json)));
            }
            self.renew().await?;
            renewed_now = true;
        }
    }
}

/// One connected mailbox, signed in.
pub struct Mailbox<'a> {
    account: SignedIn<'a>,
}

impl<'a> Mailbox<'a> {
    pub fn new(google: &'a Google, http: reqwest::Client, tokens: Tokens) -> Self {
        Self { account: SignedIn::new(google, http, tokens) }
    }

    /// The tokens as they stand, and whether they changed since this mailbox was opened.
    pub fn tokens(&self) -> (&Tokens, bool) {
        self.account.tokens()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/gmail/v1/users/me/{path}", self.account.google().api_base.trim_end_matches('/'))
    }

    /// One call to the Gmail API.
    async fn call(&mut self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<Value, GmailError> {
        let url = self.url(path);
        let (status, json) = self.account.call(method, &url, body).await?;
        match status.as_u16() {
            200..=299 => Ok(json),
            403 => Err(GmailError::Revoked(google_said(&json))),
            404 if path.starts_with("history") => Err(GmailError::HistoryGone),
            429 | 500..=599 => Err(GmailError::Unreachable(format!("{status}: {}", google_said(&json)))),
            _ => Err(GmailError::Refused(format!("{status}: {}", google_said(&json)))),
        }
    }

    /// The mailbox's address and where its history stands.
    pub async fn profile(&mut self) -> Result<Profile, GmailError> {
        let answer = self.call(reqwest::Method::GET, "profile", None).await?;
        let address = answer["emailAddress"].as_str().unwrap_or_default().to_owned();
        let history_id = id_text(&answer["historyId"]);
        if address.is_empty() || history_id.is_empty() {
            return Err(GmailError::Refused("the mailbox's profile had no address or history id".into()));
        }
        Ok(Profile { address, history_id })
    }

    /// Asks Gmail to publish the inbox's changes to the Pub/Sub topic (renewed daily: a watch
    /// lapses after a week).
    pub async fn watch(&mut self, topic: &str) -> Result<(), GmailError> {
        self.call(reqwest::Method::POST, "watch", Some(&json!({ "topicName": topic, "labelIds": ["INBOX"] }))).await?;
        Ok(())
    }

    /// Up to `limit` messages added to the inbox after `since`, oldest first. Mail the shop sent
    /// itself and drafts are left out.
    pub async fn history_since(&mut self, since: &str, limit: usize) -> Result<History, GmailError> {
        let mut added = Vec::new();
        let mut page: Option<String> = None;
        let mut now;
        loop {
            let mut path = format!("history?startHistoryId={}&historyTypes=messageAdded", encode(since));
            if let Some(token) = &page {
                path.push_str(&format!("&pageToken={}", encode(token)));
            }
            let answer = self.call(reqwest::Method::GET, &path, None).await?;
            now = id_text(&answer["historyId"]);
            for record in answer["history"].as_array().into_iter().flatten() {
                let record_id = id_text(&record["id"]);
                for entry in record["messagesAdded"].as_array().into_iter().flatten() {
                    let message = &entry["message"];
                    let labels: Vec<&str> =
                        message["labelIds"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    if labels.iter().any(|l| *l == "SENT" || *l == "DRAFT") {
                        continue;
                    }
                    if let Some(id) = message["id"].as_str() {
                        added.push(Added { id: id.to_owned(), history_id: record_id.clone() });
                    }
                }
            }
            page = answer["nextPageToken"].as_str().map(str::to_owned);
            if page.is_none() || added.len() >= limit {
                break;
            }
        }
        added.truncate(limit);
        // Only as far as what is returned: the rest comes next time.
        let history_id = if added.len() == limit { added[limit - 1].history_id.clone() } else { now };
        Ok(History { added, history_id })
    }

    /// One message as it was received (RFC 5322 bytes).
    pub async fn raw(&mut self, id: &str) -> Result<Vec<u8>, GmailError> {
        let answer = self.call(reqwest::Method::GET, &format!("messages/{}?format=raw", encode(id)), None).await?;
        let raw = answer["raw"].as_str().unwrap_or_default().trim_end_matches('=');
        URL_SAFE_NO_PAD.decode(raw).map_err(|e| GmailError::Refused(format!("message {id} was not readable: {e}")))
    }

    /// The Gmail thread holding the message with this `Message-ID`, if the mailbox has it.
    pub async fn thread_of(&mut self, message_id: &str) -> Result<Option<String>, GmailError> {
        let query = format!("rfc822msgid:{}", message_id.trim_matches(['<', '>']));
        let answer = self.call(reqwest::Method::GET, &format!("messages?q={}", encode(&query)), None).await?;
        Ok(answer["messages"][0]["threadId"].as_str().map(str::to_owned))
    }

    /// The `Message-ID` a message carries as Gmail keeps it (Gmail may replace the sender's own).
    pub async fn message_id_of(&mut self, id: &str) -> Result<Option<String>, GmailError> {
        let path = format!("messages/{}?format=metadata&metadataHeaders=Message-ID", encode(id));
        let answer = self.call(reqwest::Method::GET, &path, None).await?;
        let headers = answer["payload"]["headers"].as_array().cloned().unwrap_or_default();
        Ok(headers
            .iter()
            .find(|h| h["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("Message-ID")))
            .and_then(|h| h["value"].as_str())
            .map(str::to_owned))
    }

    /// Sends a whole RFC 5322 message, in `thread` when it answers one; Gmail's id for it.
    pub async fn send(&mut self, raw: &[u8], thread: Option<&str>) -> Result<String, GmailError> {
        let mut body = json!({ "raw": URL_SAFE_NO_PAD.encode(raw) });
        if let Some(thread) = thread {
            body["threadId"] = json!(thread);
        }
        let answer = self.call(reqwest::Method::POST, "messages/send", Some(&body)).await?;
        Ok(answer["id"].as_str().unwrap_or_default().to_owned())
    }
}

/// Gmail writes history ids as strings, some peers as numbers.
fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// What a push says: which mailbox changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub address: String,
}

/// Why a push was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushRefused {
    #[error("the push carried no bearer token")]
    NoToken,
    #[error("the push token is not valid: {0}")]
    BadToken(String),
    #[error("Google's signing keys could not be fetched: {0}")]
    NoKeys(String),
    #[error("the push body is not a Gmail notification: {0}")]
    BadBody(String),
}

#[derive(Deserialize)]
struct PushClaims {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
}

/// Checks push tokens against Google's published keys, fetched when first needed and again
/// when a token names a key not yet seen (at most once a minute).
#[derive(Debug)]
pub struct PushVerifier {
    http: reqwest::Client,
    keys: Mutex<Option<(Instant, jsonwebtoken::jwk::JwkSet)>>,
}

impl Default for PushVerifier {
    fn default() -> Self {
        Self { http: Google::http(), keys: Mutex::new(None) }
    }
}

impl PushVerifier {
    async fn key(&self, google: &Google, kid: &str) -> Result<jsonwebtoken::DecodingKey, PushRefused> {
        let cached = |keys: &Option<(Instant, jsonwebtoken::jwk::JwkSet)>| {
            keys.as_ref().and_then(|(at, set)| set.find(kid).cloned().map(|k| (k, *at)))
        };
        let (found, fetched_at) = {
            let keys = self.keys.lock().map_err(|_| PushRefused::NoKeys("key cache poisoned".into()))?;
            match cached(&keys) {
                Some((key, at)) => (Some(key), Some(at)),
                None => (None, keys.as_ref().map(|(at, _)| *at)),
            }
        };
        let jwk = match found {
            Some(jwk) => jwk,
            None => {
                if fetched_at.is_some_and(|at| at.elapsed() < Duration::from_secs(60)) {
                    return Err(PushRefused::BadToken(format!("unknown signing key {kid}")));
                }
                let set: jsonwebtoken::jwk::JwkSet = self
                    .http
                    .get(&google.jwks_url)
                    .send()
                    .await
                    .map_err(|e| PushRefused::NoKeys(e.without_url().to_string()))?
                    .json()
                    .await
                    .map_err(|e| PushRefused::NoKeys(e.without_url().to_string()))?;
                let jwk = set.find(kid).cloned();
                if let Ok(mut keys) = self.keys.lock() {
                    *keys = Some((Instant::now(), set));
                }
                jwk.ok_or_else(|| PushRefused::BadToken(format!("unknown signing key {kid}")))?
            }
        };
        jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| PushRefused::BadToken(e.to_string()))
    }

    /// Checks the push's `Authorization` header value and reads its body.
    pub async fn verify(&self, google: &Google, authorization: Option<&str>, body: &[u8]) -> Result<Push, PushRefused> {
        let token = authorization
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(PushRefused::NoToken)?;
        let header = jsonwebtoken::decode_header(token).map_err(|e| PushRefused::BadToken(e.to_string()))?;
        let kid = header.kid.ok_or_else(|| PushRefused::BadToken("no key id".into()))?;
        let key = self.key(google, &kid).await?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[google.push_audience.as_str()]);
        validation.set_issuer(&ISSUERS);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<PushClaims>(token, &key, &validation)
            .map_err(|e| PushRefused::BadToken(e.to_string()))?
            .claims;
        if let Some(account) = &google.push_account {
            let signed_by = claims.email.as_deref().filter(|_| claims.email_verified == Some(true));
            if !signed_by.is_some_and(|e| e.eq_ignore_ascii_case(account)) {
                return Err(PushRefused::BadToken("signed by another service account".into()));
            }
        }
        read_push(body)
    }
}

/// Reads a Pub/Sub push body: `{"message": {"data": base64 of {"emailAddress", "historyId"}}}`.
fn read_push(body: &[u8]) -> Result<Push, PushRefused> {
    let envelope: Value = serde_json::from_slice(body).map_err(|e| PushRefused::BadBody(e.to_string()))?;
    let data = envelope["message"]["data"].as_str().ok_or_else(|| PushRefused::BadBody("no message data".into()))?;
    let decoded = STANDARD
        .decode(data)
        .or_else(|_| URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')))
        .map_err(|e| PushRefused::BadBody(format!("message data: {e}")))?;
    let inner: Value = serde_json::from_slice(&decoded).map_err(|e| PushRefused::BadBody(e.to_string()))?;
    let address = inner["emailAddress"].as_str().ok_or_else(|| PushRefused::BadBody("no emailAddress".into()))?;
    Ok(Push { address: address.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_verifiers_sha256() {
        // RFC 7636, appendix B.
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        let fresh = Pkce::new();
        assert!(fresh.verifier.len() >= 43 && fresh.verifier != Pkce::new().verifier);
    }

    #[test]
    fn the_sign_in_address_asks_only_to_read_and_send() {
        let google = Google {
            client_id: "app.apps.example".into(),
            client_secret: SecretString::from("s".to_owned()),
            auth_url: "https://accounts.example/auth".into(),
            token_url: String::new(),
            api_base: String::new(),
            calendar_base: String::new(),
            jwks_url: String::new(),
            push_audience: String::new(),
            push_account: None,
            topic: None,
        };
        let pkce = Pkce::from_verifier("v".repeat(43));
        let url = google.authorize_url("https://shop.example/app/cb", "st&te", &pkce, SCOPES);
        assert!(url.starts_with("https://accounts.example/auth?client_id=app.apps.example&"), "{url}");
        assert!(url.contains("redirect_uri=https%3A%2F%2Fshop.example%2Fapp%2Fcb"), "{url}");
        assert!(url.contains("state=st%26te") && url.contains("code_challenge_method=S256"), "{url}");
        assert!(url.contains(&format!("code_challenge={}", pkce.challenge)), "{url}");
        assert!(url.contains("gmail.readonly") && url.contains("gmail.send") && !url.contains("mail.google.com"));
    }

    #[test]
    fn a_push_body_names_its_mailbox() {
        let data = STANDARD.encode(br#"{"emailAddress":"shop@example.com","historyId":9876}"#);
        let body = format!(r#"{{"message":{{"data":"{data}","messageId":"1"}},"subscription":"s"}}"#);
        assert_eq!(read_push(body.as_bytes()).unwrap().address, "shop@example.com");
        assert!(matches!(read_push(b"{}"), Err(PushRefused::BadBody(_))));
    }
}
