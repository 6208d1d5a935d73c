//! Channel identity: how far the sender of an inbound message is proven to be who they say.
//!
//! A message is only as trusted as its channel proves. Each channel adapter fills in the contacts
//! its proof covers and nothing else (an SMS carries the carrier-delivered number, an email thread
//! reply its address). Only a verified sender continues a customer's thread or changes their
//! booking; an unverified message that names an existing customer starts a new lead, and changes
//! to that customer's booking go through a private link sent to the contact on file.

text_enum!(
    /// How an inbound message's sender was verified.
    SenderProof {
        /// Nothing proves it: a web form, or an API caller that does not vouch for the contact.
        None => "none",
        /// An API caller allowed to vouch for senders says it verified the contact itself.
        ApiAssertion => "api_assertion",
        /// A chat-widget session the customer holds.
        WidgetSession => "widget_session",
        /// A reply in an email thread the shop started.
        EmailThread => "email_thread",
        /// An email whose DKIM/DMARC check passed at the receiving mailbox.
        EmailAuthenticated => "email_authenticated",
        /// An SMS the carrier delivered from the number.
        CarrierSms => "carrier_sms",
        /// A private manage link sent to the contact on file.
        ManageLink => "manage_link",
    }
);

impl SenderProof {
    /// The sender is proven to hold the contact details the message carries.
    pub const fn is_verified(self) -> bool {
        !matches!(self, Self::None)
    }

    /// In a shop owner's words, for the timeline.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::None => "not verified",
            Self::ApiAssertion => "verified by your integration",
            Self::WidgetSession => "verified by their chat session",
            Self::EmailThread => "verified: a reply to our email",
            Self::EmailAuthenticated => "verified by their email provider",
            Self::CarrierSms => "verified by their phone carrier",
            Self::ManageLink => "verified by their private booking link",
        }
    }
}
