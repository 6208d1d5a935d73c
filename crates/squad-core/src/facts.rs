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
    pub language: Language,
    pub manipulation: Vec<Manipulation>,
    pub has_phone: bool,
    pub has_email: bool,
    #[serde(default)]
    pub preferred_time: Option<PreferredTime>,
}
