//! `GET /api/v1/events`: the org's live pipeline as server-sent events.
//!
//! When the org commits a change (in this instance, or in another on the same PostgreSQL — see
//! [`store::changes`]), the stream reads what the org committed since its cursor (run steps and lead
//! snapshots) from the database; an idle board costs no queries. Commits can land slightly out of
//! timestamp order, so each read looks back a few seconds and skips what it already sent: delivery
//! is at least once, every event has a stable `id`, and a reconnecting client passes
//! `Last-Event-ID` to resume without gaps. Connections last at most 30 seconds.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use app::state::ServerState;
use auth::context::AuthCtx;
use auth::streams::StreamSlot;
use axum::extract::{Extension, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use http::HeaderMap;
use store::{events, now_ms, Db, TenantScope, TenantTx};

use super::{ApiAuth, ApiError};

const LOOK_BACK_MS: i64 = 3_000;
const BATCH: i64 = 500;
/// A connection ends after this long; the client reconnects with `Last-Event-ID` (browsers'
/// EventSource does so on its own). It keeps graceful shutdown from waiting on open streams.
const MAX_CONNECTION: Duration = Duration::from_secs(30);

struct Cursor {
    /// Held for as long as the stream is open.
    _slot: StreamSlot,
    changes: store::changes::Watch,
    db: Db,
    scope: TenantScope,
    since: i64,
    sent: HashSet<String>,
}

/// `Last-Event-ID` is `<unix ms>:<key>`; resume from that moment.
fn resume_from(headers: &HeaderMap) -> Option<i64> {
    headers.get("last-event-id")?.to_str().ok()?.split(':').next()?.parse().ok()
}

pub async fn stream_events(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    event_stream(&state, ctx, &headers)
}

/// `GET /app/events`: the same stream for the owner's board, authenticated by the session cookie
/// (the session middleware guarantees an [`AuthCtx`] under `/app`). Read-only, so no CSRF check.
pub async fn stream_events_for_session(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    event_stream(&state, ctx, &headers)
}

fn event_stream(
    state: &ServerState,
    ctx: AuthCtx,
    headers: &HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let slot = state.streams.claim(&ctx).ok_or(ApiError::RateLimited {
        what: "too many live streams are open for this account",
        retry_after_seconds: MAX_CONNECTION.as_secs(),
    })?;
    let since = resume_from(headers).unwrap_or_else(now_ms);
    // Watching starts before the first read, so nothing committed in between is missed.
    let changes = state.db.changes().watch(ctx.scope.org_id());
    let cursor = Cursor { _slot: slot, changes, db: state.db.clone(), scope: ctx.scope, since, sent: HashSet::new() };
    let closes = tokio::time::Instant::now() + MAX_CONNECTION;
    Ok(streamed((cursor, true), move |(mut cursor, first): (Cursor, bool)| async move {
        if !first && tokio::time::timeout_at(closes, cursor.changes.changed()).await.is_err() {
            return (Vec::new(), (cursor, false));
        }
        let events = poll(&mut cursor).await;
        (events, (cursor, false))
    }))
}

/// Server-sent events in batches from `next`, which waits until it has something to say (or its
/// own timer runs out) and hands the cursor back. The connection ends after [`MAX_CONNECTION`].
pub(crate) fn streamed<C, F, Fut>(cursor: C, next: F) -> Sse<impl Stream<Item = Result<Event, Infallible>>>
where
    C: Send + 'static,
    F: Fn(C) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = (Vec<Event>, C)> + Send,
{
    let opened = std::time::Instant::now();
    let batches = stream::unfold(cursor, move |cursor| {
        let next = next.clone();
        async move {
            if opened.elapsed() > MAX_CONNECTION {
                return None;
            }
            let (events, cursor) = next(cursor).await;
            Some((stream::iter(events.into_iter().map(Ok)), cursor))
        }
    });
    Sse::new(batches.flatten()).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// A committed step as the `step` event carries it: the row, and the tool it was about.
#[derive(serde::Serialize)]
struct StepView<'a> {
    #[serde(flatten)]
    step: &'a events::StepEvent,
    tool: Option<String>,
}

async fn poll(cursor: &mut Cursor) -> Vec<Event> {
    let from = cursor.since - LOOK_BACK_MS;
    let read = async {
        let mut tx = TenantTx::read(&cursor.db, &cursor.scope).await?;
        let steps = events::steps_since(&mut tx, from, BATCH).await?;
        let leads = events::leads_since(&mut tx, from, BATCH).await?;
        tx.commit().await?;
        Ok::<_, store::StoreError>((steps, leads))
    };
    let (steps, leads) = match read.await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(error = ?err, "event stream could not read; retrying");
            return vec![];
        }
    };
    let mut out = Vec::new();
    for step in steps {
        let key = format!("{}:step-{}", step.created_at, step.id);
        if cursor.sent.insert(key.clone()) {
            cursor.since = cursor.since.max(step.created_at);
            let tool = match squad::steps::StepPayload::read(&step.kind, &step.payload) {
                Ok(payload) => payload.tool_name().map(str::to_owned),
                Err(why) => {
                    tracing::error!(step_id = %step.id, run_id = %step.run_id, reason = %why, "a stored step does not fit its type");
                    None
                }
            };
            let view = StepView { step: &step, tool };
            if let Ok(event) = Event::default().event("step").id(key).json_data(&view) {
                out.push(event);
            }
        }
    }
    for lead in leads {
        let key = format!("{}:lead-{}-{}-{}", lead.updated_at, lead.lead_id, lead.stage, lead.waiting_on);
        if cursor.sent.insert(key.clone()) {
            cursor.since = cursor.since.max(lead.updated_at);
            if let Ok(event) = Event::default().event("lead").id(key).json_data(&lead) {
                out.push(event);
            }
        }
    }
    // Forget keys older than the look-back window: they can never be read again.
    let horizon = cursor.since - LOOK_BACK_MS;
    cursor.sent.retain(|k| k.split(':').next().and_then(|t| t.parse::<i64>().ok()).is_some_and(|t| t >= horizon));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_from_the_last_event_id() {
        let mut headers = HeaderMap::new();
        assert_eq!(resume_from(&headers), None);
        headers.insert("last-event-id", "1795219200000:step-abc".parse().unwrap());
        assert_eq!(resume_from(&headers), Some(1_795_219_200_000));
        headers.insert("last-event-id", "garbage".parse().unwrap());
        assert_eq!(resume_from(&headers), None);
    }
}
