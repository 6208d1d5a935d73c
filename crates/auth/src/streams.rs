//! How many live event streams may be open at once, per org and per credential. A stream holds a
//! connection and polls the database, so without a cap one leaked key could open hundreds and
//! slow every tenant. In memory, per instance, like the attempt throttle.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use domain::OrgId;

use crate::context::{AuthCtx, Credential};

#[derive(Debug)]
pub struct StreamSlots {
    per_org: usize,
    per_credential: usize,
    open: Mutex<HashMap<String, usize>>,
}

/// One open stream; dropping it (the client left, the stream ended) frees its place.
#[derive(Debug)]
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    keys: [String; 2],
}

impl StreamSlots {
    pub fn new(per_org: usize, per_credential: usize) -> Arc<Self> {
        Arc::new(Self { per_org, per_credential, open: Mutex::new(HashMap::new()) })
    }

    /// A place for one more stream for this caller, or `None` when its org or its credential
    /// already has as many as allowed.
    pub fn claim(self: &Arc<Self>, ctx: &AuthCtx) -> Option<StreamSlot> {
        let credential = match ctx.credential {
            Credential::ApiKey(id) | Credential::ApiToken(id) => format!("key:{id}"),
            Credential::Session => format!("user:{}", ctx.scope.user_id().map(|u| u.to_string()).unwrap_or_default()),
        };
        self.claim_for(ctx.scope.org_id(), credential)
    }

    /// A place for a stream of a credential that is not an [`AuthCtx`] (a chat widget session,
    /// named `chat:<session id>`).
    pub fn claim_for(self: &Arc<Self>, org: OrgId, credential: String) -> Option<StreamSlot> {
        let keys = [format!("org:{org}"), format!("{org}/{credential}")];
        let mut open = self.lock();
        let count = |key: &str| open.get(key).copied().unwrap_or(0);
        if count(&keys[0]) >= self.per_org || count(&keys[1]) >= self.per_credential {
            return None;
        }
        for key in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        drop(open);
        Some(StreamSlot { slots: Arc::clone(self), keys })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        for key in &self.keys {
            if let Some(n) = open.get_mut(key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_credential_and_each_org_has_a_cap_and_a_closed_stream_frees_its_place() {
        let slots = StreamSlots::new(3, 2);
        let org = OrgId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a").unwrap();
        let other = OrgId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6b").unwrap();
        let a1 = slots.claim_for(org, "key:a".into()).unwrap();
        let _a2 = slots.claim_for(org, "key:a".into()).unwrap();
        assert!(slots.claim_for(org, "key:a".into()).is_none(), "the credential's cap");
        let _b1 = slots.claim_for(org, "key:b".into()).unwrap();
        assert!(slots.claim_for(org, "key:b".into()).is_none(), "the org's cap");
        assert!(slots.claim_for(other, "key:c".into()).is_some(), "another org is not affected");
        drop(a1);
        assert!(slots.claim_for(org, "key:b".into()).is_some(), "a closed stream frees its place");
    }
}
