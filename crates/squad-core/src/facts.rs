//! What Lead Response learns from an inquiry. Handed on to the Scheduler as part of the typed
//! handoff context.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    ServiceRequest,
    QuoteRequest,
    SafetyEmergency,
    Complaint,
    Spam,
    Vendor,
    JobApplicant,
    OtherTrade,
}

impl Intent {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ServiceRequest => "service_request",
            Self::QuoteRequest => "quote_request",
            Self::SafetyEmergency => "safety_emergency",
            Self::Complaint => "complaint",
            Self::Spam => "spam",
            Self::Vendor => "vendor",
            Self::JobApplicant => "job_applicant",
            Self::OtherTrade => "other_trade",
        }
    }

    /// Whether the sender wants work done (now or later).
    pub const fn wants_work(self) -> bool {
        matches!(self, Self::ServiceRequest | Self::QuoteRequest | Self::SafetyEmergency)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Routine,
    Urgent,
    Emergency,
}

impl Urgency {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Routine => "routine",
            Self::Urgent => "urgent",
            Self::Emergency => "emergency",
        }
    }
}

/// A danger to people that no agent may handle alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hazard {
    GasLeak,
    CarbonMonoxide,
    ElectricalFire,
}

/// Signs that the text tries to steer the squad rather than describe a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Manipulation {
    /// "Ignore previous instructions", "SYSTEM:", "admin mode".
    InstructionOverride,
    /// Claims to be, or to speak for, the owner or staff.
    AuthorityClaim,
    /// Asks for a discount, a waived fee or free work.
    PriceChange,
    /// Asks to send invoices or payments somewhere new.
    PaymentRedirect,
    /// Text hidden from a human reader (HTML hidden styles).
    HiddenText,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    English,
    Spanish,
}

/// When the customer said they would like the visit (an allow-listed value, safe to remember).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreferredTime {
    Mornings,
    Afternoons,
    Evenings,
    Weekends,
}

impl PreferredTime {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mornings => "mornings",
            Self::Afternoons => "afternoons",
            Self::Evenings => "evenings",
            Self::Weekends => "weekends",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Mornings, Self::Afternoons, Self::Evenings, Self::Weekends].into_iter().find(|p| p.as_str() == value)
    }

    /// Whether a local start time ("2026-11-02T08:00") suits this preference.
    pub fn suits(self, local_start: &str) -> bool {
        use chrono::{Datelike, Timelike};
        let Ok(start) = chrono::NaiveDateTime::parse_from_str(local_start, "%Y-%m-%dT%H:%M") else { return false };
        let hour = start.hour();
        match self {
            Self::Mornings => hour < 12,
            Self::Afternoons => (12..17).contains(&hour),
            Self::Evenings => hour >= 17,
            Self::Weekends => matches!(start.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun),
        }
    }
}

/// The day the customer asked for a visit: today, tomorrow or a day of the week (the next one,
/// today included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisitDay {
    Today,
    Tomorrow,
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl VisitDay {
    pub const ALL: [Self; 9] = [
        Self::Today,
        Self::Tomorrow,
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Today => "today",
            Self::Tomorrow => "tomorrow",
            Self::Monday => "monday",
            Self::Tuesday => "tuesday",
            Self::Wednesday => "wednesday",
            Self::Thursday => "thursday",
            Self::Friday => "friday",
            Self::Saturday => "saturday",
            Self::Sunday => "sunday",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == value)
    }

    /// The date it names, seen from `today` (the business's local date).
    pub fn date(self, today: chrono::NaiveDate) -> chrono::NaiveDate {
        use chrono::{Datelike, Weekday};
        let weekday = match self {
            Self::Today => return today,
            Self::Tomorrow => return today.succ_opt().unwrap_or(today),
            Self::Monday => Weekday::Mon,
            Self::Tuesday => Weekday::Tue,
            Self::Wednesday => Weekday::Wed,
            Self::Thursday => Weekday::Thu,
            Self::Friday => Weekday::Fri,
            Self::Saturday => Weekday::Sat,
            Self::Sunday => Weekday::Sun,
        };
        let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        today + chrono::Duration::days(i64::from(ahead))
    }
}

/// Everything read from one inquiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InquiryFacts {
    pub intent: Intent,
    /// The work-catalogue key (`domain::work`) of the kind of work asked for (`furnace_repair`,
    /// `ev_charger`), if one was recognised.
    pub service: Option<String>,
    pub urgency: Option<Urgency>,
    pub hazard: Option<Hazard>,
    pub postal_code: Option<String>,
    /// The street line of the service address as the customer wrote it ("1420 Walnut St"): with
    /// the ZIP code, where the technician goes. Never booked without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    pub language: Language,
    pub manipulation: Vec<Manipulation>,
    pub has_phone: bool,
    pub has_email: bool,
    #[serde(default)]
    pub preferred_time: Option<PreferredTime>,
    /// A second kind of work of another trade the message also asks for ("also an outlet in the
    /// garage stopped working"): noted, so the reply can answer it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_work: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::VisitDay;

    #[test]
    fn a_named_day_is_the_next_one_today_included() {
        let tuesday = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let day = |d: VisitDay| d.date(tuesday).to_string();
        assert_eq!(day(VisitDay::Today), "2026-12-01");
        assert_eq!(day(VisitDay::Tomorrow), "2026-12-02");
        assert_eq!(day(VisitDay::Thursday), "2026-12-03");
        assert_eq!(day(VisitDay::Tuesday), "2026-12-01");
        assert_eq!(day(VisitDay::Monday), "2026-12-07");
        for d in VisitDay::ALL {
            assert_eq!(VisitDay::parse(d.as_str()), Some(d));
        }
    }
}
