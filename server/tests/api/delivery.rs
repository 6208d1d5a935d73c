//! Outbound messages leave through the channel interface and the side-effect ledger: each message
//! is delivered once, a transient failure is retried with the same key, and a re-run job does not
//! send again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};
use squad::channels::{Channel, DeliveryError, Outbound};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::squad::{demo, furnace, inbound};

on_both_backends!(
    every_outbound_message_is_delivered_exactly_once,
    a_local_outbox_folder_holds_each_message_once_as_it_would_be_sent,
);

/// Fails its first call (a timeout), then accepts; counts every call and remembers the keys.
#[derive(Default)]
struct FlakyChannel {
    calls: AtomicUsize,
    keys: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl Channel for FlakyChannel {
    fn name(&self) -> &'static str {
        "flaky"
    }

    async fn deliver(&self, message: &Outbound, key: &str) -> Result<Value, DeliveryError> {
        assert_eq!(message.to, "ledger@example.com", "sent to the address on file");
        self.keys.lock().unwrap().push(key.to_owned());
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(DeliveryError::Transient("connection timed out".into()));
        }
        Ok(json!({ "provider_id": key }))
    }
}

async fn every_outbound_message_is_delivered_exactly_once(app: TestApp) {
    let key = demo(&app).await;
    inbound(&app, &key, furnace("ledger@example.com")).await;
    let channel = Arc::new(FlakyChannel::default());
    let mut worker = app.worker(Arc::new(squad::offline::OfflineModel));
    worker.channel = channel.clone();
    worker.drain().await.unwrap();
    // The failed attempt backs off; let it come due.
    app.admin_execute("UPDATE jobs SET run_at = 0 WHERE kind = 'deliver_message' AND status = 'queued'").await;
    worker.drain().await.unwrap();

    let outbound = app.admin_count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await;
    assert!(outbound >= 2, "a reply and a confirmation at least");
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM side_effects WHERE status = 'done'").await, outbound);
    let calls = channel.calls.load(Ordering::SeqCst);
    assert_eq!(calls, usize::try_from(outbound).unwrap() + 1, "one retry, no duplicate");
    let keys = channel.keys.lock().unwrap().clone();
    assert_eq!(keys.iter().filter(|k| **k == keys[0]).count(), 2, "the retry carries the same idempotency key");

    // A delivery job that runs again (a lost ack, a replayed queue) finds the ledger done.
    app.admin_execute("UPDATE jobs SET status = 'queued', run_at = 0, attempts = 0 WHERE kind = 'deliver_message'")
        .await;
    worker.drain().await.unwrap();
    assert_eq!(channel.calls.load(Ordering::SeqCst), calls, "nothing is sent twice");
}

async fn a_local_outbox_folder_holds_each_message_once_as_it_would_be_sent(app: TestApp) {
    let key = demo(&app).await;
    inbound(&app, &key, furnace("folder@example.com")).await;
    let dir = tempfile::tempdir().unwrap();
    let mut worker = app.worker(Arc::new(squad::offline::OfflineModel));
    worker.channel = Arc::new(squad::channels::Folder::new(dir.path().join("outbox")));
    worker.drain().await.unwrap();

    let files = || {
        let mut names: Vec<_> =
            std::fs::read_dir(dir.path().join("outbox")).unwrap().map(|entry| entry.unwrap().path()).collect();
        names.sort();
        names
    };
    let written = files();
    let outbound = app.admin_count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'").await;
    assert_eq!(written.len(), usize::try_from(outbound).unwrap(), "one file per message, nothing half-written");
    for file in &written {
        let message: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!((message["channel"].as_str(), message["to"].as_str()), (Some("email"), Some("folder@example.com")));
        assert!(!message["body"].as_str().unwrap().is_empty());
    }
    let done = app.admin_count("SELECT COUNT(*) FROM side_effects WHERE status = 'done' AND response LIKE '%folder%'");
    assert_eq!(done.await, outbound, "the ledger says where each went");

    app.admin_execute("UPDATE jobs SET status = 'queued', run_at = 0, attempts = 0 WHERE kind = 'deliver_message'")
        .await;
    worker.drain().await.unwrap();
    assert_eq!(files(), written, "a replayed job writes nothing new");
}
