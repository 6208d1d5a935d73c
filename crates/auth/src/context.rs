//! Who is making a request, as established by the server's authentication middleware from a
//! verified credential. Handlers and server functions read it; nobody else builds it.

use domain::{ApiKeyId, Role};
use store::TenantScope;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie).
    Session,
    /// An API key presented as a bearer token.
    ApiKey(ApiKeyId),
    /// A short-lived JWT minted from an API key.
    ApiToken(ApiKeyId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCtx {
    pub scope: TenantScope,
    pub credential: Credential,
}

impl AuthCtx {
    pub fn role(&self) -> Role {
        self.scope.role()
    }
}
