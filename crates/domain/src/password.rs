use std::fmt;

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    #[error("use at most {PASSWORD_MAX_CHARS} characters")]
    TooLong,
}

/// A new password that meets the policy (length only, as ASVS recommends: no composition rules).
/// Never printed: `Debug` and `Display` redact it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(value: &str) -> Result<Self, PasswordError> {
        let chars = value.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_in_characters_not_bytes() {
        assert_eq!(Password::parse("short").unwrap_err(), PasswordError::TooShort);
        assert!(Password::parse("ééééééééé").is_err());
        assert!(Password::parse("éééééééééé").is_ok());
        assert_eq!(Password::parse(&"x".repeat(129)).unwrap_err(), PasswordError::TooLong);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
