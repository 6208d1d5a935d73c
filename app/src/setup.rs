//! How the business is set up, as the wizard and the settings page edit it: server functions
//! that validate on the server (errors name the form field), save in one transaction with an
//! audit-log entry, and — from the wizard — save which step comes next.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::UiError;

pub use domain::setup::{next_step, step_index, STEPS};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    /// `mon` … `sun`.
    pub day: String,
    pub open: String,
    pub close: String,
    pub closed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLine {
    pub id: String,
    pub name: String,
    pub price: String,
    /// The price as the edit form's field holds it ("149.00").
    pub price_amount: String,
    pub duration_minutes: i64,
    pub emergency_fee: String,
    pub taxable: bool,
    /// The work-catalogue key of the kind of work (`domain::work`).
    pub skill: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianLine {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub skills: Vec<String>,
}

/// One escalation kind's timeout as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeoutLine {
    pub kind: String,
    pub label: String,
    /// `wait`, `approve` or `reject`.
    pub fallback: String,
    pub after_hours: String,
}

/// The guardrails (`require_approval` or `block` each) and escalation timeouts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoliciesView {
    pub discounts: String,
    pub new_payment_address: String,
    pub booking_outside_rules: String,
    pub timeouts: Vec<TimeoutLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub who: String,
    pub what: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupView {
    pub step: String,
    pub can_change_budgets: bool,
    pub business_name: String,
    pub time_zone: String,
    pub hours: Vec<DayHours>,
    /// `YYYY-MM-DD`, comma separated.
    pub holidays: String,
    pub zip_codes: String,
    pub center_zip: String,
    pub radius_miles: String,
    pub services: Vec<ServiceLine>,
    pub technicians: Vec<TechnicianLine>,
    pub booking_buffer_minutes: i64,
    /// Hours before the visit, comma separated.
    pub reminder_hours: String,
    pub tax_rate_percent: String,
    pub invoice_approval_above: String,
    pub run_budget: String,
    pub daily_budget: String,
    pub policies: PoliciesView,
    pub audit: Vec<AuditLine>,
}

/// "149.50" or "$1,200" in cents; `field` names the input for the error.
pub fn parse_money(field: &str, raw: &str) -> Result<i64, UiError> {
    let cleaned: String = raw.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    let bad = || UiError::validation(field, "Enter an amount like 149 or 149.50.");
    if cleaned.is_empty() {
        return Err(bad());
    }
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

/// Cents as "149.50".
pub fn money_text(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// "8.25" percent in basis points.
pub fn parse_percent(field: &str, raw: &str) -> Result<i64, UiError> {
    parse_money(field, raw).map_err(|_| UiError::validation(field, "Enter a percentage like 8.25."))
}

pub fn parse_whole(field: &str, raw: &str, what: &str) -> Result<i64, UiError> {
    raw.trim().parse().map_err(|_| UiError::validation(field, format!("Enter {what} as a whole number.")))
}

#[cfg(feature = "ssr")]
pub(crate) mod backend {
    use domain::catalog::BusinessSettings;
    use ops::Operation;
    use store::TenantTx;

    use crate::error::UiError;
    use crate::state::{auth_ctx, caller, internal, server_state};

    /// Opens the caller's tenant transaction, for reads.
    pub async fn begin() -> Result<(TenantTx, auth::context::AuthCtx), UiError> {
        let ctx = auth_ctx()?;
        let state = server_state()?;
        let tx = TenantTx::begin(&state.db, &ctx.scope).await.map_err(internal)?;
        Ok((tx, ctx))
    }

    /// Changes one section of the settings through its operation.
    pub async fn change_settings(
        section: Operation,
        action: &str,
        next: Option<&str>,
        change: impl FnOnce(&mut BusinessSettings) -> Result<(), ops::OpsError>,
    ) -> Result<(), UiError> {
        let (db, scope) = caller()?;
        ops::settings::change(&db, &scope, section, action, next, change).await?;
        Ok(())
    }
}

#[server(prefix = "/api", endpoint = "setup", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_setup() -> Result<SetupView, UiError> {
    use domain::schedule::Weekday;
    use domain::Role;
    use store::{audit, orgs, services, settings, technicians};

    use crate::state::{internal, respond};

    respond(
        async move {
            let (mut tx, ctx) = backend::begin().await?;
            let org = orgs::current(&mut tx).await.map_err(internal)?;
            let s = settings::get(&mut tx).await.map_err(internal)?;
            let services = services::list(&mut tx).await.map_err(internal)?;
            let technicians = technicians::list(&mut tx).await.map_err(internal)?;
            let entries = if ops::Operation::ReadAuditLog.allows(ctx.role()) {
                audit::recent(&mut tx, 20).await.map_err(internal)?
            } else {
                Vec::new()
            };
            tx.commit().await.map_err(internal)?;
            let hours = Weekday::ALL
                .iter()
                .map(|day| {
                    let key =
                        serde_json::to_value(day).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
                    match s.weekly_hours.on(*day).first() {
                        Some(i) => {
                            DayHours { day: key, open: i.open.to_string(), close: i.close.to_string(), closed: false }
                        }
                        None => {
                            DayHours { day: key, open: "08:00".to_owned(), close: "17:00".to_owned(), closed: true }
                        }
                    }
                })
                .collect();
            let join = |items: Vec<String>| items.join(", ");
            Ok(SetupView {
                step: org.onboarding_step,
                can_change_budgets: ctx.role() == Role::Owner,
                business_name: org.name,
                time_zone: s.time_zone.as_str().to_owned(),
                hours,
                holidays: join(s.holidays.iter().map(ToString::to_string).collect()),
                zip_codes: join(s.service_area.zip_codes.clone()),
                center_zip: s.service_area.center_zip.clone().unwrap_or_default(),
                radius_miles: s.service_area.radius_miles.map(|r| r.to_string()).unwrap_or_default(),
                services: services
                    .into_iter()
                    .filter(|x| x.active)
                    .map(|x| ServiceLine {
                        id: x.id.to_string(),
                        name: x.name,
                        price: format!(
                            "{}{}",
                            money_text(x.price_cents),
                            if x.pricing.as_str() == "hourly" { "/h" } else { "" }
                        ),
                        price_amount: money_text(x.price_cents),
                        duration_minutes: x.duration_minutes,
                        emergency_fee: money_text(x.emergency_fee_cents),
                        taxable: x.taxable,
                        skill: x.skill,
                    })
                    .collect(),
                technicians: technicians
                    .into_iter()
                    .filter(|t| t.active)
                    .map(|t| TechnicianLine { id: t.id.to_string(), name: t.name, email: t.email, skills: t.skills })
                    .collect(),
                booking_buffer_minutes: s.booking_buffer_minutes,
                reminder_hours: join(s.reminder_offsets_minutes.iter().map(|m| trim_zero(*m as f64 / 60.0)).collect()),
                tax_rate_percent: money_text(s.tax_rate_bps),
                invoice_approval_above: money_text(s.invoice_approval_above_cents),
                run_budget: money_text(s.run_budget_micros / 10_000),
                daily_budget: money_text(s.daily_budget_micros / 10_000),
                policies: policies_view(&s.policies),
                audit: entries
                    .into_iter()
                    .map(|e| AuditLine {
                        who: e
                            .user_email
                            .or_else(|| e.api_key_name.map(|k| format!("API key “{k}”")))
                            .unwrap_or_else(|| "Opsquad".to_owned()),
                        what: e.action,
                        at: s.time_zone.format_local(e.created_at, "%b %-d, %-I:%M %p").unwrap_or_default(),
                    })
                    .collect(),
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn policies_view(policies: &domain::policy::Policies) -> PoliciesView {
    let g = &policies.guardrails;
    PoliciesView {
        discounts: g.discounts.as_str().to_owned(),
        new_payment_address: g.new_payment_address.as_str().to_owned(),
        booking_outside_rules: g.booking_outside_rules.as_str().to_owned(),
        timeouts: domain::policy::TIMEOUT_KINDS
            .iter()
            .map(|(kind, label)| {
                let timeout = policies.timeout_for(kind);
                TimeoutLine {
                    kind: (*kind).to_owned(),
                    label: (*label).to_owned(),
                    fallback: timeout.map_or("wait", |t| t.fallback.as_str()).to_owned(),
                    after_hours: timeout.map_or_else(|| "24".to_owned(), |t| t.after_hours.to_string()),
                }
            })
            .collect(),
    }
}

#[cfg(feature = "ssr")]
fn trim_zero(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[server(prefix = "/api", endpoint = "setup/profile")]
pub async fn save_profile(business_name: String, time_zone: String, next: Option<String>) -> Result<(), UiError> {
    use domain::schedule::TimeZone;
    use domain::OrgName;

    use crate::state::{caller, respond, sentence};

    respond(
        async move {
            let name = OrgName::parse(&business_name)
                .map_err(|e| UiError::validation("business_name", sentence(&e.to_string())))?;
            let zone = TimeZone::parse(&time_zone)
                .map_err(|_| UiError::validation("time_zone", "Choose a time zone from the list."))?;
            let (db, scope) = caller()?;
            Ok(ops::settings::change_profile(&db, &scope, &name, zone, next.as_deref()).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "setup/hours", input = leptos::server_fn::codec::Json)]
pub async fn save_hours(days: Vec<DayHours>, holidays: String, next: Option<String>) -> Result<(), UiError> {
    use std::collections::BTreeMap;

    use domain::schedule::{Interval, TimeOfDay, Weekday, WeeklyHours};

    use crate::state::respond;

    respond(
        async move {
            let mut week = BTreeMap::new();
            for day in days.iter().filter(|d| !d.closed) {
                let weekday = Weekday::from_key(&day.day)
                    .ok_or_else(|| UiError::validation("hours", "Unknown day of the week."))?;
                let field = format!("hours-{}", day.day);
                let time = |raw: &str| {
                    TimeOfDay::parse(raw).map_err(|_| UiError::validation(&field, "Use times like 08:00 and 17:30."))
                };
                let (open, close) = (time(&day.open)?, time(&day.close)?);
                if close <= open {
                    return Err(UiError::validation(&field, format!("{weekday} closes before it opens.")));
                }
                week.insert(weekday, vec![Interval { open, close }]);
            }
            let hours = WeeklyHours::new(week).map_err(|e| UiError::validation("hours", e.to_string()))?;
            if hours.is_empty() {
                return Err(UiError::validation("hours", "Open at least one day, or the squad can never book."));
            }
            let mut dates = Vec::new();
            for raw in holidays.split([',', '\n']).map(str::trim).filter(|d| !d.is_empty()) {
                let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| UiError::validation("holidays", format!("“{raw}” is not a date like 2026-12-25.")))?;
                dates.push(date);
            }
            backend::change_settings(ops::Operation::ChangeBusinessDetails, "hours updated", next.as_deref(), |s| {
                s.weekly_hours = hours;
                s.holidays = dates;
                Ok(())
            })
            .await
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "setup/area")]
pub async fn save_area(
    zip_codes: String,
    center_zip: String,
    radius_miles: String,
    next: Option<String>,
) -> Result<(), UiError> {
    use domain::catalog::ServiceArea;

    use crate::state::respond;

    respond(
        async move {
            let zips: Vec<String> =
                zip_codes.split([',', ' ', '\n']).map(str::trim).filter(|z| !z.is_empty()).map(str::to_owned).collect();
            let center = Some(center_zip.trim().to_owned()).filter(|c| !c.is_empty());
            let radius =
                match radius_miles.trim() {
                    "" => None,
                    raw => Some(raw.parse::<u32>().map_err(|_| {
                        UiError::validation("radius_miles", "Enter the radius in whole miles, like 25.")
                    })?),
                };
            match (&center, radius) {
                (Some(_), None) => {
                    return Err(UiError::validation("radius_miles", "Give a radius for the centre ZIP code."))
                }
                (None, Some(_)) => {
                    return Err(UiError::validation("center_zip", "Give the ZIP code the radius is around."))
                }
                _ => {}
            }
            if zips.is_empty() && center.is_none() {
                return Err(UiError::validation("zip_codes", "List the ZIP codes you serve, or a radius around one."));
            }
            backend::change_settings(
                ops::Operation::ChangeBusinessDetails,
                "service area updated",
                next.as_deref(),
                |s| {
                    s.service_area = ServiceArea { zip_codes: zips, center_zip: center, radius_miles: radius };
                    Ok(())
                },
            )
            .await
        }
        .await,
    )
}

/// "Is 12345 inside?" against the saved area, in words.
#[server(prefix = "/api", endpoint = "setup/check-area")]
pub async fn check_area(zip: String) -> Result<String, UiError> {
    use crate::state::{internal, respond};

    respond(
        async move {
            let zip = zip.trim().to_owned();
            if zip.len() != 5 || !zip.chars().all(|c| c.is_ascii_digit()) {
                return Err(UiError::validation("zip", "Enter a 5-digit ZIP code."));
            }
            let (mut tx, _) = backend::begin().await?;
            let settings = store::settings::get(&mut tx).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let check = squad::tools::service_area::check_service_area(&settings.service_area, Some(&zip));
            let distance = check.distance_miles.map(|d| format!(" ({d} miles from the centre)")).unwrap_or_default();
            Ok(match check.inside {
                Some(true) => format!("Yes, {zip} is inside your service area{distance}."),
                Some(false) => format!("No, {zip} is outside your service area{distance}."),
                None if check.by == "not_configured" => "Save a service area first.".to_owned(),
                None => format!("We don't know where {zip} is; the squad will ask you about it."),
            })
        }
        .await,
    )
}

/// The kind of work a service form chose: a key of the work catalogue.
#[cfg(feature = "ssr")]
fn chosen_kind(skill: &str) -> Result<String, UiError> {
    match domain::work::find(skill.trim()) {
        Some(kind) => Ok(kind.key.to_owned()),
        None => Err(UiError::validation("skill", "Choose the kind of work, so the squad can match customers to it.")),
    }
}

/// Adds a service from the form (a form posts flat fields, one argument each).
#[server(prefix = "/api", endpoint = "setup/services/add")]
#[allow(clippy::too_many_arguments)]
pub async fn add_service(
    name: String,
    pricing: String,
    price: String,
    duration_minutes: String,
    emergency_fee: String,
    skill: String,
    own_kind: Option<String>,
    own_trade: Option<String>,
    own_words: Option<String>,
    taxable: Option<String>,
) -> Result<(), UiError> {
    use domain::catalog::{Pricing, ServiceInput};
    use domain::work::Trade;

    use crate::error::Problems;
    use crate::state::{caller, respond};

    respond(
        async move {
            // Every problem the form can have, found at once.
            let mut problems = Problems::default();
            if name.trim().is_empty() {
                problems.note("name", "Give the service a name.");
            }
            let pricing = problems.check(
                Pricing::parse(&pricing).ok_or_else(|| UiError::validation("pricing", "Choose flat or hourly.")),
            )?;
            // A kind of work of the shop's own, described in the form, or one from the catalogue.
            let (own_kind, own_trade, own_words) =
                (own_kind.unwrap_or_default(), own_trade.unwrap_or_default(), own_words.unwrap_or_default());
            let own = !own_kind.trim().is_empty();
            let skill = match (own, skill.trim().is_empty()) {
                (true, false) => {
                    problems.note("skill", "Choose a kind of work from the catalogue or describe your own, not both.");
                    None
                }
                (true, true) => Some(None),
                (false, _) => problems.check(chosen_kind(&skill).map(Some))?,
            };
            let trade = if own {
                problems.check(
                    Trade::parse(own_trade.trim())
                        .map(Some)
                        .ok_or_else(|| UiError::validation("own_trade", "Choose the trade.")),
                )?
            } else {
                Some(None)
            };
            let price_cents = problems.check(parse_money("price", &price))?;
            let duration_minutes =
                problems.check(parse_whole("duration_minutes", &duration_minutes, "the duration in minutes"))?;
            let emergency_fee_cents = problems.check(emergency_fee_cents(&emergency_fee))?;
            problems.finish()?;
            let (
                Some(pricing),
                Some(skill),
                Some(trade),
                Some(price_cents),
                Some(duration_minutes),
                Some(emergency_fee_cents),
            ) = (pricing, skill, trade, price_cents, duration_minutes, emergency_fee_cents)
            else {
                return Err(crate::state::internal("a service field passed its check without a value"));
            };
            let input = ServiceInput {
                name,
                pricing,
                price_cents,
                duration_minutes,
                emergency_fee_cents,
                taxable: taxable.is_some(),
                skill,
                active: true,
                kind_name: own.then(|| own_kind.trim().to_owned()),
                trade,
                words: if own {
                    own_words.split(',').map(str::trim).filter(|w| !w.is_empty()).map(str::to_owned).collect()
                } else {
                    Vec::new()
                },
            };
            let (db, scope) = caller()?;
            ops::catalog::create_service(&db, &scope, input).await.map_err(service_form_error)?;
            Ok(())
        }
        .await,
    )
}

/// A price-list error named by the service form's field.
#[cfg(feature = "ssr")]
fn service_form_error(err: ops::OpsError) -> UiError {
    match UiError::from(err) {
        UiError::Validation { field, message } => {
            let field = match field.as_str() {
                "price_cents" => "price",
                "emergency_fee_cents" => "emergency_fee",
                "skills" => "skill",
                "kind_name" => "own_kind",
                "trade" => "own_trade",
                "words" => "own_words",
                other => other,
            };
            UiError::Validation { field: field.to_owned(), message }
        }
        other => other,
    }
}

/// The emergency fee as the form sends it: blank is none.
#[cfg(feature = "ssr")]
fn emergency_fee_cents(raw: &str) -> Result<i64, UiError> {
    if raw.trim().is_empty() {
        Ok(0)
    } else {
        parse_money("emergency_fee", raw)
    }
}

/// Changes a service on the price list: name, price, duration, emergency fee and tax.
#[server(prefix = "/api", endpoint = "setup/services/edit")]
pub async fn edit_service(
    id: String,
    name: String,
    price: String,
    duration_minutes: String,
    emergency_fee: String,
    taxable: Option<String>,
) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let id = domain::ServiceId::parse(&id).map_err(|_| UiError::NotFound)?;
            let edit = ops::catalog::ServiceEdit {
                name,
                price_cents: parse_money("price", &price)?,
                duration_minutes: parse_whole("duration_minutes", &duration_minutes, "the duration in minutes")?,
                emergency_fee_cents: emergency_fee_cents(&emergency_fee)?,
                taxable: taxable.is_some(),
            };
            let (db, scope) = caller()?;
            ops::catalog::edit_service(&db, &scope, id, edit).await.map_err(service_form_error)?;
            Ok(())
        }
        .await,
    )
}

/// Changes a technician's name, email and the kinds of work they are sent for.
#[server(prefix = "/api", endpoint = "setup/technicians/edit")]
pub async fn edit_technician(id: String, name: String, email: String, skills: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let id = domain::TechnicianId::parse(&id).map_err(|_| UiError::NotFound)?;
            let email = Some(email.trim().to_owned()).filter(|e| !e.is_empty());
            let skills = skills.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
            let (db, scope) = caller()?;
            ops::catalog::edit_technician(&db, &scope, id, name, email, skills).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "setup/services/remove")]
pub async fn remove_service(id: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let id = domain::ServiceId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            Ok(ops::catalog::delete_service(&db, &scope, id).await?)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "setup/technicians/add")]
pub async fn add_technician(name: String, email: String, skills: String) -> Result<(), UiError> {
    use domain::catalog::TechnicianInput;

    use crate::state::{caller, respond};

    respond(
        async move {
            // The name and the email together, so both problems show at once.
            let mut problems = crate::error::Problems::default();
            if name.trim().is_empty() {
                problems.note("name", "Give the technician's name.");
            }
            if !email.trim().is_empty() {
                problems.check(
                    domain::Email::parse(&email)
                        .map_err(|e| UiError::validation("email", crate::state::sentence(&e.to_string()))),
                )?;
            }
            problems.finish()?;
            let input = TechnicianInput {
                name,
                email: Some(email.trim().to_owned()).filter(|e| !e.is_empty()),
                phone: None,
                skills: skills.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
                working_hours: None,
                calendar_id: None,
                active: true,
            };
            let (db, scope) = caller()?;
            ops::catalog::create_technician(&db, &scope, input).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "setup/technicians/remove")]
pub async fn remove_technician(id: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let id = domain::TechnicianId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            Ok(ops::catalog::delete_technician(&db, &scope, id).await?)
        }
        .await,
    )
}

/// Booking buffer, reminders, tax, the invoice approval threshold and the squad's budgets.
#[server(prefix = "/api", endpoint = "setup/operations")]
pub async fn save_operations(
    booking_buffer_minutes: String,
    reminder_hours: String,
    tax_rate_percent: String,
    invoice_approval_above: String,
    run_budget: String,
    daily_budget: String,
) -> Result<(), UiError> {
    use crate::state::respond;

    respond(
        async move {
            let buffer = parse_whole("booking_buffer_minutes", &booking_buffer_minutes, "the buffer in minutes")?;
            let mut reminders = Vec::new();
            for raw in reminder_hours.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                let hours: f64 =
                    raw.parse().ok().filter(|h: &f64| h.is_finite() && *h > 0.0).ok_or_else(|| {
                        UiError::validation("reminder_hours", "List hours before the visit, like 24, 1.")
                    })?;
                reminders.push((hours * 60.0).round() as i64);
            }
            let tax = parse_percent("tax_rate_percent", &tax_rate_percent)?;
            let threshold = parse_money("invoice_approval_above", &invoice_approval_above)?;
            let run = parse_money("run_budget", &run_budget)?.saturating_mul(10_000);
            let daily = parse_money("daily_budget", &daily_budget)?.saturating_mul(10_000);
            // Budgets and the approval threshold are the owner's: the operation refuses staff when
            // they differ from what is saved.
            backend::change_settings(ops::Operation::ChangeBusinessDetails, "operations updated", None, |s| {
                s.booking_buffer_minutes = buffer;
                s.reminder_offsets_minutes = reminders;
                s.tax_rate_bps = tax;
                s.invoice_approval_above_cents = threshold;
                s.run_budget_micros = run;
                s.daily_budget_micros = daily;
                Ok(())
            })
            .await
            .map_err(|e| match e {
                UiError::Validation { field, message } => {
                    let field = match field.as_str() {
                        "reminder_offsets_minutes" => "reminder_hours",
                        "tax_rate_bps" => "tax_rate_percent",
                        "invoice_approval_above_cents" => "invoice_approval_above",
                        "run_budget_micros" => "run_budget",
                        "daily_budget_micros" => "daily_budget",
                        other => other,
                    };
                    UiError::Validation { field: field.to_owned(), message }
                }
                other => other,
            })
        }
        .await,
    )
}

/// The guardrails and, per escalation kind, what happens when nobody decides in time. Only the
/// owner may change them: they decide what the squad may do with customers' money.
#[server(prefix = "/api", endpoint = "setup/policies")]
#[allow(clippy::too_many_arguments)]
pub async fn save_policies(
    discounts: String,
    new_payment_address: String,
    booking_outside_rules: String,
    approval_fallback: String,
    approval_after_hours: String,
    manipulation_fallback: String,
    manipulation_after_hours: String,
    limit_fallback: String,
    limit_after_hours: String,
    language_fallback: String,
    language_after_hours: String,
) -> Result<(), UiError> {
    use domain::policy::{EscalationTimeout, Fallback, GuardAction};

    use crate::state::{auth_ctx, respond};

    respond(
        async move {
            // Refused before reading the form, so staff learn at once that this is not theirs.
            ops::permissions::require(&auth_ctx()?.scope, ops::Operation::ChangeGuardrails)?;
            let guard = |field: &str, raw: &str| {
                GuardAction::parse(raw)
                    .ok_or_else(|| UiError::validation(field, "Choose \"Ask me first\" or \"Never\"."))
            };
            let discounts = guard("discounts", &discounts)?;
            let new_payment_address = guard("new_payment_address", &new_payment_address)?;
            let booking_outside_rules = guard("booking_outside_rules", &booking_outside_rules)?;
            let mut timeouts = std::collections::BTreeMap::new();
            for (kind, fallback, hours) in [
                ("approval", approval_fallback, approval_after_hours),
                ("manipulation", manipulation_fallback, manipulation_after_hours),
                ("limit", limit_fallback, limit_after_hours),
                ("language", language_fallback, language_after_hours),
            ] {
                if fallback == "wait" {
                    continue;
                }
                let fallback = Fallback::parse(&fallback).ok_or_else(|| {
                    UiError::validation(&format!("{kind}_fallback"), "Choose wait, approve or reject.")
                })?;
                let field = format!("{kind}_after_hours");
                let after_hours = parse_whole(&field, &hours, "the hours")?;
                if !(1..=720).contains(&after_hours) {
                    return Err(UiError::validation(&field, "Between 1 and 720 hours (30 days)."));
                }
                timeouts.insert(kind.to_owned(), EscalationTimeout { after_hours, fallback });
            }
            backend::change_settings(ops::Operation::ChangeGuardrails, "approval rules updated", None, |s| {
                s.policies.guardrails.discounts = discounts;
                s.policies.guardrails.new_payment_address = new_payment_address;
                s.policies.guardrails.booking_outside_rules = booking_outside_rules;
                s.policies.escalation_timeouts = timeouts;
                Ok(())
            })
            .await
        }
        .await,
    )
}

/// Moves the wizard on (or back) without saving a form: the list steps, skipping the
/// connections, finishing. Leaving the price list or the technicians needs at least one.
#[server(prefix = "/api", endpoint = "setup/step")]
pub async fn go_to_step(from: String, to: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            Ok(ops::setup::go_to_step(&db, &scope, &from, &to).await?)
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_read_the_way_people_write_it() {
        assert_eq!(parse_money("p", "149"), Ok(14_900));
        assert_eq!(parse_money("p", "$1,200.5"), Ok(120_050));
        assert_eq!(parse_money("p", "0.07"), Ok(7));
        for bad in ["", "abc", "1.234", "-5", "1.2.3", "$"] {
            assert!(parse_money("p", bad).unwrap_err().for_field("p").is_some(), "{bad}");
        }
        assert_eq!(money_text(120_050), "1200.50");
    }
}
