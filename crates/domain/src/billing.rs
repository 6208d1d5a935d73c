//! The vocabulary of billing.

text_enum!(
    /// Where an invoice stands. A draft is not yet with the customer; a sent one is payable; a
    /// void one was withdrawn by a person and takes no payment.
    InvoiceStatus { Draft => "draft", Sent => "sent", Paid => "paid", Void => "void" }
);

impl InvoiceStatus {
    /// The customer has seen it: sent, or already paid.
    pub const fn is_issued(self) -> bool {
        matches!(self, Self::Sent | Self::Paid)
    }
}
