//! Technicians' own calendars, in Settings → Technicians' calendars and the wizard's Connections
//! step: per technician, the owner connects the calendar they already live in — by signing in
//! with Google, or with a CalDAV address and app password (found and read before it is kept) —
//! sees whether it is being read, and can disconnect it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorBanner, FieldError};
use crate::error::UiError;
use crate::setup_forms::{failed, general, when_saved};
use crate::shell::or_error;

/// Where the server leaves what became of a Google Calendar sign-in, for this section to show.
pub const GOOGLE_CALENDAR_OUTCOME_KEY: &str = "google_calendar_outcome";
/// How long after the sign-in its outcome is shown.
#[cfg(feature = "ssr")]
const OUTCOME_SHOWN_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarsView {
    pub can_change: bool,
    /// Whether this Opsquad can connect Google calendars by signing in with Google.
    pub google_available: bool,
    /// What became of the last Google sign-in, shown just after it.
    pub google_outcome: Option<GoogleOutcome>,
    pub technicians: Vec<TechnicianCalendar>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoogleOutcome {
    /// The Google account whose calendar was connected, or what went wrong.
    pub connected: Option<String>,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TechnicianCalendar {
    pub technician_id: String,
    pub name: String,
    pub calendar: Option<ConnectedCalendar>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedCalendar {
    /// `caldav` or `google`.
    pub provider: String,
    pub name: String,
    pub url: String,
    pub username: String,
    pub healthy: bool,
    pub last_error: Option<String>,
    /// "Read 3 minutes ago", in words.
    pub read: String,
}

#[server(prefix = "/api", endpoint = "settings/calendars", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_calendars() -> Result<CalendarsView, UiError> {
    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            // Read before anything awaits: while the page renders on the server, the request's
            // parts are in reach only until then.
            let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(crate::state::internal)?;
            let can_change = ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_ok();
            let outcome: Option<serde_json::Value> =
                session.get(GOOGLE_CALENDAR_OUTCOME_KEY).await.map_err(internal)?;
            let google_outcome = outcome
                .filter(|v| store::now_ms() - v["at"].as_i64().unwrap_or(0) < OUTCOME_SHOWN_MS)
                .map(|v| GoogleOutcome {
                    connected: v["connected"].as_str().map(str::to_owned),
                    problem: v["problem"].as_str().map(str::to_owned),
                });
            let connected = if can_change { ops::calendars::list(&state.db, &ctx.scope).await? } else { Vec::new() };
            let mut tx = store::TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let crew = store::technicians::list(&mut tx).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let now = store::now_ms();
            let technicians = crew
                .into_iter()
                .filter(|t| t.active)
                .map(|t| {
                    let id = t.id.to_string();
                    let calendar = connected.iter().find(|c| c.technician_id == id).map(|c| ConnectedCalendar {
                        provider: c.provider.clone(),
                        name: c.name.clone(),
                        url: c.url.clone(),
                        username: c.username.clone(),
                        healthy: c.status == "connected",
                        last_error: c.last_error.clone(),
                        read: c.read_at.map_or("Not read yet".to_owned(), |at| read_ago(now - at)),
                    });
                    TechnicianCalendar { technician_id: id, name: t.name, calendar }
                })
                .collect();
            let google_available = state.google.is_some();
            Ok(CalendarsView { can_change, google_available, google_outcome, technicians })
        }
        .await,
    )
}

/// "Read just now", "Read 4 minutes ago", "Read 2 hours ago".
#[cfg(feature = "ssr")]
fn read_ago(ms: i64) -> String {
    match ms / 60_000 {
        0 => "Read just now".to_owned(),
        1 => "Read a minute ago".to_owned(),
        m if m < 120 => format!("Read {m} minutes ago"),
        m => format!("Read {} hours ago", m / 60),
    }
}

#[server(prefix = "/api", endpoint = "settings/calendars/connect")]
pub async fn connect_calendar(
    technician_id: String,
    url: String,
    username: String,
    password: String,
) -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let technician = domain::TechnicianId::parse(&technician_id).map_err(|_| UiError::NotFound)?;
            let input = ops::calendars::CalendarConnection { url, username, password: password.into() };
            ops::calendars::connect(&state.db, &state.calendars, &ctx.scope, technician, input).await?;
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/calendars/disconnect")]
pub async fn disconnect_calendar(technician_id: String) -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let technician = domain::TechnicianId::parse(&technician_id).map_err(|_| UiError::NotFound)?;
            ops::calendars::disconnect(&state.db, &ctx.scope, technician).await?;
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn CalendarsSection(on_saved: Callback<()>, from: &'static str) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let current = Resource::new(move || version.get(), |_| get_calendars());
    let saved = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_saved.run(());
    });
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(current.await, move |view| {
                    let outcome = view.google_outcome.clone().map(|o| view! { <Outcome outcome=o /> });
                    if !view.can_change {
                        return view! { <p class="text-sm text-slate-500">"Only the owner can connect technicians' calendars."</p> }.into_any();
                    }
                    if view.technicians.is_empty() {
                        return view! { <p class="text-sm text-slate-500">"Add a technician first; then connect the calendar they use."</p> }.into_any();
                    }
                    let google = view.google_available;
                    view! {
                        {outcome}
                        <ul class="divide-y divide-slate-100" data-testid="calendars">
                            {view.technicians.into_iter().map(|t| view! { <CalendarRow technician=t google from on_saved=saved /> }).collect_view()}
                        </ul>
                    }.into_any()
                })
            })}
        </Transition>
    }
}

/// What became of the owner's Google sign-in for a technician's calendar.
#[component]
fn Outcome(outcome: GoogleOutcome) -> impl IntoView {
    match (outcome.connected, outcome.problem) {
        (Some(account), _) => view! {
            <p class="mb-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800 break-words" role="status" data-testid="google-calendar-outcome">
                {format!("The Google calendar of {account} is connected: its busy times are kept out of the technician's openings, and their visits go into it.")}
            </p>
        }.into_any(),
        (None, problem) => view! {
            <p class="mb-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert" data-testid="google-calendar-outcome">
                {problem.unwrap_or_else(|| "The Google calendar was not connected.".into())}
            </p>
        }.into_any(),
    }
}

#[component]
fn CalendarRow(
    technician: TechnicianCalendar,
    google: bool,
    from: &'static str,
    on_saved: Callback<()>,
) -> impl IntoView {
    let name = technician.name.clone();
    let (label, heading) = (name.clone(), name.clone());
    view! {
        <li class="py-3" data-testid="calendar-row" data-technician=label>
            <p class="font-medium">{heading}</p>
            {match technician.calendar {
                Some(calendar) => view! { <Connected technician_id=technician.technician_id calendar on_saved /> }.into_any(),
                None => view! {
                    {google.then(|| view! { <GoogleButton technician_id=technician.technician_id.clone() name=name.clone() from /> })}
                    <ConnectForm technician_id=technician.technician_id name google on_saved />
                }.into_any(),
            }}
        </li>
    }
}

#[component]
fn Connected(technician_id: String, calendar: ConnectedCalendar, on_saved: Callback<()>) -> impl IntoView {
    let disconnect = ServerAction::<DisconnectCalendar>::new();
    when_saved(disconnect, on_saved);
    view! {
        <div class="mt-1 space-y-2 text-sm">
            <p class="flex flex-wrap items-center gap-2">
                <crate::components::HealthBadge healthy=calendar.healthy />
                <span class="break-all">{
                    let named = if calendar.name == calendar.username {
                        calendar.name.clone()
                    } else {
                        format!("{} ({})", calendar.name, calendar.username)
                    };
                    if calendar.provider == "google" { format!("Google Calendar: {named}") } else { named }
                }</span>
                <span class="text-xs text-slate-500">{calendar.read.clone()}</span>
            </p>
            {calendar.last_error.clone().map(|e| view! {
                <p class="rounded-lg bg-rose-50 px-3 py-2 text-rose-700" role="alert">
                    {format!("{e}. Until it can be read, no times are offered for this technician.")}
                </p>
            })}
            {(calendar.provider != "google").then(|| view! { <p class="text-xs text-slate-500 break-all">{calendar.url.clone()}</p> })}
            <ActionForm action=disconnect>
                <input type="hidden" name="technician_id" value=technician_id />
                <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50">"Disconnect calendar"</button>
            </ActionForm>
            <ErrorBanner error=failed(disconnect) />
        </div>
    }
}

/// Connects the technician's Google Calendar by signing in with Google: no password typed here.
#[component]
fn GoogleButton(technician_id: String, name: String, from: &'static str) -> impl IntoView {
    let first = name.split(' ').next().unwrap_or_default().to_owned();
    view! {
        // A full page load: the server sends the browser on to Google, where the technician's
        // own Google account signs in.
        <a rel="external" href=format!("/app/integrations/google-calendar/connect?technician={technician_id}&from={from}")
            data-testid="connect-google-calendar"
            class="mt-1 inline-block rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-indigo-500">
            {format!("Connect {first}'s Google Calendar")}
        </a>
    }
}

#[component]
fn ConnectForm(technician_id: String, name: String, google: bool, on_saved: Callback<()>) -> impl IntoView {
    let connect = ServerAction::<ConnectCalendar>::new();
    when_saved(connect, on_saved);
    let error = failed(connect);
    let field = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.for_field(name)));
    let general = general(error);
    let input = "mt-1 w-full rounded-lg border border-slate-300 px-3 py-2";
    let first = name.split(' ').next().unwrap_or_default().to_owned();
    let key = technician_id.clone();
    view! {
        <details class="mt-1">
            <summary class="cursor-pointer text-sm text-indigo-700 hover:text-indigo-500">{if google {
                "Another calendar (iCloud, Fastmail, Nextcloud …)".to_owned()
            } else {
                format!("Connect {first}'s calendar")
            }}</summary>
            <ActionForm action=connect attr:class="mt-2 space-y-3" attr:data-testid="calendar-form">
                <input type="hidden" name="technician_id" value=technician_id />
                <p class="text-sm text-slate-600">"Any calendar that speaks CalDAV works: iCloud (https://caldav.icloud.com), Fastmail (https://caldav.fastmail.com), Nextcloud and others. Use an app password made for Opsquad, not the account's own password."</p>
                <label class="block text-sm font-medium text-slate-700">"Calendar address"
                    <input class=input type="url" name="url" autocapitalize="none" autocomplete="off" placeholder="https://caldav.icloud.com" />
                    <FieldError id=format!("calendar-url-error-{key}") error=field("url") />
                </label>
                <label class="block text-sm font-medium text-slate-700">"User name"
                    <input class=input name="username" autocapitalize="none" autocomplete="off" />
                    <FieldError id=format!("calendar-username-error-{key}") error=field("username") />
                </label>
                <label class="block text-sm font-medium text-slate-700">"App password"
                    <input class=input type="password" name="password" autocomplete="off" />
                    <FieldError id=format!("calendar-password-error-{key}") error=field("password") />
                </label>
                <ErrorBanner error=general />
                <button type="submit" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500 disabled:opacity-60" disabled=move || connect.pending().get()>
                    {move || if connect.pending().get() { "Reading the calendar…" } else { "Connect calendar" }}
                </button>
            </ActionForm>
        </details>
    }
}
