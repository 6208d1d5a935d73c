pub mod availability;
pub mod qualify;
