//! tower-sessions' store over the `sessions` table.
//!
//! Only logged-in sessions are stored: a record must carry [`SessionAuth`](crate::SessionAuth),
//! whose org and user become real columns, so sessions can be revoked per user. Rows are keyed by
//! the SHA-256 of the session id.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use store::sessions::{self, SessionRecord};
use store::{AuthTx, Db};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

use crate::{SessionAuth, SESSION_AUTH_KEY};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

pub fn id_hash(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(err: impl std::fmt::Display) -> Error {
    Error::Backend(err.to_string())
}

fn to_row(record: &Record) -> Result<SessionRecord> {
    let auth_value = record
        .data
        .get(SESSION_AUTH_KEY)
        .ok_or_else(|| Error::Encode("only logged-in sessions are stored".to_owned()))?;
    let auth: SessionAuth = serde_json::from_value(auth_value.clone()).map_err(|e| Error::Encode(e.to_string()))?;
    let expires_at = i64::try_from(record.expiry_date.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    Ok(SessionRecord {
        org_id: auth.org_id,
        user_id: auth.user_id,
        data: serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?,
        expires_at,
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let row = to_row(record)?;
        let mut tx = AuthTx::begin(&self.db).await.map_err(backend)?;
        // 128-bit ids practically never collide, but a collision must never join two sessions.
        while sessions::exists(&mut tx, &id_hash(&record.id)).await.map_err(backend)? {
            record.id = Id::default();
        }
        sessions::save(&mut tx, &id_hash(&record.id), &row).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let row = to_row(record)?;
        let mut tx = AuthTx::begin(&self.db).await.map_err(backend)?;
        sessions::save(&mut tx, &id_hash(&record.id), &row).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut tx = AuthTx::begin(&self.db).await.map_err(backend)?;
        let found = sessions::load(&mut tx, &id_hash(id)).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        let Some((data, expires_at)) = found else { return Ok(None) };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(expires_at) * 1_000_000)
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut tx = AuthTx::begin(&self.db).await.map_err(backend)?;
        sessions::delete(&mut tx, &id_hash(id)).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}
