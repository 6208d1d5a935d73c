//! Technicians' own calendars, reached through CalDAV ([`caldav`]) or Google Calendar's API
//! ([`google`]): asked when this person is busy, given the visits booked for them, and asked
//! whether a visit written there is still there.

pub mod caldav;
pub mod google;
pub mod ical;

use caldav::{CalDav, CalDavCalendar};
use google::GoogleCalendar;

/// A calendar found on connecting: where it is (a CalDAV collection's URL, a Google calendar's
/// id) and what it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub url: String,
    pub name: String,
}

/// One technician's calendar, signed in, whichever kind it is.
pub enum Calendar<'a> {
    CalDav(&'a CalDav, CalDavCalendar),
    Google(GoogleCalendar<'a>),
}

impl Calendar<'_> {
    /// Where the calendar is: a visit's event belongs to the calendar of this name.
    pub fn id(&self) -> &str {
        match self {
            Self::CalDav(_, calendar) => &calendar.url,
            Self::Google(calendar) => calendar.id(),
        }
    }

    /// The longest range one read may span, where the calendar sets one.
    pub fn longest_read(&self) -> Option<i64> {
        match self {
            Self::CalDav(..) => None,
            Self::Google(_) => Some(google::LONGEST_READ_MS),
        }
    }

    /// What the calendar calls the visit's event with our `uid`.
    pub fn external_id(&self, uid: &str) -> String {
        match self {
            Self::CalDav(..) => uid.to_owned(),
            Self::Google(_) => google::event_id(uid),
        }
    }

    pub async fn busy(&mut self, from: i64, until: i64) -> Result<Vec<(i64, i64)>, CalendarError> {
        match self {
            Self::CalDav(client, calendar) => client.busy(calendar, from, until).await,
            Self::Google(calendar) => calendar.busy(from, until).await,
        }
    }

    /// Writes the visit (`now` stamps it), replacing what was written under its uid before.
    pub async fn put(&mut self, event: &Event, now: i64) -> Result<(), CalendarError> {
        match self {
            Self::CalDav(client, calendar) => client.put(calendar, event, now).await,
            Self::Google(calendar) => calendar.put(event).await,
        }
    }

    pub async fn delete(&mut self, uid: &str) -> Result<(), CalendarError> {
        match self {
            Self::CalDav(client, calendar) => client.delete(calendar, uid).await,
            Self::Google(calendar) => calendar.delete(uid).await,
        }
    }

    pub async fn exists(&mut self, uid: &str) -> Result<bool, CalendarError> {
        match self {
            Self::CalDav(client, calendar) => client.exists(calendar, uid).await,
            Self::Google(calendar) => calendar.exists(uid).await,
        }
    }

    /// Google's renewed tokens, when it renewed them while this calendar was in use: to be kept.
    pub fn renewed_tokens(&self) -> Option<&crate::gmail::Tokens> {
        match self {
            Self::Google(calendar) => match calendar.tokens() {
                (tokens, true) => Some(tokens),
                _ => None,
            },
            Self::CalDav(..) => None,
        }
    }
}

/// A booked visit as it is written into a technician's calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Ours, stable for the visit: writing it again replaces it rather than adding a second one.
    pub uid: String,
    pub summary: String,
    pub description: String,
    pub location: String,
    /// Where the owner opens the lead.
    pub link: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Why a calendar could not be used, in words for the owner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("the calendar did not accept the user name and password (or the sign-in was withdrawn)")]
    BadCredentials,
    #[error("Google no longer lets Opsquad use this calendar ({0}); connect it again")]
    Withdrawn(String),
    #[error("there is no calendar at that address")]
    NotACalendar,
    #[error("the calendar answered in a way we could not read: {0}")]
    Unreadable(String),
    #[error("the calendar refused it: {0}")]
    Refused(String),
    #[error("could not reach the calendar ({0})")]
    Unreachable(String),
}

impl CalendarError {
    /// Worth trying again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }
}

/// Busy periods, `[start, end)` in Unix ms, merged where they touch or overlap and sorted.
pub fn merged(mut periods: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    periods.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(periods.len());
    for (start, end) in periods {
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn merges_what_overlaps_or_touches() {
        assert_eq!(super::merged(vec![(5, 7), (1, 3), (3, 4), (6, 9), (20, 21)]), vec![(1, 4), (5, 9), (20, 21)]);
    }
}
