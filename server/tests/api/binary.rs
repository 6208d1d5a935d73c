//! The `opsquad` binary as an operator runs it: commands, and `serve` on a free port.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use tokio::net::TcpStream;

/// `opsquad serve` on a fresh SQLite database and a free port, killed when dropped.
pub(crate) struct Binary {
    child: Child,
    pub(crate) addr: String,
    _dir: Option<tempfile::TempDir>,
}

/// `opsquad` with `args` on the database at `url`, in the test environment.
pub(crate) fn opsquad(url: &str, args: &[&str]) -> Command {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configuration");
    let mut command = Command::new(env!("CARGO_BIN_EXE_opsquad"));
    command.args(args).env("OPSQUAD_CONFIG_DIR", config).env("OPSQUAD_ENV", "test").env("DATABASE_URL", url);
    command
}

/// What a CLI command printed on stdout, when it succeeded.
pub(crate) fn run(url: &str, args: &[&str]) -> Result<String, String> {
    let output = opsquad(url, args).output().unwrap();
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

impl Binary {
    pub(crate) fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("opsquad.db").display());
        let mut binary = Self::on(&url, env);
        binary._dir = Some(dir);
        binary
    }

    /// The server on an existing database.
    pub(crate) fn on(url: &str, env: &[(&str, &str)]) -> Self {
        let mut child = opsquad(url, &["serve"])
            .env("OPSQUAD_ADDR", "127.0.0.1:0")
            .env("OPSQUAD_TELEMETRY__LOG_FORMAT", "json")
            .env("OPSQUAD_TELEMETRY__LOG_FILTER", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The server logs to stderr.
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("the server logs where it listens").unwrap();
            let Ok(entry) = serde_json::from_str::<Value>(&line) else { continue };
            if entry["message"] == "opsquad listening" {
                break entry["addr"].as_str().unwrap().to_owned();
            }
        };
        // Keep draining its log so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr, _dir: None }
    }

    pub(crate) async fn connect(&self) -> TcpStream {
        TcpStream::connect(&self.addr).await.unwrap()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
