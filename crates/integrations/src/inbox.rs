//! Reading a shop's inbox over IMAP: which mail is new since the squad last looked (tracked by
//! UID, so nothing is read twice or skipped across restarts), and each letter read into what the
//! squad needs — its sender, subject, thread headers, the words the customer wrote (quoted
//! history and signature cut off), its attachments by name, and whether it is an automatic
//! message (an out-of-office reply, a mailing list, a bounce) that must never start a conversation.

use futures::TryStreamExt;
use mail_parser::{MessageParser, MimeHeaders};
use serde::{Deserialize, Serialize};

use crate::mail::{open_inbox, MailError, Server};

/// Where the squad stands in an inbox: the mailbox's UIDVALIDITY and the last UID it took in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub uid_validity: u32,
    pub last_uid: u32,
}

/// One message as the server holds it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub uid: u32,
    pub raw: Vec<u8>,
}

/// What a look at the inbox found.
#[derive(Debug)]
pub enum Found {
    /// Messages after the cursor, oldest first.
    New(Vec<Fetched>),
    /// The server renumbered the mailbox (its UIDVALIDITY changed): the old cursor means nothing,
    /// and the squad starts again from `now`.
    Renumbered { now: Cursor },
}

fn at(server: &Server) -> String {
    format!("IMAP {}:{}", server.host, server.port)
}

/// The inbox as it stands now: mail that arrives after this is the squad's to read. Also
/// proves that the login works and the inbox opens.
pub async fn cursor_now(server: &Server) -> Result<Cursor, MailError> {
    let (mut session, inbox) = open_inbox(server).await?;
    let _ = session.logout().await;
    Ok(Cursor {
        uid_validity: inbox.uid_validity.unwrap_or(0),
        last_uid: inbox.uid_next.unwrap_or(1).saturating_sub(1),
    })
}

/// Up to `limit` messages that arrived after `cursor`, oldest first. Messages are read without
/// marking them seen: the shop's own mail program still shows them as new.
pub async fn fetch_after(server: &Server, cursor: Cursor, limit: usize) -> Result<Found, MailError> {
    let protocol = |e: async_imap::error::Error| MailError::Protocol(format!("{}: {e}", at(server)));
    let (mut session, inbox) = open_inbox(server).await?;
    let validity = inbox.uid_validity.unwrap_or(0);
    if validity != cursor.uid_validity {
        let now = Cursor { uid_validity: validity, last_uid: inbox.uid_next.unwrap_or(1).saturating_sub(1) };
        let _ = session.logout().await;
        return Ok(Found::Renumbered { now });
    }
    // `n:*` always matches the newest message, even when it is older than n.
    let found = session.uid_search(format!("UID {}:*", cursor.last_uid.saturating_add(1))).await.map_err(protocol)?;
    let mut uids: Vec<u32> = found.into_iter().filter(|uid| *uid > cursor.last_uid).collect();
    uids.sort_unstable();
    uids.truncate(limit);
    let mut fetched = Vec::with_capacity(uids.len());
    if !uids.is_empty() {
        let set = uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        let stream = session.uid_fetch(&set, "(UID BODY.PEEK[])").await.map_err(protocol)?;
        let answers: Vec<_> = stream.try_collect().await.map_err(protocol)?;
        for answer in answers {
            if let (Some(uid), Some(body)) = (answer.uid, answer.body()) {
                fetched.push(Fetched { uid, raw: body.to_vec() });
            }
        }
        fetched.sort_by_key(|f| f.uid);
    }
    let _ = session.logout().await;
    Ok(Found::New(fetched))
}

/// Waits on the inbox (IMAP IDLE) until the server reports a change — new mail — or `max`
/// passes: `true` for a change. Servers without IDLE answer with an error; the caller then relies
/// on its regular checks.
pub async fn wait_for_mail(server: &Server, max: std::time::Duration) -> Result<bool, MailError> {
    let protocol = |e: async_imap::error::Error| MailError::Protocol(format!("{}: {e}", at(server)));
    let (session, _) = open_inbox(server).await?;
    let mut idle = session.idle();
    idle.init().await.map_err(protocol)?;
    let (wait, _interrupt) = idle.wait_with_timeout(max);
    let answer = wait.await.map_err(protocol)?;
    let changed = matches!(answer, async_imap::extensions::idle::IdleResponse::NewData(_));
    if let Ok(mut session) = idle.done().await {
        let _ = session.logout().await;
    }
    Ok(changed)
}

/// Why a message is not a person writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// An out-of-office or other automatic reply.
    AutoReply,
    /// A mailing list or bulk mail.
    Bulk,
    /// A delivery failure report.
    Bounce,
}

/// A letter as the squad reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub message_id: Option<String>,
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    pub subject: Option<String>,
    /// The letter this one answers, then the rest of its thread (`<id@host>` each).
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// What the sender wrote, without the quoted history and signature.
    pub text: String,
    /// The whole text as it arrived, when anything was cut from it for `text`.
    pub whole: Option<String>,
    pub attachments: Vec<String>,
    pub automatic: Option<Automatic>,
    /// The receiving server that reports the sender's domain passed DMARC for the From address
    /// (its authserv-id, e.g. `mx.google.com`), from the topmost Authentication-Results header:
    /// the receiving server adds its own above anything the sender wrote. Trust it only for the
    /// mailbox's own server.
    pub dmarc_pass_by: Option<String>,
}

/// The authserv-id of `results` (an Authentication-Results value) when it reports `dmarc=pass`
/// for `from`'s domain.
fn dmarc_pass(results: &str, from: Option<&str>) -> Option<String> {
    let unfolded = results.split_whitespace().collect::<Vec<_>>().join(" ");
    let (authserv, clauses) = unfolded.split_once(';')?;
    let domain = from?.rsplit_once('@')?.1.to_ascii_lowercase();
    let aligned = format!("header.from={domain}");
    let passed = clauses.split(';').any(|clause| {
        let clause = clause.trim().to_ascii_lowercase();
        clause.starts_with("dmarc=pass") && clause.split_whitespace().any(|t| t == aligned)
    });
    // `mx.google.com` or `mx.example.com 1; …` (a version after the id).
    passed.then(|| authserv.split_whitespace().next().unwrap_or_default().to_ascii_lowercase())
}

fn ids(value: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    let bare: Vec<String> = match (value.as_text_list(), value.as_text()) {
        (Some(list), _) => list.iter().map(|s| s.to_string()).collect(),
        (None, Some(one)) => vec![one.to_owned()],
        (None, None) => Vec::new(),
    };
    bare.into_iter().map(|id| format!("<{}>", id.trim_matches(|c| c == '<' || c == '>'))).collect()
}

/// Reads a raw message; `None` when it is not a message at all.
pub fn read(raw: &[u8]) -> Option<Letter> {
    let message = MessageParser::default().parse(raw)?;
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let from = message.from().and_then(|f| f.first());
    let from_address = from.and_then(|a| a.address()).map(str::to_owned);
    let subject = message.subject().map(str::to_owned);
    let content_type = header("Content-Type").unwrap_or_default();
    let automatic = if content_type.contains("multipart/report") && content_type.contains("delivery-status")
        || from_address.as_deref().is_some_and(|a| {
            let local = a.split('@').next().unwrap_or_default().to_ascii_lowercase();
            local == "mailer-daemon" || local == "postmaster"
        }) {
        Some(Automatic::Bounce)
    } else if header("Auto-Submitted").is_some_and(|v| v != "no")
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || subject.as_deref().is_some_and(|s| {
            let s = s.to_ascii_lowercase();
            s.starts_with("out of office") || s.starts_with("automatic reply") || s.starts_with("auto:")
        })
    {
        Some(Automatic::AutoReply)
    } else if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "list" | "junk"))
        || header("List-Id").is_some()
        || header("List-Unsubscribe").is_some()
    {
        Some(Automatic::Bulk)
    } else {
        None
    };
    let body = message.body_text(0).map(|b| b.into_owned()).unwrap_or_default();
    let (text, trimmed) = own_words(&body);
    let whole = trimmed.then(|| body.trim().to_owned());
    // The first in the message: mail-parser's `header_raw` would give the last.
    let topmost_results = message
        .headers()
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case("Authentication-Results"))
        .and_then(|h| raw.get(h.offset_start as usize..h.offset_end as usize))
        .and_then(|value| std::str::from_utf8(value).ok());
    let dmarc_pass_by = topmost_results.and_then(|r| dmarc_pass(r, from_address.as_deref()));
    Some(Letter {
        message_id: message.message_id().map(|id| format!("<{}>", id.trim_matches(|c| c == '<' || c == '>'))),
        from_name: from.and_then(|a| a.name()).map(str::to_owned),
        from_address,
        subject,
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        text,
        whole,
        attachments: message.attachments().filter_map(|a| a.attachment_name().map(str::to_owned)).collect(),
        automatic,
        dmarc_pass_by,
    })
}

/// The sender's own words: everything before the quoted history ("On … wrote:", "-----Original
/// Message-----", lines starting with ">") and the signature ("-- "). Whether anything was cut.
pub fn own_words(body: &str) -> (String, bool) {
    let lines: Vec<&str> = body.lines().collect();
    let cut = lines.iter().position(|line| {
        let t = line.trim();
        t.starts_with('>')
            || *line == "-- "
            || t == "--"
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || t.starts_with("-----Original Message-----")
            || t.starts_with("________________________________")
            || (t.starts_with("From:") && lines.iter().any(|l| l.trim_start().starts_with("Sent:")))
    });
    match cut {
        Some(n) => (lines[..n].join("\n").trim().to_owned(), true),
        None => (body.trim().to_owned(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPLY: &str = "From: Dana Reed <dana@example.com>\r\nTo: shop@example.com\r\nSubject: Re: No heat\r\n\
Message-ID: <r1@example.com>\r\nIn-Reply-To: <s1@shop.example>\r\nReferences: <a0@example.com> <s1@shop.example>\r\n\r\n\
Tuesday morning works.\r\nDana\r\n-- \r\nDana Reed | 217-555-0100\r\n\r\nOn Mon, Dec 1, 2026, Shop wrote:\r\n> Here are times\r\n";

    #[test]
    fn a_reply_is_read_with_its_thread_and_without_its_quotes() {
        let letter = read(REPLY.as_bytes()).unwrap();
        assert_eq!(letter.from_address.as_deref(), Some("dana@example.com"));
        assert_eq!(letter.from_name.as_deref(), Some("Dana Reed"));
        assert_eq!(letter.message_id.as_deref(), Some("<r1@example.com>"));
        assert_eq!(letter.in_reply_to, ["<s1@shop.example>"]);
        assert_eq!(letter.references, ["<a0@example.com>", "<s1@shop.example>"]);
        assert_eq!(letter.text, "Tuesday morning works.\nDana");
        let whole = letter.whole.as_deref().unwrap();
        assert!(whole.contains("Dana Reed | 217-555-0100") && whole.contains("> Here are times"), "{whole}");
        assert_eq!(letter.automatic, None);
    }

    #[test]
    fn only_the_topmost_dmarc_pass_for_the_senders_domain_counts() {
        let with = |headers: &str| {
            read(format!("{headers}From: Dana <dana@example.com>\r\nSubject: Hi\r\n\r\nbody\r\n").as_bytes())
                .unwrap()
                .dmarc_pass_by
        };
        let gmail = "Authentication-Results: mx.google.com;\r\n       dkim=pass header.i=@example.com;\r\n       \
                     spf=pass smtp.mailfrom=dana@example.com;\r\n       dmarc=pass (p=REJECT) header.from=example.com\r\n";
        assert_eq!(with(gmail).as_deref(), Some("mx.google.com"));
        // Failed, or passed for another domain than the From address's: not the sender's proof.
        assert_eq!(with("Authentication-Results: mx.google.com; dmarc=fail header.from=example.com\r\n"), None);
        assert_eq!(with("Authentication-Results: mx.google.com; dmarc=pass header.from=evil.example\r\n"), None);
        // A pass the sender wrote lower down, under the receiving server's own verdict, is ignored.
        let forged = "Authentication-Results: mx.google.com; dmarc=none header.from=example.com\r\n\
                      Received: from evil.example\r\nAuthentication-Results: mx.google.com; dmarc=pass header.from=example.com\r\n";
        assert_eq!(with(forged), None);
        assert_eq!(with(""), None);
    }

    #[test]
    fn automatic_mail_is_recognised() {
        let with = |headers: &str| {
            read(format!("From: a@example.com\r\nSubject: Hello\r\n{headers}\r\nbody\r\n").as_bytes())
                .unwrap()
                .automatic
        };
        assert_eq!(with("Auto-Submitted: auto-replied\r\n"), Some(Automatic::AutoReply));
        assert_eq!(with("Auto-Submitted: no\r\n"), None);
        assert_eq!(with("Precedence: bulk\r\n"), Some(Automatic::Bulk));
        assert_eq!(with("List-Id: <news.example.com>\r\n"), Some(Automatic::Bulk));
        let bounce = "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered\r\n\r\nx\r\n";
        assert_eq!(read(bounce.as_bytes()).unwrap().automatic, Some(Automatic::Bounce));
        let away = "From: b@example.com\r\nSubject: Out of Office: back Monday\r\n\r\nx\r\n";
        assert_eq!(read(away.as_bytes()).unwrap().automatic, Some(Automatic::AutoReply));
    }

    #[test]
    fn html_only_mail_becomes_text_and_attachments_are_named() {
        let raw = "From: c@example.com\r\nSubject: Photo\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Leak under the <b>sink</b></p>\r\n\
--b\r\nContent-Type: image/jpeg; name=\"sink.jpg\"\r\nContent-Disposition: attachment; filename=\"sink.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n/9j/\r\n--b--\r\n";
        let letter = read(raw.as_bytes()).unwrap();
        assert!(letter.text.contains("Leak under the sink"), "{}", letter.text);
        assert_eq!(letter.attachments, ["sink.jpg"]);
    }
}
