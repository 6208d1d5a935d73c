//! `GET /api/v1/events`: the org's live pipeline as server-sent events.
//!
//! A stream first reads what the org committed since its starting point (run steps and lead
//! snapshots), then follows the org's feed ([`super::board_feed`]): when the org commits a change
//! (in this instance, or in another on the same PostgreSQL — see [`store::changes`]), the feed
//! reads it once for every open stream of the org; an idle board costs no queries. Delivery is at
//! least once, every event has a stable `id`, and a reconnecting client passes `Last-Event-ID` to
//! resume without gaps. Connections last at most 30 seconds.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::state::ServerState;
use auth::context::AuthCtx;
use auth::streams::StreamSlot;
use axum::extract::{Extension, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use http::HeaderMap;
use store::now_ms;
use tokio::sync::broadcast::error::RecvError;

use super::board_feed::{BoardFeeds, Built, Cursor, Feed};
use super::{ApiAuth, ApiError};

/// A connection ends after this long; the client reconnects with `Last-Event-ID` (browsers'
/// EventSource does so on its own). It keeps graceful shutdown from waiting on open streams.
const MAX_CONNECTION: Duration = Duration::from_secs(30);

/// One open stream: its place, and the org's feed it follows.
struct Following {
    /// Held for as long as the stream is open.
    _slot: StreamSlot,
    _feed: Arc<Feed>,
    batches: tokio::sync::broadcast::Receiver<Arc<Vec<Built>>>,
    cursor: Cursor,
}

/// `Last-Event-ID` is `<unix ms>:<key>`; resume from that moment.
fn resume_from(headers: &HeaderMap) -> Option<i64> {
    headers.get("last-event-id")?.to_str().ok()?.split(':').next()?.parse().ok()
}

pub async fn stream_events(
    State(state): State<ServerState>,
    Extension(feeds): Extension<Arc<BoardFeeds>>,
    ApiAuth(ctx): ApiAuth,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    event_stream(&state, &feeds, ctx, &headers)
}

/// `GET /app/events`: the same stream for the owner's board, authenticated by the session cookie
/// (the session middleware guarantees an [`AuthCtx`] under `/app`). Read-only, so no CSRF check.
pub async fn stream_events_for_session(
    State(state): State<ServerState>,
    Extension(feeds): Extension<Arc<BoardFeeds>>,
    Extension(ctx): Extension<AuthCtx>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    event_stream(&state, &feeds, ctx, &headers)
}

fn event_stream(
    state: &ServerState,
    feeds: &BoardFeeds,
    ctx: AuthCtx,
    headers: &HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let slot = state.streams.claim(&ctx).ok_or(ApiError::RateLimited {
        what: "too many live streams are open for this account",
        retry_after_seconds: MAX_CONNECTION.as_secs(),
    })?;
    let since = resume_from(headers).unwrap_or_else(now_ms);
    // Following the feed starts before this stream reads its own history.
    let feed = feeds.join(&state.db, &ctx.scope);
    let batches = feed.subscribe();
    let cursor = Cursor::new(state.db.clone(), ctx.scope, since);
    let following = Following { _slot: slot, _feed: feed, batches, cursor };
    let closes = tokio::time::Instant::now() + MAX_CONNECTION;
    let events = |built: Vec<Built>| built.into_iter().map(|b| b.event).collect::<Vec<_>>();
    Ok(streamed((following, true), move |(mut f, first): (Following, bool)| async move {
        if first {
            let history = f.cursor.read().await;
            return (events(history), (f, false));
        }
        let fresh = match tokio::time::timeout_at(closes, f.batches.recv()).await {
            Err(_) => Vec::new(),
            Ok(Ok(batch)) => {
                let fresh: Vec<Built> = batch.iter().filter(|b| f.cursor.take(b)).cloned().collect();
                f.cursor.forget_old();
                fresh
            }
            // Too far behind the feed: read for itself from where it is.
            Ok(Err(RecvError::Lagged(_))) => f.cursor.read().await,
            // The feed lives as long as this stream holds it; should it end anyway, so does the stream.
            Ok(Err(RecvError::Closed)) => {
                tokio::time::sleep_until(closes).await;
                Vec::new()
            }
        };
        (events(fresh), (f, false))
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
