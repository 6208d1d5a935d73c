//! A lead's job as the owner handles it from the lead page and the Jobs page: book it by hand
//! (a service, a technician and one of the openings or a time they type), move it, cancel it,
//! mark it done. Each action is one `ops::appointments` operation.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::UiError;

/// Something to choose from a list: a service or a technician.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub name: String,
}

/// The lead's booked (live) appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveJob {
    pub appointment_id: String,
    /// "Thursday, December 3 at 10:00 AM".
    pub when: String,
    /// The start as a date-and-time field holds it, in the business's time zone.
    pub local_start: String,
    pub technician_id: String,
    pub technician: String,
    pub service: String,
}

/// What the job panel needs to show and book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadJob {
    pub lead_id: String,
    /// Closed (lost or paid): nothing to book.
    pub closed: bool,
    /// Done already (completed, invoiced): nothing to book or move.
    pub done: bool,
    pub live: Option<LiveJob>,
    /// The service the squad qualified the lead for, preselected.
    pub service_id: Option<String>,
    pub services: Vec<Choice>,
    pub technicians: Vec<Choice>,
    /// "America/Chicago": the zone the times are in.
    pub time_zone: String,
}

/// One opening the engine offers for a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub technician_id: String,
    pub starts_at: String,
    /// "Thu Dec 3, 10:00 AM · Ana Ortiz".
    pub label: String,
}

#[server(prefix = "/api", endpoint = "jobs/lead", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_lead_job(id: String) -> Result<LeadJob, UiError> {
    use domain::pipeline::Stage;
    use squad::tools::invoice::format_visit;
    use store::{leads, services, settings, technicians, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let lead_id = domain::LeadId::parse(&id).map_err(|_| UiError::NotFound)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let lead = leads::get(&mut tx, lead_id).await.map_err(internal)?.ok_or(UiError::NotFound)?;
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let menu = services::list(&mut tx).await.map_err(internal)?;
            let crew: Vec<_> =
                technicians::list(&mut tx).await.map_err(internal)?.into_iter().filter(|t| t.active).collect();
            let live = squad::bookings::live(&mut tx, lead_id).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let name_of = |id: &str| crew.iter().find(|t| t.id.to_string() == id).map(|t| t.name.clone());
            let live = live.map(|a| LiveJob {
                when: format_visit(&org.time_zone, a.starts_at).unwrap_or_default(),
                local_start: org.time_zone.format_local(a.starts_at, "%Y-%m-%dT%H:%M").unwrap_or_default(),
                technician: name_of(&a.technician_id).unwrap_or_else(|| "a former technician".to_owned()),
                service: a
                    .service_id
                    .as_deref()
                    .and_then(|s| menu.iter().find(|m| m.id.to_string() == s))
                    .map_or_else(String::new, |m| m.name.clone()),
                technician_id: a.technician_id,
                appointment_id: a.id,
            });
            Ok(LeadJob {
                lead_id: lead.id.to_string(),
                closed: lead.stage.is_closed(),
                done: matches!(lead.stage, Stage::Completed | Stage::Invoiced),
                live,
                service_id: lead.service_id.map(|s| s.to_string()),
                services: menu.iter().map(|s| Choice { id: s.id.to_string(), name: s.name.clone() }).collect(),
                technicians: crew.iter().map(|t| Choice { id: t.id.to_string(), name: t.name.clone() }).collect(),
                time_zone: org.time_zone.as_str().to_owned(),
            })
        }
        .await,
    )
}

/// The next openings for `service_id` (at most twelve), the lead's own booking not counting as busy.
#[server(prefix = "/api", endpoint = "jobs/openings", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_job_openings(lead_id: String, service_id: String) -> Result<Vec<Opening>, UiError> {
    use store::{leads, services, settings, technicians, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let lead = domain::LeadId::parse(&lead_id).map_err(|_| UiError::NotFound)?;
            use squad::calendars::{Calendars, Freshness};
            state.calendars.refresh(&state.db, &ctx.scope, Freshness::Recent).await.map_err(internal)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            leads::get(&mut tx, lead).await.map_err(internal)?.ok_or(UiError::NotFound)?;
            let Ok(service) = domain::ServiceId::parse(&service_id) else { return Ok(Vec::new()) };
            let Some(service) = services::get(&mut tx, service).await.map_err(internal)? else { return Ok(Vec::new()) };
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let crew = technicians::list(&mut tx).await.map_err(internal)?;
            let slots = squad::bookings::openings(&mut tx, &service, lead).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok(slots
                .into_iter()
                .take(12)
                .map(|s| {
                    let who = crew.iter().find(|t| t.id.to_string() == s.technician_id).map_or("", |t| t.name.as_str());
                    let when = org.time_zone.format_local(s.starts_at, "%a %b %-d, %-I:%M %p").unwrap_or_default();
                    Opening {
                        label: format!("{when} · {who}"),
                        technician_id: s.technician_id,
                        starts_at: s.local_start,
                    }
                })
                .collect())
        }
        .await,
    )
}

/// A checkbox's value as a form sends it: present when ticked.
#[cfg(feature = "ssr")]
fn ticked(value: Option<String>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false")
}

/// What the customer was told, in a sentence for the owner.
#[cfg(feature = "ssr")]
fn told(customer_told: bool) -> &'static str {
    if customer_told {
        " The message to the customer is in their conversation."
    } else {
        " The customer has not been told; let them know yourself."
    }
}

#[server(prefix = "/api", endpoint = "jobs/book")]
pub async fn book_job(
    id: String,
    service_id: String,
    technician_id: String,
    starts_at: String,
    tell_customer: Option<String>,
) -> Result<String, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let lead_id = domain::LeadId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            let input = ops::appointments::HandBooking {
                service_id,
                technician_id,
                starts_at,
                tell_customer: ticked(tell_customer),
            };
            let booked = ops::appointments::book_by_hand(&db, &scope, lead_id, &input).await?;
            Ok(format!("Booked.{}", told(booked.customer_told)))
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "jobs/move")]
pub async fn move_job(
    appointment_id: String,
    technician_id: String,
    starts_at: String,
    tell_customer: Option<String>,
) -> Result<String, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            let tell = ticked(tell_customer);
            let moved =
                ops::appointments::reschedule(&db, &scope, &appointment_id, &technician_id, &starts_at, tell).await?;
            Ok(format!("Moved.{}", told(moved.customer_told)))
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "jobs/cancel")]
pub async fn cancel_job(
    appointment_id: String,
    reason: String,
    tell_customer: Option<String>,
) -> Result<String, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            let tell = ticked(tell_customer);
            ops::appointments::cancel(&db, &scope, &appointment_id, &reason, tell).await?;
            Ok(format!("Cancelled; the lead is closed.{}", told(tell)))
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "jobs/done")]
pub async fn complete_job(appointment_id: String) -> Result<String, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            ops::appointments::complete(&db, &scope, &appointment_id).await?;
            Ok("Marked done. The Invoice agent is preparing the bill.".to_owned())
        }
        .await,
    )
}

/// The four job actions, shared by a page and the panels on it so the page can refresh when
/// any of them finishes.
#[derive(Clone, Copy)]
pub struct JobActions {
    pub book: ServerAction<BookJob>,
    pub moved: ServerAction<MoveJob>,
    pub cancel: ServerAction<CancelJob>,
    pub done: ServerAction<CompleteJob>,
    /// The result of whichever action finished last, for the page's banner.
    last: RwSignal<Option<Result<String, UiError>>>,
}

impl JobActions {
    pub fn new() -> Self {
        let actions = Self {
            book: ServerAction::new(),
            moved: ServerAction::new(),
            cancel: ServerAction::new(),
            done: ServerAction::new(),
            last: RwSignal::new(None),
        };
        follow(actions.book.value(), actions.last);
        follow(actions.moved.value(), actions.last);
        follow(actions.cancel.value(), actions.last);
        follow(actions.done.value(), actions.last);
        actions
    }

    /// Changes whenever one of the actions finishes.
    pub fn version(&self) -> usize {
        self.book.version().get() + self.moved.version().get() + self.cancel.version().get() + self.done.version().get()
    }

    /// The newest result among the actions, as a banner's text or error.
    pub fn outcome(&self) -> Option<Result<String, UiError>> {
        self.last.get()
    }
}

/// Copies each new result of an action into `last`.
fn follow<S>(value: S, last: RwSignal<Option<Result<String, UiError>>>)
where
    S: Get<Value = Option<Result<String, UiError>>> + 'static,
{
    Effect::new(move |_| {
        if let Some(result) = value.get() {
            last.set(Some(result));
        }
    });
}

impl Default for JobActions {
    fn default() -> Self {
        Self::new()
    }
}

const SELECT: &str = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";
const BUTTON: &str =
    "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60";
const QUIET: &str =
    "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100";

/// The job panel on a lead page: book it, or the booking with move, cancel and mark done.
#[component]
pub fn JobPanel(lead_id: String) -> impl IntoView {
    let actions = use_context::<JobActions>().unwrap_or_default();
    let job = Resource::new(move || (lead_id.clone(), actions.version()), |(id, _)| get_lead_job(id));
    view! {
        <section id="book" class="mt-6 rounded-xl border border-slate-200 bg-white p-4" data-testid="job-panel">
            {move || actions.outcome().map(|result| match result {
                Ok(done) => view! { <p class="mb-3 rounded-lg bg-emerald-50 p-3 text-sm text-emerald-800" role="status">{done}</p> }.into_any(),
                Err(err) if err.is_general() => view! { <p class="mb-3 rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{err.to_string()}</p> }.into_any(),
                Err(_) => ().into_any(),
            })}
            <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading the job…"</p> }>
                {move || Suspend::new(async move {
                    crate::shell::or_error(job.await, move |job| {
                        match (&job.live, job.closed, job.done) {
                            (Some(live), _, _) => view! { <LiveJobView live=live.clone() technicians=job.technicians.clone() time_zone=job.time_zone.clone() actions /> }.into_any(),
                            (None, true, _) => view! { <p class="text-sm text-slate-600">"This lead is closed."</p> }.into_any(),
                            (None, _, true) => view! { <p class="text-sm text-slate-600">"The job is done. The invoice is below once the Invoice agent has prepared it."</p> }.into_any(),
                            (None, false, false) => view! { <BookForm job actions /> }.into_any(),
                        }
                    })
                })}
            </Transition>
        </section>
    }
}

/// Book it myself: a service, a technician and a start, or one of the openings.
#[component]
fn BookForm(job: LeadJob, actions: JobActions) -> impl IntoView {
    let service = RwSignal::new(job.service_id.clone().unwrap_or_default());
    let technician = RwSignal::new(String::new());
    let start = RwSignal::new(String::new());
    let lead_id = job.lead_id.clone();
    let openings = Resource::new(move || (lead_id.clone(), service.get()), |(lead, svc)| get_job_openings(lead, svc));
    let error = move |field: &'static str| {
        move || actions.book.value().get().and_then(Result::err).and_then(|e| e.for_field(field))
    };
    let no_services = job.services.is_empty();
    let no_crew = job.technicians.is_empty();
    view! {
        <h2 class="font-semibold">"Book this job"</h2>
        <p class="text-sm text-slate-600">"Pick one of the openings, or choose a technician and type a time. Times are in " {job.time_zone.clone()} "."</p>
        {(no_services || no_crew).then(|| view! {
            <p class="mt-2 rounded-lg bg-amber-50 p-3 text-sm text-amber-800">
                "Add a service and a technician in " <a class="font-medium underline" href="/app/setup">"set-up"</a> " before booking."
            </p>
        })}
        <ActionForm action=actions.book attr:class="mt-3 grid gap-3 sm:grid-cols-2">
            <input type="hidden" name="id" value=job.lead_id.clone() />
            <label class="block text-sm font-medium text-slate-700">"Service"
                <select name="service_id" class=SELECT prop:value=move || service.get() on:change=move |ev| service.set(event_target_value(&ev))>
                    <option value="">"Choose a service"</option>
                    {job.services.iter().map(|s| view! { <option value=s.id.clone() selected=job.service_id.as_deref() == Some(s.id.as_str())>{s.name.clone()}</option> }).collect_view()}
                </select>
                <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error("service_id")}</span>
            </label>
            <label class="block text-sm font-medium text-slate-700">"Technician"
                <select name="technician_id" class=SELECT prop:value=move || technician.get() on:change=move |ev| technician.set(event_target_value(&ev))>
                    <option value="">"Choose a technician"</option>
                    {job.technicians.iter().map(|t| view! { <option value=t.id.clone()>{t.name.clone()}</option> }).collect_view()}
                </select>
                <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error("technician_id")}</span>
            </label>
            <label class="block text-sm font-medium text-slate-700">"Starts"
                <input type="datetime-local" name="starts_at" class=SELECT prop:value=move || start.get() on:input=move |ev| start.set(event_target_value(&ev)) />
                <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error("starts_at")}</span>
            </label>
            <label class="flex items-center gap-2 self-center text-sm text-slate-700">
                <input type="checkbox" name="tell_customer" value="on" checked=true />
                "Send the customer a confirmation"
            </label>
            <div class="sm:col-span-2">
                <p class="text-sm font-medium text-slate-700">"Openings"</p>
                <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Finding openings…"</p> }>
                    {move || Suspend::new(async move {
                        match openings.await {
                            Ok(list) if list.is_empty() => view! { <p class="text-sm text-slate-600" data-testid="no-openings">"No openings for this service in the next two weeks. You can still type a time above."</p> }.into_any(),
                            Ok(list) => view! {
                                <ul class="mt-1 flex flex-wrap gap-2" data-testid="openings">
                                    {list.into_iter().map(|o| {
                                        let (tech, at) = (o.technician_id.clone(), o.starts_at.clone());
                                        let chosen = {
                                            let (tech, at) = (tech.clone(), at.clone());
                                            move || technician.get() == tech && start.get() == at
                                        };
                                        view! {
                                            <li><button type="button"
                                                class=move || if chosen() { "rounded-md border border-indigo-600 bg-indigo-50 px-2.5 py-1 text-sm text-indigo-800" } else { "rounded-md border border-slate-300 px-2.5 py-1 text-sm text-slate-700 hover:bg-slate-50" }
                                                on:click=move |_| { technician.set(tech.clone()); start.set(at.clone()); }>{o.label}</button></li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(err) => view! { <p class="text-sm text-rose-700">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </div>
            <div class="sm:col-span-2">
                <button type="submit" class=BUTTON disabled=move || actions.book.pending().get()>"Book it"</button>
            </div>
        </ActionForm>
    }
}

/// The booked appointment with its actions.
#[component]
fn LiveJobView(live: LiveJob, technicians: Vec<Choice>, time_zone: String, actions: JobActions) -> impl IntoView {
    let moving = RwSignal::new(false);
    let cancelling = RwSignal::new(false);
    let done_id = live.appointment_id.clone();
    let move_error = move |field: &'static str| {
        move || actions.moved.value().get().and_then(Result::err).and_then(|e| e.for_field(field))
    };
    let cancel_error = move || actions.cancel.value().get().and_then(Result::err).and_then(|e| e.for_field("reason"));
    let summary = format!("{} · {} with {}", live.service, live.when, live.technician);
    let kept = StoredValue::new((live, technicians, time_zone));
    view! {
        <h2 class="font-semibold">"Booked"</h2>
        <p class="mt-1 text-sm text-slate-800" data-testid="booked-job">{summary}</p>
        <div class="mt-3 flex flex-wrap gap-2">
            <button type="button" class=BUTTON disabled=move || actions.done.pending().get()
                on:click=move |_| { actions.done.dispatch(CompleteJob { appointment_id: done_id.clone() }); }>"Mark done"</button>
            <button type="button" class=QUIET on:click=move |_| moving.update(|m| *m = !*m)>"Move"</button>
            <button type="button" class=QUIET on:click=move |_| cancelling.update(|c| *c = !*c)>"Cancel job"</button>
        </div>
        <Show when=move || moving.get()>
            <ActionForm action=actions.moved attr:class="mt-3 grid gap-3 rounded-lg bg-slate-50 p-3 sm:grid-cols-2">
                <input type="hidden" name="appointment_id" value=kept.with_value(|(l, _, _)| l.appointment_id.clone()) />
                <label class="block text-sm font-medium text-slate-700">"Technician"
                    <select name="technician_id" class=SELECT>
                        {kept.with_value(|(live, crew, _)| crew.iter().map(|t| view! { <option value=t.id.clone() selected=t.id == live.technician_id>{t.name.clone()}</option> }).collect_view())}
                    </select>
                    <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{move_error("technician_id")}</span>
                </label>
                <label class="block text-sm font-medium text-slate-700">{kept.with_value(|(_, _, tz)| format!("New start ({tz})"))}
                    <input type="datetime-local" name="starts_at" class=SELECT value=kept.with_value(|(l, _, _)| l.local_start.clone()) />
                    <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{move_error("starts_at")}</span>
                </label>
                <label class="flex items-center gap-2 text-sm text-slate-700">
                    <input type="checkbox" name="tell_customer" value="on" checked=true />"Tell the customer the new time"
                </label>
                <div><button type="submit" class=BUTTON disabled=move || actions.moved.pending().get()>"Move it"</button></div>
            </ActionForm>
        </Show>
        <Show when=move || cancelling.get()>
            <ActionForm action=actions.cancel attr:class="mt-3 space-y-2 rounded-lg bg-slate-50 p-3">
                <input type="hidden" name="appointment_id" value=kept.with_value(|(l, _, _)| l.appointment_id.clone()) />
                <label class="block text-sm font-medium text-slate-700">"Why is it cancelled?"
                    <input type="text" name="reason" maxlength="500" class=SELECT />
                    <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{cancel_error}</span>
                </label>
                <label class="flex items-center gap-2 text-sm text-slate-700">
                    <input type="checkbox" name="tell_customer" value="on" checked=true />"Tell the customer it is cancelled"
                </label>
                <button type="submit" class="rounded-md bg-rose-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-rose-500">"Cancel the job"</button>
            </ActionForm>
        </Show>
    }
}
