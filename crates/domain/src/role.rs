use std::fmt;

use serde::{Deserialize, Serialize};

/// What a member of an organisation may do. Owners manage billing, budgets and API keys; staff
/// work the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Staff,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role (expected owner or staff)")]
pub struct RoleError(String);

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Staff => "staff",
        }
    }

    pub fn parse(value: &str) -> Result<Self, RoleError> {
        match value {
            "owner" => Ok(Self::Owner),
            "staff" => Ok(Self::Staff),
            other => Err(RoleError(other.chars().take(32).collect())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_enum!(
    /// What an API key may touch, chosen when it is made; within it, the key's role still applies.
    KeyScope {
        /// Hand in inquiries, nothing else: the key a web form or a phone system embeds. It cannot
        /// vouch for a sender, read anything back or change anything.
        Inbound => "inbound",
        /// Read the pipeline, customers, invoices and settings; change nothing.
        Read => "read",
        /// Everything its role allows.
        Full => "full",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text() {
        for role in [Role::Owner, Role::Staff] {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("admin").is_err());
    }
}
