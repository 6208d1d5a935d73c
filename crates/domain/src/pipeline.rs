//! The vocabulary of the lead pipeline: channels, stages, who a lead is waiting on.

use serde::{Deserialize, Serialize};

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where an inquiry came from.
    Channel { Email => "email", Sms => "sms", Chat => "chat", Form => "form", Api => "api" }
);

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
    fn every_variant_round_trips_through_its_text() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(*stage));
            assert_eq!(serde_json::to_string(stage).unwrap(), format!("\"{stage}\""));
        }
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(*channel));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert!(Stage::Paid.is_closed() && !Stage::Booked.is_closed());
    }
}
