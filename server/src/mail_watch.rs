//! Watchers on the shops' inboxes: for each connected mailbox this instance has checked, a task
//! holds an IMAP IDLE connection and, when the server reports new mail, brings the mailbox's
//! queued check forward and rings the worker, so an email is answered in seconds rather than at
//! the next regular check. The regular checks remain the fallback: a watcher that cannot connect
//! backs off and gives up, and the next check starts it again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::OrgId;
use integrations::mail::Server;
use store::{Db, TenantScope};
use tokio::task::JoinHandle;

/// How long one IDLE waits before it is renewed (servers drop idle clients after 30 minutes).
const IDLE_FOR: Duration = Duration::from_secs(20 * 60);
/// Failures in a row after which a watcher gives up until the next check restarts it.
const GIVE_UP_AFTER: u32 = 6;

#[derive(Default)]
pub struct MailWatchers {
    running: Mutex<HashMap<OrgId, (String, JoinHandle<()>)>>,
}

/// Which server and account a watcher waits on: a changed connection gets a new watcher.
fn identity(server: &Server) -> String {
    format!("{}:{}:{:?}:{}", server.host, server.port, server.tls, server.username)
}

impl MailWatchers {
    /// Makes sure a watcher waits on `scope`'s inbox at `server` (starting one, or replacing one
    /// that waits on other settings or has stopped).
    pub fn ensure(&self, db: &Db, scope: &TenantScope, server: Server, bell: Arc<store::jobs::JobBell>) {
        let Ok(mut running) = self.running.lock() else { return };
        let org = scope.org_id();
        let id = identity(&server);
        if let Some((current, task)) = running.get(&org) {
            if *current == id && !task.is_finished() {
                return;
            }
            task.abort();
        }
        let (db, scope) = (db.clone(), scope.clone());
        let task = tokio::spawn(async move { watch(db, scope, server, bell).await });
        running.insert(org, (id, task));
    }
}

impl Drop for MailWatchers {
    fn drop(&mut self) {
        if let Ok(running) = self.running.lock() {
            for (_, task) in running.values() {
                task.abort();
            }
        }
    }
}

async fn watch(db: Db, scope: TenantScope, server: Server, bell: Arc<store::jobs::JobBell>) {
    let mut failures = 0_u32;
    loop {
        match integrations::inbox::wait_for_mail(&server, IDLE_FOR).await {
            Ok(changed) => {
                failures = 0;
                if changed {
                    match ops::mail_inbox::wake(&db, &scope).await {
                        Ok(true) => bell.ring(),
                        // Disconnected: nothing more to watch.
                        Ok(false) => return,
                        Err(err) => {
                            tracing::warn!(org_id = %scope.org_id(), error = ?err, "could not wake the mailbox check")
                        }
                    }
                }
            }
            Err(err) => {
                failures += 1;
                if failures >= GIVE_UP_AFTER {
                    tracing::warn!(org_id = %scope.org_id(), error = %err, "stopped watching the inbox; regular checks go on");
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1 << failures.min(6))).await;
            }
        }
    }
}
