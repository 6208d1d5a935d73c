//! `/app/calendar`: the week's jobs, day by day (or one day: `?day=0` is Monday), in the
//! business's time zone, for the whole crew or one technician. A job is marked done from here; it
//! opens on its lead's page to move or cancel it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::booking::{Choice, CompleteJob, JobActions};
use crate::error::UiError;
use crate::shell::{or_error, AppPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRow {
    pub appointment_id: String,
    pub lead_id: String,
    /// "10:00 AM – 12:00 PM".
    pub time: String,
    pub customer: String,
    pub service: String,
    pub technician: String,
    pub status: String,
    /// Still ahead: it can be marked done, moved or cancelled.
    pub live: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleDay {
    /// "Monday, Dec 7".
    pub label: String,
    pub today: bool,
    pub jobs: Vec<ScheduleRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleWeek {
    /// "Dec 7 – Dec 13".
    pub label: String,
    pub week: i64,
    pub days: Vec<ScheduleDay>,
    pub technicians: Vec<Choice>,
    pub time_zone: String,
}

#[server(prefix = "/api", endpoint = "calendar", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_schedule(week: i64, technician: Option<String>) -> Result<ScheduleWeek, UiError> {
    use chrono::{Datelike, Duration, NaiveDate, TimeZone as _};
    use store::{appointments, now_ms, settings, technicians, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            if week.abs() > 520 {
                return Err(UiError::validation("week", "Pick a week within ten years."));
            }
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let tz = org.time_zone.tz();
            let today = tz
                .timestamp_millis_opt(now_ms())
                .single()
                .ok_or_else(|| internal("the clock is outside the time zone's range"))?
                .date_naive();
            let monday =
                today - Duration::days(i64::from(today.weekday().num_days_from_monday())) + Duration::weeks(week);
            let start_of = |day: NaiveDate| {
                let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
                // Where midnight is skipped by a clock change, the day starts an hour later.
                org.time_zone.instant(midnight).or_else(|| org.time_zone.instant(midnight + Duration::hours(1)))
            };
            let days: Vec<NaiveDate> = (0..7).map(|d| monday + Duration::days(d)).collect();
            let bounds: Vec<i64> = days
                .iter()
                .chain(std::iter::once(&(monday + Duration::days(7))))
                .map(|d| start_of(*d).ok_or_else(|| internal(format!("no midnight on {d}"))))
                .collect::<Result<_, _>>()?;
            let crew = technicians::list(&mut tx).await.map_err(internal)?;
            let jobs = appointments::schedule(&mut tx, bounds[0], bounds[7]).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;

            let wanted = technician.filter(|t| !t.is_empty());
            let clock = |ms: i64| org.time_zone.format_local(ms, "%-I:%M %p").unwrap_or_default();
            let days = days
                .iter()
                .enumerate()
                .map(|(i, day)| ScheduleDay {
                    label: day.format("%A, %b %-d").to_string(),
                    today: *day == today,
                    jobs: jobs
                        .iter()
                        .filter(|j| j.appointment.starts_at >= bounds[i] && j.appointment.starts_at < bounds[i + 1])
                        .filter(|j| wanted.as_ref().is_none_or(|t| *t == j.appointment.technician_id))
                        .map(|j| ScheduleRow {
                            appointment_id: j.appointment.id.clone(),
                            lead_id: j.appointment.lead_id.clone(),
                            time: format!("{} – {}", clock(j.appointment.starts_at), clock(j.appointment.ends_at)),
                            customer: j.customer_name.clone(),
                            service: j.service_name.clone().unwrap_or_else(|| "Service removed".to_owned()),
                            technician: j.technician_name.clone().unwrap_or_else(|| "Former technician".to_owned()),
                            status: j.appointment.status.to_string(),
                            live: j.appointment.status.is_live(),
                        })
                        .collect(),
                })
                .collect();
            Ok(ScheduleWeek {
                label: format!("{} – {}", monday.format("%b %-d"), (monday + Duration::days(6)).format("%b %-d, %Y")),
                week,
                days,
                technicians: crew.iter().map(|t| Choice { id: t.id.to_string(), name: t.name.clone() }).collect(),
                time_zone: org.time_zone.as_str().to_owned(),
            })
        }
        .await,
    )
}

#[component]
pub fn CalendarPage() -> impl IntoView {
    let query = use_query_map();
    let actions = JobActions::new();
    provide_context(actions);
    let week = move || query.read().get("week").and_then(|w| w.parse::<i64>().ok()).unwrap_or(0);
    let technician = move || query.read().get("tech").filter(|t| !t.is_empty());
    // One day of the week (0 = Monday) instead of the whole week.
    let day = move || query.read().get("day").and_then(|d| d.parse::<usize>().ok()).filter(|d| *d < 7);
    let schedule =
        Resource::new(move || (week(), technician(), actions.version()), |(week, tech, _)| get_schedule(week, tech));
    view! {
        <Title text="Jobs" />
        <AppPage>
            <main class="mx-auto max-w-5xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Jobs"</h1>
                    <p class="text-sm text-slate-600">"Every booked job, day by day. Mark a job done when the work is finished and the Invoice agent bills it."</p>
                </div>
                {move || actions.outcome().map(|result| match result {
                    Ok(done) => view! { <p class="rounded-lg bg-emerald-50 p-3 text-sm text-emerald-800" role="status">{done}</p> }.into_any(),
                    Err(err) => view! { <p class="rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{err.to_string()}</p> }.into_any(),
                })}
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading jobs…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(schedule.await, move |week| view! { <Week week technician=technician().unwrap_or_default() day=day() actions /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn Week(week: ScheduleWeek, technician: String, day: Option<usize>, actions: JobActions) -> impl IntoView {
    let tech_param = if technician.is_empty() { String::new() } else { format!("&tech={technician}") };
    let week_number = week.week;
    let day_link = {
        let tech_param = tech_param.clone();
        move |index: usize| format!("/app/calendar?week={week_number}&day={index}{tech_param}")
    };
    let link =
        "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50";
    let empty = week.days.iter().all(|d| d.jobs.is_empty());
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <div class="flex flex-wrap items-center gap-2">
                <A href=format!("/app/calendar?week={}{tech_param}", week.week - 1) attr:class=link>"← Earlier"</A>
                <A href=format!("/app/calendar?week=0{tech_param}") attr:class=link>"This week"</A>
                <A href=format!("/app/calendar?week={}{tech_param}", week.week + 1) attr:class=link>"Later →"</A>
                <p class="text-sm font-medium text-slate-800" data-testid="week-label">{week.label.clone()}</p>
                {day.is_some().then(|| view! {
                    <A href=format!("/app/calendar?week={week_number}{tech_param}") attr:class=link>"Whole week"</A>
                })}
            </div>
            <form method="get" action="/app/calendar" class="flex items-center gap-2">
                <input type="hidden" name="week" value=week.week />
                {day.map(|d| view! { <input type="hidden" name="day" value=d /> })}
                <label class="text-sm text-slate-700" for="tech">"Technician"</label>
                <select id="tech" name="tech" class="rounded-lg border border-slate-300 bg-white px-2 py-1.5 text-sm">
                    <option value="">"Whole crew"</option>
                    {week.technicians.iter().map(|t| view! { <option value=t.id.clone() selected=t.id == technician>{t.name.clone()}</option> }).collect_view()}
                </select>
                <button type="submit" class=link>"Show"</button>
            </form>
        </div>
        <p class="text-xs text-slate-500">"Times are in " {week.time_zone.clone()} "."</p>
        {empty.then(|| view! {
            <div class="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-center" data-testid="calendar-empty">
                <p class="font-medium text-slate-800">"No jobs this week"</p>
                <p class="mt-1 text-sm text-slate-600">"Jobs the Scheduler books, or you book from a lead's page, appear here."</p>
            </div>
        })}
        <ol class="space-y-3">
            {week.days.into_iter().enumerate().filter(|(i, d)| match day {
                Some(chosen) => *i == chosen,
                None => !d.jobs.is_empty() || d.today,
            }).map(|(index, day)| view! {
                <li class="rounded-xl border border-slate-200 bg-white p-4" data-testid="calendar-day">
                    <h2 class="font-semibold">
                        <A href=day_link(index) attr:class="hover:text-indigo-700">{day.label.clone()}</A>
                        {day.today.then_some(" · today")}
                    </h2>
                    {day.jobs.is_empty().then(|| view! { <p class="mt-1 text-sm text-slate-500">"Nothing booked this day."</p> })}
                    <ul class="mt-2 divide-y divide-slate-100">
                        {day.jobs.into_iter().map(|job| view! { <JobRow job actions /> }).collect_view()}
                    </ul>
                </li>
            }).collect_view()}
        </ol>
    }
}

#[component]
fn JobRow(job: ScheduleRow, actions: JobActions) -> impl IntoView {
    let id = job.appointment_id.clone();
    let status_tone = match job.status.as_str() {
        "completed" => "bg-emerald-100 text-emerald-800",
        "cancelled" => "bg-slate-100 text-slate-500 line-through",
        _ => "bg-indigo-100 text-indigo-800",
    };
    view! {
        <li class="flex flex-wrap items-center justify-between gap-2 py-2" data-testid="job">
            <div class="min-w-0">
                <p class="text-sm font-medium text-slate-900">{job.time.clone()} " · " <span class="break-words">{job.customer.clone()}</span></p>
                <p class="text-sm text-slate-600">{job.service.clone()} " · " {job.technician.clone()}</p>
            </div>
            <div class="flex flex-wrap items-center gap-2">
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {status_tone}")>{job.status.clone()}</span>
                {job.live.then(|| view! {
                    <button type="button" class="rounded-md bg-indigo-600 px-3 py-1 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
                        disabled=move || actions.done.pending().get()
                        on:click=move |_| { actions.done.dispatch(CompleteJob { appointment_id: id.clone() }); }>"Mark done"</button>
                })}
                <A href=format!("/app/leads/{}#book", job.lead_id) attr:class="rounded-md border border-slate-300 px-3 py-1 text-sm font-medium text-slate-700 hover:bg-slate-50">"Open"</A>
            </div>
        </li>
    }
}
