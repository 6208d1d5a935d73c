pub mod availability;
pub mod invoice;
pub mod qualify;
