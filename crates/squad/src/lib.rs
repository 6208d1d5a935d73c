//! The squad's reasoning parts that do not depend on a model provider.
//!
//! - [`facts`]: what an agent learns from an inquiry, as typed data (the context handed between
//!   agents).
//! - [`offline`]: the offline model's reader — a deterministic rules engine that stands in for an
//!   LLM so the product runs with no cloud account. It is not an LLM and does not pretend to be one.
//! - [`tools`]: decisions made in code from those facts (`qualify_lead`): the model chooses, code
//!   calculates.
//! - [`untrusted`]: how customer text is fenced off before it goes anywhere near a prompt.

pub mod agents;
pub mod channels;
pub mod conversation;
pub mod demo;
pub mod eval;
pub mod facts;
pub mod model;
pub mod offline;
pub mod payments;
pub mod pricing;
pub mod runtime;
pub mod steps;
pub mod tools;
pub mod untrusted;
