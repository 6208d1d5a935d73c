//! Business hours: a time zone, weekly opening intervals and holidays, all validated.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("`{0}` is not an IANA time zone such as America/Chicago")]
    UnknownTimeZone(String),
    #[error("`{0}` is not a time of day in 24-hour HH:MM form")]
    BadTime(String),
    #[error("{day}: an interval must close after it opens ({open}–{close})")]
    EmptyInterval { day: Weekday, open: TimeOfDay, close: TimeOfDay },
    #[error("{day}: intervals overlap ({first} and {second})")]
    Overlap { day: Weekday, first: String, second: String },
    #[error("`{0}` is not a date in YYYY-MM-DD form")]
    BadDate(String),
    #[error("`{0}` is not a date and time such as 2026-12-03T10:00")]
    BadDateTime(String),
}

/// An IANA time zone name, checked against the tz database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeZone(String);

impl TimeZone {
    pub fn parse(value: &str) -> Result<Self, ScheduleError> {
        let tz = chrono_tz::Tz::from_str(value.trim())
            .map_err(|_| ScheduleError::UnknownTimeZone(value.chars().take(64).collect()))?;
        Ok(Self(tz.name().to_owned()))
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        // Constructed only from a name the tz database accepted.
        chrono_tz::Tz::from_str(&self.0).unwrap_or(chrono_tz::UTC)
    }

    /// A Unix-ms instant in this zone, formatted with a chrono format string.
    pub fn format_local(&self, ms: i64, format: &str) -> Option<String> {
        use chrono::TimeZone as _;
        self.tz().timestamp_millis_opt(ms).single().map(|t| t.format(format).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The next time after `after_ms` that the clocks here read `hour`:00, with that local date
    /// (`YYYY-MM-DD`). A day whose `hour`:00 the clocks skip (spring forward) uses the hour after.
    pub fn next_at_hour(&self, after_ms: i64, hour: u32) -> (String, i64) {
        use chrono::TimeZone as _;
        let tz = self.tz();
        let now = tz
            .timestamp_millis_opt(after_ms)
            .single()
            .map_or_else(|| chrono::DateTime::<chrono::Utc>::UNIX_EPOCH.naive_utc(), |t| t.naive_local());
        let mut day = now.date();
        loop {
            let at = day
                .and_hms_opt(hour, 0, 0)
                .and_then(|local| self.instant(local).or_else(|| self.instant(local + chrono::Duration::hours(1))));
            if let Some(at) = at.filter(|at| *at > after_ms) {
                return (day.format("%Y-%m-%d").to_string(), at);
            }
            day = day.succ_opt().unwrap_or(day);
        }
    }

    /// When texts that are not urgent may go again, if `ms` is within the quiet hours here
    /// ([`QUIET_FROM_HOUR`]:00 to [`QUIET_UNTIL_HOUR`]:00 on the clocks here); `None` outside them.
    pub fn quiet_until(&self, ms: i64) -> Option<i64> {
        let hour: u32 = self.format_local(ms, "%H")?.parse().ok()?;
        (!(QUIET_UNTIL_HOUR..QUIET_FROM_HOUR).contains(&hour)).then(|| self.next_at_hour(ms, QUIET_UNTIL_HOUR).1)
    }

    /// The Unix-ms instant a wall-clock time names in this zone: the earlier one when the clocks
    /// fall back and it happens twice, `None` when the clocks spring forward over it.
    pub fn instant(&self, local: chrono::NaiveDateTime) -> Option<i64> {
        use chrono::TimeZone as _;
        self.tz().from_local_datetime(&local).earliest().map(|t| t.timestamp_millis())
    }
}

/// Texts that are not urgent (reminders, follow-ups, invoices) wait from this hour …
pub const QUIET_FROM_HOUR: u32 = 21;
/// … until this one, on the customer's clocks (the shop's time zone: its customers are local).
pub const QUIET_UNTIL_HOUR: u32 = 8;

/// Parses a wall-clock time as a browser's date-and-time field sends it: `YYYY-MM-DDTHH:MM`.
pub fn parse_local_datetime(value: &str) -> Result<chrono::NaiveDateTime, ScheduleError> {
    chrono::NaiveDateTime::parse_from_str(value.trim(), "%Y-%m-%dT%H:%M")
        .map_err(|_| ScheduleError::BadDateTime(value.chars().take(20).collect()))
}

impl TryFrom<String> for TimeZone {
    type Error = ScheduleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeZone> for String {
    fn from(value: TimeZone) -> Self {
        value.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [Self::Mon, Self::Tue, Self::Wed, Self::Thu, Self::Fri, Self::Sat, Self::Sun];

    /// The day's key as stored and sent: `mon` … `sun`.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Mon => "mon",
            Self::Tue => "tue",
            Self::Wed => "wed",
            Self::Thu => "thu",
            Self::Fri => "fri",
            Self::Sat => "sat",
            Self::Sun => "sun",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key)
    }

    pub fn from_chrono(day: chrono::Weekday) -> Self {
        match day {
            chrono::Weekday::Mon => Self::Mon,
            chrono::Weekday::Tue => Self::Tue,
            chrono::Weekday::Wed => Self::Wed,
            chrono::Weekday::Thu => Self::Thu,
            chrono::Weekday::Fri => Self::Fri,
            chrono::Weekday::Sat => Self::Sat,
            chrono::Weekday::Sun => Self::Sun,
        }
    }
}

impl fmt::Display for Weekday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Mon => "Monday",
            Self::Tue => "Tuesday",
            Self::Wed => "Wednesday",
            Self::Thu => "Thursday",
            Self::Fri => "Friday",
            Self::Sat => "Saturday",
            Self::Sun => "Sunday",
        };
        f.write_str(name)
    }
}

/// Minutes after local midnight, 00:00 to 24:00 inclusive (24:00 closes at midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub fn parse(value: &str) -> Result<Self, ScheduleError> {
        let bad = || ScheduleError::BadTime(value.chars().take(16).collect());
        let (h, m) = value.trim().split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(Self(h * 60 + m))
    }

    pub const fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = ScheduleError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TimeOfDay> for String {
    fn from(value: TimeOfDay) -> Self {
        value.to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    pub open: TimeOfDay,
    pub close: TimeOfDay,
}

/// Opening intervals per weekday, sorted and non-overlapping. A missing day is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WeeklyHours(BTreeMap<Weekday, Vec<Interval>>);

impl WeeklyHours {
    pub fn new(days: BTreeMap<Weekday, Vec<Interval>>) -> Result<Self, ScheduleError> {
        let mut checked = BTreeMap::new();
        for (day, mut intervals) in days {
            intervals.sort_by_key(|i| i.open);
            for interval in &intervals {
                if interval.close <= interval.open {
                    return Err(ScheduleError::EmptyInterval { day, open: interval.open, close: interval.close });
                }
            }
            for pair in intervals.windows(2) {
                if pair[1].open < pair[0].close {
                    return Err(ScheduleError::Overlap {
                        day,
                        first: format!("{}–{}", pair[0].open, pair[0].close),
                        second: format!("{}–{}", pair[1].open, pair[1].close),
                    });
                }
            }
            if !intervals.is_empty() {
                checked.insert(day, intervals);
            }
        }
        Ok(Self(checked))
    }

    /// Monday to Friday 08:00–17:00: what a new business starts with.
    pub fn weekdays_eight_to_five() -> Self {
        let day = vec![Interval { open: TimeOfDay(8 * 60), close: TimeOfDay(17 * 60) }];
        Self(Weekday::ALL[..5].iter().map(|d| (*d, day.clone())).collect())
    }

    pub fn on(&self, day: Weekday) -> &[Interval] {
        self.0.get(&day).map_or(&[], Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for WeeklyHours {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = BTreeMap::<Weekday, Vec<Interval>>::deserialize(d)?;
        Self::new(raw).map_err(serde::de::Error::custom)
    }
}

text_enum!(
    /// Where a booked appointment stands. Scheduled and confirmed ones hold the technician's time.
    AppointmentStatus {
        Scheduled => "scheduled",
        Confirmed => "confirmed",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

impl AppointmentStatus {
    /// Still ahead: it holds the technician's time and can be moved, cancelled or completed.
    pub const fn is_live(self) -> bool {
        matches!(self, Self::Scheduled | Self::Confirmed)
    }
}

/// Parses a `YYYY-MM-DD` calendar date.
pub fn parse_date(value: &str) -> Result<NaiveDate, ScheduleError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| ScheduleError::BadDate(value.chars().take(16).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_run_from_nine_at_night_to_eight_in_the_morning_local() {
        let chicago = TimeZone::parse("America/Chicago").unwrap();
        let at =
            |s: &str| chicago.instant(chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()).unwrap();
        assert_eq!(chicago.quiet_until(at("2026-12-03 20:59")), None);
        assert_eq!(chicago.quiet_until(at("2026-12-03 21:00")), Some(at("2026-12-04 08:00")));
        assert_eq!(chicago.quiet_until(at("2026-12-04 07:59")), Some(at("2026-12-04 08:00")));
        assert_eq!(chicago.quiet_until(at("2026-12-04 08:00")), None);
        // The night the clocks spring forward is an hour shorter; 08:00 is still 08:00.
        assert_eq!(chicago.quiet_until(at("2027-03-13 23:30")), Some(at("2027-03-14 08:00")));
    }

    #[test]
    fn the_next_seven_oclock_is_local_and_survives_the_clocks_changing() {
        let zone = TimeZone::parse("America/Chicago").unwrap();
        let ms = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis();
        // 06:00 in Chicago (CST, UTC-6): today at 07:00.
        assert_eq!(zone.next_at_hour(ms("2026-12-02T12:00:00Z"), 7), ("2026-12-02".into(), ms("2026-12-02T13:00:00Z")));
        // 07:00 exactly has passed: tomorrow.
        assert_eq!(zone.next_at_hour(ms("2026-12-02T13:00:00Z"), 7), ("2026-12-03".into(), ms("2026-12-03T13:00:00Z")));
        // Across the spring change (CST to CDT, UTC-5), still 07:00 on the wall.
        assert_eq!(zone.next_at_hour(ms("2027-03-14T02:00:00Z"), 7), ("2027-03-14".into(), ms("2027-03-14T12:00:00Z")));
        // An hour the clocks skip: 02:00 on the change day becomes 03:00.
        assert_eq!(zone.next_at_hour(ms("2027-03-14T06:00:00Z"), 2), ("2027-03-14".into(), ms("2027-03-14T08:00:00Z")));
    }

    #[test]
    fn weekday_keys_match_their_json() {
        for day in Weekday::ALL {
            assert_eq!(serde_json::to_value(day).unwrap(), day.key());
            assert_eq!(Weekday::from_key(day.key()), Some(day));
        }
        assert_eq!(Weekday::from_key("monday"), None);
    }

    #[test]
    fn time_zones_come_from_the_tz_database() {
        assert_eq!(TimeZone::parse("America/Chicago").unwrap().as_str(), "America/Chicago");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(TimeZone::parse("").is_err());
    }

    #[test]
    fn a_wall_clock_time_names_one_instant_in_its_zone() {
        let chicago = TimeZone::parse("America/Chicago").unwrap();
        let at = |s: &str| chicago.instant(parse_local_datetime(s).unwrap());
        // 10:00 CST is 16:00 UTC.
        assert_eq!(at("2026-12-03T10:00"), Some(1_796_313_600_000));
        // 2026-03-08 02:30 does not exist in Chicago; 2026-11-01 01:30 happens twice (CDT first).
        assert_eq!(at("2026-03-08T02:30"), None);
        assert_eq!(at("2026-11-01T01:30"), Some(1_793_514_600_000));
        for bad in ["2026-12-03", "2026-12-03 10:00", "10:00", "2026-13-01T10:00"] {
            assert!(parse_local_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_of_day_are_strict() {
        assert_eq!(TimeOfDay::parse("08:30").unwrap().minutes(), 510);
        assert_eq!(TimeOfDay::parse("24:00").unwrap().minutes(), 1440);
        for bad in ["8:30", "24:01", "12:60", "noon", "12-30", "123:00"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weekly_hours_refuse_empty_and_overlapping_intervals() {
        let json = r#"{"mon":[{"open":"13:00","close":"17:00"},{"open":"08:00","close":"12:00"}],"sat":[]}"#;
        let hours: WeeklyHours = serde_json::from_str(json).unwrap();
        assert_eq!(hours.on(Weekday::Mon)[0].open.to_string(), "08:00", "sorted");
        assert!(hours.on(Weekday::Sat).is_empty());
        let empty = r#"{"tue":[{"open":"17:00","close":"08:00"}]}"#;
        assert!(serde_json::from_str::<WeeklyHours>(empty).unwrap_err().to_string().contains("close after it opens"));
        let overlap = r#"{"wed":[{"open":"08:00","close":"12:00"},{"open":"11:00","close":"15:00"}]}"#;
        assert!(serde_json::from_str::<WeeklyHours>(overlap).unwrap_err().to_string().contains("overlap"));
        assert!(serde_json::from_str::<WeeklyHours>(r#"{"funday":[]}"#).is_err());
    }

    #[test]
    fn dates_are_iso() {
        assert_eq!(parse_date("2026-12-25").unwrap().to_string(), "2026-12-25");
        assert!(parse_date("12/25/2026").is_err());
        assert!(parse_date("2026-02-30").is_err());
    }
}
