//! The offline model: a deterministic rules engine that reads an inquiry the way the prompts ask
//! an LLM to, so the whole squad runs and is tested without a cloud account.
//!
//! It is intentionally plain: keyword and phrase rules over normalised text, checked in a fixed
//! order (junk first, then danger, then complaints, then the job itself). Its accuracy is measured
//! on `evals/inquiries.jsonl` by `opsquad eval`.

mod read;
mod text;

pub use read::{postal_code, read_inquiry, Inquiry};
