//! The offline model: a deterministic rules engine that reads an inquiry the way the prompts ask
//! an LLM to, so the whole squad runs and is tested without a cloud account. It is not an LLM.
//!
//! [`read_inquiry`] turns text into facts with keyword and phrase rules over normalised text,
//! checked in a fixed order (junk first, then danger, then complaints, then the job itself);
//! [`OfflineModel`] plays each agent's part in a conversation. Accuracy is measured on
//! `evals/` (`tune.jsonl`, and the frozen `holdout.jsonl`) by `opsquad eval`.

mod change;
mod model;
mod read;
mod text;

pub use change::{read_change_request, ChangeRequest};
pub use model::OfflineModel;
pub use read::{postal_code, read_inquiry, requested_visit, Inquiry};
