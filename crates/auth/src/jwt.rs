//! Short-lived tokens for clients that cannot hold a browser session (API clients now, the chat
//! widget later).
//!
//! HS256 only, and the algorithm is pinned by us, never read from the token; the key is chosen by
//! an exact `kid` match in a ring that holds the current key and any still-valid old ones during
//! rotation. Each kind of client has its own audience, so a widget token is useless on the API.

use std::collections::HashMap;

use domain::OrgId;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

pub const MIN_SECRET_BYTES: usize = 32;
pub const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Server-to-server calls to `/api/v1`, minted from an API key.
    Api,
    /// The embeddable chat widget, scoped to one visitor conversation.
    Widget,
}

impl Audience {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Api => "opsquad-api",
            Self::Widget => "opsquad-widget",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The credential the token was minted from (API key id, widget conversation id).
    pub sub: String,
    pub org: OrgId,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error("the JWT key `{kid}` is {len} bytes; at least {MIN_SECRET_BYTES} random bytes are required")]
    TooShort { kid: String, len: usize },
    #[error("the JWT key ring is empty")]
    Empty,
    #[error("the JWT key list entry `{0}` is not `kid:secret`")]
    Malformed(String),
    #[error("the JWT key id `{0}` appears twice")]
    Duplicate(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is malformed or uses an algorithm we do not accept")]
    Malformed,
    #[error("the token names no key or an unknown key")]
    UnknownKey,
    #[error("the token is invalid: {0}")]
    Invalid(String),
    #[error("could not sign the token")]
    Signing,
}

struct RingKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// The signing keys. The first key signs; all keys verify.
pub struct KeyRing {
    issuer: String,
    active_kid: String,
    keys: HashMap<String, RingKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("issuer", &self.issuer)
            .field("active_kid", &self.active_kid)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// `entries` are `(kid, secret)` pairs, the signing key first.
    pub fn new(issuer: &str, entries: &[(String, SecretString)]) -> Result<Self, KeyRingError> {
        let (active_kid, _) = entries.first().ok_or(KeyRingError::Empty)?;
        let mut keys = HashMap::new();
        for (kid, secret) in entries {
            let bytes = secret.expose_secret().as_bytes();
            if bytes.len() < MIN_SECRET_BYTES {
                return Err(KeyRingError::TooShort { kid: kid.clone(), len: bytes.len() });
            }
            let key = RingKey { encoding: EncodingKey::from_secret(bytes), decoding: DecodingKey::from_secret(bytes) };
            if keys.insert(kid.clone(), key).is_some() {
                return Err(KeyRingError::Duplicate(kid.clone()));
            }
        }
        Ok(Self { issuer: issuer.to_owned(), active_kid: active_kid.clone(), keys })
    }

    /// Parses `kid1:secret1,kid2:secret2` (the configuration format).
    pub fn parse_entries(spec: &SecretString) -> Result<Vec<(String, SecretString)>, KeyRingError> {
        spec.expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (kid, secret) = entry
                    .split_once(':')
                    .filter(|(kid, _)| !kid.is_empty())
                    .ok_or_else(|| KeyRingError::Malformed(entry.split(':').next().unwrap_or_default().to_owned()))?;
                Ok((kid.to_owned(), SecretString::from(secret.to_owned())))
            })
            .collect()
    }

    /// A ring with one random key, for development and tests: tokens die with the process.
    pub fn ephemeral(issuer: &str) -> Self {
        use rand::RngCore;
        let mut secret = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let bytes = hex::encode(secret);
        let key = RingKey {
            encoding: EncodingKey::from_secret(bytes.as_bytes()),
            decoding: DecodingKey::from_secret(bytes.as_bytes()),
        };
        let kid = "ephemeral".to_owned();
        Self { issuer: issuer.to_owned(), active_kid: kid.clone(), keys: HashMap::from([(kid, key)]) }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn issue(&self, audience: Audience, org: OrgId, subject: &str, ttl_seconds: u64) -> Result<String, TokenError> {
        let now = now_seconds();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: audience.as_str().to_owned(),
            sub: subject.to_owned(),
            org,
            iat: now,
            nbf: now,
            exp: now + ttl_seconds,
        };
        let key = self.keys.get(&self.active_kid).ok_or(TokenError::UnknownKey)?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active_kid.clone());
        encode(&header, &claims, &key.encoding).map_err(|_| TokenError::Signing)
    }

    pub fn verify(&self, token: &str, audience: Audience) -> Result<Claims, TokenError> {
        let header = decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Malformed);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience.as_str()]);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        decode::<Claims>(token, &key.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(format!("{:?}", e.kind())))
    }
}

fn now_seconds() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    use super::*;

    fn ring(kid: &str, secret: &str) -> KeyRing {
        KeyRing::new("https://opsquad.test", &[(kid.to_owned(), SecretString::from(secret.to_owned()))]).unwrap()
    }

    fn org() -> OrgId {
        OrgId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a").unwrap()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    /// Signs arbitrary header/claims by hand, to build tokens the library would refuse to make.
    fn forge(header: &str, claims: &Claims, secret: &[u8]) -> String {
        let h = URL_SAFE_NO_PAD.encode(header);
        let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        let signing_input = format!("{h}.{c}");
        let sig = hmac_sha256(secret, signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
        use sha2::{Digest, Sha256};
        let mut k = [0u8; 64];
        if key.len() > 64 {
            k[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            k[..key.len()].copy_from_slice(key);
        }
        let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
        let inner = Sha256::digest([ipad.as_slice(), msg].concat());
        Sha256::digest([opad.as_slice(), inner.as_slice()].concat()).to_vec()
    }

    fn claims(now: u64) -> Claims {
        Claims {
            iss: "https://opsquad.test".into(),
            aud: Audience::Api.as_str().into(),
            sub: "key".into(),
            org: org(),
            iat: now,
            nbf: now,
            exp: now + 600,
        }
    }

    #[test]
    fn a_fresh_token_verifies_for_its_audience_only() {
        let ring = ring("k1", SECRET);
        let token = ring.issue(Audience::Api, org(), "key-1", 900).unwrap();
        let claims = ring.verify(&token, Audience::Api).unwrap();
        assert_eq!(claims.org, org());
        assert_eq!(claims.sub, "key-1");
        assert!(matches!(ring.verify(&token, Audience::Widget), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn our_forger_matches_the_library_so_the_attack_tests_mean_something() {
        let ring = ring("k1", SECRET);
        let token = forge(r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#, &claims(now_seconds()), SECRET.as_bytes());
        assert!(ring.verify(&token, Audience::Api).is_ok());
    }

    #[test]
    fn rejects_alg_none_unknown_kid_missing_kid_and_wrong_key() {
        let ring = ring("k1", SECRET);
        let c = claims(now_seconds());
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap())
        );
        assert_eq!(ring.verify(&none, Audience::Api), Err(TokenError::Malformed));
        let unknown = forge(r#"{"alg":"HS256","kid":"k9"}"#, &c, SECRET.as_bytes());
        assert_eq!(ring.verify(&unknown, Audience::Api), Err(TokenError::UnknownKey));
        let no_kid = forge(r#"{"alg":"HS256"}"#, &c, SECRET.as_bytes());
        assert_eq!(ring.verify(&no_kid, Audience::Api), Err(TokenError::UnknownKey));
        let wrong_key = forge(r#"{"alg":"HS256","kid":"k1"}"#, &c, b"another-secret-another-secret-0000");
        assert!(matches!(ring.verify(&wrong_key, Audience::Api), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn rejects_expired_future_wrong_issuer_and_tampered_tokens() {
        let ring = ring("k1", SECRET);
        let now = now_seconds();
        let expired = Claims { exp: now - 120, nbf: now - 900, iat: now - 900, ..claims(now) };
        let future = Claims { nbf: now + 600, ..claims(now) };
        let wrong_iss = Claims { iss: "https://evil.test".into(), ..claims(now) };
        for c in [expired, future, wrong_iss] {
            let token = forge(r#"{"alg":"HS256","kid":"k1"}"#, &c, SECRET.as_bytes());
            assert!(matches!(ring.verify(&token, Audience::Api), Err(TokenError::Invalid(_))), "{c:?}");
        }
        let good = ring.issue(Audience::Api, org(), "key-1", 900).unwrap();
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        payload["org"] = serde_json::json!("0190f8a5-0000-7c2b-9a6d-1f2e3d4c5b6a");
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        assert!(matches!(ring.verify(&parts.join("."), Audience::Api), Err(TokenError::Invalid(_))));
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_and_signs_with_the_first_key() {
        let old = ring("k1", SECRET);
        let token = old.issue(Audience::Api, org(), "key-1", 900).unwrap();
        let rotated = KeyRing::new(
            "https://opsquad.test",
            &[
                ("k2".to_owned(), SecretString::from("fedcba9876543210fedcba9876543210-new".to_owned())),
                ("k1".to_owned(), SecretString::from(SECRET.to_owned())),
            ],
        )
        .unwrap();
        assert!(rotated.verify(&token, Audience::Api).is_ok());
        let fresh = rotated.issue(Audience::Api, org(), "key-1", 900).unwrap();
        assert_eq!(decode_header(&fresh).unwrap().kid.as_deref(), Some("k2"));
    }

    #[test]
    fn refuses_short_duplicate_and_malformed_keys() {
        let short = KeyRing::new("i", &[("k".into(), SecretString::from("short".to_owned()))]);
        assert!(matches!(short, Err(KeyRingError::TooShort { .. })));
        let spec = SecretString::from("k1:0123456789abcdef0123456789abcdef,nokid".to_owned());
        assert!(matches!(KeyRing::parse_entries(&spec), Err(KeyRingError::Malformed(_))));
        let dup = vec![
            ("k".to_owned(), SecretString::from(SECRET.to_owned())),
            ("k".to_owned(), SecretString::from(SECRET.to_owned())),
        ];
        assert!(matches!(KeyRing::new("i", &dup), Err(KeyRingError::Duplicate(_))));
    }
}
