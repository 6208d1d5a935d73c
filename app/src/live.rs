//! The org's live lead events on an owner page: one `EventSource` on `/app/events` per page,
//! shared by the header (which raises an alert, with a sound, when a lead starts needing the
//! owner) and the pipeline board (which moves its cards).

use domain::pipeline::{BoardCard, WaitingOn};
use leptos::prelude::*;

/// Who listens to the page's lead events.
#[derive(Clone, Copy)]
pub struct LiveLeads {
    listeners: StoredValue<Vec<Callback<BoardCard>>>,
    /// Called after the stream came back from a drop (events may have been missed).
    reconnected: StoredValue<Vec<Callback<()>>>,
    /// The stream is open.
    pub connected: RwSignal<bool>,
}

impl LiveLeads {
    /// This page's stream: the one [`crate::shell::AppPage`] opened, or a new one.
    pub fn here() -> Self {
        if let Some(leads) = use_context::<Self>() {
            return leads;
        }
        let leads = Self {
            listeners: StoredValue::new(Vec::new()),
            reconnected: StoredValue::new(Vec::new()),
            connected: RwSignal::new(false),
        };
        provide_context(leads);
        #[cfg(feature = "hydrate")]
        browser::follow(leads);
        leads
    }

    /// Runs `listener` for every lead event.
    pub fn on_lead(&self, listener: impl Fn(BoardCard) + Send + Sync + 'static) {
        self.listeners.update_value(|all| all.push(Callback::new(listener)));
    }

    /// Runs `listener` each time the stream reconnects after a drop.
    pub fn on_reconnect(&self, listener: impl Fn(()) + Send + Sync + 'static) {
        self.reconnected.update_value(|all| all.push(Callback::new(listener)));
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn deliver(&self, card: BoardCard) {
        self.listeners.with_value(|all| all.iter().for_each(|listener| listener.run(card.clone())));
    }
}

/// A lead that has just started needing the owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub lead_id: String,
    pub text: String,
}

/// What the header says about `card`, if it needs the owner: "Emergency — Robin Vega needs you
/// now (Furnace repair)". A lead the owner has taken over raises nothing.
pub fn alert_for(card: &BoardCard) -> Option<Alert> {
    if card.waiting_on != WaitingOn::Owner || card.human_takeover {
        return None;
    }
    let what = card.service.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
    let text = if card.urgency.as_deref() == Some("emergency") {
        format!("Emergency — {} needs you now{what}", card.customer_name)
    } else {
        format!("{} needs you{what}", card.customer_name)
    };
    Some(Alert { lead_id: card.lead_id.clone(), text })
}

/// The alerts on this page: raised as leads start needing the owner, dropped when dismissed or
/// when the lead no longer needs them. Each new alert plays a short tone where the browser allows.
pub fn follow_alerts(leads: LiveLeads) -> RwSignal<Vec<Alert>> {
    let alerts = RwSignal::new(Vec::<Alert>::new());
    leads.on_lead(move |card| match alert_for(&card) {
        Some(alert) => {
            if alerts.with_untracked(|all| all.iter().all(|a| a.lead_id != alert.lead_id)) {
                alerts.update(|all| all.insert(0, alert));
                #[cfg(feature = "hydrate")]
                browser::chime();
            }
        }
        None => alerts.update(|all| all.retain(|a| a.lead_id != card.lead_id)),
    });
    alerts
}

#[cfg(feature = "hydrate")]
mod browser {
    //! The browser reconnects an `EventSource` by itself after a drop and sends `Last-Event-ID`;
    //! the server resumes from there.

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{AudioContext, EventSource, MessageEvent, OscillatorType};

    use super::LiveLeads;

    pub fn follow(leads: LiveLeads) {
        let Ok(source) = EventSource::new("/app/events") else {
            return;
        };
        let on_lead = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(data) = event.data().as_string() else { return };
            if let Ok(card) = serde_json::from_str(&data) {
                leads.deliver(card);
            }
        });
        let dropped = StoredValue::new(false);
        let on_open = Closure::<dyn FnMut()>::new(move || {
            leads.connected.set(true);
            if dropped.get_value() {
                dropped.set_value(false);
                leads.reconnected.with_value(|all| all.iter().for_each(|listener| listener.run(())));
            }
        });
        let on_error = Closure::<dyn FnMut()>::new(move || {
            leads.connected.set(false);
            dropped.set_value(true);
        });
        let _ = source.add_event_listener_with_callback("lead", on_lead.as_ref().unchecked_ref());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The closures live as long as the page's connection; they are dropped with the page.
        let held = StoredValue::new_local((source, on_lead, on_open, on_error));
        on_cleanup(move || {
            held.with_value(|(source, ..)| source.close());
        });
    }

    /// Two short tones. Browsers allow sound only after the person has interacted with the page;
    /// before that this is silent and the banner alone carries the alert.
    pub fn chime() {
        let Ok(audio) = AudioContext::new() else { return };
        let _ = audio.resume();
        let start = audio.current_time();
        for (i, frequency) in [880.0_f32, 660.0].into_iter().enumerate() {
            let (Ok(tone), Ok(gain)) = (audio.create_oscillator(), audio.create_gain()) else { return };
            tone.set_type(OscillatorType::Sine);
            tone.frequency().set_value(frequency);
            gain.gain().set_value(0.15);
            let at = start + 0.2 * i as f64;
            if tone.connect_with_audio_node(&gain).is_err()
                || gain.connect_with_audio_node(&audio.destination()).is_err()
                || tone.start_with_when(at).is_err()
                || tone.stop_with_when(at + 0.15).is_err()
            {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use domain::pipeline::Stage;

    use super::*;

    fn card(waiting_on: WaitingOn, urgency: Option<&str>, taken_over: bool) -> BoardCard {
        BoardCard {
            lead_id: "l1".into(),
            customer_name: "Robin Vega".into(),
            stage: Stage::Escalated,
            waiting_on,
            score: Some(10),
            urgency: urgency.map(str::to_owned),
            service: Some("Panel repair".into()),
            human_takeover: taken_over,
            first_response_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_lead_waiting_on_the_owner_raises_an_alert_and_an_emergency_says_so() {
        let emergency = alert_for(&card(WaitingOn::Owner, Some("emergency"), false)).unwrap();
        assert_eq!(emergency.text, "Emergency — Robin Vega needs you now (Panel repair)");
        let routine = alert_for(&card(WaitingOn::Owner, Some("routine"), false)).unwrap();
        assert_eq!(routine.text, "Robin Vega needs you (Panel repair)");
        assert_eq!(alert_for(&card(WaitingOn::Customer, Some("emergency"), false)), None);
        assert_eq!(alert_for(&card(WaitingOn::Owner, Some("emergency"), true)), None, "the owner has it in hand");
    }
}
