//! Invitation links: 256 random bits in the link, only their SHA-256 stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

/// A fresh invitation secret: the token for the link, and the hash to store.
pub fn generate() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    let hash = crate::api_key::hash(&token);
    (token, hash)
}

/// Cheap shape check before touching the database: 32 bytes in unpadded base64url.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_well_formed_and_stored_only_as_hashes() {
        let (a, hash_a) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(looks_like_token(&a));
        assert!(!looks_like_token("short"));
        assert_eq!(hash_a, crate::api_key::hash(&a));
        assert!(!hash_a.contains(&a));
    }
}
