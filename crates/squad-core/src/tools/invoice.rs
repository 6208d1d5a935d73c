//! `generate_invoice`'s arithmetic: every amount is computed here, in integer cents, from the
//! price list. The model never states a price.

use domain::catalog::Pricing;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub description: String,
    /// Thousandths of a unit (hours for hourly work): 1500 is 1.5.
    pub quantity_milli: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
    pub taxable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bill {
    pub lines: Vec<Line>,
    pub subtotal_cents: i64,
    /// Taken off the subtotal before tax (an owner-approved discount).
    pub discount_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
}

#[derive(Debug, Clone)]
pub struct BillInput<'a> {
    pub service_name: &'a str,
    pub pricing: Pricing,
    pub price_cents: i64,
    pub taxable: bool,
    /// How long the job took (the appointment's length).
    pub minutes: i64,
    /// The emergency fee applies when the lead was an emergency.
    pub emergency_fee_cents: Option<i64>,
    pub tax_rate_bps: i64,
    /// An approved discount in basis points of the subtotal (1000 is 10%).
    pub discount_bps: i64,
}

/// `numerator / denominator`, rounded half away from zero, for non-negative amounts.
fn div_round(numerator: i64, denominator: i64) -> i64 {
    (numerator + denominator / 2) / denominator
}

pub fn bill(input: &BillInput<'_>) -> Bill {
    let mut lines = Vec::new();
    match input.pricing {
        Pricing::Flat => lines.push(Line {
            description: input.service_name.to_owned(),
            quantity_milli: 1000,
            unit_price_cents: input.price_cents,
            amount_cents: input.price_cents,
            taxable: input.taxable,
        }),
        Pricing::Hourly => {
            let minutes = input.minutes.max(0);
            lines.push(Line {
                description: format!("{} ({} min)", input.service_name, minutes),
                quantity_milli: div_round(minutes * 1000, 60),
                unit_price_cents: input.price_cents,
                amount_cents: div_round(input.price_cents * minutes, 60),
                taxable: input.taxable,
            });
        }
    }
    if let Some(fee) = input.emergency_fee_cents.filter(|f| *f > 0) {
        lines.push(Line {
            description: "Emergency call-out".to_owned(),
            quantity_milli: 1000,
            unit_price_cents: fee,
            amount_cents: fee,
            taxable: input.taxable,
        });
    }
    let subtotal_cents: i64 = lines.iter().map(|l| l.amount_cents).sum();
    let discount_bps = input.discount_bps.clamp(0, 10_000);
    let discount_cents = div_round(subtotal_cents * discount_bps, 10_000);
    // The discount lowers the taxable part in proportion.
    let taxable: i64 = lines.iter().filter(|l| l.taxable).map(|l| l.amount_cents).sum();
    let taxable_after = taxable - div_round(taxable * discount_bps, 10_000);
    let tax_cents = div_round(taxable_after * input.tax_rate_bps, 10_000);
    Bill { lines, subtotal_cents, discount_cents, tax_cents, total_cents: subtotal_cents - discount_cents + tax_cents }
}

/// "November 3, 2026" in the business's time zone.
pub fn format_date(tz: &domain::schedule::TimeZone, ms: i64) -> Option<String> {
    tz.format_local(ms, "%B %-d, %Y")
}

/// "Tuesday, November 3 at 8:00 AM" in the business's time zone: when a visit is.
pub fn format_visit(tz: &domain::schedule::TimeZone, ms: i64) -> Option<String> {
    tz.format_local(ms, "%A, %B %-d at %-I:%M %p")
}

/// "$1,234.56" for cents in a currency with two decimals.
pub fn format_money(cents: i64, currency: &str) -> String {
    let symbol = match currency {
        "USD" | "CAD" | "AUD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        _ => "",
    };
    let whole = cents / 100;
    let mut digits = whole.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    format!("{symbol}{digits}{grouped}.{:02}", cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pricing: Pricing) -> BillInput<'static> {
        BillInput {
            service_name: "Furnace repair",
            pricing,
            price_cents: 12_500,
            taxable: true,
            minutes: 120,
            emergency_fee_cents: None,
            tax_rate_bps: 0,
            discount_bps: 0,
        }
    }

    #[test]
    fn a_discount_comes_off_the_subtotal_and_lowers_the_tax_in_proportion() {
        let b = bill(&BillInput { discount_bps: 1_000, tax_rate_bps: 825, ..input(Pricing::Hourly) });
        assert_eq!(b.subtotal_cents, 25_000);
        assert_eq!(b.discount_cents, 2_500);
        assert_eq!(b.tax_cents, 1_856, "8.25 % of 225.00 is 18.5625");
        assert_eq!(b.total_cents, 25_000 - 2_500 + 1_856);
        let silly = bill(&BillInput { discount_bps: 50_000, ..input(Pricing::Flat) });
        assert_eq!(silly.total_cents, 0, "a discount never makes a total negative");
    }

    #[test]
    fn hourly_work_is_billed_by_the_minute() {
        let b = bill(&BillInput { minutes: 90, ..input(Pricing::Hourly) });
        assert_eq!(b.lines[0].quantity_milli, 1500);
        assert_eq!(b.lines[0].amount_cents, 18_750);
        assert_eq!(b.total_cents, 18_750);
        let odd = bill(&BillInput { minutes: 7, price_cents: 10_000, ..input(Pricing::Hourly) });
        assert_eq!(odd.lines[0].amount_cents, 1_167, "11.666… dollars rounds half up to the cent");
    }

    #[test]
    fn emergencies_add_the_fee_and_tax_applies_to_taxable_lines() {
        let b = bill(&BillInput { emergency_fee_cents: Some(9_900), tax_rate_bps: 825, ..input(Pricing::Hourly) });
        assert_eq!(b.subtotal_cents, 25_000 + 9_900);
        assert_eq!(b.tax_cents, 2_879, "8.25 % of 349.00 is 28.7925");
        assert_eq!(b.total_cents, 34_900 + 2_879);
        let untaxed = bill(&BillInput { taxable: false, tax_rate_bps: 825, ..input(Pricing::Flat) });
        assert_eq!((untaxed.tax_cents, untaxed.total_cents), (0, 12_500));
    }

    #[test]
    fn flat_work_is_one_line_and_zero_fees_are_left_out() {
        let b = bill(&BillInput { emergency_fee_cents: Some(0), ..input(Pricing::Flat) });
        assert_eq!(b.lines.len(), 1);
        assert_eq!(b.lines[0].quantity_milli, 1000);
    }

    #[test]
    fn money_reads_like_money() {
        assert_eq!(format_money(123_456_789, "USD"), "$1,234,567.89");
        assert_eq!(format_money(5, "EUR"), "€0.05");
        assert_eq!(format_money(100_000, "GBP"), "£1,000.00");
    }
}
