//! `/app/usage`: what the squad did and what it cost over the last two weeks — leads per day,
//! time to first response, the funnel from inquiry to paid, cost per lead and per booked job,
//! and how much of the budgets is used. Charts are SVG drawn by the server.

use domain::pipeline::Channel;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::UiError;
use crate::shell::{or_error, AppPage};

/// How many days the page covers, today included.
pub const DAYS: usize = 14;

/// One lead as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeadPoint {
    /// Index into the report's days (0 is the oldest); `None` when outside the window.
    pub day: Option<usize>,
    /// Where the inquiry came from (`None` only in tests that do not care).
    pub channel: Option<Channel>,
    pub response_ms: Option<i64>,
    pub qualified: bool,
    pub booked: bool,
    pub invoiced: bool,
    pub paid: bool,
    pub cost_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayPoint {
    /// "Nov 8" in the org's time zone.
    pub label: String,
    pub leads: i64,
    pub median_response_ms: Option<i64>,
    pub cost_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunnelStep {
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub leads: i64,
    pub booked: i64,
    pub median_response_ms: Option<i64>,
    pub spent_micros: i64,
    pub cost_per_lead_micros: Option<i64>,
    pub cost_per_booked_micros: Option<i64>,
    pub costliest_lead_micros: i64,
}

/// Money customers paid in the window, as the owner reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collected {
    /// "$1,240.00"
    pub total: String,
    /// "$900.00 by card through Stripe", when any was.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budgets {
    pub spent_today_micros: i64,
    pub daily_budget_micros: i64,
    pub run_budget_micros: i64,
    pub month_spent_micros: i64,
    /// When the daily budget starts again, in the org's local time ("4:00 PM").
    pub resets_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageReport {
    pub days: Vec<DayPoint>,
    pub totals: Totals,
    pub collected: Collected,
    pub funnel: Vec<FunnelStep>,
    pub channels: Vec<ChannelRow>,
    /// How the calls to the shop's Twilio number went, when there were any.
    pub calls: Option<String>,
    pub budgets: Budgets,
}

/// "Calls to your Twilio number: 4 answered, 3 missed — 3 texted back, 2 of them booked." `booked`
/// counts the leads missed calls opened that were booked.
pub fn calls_line(answered: i64, missed: i64, texted_back: i64, booked: i64) -> Option<String> {
    if answered + missed == 0 {
        return None;
    }
    let mut line = format!("Calls to your Twilio number: {answered} answered, {missed} missed");
    if missed > 0 {
        line.push_str(&format!(" — {texted_back} texted back, {booked} of them booked"));
    }
    line.push('.');
    Some(line)
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2),
    }
}

/// How far the inquiries of one channel went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelRow {
    /// "Chat", "Booking page", "Text message".
    pub channel: String,
    pub inquiries: i64,
    pub booked: i64,
    pub paid: i64,
}

/// The funnel by channel, for leads inside the window: the channels that brought any, busiest
/// first.
pub fn by_channel(leads: &[LeadPoint]) -> Vec<ChannelRow> {
    let mut rows: Vec<(Channel, ChannelRow)> = Vec::new();
    for lead in leads.iter().filter(|l| l.day.is_some()) {
        let Some(channel) = lead.channel else { continue };
        let at = match rows.iter().position(|(c, _)| *c == channel) {
            Some(at) => at,
            None => {
                let words = channel.describe();
                let label = words[..1].to_uppercase() + &words[1..];
                rows.push((channel, ChannelRow { channel: label, inquiries: 0, booked: 0, paid: 0 }));
                rows.len() - 1
            }
        };
        let row = &mut rows[at].1;
        row.inquiries += 1;
        row.booked += i64::from(lead.booked);
        row.paid += i64::from(lead.paid);
    }
    let mut rows: Vec<ChannelRow> = rows.into_iter().map(|(_, row)| row).collect();
    rows.sort_by(|a, b| b.inquiries.cmp(&a.inquiries).then_with(|| a.channel.cmp(&b.channel)));
    rows
}

/// Per-day series, totals and funnel for leads already placed on `labels` (oldest day first).
pub fn summarise(labels: Vec<String>, leads: &[LeadPoint]) -> (Vec<DayPoint>, Totals, Vec<FunnelStep>) {
    let inside: Vec<&LeadPoint> = leads.iter().filter(|l| l.day.is_some_and(|d| d < labels.len())).collect();
    let days = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let on_day: Vec<&&LeadPoint> = inside.iter().filter(|l| l.day == Some(i)).collect();
            DayPoint {
                label,
                leads: on_day.len() as i64,
                median_response_ms: median(on_day.iter().filter_map(|l| l.response_ms).collect()),
                cost_micros: on_day.iter().map(|l| l.cost_micros).sum(),
            }
        })
        .collect();
    let count = |pick: fn(&LeadPoint) -> bool| inside.iter().filter(|l| pick(l)).count() as i64;
    let total = inside.len() as i64;
    let booked = count(|l| l.booked);
    let spent: i64 = inside.iter().map(|l| l.cost_micros).sum();
    let totals = Totals {
        leads: total,
        booked,
        median_response_ms: median(inside.iter().filter_map(|l| l.response_ms).collect()),
        spent_micros: spent,
        cost_per_lead_micros: (total > 0).then(|| spent / total),
        cost_per_booked_micros: (booked > 0).then(|| spent / booked),
        costliest_lead_micros: inside.iter().map(|l| l.cost_micros).max().unwrap_or(0),
    };
    let funnel = [
        ("Inquiries", total),
        ("Qualified", count(|l| l.qualified)),
        ("Booked", booked),
        ("Invoiced", count(|l| l.invoiced)),
        ("Paid", count(|l| l.paid)),
    ]
    .into_iter()
    .map(|(label, count)| FunnelStep { label: label.to_owned(), count })
    .collect();
    (days, totals, funnel)
}

/// Micro-dollars as dollars, with enough digits that a fraction of a cent still shows.
pub fn dollars(micros: i64) -> String {
    let value = micros as f64 / 1_000_000.0;
    if micros == 0 {
        "$0.00".to_owned()
    } else if value.abs() < 0.01 {
        format!("${value:.4}")
    } else {
        format!("${value:.2}")
    }
}

/// Milliseconds in the largest unit that keeps it readable: "0.4 s", "42 s", "3 min", "2.5 h".
pub fn duration_words(ms: i64) -> String {
    let secs = ms / 1000;
    match ms {
        m if m < 10_000 => format!("{:.1} s", m as f64 / 1000.0),
        _ if secs < 90 => format!("{secs} s"),
        _ if secs < 90 * 60 => format!("{} min", (secs + 30) / 60),
        _ => format!("{:.1} h", secs as f64 / 3600.0),
    }
}

#[cfg(feature = "ssr")]
mod backend {
    use chrono::{Datelike, Duration, NaiveDate, TimeZone as _, Utc};
    use domain::pipeline::Stage;
    use domain::schedule::TimeZone;
    use store::reports::LeadFacts;

    use super::{LeadPoint, DAYS};

    /// The window's local dates, oldest first, ending today in `zone`.
    pub fn window(zone: &TimeZone, now_ms: i64) -> Vec<NaiveDate> {
        let today =
            Utc.timestamp_millis_opt(now_ms).single().unwrap_or_default().with_timezone(&zone.tz()).date_naive();
        (0..DAYS).rev().map(|back| today - Duration::days(back as i64)).collect()
    }

    pub fn collected(c: &store::reports::Collected, currency: &str) -> super::Collected {
        let money = |cents: i64| squad::tools::invoice::format_money(cents, currency);
        let mut notes = Vec::new();
        if c.card_cents > 0 {
            notes.push(format!("{} by card through Stripe", money(c.card_cents)));
        }
        if c.refunded_cents > 0 {
            notes.push(format!("{} refunded since", money(c.refunded_cents)));
        }
        super::Collected { total: money(c.total_cents), note: (!notes.is_empty()).then(|| notes.join(", ")) }
    }

    pub fn label(date: NaiveDate) -> String {
        format!("{} {}", date.format("%b"), date.day())
    }

    /// Where a lead falls in the window, and what it reached.
    pub fn point(facts: &LeadFacts, zone: &TimeZone, days: &[NaiveDate]) -> LeadPoint {
        let local =
            Utc.timestamp_millis_opt(facts.created_at).single().map(|t| t.with_timezone(&zone.tz()).date_naive());
        let booked = facts.appointments > 0 || facts.stage.is_booked_or_later();
        LeadPoint {
            day: local.and_then(|d| days.iter().position(|x| *x == d)),
            channel: Some(facts.channel),
            response_ms: facts.first_response_at.map(|at| (at - facts.created_at).max(0)),
            qualified: booked || (facts.score.is_some() && facts.stage != Stage::Disqualified),
            booked,
            invoiced: facts.invoices > 0,
            paid: facts.paid_invoices > 0 || facts.stage == Stage::Paid,
            cost_micros: facts.cost_micros,
        }
    }
}

#[server(prefix = "/api", endpoint = "usage", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_usage() -> Result<UsageReport, UiError> {
    use chrono::{Datelike, Duration, TimeZone as _, Utc};
    use store::{reports, runs, settings, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let mut tx = TenantTx::read(&server_state()?.db, &ctx.scope).await.map_err(internal)?;
            let s = settings::get(&mut tx).await.map_err(internal)?;
            let now = store::now_ms();
            let days = backend::window(&s.time_zone, now);
            let start = days[0]
                .and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(s.time_zone.tz()).earliest())
                .map_or(now - (DAYS as i64) * 86_400_000, |t| t.timestamp_millis());
            let facts = reports::leads_since(&mut tx, start).await.map_err(internal)?;
            let utc_now = Utc.timestamp_millis_opt(now).single().unwrap_or_default();
            let today = utc_now.format("%Y-%m-%d").to_string();
            let spent_today = runs::spent_on(&mut tx, &today).await.map_err(internal)?;
            let month_start = format!("{}-{:02}-01", utc_now.year(), utc_now.month());
            let month_spent = reports::spent_since(&mut tx, &month_start).await.map_err(internal)?;
            let collected = reports::collected_since(&mut tx, start).await.map_err(internal)?;
            let calls = store::calls::counts_since(&mut tx, start).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;

            let points: Vec<LeadPoint> = facts.iter().map(|f| backend::point(f, &s.time_zone, &days)).collect();
            let (series, totals, funnel) = summarise(days.iter().map(|d| backend::label(*d)).collect(), &points);
            let channels = by_channel(&points);
            let recovered =
                points.iter().filter(|p| p.day.is_some() && p.channel == Some(Channel::Call) && p.booked).count();
            let calls = calls_line(calls.answered, calls.missed, calls.texted_back, recovered as i64);
            let next_midnight = (utc_now.date_naive() + Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .map_or(now, |t| t.and_utc().timestamp_millis());
            Ok(UsageReport {
                days: series,
                totals,
                collected: backend::collected(&collected, &s.currency),
                funnel,
                channels,
                calls,
                budgets: Budgets {
                    spent_today_micros: spent_today,
                    daily_budget_micros: s.daily_budget_micros,
                    run_budget_micros: s.run_budget_micros,
                    month_spent_micros: month_spent,
                    resets_at: s.time_zone.format_local(next_midnight, "%-I:%M %p").unwrap_or_default(),
                },
            })
        }
        .await,
    )
}

#[component]
pub fn UsagePage() -> impl IntoView {
    let report = Resource::new(|| (), |_| get_usage());
    view! {
        <Title text="Usage and cost" />
        <AppPage>
            <main class="mx-auto max-w-5xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Usage and cost"</h1>
                    <p class="text-sm text-slate-600">"The last 14 days: how many people asked, how fast the squad answered, how many became paying jobs, and what the AI cost."</p>
                    <p class="text-sm"><a class="font-medium text-sky-700 underline" href="/app/accuracy">"How accurately does the squad read inquiries? Check it →"</a></p>
                </div>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading usage…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(report.await, |report| view! { <Report report /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn Tile(label: &'static str, value: String, #[prop(optional)] note: Option<String>) -> impl IntoView {
    view! {
        <div class="rounded-xl border border-slate-200 bg-white p-4" data-testid="usage-tile">
            <p class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
            <p class="mt-1 text-2xl font-semibold text-slate-900">{value}</p>
            {note.map(|n| view! { <p class="mt-0.5 text-xs text-slate-500">{n}</p> })}
        </div>
    }
}

#[component]
fn Report(report: UsageReport) -> impl IntoView {
    let UsageReport { days, totals, collected, funnel, channels, calls, budgets } = report;
    let labels: Vec<String> = days.iter().map(|d| d.label.clone()).collect();
    let leads: Vec<Bar> = days
        .iter()
        .map(|d| Bar { value: d.leads, text: format!("{} lead{}", d.leads, if d.leads == 1 { "" } else { "s" }) })
        .collect();
    let response: Vec<Bar> = days
        .iter()
        .map(|d| Bar {
            value: d.median_response_ms.unwrap_or(0),
            text: d.median_response_ms.map_or_else(|| "no leads".to_owned(), duration_words),
        })
        .collect();
    let cost: Vec<Bar> = days.iter().map(|d| Bar { value: d.cost_micros, text: dollars(d.cost_micros) }).collect();
    let per_lead = totals.cost_per_lead_micros.map_or_else(|| "–".to_owned(), dollars);
    let per_job = totals.cost_per_booked_micros.map_or_else(|| "–".to_owned(), dollars);
    let response_text = totals.median_response_ms.map_or_else(|| "–".to_owned(), duration_words);
    view! {
        {(totals.leads == 0).then(|| view! {
            <div class="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-center" data-testid="usage-empty">
                <p class="font-medium text-slate-800">"No leads in the last 14 days"</p>
                <p class="mt-1 text-sm text-slate-600">"Send a test inquiry from the "<a class="text-indigo-700 underline" href="/app/board">"pipeline"</a>", or connect your email and booking form, and the numbers appear here."</p>
            </div>
        })}
        <div class="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
            <Tile label="Leads" value=totals.leads.to_string() note=format!("{} booked", totals.booked) />
            <Tile label="First response" value=response_text note="median, inquiry to first reply".to_owned() />
            <Tile label="Cost per lead" value=per_lead note=format!("{} in total", dollars(totals.spent_micros)) />
            <Tile label="Cost per booked job" value=per_job />
            <Tile label="Money collected" value=collected.total note=collected.note.unwrap_or_else(|| "payments recorded in these 14 days".to_owned()) />
        </div>
        <div class="grid gap-4 md:grid-cols-2">
            <Chart title="Leads per day" bars=leads labels=labels.clone() color="fill-indigo-500" />
            <Chart title="First response (median)" bars=response labels=labels.clone() color="fill-sky-500" />
            <Chart title="AI cost per day" bars=cost labels=labels color="fill-amber-500" />
            <Funnel steps=funnel />
            <Channels rows=channels calls />
        </div>
        <BudgetUse budgets costliest=totals.costliest_lead_micros />
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Bar {
    value: i64,
    text: String,
}

/// A bar per day: SVG bars (stretched to the card's width) over HTML labels, so the text keeps
/// its size on a phone and a desktop alike.
#[component]
fn Chart(title: &'static str, bars: Vec<Bar>, labels: Vec<String>, color: &'static str) -> impl IntoView {
    const HEIGHT: i64 = 100;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0);
    let peak = bars.iter().filter(|b| b.value == max).map(|b| b.text.clone()).next().unwrap_or_default();
    let n = bars.len().max(1) as i64;
    let summary = format!(
        "{title}: {}",
        bars.iter().zip(&labels).map(|(b, l)| format!("{l} {}", b.text)).collect::<Vec<_>>().join(", ")
    );
    let last = labels.len().saturating_sub(1);
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-4" aria-label=title data-testid="usage-chart">
            <div class="flex items-baseline justify-between gap-2">
                <h2 class="text-sm font-semibold text-slate-800">{title}</h2>
                <span class="text-xs text-slate-500">{if max > 0 { format!("peak {peak}") } else { "nothing yet".to_owned() }}</span>
            </div>
            <svg class="mt-3 h-32 w-full" viewBox=format!("0 0 {} {HEIGHT}", n * 10) preserveAspectRatio="none" role="img" aria-label=summary>
                <line x1="0" x2=n * 10 y1=HEIGHT y2=HEIGHT class="stroke-slate-200" stroke-width="1" vector-effect="non-scaling-stroke" />
                {bars.into_iter().zip(labels.iter().cloned()).enumerate().map(|(i, (bar, label))| {
                    let h = if max > 0 { (bar.value * (HEIGHT - 4) / max).max(i64::from(bar.value > 0)) } else { 0 };
                    view! {
                        <rect x=i as i64 * 10 + 1 y=HEIGHT - h width="8" height=h rx="1" class=color>
                            <title>{format!("{label}: {}", bar.text)}</title>
                        </rect>
                    }
                }).collect_view()}
            </svg>
            // The page's CSP allows no inline styles: the column count is a class (DAYS is 14).
            <div class="mt-1 grid grid-cols-[repeat(14,minmax(0,1fr))] text-[10px] text-slate-500">
                {labels.into_iter().enumerate().map(|(i, l)| {
                    // The month on the first day and the 1st, day numbers elsewhere; every other
                    // day on narrow screens, the first and last always.
                    let text = match l.split_once(' ') {
                        Some((_, day)) if i > 0 && day != "1" => day.to_owned(),
                        _ => l,
                    };
                    let class = if i == 0 || i == last || i % 2 == 0 { "whitespace-nowrap text-center" } else { "invisible whitespace-nowrap text-center sm:visible" };
                    view! { <span class=class>{text}</span> }
                }).collect_view()}
            </div>
        </section>
    }
}

/// A horizontal bar `percent` wide, drawn with SVG attributes (the CSP allows no inline styles).
#[component]
fn Meter(percent: i64, color: &'static str) -> impl IntoView {
    view! {
        <svg class="h-2.5 w-full overflow-hidden rounded-full" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect width="100" height="10" class="fill-slate-100" />
            <rect width=percent.clamp(0, 100) height="10" class=color />
        </svg>
    }
}

#[component]
fn Funnel(steps: Vec<FunnelStep>) -> impl IntoView {
    let top = steps.first().map_or(0, |s| s.count);
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-4" aria-label="Conversion funnel" data-testid="usage-funnel">
            <h2 class="text-sm font-semibold text-slate-800">"From inquiry to paid"</h2>
            <ul class="mt-4 space-y-4 text-sm">
                {steps.into_iter().map(|s| {
                    let percent = if top > 0 { s.count * 100 / top } else { 0 };
                    let share = match (top, percent) {
                        (0, _) => "–".to_owned(),
                        (_, 0) if s.count > 0 => "under 1%".to_owned(),
                        _ => format!("{percent}%"),
                    };
                    // A step that holds anyone shows at least a sliver.
                    let percent = percent.max(i64::from(s.count > 0));
                    view! {
                        <li data-testid="funnel-step">
                            <div class="flex justify-between text-slate-600"><span>{s.label}</span><span class="font-medium text-slate-800">{s.count}" · "{share}</span></div>
                            <Meter percent color="fill-emerald-500" />
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Channels(rows: Vec<ChannelRow>, calls: Option<String>) -> impl IntoView {
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-4" aria-label="Where inquiries come from" data-testid="usage-channels">
            <h2 class="text-sm font-semibold text-slate-800">"Where inquiries come from"</h2>
            {if rows.is_empty() {
                view! { <p class="mt-3 text-sm text-slate-500">"No inquiries yet."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-3 w-full text-sm">
                        <thead class="text-left text-xs text-slate-500">
                            <tr><th class="py-1 font-medium">"Channel"</th><th class="py-1 text-right font-medium">"Inquiries"</th><th class="py-1 text-right font-medium">"Booked"</th><th class="py-1 text-right font-medium">"Paid"</th></tr>
                        </thead>
                        <tbody>
                            {rows.into_iter().map(|r| view! {
                                <tr class="border-t border-slate-100" data-testid="channel-row">
                                    <td class="py-1.5">{r.channel}</td>
                                    <td class="py-1.5 text-right">{r.inquiries}</td>
                                    <td class="py-1.5 text-right">{r.booked}</td>
                                    <td class="py-1.5 text-right">{r.paid}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {calls.map(|line| view! { <p class="mt-3 text-sm text-slate-600" data-testid="usage-calls">{line}</p> })}
        </section>
    }
}

#[component]
fn BudgetUse(budgets: Budgets, costliest: i64) -> impl IntoView {
    let share = |spent: i64, budget: i64| if budget > 0 { (spent * 100 / budget).clamp(0, 100) } else { 0 };
    let today = share(budgets.spent_today_micros, budgets.daily_budget_micros);
    let per_lead = share(costliest, budgets.run_budget_micros);
    let bar = |percent: i64| {
        let color = match percent {
            90.. => "fill-rose-500",
            60.. => "fill-amber-500",
            _ => "fill-emerald-500",
        };
        view! {
            <div class="mt-2" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent>
                <Meter percent color />
            </div>
        }
    };
    view! {
        <section class="rounded-xl border border-slate-200 bg-white p-4" aria-label="Budgets" data-testid="usage-budgets">
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <h2 class="text-sm font-semibold text-slate-800">"Budgets"</h2>
                <a href="/app/settings" class="text-xs text-indigo-700 hover:text-indigo-500">"Change budgets"</a>
            </div>
            <div class="mt-2 grid gap-4 sm:grid-cols-3">
                <div>
                    <p class="text-sm text-slate-700">"Today: "<span class="font-medium">{dollars(budgets.spent_today_micros)}</span>" of "{dollars(budgets.daily_budget_micros)}</p>
                    {bar(today)}
                    <p class="mt-1 text-xs text-slate-500">"Starts again at "{budgets.resets_at.clone()}" your time. When it runs out, new leads wait for you."</p>
                </div>
                <div>
                    <p class="text-sm text-slate-700">"Costliest lead: "<span class="font-medium">{dollars(costliest)}</span>" of "{dollars(budgets.run_budget_micros)}" per lead"</p>
                    {bar(per_lead)}
                    <p class="mt-1 text-xs text-slate-500">"A lead that reaches the limit is handed to you."</p>
                </div>
                <div>
                    <p class="text-sm text-slate-700">"This month: "<span class="font-medium">{dollars(budgets.month_spent_micros)}</span></p>
                    <p class="mt-1 text-xs text-slate-500">"AI spend since the 1st (UTC)."</p>
                </div>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(day: usize, response_s: Option<i64>, cost: i64) -> LeadPoint {
        LeadPoint {
            day: Some(day),
            response_ms: response_s.map(|s| s * 1000),
            cost_micros: cost,
            ..LeadPoint::default()
        }
    }

    #[test]
    fn the_funnel_by_channel_counts_each_channels_leads_inside_the_window_busiest_first() {
        let on = |channel, day, booked, paid| LeadPoint {
            channel: Some(channel),
            day,
            booked,
            paid,
            ..LeadPoint::default()
        };
        let rows = by_channel(&[
            on(Channel::Chat, Some(0), true, false),
            on(Channel::BookingPage, Some(1), true, true),
            on(Channel::Chat, Some(2), false, false),
            on(Channel::Email, None, true, true),
        ]);
        let seen: Vec<(&str, i64, i64, i64)> =
            rows.iter().map(|r| (r.channel.as_str(), r.inquiries, r.booked, r.paid)).collect();
        assert_eq!(seen, vec![("Chat", 2, 1, 0), ("Booking page", 1, 1, 1)]);
        assert!(by_channel(&[]).is_empty());
    }

    #[test]
    fn the_calls_line_counts_answered_and_missed_calls_and_what_became_of_the_missed() {
        assert_eq!(calls_line(0, 0, 0, 0), None);
        assert_eq!(calls_line(2, 0, 0, 0).as_deref(), Some("Calls to your Twilio number: 2 answered, 0 missed."));
        assert_eq!(
            calls_line(4, 3, 2, 1).as_deref(),
            Some("Calls to your Twilio number: 4 answered, 3 missed — 2 texted back, 1 of them booked.")
        );
    }

    #[test]
    fn days_totals_and_funnel_count_only_leads_inside_the_window() {
        let labels = vec!["Nov 1".to_owned(), "Nov 2".to_owned(), "Nov 3".to_owned()];
        let mut booked = lead(2, Some(4), 30_000);
        booked.qualified = true;
        booked.booked = true;
        booked.invoiced = true;
        let outside = LeadPoint { day: None, cost_micros: 1_000_000, ..LeadPoint::default() };
        let leads = [lead(0, Some(10), 10_000), lead(0, Some(2), 20_000), booked, outside];
        let (days, totals, funnel) = summarise(labels, &leads);
        assert_eq!(days.iter().map(|d| d.leads).collect::<Vec<_>>(), [2, 0, 1]);
        assert_eq!(days[0].median_response_ms, Some(6_000));
        assert_eq!(days[1].median_response_ms, None);
        assert_eq!(days[0].cost_micros, 30_000);
        assert_eq!((totals.leads, totals.booked, totals.spent_micros), (3, 1, 60_000));
        assert_eq!(totals.median_response_ms, Some(4_000));
        assert_eq!((totals.cost_per_lead_micros, totals.cost_per_booked_micros), (Some(20_000), Some(60_000)));
        assert_eq!(totals.costliest_lead_micros, 30_000);
        let counts: Vec<i64> = funnel.iter().map(|s| s.count).collect();
        assert_eq!(counts, [3, 1, 1, 1, 0]);
    }

    #[test]
    fn no_leads_means_no_averages_rather_than_zero() {
        let (_, totals, funnel) = summarise(vec!["Nov 1".to_owned()], &[]);
        assert_eq!(
            (totals.cost_per_lead_micros, totals.cost_per_booked_micros, totals.median_response_ms),
            (None, None, None)
        );
        assert!(funnel.iter().all(|s| s.count == 0));
    }

    #[test]
    fn money_and_durations_read_like_a_person_wrote_them() {
        assert_eq!(dollars(0), "$0.00");
        assert_eq!(dollars(1_234), "$0.0012");
        assert_eq!(dollars(2_500_000), "$2.50");
        assert_eq!(duration_words(420), "0.4 s");
        assert_eq!(duration_words(42_000), "42 s");
        assert_eq!(duration_words(200_000), "3 min");
        assert_eq!(duration_words(9_000_000), "2.5 h");
    }
}
