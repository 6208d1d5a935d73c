use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::api_keys::NewApiKey;

/// Every key starts with this, so a leaked key is recognisable (and secret scanners can find it).
pub const PREFIX: &str = "osq_";
const PREFIX_SHOWN_CHARS: usize = 12;

/// A freshly generated key: the plaintext to show once, and what to store.
pub struct GeneratedKey {
    pub plaintext: String,
    pub record: NewApiKey,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey").field("prefix", &self.record.prefix).finish_non_exhaustive()
    }
}

/// 32 random bytes (256 bits): far beyond guessing, so a fast hash (SHA-256) is the right store.
pub fn generate(name: &str) -> GeneratedKey {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let plaintext = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
    let record = NewApiKey {
        name: name.trim().chars().take(80).collect(),
        prefix: plaintext.chars().take(PREFIX_SHOWN_CHARS).collect(),
        key_hash: hash(&plaintext),
    };
    GeneratedKey { plaintext, record }
}

pub fn hash(presented: &str) -> String {
    hex::encode(Sha256::digest(presented.as_bytes()))
}

/// Cheap shape check before touching the database.
pub fn looks_like_key(presented: &str) -> bool {
    presented.starts_with(PREFIX) && presented.len() == PREFIX.len() + 43
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_unique_well_formed_and_stored_only_as_hashes() {
        let a = generate("ci");
        let b = generate("ci");
        assert_ne!(a.plaintext, b.plaintext);
        assert!(looks_like_key(&a.plaintext));
        assert_eq!(a.record.key_hash, hash(&a.plaintext));
        assert!(!a.record.key_hash.contains(&a.plaintext[PREFIX.len()..]));
        assert!(a.plaintext.starts_with(&a.record.prefix));
        assert!(!format!("{a:?}").contains(&a.plaintext));
    }

    #[test]
    fn rejects_things_that_are_not_keys() {
        assert!(!looks_like_key(""));
        assert!(!looks_like_key("osq_short"));
        assert!(!looks_like_key("Bearer osq_xxx"));
    }
}
