//! Technicians' own calendars as the openings engine sees them. What a calendar says is read
//! outside any transaction (by a [`Calendars`] reader, in `ops`) and kept on its row; openings
//! then take it from there. A calendar that is not known, fresh and healthy offers nothing of its
//! technician's time: the squad never books over what it cannot see.

use async_trait::async_trait;
use domain::TechnicianId;
use store::{Db, StoreError, TenantScope};

/// A calendar read longer ago than this is read again before openings are offered from it.
pub const REFRESH_MS: i64 = 5 * 60_000;
/// A calendar read longer ago than this is not relied on at all (its reader has been failing or
/// has not run): its technician's time is offered again once it is read.
pub const RELY_MS: i64 = 10 * 60_000;
/// How far ahead a calendar is read: beyond every window openings are searched in.
pub const READ_AHEAD_MS: i64 = 62 * 86_400_000;

/// How recent what a calendar said must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Every calendar of the org, read within [`REFRESH_MS`]: before openings are offered.
    Recent,
    /// This technician's, read again now: right before a booking for them is committed.
    Now(TechnicianId),
    /// Every calendar of the org, read again now: right before a booking whose technician is only
    /// chosen in its transaction (from the openings) is committed.
    AllNow,
}

/// Reads technicians' calendars and keeps what they say on their rows. A calendar that cannot be
/// read is marked so (and then offers nothing); only the database failing is an error.
#[async_trait]
pub trait Calendars: Send + Sync {
    async fn refresh(&self, db: &Db, scope: &TenantScope, freshness: Freshness) -> Result<(), StoreError>;
}

/// A calendar's busy periods without the visits Opsquad wrote into it: those are bookings, counted
/// from the bookings themselves (so moving a visit can offer the times around its old one).
pub fn others_only(busy: &[(i64, i64)], ours: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut left = Vec::with_capacity(busy.len());
    for &(start, end) in busy {
        let mut pieces = vec![(start, end)];
        for &(o_start, o_end) in ours {
            pieces = pieces
                .into_iter()
                .flat_map(|(s, e)| {
                    if o_end <= s || o_start >= e {
                        vec![(s, e)]
                    } else {
                        [(s, o_start.min(e)), (o_end.max(s), e)].into_iter().filter(|(a, b)| b > a).collect()
                    }
                })
                .collect();
        }
        left.extend(pieces);
    }
    left
}

/// No calendar is ever read (benchmarks, and tests without calendars).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCalendars;

#[async_trait]
impl Calendars for NoCalendars {
    async fn refresh(&self, _: &Db, _: &TenantScope, _: Freshness) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::others_only;

    #[test]
    fn our_own_visits_are_taken_out_of_what_the_calendar_says() {
        // The dentist 9–10 and our visit 10–12 come back from free-busy as one block 9–12.
        assert_eq!(others_only(&[(9, 12)], &[(10, 12)]), vec![(9, 10)]);
        // Our visit in the middle of a longer block leaves both ends.
        assert_eq!(others_only(&[(8, 14)], &[(10, 12)]), vec![(8, 10), (12, 14)]);
        // Nothing of ours: all stays; only ours: nothing stays.
        assert_eq!(others_only(&[(1, 2), (5, 6)], &[]), vec![(1, 2), (5, 6)]);
        assert_eq!(others_only(&[(10, 12)], &[(10, 12)]), Vec::<(i64, i64)>::new());
        assert_eq!(others_only(&[(10, 12)], &[(9, 13), (20, 21)]), Vec::<(i64, i64)>::new());
    }
}
