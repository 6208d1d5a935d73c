//! The opsquad server: configuration, telemetry, the HTTP application and the operator CLI's
//! building blocks. `main.rs` only parses the command line and calls in here.

pub mod api;
pub mod bench;
pub mod board_bench;
pub mod chat_bench;
pub mod cli;
pub mod config;
pub mod demo;
pub mod gmail;
pub mod google_calendar;
pub mod listener;
pub mod mail_watch;
pub mod metrics;
pub mod middleware;
mod sign_ins;
pub mod startup;
pub mod stripe;
pub mod supervisor;
pub mod telemetry;
pub mod texts;
pub mod widget;
pub mod worker;
