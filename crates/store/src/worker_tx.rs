use sqlx::{Any, Transaction};

use crate::{Backend, Db, StoreError};

/// The worker's cross-tenant transaction: claiming jobs, finding escalations past their timeout,
/// sweeping memory past its retention. On PostgreSQL it sets `app.worker`, which only the `jobs`,
/// `escalations` and `memories` policies honour. (`IMMEDIATE` on SQLite, see `Db::begin`.)
pub struct WorkerTx {
    tx: Transaction<'static, Any>,
}

impl WorkerTx {
    pub(crate) async fn begin(db: &Db) -> Result<Self, StoreError> {
        let mut tx = db.begin().await?;
        if db.backend() == Backend::Postgres {
            sqlx::query("SELECT set_config('app.worker', 'on', true)").execute(&mut *tx).await?;
        }
        Ok(Self { tx })
    }

    pub(crate) fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}
