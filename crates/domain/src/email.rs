use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("an email address can be at most 254 characters")]
    TooLong,
    #[error("enter an email address like name@example.com")]
    Malformed,
}

/// An email address, trimmed and with its domain lower-cased.
///
/// The check is deliberately modest (one `@`, a non-empty local part, a dotted domain without
/// spaces): the only real proof of an address is a message that arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, EmailError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(EmailError::Empty);
        }
        if value.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = value.rsplit_once('@').ok_or(EmailError::Malformed)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if !(domain_ok && local_ok) {
            return Err(EmailError::Malformed);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used to identify an account: fully lower-cased. Mail providers treat local parts
    /// case-insensitively in practice, and people type their address however they like.
    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_domain_case_and_whitespace() {
        let email = Email::parse("  Jo.Smith@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Jo.Smith@example.com");
    }

    #[test]
    fn rejects_common_mistakes() {
        for bad in [
            "",
            "   ",
            "jo",
            "jo@",
            "@example.com",
            "jo@example",
            "jo@@example.com",
            "jo smith@example.com",
            "jo@exa mple.com",
            "jo@.example.com",
            "jo@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn canonical_form_ignores_case() {
        let a = Email::parse("Dana@CoolBreeze.example.com").unwrap();
        let b = Email::parse("dana@coolbreeze.EXAMPLE.com").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.canonical(), b.canonical());
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
