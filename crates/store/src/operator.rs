//! The operator's door: the command line (`opsquad org create`, `opsquad demo`, `opsquad bench`)
//! and the test harness act for an org because whoever runs them already holds the database. It is
//! the one way to a tenant scope without a credential, so every use is named and logged.

use domain::{OrgId, Role, UserId};

use crate::TenantScope;

#[derive(Debug, Clone, Copy)]
pub struct Operator {
    /// What is acting, for the log: `org create`, `demo`, `bench`, `test`.
    what: &'static str,
}

impl Operator {
    pub const fn new(what: &'static str) -> Self {
        Self { what }
    }

    /// A scope for `org` acting as `user` (or nobody) with `role`.
    pub fn act_for(&self, org: OrgId, user: Option<UserId>, role: Role) -> TenantScope {
        tracing::info!(operator = self.what, org_id = %org, role = %role, "the operator acts for an org");
        TenantScope::from_verified_credential(org, user, role)
    }
}
