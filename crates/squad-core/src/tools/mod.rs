pub mod availability;
pub mod inputs;
pub mod invoice;
pub mod qualify;
pub mod service_area;
