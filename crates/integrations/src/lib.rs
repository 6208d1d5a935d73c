//! The shop's own accounts, reached from the server only: a mailbox over IMAP and SMTP or through Gmail's API, technicians'
//! calendars over CalDAV, Stripe, Twilio, and the
//! sealing of every credential at rest ([`secrets`]). Nothing here touches the database; the
//! callers store what [`secrets::Keyring::seal`] returns and nothing else.

pub mod calendar;
pub mod gmail;
pub mod inbox;
pub mod mail;
pub mod secrets;
pub mod stripe;
pub mod twilio;
