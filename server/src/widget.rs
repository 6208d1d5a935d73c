//! The chat widget's HTTP side that is not a page: the session's event stream, and the framing
//! rule that lets only the org's own sites show the widget's window.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use app::state::ServerState;
use app::widget::{chat_line, session};
use auth::streams::StreamSlot;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::sse::Event;
use axum::response::{IntoResponse, Response};
use domain::WidgetSessionId;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use ops::widget::Widget;
use squad::live::{Draft, DraftState, LiveText};
use store::Db;
use tokio::sync::watch;
use tokio::time::Instant;

const POLL: Duration = Duration::from_millis(300);
/// How often an open window tells the server the visitor is still on the page (well inside
/// `store::widgets::AWAY_AFTER_MS`, after which replies also go by email).
const CHECK_IN: Duration = Duration::from_secs(10);

#[derive(serde::Deserialize)]
pub struct StreamQuery {
    token: String,
    /// The last line the window already shows, when it first connects.
    after: Option<String>,
}

/// What the window is told besides new lines: what the squad is doing, whether a person joined.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
struct Status {
    text: Option<String>,
    person_joined: bool,
}

/// A piece of a reply being written: `text` goes at character `at` of draft `draft`.
#[derive(Debug, serde::Serialize)]
struct Delta<'a> {
    draft: &'a str,
    at: usize,
    text: String,
}

struct Cursor {
    _slot: StreamSlot,
    db: Db,
    widget: Widget,
    session: WidgetSessionId,
    /// Lines sent (or already shown), by id.
    sent: HashSet<String>,
    /// Everything up to this line id is shown; `None` sends the whole conversation.
    after: Option<String>,
    status: Option<Status>,
    live: Arc<LiveText>,
    /// The conversation's drafts, once it has a lead.
    drafts: Option<watch::Receiver<Option<Draft>>>,
    /// The draft the window shows, and how many of its characters it has.
    shown: Option<(String, usize)>,
    /// When the database is read next.
    next_read: Instant,
    /// When the window next says the visitor is still here.
    next_check_in: Instant,
    /// Rung when the visitor writes: read at once.
    doorbell: Arc<tokio::sync::Notify>,
}

fn refused(status: StatusCode, code: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], format!(r#"{{"code":"{code}"}}"#)).into_response()
}

/// `GET /widget/{org}/events?token=…`: the session's new lines (`line`, id = the message id) and
/// the squad's progress (`status`), read from the database every few hundred milliseconds so any
/// server instance can serve it; and, from the instance whose worker writes it, the reply being
/// written (`delta`: `{draft, at, text}` pieces, then the `line` that replaces the draft, or
/// `discard` when it will not be sent). A reconnect resumes after `Last-Event-ID` (deltas carry no
/// id): nothing is sent twice.
pub async fn events(
    State(state): State<ServerState>,
    Path(org): Path<String>,
    Query(query): Query<StreamQuery>,
    headers: HeaderMap,
) -> Response {
    let Ok(widget) = ops::widget::open(&state.db, &org).await else {
        return refused(StatusCode::NOT_FOUND, "not_found");
    };
    let Some(session) = session::verify(&state, &widget, &query.token).await else {
        return refused(StatusCode::UNAUTHORIZED, "session_expired");
    };
    let Some(slot) = state.chat_streams.claim_for(widget.org(), format!("chat:{session}")) else {
        return refused(StatusCode::TOO_MANY_REQUESTS, "too_many_streams");
    };
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let cursor = Cursor {
        _slot: slot,
        db: state.db.clone(),
        widget,
        session,
        sent: HashSet::new(),
        after: resume.or(query.after),
        status: None,
        live: state.live.clone(),
        drafts: None,
        shown: None,
        next_read: Instant::now(),
        next_check_in: Instant::now(),
        doorbell: state.doorbells.hang(&session.to_string()),
    };
    crate::api::streamed(cursor, next).into_response()
}

/// Waits for the next read or a change to the draft, and says what is new. Drafts go first: a
/// stored reply read after them is never followed by its own draft.
async fn next(mut cursor: Cursor) -> (Vec<Event>, Cursor) {
    let doorbell = cursor.doorbell.clone();
    let draft_changed = async {
        match cursor.drafts.as_mut() {
            Some(drafts) => drafts.changed().await.is_ok(),
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = tokio::time::sleep_until(cursor.next_read) => {}
        still_open = draft_changed => if !still_open { cursor.drafts = None },
        () = doorbell.notified() => cursor.next_read = Instant::now(),
    }
    let mut out = drafted(&mut cursor);
    if Instant::now() >= cursor.next_read {
        out.extend(poll(&mut cursor).await);
        cursor.next_read = Instant::now() + POLL;
    }
    (out, cursor)
}

/// The window's draft brought up to date: the characters it lacks, or `discard`.
fn drafted(cursor: &mut Cursor) -> Vec<Event> {
    let Some(drafts) = cursor.drafts.as_mut() else { return vec![] };
    let Some(draft) = drafts.borrow_and_update().clone() else { return vec![] };
    let shown = cursor.shown.as_ref().filter(|(id, _)| *id == draft.id).map(|(_, n)| *n);
    let event = match draft.state {
        DraftState::Writing => {
            let at = shown.unwrap_or(0);
            let total = draft.text.chars().count();
            cursor.shown = Some((draft.id.clone(), total.max(at)));
            let text: String = draft.text.chars().skip(at).collect();
            if text.is_empty() {
                return vec![];
            }
            Event::default().event("delta").json_data(Delta { draft: &draft.id, at, text })
        }
        DraftState::Dropped if shown.is_some() => {
            cursor.shown = None;
            Event::default().event("discard").json_data(serde_json::json!({ "draft": draft.id }))
        }
        // Being sent or sent: the stored line takes its place.
        DraftState::Sending | DraftState::Sent | DraftState::Dropped => return vec![],
    };
    event.into_iter().collect()
}

async fn poll(cursor: &mut Cursor) -> Vec<Event> {
    if Instant::now() >= cursor.next_check_in {
        match ops::widget::visitor_here(&cursor.db, &cursor.widget, cursor.session).await {
            Ok(()) => cursor.next_check_in = Instant::now() + CHECK_IN,
            Err(err) => tracing::warn!(error = ?err, "chat stream could not note the visitor; retrying"),
        }
    }
    let conversation = match ops::widget::conversation(&cursor.db, &cursor.widget, cursor.session).await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(error = ?err, "chat stream could not read; retrying");
            return vec![];
        }
    };
    if let (None, Some(lead)) = (&cursor.drafts, conversation.lead) {
        cursor.drafts = Some(cursor.live.watch(lead));
    }
    let mut out = Vec::new();
    // Lines up to the one the window last saw are already there.
    if let Some(after) = cursor.after.take() {
        if let Some(seen) = conversation.lines.iter().position(|l| l.id.to_string() == after) {
            cursor.sent.extend(conversation.lines[..=seen].iter().map(|l| l.id.to_string()));
        }
    }
    for line in conversation.lines {
        let id = line.id.to_string();
        if cursor.sent.insert(id.clone()) {
            if let Ok(event) = Event::default().event("line").id(id).json_data(chat_line(line)) {
                out.push(event);
            }
        }
    }
    let status = Status { text: conversation.activity, person_joined: conversation.person_joined };
    if cursor.status.as_ref() != Some(&status) {
        if let Ok(event) = Event::default().event("status").json_data(&status) {
            out.push(event);
        }
        cursor.status = Some(status);
    }
    out
}

/// The widget's window may be framed by the org's allowed sites only (everything else keeps
/// `frame-ancestors 'none'`), and its accent colour style element is let through by the page's
/// nonce. A widget that is off or unknown keeps the default: it cannot be framed anywhere.
pub async fn frame_rule(State(state): State<ServerState>, request: Request, next: Next) -> Response {
    let org = request
        .uri()
        .path()
        .strip_prefix("/widget/")
        .filter(|rest| !rest.is_empty() && !rest.contains('/'))
        .map(str::to_owned);
    let mut response = next.run(request).await;
    let Some(org) = org else { return response };
    let Ok(widget) = ops::widget::open(&state.db, &org).await else { return response };
    let headers = response.headers_mut();
    let Some(csp) = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) else {
        return response;
    };
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap_or_default();
    let ancestors = widget.settings().allowed_origins.join(" ");
    let framed = csp
        .replace("frame-ancestors 'none'", &format!("frame-ancestors {ancestors}"))
        .replace("style-src 'self'", &format!("style-src 'self' 'nonce-{nonce}'"));
    if let Ok(value) = HeaderValue::from_str(&framed) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
        headers.remove(header::X_FRAME_OPTIONS);
    }
    response
}
