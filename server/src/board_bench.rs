//! `opsquad bench --dashboards N`: how soon a new inquiry's card reaches the owners' open boards.
//! N boards follow the demo shop's live event stream (the stream `/app/events` and
//! `/api/v1/events` share) on a served instance with its own worker and the offline model; then
//! `--leads` inquiries arrive through `POST /api/v1/inbound`, one every 100 ms, while the squad
//! works the ones before. For every inquiry and every board: the time from sending the request to
//! the board reading the new lead's card. All boards watch one shop — every commit wakes every
//! board, the worst case for fan-out — so the per-shop stream limits are lifted for the run.
//! The boards are read by this same process, over HTTP on 127.0.0.1.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::bench::{percentile, Scratch};
use crate::cli::CliError;
use crate::config::Settings;
use crate::startup::Application;

/// Time between two inquiries.
const PACE: Duration = Duration::from_millis(100);
/// How long after the last inquiry a board may take to show it before it counts as missed.
const PATIENCE: Duration = Duration::from_secs(10);

fn other(err: impl Into<anyhow::Error>) -> CliError {
    CliError::Other(err.into())
}

/// When each board first read each lead's card.
type Seen = Arc<Mutex<HashMap<String, Instant>>>;

pub async fn run(
    settings: &Settings,
    dashboards: usize,
    leads: usize,
    postgres_admin_url: Option<&str>,
) -> Result<Value, CliError> {
    if dashboards == 0 || leads == 0 {
        return Err(CliError::Invalid { field: "dashboards", message: "use at least one board and one lead".into() });
    }
    let scratch = Scratch::create(postgres_admin_url).await?;
    let measured = measure(settings, &scratch.url, dashboards, leads).await;
    scratch.remove().await;
    measured
}

async fn measure(settings: &Settings, url: &str, dashboards: usize, leads: usize) -> Result<Value, CliError> {
    let mut settings = settings.clone();
    settings.database.url = secrecy::SecretString::from(url.to_owned());
    settings.server.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    settings.worker.enabled = true;
    settings.worker.model_provider = "offline".into();
    settings.server.limits.streams_per_org = dashboards;
    settings.server.limits.streams_per_credential = dashboards;
    let application = Application::build(&settings).await.map_err(CliError::Other)?;
    let addr = application.local_addr().map_err(other)?;
    let state = application.state().clone();
    let demo = crate::demo::seed(&state.db).await?;
    let served = tokio::spawn(application.run_until_stopped());

    let boards: Vec<Seen> = (0..dashboards).map(|_| Seen::default()).collect();
    let reconnects = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut readers = Vec::with_capacity(dashboards);
    for seen in &boards {
        let (seen, key, reconnects) = (seen.clone(), demo.api_key.clone(), reconnects.clone());
        let (opened_tx, opened) = tokio::sync::oneshot::channel();
        readers.push(tokio::spawn(follow(addr, key, seen, reconnects, opened_tx)));
        opened.await.map_err(|_| other(anyhow::anyhow!("a board could not open its event stream")))?;
    }

    let client = reqwest::Client::new();
    let mut sent: HashMap<String, Instant> = HashMap::with_capacity(leads);
    let started = Instant::now();
    for n in 0..leads {
        let due = started + PACE * u32::try_from(n).unwrap_or(u32::MAX);
        tokio::time::sleep_until(due.into()).await;
        let inquiry = json!({
            "channel": "email",
            "from": { "name": format!("Board Bench {n}"), "email": format!("board{n}@example.com") },
            "subject": "No heat",
            "body": "Our furnace stopped working last night and the house is cold. 1420 Walnut St, 62704",
        });
        let at = Instant::now();
        let response = client
            .post(format!("http://{addr}/api/v1/inbound"))
            .bearer_auth(&demo.api_key)
            .json(&inquiry)
            .send()
            .await
            .map_err(other)?;
        if response.status().as_u16() != 202 {
            return Err(other(anyhow::anyhow!("an inquiry was refused: {}", response.status())));
        }
        let accepted: Value = response.json().await.map_err(other)?;
        let lead = accepted["lead_id"].as_str().ok_or_else(|| other(anyhow::anyhow!("no lead_id: {accepted}")))?;
        sent.insert(lead.to_owned(), at);
    }

    let deadline = Instant::now() + PATIENCE;
    let everywhere = |boards: &[Seen]| {
        boards.iter().all(|seen| {
            let seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            sent.keys().all(|lead| seen.contains_key(lead))
        })
    };
    while !everywhere(&boards) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for reader in &readers {
        reader.abort();
    }
    served.abort();

    let mut latencies = Vec::with_capacity(dashboards * leads);
    let mut missed = 0;
    for seen in &boards {
        let seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (lead, at) in &sent {
            match seen.get(lead) {
                Some(shown) => latencies.push(i64::try_from(shown.duration_since(*at).as_millis()).unwrap_or(i64::MAX)),
                None => missed += 1,
            }
        }
    }
    latencies.sort_unstable();
    Ok(json!({
        "backend": if url.starts_with("sqlite") { "sqlite" } else { "postgres" },
        "dashboards": dashboards,
        "leads": leads,
        "lead_every_ms": PACE.as_millis(),
        "cards_shown": latencies.len(),
        "cards_missed": missed,
        "reconnects": reconnects.load(std::sync::atomic::Ordering::Relaxed),
        "inbound_to_card_ms": {
            "p50": percentile(&latencies, 0.50),
            "p99": percentile(&latencies, 0.99),
            "max": latencies.last().copied().unwrap_or(0),
        },
    }))
}

/// One board: follows the stream, reconnecting with `Last-Event-ID` as a browser does when the
/// server ends a connection, and notes when each lead's card first arrives. `opened` is sent
/// once the first connection is answered.
async fn follow(
    addr: SocketAddr,
    key: String,
    seen: Seen,
    reconnects: Arc<std::sync::atomic::AtomicUsize>,
    opened: tokio::sync::oneshot::Sender<()>,
) -> std::io::Result<()> {
    let mut opened = Some(opened);
    let mut last_id: Option<String> = None;
    loop {
        let mut stream = TcpStream::connect(addr).await?;
        let resume = last_id.as_ref().map(|id| format!("Last-Event-ID: {id}\r\n")).unwrap_or_default();
        // HTTP/1.0: the answer is the bare event stream, not chunked.
        let request = format!(
            "GET /api/v1/events HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut unread = String::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut answered = false;
        loop {
            let n = stream.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            unread.push_str(&String::from_utf8_lossy(&buffer[..n]));
            if !answered {
                let Some(end) = unread.find("\r\n\r\n") else { continue };
                if !unread.starts_with("HTTP/1.1 200") && !unread.starts_with("HTTP/1.0 200") {
                    return Err(std::io::Error::other(format!("the stream was refused: {}", &unread[..end])));
                }
                unread.drain(..end + 4);
                answered = true;
                if let Some(opened) = opened.take() {
                    let _ = opened.send(());
                }
            }
            while let Some(end) = unread.find("\n\n") {
                let event: String = unread.drain(..end + 2).collect();
                read_event(&event, &seen, &mut last_id);
            }
        }
        reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Notes a `lead` event's card (the first time this board reads it) and the event's id.
fn read_event(event: &str, seen: &Seen, last_id: &mut Option<String>) {
    let mut kind = "";
    let mut data = "";
    for line in event.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            kind = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            data = v.trim();
        } else if let Some(v) = line.strip_prefix("id:") {
            *last_id = Some(v.trim().to_owned());
        }
    }
    if kind != "lead" {
        return;
    }
    let Some(lead) =
        serde_json::from_str::<Value>(data).ok().and_then(|card| card["lead_id"].as_str().map(str::to_owned))
    else {
        return;
    };
    seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(lead).or_insert_with(Instant::now);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_notes_each_card_once_and_the_last_event_id() {
        let seen = Seen::default();
        let mut last = None;
        read_event("event: lead\nid: 17:lead-a-new\ndata: {\"lead_id\":\"a\",\"stage\":\"new\"}\n\n", &seen, &mut last);
        let first = seen.lock().unwrap()["a"];
        read_event(
            "event: lead\nid: 18:lead-a-booked\ndata: {\"lead_id\":\"a\",\"stage\":\"booked\"}\n\n",
            &seen,
            &mut last,
        );
        read_event("event: step\nid: 19:step-x\ndata: {\"lead_id\":\"b\"}\n\n", &seen, &mut last);
        assert_eq!(seen.lock().unwrap()["a"], first, "the first card counts");
        assert!(!seen.lock().unwrap().contains_key("b"), "a step is not a card");
        assert_eq!(last.as_deref(), Some("19:step-x"));
    }
}
