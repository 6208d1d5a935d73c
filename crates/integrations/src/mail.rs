//! A shop's mailbox over the standard protocols: IMAP to read what arrives, SMTP to send. This
//! module checks that a mailbox's settings work and sends letters; the connection's settings
//! come from the caller, already opened from their sealed form.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as SmtpTls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// How long connecting, logging in or one exchange may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection to a mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain text: only for a server on this machine.
    None,
    /// Plain, then upgraded (IMAP 143, SMTP 587).
    Starttls,
    /// Encrypted from the first byte (IMAP 993, SMTP 465).
    Tls,
}

/// One server of a mailbox: where, how secured, and whose account.
#[derive(Debug, Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub username: String,
    pub password: SecretString,
    /// Which addresses the server's name may lead to, checked at every connection (a name that
    /// was public when the owner saved it may not lead inside later).
    pub reach: Reach,
}

impl Server {
    /// Whether the server is on this machine (where plain text cannot be overheard).
    pub fn is_local(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.to_canonical().is_loopback())
    }
}

/// Why a mailbox could not be used, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("could not reach {0}")]
    Unreachable(String),
    #[error("could not set up a secure connection with {0}")]
    Tls(String),
    #[error("the server refused the username or password ({0})")]
    Login(String),
    #[error("the server answered in a way we did not expect: {0}")]
    Protocol(String),
    /// The server would not take the letter, and will not later (a refused address).
    #[error("the server refused the message: {0}")]
    Refused(String),
    #[error("{0} is an address on a private network; Opsquad connects only to mail servers on the internet")]
    PrivateAddress(String),
}

/// Which mail servers a shop's connection may reach. A shop types the host, so without a rule it
/// could make the server probe its own private network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Only addresses on the public internet (production).
    Internet,
    /// Anything, this machine and private networks included (development and tests, whose mail
    /// servers run on 127.0.0.1).
    Anywhere,
}

/// Looks the server's name up and refuses it when any address it leads to is out of its reach;
/// the address to connect to. Connecting to that address, not the name again, leaves no moment
/// for the name to change in between.
pub async fn resolve(server: &Server) -> Result<std::net::SocketAddr, MailError> {
    let at = format!("{}:{}", server.host, server.port);
    let host = server.host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<std::net::SocketAddr> =
        tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host, server.port)))
            .await
            .map_err(|_| MailError::Unreachable(format!("{at} (the name did not resolve in time)")))?
            .map_err(|e| MailError::Unreachable(format!("{at} ({e})")))?
            .collect();
    if server.reach == Reach::Internet {
        if let Some(inside) = addresses.iter().find(|a| !is_public(a.ip())) {
            let ip = inside.ip().to_string();
            let named = if host == ip { ip } else { format!("{} ({ip})", server.host) };
            return Err(MailError::PrivateAddress(named));
        }
    }
    addresses.into_iter().next().ok_or_else(|| MailError::Unreachable(format!("{at} (the name has no address)")))
}

/// Whether `ip` is on the public internet: not this machine, a private or shared network,
/// link-local (cloud metadata lives there), multicast, documentation or otherwise reserved.
pub(crate) fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8)
        }
    }
}

impl MailError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Protocol(_))
    }
}

/// Certificate authorities trusted besides the system's, from the operator's configuration.
static TRUSTED_TOO: std::sync::OnceLock<Vec<CertificateDer<'static>>> = std::sync::OnceLock::new();

/// Also trusts the certificate authorities in `pem` (an operator's own, for mail servers signed
/// by it), for every connection from now on. Set once, at start: other roots later are refused.
pub fn trust_also(pem: &[u8]) -> Result<(), MailError> {
    let unreadable = |why: String| MailError::Tls(format!("the extra certificate authorities: {why}"));
    let roots: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|e| unreadable(e.to_string()))?;
    if roots.is_empty() {
        return Err(unreadable("the file holds no certificate".into()));
    }
    if *TRUSTED_TOO.get_or_init(|| roots.clone()) != roots {
        return Err(unreadable("other certificate authorities are trusted already".into()));
    }
    Ok(())
}

fn trusted_too() -> &'static [CertificateDer<'static>] {
    TRUSTED_TOO.get().map_or(&[], Vec::as_slice)
}

/// Any stream IMAP can run over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Stream for T {}

fn tls_connector() -> Result<tokio_rustls::TlsConnector, MailError> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs.into_iter().chain(trusted_too().iter().cloned()) {
        let _ = roots.add(cert);
    }
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| MailError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn secure(host: &str, tcp: TcpStream) -> Result<Box<dyn Stream>, MailError> {
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| MailError::Tls(format!("{host} is not a valid server name")))?;
    let tls = tokio::time::timeout(TIMEOUT, tls_connector()?.connect(name, tcp))
        .await
        .map_err(|_| MailError::Tls(format!("{host}: timed out")))?
        .map_err(|e| MailError::Tls(format!("{host}: {e}")))?;
    Ok(Box::new(tls))
}

pub type Imap = async_imap::Session<Box<dyn Stream>>;

/// Connects and logs in to the IMAP server.
pub async fn imap_session(server: &Server) -> Result<Imap, MailError> {
    let at = format!("{}:{}", server.host, server.port);
    let address = resolve(server).await?;
    let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| MailError::Unreachable(format!("{at} (no answer)")))?
        .map_err(|e| MailError::Unreachable(format!("{at} ({e})")))?;
    let protocol = |e: async_imap::error::Error| MailError::Protocol(format!("{at}: {e}"));
    let client = match server.tls {
        Tls::Tls => {
            let mut client = async_imap::Client::new(secure(&server.host, tcp).await?);
            greeting(&mut client, &at).await?;
            client
        }
        Tls::None => {
            let mut client = async_imap::Client::new(Box::new(tcp) as Box<dyn Stream>);
            greeting(&mut client, &at).await?;
            client
        }
        Tls::Starttls => {
            let mut plain = async_imap::Client::new(tcp);
            greeting(&mut plain, &at).await?;
            plain.run_command_and_check_ok("STARTTLS", None).await.map_err(protocol)?;
            async_imap::Client::new(secure(&server.host, plain.into_inner()).await?)
        }
    };
    let login = client.login(&server.username, server.password.expose_secret());
    match tokio::time::timeout(TIMEOUT, login).await {
        Err(_) => Err(MailError::Unreachable(format!("{at} (no answer to the login)"))),
        Ok(Ok(session)) => Ok(session),
        Ok(Err((async_imap::error::Error::No(why) | async_imap::error::Error::Bad(why), _))) => {
            Err(MailError::Login(format!("{at} said: {}", server_said(&why))))
        }
        Ok(Err((e, _))) => Err(protocol(e)),
    }
}

/// The human part of an IMAP refusal: `code: None, info: Some("[AUTHENTICATIONFAILED] Invalid
/// credentials.")` reads "Invalid credentials."
fn server_said(why: &str) -> String {
    let info =
        why.split_once("info: Some(\"").map_or(why, |(_, rest)| rest.trim_end_matches(")").trim_end_matches('"'));
    let info = match info.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(rest, |(_, text)| text),
        None => info,
    };
    info.trim().to_owned()
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug>(
    client: &mut async_imap::Client<T>,
    at: &str,
) -> Result<(), MailError> {
    match tokio::time::timeout(TIMEOUT, client.read_response()).await {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) => Err(MailError::Protocol(format!("{at} closed the connection"))),
        Ok(Err(e)) => Err(MailError::Unreachable(format!("{at} ({e})"))),
        Err(_) => Err(MailError::Unreachable(format!("{at} (no greeting)"))),
    }
}

/// Logs in to the IMAP server and opens the inbox.
pub async fn open_inbox(server: &Server) -> Result<(Imap, async_imap::types::Mailbox), MailError> {
    let mut session = imap_session(server).await?;
    let at = format!("{}:{}", server.host, server.port);
    let inbox = tokio::time::timeout(TIMEOUT, session.select("INBOX"))
        .await
        .map_err(|_| MailError::Unreachable(format!("{at} (no answer)")))?
        .map_err(|e| MailError::Protocol(format!("{at}: the inbox could not be opened: {e}")))?;
    Ok((session, inbox))
}

/// A transport to the server's resolved `address` (its certificate still checked against its name).
fn smtp(server: &Server, address: std::net::SocketAddr) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let tls = || {
        let failed = |e: lettre::transport::smtp::Error| MailError::Tls(format!("{}: {e}", server.host));
        let mut builder = TlsParameters::builder(server.host.clone());
        for root in trusted_too() {
            builder = builder.add_root_certificate(Certificate::from_der(root.to_vec()).map_err(failed)?);
        }
        builder.build_rustls().map_err(failed)
    };
    let security = match server.tls {
        Tls::None => SmtpTls::None,
        Tls::Starttls => SmtpTls::Required(tls()?),
        Tls::Tls => SmtpTls::Wrapper(tls()?),
    };
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
        .port(address.port())
        .tls(security);
    // A relay that takes mail without logging in (Opsquad's own, on a private network) has no username.
    let builder = match server.username.as_str() {
        "" => builder,
        name => builder.credentials(Credentials::new(name.to_owned(), server.password.expose_secret().to_owned())),
    };
    Ok(builder.timeout(Some(TIMEOUT)).build())
}

/// Whether the TLS layer refused the connection (a certificate it does not trust, say), however
/// deep in the error's causes it says so.
fn refused_by_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = cause {
        if error.is::<tokio_rustls::rustls::Error>() {
            return true;
        }
        if let Some(inner) = error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if inner.is::<tokio_rustls::rustls::Error>() {
                return true;
            }
        }
        cause = error.source();
    }
    false
}

fn smtp_error(server: &Server, e: &lettre::transport::smtp::Error) -> MailError {
    let at = format!("SMTP {}:{}", server.host, server.port);
    let code = e.status().map(|c| c.to_string());
    match code.as_deref() {
        Some("535" | "534" | "530" | "538") => MailError::Login(format!("{at}: {e}")),
        _ if e.is_permanent() => MailError::Refused(format!("{at}: {e}")),
        _ if e.is_tls() || refused_by_tls(e) => MailError::Tls(format!("{at}: {e}")),
        _ if e.is_transient() => MailError::Protocol(format!("{at}: {e}")),
        _ => MailError::Unreachable(format!("{at}: {e}")),
    }
}

/// Connects to the SMTP server and logs in, then leaves.
pub async fn check_smtp(server: &Server) -> Result<(), MailError> {
    match smtp(server, resolve(server).await?)?.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err(MailError::Unreachable(format!("SMTP {}:{}", server.host, server.port))),
        Err(e) => Err(smtp_error(server, &e)),
    }
}

/// One letter to send: plain text, with a simple HTML copy; threaded when it answers another.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The shop's name and address.
    pub from_name: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    /// The `Message-ID` this letter answers, and the thread before it.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub written: Written,
}

/// Why a machine wrote the letter, for its `Auto-Submitted` header (RFC 3834): other machines
/// (out-of-office responders) do not answer such letters, so no loop starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// An answer to someone's message: the squad's replies.
    InReply,
    /// A notice of the system's own: account mail, alerts to the owner.
    Notice,
}

#[derive(Clone)]
struct AutoSubmitted(Written);

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(value: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(if value.trim() == "auto-replied" { Written::InReply } else { Written::Notice }))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        let value = match self.0 {
            Written::InReply => "auto-replied",
            Written::Notice => "auto-generated",
        };
        lettre::message::header::HeaderValue::new(Self::name(), value.to_owned())
    }
}

/// Whether `text` is an email address a letter can be sent to or from.
pub fn is_address(text: &str) -> bool {
    text.parse::<lettre::Address>().is_ok()
}

/// Sends `letter` through the SMTP server; returns the `Message-ID` it went out with.
pub async fn send(server: &Server, letter: &Letter) -> Result<String, MailError> {
    let (message, message_id) = compose(letter)?;
    smtp(server, resolve(server).await?)?.send(message).await.map_err(|e| smtp_error(server, &e))?;
    Ok(message_id)
}

/// `letter` as a whole message, its headers built by the mail library (so nothing a customer
/// wrote can add one), with the `Message-ID` it carries.
pub fn compose(letter: &Letter) -> Result<(lettre::Message, String), MailError> {
    let address = |text: &str| {
        text.parse::<lettre::Address>().map_err(|e| MailError::Refused(format!("the address {text} is not valid: {e}")))
    };
    let from = Mailbox::new(Some(letter.from_name.clone()), address(&letter.from)?);
    let to = Mailbox::new(None, address(&letter.to)?);
    let domain = from.email.domain().to_owned();
    let message_id = format!("<{}@{domain}>", uuid_like());
    let mut builder = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(letter.subject.clone())
        .message_id(Some(message_id.clone()))
        .header(AutoSubmitted(letter.written));
    if let Some(parent) = &letter.in_reply_to {
        builder = builder.in_reply_to(parent.clone());
    }
    if !letter.references.is_empty() {
        builder = builder.references(letter.references.join(" "));
    }
    let html = format!("<!doctype html><html><body><p>{}</p></body></html>", html_paragraphs(&letter.text));
    let message = builder
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(letter.text.clone()))
                .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
        )
        .map_err(|e| MailError::Refused(format!("the message could not be built: {e}")))?;
    Ok((message, message_id))
}

/// Text as HTML paragraphs, every character escaped.
fn html_paragraphs(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    escaped.split("\n\n").collect::<Vec<_>>().join("</p><p>").replace('\n', "<br>")
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_imap_refusal_reads_as_the_server_said_it() {
        let why = r#"code: None, info: Some("[AUTHENTICATIONFAILED] Invalid authentication credentials.")"#;
        assert_eq!(server_said(why), "Invalid authentication credentials.");
        assert_eq!(server_said("Login failed"), "Login failed");
    }

    #[test]
    fn html_copies_escape_customer_text() {
        assert_eq!(html_paragraphs("a <b>\n\n\"c\" & d\ne"), "a &lt;b&gt;</p><p>&quot;c&quot; &amp; d<br>e");
    }

    #[test]
    fn only_internet_addresses_count_as_public() {
        let public = |ip: &str| is_public(ip.parse().unwrap());
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "224.0.0.1",
        ] {
            assert!(!public(private), "{private}");
        }
        for internet in ["1.1.1.1", "142.250.72.109", "2606:4700::1111"] {
            assert!(public(internet), "{internet}");
        }
    }

    #[tokio::test]
    async fn a_shop_cannot_point_its_mailbox_at_this_machine_unless_allowed() {
        let server = |reach| Server {
            host: "localhost".into(),
            port: 993,
            tls: Tls::Tls,
            username: "u".into(),
            password: SecretString::from("p".to_owned()),
            reach,
        };
        assert!(matches!(resolve(&server(Reach::Internet)).await, Err(MailError::PrivateAddress(_))));
        assert!(resolve(&server(Reach::Anywhere)).await.is_ok_and(|a| a.ip().is_loopback()));
        // Refused at every connection, not only when the settings were saved.
        assert!(matches!(imap_session(&server(Reach::Internet)).await, Err(MailError::PrivateAddress(_))));
        assert!(matches!(check_smtp(&server(Reach::Internet)).await, Err(MailError::PrivateAddress(_))));
    }

    #[test]
    fn only_a_server_on_this_machine_counts_as_local() {
        let server = |host: &str| Server {
            host: host.into(),
            port: 143,
            tls: Tls::None,
            username: "u".into(),
            password: SecretString::from("p".to_owned()),
            reach: Reach::Anywhere,
        };
        assert!(server("127.0.0.1").is_local() && server("localhost").is_local() && server("[::1]").is_local());
        assert!(!server("imap.example.com").is_local() && !server("10.0.0.2").is_local());
    }
}
