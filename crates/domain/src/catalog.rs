//! What a business sells and who does the work, plus its operating settings — validated inputs.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::schedule::{TimeZone, WeeklyHours};

/// A problem with one field of an input, named so a form or API client can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

pub(crate) fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), message: message.into() }
}

pub(crate) fn check_range(name: &str, value: i64, min: i64, max: i64) -> Result<(), FieldError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(field(name, format!("must be between {min} and {max}")))
    }
}

/// A skill tag like `furnace_repair`: lower-case letters, digits and underscores. The kinds of
/// work a shop can sell are the work catalogue's keys (`crate::work`).
pub fn parse_skill(raw: &str) -> Result<String, FieldError> {
    let skill = raw.trim().to_lowercase().replace([' ', '-'], "_");
    let ok = !skill.is_empty()
        && skill.len() <= 40
        && skill.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(skill)
    } else {
        Err(field("skills", format!("`{}` is not a skill name (letters, digits, _)", raw.trim())))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pricing {
    /// One price per job.
    Flat,
    /// `price_cents` per hour of `duration_minutes`.
    Hourly,
}

impl Pricing {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Flat => "flat",
            Self::Hourly => "hourly",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "flat" => Some(Self::Flat),
            "hourly" => Some(Self::Hourly),
            _ => None,
        }
    }
}

/// A price-list entry as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    pub pricing: Pricing,
    pub price_cents: i64,
    pub duration_minutes: i64,
    #[serde(default)]
    pub emergency_fee_cents: i64,
    #[serde(default = "yes")]
    pub taxable: bool,
    #[serde(default)]
    pub skill: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
    /// A kind of work of the shop's own, defined with the service (instead of `skill`): its name,
    /// trade and the words customers use for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade: Option<crate::work::Trade>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

fn yes() -> bool {
    true
}

impl ServiceInput {
    /// Trims and checks every field; returns the normalised input.
    pub fn validate(mut self) -> Result<Self, FieldError> {
        self.name = crate::PersonName::parse(&self.name).map_err(|e| field("name", e.to_string()))?.to_string();
        check_range("price_cents", self.price_cents, 0, 100_000_000)?;
        check_range("duration_minutes", self.duration_minutes, 15, 24 * 60)?;
        check_range("emergency_fee_cents", self.emergency_fee_cents, 0, 100_000_000)?;
        // An empty skill means none; anything else must name a kind of work.
        self.skill = self
            .skill
            .filter(|s| !s.is_empty())
            .map(|s| parse_skill(&s))
            .transpose()
            .map_err(|e| field("skill", e.message))?;
        if let Some(kind) = self.shop_kind()? {
            if self.skill.is_some() {
                return Err(field("skill", "give either `skill` (a kind from the catalogue) or `kind_name`, not both"));
            }
            self.kind_name = Some(kind.name);
            self.words = kind.words;
            self.skill = Some(kind.key);
            return Ok(self);
        }
        if self.trade.is_some() || !self.words.is_empty() {
            return Err(field("kind_name", "`trade` and `words` describe a kind of work of your own: name it too"));
        }
        let unknown = |skill: &&str| crate::work::find(skill).is_none() && !skill.starts_with(crate::work::SHOP_PREFIX);
        if let Some(skill) = self.skill.as_deref().filter(unknown) {
            return Err(field(
                "skill",
                format!("`{skill}` is not a kind of work in the catalogue; GET /api/v1/work-kinds lists them"),
            ));
        }
        Ok(self)
    }
}

impl ServiceInput {
    /// The shop's own kind of work this service defines, if it names one.
    pub fn shop_kind(&self) -> Result<Option<crate::work::ShopKind>, FieldError> {
        let Some(name) = self.kind_name.as_deref() else { return Ok(None) };
        let trade = self.trade.ok_or_else(|| field("trade", "say which trade this kind of work belongs to"))?;
        crate::work::ShopKind::new(name, trade, &self.words).map(Some).map_err(|e| field(e.field, e.message))
    }
}

/// A technician as submitted. Without `working_hours` they work the business's hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechnicianInput {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    #[serde(default)]
    pub working_hours: Option<WeeklyHours>,
    #[serde(default)]
    pub calendar_id: Option<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

impl TechnicianInput {
    pub fn validate(mut self) -> Result<Self, FieldError> {
        self.name = crate::PersonName::parse(&self.name).map_err(|e| field("name", e.to_string()))?.to_string();
        self.email = self
            .email
            .filter(|e| !e.trim().is_empty())
            .map(|e| crate::Email::parse(&e).map(String::from).map_err(|err| field("email", err.to_string())))
            .transpose()?;
        self.phone = self.phone.filter(|p| !p.trim().is_empty()).map(|p| parse_phone(&p)).transpose()?;
        if self.skills.len() > 30 {
            return Err(field("skills", "at most 30 skills"));
        }
        let mut skills = self.skills.iter().map(|s| parse_skill(s)).collect::<Result<Vec<_>, _>>()?;
        skills.sort();
        skills.dedup();
        self.skills = skills;
        self.calendar_id = self.calendar_id.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        if self.calendar_id.as_ref().is_some_and(|c| c.len() > 200) {
            return Err(field("calendar_id", "at most 200 characters"));
        }
        Ok(self)
    }
}

/// A phone number as people write it: 7–15 digits, optionally with +, spaces, dots, dashes and
/// parentheses. Kept as written, trimmed.
pub fn parse_phone(raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    let digits = raw.chars().filter(char::is_ascii_digit).count();
    let allowed = raw.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if !allowed || !(7..=15).contains(&digits) {
        return Err(field("phone", "enter a phone number with 7 to 15 digits"));
    }
    Ok(raw.to_owned())
}

/// A phone number in E.164 (`+12175550142`), from how people and carriers write it. Ten digits
/// (or eleven starting with 1) are a North American number; anything else must carry its `+`.
pub fn e164(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c)) {
        return None;
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let international = raw.starts_with('+');
    let number = match digits.len() {
        10 if !international => format!("+1{digits}"),
        11 if !international && digits.starts_with('1') => format!("+{digits}"),
        8..=15 if international => format!("+{digits}"),
        _ => return None,
    };
    (!number.starts_with("+0")).then_some(number)
}

/// Where the business works: listed ZIP codes and/or a radius around a ZIP.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceArea {
    #[serde(default)]
    pub zip_codes: Vec<String>,
    #[serde(default)]
    pub center_zip: Option<String>,
    #[serde(default)]
    pub radius_miles: Option<u32>,
}

fn parse_zip(name: &str, raw: &str) -> Result<String, FieldError> {
    let zip = raw.trim();
    let five = zip.get(..5).unwrap_or(zip);
    let ok = five.len() == 5 && five.chars().all(|c| c.is_ascii_digit()) && (zip.len() == 5 || zip.len() == 10);
    if ok {
        Ok(five.to_owned())
    } else {
        Err(field(name, format!("`{zip}` is not a US ZIP code")))
    }
}

const CURRENCIES: [&str; 5] = ["USD", "CAD", "EUR", "GBP", "AUD"];
const TONES: [&str; 3] = ["friendly", "professional", "concise"];

/// A business's operating settings, replaced as a whole by `PUT /api/v1/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessSettings {
    pub time_zone: TimeZone,
    pub weekly_hours: WeeklyHours,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    #[serde(default)]
    pub service_area: ServiceArea,
    pub booking_buffer_minutes: i64,
    pub reminder_offsets_minutes: Vec<i64>,
    pub tone: String,
    pub currency: String,
    pub tax_rate_bps: i64,
    pub payment_terms_days: i64,
    pub run_budget_micros: i64,
    pub daily_budget_micros: i64,
    /// Invoices above this total wait for the owner's approval (0: every invoice does).
    #[serde(default = "default_invoice_approval")]
    pub invoice_approval_above_cents: i64,
    /// Guardrails and escalation timeouts.
    #[serde(default)]
    pub policies: crate::policy::Policies,
}

fn default_invoice_approval() -> i64 {
    100_000
}

impl BusinessSettings {
    pub fn validate(mut self) -> Result<Self, FieldError> {
        if self.holidays.len() > 400 {
            return Err(field("holidays", "at most 400 dates"));
        }
        self.holidays.sort();
        self.holidays.dedup();
        if self.service_area.zip_codes.len() > 2000 {
            return Err(field("service_area.zip_codes", "at most 2000 ZIP codes"));
        }
        let mut zips = self
            .service_area
            .zip_codes
            .iter()
            .map(|z| parse_zip("service_area.zip_codes", z))
            .collect::<Result<Vec<_>, _>>()?;
        zips.sort();
        zips.dedup();
        self.service_area.zip_codes = zips;
        self.service_area.center_zip =
            self.service_area.center_zip.as_deref().map(|z| parse_zip("service_area.center_zip", z)).transpose()?;
        match (&self.service_area.center_zip, self.service_area.radius_miles) {
            (Some(_), Some(r)) if (1..=250).contains(&r) => {}
            (Some(_), Some(_)) => return Err(field("service_area.radius_miles", "must be between 1 and 250")),
            (None, None) => {}
            _ => return Err(field("service_area", "give both center_zip and radius_miles, or neither")),
        }
        check_range("booking_buffer_minutes", self.booking_buffer_minutes, 0, 240)?;
        if self.reminder_offsets_minutes.len() > 4 {
            return Err(field("reminder_offsets_minutes", "at most 4 reminders"));
        }
        for offset in &self.reminder_offsets_minutes {
            check_range("reminder_offsets_minutes", *offset, 5, 7 * 24 * 60)?;
        }
        self.reminder_offsets_minutes.sort_unstable_by(|a, b| b.cmp(a));
        self.reminder_offsets_minutes.dedup();
        if !TONES.contains(&self.tone.as_str()) {
            return Err(field("tone", format!("choose one of {}", TONES.join(", "))));
        }
        self.currency = self.currency.trim().to_uppercase();
        if !CURRENCIES.contains(&self.currency.as_str()) {
            return Err(field("currency", format!("choose one of {}", CURRENCIES.join(", "))));
        }
        check_range("tax_rate_bps", self.tax_rate_bps, 0, 10_000)?;
        check_range("payment_terms_days", self.payment_terms_days, 0, 120)?;
        check_range("run_budget_micros", self.run_budget_micros, 0, 100_000_000)?;
        check_range("daily_budget_micros", self.daily_budget_micros, 0, 10_000_000_000)?;
        check_range("invoice_approval_above_cents", self.invoice_approval_above_cents, 0, 100_000_000)?;
        self.policies = self.policies.validate().map_err(|e| field(&format!("policies.{}", e.field), e.message))?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> BusinessSettings {
        serde_json::from_value(serde_json::json!({
            "time_zone": "America/Chicago",
            "weekly_hours": { "mon": [{ "open": "08:00", "close": "17:00" }] },
            "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"],
            "service_area": { "zip_codes": ["60601", "60602-1234"] },
            "booking_buffer_minutes": 30,
            "reminder_offsets_minutes": [60, 1440],
            "tone": "friendly",
            "currency": "usd",
            "tax_rate_bps": 825,
            "payment_terms_days": 14,
            "run_budget_micros": 500000,
            "daily_budget_micros": 20000000
        }))
        .unwrap()
    }

    #[test]
    fn numbers_are_written_in_e164() {
        assert_eq!(e164("(217) 555-0142").as_deref(), Some("+12175550142"));
        assert_eq!(e164("1-217-555-0142").as_deref(), Some("+12175550142"));
        assert_eq!(e164("+44 20 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(e164("+12175550142").as_deref(), Some("+12175550142"));
        assert_eq!(e164("555-0142"), None, "too short to dial from anywhere");
        assert_eq!(e164("217 555 0142 ext 3"), None);
        assert_eq!(e164(""), None);
    }

    #[test]
    fn normalises_valid_settings() {
        let s = settings().validate().unwrap();
        assert_eq!(s.currency, "USD");
        assert_eq!(s.holidays.len(), 2);
        assert_eq!(s.service_area.zip_codes, vec!["60601", "60602"]);
        assert_eq!(s.reminder_offsets_minutes, vec![1440, 60]);
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        type Change = Box<dyn Fn(&mut BusinessSettings)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.tax_rate_bps = 20_000), "tax_rate_bps"),
            (Box::new(|s| s.currency = "DOGE".into()), "currency"),
            (Box::new(|s| s.tone = "sarcastic".into()), "tone"),
            (Box::new(|s| s.service_area.zip_codes.push("ABCDE".into())), "service_area.zip_codes"),
            (Box::new(|s| s.service_area.center_zip = Some("60601".into())), "service_area"),
            (Box::new(|s| s.reminder_offsets_minutes = vec![1]), "reminder_offsets_minutes"),
            (Box::new(|s| s.booking_buffer_minutes = -5), "booking_buffer_minutes"),
        ];
        for (change, expected) in cases {
            let mut s = settings();
            change(&mut s);
            assert_eq!(s.validate().unwrap_err().field, expected);
        }
    }

    #[test]
    fn services_and_technicians_are_normalised() {
        let service = ServiceInput {
            name: " Furnace repair ".into(),
            pricing: Pricing::Flat,
            price_cents: 18_900,
            duration_minutes: 120,
            emergency_fee_cents: 9_900,
            taxable: true,
            skill: Some("Furnace Repair".into()),
            active: true,
            kind_name: None,
            trade: None,
            words: Vec::new(),
        }
        .validate()
        .unwrap();
        assert_eq!(service.name, "Furnace repair");
        assert_eq!(service.skill.as_deref(), Some("furnace_repair"));
        let short = ServiceInput { duration_minutes: 5, ..service.clone() };
        assert_eq!(short.validate().unwrap_err().field, "duration_minutes");
        let unknown = ServiceInput { skill: Some("time_travel".into()), ..service.clone() };
        assert_eq!(unknown.validate().unwrap_err().field, "skill");

        let own = ServiceInput {
            skill: None,
            kind_name: Some("Pool heater".into()),
            trade: Some(crate::work::Trade::Plumbing),
            words: vec!["Spa heater".into()],
            ..service.clone()
        }
        .validate()
        .unwrap();
        assert_eq!(own.skill.as_deref(), Some("shop_pool_heater"));
        assert_eq!(own.words, ["pool heater", "spa heater"]);
        let no_trade = ServiceInput { trade: None, ..own.clone() };
        assert_eq!(no_trade.validate().unwrap_err().field, "trade");
        let both = ServiceInput { skill: Some("furnace_repair".into()), ..own.clone() };
        assert_eq!(both.validate().unwrap_err().field, "skill");
        let unnamed = ServiceInput { kind_name: None, skill: None, ..own };
        assert_eq!(unnamed.validate().unwrap_err().field, "kind_name");

        let tech: TechnicianInput =
            serde_json::from_value(serde_json::json!({ "name": "Ana", "skills": ["hvac", "HVAC", "gas-line"] }))
                .unwrap();
        let tech = tech.validate().unwrap();
        assert_eq!(tech.skills, vec!["gas_line", "hvac"]);
        let bad: TechnicianInput =
            serde_json::from_value(serde_json::json!({ "name": "Ana", "skills": ["rm -rf /"] })).unwrap();
        assert_eq!(bad.validate().unwrap_err().field, "skills");
    }
}
