//! The squad's pure core: everything the agents think with that needs no database, so a model
//! provider (the Bedrock crate) builds on it without compiling sqlx.
//!
//! - [`model`]: the model interface (requests, responses, tool specs, usage) every provider speaks.
//! - [`agents`]: each agent's versioned prompt, tools and model settings.
//! - [`facts`]: what an agent learns from an inquiry, as typed data (the context handed between
//!   agents).
//! - [`offline`]: the offline model's reader — a deterministic rules engine that stands in for an
//!   LLM so the product runs with no cloud account. It is not an LLM and does not pretend to be one.
//! - [`tools`]: tool inputs as types, and decisions made in code from those facts (`qualify_lead`,
//!   availability, invoice arithmetic): the model chooses, code calculates.
//! - [`untrusted`]: how customer text is fenced off before it goes anywhere near a prompt.

pub mod agents;
pub mod conversation;
pub mod demo;
pub mod eval;
pub mod facts;
pub mod model;
pub mod offline;
pub mod price_list;
pub mod pricing;
pub mod tools;
pub mod untrusted;
