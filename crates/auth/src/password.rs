use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use domain::Password;

#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("could not hash the password: {0}")]
    Hash(String),
    #[error("the stored password hash is malformed: {0}")]
    MalformedHash(String),
    #[error("the hashing task failed")]
    Join(#[from] tokio::task::JoinError),
}

/// A hash of a throwaway password, so unknown emails cost the same time as wrong passwords.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Hq6/rWJxeoAbQQi9TmiGk1cyqGgQyzrLcbqoHtSgz0M";

/// Argon2id with the OWASP-recommended defaults (19 MiB, 2 iterations), off the async threads.
pub async fn hash(password: &Password) -> Result<String, PasswordHashError> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordHashError::Hash(e.to_string()))
    })
    .await?
}

/// Checks `candidate` against `stored`; with `stored = None` it burns the same time and fails.
pub async fn verify(stored: Option<String>, candidate: &str) -> Result<bool, PasswordHashError> {
    let candidate = candidate.to_owned();
    let known = stored.is_some();
    let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| PasswordHashError::MalformedHash(e.to_string()))?;
        let ok = Argon2::default().verify_password(candidate.as_bytes(), &parsed).is_ok();
        Ok(ok && known)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let password = Password::parse("correct horse battery staple").unwrap();
        let stored = hash(&password).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(Some(stored.clone()), "correct horse battery staple").await.unwrap());
        assert!(!verify(Some(stored), "Correct horse battery staple").await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        assert!(!verify(None, "anything at all").await.unwrap());
    }
}
