//! One reader per org and instance behind the live event streams. When the org commits a change,
//! its feed reads what was committed since its cursor once, builds the events once, and hands
//! them to every open stream of that org; a stream only skips what it already sent. Without it,
//! every open board read the same rows again after every commit: with N boards open, N reads and
//! N serializations per commit.
//!
//! A feed lives while a stream of its org is open. A stream that falls behind the feed by more
//! than [`BACKLOG`] batches reads for itself from its own cursor, so it never misses an event.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, Weak};

use axum::response::sse::Event;
use domain::OrgId;
use store::{events, now_ms, Db, TenantScope, TenantTx};
use tokio::sync::broadcast;

/// Commits can land slightly out of timestamp order, so each read looks back this far and skips
/// what it already sent.
const LOOK_BACK_MS: i64 = 3_000;
const BATCH: i64 = 500;
/// Batches a slow stream may be behind before it reads for itself.
const BACKLOG: usize = 64;

/// An event as every stream sends it: its stable key (also its SSE id), when it happened, and
/// the event itself, built once.
#[derive(Debug, Clone)]
pub(super) struct Built {
    pub(super) key: String,
    pub(super) at: i64,
    pub(super) event: Event,
}

/// The open feeds of this instance, by org.
#[derive(Default)]
pub struct BoardFeeds {
    open: Mutex<HashMap<OrgId, Weak<Feed>>>,
}

/// A running feed; dropping the last handle stops its reader.
pub(super) struct Feed {
    batches: broadcast::Sender<Arc<Vec<Built>>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Feed {
    pub(super) fn subscribe(&self) -> broadcast::Receiver<Arc<Vec<Built>>> {
        self.batches.subscribe()
    }
}

impl BoardFeeds {
    /// The org's feed, started if none is running. Subscribe before reading the stream's own
    /// history: a change committed in between is then in a batch.
    pub(super) fn join(&self, db: &Db, scope: &TenantScope) -> Arc<Feed> {
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        open.retain(|_, feed| feed.strong_count() > 0);
        if let Some(feed) = open.get(&scope.org_id()).and_then(Weak::upgrade) {
            return feed;
        }
        let (batches, _) = broadcast::channel(BACKLOG);
        // Watching starts before the first read, so nothing committed in between is missed.
        let changes = db.changes().watch(scope.org_id());
        let cursor = Cursor::new(db.clone(), scope.clone(), now_ms());
        let reader = tokio::spawn(read_on_change(changes, cursor, batches.clone()));
        let feed = Arc::new(Feed { batches, reader });
        open.insert(scope.org_id(), Arc::downgrade(&feed));
        feed
    }
}

async fn read_on_change(
    mut changes: store::changes::Watch,
    mut cursor: Cursor,
    batches: broadcast::Sender<Arc<Vec<Built>>>,
) {
    loop {
        changes.changed().await;
        let built = cursor.read().await;
        if !built.is_empty() {
            // No stream listening right now is fine: the next one reads its own history first.
            let _ = batches.send(Arc::new(built));
        }
    }
}

/// Where a reader is: the newest event it has seen, and the keys it sent within the look-back.
pub(super) struct Cursor {
    db: Db,
    scope: TenantScope,
    since: i64,
    sent: HashSet<String>,
}

impl Cursor {
    pub(super) fn new(db: Db, scope: TenantScope, since: i64) -> Self {
        Self { db, scope, since, sent: HashSet::new() }
    }

    /// Whether `built` is new to this cursor (and now counted as sent).
    pub(super) fn take(&mut self, built: &Built) -> bool {
        if !self.sent.insert(built.key.clone()) {
            return false;
        }
        self.since = self.since.max(built.at);
        true
    }

    /// Reads what the org committed since the cursor (looking back a little) and returns the events
    /// not sent yet. A failed read is logged and yields nothing; the next change reads again.
    pub(super) async fn read(&mut self) -> Vec<Built> {
        let from = self.since - LOOK_BACK_MS;
        let read = async {
            let mut tx = TenantTx::read(&self.db, &self.scope).await?;
            let steps = events::steps_since(&mut tx, from, BATCH).await?;
            let leads = events::leads_since(&mut tx, from, BATCH).await?;
            tx.commit().await?;
            Ok::<_, store::StoreError>((steps, leads))
        };
        let (steps, leads) = match read.await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = ?err, "event stream could not read; retrying");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for step in steps {
            let key = format!("{}:step-{}", step.created_at, step.id);
            if self.sent.contains(&key) {
                continue;
            }
            let tool = match squad::steps::StepPayload::read(&step.kind, &step.payload) {
                Ok(payload) => payload.tool_name().map(str::to_owned),
                Err(why) => {
                    tracing::error!(step_id = %step.id, run_id = %step.run_id, reason = %why, "a stored step does not fit its type");
                    None
                }
            };
            let view = StepView { step: &step, tool };
            if let Ok(event) = Event::default().event("step").id(key.clone()).json_data(&view) {
                out.push(Built { key, at: step.created_at, event });
            }
        }
        for lead in leads {
            let key = format!("{}:lead-{}-{}-{}", lead.updated_at, lead.lead_id, lead.stage, lead.waiting_on);
            if self.sent.contains(&key) {
                continue;
            }
            if let Ok(event) = Event::default().event("lead").id(key.clone()).json_data(&lead) {
                out.push(Built { key, at: lead.updated_at, event });
            }
        }
        out.retain(|built| self.take(built));
        self.forget_old();
        out
    }

    /// Forgets keys older than the look-back window: they can never be read again.
    pub(super) fn forget_old(&mut self) {
        let horizon = self.since - LOOK_BACK_MS;
        self.sent.retain(|k| k.split(':').next().and_then(|t| t.parse::<i64>().ok()).is_some_and(|t| t >= horizon));
    }
}

/// A committed step as the `step` event carries it: the row, and the tool it was about.
#[derive(serde::Serialize)]
struct StepView<'a> {
    #[serde(flatten)]
    step: &'a events::StepEvent,
    tool: Option<String>,
}
