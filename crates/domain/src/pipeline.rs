//! The vocabulary of the lead pipeline: channels, stages, who a lead is waiting on.

use serde::{Deserialize, Serialize};

text_enum!(
    /// Where an inquiry came from.
    Channel {
        Email => "email",
        Sms => "sms",
        Chat => "chat",
        Form => "form",
        Api => "api",
        /// The customer booked a slot themselves on the shop's booking page.
        BookingPage => "booking_page",
        /// The customer called the shop's number and nobody answered: they were texted back.
        Call => "call",
    }
);

impl Channel {
    /// Whether an integration may report an inbound message on this channel. The booking page's
    /// leads are made by the booking page alone, so a lead on it always means a real booking; a
    /// missed call's only by the shop's phone number, which also texts the caller back.
    pub const fn reportable(self) -> bool {
        !matches!(self, Self::BookingPage | Self::Call)
    }

    /// How a customer who came in through this channel is answered: a missed call by text, every
    /// other channel in kind.
    pub const fn answered_by(self) -> Self {
        match self {
            Self::Call => Self::Sms,
            other => other,
        }
    }

    /// In a shop owner's words, for the timeline.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "text message",
            Self::Chat => "chat",
            Self::Form => "web form",
            Self::Api => "your integration",
            Self::BookingPage => "booking page",
            Self::Call => "missed call",
        }
    }
}

text_enum!(
    /// Where a lead is in the pipeline.
    Stage {
        New => "new",
        Qualifying => "qualifying",
        Disqualified => "disqualified",
        Scheduling => "scheduling",
        Booked => "booked",
        Completed => "completed",
        Invoiced => "invoiced",
        Paid => "paid",
        Escalated => "escalated",
    }
);

text_enum!(
    /// Whose move it is.
    WaitingOn { Customer => "customer", Owner => "owner", None => "none" }
);

impl Stage {
    /// The stages [`Stage::is_closed`] accepts, for queries that filter on them.
    pub const CLOSED: [Stage; 2] = [Self::Disqualified, Self::Paid];

    /// The job is on the books: booked, or further along (done, invoiced, paid).
    pub const fn is_booked_or_later(self) -> bool {
        matches!(self, Self::Booked | Self::Completed | Self::Invoiced | Self::Paid)
    }

    /// A lead in one of these stages is finished: a new message from its customer starts a new lead.
    pub const fn is_closed(self) -> bool {
        matches!(self, Self::Disqualified | Self::Paid)
    }
}

/// A lead as the pipeline board shows it. The board page reads it and the live event stream sends
/// it as its `lead` event, so both sides share this one type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardCard {
    pub lead_id: String,
    pub customer_name: String,
    pub stage: Stage,
    pub waiting_on: WaitingOn,
    pub score: Option<i64>,
    pub urgency: Option<String>,
    pub service: Option<String>,
    pub human_takeover: bool,
    pub first_response_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_disqualified_and_paid_leads_are_closed() {
        let closed: Vec<Stage> = Stage::ALL.iter().copied().filter(|s| s.is_closed()).collect();
        assert_eq!(closed, Stage::CLOSED);
    }
}
