//! What an agent is writing to a chat visitor, while it writes it.
//!
//! A run publishes a reply's text as the model streams it — a *draft*, one per tool call that
//! writes to the customer — and a visitor's event stream shows it before the message is sent.
//! The draft is `Sending` from the moment its tool call succeeded until the reply is committed,
//! then `Sent` (the stream shows the stored message in its place), or `Dropped` when it never will
//! be sent (the call was refused, the owner took over, the run stopped). A stream shows only
//! drafts being written, so one that reads the stored message never shows its draft after it. Drafts live in this process only: a stream served by another instance still gets
//! every sent message, just not the text before it.

use std::collections::HashMap;
use std::sync::Mutex;

use domain::LeadId;
use tokio::sync::watch;

use crate::model::{partial_string_field, Watcher};

/// The tools whose `text` is written to the customer.
const CUSTOMER_FACING: [&str; 2] = ["send_reply", "request_details"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The tool call that writes it.
    pub id: String,
    /// The text so far (all of it once the draft has ended).
    pub text: String,
    pub state: DraftState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftState {
    Writing,
    /// Complete and accepted; its message is being committed.
    Sending,
    Sent,
    Dropped,
}

/// The drafts being written, one at a time per lead, and the leads someone is watching.
#[derive(Debug, Default)]
pub struct LiveText {
    leads: Mutex<HashMap<LeadId, watch::Sender<Option<Draft>>>>,
}

/// Whether an entry is worth keeping: someone watches it, or a draft is still being written.
fn in_use(sender: &watch::Sender<Option<Draft>>) -> bool {
    sender.receiver_count() > 0 || sender.borrow().as_ref().is_some_and(|d| d.state == DraftState::Writing)
}

impl LiveText {
    /// Follows `lead`'s drafts from now on (one being written is seen whole, as it stands).
    pub fn watch(&self, lead: LeadId) -> watch::Receiver<Option<Draft>> {
        let mut leads = self.leads.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        leads.retain(|_, sender| in_use(sender));
        leads.entry(lead).or_insert_with(|| watch::channel(None).0).subscribe()
    }

    /// `text` is what draft `id` says so far; a window that starts watching mid-draft sees it.
    pub fn write(&self, lead: LeadId, id: &str, text: &str) {
        self.leads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(lead)
            .or_insert_with(|| watch::channel(None).0);
        self.update(lead, |draft| {
            let stale =
                draft.as_ref().is_some_and(|d| d.id == id && (d.state != DraftState::Writing || d.text == text));
            if stale {
                return false;
            }
            *draft = Some(Draft { id: id.to_owned(), text: text.to_owned(), state: DraftState::Writing });
            true
        });
    }

    /// Draft `id`'s tool call ran: it is being sent (`accepted`), or it never will be.
    pub fn settle(&self, lead: LeadId, id: &str, accepted: bool) {
        let next = if accepted { DraftState::Sending } else { DraftState::Dropped };
        self.advance(lead, |d| d.id == id && d.state == DraftState::Writing, next);
    }

    /// Draft `id`'s message is committed.
    pub fn sent(&self, lead: LeadId, id: &str) {
        self.advance(lead, |d| d.id == id && d.state == DraftState::Sending, DraftState::Sent);
    }

    /// Whatever is still being written or sent to `lead` and not committed will not be.
    pub fn drop_unsent(&self, lead: LeadId) {
        self.advance(lead, |d| matches!(d.state, DraftState::Writing | DraftState::Sending), DraftState::Dropped);
    }

    fn advance(&self, lead: LeadId, applies: impl Fn(&Draft) -> bool, next: DraftState) {
        self.update(lead, |draft| match draft {
            Some(d) if applies(d) => {
                d.state = next;
                true
            }
            _ => false,
        });
    }

    fn update(&self, lead: LeadId, change: impl FnOnce(&mut Option<Draft>) -> bool) {
        let mut leads = self.leads.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(sender) = leads.get(&lead) {
            sender.send_if_modified(change);
            // A draft that ended with nobody watching is forgotten.
            if !in_use(sender) {
                leads.remove(&lead);
            }
        }
    }

    /// What a streaming model call tells about `lead`'s replies.
    pub fn watcher(&self, lead: LeadId) -> LeadDrafts<'_> {
        LeadDrafts { live: self, lead }
    }
}

/// One bell per open chat stream, by its session: the visitor's message rings it, so the stream
/// finds the new lead (and follows its drafts) at once rather than at its next read.
#[derive(Debug, Default)]
pub struct Doorbells {
    bells: Mutex<HashMap<String, std::sync::Weak<tokio::sync::Notify>>>,
}

impl Doorbells {
    /// The bell of the stream for `session`; it rings while the stream holds it.
    pub fn hang(&self, session: &str) -> std::sync::Arc<tokio::sync::Notify> {
        let mut bells = self.bells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bells.retain(|_, bell| bell.strong_count() > 0);
        if let Some(bell) = bells.get(session).and_then(std::sync::Weak::upgrade) {
            return bell;
        }
        let bell = std::sync::Arc::new(tokio::sync::Notify::new());
        bells.insert(session.to_owned(), std::sync::Arc::downgrade(&bell));
        bell
    }

    pub fn ring(&self, session: &str) {
        let bells = self.bells.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(bell) = bells.get(session).and_then(std::sync::Weak::upgrade) {
            bell.notify_waiters();
        }
    }
}

/// Turns a reply tool's input, as the model writes it, into `lead`'s draft.
pub struct LeadDrafts<'a> {
    live: &'a LiveText,
    lead: LeadId,
}

impl Watcher for LeadDrafts<'_> {
    fn watches(&self, tool: &str) -> bool {
        CUSTOMER_FACING.contains(&tool)
    }

    fn tool_input(&self, tool_use_id: &str, tool: &str, json_so_far: &str) {
        if !self.watches(tool) {
            return;
        }
        if let Some(text) = partial_string_field(json_so_far, "text") {
            // The tool trims what it sends; a draft that opens with blanks would jump when it lands.
            let text = text.trim_start();
            if !text.is_empty() {
                self.live.write(self.lead, tool_use_id, text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(n: u8) -> LeadId {
        LeadId::parse(&format!("00000000-0000-0000-0000-0000000000{n:02}")).unwrap()
    }

    #[test]
    fn a_watcher_sees_the_draft_grow_then_settle() {
        let live = LiveText::default();
        let lead = lead(1);
        let mut seen = live.watch(lead);
        let drafts = live.watcher(lead);
        drafts.tool_input("t1", "send_reply", r#"{"text": "  Hel"#);
        assert_eq!(seen.borrow_and_update().as_ref().map(|d| d.text.as_str()), Some("Hel"));
        drafts.tool_input("t1", "send_reply", r#"{"text": "  Hello the"#);
        drafts.tool_input("t1", "log_issue", r#"{"text": "not to the customer"#);
        assert_eq!(seen.borrow_and_update().as_ref().map(|d| d.text.as_str()), Some("Hello the"));
        live.settle(lead, "t1", true);
        assert_eq!(seen.borrow_and_update().as_ref().map(|d| d.state), Some(DraftState::Sending));
        live.sent(lead, "t1");
        live.drop_unsent(lead);
        let draft = seen.borrow_and_update().clone();
        assert_eq!(draft.map(|d| (d.id, d.state)), Some(("t1".to_owned(), DraftState::Sent)));
        // A sent draft is not rewritten by a late piece.
        drafts.tool_input("t1", "send_reply", r#"{"text": "Hello there"#);
        assert!(!seen.has_changed().unwrap());
    }

    #[test]
    fn a_late_watcher_sees_the_draft_as_it_stands_and_ended_drafts_are_forgotten() {
        let live = LiveText::default();
        let lead = lead(1);
        live.write(lead, "t0", "nobody watched this");
        live.settle(lead, "t0", true);
        live.sent(lead, "t0");
        assert!(live.leads.lock().unwrap().is_empty(), "sent with nobody watching: forgotten");
        live.write(lead, "t1", "Hi the");
        let seen = live.watch(lead);
        assert_eq!(seen.borrow().as_ref().map(|d| d.text.as_str()), Some("Hi the"));
        live.settle(lead, "t1", true);
        // Its message was never committed.
        live.drop_unsent(lead);
        assert_eq!(seen.borrow().as_ref().map(|d| d.state), Some(DraftState::Dropped));
        drop(seen);
        // The next watcher of another lead prunes this one.
        let _other = live.watch(self::lead(2));
        assert_eq!(live.leads.lock().unwrap().len(), 1);
    }
}
