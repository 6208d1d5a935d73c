//! The agent runtime: the durable run loop ([`runtime`]) and the tools it runs against the
//! database, the typed run steps it writes and reads ([`steps`]), outbound delivery ([`channels`]),
//! technicians' calendars as openings see them ([`calendars`]), pay links ([`payments`]) and the text of replies while they are written ([`live`]). What the agents think with — the model interface, prompts, the
//! offline model, the decisions made in code — is `squad-core`, re-exported here under the same
//! paths.

pub use squad_core::{agents, conversation, demo, eval, facts, model, offline, price_list, pricing, tools, untrusted};

pub mod bookings;
pub mod calendars;
pub mod channels;
pub mod chat_offers;
pub mod link_tokens;
pub mod live;
pub mod payments;
pub mod runtime;
pub mod steps;
