pub mod availability;
pub mod invoice;
pub mod qualify;
pub mod service_area;
