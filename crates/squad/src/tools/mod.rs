pub mod qualify;
