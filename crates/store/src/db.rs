use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor};

use crate::StoreError;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// The role the application runs as on PostgreSQL: it owns nothing and cannot bypass RLS.
pub const APP_ROLE: &str = "opsquad_app";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(StoreError::UnsupportedUrl(format!("{scheme}:…")))
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// SQLite only: create the file if it does not exist (development and tests).
    pub create_if_missing: bool,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout: Duration::from_secs(5), create_if_missing: true }
    }
}

/// A connection pool plus the knowledge of which backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// SQLite only: the one connection this process writes through. Write transactions queue for
    /// it in order instead of contending for SQLite's write lock, whose busy handler sleeps and
    /// retries (milliseconds to tens of milliseconds each time) when several workers write at once.
    writer: Option<AnyPool>,
    backend: Backend,
    changes: std::sync::Arc<crate::changes::Changes>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Db {
    /// Applies the backend's migrations through a dedicated connection that keeps the connecting
    /// user's privileges (the pool later drops to the unprivileged application role).
    pub async fn migrate(url: &str, options: &DbOptions) -> Result<(), StoreError> {
        match Backend::from_url(url)? {
            Backend::Sqlite => {
                if options.create_if_missing {
                    create_sqlite_dir(url)?;
                }
                // Foreign keys are off while migrating: SQLite changes a constraint by rebuilding
                // the table, and dropping the old one with keys on would cascade to every row
                // that references it. They are checked as a whole once the migrations are in.
                let mut conn = sqlite_options(url, options)?.foreign_keys(false).connect().await?;
                SQLITE_MIGRATIONS.run(&mut conn).await?;
                let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut conn).await?;
                conn.close().await?;
                if !broken.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "{} rows reference rows that do not exist after migrating",
                        broken.len()
                    )));
                }
            }
            Backend::Postgres => {
                let mut conn = PgConnectOptions::from_str(url)?.connect().await?;
                POSTGRES_MIGRATIONS.run(&mut conn).await?;
                conn.close().await?;
            }
        }
        Ok(())
    }

    /// What every entry point does first: migrate (creating a SQLite file's folder in
    /// development), then connect.
    pub async fn open(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        Self::migrate(url, options).await?;
        Self::connect(url, options).await
    }

    /// Opens the pools (see [`pool_options`]); on SQLite also the one writing connection.
    pub async fn connect(url: &str, options: &DbOptions) -> Result<Self, StoreError> {
        install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if options.create_if_missing && !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let pool = pool_options(backend, options.max_connections, options).connect(&url).await?;
        let writer = match backend {
            Backend::Sqlite => Some(pool_options(backend, 1, options).connect(&url).await?),
            Backend::Postgres => None,
        };
        Ok(Self { pool, writer, backend, changes: std::sync::Arc::default() })
    }

    /// Which orgs committed changes, as this process learns of them.
    pub fn changes(&self) -> &crate::changes::Changes {
        &self.changes
    }

    pub(crate) fn changes_handle(&self) -> std::sync::Arc<crate::changes::Changes> {
        self.changes.clone()
    }

    /// On PostgreSQL, also learns of the changes other instances commit (until the process stops).
    /// `url` is the database's, for the listening connection.
    pub async fn hear_other_instances(&self, url: &str) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            crate::changes::listen(url, self.changes.clone()).await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Readiness: one round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Begins a transaction. On SQLite it is `BEGIN IMMEDIATE`, taking the write lock up front: a
    /// deferred transaction that read first cannot upgrade to a writer once another writer has
    /// committed (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not cover).
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.writer.as_ref().unwrap_or(&self.pool).begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => Ok(self.pool.begin().await?),
        }
    }

    /// Begins a read-only transaction: deferred on SQLite (a WAL snapshot, no write lock), `READ
    /// ONLY` on PostgreSQL.
    pub(crate) async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN DEFERRED").await?),
            Backend::Postgres => Ok(self.pool.begin_with("BEGIN READ ONLY").await?),
        }
    }

    /// Begins a transaction for a door that reads before a tenant is known (auth lookups, the
    /// worker, a customer's private link). On PostgreSQL it turns on `setting`, which only the
    /// policies written for that door honour.
    pub(crate) async fn begin_door(
        &self,
        setting: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT set_config($1, 'on', true)").bind(setting).execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }

    /// The raw pool. On PostgreSQL its connections run as the application role with no tenant
    /// context, so row-level security shows them no tenant rows at all; the repositories never
    /// use it directly. Exposed for readiness checks and for tests of those walls.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// How every pool connects: SQLite connections get WAL, foreign keys and a busy timeout (for
/// writers in other processes); PostgreSQL connections switch to the application role.
fn pool_options(backend: Backend, max_connections: u32, options: &DbOptions) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(options.acquire_timeout)
        // A task cancelled while its `BEGIN` was in flight (a worker shut down mid-claim) can
        // return its connection still counting a transaction that has no owner (sqlx 0.8.6,
        // launchbadge/sqlx#3932); the next `begin_with` on it would fail. Such a connection is
        // closed instead of handed out. A rolled-back transaction is already flushed by then.
        .before_acquire(|conn, _meta| Box::pin(async move { Ok(!conn.is_in_transaction()) }))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                match backend {
                    Backend::Sqlite => {
                        for pragma in [
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 5000",
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Backend::Postgres => {
                        conn.execute(format!("SET ROLE {APP_ROLE}").as_str()).await?;
                    }
                }
                Ok(())
            })
        })
}

/// SQLite creates the file but not its folder (`./data` on a fresh clone).
fn create_sqlite_dir(url: &str) -> Result<(), StoreError> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    match std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent)
            .map_err(|source| StoreError::CreateDir { path: parent.display().to_string(), source }),
        None => Ok(()),
    }
}

fn sqlite_options(url: &str, options: &DbOptions) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(options.create_if_missing)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_url_scheme() {
        assert_eq!(Backend::from_url("sqlite://data/x.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::from_url("postgres://u@h/db").unwrap(), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://u@h/db").unwrap(), Backend::Postgres);
        let err = Backend::from_url("mysql://root:hunter2@h/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "credentials must not leak into errors");
    }
}
