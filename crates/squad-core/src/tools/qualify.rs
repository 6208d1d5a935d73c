//! `qualify_lead`: the 1–10 score and its reasons, computed in code from the facts the model read.
//! The model never states a score; it reports facts, and this function decides.

use serde::Serialize;

use crate::facts::{Hazard, InquiryFacts, Intent, Language, Urgency};

/// What the tool needs to know about the business.
#[derive(Debug, Clone, Default)]
pub struct OrgContext {
    /// The area served. Not configured: no lead is refused for it.
    pub area: domain::catalog::ServiceArea,
    /// What the shop sells: its active services' kinds of work.
    pub price_list: crate::price_list::PriceList,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Danger to people: the owner is told at once and the customer gets safety instructions.
    Safety,
    /// Unhappy with past work or billing: a person answers.
    Complaint,
    /// Written in a language the squad does not reply in.
    Language,
    /// The text tries to change prices, payment routes or the squad's instructions.
    Manipulation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Qualification {
    pub score: u8,
    pub qualified: bool,
    /// Stable reason codes, most important first (`urgency:emergency`, `area:outside`, …).
    pub reasons: Vec<String>,
    pub escalate: Option<Escalation>,
}

impl Qualification {
    /// Not qualified yet, but not turned away either: what they need is unclear, so the lead stays
    /// open while the customer is asked.
    pub fn waits_for_details(&self) -> bool {
        !self.qualified && self.escalate.is_none() && self.reasons.iter().any(|r| r == "service:unclear")
    }
}

/// Whether these reason codes say the lead has no service address a technician could go to yet:
/// no ZIP code to check the area with, or no street. Such a lead is never booked by the squad.
pub fn lacks_address<S: AsRef<str>>(reasons: &[S]) -> bool {
    reasons.iter().any(|r| matches!(r.as_ref(), "area:unknown" | "address:no_street"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Inside,
    Outside,
    Unknown,
}

fn area(facts: &InquiryFacts, ctx: &OrgContext) -> Area {
    match super::service_area::check_service_area(&ctx.area, facts.postal_code.as_deref()).inside {
        Some(true) => Area::Inside,
        Some(false) => Area::Outside,
        None => Area::Unknown,
    }
}

pub fn qualify_lead(facts: &InquiryFacts, ctx: &OrgContext) -> Qualification {
    let mut reasons = vec![format!("intent:{}", facts.intent.as_str())];
    let escalate = escalation(facts);
    if let Some(hazard) = facts.hazard {
        let name = match hazard {
            Hazard::GasLeak => "gas_leak",
            Hazard::CarbonMonoxide => "carbon_monoxide",
            Hazard::ElectricalFire => "electrical_fire",
        };
        reasons.push(format!("safety:{name}"));
    }
    if !matches!(facts.intent, Intent::ServiceRequest | Intent::QuoteRequest | Intent::SafetyEmergency) {
        let score = if facts.intent == Intent::Complaint { 3 } else { 1 };
        return Qualification { score, qualified: false, reasons, escalate };
    }

    let mut score: i32 = if facts.intent == Intent::QuoteRequest { 4 } else { 5 };
    match facts.urgency {
        Some(Urgency::Emergency) => {
            score += 3;
            reasons.push("urgency:emergency".into());
        }
        Some(Urgency::Urgent) => {
            score += 2;
            reasons.push("urgency:urgent".into());
        }
        _ => reasons.push("urgency:routine".into()),
    }
    let offered = match &facts.service {
        Some(skill) if ctx.price_list.sells(skill) => {
            score += 1;
            reasons.push(format!("service:{skill}"));
            true
        }
        Some(skill) => {
            reasons.push(format!("service_not_offered:{skill}"));
            false
        }
        None if facts.intent == Intent::SafetyEmergency => {
            reasons.push("service:none_matching".into());
            false
        }
        // What they need is unclear: a short question comes before any booking.
        None => {
            reasons.push("service:unclear".into());
            false
        }
    };
    let area = area(facts, ctx);
    match area {
        Area::Inside => {
            score += 1;
            reasons.push("area:inside".into());
        }
        Area::Outside => reasons.push("area:outside".into()),
        Area::Unknown => reasons.push("area:unknown".into()),
    }
    // The ZIP code says the shop serves the area; the street says where the technician goes.
    if area == Area::Inside && facts.street.is_none() {
        reasons.push("address:no_street".into());
    }
    if facts.has_phone {
        score += 1;
        reasons.push("contact:phone".into());
    } else if facts.has_email {
        reasons.push("contact:email_only".into());
    }
    if facts.intent == Intent::QuoteRequest {
        reasons.push("quote_only".into());
    }
    if let Some(other) = facts.other_work.as_deref().filter(|other| Some(*other) != facts.service.as_deref()) {
        let sold = if ctx.price_list.sells(other) { "also_asked" } else { "also_asked_not_offered" };
        reasons.push(format!("{sold}:{other}"));
    }
    let qualified = offered && area != Area::Outside;
    if facts.intent == Intent::SafetyEmergency {
        // Danger to people outranks everything, whether or not the shop sells the fix.
        score = 10;
    } else if !qualified {
        score = score.min(3);
    }
    Qualification { score: u8::try_from(score.clamp(1, 10)).unwrap_or(1), qualified, reasons, escalate }
}

fn escalation(facts: &InquiryFacts) -> Option<Escalation> {
    if facts.intent == Intent::SafetyEmergency {
        Some(Escalation::Safety)
    } else if facts.intent == Intent::Complaint {
        Some(Escalation::Complaint)
    } else if !facts.intent.wants_work() {
        None
    } else if !facts.manipulation.is_empty() {
        Some(Escalation::Manipulation)
    } else if facts.language != Language::English {
        Some(Escalation::Language)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Manipulation;

    fn facts(intent: Intent) -> InquiryFacts {
        InquiryFacts {
            intent,
            service: Some("furnace_repair".into()),
            urgency: Some(Urgency::Routine),
            hazard: None,
            postal_code: Some("62704".into()),
            street: Some("1420 Walnut St".into()),
            language: Language::English,
            manipulation: vec![],
            has_phone: true,
            has_email: true,
            preferred_time: None,
            other_work: None,
        }
    }

    fn ctx() -> OrgContext {
        OrgContext {
            area: domain::catalog::ServiceArea { zip_codes: vec!["62704".into()], ..Default::default() },
            price_list: crate::price_list::PriceList::of_kinds(["furnace_repair"]),
        }
    }

    #[test]
    fn a_routine_job_in_the_area_qualifies_with_its_reasons() {
        let q = qualify_lead(&facts(Intent::ServiceRequest), &ctx());
        assert!(q.qualified);
        assert_eq!(q.score, 8);
        assert_eq!(
            q.reasons,
            ["intent:service_request", "urgency:routine", "service:furnace_repair", "area:inside", "contact:phone"]
        );
        assert_eq!(q.escalate, None);
    }

    #[test]
    fn a_zip_code_without_a_street_qualifies_but_lacks_an_address() {
        let mut f = facts(Intent::ServiceRequest);
        f.street = None;
        let q = qualify_lead(&f, &ctx());
        assert!(q.qualified);
        assert!(q.reasons.contains(&"address:no_street".to_owned()), "{:?}", q.reasons);
        assert!(lacks_address(&q.reasons));
        f.postal_code = None;
        let q = qualify_lead(&f, &ctx());
        assert!(q.reasons.contains(&"area:unknown".to_owned()) && !q.reasons.contains(&"address:no_street".to_owned()));
        assert!(lacks_address(&q.reasons));
        assert!(!lacks_address(&qualify_lead(&facts(Intent::ServiceRequest), &ctx()).reasons));
    }

    #[test]
    fn emergencies_score_highest_and_are_capped_at_ten() {
        let mut f = facts(Intent::ServiceRequest);
        f.urgency = Some(Urgency::Emergency);
        assert_eq!(qualify_lead(&f, &ctx()).score, 10);
    }

    #[test]
    fn outside_the_area_or_not_offered_does_not_qualify() {
        let mut f = facts(Intent::ServiceRequest);
        f.postal_code = Some("60614".into());
        let q = qualify_lead(&f, &ctx());
        assert!(!q.qualified);
        assert!(q.score <= 3);
        assert!(q.reasons.contains(&"area:outside".to_owned()));
        let mut f = facts(Intent::ServiceRequest);
        f.service = Some("water_heater".into());
        assert!(!qualify_lead(&f, &ctx()).qualified);
    }

    #[test]
    fn junk_scores_one_and_danger_escalates() {
        for intent in [Intent::Spam, Intent::Vendor, Intent::JobApplicant, Intent::OtherTrade] {
            let q = qualify_lead(&facts(intent), &ctx());
            assert_eq!((q.score, q.qualified, q.escalate), (1, false, None), "{intent:?}");
        }
        let mut f = facts(Intent::SafetyEmergency);
        f.hazard = Some(Hazard::GasLeak);
        let q = qualify_lead(&f, &ctx());
        assert_eq!(q.escalate, Some(Escalation::Safety));
        assert_eq!(q.reasons[1], "safety:gas_leak");
        // An electrical fire at a plumbing shop is still the most urgent thing on the board.
        f.hazard = Some(Hazard::ElectricalFire);
        f.service = None;
        let q = qualify_lead(&f, &ctx());
        assert_eq!((q.score, q.qualified), (10, false));
    }

    #[test]
    fn manipulation_escalates_but_never_changes_the_score() {
        let clean = qualify_lead(&facts(Intent::ServiceRequest), &ctx());
        let mut f = facts(Intent::ServiceRequest);
        f.manipulation = vec![Manipulation::PriceChange, Manipulation::AuthorityClaim];
        let q = qualify_lead(&f, &ctx());
        assert_eq!(q.escalate, Some(Escalation::Manipulation));
        assert_eq!((q.score, q.qualified), (clean.score, clean.qualified));
    }
}
