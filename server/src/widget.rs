//! The chat widget's HTTP side that is not a page: the session's event stream, and the framing
//! rule that lets only the org's own sites show the widget's window.

use std::collections::HashSet;
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
use store::Db;

const POLL: Duration = Duration::from_millis(300);

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
}

fn refused(status: StatusCode, code: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], format!(r#"{{"code":"{code}"}}"#)).into_response()
}

/// `GET /widget/{org}/events?token=…`: the session's new lines (`line`, id = the message id) and
/// the squad's progress (`status`), read from the database every few hundred milliseconds so any
/// server instance can serve it. A reconnect resumes after `Last-Event-ID`: nothing is sent twice.
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
    };
    crate::api::polled(cursor, POLL, |mut cursor| async move {
        let events = poll(&mut cursor).await;
        (events, cursor)
    })
    .into_response()
}

async fn poll(cursor: &mut Cursor) -> Vec<Event> {
    let conversation = match ops::widget::conversation(&cursor.db, &cursor.widget, cursor.session).await {
        Ok(found) => found,
        Err(err) => {
            tracing::warn!(error = ?err, "chat stream could not read; retrying");
            return vec![];
        }
    };
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
