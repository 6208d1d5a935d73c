//! A technician's Google Calendar, reached through the Calendar API (v3) with the tokens they
//! gave when they signed in with Google: asked for free-busy, and given one event per visit with
//! an id of ours (so writing it again replaces it), taken out again when the visit is cancelled.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{merged, CalendarError, Event, Found};
use crate::gmail::{encode, google_said, GmailError, Google, SignedIn, Tokens};

/// Seeing free-busy, seeing and changing the events of calendars the account owns, and what its
/// calendars are called: nothing of anyone else's events, no sharing, no settings.
pub const SCOPES: &str = "https://www.googleapis.com/auth/calendar.events.freebusy \
https://www.googleapis.com/auth/calendar.events.owned https://www.googleapis.com/auth/calendar.calendars.readonly";
/// The longest range one free-busy question may span (Google refuses more than 62 days).
pub const LONGEST_READ_MS: i64 = 60 * 86_400_000;

/// One Google calendar, signed in.
pub struct GoogleCalendar<'a> {
    account: SignedIn<'a>,
    /// The calendar's id (`primary` until it is found, then the account's own).
    id: String,
}

fn signed_in(err: GmailError) -> CalendarError {
    match err {
        GmailError::Revoked(said) => CalendarError::Withdrawn(said),
        GmailError::Unreachable(said) => CalendarError::Unreachable(said),
        GmailError::Refused(said) => CalendarError::Refused(said),
        other @ GmailError::HistoryGone => CalendarError::Refused(other.to_string()),
    }
}

/// The id a visit's event has in Google: Google wants 5–1024 characters of base32hex (`0-9a-v`);
/// our uid in hex is that, and the same for the same visit every time.
pub fn event_id(uid: &str) -> String {
    hex::encode(uid.as_bytes())
}

fn rfc3339(ms: i64) -> Result<String, CalendarError> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .ok_or_else(|| CalendarError::Refused(format!("{ms} is not a time")))
}

fn unix_ms(value: &Value) -> Option<i64> {
    DateTime::parse_from_rfc3339(value.as_str()?).ok().map(|t| t.timestamp_millis())
}

impl<'a> GoogleCalendar<'a> {
    /// The calendar `id` of the account whose `tokens` these are (`primary` for its own).
    pub fn new(google: &'a Google, http: reqwest::Client, tokens: Tokens, id: &str) -> Self {
        Self { account: SignedIn::new(google, http, tokens), id: id.to_owned() }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The tokens as they stand, and whether Google renewed them since the calendar was opened.
    pub fn tokens(&self) -> (&Tokens, bool) {
        self.account.tokens()
    }

    fn url(&self, path: &str) -> String {
        format!("{}/calendar/v3/{path}", self.account.google().calendar_base.trim_end_matches('/'))
    }

    fn events_url(&self, event: Option<&str>) -> String {
        let calendar = format!("calendars/{}/events", encode(&self.id));
        match event {
            Some(event) => self.url(&format!("{calendar}/{}", encode(event))),
            None => self.url(&calendar),
        }
    }

    async fn call(
        &mut self,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value), CalendarError> {
        let (status, answer) = self.account.call(method, url, body).await.map_err(signed_in)?;
        let reason = answer["error"]["errors"][0]["reason"].as_str().unwrap_or_default();
        // Google says "slow down" with a 403 as often as with a 429.
        let limited = matches!(reason, "rateLimitExceeded" | "userRateLimitExceeded");
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || limited {
            return Err(CalendarError::Unreachable(format!("Google answered {status}: {}", google_said(&answer))));
        }
        Ok((status, answer))
    }

    fn refused(status: StatusCode, answer: &Value) -> CalendarError {
        match status {
            StatusCode::NOT_FOUND => CalendarError::NotACalendar,
            _ => CalendarError::Refused(format!("{status}: {}", google_said(answer))),
        }
    }

    /// The account's own calendar: its id (the account's address) and what it is called. From
    /// then on this calendar is asked by that id.
    pub async fn find(&mut self) -> Result<Found, CalendarError> {
        let url = self.url(&format!("calendars/{}", encode(&self.id)));
        let (status, answer) = self.call(Method::GET, &url, None).await?;
        if !status.is_success() {
            return Err(Self::refused(status, &answer));
        }
        let id = answer["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| CalendarError::Unreadable("Google named no calendar".into()))?;
        self.id = id.to_owned();
        let name = answer["summary"].as_str().filter(|s| !s.is_empty()).unwrap_or(id).to_owned();
        Ok(Found { url: id.to_owned(), name })
    }

    /// When the calendar is busy between `from` and `until` (Unix ms; at most [`LONGEST_READ_MS`]
    /// apart), merged.
    pub async fn busy(&mut self, from: i64, until: i64) -> Result<Vec<(i64, i64)>, CalendarError> {
        let ask = json!({ "timeMin": rfc3339(from)?, "timeMax": rfc3339(until)?, "items": [{ "id": self.id }] });
        let (status, answer) = self.call(Method::POST, &self.url("freeBusy"), Some(&ask)).await?;
        if !status.is_success() {
            return Err(Self::refused(status, &answer));
        }
        let calendar = &answer["calendars"][&self.id];
        if let Some(reason) = calendar["errors"][0]["reason"].as_str() {
            return Err(match reason {
                "notFound" => CalendarError::NotACalendar,
                "backendError" => CalendarError::Unreachable("Google could not read the calendar just now".into()),
                other => CalendarError::Refused(format!("Google could not read the calendar ({other})")),
            });
        }
        let periods = calendar["busy"].as_array().ok_or_else(|| {
            CalendarError::Unreadable("Google's free-busy answer had no busy list for the calendar".into())
        })?;
        let mut busy = Vec::with_capacity(periods.len());
        for period in periods {
            match (unix_ms(&period["start"]), unix_ms(&period["end"])) {
                (Some(start), Some(end)) if end > start => busy.push((start, end)),
                _ => return Err(CalendarError::Unreadable(format!("a busy period Google gave: {period}"))),
            }
        }
        Ok(merged(busy))
    }

    /// Writes the visit as an event with our id: a new one, or, when the id is already there
    /// (written before, or cancelled and booked again), that one replaced.
    pub async fn put(&mut self, event: &Event) -> Result<(), CalendarError> {
        let id = event_id(&event.uid);
        let body = json!({
            "id": id,
            "status": "confirmed",
            "summary": event.summary,
            "description": event.description,
            "location": event.location,
            "start": { "dateTime": rfc3339(event.starts_at)? },
            "end": { "dateTime": rfc3339(event.ends_at)? },
            "source": { "title": "Opsquad", "url": event.link },
        });
        let (status, answer) = self.call(Method::POST, &self.events_url(None), Some(&body)).await?;
        if status.is_success() {
            return Ok(());
        }
        if status != StatusCode::CONFLICT {
            return Err(Self::refused(status, &answer));
        }
        let (status, answer) = self.call(Method::PUT, &self.events_url(Some(&id)), Some(&body)).await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(Self::refused(status, &answer))
        }
    }

    /// Takes the visit's event out; one already gone is fine.
    pub async fn delete(&mut self, uid: &str) -> Result<(), CalendarError> {
        let (status, answer) = self.call(Method::DELETE, &self.events_url(Some(&event_id(uid))), None).await?;
        match status {
            s if s.is_success() || s == StatusCode::NOT_FOUND || s == StatusCode::GONE => Ok(()),
            s => Err(CalendarError::Refused(format!("{s}: {}", google_said(&answer)))),
        }
    }

    /// Whether the visit's event is still in the calendar (a cancelled event is not).
    pub async fn exists(&mut self, uid: &str) -> Result<bool, CalendarError> {
        let (status, answer) = self.call(Method::GET, &self.events_url(Some(&event_id(uid))), None).await?;
        match status {
            s if s.is_success() => Ok(answer["status"].as_str() != Some("cancelled")),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(false),
            s => Err(CalendarError::Refused(format!("{s}: {}", google_said(&answer)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visits_event_id_is_base32hex_and_stable() {
        let id = event_id("opsquad-0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b");
        assert!(id.len() >= 5 && id.len() <= 1024);
        assert!(id.chars().all(|c| matches!(c, '0'..='9' | 'a'..='v')), "{id}");
        assert_eq!(id, event_id("opsquad-0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b"));
        assert_ne!(id, event_id("opsquad-0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6c"));
    }

    #[test]
    fn times_go_as_utc_and_come_back_with_any_offset() {
        assert_eq!(rfc3339(1_796_397_600_000).unwrap(), "2026-12-04T15:20:00Z");
        assert_eq!(unix_ms(&json!("2026-12-04T09:20:00-06:00")), Some(1_796_397_600_000));
        assert_eq!(unix_ms(&json!("tomorrow")), None);
    }
}
