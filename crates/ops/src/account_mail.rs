//! Opsquad's own mail to the people who use it (address confirmation, password resets, alerts to
//! owners), sent through the operator's mail server, never through a shop's mailbox.

use integrations::mail::{self, Letter, MailError, Server, Written};

/// How this Opsquad sends its own mail.
#[derive(Debug, Clone)]
pub enum AccountMail {
    /// Through the operator's SMTP server, from their address.
    Smtp { server: Server, from_name: String, from: String },
    /// No mail server is set up: nothing can be sent, and people are told so.
    Off,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountMailError {
    #[error("this Opsquad has no mail server set up, so it cannot send email")]
    NotSetUp,
    #[error("the mail server did not take the message: {0}")]
    Mail(#[from] MailError),
}

/// One message to a person.
#[derive(Debug, Clone)]
pub struct Notice {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// A letter's first line: "Hello Dana," or "Hello,".
pub fn greeting(name: Option<&str>) -> String {
    name.map_or_else(|| "Hello,".to_owned(), |n| format!("Hello {n},"))
}

impl AccountMailError {
    /// Why a letter did not leave, in words for the person it was for. The server's own answer
    /// (hosts, codes) is for the operator's log, not the dashboard.
    pub fn for_people(&self) -> String {
        match self {
            Self::NotSetUp => self.to_string(),
            Self::Mail(MailError::Refused(_)) => "Opsquad's mail server refused the address".into(),
            Self::Mail(_) => "Opsquad could not reach its mail server just now".into(),
        }
    }
}

impl AccountMail {
    pub fn can_send(&self) -> bool {
        matches!(self, Self::Smtp { .. })
    }

    pub async fn send(&self, notice: &Notice) -> Result<(), AccountMailError> {
        let Self::Smtp { server, from_name, from } = self else {
            return Err(AccountMailError::NotSetUp);
        };
        let letter = Letter {
            from_name: from_name.clone(),
            from: from.clone(),
            to: notice.to.clone(),
            subject: notice.subject.clone(),
            text: notice.text.clone(),
            in_reply_to: None,
            references: Vec::new(),
            written: Written::Notice,
        };
        mail::send(server, &letter).await?;
        Ok(())
    }
}
