//! The squad's model provider on AWS Bedrock.
//!
//! - [`convert`]: the squad's Converse-shaped request and response to and from the SDK's types.
//! - [`caching`]: where cache points go, per model family's minimum cacheable length.
//! - [`resilience`]: retries with backoff and jitter, a circuit breaker per model, error classes.
//! - [`provider`]: [`BedrockModel`], which implements `squad_core::model::Model`.
//! - `aimock` (feature `aimock`, tests only): a Converse-speaking peer on 127.0.0.1.

#[cfg(feature = "aimock")]
pub mod aimock;
pub mod caching;
pub mod convert;
mod document;
pub mod provider;
pub mod resilience;

pub use provider::{credentials_available, BedrockModel, BedrockSettings};
