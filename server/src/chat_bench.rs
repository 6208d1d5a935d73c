//! `opsquad bench --chats N`: how soon a chat visitor sees the squad's reply begin. For each chat,
//! the time from the visitor's message being accepted to the first `delta` on the window's event
//! stream, on a served instance with its own worker and the offline model, over HTTP on a
//! throwaway SQLite database. Chats run one after another, as separate visitors, each once the
//! squad has finished with the one before (the time a visitor waits when nobody is ahead of them;
//! one worker runs one job at a time, so a visitor behind another waits for that run too).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use domain::widget::WidgetSettings;
use domain::{OrgId, Role};
use serde_json::{json, Value};
use store::Operator;
use tokio::net::TcpStream;

use crate::cli::CliError;
use crate::config::Settings;
use crate::startup::Application;

/// How long a visitor waits for the reply to begin before the chat counts as missed.
const PATIENCE: Duration = Duration::from_secs(15);

const INQUIRIES: [&str; 4] = [
    "Hi, this is Dana Reed. Our furnace stopped working this morning, no heat. 12 Oak St, Springfield 62704.",
    "AC is blowing warm air and it's 85 upstairs. Can someone come today? 40 Elm St 62707",
    "How much do you charge to clean a slow kitchen drain? 9 Birch Ln 62702",
    "Water heater is leaking from the bottom. 77 Cherry Ln, Springfield 62711",
];

fn other(err: impl Into<anyhow::Error>) -> CliError {
    CliError::Other(err.into())
}

pub async fn run(settings: &Settings, chats: usize) -> Result<Value, CliError> {
    if chats == 0 {
        return Err(CliError::Invalid { field: "chats", message: "measure at least one chat".into() });
    }
    let dir = tempfile::tempdir().map_err(other)?;
    let mut settings = settings.clone();
    let url = format!("sqlite://{}", dir.path().join("chat-bench.db").display());
    settings.database.url = secrecy::SecretString::from(url);
    settings.server.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.worker.enabled = true;
    settings.worker.model_provider = "offline".into();
    let application = Application::build(&settings).await.map_err(CliError::Other)?;
    let addr = application.local_addr().map_err(other)?;
    let state = application.state().clone();

    let demo = crate::demo::seed(&state.db).await?;
    let org = OrgId::parse(&demo.org_id).map_err(other)?;
    let owner = Operator::new("bench").act_for(org, None, Role::Owner);
    let published = WidgetSettings {
        enabled: true,
        allowed_origins: vec!["https://bench.example".into()],
        ..WidgetSettings::default()
    };
    ops::widget::put_settings(&state.db, &owner, published).await.map_err(other)?;
    let widget = ops::widget::open(&state.db, &demo.org_id).await.map_err(other)?;
    let served = tokio::spawn(application.run_until_stopped());

    let mut firsts = Vec::with_capacity(chats);
    let mut missed = 0;
    for n in 0..chats {
        let session = ops::widget::start_session(&state.db, &widget).await.map_err(other)?;
        let token = app::widget::session::issue(&state, &widget, session)
            .map_err(|e| CliError::Other(anyhow::anyhow!("{e}")))?;
        let sent = Instant::now();
        ops::widget::send(&state.db, &widget, session, INQUIRIES[n % INQUIRIES.len()]).await.map_err(other)?;
        // As the window's send does: the worker starts at once.
        state.bell.ring();
        let path = format!("/widget/{org}/events?token={token}");
        match tokio::time::timeout(PATIENCE, first_delta(addr, &path)).await {
            Ok(Ok(true)) => firsts.push(i64::try_from(sent.elapsed().as_millis()).unwrap_or(i64::MAX)),
            Ok(Ok(false)) | Err(_) => missed += 1,
            Ok(Err(err)) => return Err(other(err)),
        }
        idle(&state.db, &owner).await.map_err(other)?;
    }
    served.abort();
    firsts.sort_unstable();
    Ok(json!({
        "chats": chats,
        "streamed": firsts.len(),
        "missed": missed,
        "model": "offline",
        "worker_poll_ms": settings.worker.poll_ms,
        "first_token_ms": {
            "p50": crate::bench::percentile(&firsts, 0.50),
            "p99": crate::bench::percentile(&firsts, 0.99),
            "max": firsts.last().copied().unwrap_or(0),
        },
    }))
}

/// Waits until no job that is due is queued or running (reminders wait for their time).
async fn idle(db: &store::Db, scope: &store::TenantScope) -> Result<(), store::StoreError> {
    use domain::jobs::JobState;
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        let mut tx = store::TenantTx::read(db, scope).await?;
        let jobs = store::jobs::list(&mut tx, 1000).await?;
        tx.commit().await?;
        let now = store::now_ms();
        let busy = jobs
            .iter()
            .any(|j| matches!(j.status, JobState::Running) || (j.status == JobState::Queued && j.run_at <= now));
        if !busy {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Opens the window's event stream and reads until the first piece of a reply (`true`), or the
/// server ends the stream (`false`).
async fn first_delta(addr: SocketAddr, path: &str) -> std::io::Result<bool> {
    let stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n");
    let mut unsent = request.as_bytes();
    while !unsent.is_empty() {
        stream.writable().await?;
        match stream.try_write(unsent) {
            Ok(n) => unsent = &unsent[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    let mut seen = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        stream.readable().await?;
        match stream.try_read(&mut buffer) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                seen.extend_from_slice(&buffer[..n]);
                if seen.windows(12).any(|w| w == b"event: delta") {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}
