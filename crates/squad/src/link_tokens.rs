//! A customer's private links (a pay link, a manage link): where they point, and their secret —
//! 256 random bits in unpadded base64url. The database keeps only the secret's SHA-256, so a
//! leaked database opens no link.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Where customers reach this server, e.g. `https://app.example.com`; every link is built on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn new(raw: &str) -> Self {
        Self(raw.trim_end_matches('/').to_owned())
    }

    /// A file or page at the top of the site (`widget.js`).
    pub fn at(&self, path: &str) -> String {
        format!("{}/{path}", self.0)
    }

    /// The link to `page` (`pay`, `manage`) that `token` opens.
    pub fn link(&self, page: &str, token: &str) -> String {
        format!("{}/{page}/{token}", self.0)
    }
}

/// A fresh token.
pub fn new_token() -> String {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    URL_SAFE_NO_PAD.encode(secret)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A cheap shape check before the database is asked: 32 bytes in unpadded base64url.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_well_formed_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(looks_like_token(&a) && looks_like_token(&b));
        assert!(!looks_like_token(&a[1..]) && !looks_like_token(&format!("{}!", &a[1..])));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(!token_hash(&a).contains(&a), "the stored form does not hold the token");
    }
}
