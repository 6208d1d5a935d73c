//! Opsquad's own mail to the people who use it (address confirmation; later password resets and
//! owner alerts), sent through the operator's mail server, never through a shop's mailbox.

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
