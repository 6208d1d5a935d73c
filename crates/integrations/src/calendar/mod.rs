//! Technicians' own calendars, reached through CalDAV ([`caldav`]): asked when this person is
//! busy, given the visits booked for them, and asked whether a visit written there is still there.

pub mod caldav;
pub mod ical;

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
