//! `text_enum!`: an enum stored and sent as one fixed word per variant, with its only mapping
//! to and from text. A stored word no variant knows is `None` from `parse`, never a default.

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

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

#[cfg(test)]
mod tests {
    use crate::billing::InvoiceStatus;
    use crate::inbound::SenderProof;
    use crate::jobs::JobState;
    use crate::pipeline::{Channel, Stage, WaitingOn};
    use crate::role::KeyScope;
    use crate::schedule::AppointmentStatus;
    use crate::squad::{EscalationStatus, TimeoutPolicy};

    macro_rules! assert_round_trips {
        ($($name:ident),+) => {$(
            for value in $name::ALL {
                assert_eq!($name::parse(value.as_str()), Some(*value), stringify!($name));
                assert_eq!(serde_json::to_value(value).unwrap(), value.as_str(), stringify!($name));
            }
            assert_eq!($name::parse("unheard_of"), None, stringify!($name));
        )+};
    }

    #[test]
    fn every_variant_round_trips_through_its_one_word() {
        assert_round_trips!(
            Channel,
            JobState,
            Stage,
            WaitingOn,
            InvoiceStatus,
            AppointmentStatus,
            EscalationStatus,
            TimeoutPolicy,
            SenderProof,
            KeyScope
        );
    }
}
