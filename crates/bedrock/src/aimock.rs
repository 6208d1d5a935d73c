//! aimock (npm `@copilotkit/aimock`, installed by `scripts/setup`) as a test peer: a real
//! Converse and ConverseStream endpoint on 127.0.0.1 answering from JSON fixtures, so the AWS SDK
//! does the real wire format and signing. Fixtures are tried in order and the first match answers;
//! `toolCallId` matches a request whose last message is that tool call's result.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

/// One aimock process with its own fixtures and port, stopped when dropped.
pub struct Aimock {
    pub url: String,
    _process: tokio::process::Child,
    _fixtures: tempfile::TempDir,
}

#[derive(Debug, thiserror::Error)]
pub enum AimockError {
    #[error("aimock is not installed at {0}: run scripts/setup (it installs the npm test tools)")]
    Missing(PathBuf),
    #[error("aimock: {0}")]
    Io(#[from] std::io::Error),
    #[error("aimock did not answer on {0} within 10 s")]
    NotReady(String),
    #[error("aimock's journal: {0}")]
    Journal(#[from] reqwest::Error),
}

impl Aimock {
    /// Starts aimock on a free port with `fixtures` (a JSON array) and waits until it answers.
    pub async fn start(fixtures: Value) -> Result<Aimock, AimockError> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let bin = root.join("node_modules/.bin/llmock");
        if !bin.exists() {
            return Err(AimockError::Missing(bin));
        }
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("fixtures.json"), json!({ "fixtures": fixtures }).to_string())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let process = tokio::process::Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--log-level", "warn", "--fixtures"])
            .arg(dir.path())
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null())
            .spawn()?;
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{url}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Ok(Aimock { url, _process: process, _fixtures: dir });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(AimockError::NotReady(url))
    }

    /// Every request aimock received, oldest first, as its journal records them (bodies are
    /// normalised to a chat-completion shape, so cache points do not show).
    pub async fn journal(&self) -> Result<Vec<Value>, AimockError> {
        Ok(reqwest::get(format!("{}/__aimock/journal", self.url)).await?.json().await?)
    }

    /// How many requests went to `model`.
    pub async fn calls_to(&self, model: &str) -> Result<usize, AimockError> {
        let wire = on_the_wire(model);
        Ok(self.journal().await?.iter().filter(|entry| entry["body"]["model"] == wire).count())
    }
}

/// The model id as aimock sees it: the SDK percent-encodes the `:` in the URL path and aimock
/// matches and records the path segment as it arrived.
pub fn on_the_wire(model: &str) -> String {
    model.replace(':', "%3A")
}
