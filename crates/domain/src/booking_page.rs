//! The self-serve booking page's settings: whether it is on, which services it offers, how far
//! ahead a customer may book and how much notice the shop needs.

use serde::{Deserialize, Serialize};

use crate::catalog::{check_range, field, FieldError};
use crate::ServiceId;

/// The furthest ahead a page may offer, in days.
pub const DAYS_AHEAD_MAX: i64 = 60;
/// The most notice a page may ask for: a week, in minutes.
pub const MIN_NOTICE_MAX_MINUTES: i64 = 7 * 24 * 60;
/// More services than any shop's price list holds.
const SERVICES_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookingPageSettings {
    pub enabled: bool,
    /// The services a customer may book online; empty means every active service.
    #[serde(default)]
    pub services: Vec<ServiceId>,
    #[serde(default = "default_days_ahead")]
    pub days_ahead: i64,
    #[serde(default = "default_min_notice")]
    pub min_notice_minutes: i64,
}

fn default_days_ahead() -> i64 {
    14
}

fn default_min_notice() -> i64 {
    120
}

impl Default for BookingPageSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            services: Vec::new(),
            days_ahead: default_days_ahead(),
            min_notice_minutes: default_min_notice(),
        }
    }
}

impl BookingPageSettings {
    pub fn validate(mut self) -> Result<Self, FieldError> {
        check_range("days_ahead", self.days_ahead, 1, DAYS_AHEAD_MAX)?;
        check_range("min_notice_minutes", self.min_notice_minutes, 0, MIN_NOTICE_MAX_MINUTES)?;
        if self.services.len() > SERVICES_MAX {
            return Err(field("services", format!("at most {SERVICES_MAX} services")));
        }
        self.services.sort();
        self.services.dedup();
        Ok(self)
    }

    /// Whether the page offers `service` (given that it is active).
    pub fn offers(&self, service: ServiceId) -> bool {
        self.services.is_empty() || self.services.contains(&service)
    }

    /// When the page's openings may start and must have started by: from the minimum notice
    /// after `now`, for `days_ahead` days.
    pub fn window(&self, now_ms: i64) -> (i64, i64) {
        (now_ms + self.min_notice_minutes * 60_000, now_ms + self.days_ahead * 86_400_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_tidied() {
        let id = ServiceId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6a").unwrap();
        let ok = BookingPageSettings { services: vec![id, id], ..Default::default() }.validate().unwrap();
        assert_eq!(ok.services, vec![id]);
        assert!(ok.offers(id));
        let other = ServiceId::parse("0190f8a5-8f3e-7c2b-9a6d-1f2e3d4c5b6b").unwrap();
        assert!(!ok.offers(other));
        assert!(BookingPageSettings::default().offers(other), "no list: every service");

        let far = BookingPageSettings { days_ahead: 61, ..Default::default() }.validate().unwrap_err();
        assert_eq!(far.field, "days_ahead");
        let none = BookingPageSettings { days_ahead: 0, ..Default::default() }.validate().unwrap_err();
        assert_eq!(none.field, "days_ahead");
        let notice = BookingPageSettings { min_notice_minutes: -1, ..Default::default() }.validate().unwrap_err();
        assert_eq!(notice.field, "min_notice_minutes");
    }

    #[test]
    fn the_window_runs_from_the_notice_for_the_days_ahead() {
        let settings = BookingPageSettings { days_ahead: 2, min_notice_minutes: 90, ..Default::default() };
        assert_eq!(settings.window(1_000), (1_000 + 90 * 60_000, 1_000 + 2 * 86_400_000));
    }
}
