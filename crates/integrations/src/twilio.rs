//! Text messages and calls through the shop's own Twilio account, by its REST API (no Rust
//! client lets the endpoint be moved, and tests point it at a local peer): checking an account,
//! sending a text, reading back what became of it; and the signature Twilio puts on every
//! webhook (`X-Twilio-Signature`), checked against the URL Twilio called and its form fields.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// How long one exchange with Twilio may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A shop's Twilio account: its Account SID and Auth Token (which also signs its webhooks).
#[derive(Debug, Clone)]
pub struct TwilioAccount {
    pub account_sid: String,
    pub auth_token: SecretString,
}

/// Why Twilio could not be used, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TwilioError {
    #[error("Twilio did not accept the Account SID and Auth Token")]
    BadCredentials,
    /// Twilio refused this request and will refuse it again (an invalid number, an opted-out one).
    #[error("Twilio refused it: {message} (error {code})")]
    Refused { code: i64, message: String },
    #[error("could not reach Twilio ({0})")]
    Unreachable(String),
}

impl TwilioError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }

    /// Twilio's error for a number that replied STOP to this sender.
    pub fn is_opted_out(&self) -> bool {
        matches!(self, Self::Refused { code: 21610, .. })
    }
}

/// A text as Twilio reports it: its id, where it is (`queued`, `sent`, `delivered`, `failed`,
/// `undelivered`…), how many SMS segments it took and, once Twilio knows, what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextStatus {
    pub sid: String,
    pub status: String,
    pub segments: Option<i64>,
    /// In millionths of the account's currency (Twilio reports a negative decimal).
    pub price_micros: Option<i64>,
    pub error_code: Option<i64>,
}

/// Who a text is sent as: one of the account's numbers, or a Messaging Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    Number(String),
    MessagingService(String),
}

/// One text to send.
#[derive(Debug, Clone)]
pub struct NewText<'a> {
    pub to: &'a str,
    pub body: &'a str,
    /// Where Twilio reports the text's progress (`queued` → `sent` → `delivered` / `failed`).
    pub status_callback: Option<&'a str>,
}

/// Twilio's REST API at `api_base` (`https://api.twilio.com/`), and its Messaging Services at
/// `messaging_base` (`https://messaging.twilio.com/`).
#[derive(Debug, Clone)]
pub struct Twilio {
    http: reqwest::Client,
    api_base: String,
    messaging_base: String,
}

#[derive(Deserialize)]
struct Problem {
    code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    sid: String,
    status: String,
    num_segments: Option<String>,
    price: Option<String>,
    error_code: Option<i64>,
}

#[derive(Deserialize)]
struct Account {
    friendly_name: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct Numbers {
    incoming_phone_numbers: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct ServiceNumbers {
    phone_numbers: Vec<ServiceNumber>,
}

#[derive(Deserialize)]
struct ServiceNumber {
    phone_number: String,
}

/// Ends a base address with exactly one `/`.
fn base(address: &str) -> String {
    format!("{}/", address.trim_end_matches('/'))
}

impl Twilio {
    pub fn new(api_base: &str, messaging_base: &str) -> Result<Self, TwilioError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| TwilioError::Unreachable(format!("no HTTP client: {e}")))?;
        Ok(Self { http, api_base: base(api_base), messaging_base: base(messaging_base) })
    }

    fn url(&self, account: &TwilioAccount, path: &str) -> String {
        format!("{}2010-04-01/Accounts/{}{path}", self.api_base, urlencode(&account.account_sid))
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, TwilioError> {
        let answer = request.send().await.map_err(|e| TwilioError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| TwilioError::Unreachable(e.without_url().to_string()))?;
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(TwilioError::BadCredentials);
        }
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(TwilioError::Unreachable(format!("Twilio answered {status}")));
        }
        if !status.is_success() {
            let problem: Problem = serde_json::from_str(&text).unwrap_or(Problem { code: None, message: None });
            return Err(TwilioError::Refused {
                code: problem.code.unwrap_or(i64::from(status.as_u16())),
                message: problem.message.unwrap_or_else(|| format!("Twilio answered {status}")),
            });
        }
        serde_json::from_str(&text)
            .map_err(|e| TwilioError::Unreachable(format!("an answer Opsquad could not read: {e}")))
    }

    /// The account's name, when its credentials work and it is active.
    pub async fn account_name(&self, account: &TwilioAccount) -> Result<String, TwilioError> {
        let request = self
            .http
            .get(self.url(account, ".json"))
            .basic_auth(&account.account_sid, Some(account.auth_token.expose_secret()));
        let found: Account = self.call(request).await?;
        if found.status.as_deref().is_some_and(|s| s != "active") {
            return Err(TwilioError::Refused {
                code: 20003,
                message: format!("the account is {}", found.status.unwrap_or_default()),
            });
        }
        Ok(found.friendly_name.unwrap_or_else(|| account.account_sid.clone()))
    }

    /// Whether `number` (E.164) is one of the account's own phone numbers.
    pub async fn owns_number(&self, account: &TwilioAccount, number: &str) -> Result<bool, TwilioError> {
        let request = self
            .http
            .get(self.url(account, "/IncomingPhoneNumbers.json"))
            .query(&[("PhoneNumber", number)])
            .basic_auth(&account.account_sid, Some(account.auth_token.expose_secret()));
        let found: Numbers = self.call(request).await?;
        Ok(!found.incoming_phone_numbers.is_empty())
    }

    /// The numbers in a Messaging Service's sender pool, or `None` when the account has no such
    /// service.
    pub async fn service_numbers(
        &self,
        account: &TwilioAccount,
        sid: &str,
    ) -> Result<Option<Vec<String>>, TwilioError> {
        let request = self
            .http
            .get(format!("{}v1/Services/{}/PhoneNumbers", self.messaging_base, urlencode(sid)))
            .query(&[("PageSize", "1000")])
            .basic_auth(&account.account_sid, Some(account.auth_token.expose_secret()));
        match self.call::<ServiceNumbers>(request).await {
            Ok(found) => Ok(Some(found.phone_numbers.into_iter().map(|n| n.phone_number).collect())),
            Err(TwilioError::Refused { code: 20404 | 404, .. }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Sends one text.
    pub async fn send(
        &self,
        account: &TwilioAccount,
        from: &Sender,
        text: &NewText<'_>,
    ) -> Result<TextStatus, TwilioError> {
        let mut form = vec![("To", text.to), ("Body", text.body)];
        match from {
            Sender::Number(number) => form.push(("From", number)),
            Sender::MessagingService(sid) => form.push(("MessagingServiceSid", sid)),
        }
        if let Some(callback) = text.status_callback {
            form.push(("StatusCallback", callback));
        }
        let request = self
            .http
            .post(self.url(account, "/Messages.json"))
            .basic_auth(&account.account_sid, Some(account.auth_token.expose_secret()))
            .form(&form);
        self.call::<Message>(request).await.map(status_of)
    }

    /// What became of a text sent earlier.
    pub async fn text(&self, account: &TwilioAccount, sid: &str) -> Result<TextStatus, TwilioError> {
        let request = self
            .http
            .get(self.url(account, &format!("/Messages/{}.json", urlencode(sid))))
            .basic_auth(&account.account_sid, Some(account.auth_token.expose_secret()));
        self.call::<Message>(request).await.map(status_of)
    }
}

fn status_of(message: Message) -> TextStatus {
    TextStatus {
        sid: message.sid,
        status: message.status,
        segments: message.num_segments.and_then(|n| n.trim().parse().ok()),
        price_micros: message.price.as_deref().and_then(micros),
        error_code: message.error_code,
    }
}

/// "-0.00790" (dollars, as Twilio writes a price) as a positive count of millionths.
fn micros(price: &str) -> Option<i64> {
    let price = price.trim().trim_start_matches('-');
    let (whole, fraction) = price.split_once('.').unwrap_or((price, ""));
    let whole: i64 = whole.parse().ok()?;
    let digits: String = fraction.chars().chain(std::iter::repeat('0')).take(6).collect();
    if !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    whole.checked_mul(1_000_000)?.checked_add(digits.parse::<i64>().ok()?)
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The signature Twilio puts on a webhook: HMAC-SHA1 with the Auth Token over the full URL it
/// called followed by every form field's name and value, sorted by name, in base64.
pub fn signature(auth_token: &SecretString, url: &str, fields: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = fields.iter().collect();
    sorted.sort();
    let mut signed = url.to_owned();
    for (name, value) in sorted {
        signed.push_str(name);
        signed.push_str(value);
    }
    // An HMAC takes a key of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(auth_token.expose_secret().as_bytes()) else {
        return String::new();
    };
    mac.update(signed.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `header` is Twilio's signature of this webhook (compared in constant time).
pub fn verify(auth_token: &SecretString, url: &str, fields: &[(String, String)], header: &str) -> bool {
    let Ok(given) = STANDARD.decode(header.trim()) else { return false };
    let Ok(expected) = STANDARD.decode(signature(auth_token, url, fields)) else { return false };
    given.len() == expected.len() && given.iter().zip(&expected).fold(0_u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_twilios_published_example() {
        // Twilio's documented example: this token, URL and form give this signature.
        let token = SecretString::from("12345");
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let fields: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(signature(&token, url, &fields), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
        assert!(verify(&token, url, &fields, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        assert!(!verify(&token, url, &fields, "1/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        assert!(!verify(
            &token,
            "https://mycompany.com/myapp.php?foo=1&bar=3",
            &fields,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify(&SecretString::from("54321"), url, &fields, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
        assert!(!verify(&token, url, &fields, "not base64!"));
    }

    #[test]
    fn prices_read_as_millionths() {
        assert_eq!(micros("-0.00790"), Some(7_900));
        assert_eq!(micros("-1.5"), Some(1_500_000));
        assert_eq!(micros("abc"), None);
    }
}
