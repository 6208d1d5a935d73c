//! The vocabulary of billing.

text_enum!(
    /// Where an invoice stands. A draft is not yet with the customer; a sent one is payable.
    InvoiceStatus { Draft => "draft", Sent => "sent", Paid => "paid" }
);

impl InvoiceStatus {
    /// The customer has seen it: sent, or already paid.
    pub const fn is_issued(self) -> bool {
        matches!(self, Self::Sent | Self::Paid)
    }
}
