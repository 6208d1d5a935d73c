use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("enter a name")]
    Empty,
    #[error("a name can be at most {max} characters")]
    TooLong { max: usize },
    #[error("a name cannot contain control characters or < >")]
    ForbiddenCharacters,
}

fn parse_name(value: &str, max: usize) -> Result<String, NameError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(NameError::Empty);
    }
    if value.chars().count() > max {
        return Err(NameError::TooLong { max });
    }
    if value.chars().any(|c| c.is_control() || c == '<' || c == '>') {
        return Err(NameError::ForbiddenCharacters);
    }
    Ok(value.to_owned())
}

macro_rules! name_type {
    ($(#[$meta:meta])* $name:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(value: &str) -> Result<Self, NameError> {
                parse_name(value, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A business's display name ("Acme Heating & Air").
    OrgName,
    120
);
name_type!(
    /// A person's name as they gave it.
    PersonName,
    120
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_unicode() {
        assert_eq!(OrgName::parse("  Zoë's Plumbing ").unwrap().as_str(), "Zoë's Plumbing");
    }

    #[test]
    fn rejects_empty_long_and_markup() {
        assert_eq!(OrgName::parse("  "), Err(NameError::Empty));
        assert_eq!(OrgName::parse(&"x".repeat(121)), Err(NameError::TooLong { max: 120 }));
        assert_eq!(PersonName::parse("<script>"), Err(NameError::ForbiddenCharacters));
        assert_eq!(PersonName::parse("a\u{0}b"), Err(NameError::ForbiddenCharacters));
    }
}
