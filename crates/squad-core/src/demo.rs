//! The demo business: an HVAC and plumbing shop in Springfield, IL. `opsquad demo` creates it and
//! `opsquad eval` measures the squad against it.

use domain::catalog::{Pricing, ServiceInput, TechnicianInput};

use crate::tools::qualify::OrgContext;

pub const NAME: &str = "Springfield Comfort & Plumbing";
pub const OWNER_EMAIL: &str = "owner@demo.opsquad.test";
pub const TIME_ZONE: &str = "America/Chicago";

/// ZIP codes served: Springfield, IL.
pub fn service_zips() -> Vec<String> {
    (62701..=62712).map(|z| z.to_string()).collect()
}

fn service(
    name: &str,
    pricing: Pricing,
    price_cents: i64,
    minutes: i64,
    emergency_fee_cents: i64,
    skill: &str,
) -> ServiceInput {
    ServiceInput {
        name: name.to_owned(),
        pricing,
        price_cents,
        duration_minutes: minutes,
        emergency_fee_cents,
        taxable: true,
        skill: Some(skill.to_owned()),
        active: true,
        kind_name: None,
        trade: None,
        words: Vec::new(),
    }
}

/// The price list.
pub fn services() -> Vec<ServiceInput> {
    vec![
        service("AC repair", Pricing::Hourly, 12_500, 120, 9_900, "ac_repair"),
        service("Furnace repair", Pricing::Hourly, 12_500, 120, 9_900, "furnace_repair"),
        service("Heating & cooling tune-up", Pricing::Flat, 11_900, 90, 0, "hvac_maintenance"),
        service("System replacement estimate", Pricing::Flat, 0, 60, 0, "hvac_install"),
        service("Water heater service", Pricing::Flat, 18_900, 120, 9_900, "water_heater"),
        service("Drain cleaning", Pricing::Flat, 14_900, 60, 7_500, "drain_cleaning"),
        service("Leak repair", Pricing::Hourly, 11_000, 90, 9_900, "leak_repair"),
    ]
}

fn technician(name: &str, skills: &[&str]) -> TechnicianInput {
    TechnicianInput {
        name: name.to_owned(),
        email: None,
        phone: None,
        skills: skills.iter().map(|s| (*s).to_owned()).collect(),
        working_hours: None,
        calendar_id: None,
        active: true,
    }
}

pub fn technicians() -> Vec<TechnicianInput> {
    vec![
        technician("Ana Ortiz", &["ac_repair", "furnace_repair", "hvac_maintenance", "hvac_install"]),
        technician("Ben Carter", &["water_heater", "drain_cleaning", "leak_repair"]),
        technician("Chris Nguyen", &["furnace_repair", "hvac_maintenance", "water_heater", "leak_repair"]),
    ]
}

/// The demo shop's price list as the squad is told it.
pub fn price_list() -> crate::price_list::PriceList {
    let services = services();
    crate::price_list::PriceList::new(
        services.iter().filter_map(|s| s.skill.as_deref().map(|key| (s.name.as_str(), key))),
        &[],
    )
}

/// What `qualify_lead` knows about the demo shop.
pub fn org_context() -> OrgContext {
    OrgContext {
        area: domain::catalog::ServiceArea { zip_codes: service_zips(), ..Default::default() },
        price_list: price_list(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_catalog_is_valid() {
        for service in super::services() {
            service.validate().unwrap();
        }
        for tech in super::technicians() {
            tech.validate().unwrap();
        }
        assert!(domain::schedule::TimeZone::parse(super::TIME_ZONE).is_ok());
    }
}
