//! Which orgs just committed a change: how live streams learn that there is something new to read
//! without asking the database on a timer. Every write transaction rings its org after it commits
//! (in this process at once; on PostgreSQL also through `NOTIFY`, delivered to every instance on
//! commit and never for a rollback). A ring says only "look again": the stream still reads the
//! committed rows after its cursor, so a ring that is missed or doubled changes nothing but when
//! the reading happens.

use std::sync::Arc;

use domain::OrgId;
use tokio::sync::broadcast;

use crate::StoreError;

/// The PostgreSQL channel instances ring each other on; the payload is the org id.
pub(crate) const CHANNEL: &str = "opsquad_changes";

#[derive(Debug, Clone)]
enum Ring {
    Org(Arc<str>),
    /// Rings may have been missed (another instance's, while the listener reconnected): everyone looks.
    Everyone,
}

/// The rings of one process.
#[derive(Debug)]
pub struct Changes(broadcast::Sender<Ring>);

impl Default for Changes {
    fn default() -> Self {
        // Rings are tiny and only say "look again"; a listener that falls this far behind looks at once.
        Self(broadcast::channel(1024).0)
    }
}

impl Changes {
    pub(crate) fn ring(&self, org: &str) {
        let _ = self.0.send(Ring::Org(org.into()));
    }

    fn ring_everyone(&self) {
        let _ = self.0.send(Ring::Everyone);
    }

    /// Waits for `org`'s changes from now on.
    pub fn watch(&self, org: OrgId) -> Watch {
        Watch { rings: self.0.subscribe(), org: org.to_string() }
    }
}

/// One org's rings, for one live stream.
#[derive(Debug)]
pub struct Watch {
    rings: broadcast::Receiver<Ring>,
    org: String,
}

impl Watch {
    /// Returns when the org committed something since the last call (at once if it already had);
    /// rings that came together count once.
    pub async fn changed(&mut self) {
        loop {
            match self.rings.recv().await {
                Ok(Ring::Org(org)) if *org != *self.org => continue,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                // The process is shutting down: nothing will change any more.
                Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
            }
        }
        while let Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) = self.rings.try_recv() {}
    }
}

/// Passes other instances' rings (PostgreSQL `NOTIFY`) on to this process's streams until the
/// process stops. A lost connection is reopened, and everyone looks again since rings may have been
/// missed meanwhile.
pub async fn listen(url: &str, changes: Arc<Changes>) -> Result<tokio::task::JoinHandle<()>, StoreError> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(note)) => changes.ring(note.payload()),
                // The connection dropped; the next `try_recv` reconnects and listens again.
                Ok(None) => changes.ring_everyone(),
                Err(err) => {
                    tracing::warn!(error = %err, "lost the other instances' change notices; retrying");
                    changes.ring_everyone();
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_watch_wakes_for_its_own_org_only_and_once_for_a_burst() {
        let changes = Changes::default();
        let ours = OrgId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a").unwrap();
        let theirs = "0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6b";
        let mut watch = changes.watch(ours);
        changes.ring(theirs);
        let woke = tokio::time::timeout(Duration::from_millis(50), watch.changed()).await;
        assert!(woke.is_err(), "another org's change does not wake this stream");

        for _ in 0..5 {
            changes.ring(&ours.to_string());
        }
        tokio::time::timeout(Duration::from_millis(50), watch.changed()).await.expect("woken by its org");
        let again = tokio::time::timeout(Duration::from_millis(50), watch.changed()).await;
        assert!(again.is_err(), "a burst of rings wakes the stream once");

        changes.ring_everyone();
        tokio::time::timeout(Duration::from_millis(50), watch.changed()).await.expect("everyone looks again");
    }
}
