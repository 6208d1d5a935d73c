//! Real mail servers on 127.0.0.1 for the email tests, installed by `scripts/setup` in their own
//! virtualenv: pymap (an IMAP server, in memory, user `demouser` / `demopass`) and aiosmtpd (an
//! SMTP server that wants the same login and keeps what it is sent in a Maildir). Each test starts
//! its own pair on free ports; they stop when dropped.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

pub const USER: &str = "demouser";
pub const PASSWORD: &str = "demopass";

pub struct MailPeers {
    pub imap_port: u16,
    pub smtp_port: u16,
    /// Where the SMTP server keeps what it was sent.
    pub maildir: tempfile::TempDir,
    _imap: Child,
    _smtp: Child,
}

pub(crate) fn tool(name: &str) -> PathBuf {
    let home = std::env::var("OPSQUAD_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/opsquad"));
    let path = home.join("mailpeers/bin").join(name);
    assert!(path.exists(), "{} is missing: run scripts/setup (it installs the mail test servers)", path.display());
    path
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) async fn answers(port: u16) -> bool {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// How the peers secure their connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secured {
    /// Plain text.
    Not,
    /// IMAP offers STARTTLS; SMTP requires STARTTLS (`"starttls"`) or speaks TLS from the first
    /// byte (`"tls"`); with a certificate the tests' authority signed, or (`trusted: false`) one
    /// nobody vouches for.
    With { smtp: &'static str, trusted: bool },
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/mail_tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

impl MailPeers {
    pub async fn start() -> Self {
        Self::start_secured(Secured::Not).await
    }

    pub async fn start_secured(secured: Secured) -> Self {
        let (imap_port, smtp_port) = (free_port(), free_port());
        let (cert, key) = match secured {
            Secured::With { trusted: false, .. } => (fixture("stranger.pem"), fixture("stranger.key")),
            _ => (fixture("server.pem"), fixture("server.key")),
        };
        let mut imap_args = vec!["--no-service".to_owned(), "admin".into(), "--host".into(), "127.0.0.1".into()];
        imap_args.extend(["--port".to_owned(), imap_port.to_string()]);
        if secured != Secured::Not {
            imap_args.extend(["--cert".to_owned(), cert.clone(), "--key".into(), key.clone()]);
        }
        imap_args.push("dict".into());
        let imap = Command::new(tool("pymap"))
            .args(&imap_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let maildir = tempfile::tempdir().unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtp_peer.py");
        let smtp = Command::new(tool("python"))
            .arg(script)
            .args([&smtp_port.to_string(), USER, PASSWORD])
            .arg(maildir.path())
            .args(match secured {
                Secured::With { smtp, .. } => vec![smtp.to_owned(), cert, key],
                Secured::Not => Vec::new(),
            })
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        assert!(answers(imap_port).await, "pymap did not answer on {imap_port}");
        assert!(answers(smtp_port).await, "the SMTP peer did not answer on {smtp_port}");
        Self { imap_port, smtp_port, maildir, _imap: imap, _smtp: smtp }
    }

    /// Every message the SMTP server was sent, as raw text, oldest first.
    pub fn received(&self) -> Vec<String> {
        let mut files: Vec<std::path::PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.maildir.path().join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
    }

    /// Delivers `raw` into the mailbox, as the outside world's mail would arrive.
    pub async fn deliver(&self, raw: &str) {
        let server = integrations::mail::Server {
            host: "127.0.0.1".into(),
            port: self.imap_port,
            tls: integrations::mail::Tls::None,
            username: USER.into(),
            password: PASSWORD.to_owned().into(),
            reach: integrations::mail::Reach::Anywhere,
        };
        let mut session = integrations::mail::imap_session(&server).await.unwrap();
        session.append("INBOX", None, None, raw.replace('\n', "\r\n")).await.unwrap();
        let _ = session.logout().await;
    }

    /// The settings an owner would type for these servers.
    pub fn connection(&self, address: &str) -> serde_json::Value {
        let server = |port: u16| serde_json::json!({ "host": "127.0.0.1", "port": port, "tls": "none", "username": USER, "password": PASSWORD });
        serde_json::json!({ "kind": "imap_smtp", "address": address, "imap": server(self.imap_port),
                            "smtp": server(self.smtp_port) })
    }
}
