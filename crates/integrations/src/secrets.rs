//! Credentials at rest: sealed with AES-256-GCM under the newest key of a keyring from
//! configuration (`secrets.key`: `id:base64,id:base64`, newest first). Older keys still open what
//! they sealed, so keys rotate without a migration. Each sealed value is bound to where it is
//! stored (its `context`, e.g. the org and the connection), so a value copied into another row
//! does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

const VERSION: &str = "v1";
const KEY_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretsError {
    #[error("secrets.key is empty: give at least one key as `id:base64`, 32 bytes")]
    NoKey,
    #[error("secrets.key entry {0}: write it as `id:base64` with a key of 32 bytes")]
    BadKey(usize),
    #[error("secrets.key names key `{0}` twice")]
    DuplicateKey(String),
    #[error("a stored secret was sealed with key `{0}`, which is not in secrets.key")]
    UnknownKey(String),
    #[error("a stored secret does not open with its key: it was changed, moved to another row, or the key is wrong")]
    DoesNotOpen,
    #[error("a stored secret is not in the sealed format")]
    Malformed,
    #[error("the secret could not be sealed")]
    SealFailed,
}

/// The keys secrets are sealed with; the first seals, all open.
pub struct Keyring {
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish_non_exhaustive()
    }
}

impl Keyring {
    /// Reads `id:base64,id:base64` (newest first).
    pub fn parse(spec: &SecretString) -> Result<Self, SecretsError> {
        let mut keys: Vec<(String, Aes256Gcm)> = Vec::new();
        for (n, entry) in spec.expose_secret().split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let (id, encoded) = entry.split_once(':').ok_or(SecretsError::BadKey(n + 1))?;
            let id = id.trim();
            let bytes = B64.decode(encoded.trim()).map_err(|_| SecretsError::BadKey(n + 1))?;
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || bytes.len() != KEY_BYTES {
                return Err(SecretsError::BadKey(n + 1));
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(SecretsError::DuplicateKey(id.to_owned()));
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretsError::BadKey(n + 1))?;
            keys.push((id.to_owned(), cipher));
        }
        if keys.is_empty() {
            return Err(SecretsError::NoKey);
        }
        Ok(Self { keys })
    }

    /// A new random key entry (`id:base64`) for `secrets.key`.
    pub fn new_entry(id: &str) -> String {
        let mut key = [0u8; KEY_BYTES];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{id}:{}", B64.encode(key))
    }

    /// The id of the key that seals.
    pub fn newest(&self) -> &str {
        self.keys.first().map_or("", |(id, _)| id.as_str())
    }

    /// Seals `plaintext` for `context`: `v1.<key id>.<nonce>.<ciphertext>`.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<String, SecretsError> {
        let (id, cipher) = self.keys.first().ok_or(SecretsError::NoKey)?;
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
            .map_err(|_| SecretsError::SealFailed)?;
        Ok(format!("{VERSION}.{id}.{}.{}", B64.encode(nonce), B64.encode(sealed)))
    }

    /// Opens what [`Keyring::seal`] sealed for the same `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<Vec<u8>, SecretsError> {
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(id), Some(nonce), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretsError::Malformed);
        };
        let (_, cipher) =
            self.keys.iter().find(|(known, _)| known == id).ok_or_else(|| SecretsError::UnknownKey(id.to_owned()))?;
        let nonce = B64.decode(nonce).map_err(|_| SecretsError::Malformed)?;
        let data = B64.decode(data).map_err(|_| SecretsError::Malformed)?;
        if nonce.len() != NONCE_BYTES {
            return Err(SecretsError::Malformed);
        }
        cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &data, aad: context.as_bytes() })
            .map_err(|_| SecretsError::DoesNotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(spec: &str) -> Keyring {
        Keyring::parse(&SecretString::from(spec.to_owned())).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_context_and_holds_no_plaintext() {
        let keys = ring(&Keyring::new_entry("k1"));
        let sealed = keys.seal("org-1/email", b"app-password-123").unwrap();
        assert!(!sealed.contains("app-password"), "{sealed}");
        assert_ne!(sealed, keys.seal("org-1/email", b"app-password-123").unwrap(), "a fresh nonce each time");
        assert_eq!(keys.open("org-1/email", &sealed).unwrap(), b"app-password-123");
        assert_eq!(keys.open("org-2/email", &sealed), Err(SecretsError::DoesNotOpen), "moved to another org");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.open("org-1/email", &tampered).is_err());
        assert_eq!(keys.open("org-1/email", "plain text"), Err(SecretsError::Malformed));
    }

    #[test]
    fn keys_rotate_old_ones_open_the_newest_seals() {
        let old = Keyring::new_entry("k1");
        let sealed_before = ring(&old).seal("c", b"secret").unwrap();
        let rotated = ring(&format!("{},{old}", Keyring::new_entry("k2")));
        assert_eq!(rotated.newest(), "k2");
        assert_eq!(rotated.open("c", &sealed_before).unwrap(), b"secret");
        assert!(rotated.seal("c", b"x").unwrap().starts_with("v1.k2."));
        let without_old = ring(&Keyring::new_entry("k2"));
        assert_eq!(without_old.open("c", &sealed_before), Err(SecretsError::UnknownKey("k1".into())));
        // The same id with another key fails loudly rather than returning garbage.
        assert_eq!(ring(&Keyring::new_entry("k1")).open("c", &sealed_before), Err(SecretsError::DoesNotOpen));
    }

    #[test]
    fn a_bad_keyring_is_refused_with_the_reason() {
        let parse = |s: &str| Keyring::parse(&SecretString::from(s.to_owned())).map(|_| ());
        assert_eq!(parse(""), Err(SecretsError::NoKey));
        assert_eq!(parse("k1"), Err(SecretsError::BadKey(1)));
        assert_eq!(parse("k1:c2hvcnQ="), Err(SecretsError::BadKey(1)), "too short");
        let entry = Keyring::new_entry("k1");
        assert_eq!(parse(&format!("{entry},{entry}")), Err(SecretsError::DuplicateKey("k1".into())));
        assert!(!format!("{:?}", ring(&entry)).contains(entry.split(':').nth(1).unwrap()), "no key in Debug");
    }
}
