use sqlx::{Any, Transaction};

use crate::{Db, StoreError};

/// The worker's cross-tenant transaction: claiming jobs, finding escalations past their timeout,
/// sweeping memory past its retention, finding orgs whose daily summary is not queued. On
/// PostgreSQL it sets `app.worker`, which only the `jobs`, `escalations`, `memories` and `orgs`
/// (read-only) policies honour. (`IMMEDIATE` on SQLite, see `Db::begin`.)
pub struct WorkerTx {
    tx: Transaction<'static, Any>,
}

impl WorkerTx {
    pub(crate) async fn begin(db: &Db) -> Result<Self, StoreError> {
        Ok(Self { tx: db.begin_door("app.worker").await? })
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
