//! `check_availability`: real openings, computed in code.
//!
//! Walks the business's local calendar day by day (in its IANA time zone, so daylight-saving
//! changes are handled by the tz database, not by adding hours), skips holidays, intersects the
//! business's hours with each qualified technician's hours, and offers start times that keep the
//! booking buffer clear of every existing appointment. Local times that do not exist (the spring
//! gap) are skipped; ambiguous ones (the autumn overlap) take the first occurrence.

use chrono::{Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;
use domain::schedule::{Interval, Weekday, WeeklyHours};
use serde::Serialize;

/// One technician as the scheduler sees them.
#[derive(Debug, Clone)]
pub struct Technician {
    pub id: String,
    pub skills: Vec<String>,
    /// `None`: the business's hours.
    pub working_hours: Option<WeeklyHours>,
    /// Existing appointments and the busy times of their own calendar, `[start, end)` in Unix ms.
    pub busy: Vec<(i64, i64)>,
    /// Until when `busy` is known to be complete: their calendar was read that far. `None`: no
    /// calendar, the appointments are all there is. Nothing ending later is offered.
    pub known_until: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct AvailabilityQuery<'a> {
    pub tz: Tz,
    pub business_hours: &'a WeeklyHours,
    pub holidays: &'a [NaiveDate],
    pub buffer_minutes: i64,
    pub technicians: &'a [Technician],
    /// Only technicians with this skill; `None`: anyone.
    pub skill: Option<&'a str>,
    pub duration_minutes: i64,
    /// Earliest start and the end of the search window, Unix ms.
    pub not_before: i64,
    pub until: i64,
    /// Start times are offered on this grid, from the opening time.
    pub step_minutes: i64,
    pub max_slots: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub starts_at: i64,
    pub ends_at: i64,
    pub technician_id: String,
    /// The local start as the customer reads it ("2026-11-02T08:00").
    pub local_start: String,
}

fn local_day(ms: i64, tz: Tz) -> Option<NaiveDate> {
    Utc.timestamp_millis_opt(ms).single().map(|t| t.with_timezone(&tz).date_naive())
}

fn to_utc_ms(local: NaiveDateTime, tz: Tz) -> Option<i64> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp_millis()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp_millis()),
        LocalResult::None => None,
    }
}

fn minutes_to_time(minutes: u16) -> Option<NaiveTime> {
    if minutes >= 24 * 60 {
        return None;
    }
    NaiveTime::from_hms_opt(u32::from(minutes / 60), u32::from(minutes % 60), 0)
}

/// The overlap of two sorted interval lists.
fn intersect(a: &[Interval], b: &[Interval]) -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let open = x.open.minutes().max(y.open.minutes());
            let close = x.close.minutes().min(y.close.minutes());
            if open < close {
                out.push((open, close));
            }
        }
    }
    out
}

pub fn check_availability(q: &AvailabilityQuery<'_>) -> Vec<Slot> {
    let mut slots = Vec::new();
    if q.duration_minutes <= 0 || q.step_minutes <= 0 || q.until <= q.not_before {
        return slots;
    }
    let (Some(first_day), Some(last_day)) = (local_day(q.not_before, q.tz), local_day(q.until, q.tz)) else {
        return slots;
    };
    let buffer = q.buffer_minutes.max(0) * 60_000;
    let duration = Duration::minutes(q.duration_minutes);
    let qualified: Vec<&Technician> =
        q.technicians.iter().filter(|t| q.skill.is_none_or(|skill| t.skills.iter().any(|s| s == skill))).collect();

    let mut day = first_day;
    while day <= last_day && slots.len() < q.max_slots {
        if !q.holidays.contains(&day) {
            let weekday = Weekday::from_chrono(chrono::Datelike::weekday(&day));
            let business = q.business_hours.on(weekday);
            let mut day_slots = Vec::new();
            for tech in &qualified {
                let hours = tech.working_hours.as_ref().map_or(business, |h| h.on(weekday));
                for (open, close) in intersect(business, hours) {
                    let mut start = i64::from(open);
                    while start + q.duration_minutes <= i64::from(close) {
                        let offered = u16::try_from(start).ok().and_then(minutes_to_time).and_then(|t| {
                            let local = day.and_time(t);
                            let starts_at = to_utc_ms(local, q.tz)?;
                            let ends_at = starts_at + duration.num_milliseconds();
                            let clear = tech
                                .busy
                                .iter()
                                .all(|(b_start, b_end)| !(starts_at < b_end + buffer && *b_start - buffer < ends_at));
                            let known = tech.known_until.is_none_or(|until| ends_at <= until);
                            (starts_at >= q.not_before && ends_at <= q.until && clear && known).then(|| Slot {
                                starts_at,
                                ends_at,
                                technician_id: tech.id.clone(),
                                local_start: local.format("%Y-%m-%dT%H:%M").to_string(),
                            })
                        });
                        day_slots.extend(offered);
                        start += q.step_minutes;
                    }
                }
            }
            day_slots.sort_by(|a, b| (a.starts_at, &a.technician_id).cmp(&(b.starts_at, &b.technician_id)));
            slots.extend(day_slots);
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    slots.truncate(q.max_slots);
    slots
}

#[cfg(test)]
mod tests {
    use domain::schedule::TimeOfDay;

    use super::*;

    fn hours(open: &str, close: &str, days: &[Weekday]) -> WeeklyHours {
        let interval = Interval { open: TimeOfDay::parse(open).unwrap(), close: TimeOfDay::parse(close).unwrap() };
        WeeklyHours::new(days.iter().map(|d| (*d, vec![interval])).collect()).unwrap()
    }

    fn weekdays() -> Vec<Weekday> {
        Weekday::ALL[..5].to_vec()
    }

    fn utc(s: &str) -> i64 {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap().and_utc().timestamp_millis()
    }

    fn tech(id: &str, skills: &[&str]) -> Technician {
        Technician {
            id: id.into(),
            skills: skills.iter().map(|s| (*s).to_owned()).collect(),
            working_hours: None,
            busy: vec![],
            known_until: None,
        }
    }

    fn query<'a>(business: &'a WeeklyHours, techs: &'a [Technician], from: &str, to: &str) -> AvailabilityQuery<'a> {
        AvailabilityQuery {
            tz: chrono_tz::America::Chicago,
            business_hours: business,
            holidays: &[],
            buffer_minutes: 30,
            technicians: techs,
            skill: None,
            duration_minutes: 120,
            not_before: utc(from),
            until: utc(to),
            step_minutes: 60,
            max_slots: 100,
        }
    }

    #[test]
    fn the_same_local_opening_moves_in_utc_across_the_autumn_change() {
        // 2026-11-01 is the first Sunday of November: Chicago goes from CDT (UTC-5) to CST (UTC-6).
        let business = hours("08:00", "12:00", &weekdays());
        let techs = [tech("ana", &["hvac"])];
        let slots = check_availability(&query(&business, &techs, "2026-10-30 00:00", "2026-11-03 00:00"));
        let fridays: Vec<_> = slots.iter().filter(|s| s.local_start.starts_with("2026-10-30")).collect();
        let mondays: Vec<_> = slots.iter().filter(|s| s.local_start.starts_with("2026-11-02")).collect();
        assert_eq!(fridays[0].starts_at, utc("2026-10-30 13:00"), "08:00 CDT");
        assert_eq!(mondays[0].starts_at, utc("2026-11-02 14:00"), "08:00 CST");
        assert_eq!(
            mondays.iter().map(|s| s.local_start.as_str()).collect::<Vec<_>>(),
            ["2026-11-02T08:00", "2026-11-02T09:00", "2026-11-02T10:00"]
        );
        assert!(
            slots.iter().all(|s| !s.local_start.starts_with("2026-10-31") && !s.local_start.starts_with("2026-11-01")),
            "closed weekends"
        );
    }

    #[test]
    fn the_spring_gap_is_skipped_and_a_booking_spans_real_time() {
        // 2026-03-08 02:00 does not exist in Chicago. A night-shift business open 01:00–05:00.
        let business = hours("01:00", "05:00", &[Weekday::Sun]);
        let techs = [tech("ana", &[])];
        let mut q = query(&business, &techs, "2026-03-08 00:00", "2026-03-09 00:00");
        q.duration_minutes = 60;
        let slots = check_availability(&q);
        let starts: Vec<_> = slots.iter().map(|s| s.local_start.as_str()).collect();
        assert_eq!(starts, ["2026-03-08T01:00", "2026-03-08T03:00", "2026-03-08T04:00"]);
        assert_eq!(slots[1].starts_at - slots[0].starts_at, 3_600_000, "01:00 CST to 03:00 CDT is one real hour");
        assert!(slots.iter().all(|s| s.ends_at - s.starts_at == 3_600_000));
    }

    #[test]
    fn holidays_skills_tech_hours_and_buffers_are_respected() {
        let business = hours("08:00", "17:00", &weekdays());
        let mut ana = tech("ana", &["furnace_repair"]);
        ana.working_hours = Some(hours("12:00", "20:00", &weekdays()));
        // Ana is booked 14:00–16:00 local (CST, UTC-6) on Tue 2026-11-03.
        ana.busy = vec![(utc("2026-11-03 20:00"), utc("2026-11-03 22:00"))];
        let ben = tech("ben", &["drain_cleaning"]);
        let techs = [ana, ben];
        let holidays = [NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()];
        let mut q = query(&business, &techs, "2026-11-02 00:00", "2026-11-04 06:00");
        q.holidays = &holidays;
        q.skill = Some("furnace_repair");
        let slots = check_availability(&q);
        assert!(slots.iter().all(|s| s.technician_id == "ana"), "only the qualified technician");
        let starts: Vec<_> = slots.iter().map(|s| s.local_start.as_str()).collect();
        // Monday is a holiday; Ana works from 12:00 and the business closes at 17:00; 2 h jobs with
        // a 30 min buffer around 14:00–16:00 leave nothing but the very end of the day.
        assert_eq!(starts, Vec::<&str>::new(), "{starts:?}");

        q.buffer_minutes = 0;
        let starts: Vec<_> = check_availability(&q).into_iter().map(|s| s.local_start).collect();
        assert_eq!(starts, ["2026-11-03T12:00"], "12:00–14:00 fits exactly before the booking");
    }

    #[test]
    fn never_offers_the_past_and_stops_at_the_limit() {
        let business = hours("08:00", "17:00", &weekdays());
        let techs = [tech("ana", &[]), tech("ben", &[])];
        let mut q = query(&business, &techs, "2026-11-02 16:30", "2026-11-30 00:00");
        q.max_slots = 5;
        let slots = check_availability(&q);
        assert_eq!(slots.len(), 5);
        assert!(slots.iter().all(|s| s.starts_at >= utc("2026-11-02 16:30")));
        assert_eq!(
            slots[0].local_start, "2026-11-02T11:00",
            "10:30 local is the floor; the grid's next start is 11:00"
        );
        assert_eq!((slots[0].technician_id.as_str(), slots[1].technician_id.as_str()), ("ana", "ben"));
    }

    #[test]
    fn a_calendar_read_only_so_far_offers_nothing_beyond_it() {
        let business = hours("08:00", "12:00", &weekdays());
        let mut ana = tech("ana", &[]);
        // Her calendar was read until Wednesday 10:00 local (CST); Ben has no calendar.
        ana.known_until = Some(utc("2026-11-04 16:00"));
        let techs = [ana, tech("ben", &[])];
        let mut q = query(&business, &techs, "2026-11-04 00:00", "2026-11-06 00:00");
        q.duration_minutes = 60;
        let anas: Vec<_> =
            check_availability(&q).into_iter().filter(|s| s.technician_id == "ana").map(|s| s.local_start).collect();
        assert_eq!(
            anas,
            ["2026-11-04T08:00", "2026-11-04T09:00"],
            "a visit must end by the time her calendar is known"
        );
        let bens = check_availability(&q).into_iter().filter(|s| s.technician_id == "ben").count();
        assert_eq!(bens, 8, "Ben's four hours on each of two days");
    }
}
