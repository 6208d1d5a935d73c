use sqlx::{Any, Transaction};

use crate::{Backend, Db, StoreError};

/// The one path to the auth tables before a tenant is known: log-in by email, API-key lookup by
/// hash, session load by id, and sign-up. On PostgreSQL it sets `app.auth_lookup`, which only the
/// `orgs`, `users`, `sessions` and `api_keys` policies honour; every other table stays closed.
pub struct AuthTx {
    tx: Transaction<'static, Any>,
    backend: Backend,
}

impl AuthTx {
    pub async fn begin(db: &Db) -> Result<Self, StoreError> {
        Ok(Self { tx: db.begin_door("app.auth_lookup").await?, backend: db.backend() })
    }

    /// Additionally opens the new org's tenant context, for sign-up's first writes.
    pub(crate) async fn enter_org(&mut self, org: &str) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT set_config('app.org_id', $1, true)").bind(org).execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
