//! The shop's public booking page, `/book/{org}`: a customer picks a service, one of its real
//! openings (in the shop's time zone, labelled with it) and leaves their details; confirming
//! books it at once (see `ops::booking_page`). The page exists only while its owner enables it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::components::{FieldError, LinkProblem, TextField};
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookableService {
    pub id: String,
    pub name: String,
    pub price: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingPageView {
    pub business: String,
    /// "America/Chicago".
    pub time_zone: String,
    pub services: Vec<BookableService>,
    /// The key this rendering's form submits with: a second submit books nothing new.
    pub submission: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpeningView {
    pub starts_at: i64,
    /// "Thursday, December 3".
    pub day: String,
    /// "10:00 AM CST".
    pub time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookedView {
    pub when: String,
    pub service: String,
    /// `/manage/{token}`; absent when a repeated submit found the booking already made.
    pub manage_url: Option<String>,
}

#[server(prefix = "/api", endpoint = "book/view", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_booking_page(org: String) -> Result<BookingPageView, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let page = ops::booking_page::open(&state.db, &org).await?;
            let view = ops::booking_page::view(&state.db, &page).await?;
            Ok(BookingPageView {
                business: view.business,
                time_zone: view.time_zone,
                services: view
                    .services
                    .into_iter()
                    .map(|s| BookableService { id: s.id.to_string(), name: s.name, price: s.price })
                    .collect(),
                submission: ops::booking_page::new_submission(),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "book/openings", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_booking_openings(org: String, service_id: String) -> Result<Vec<OpeningView>, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let page = ops::booking_page::open(&state.db, &org).await?;
            let openings = ops::booking_page::openings(&state.db, state.calendars.as_ref(), &page, &service_id).await?;
            Ok(openings.into_iter().map(|o| OpeningView { starts_at: o.starts_at, day: o.day, time: o.time }).collect())
        }
        .await,
    )
}

#[allow(clippy::too_many_arguments)]
#[server(prefix = "/api", endpoint = "book/confirm")]
pub async fn book_visit(
    org: String,
    service_id: String,
    starts_at: String,
    name: String,
    email: String,
    phone: String,
    street: String,
    zip: String,
    note: String,
    submission: String,
) -> Result<BookedView, UiError> {
    use auth::throttle::{Action, Subject};

    use crate::state::{client_ip, respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let page = ops::booking_page::open(&state.db, &org).await?;
            let starts_at = starts_at
                .trim()
                .parse()
                .map_err(|_| UiError::validation("starts_at", "Choose a time for the visit."))?;
            state
                .throttle
                .allow(Action::BookOnline, Subject::Address(client_ip().await?))
                .map_err(UiError::rate_limited)?;
            state.throttle.allow(Action::BookOnlineOrg, Subject::Named(&org)).map_err(UiError::rate_limited)?;
            let request = ops::booking_page::BookingRequest {
                service_id,
                starts_at,
                name,
                email,
                phone,
                street,
                zip,
                note,
                submission,
            };
            let booked = ops::booking_page::book(&state.db, state.calendars.as_ref(), &page, &request).await?;
            Ok(BookedView {
                when: booked.when,
                service: booked.service,
                manage_url: booked.manage_token.map(|t| format!("/manage/{t}")),
            })
        }
        .await,
    )
}

#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let org = move || params.read().get("org").unwrap_or_default();
    let page = Resource::new(org, get_booking_page);
    view! {
        <Title text="Book a visit" />
        <main class="min-h-screen bg-slate-50 px-4 py-8 sm:py-12">
            <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(view) => view! { <Booking view org=org() /> }.into_any(),
                        Err(error) => view! {
                            <LinkProblem
                                error
                                heading="Online booking isn't available"
                                text="This business doesn't take bookings on this page right now. Please contact them directly."
                            />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The openings grouped by their day, in order.
pub(crate) fn by_day(openings: Vec<OpeningView>) -> Vec<(String, Vec<OpeningView>)> {
    let mut days: Vec<(String, Vec<OpeningView>)> = Vec::new();
    for opening in openings {
        match days.last_mut() {
            Some((day, times)) if *day == opening.day => times.push(opening),
            _ => days.push((opening.day.clone(), vec![opening])),
        }
    }
    days
}

#[component]
fn Booking(view: BookingPageView, org: String) -> impl IntoView {
    let service = RwSignal::new(None::<BookableService>);
    let chosen = RwSignal::new(None::<OpeningView>);
    let book = ServerAction::<BookVisit>::new();
    let openings_org = org.clone();
    let openings = Resource::new(
        move || service.get().map(|s| s.id),
        move |id| {
            let org = openings_org.clone();
            async move {
                match id {
                    Some(id) => get_booking_openings(org, id).await,
                    None => Ok(Vec::new()),
                }
            }
        },
    );
    // A time taken meanwhile: forget the choice and show what is still free.
    Effect::new(move |_| {
        if let Some(Err(UiError::Conflict { field, .. })) = book.value().get() {
            if field == "starts_at" {
                chosen.set(None);
                openings.refetch();
            }
        }
    });
    // Only a booking replaces the form: a refused submit keeps what the customer typed.
    let booked = Memo::new(move |_| book.value().get().and_then(Result::ok));
    let error = Signal::derive(move || book.value().get().and_then(Result::err));
    let field_error = move |name: &'static str| Signal::derive(move || error.get().and_then(|e| e.for_field(name)));
    let taken = Signal::derive(move || error.get().and_then(|e| e.for_field("starts_at")));
    let general = Signal::derive(move || {
        error
            .get()
            .filter(|e| e.is_general() || e.for_field("service_id").is_some() || e.for_field("submission").is_some())
    });
    let BookingPageView { business, time_zone, services, submission } = view;
    let form_keys = StoredValue::new((org, submission));
    let zone_note = format!("Times are shown in the business's local time ({time_zone}).");
    let heading_business = business.clone();
    view! {
        <section class="mx-auto max-w-2xl rounded-xl border border-slate-200 bg-white shadow-sm">
            <header class="border-b border-slate-100 p-6">
                <p class="text-sm font-medium text-indigo-700">{heading_business}</p>
                <h1 class="mt-1 text-2xl font-bold tracking-tight">"Book a visit"</h1>
                <p class="mt-1 text-sm text-slate-600" data-testid="zone">{zone_note}</p>
            </header>
            {move || match booked.get() {
                Some(done) => view! { <Booked done business=business.clone() /> }.into_any(),
                None => {
                    let services = services.clone();
                    view! {
                        <div class="space-y-8 p-6">
                            <fieldset>
                                <legend class="text-base font-semibold">"1. What do you need?"</legend>
                                {services.is_empty().then(|| view! {
                                    <p class="mt-2 text-slate-600">"No services can be booked online right now. Please contact the business directly."</p>
                                })}
                                <div class="mt-3 grid gap-2 sm:grid-cols-2">
                                    {services.into_iter().map(|s| {
                                        let id = s.id.clone();
                                        let picked = Memo::new(move |_| service.with(|c| c.as_ref().is_some_and(|c| c.id == id)));
                                        let pick = s.clone();
                                        view! {
                                            <button type="button" data-testid="service"
                                                class="rounded-lg border px-4 py-3 text-left hover:border-indigo-400"
                                                class=("border-indigo-600", picked) class=("bg-indigo-50", picked)
                                                class=("border-slate-200", move || !picked.get())
                                                aria-pressed=move || if picked.get() { "true" } else { "false" }
                                                on:click=move |_| { service.set(Some(pick.clone())); chosen.set(None); }>
                                                <span class="block font-medium">{s.name.clone()}</span>
                                                <span class="block text-sm text-slate-600">{s.price.clone()}</span>
                                            </button>
                                        }
                                    }).collect_view()}
                                </div>
                            </fieldset>
                            <Show when=move || service.with(Option::is_some)>
                                <fieldset>
                                    <legend class="text-base font-semibold">"2. Pick a time"</legend>
                                    {move || taken.get().map(|message| view! {
                                        <p class="mt-2 rounded-lg bg-amber-50 p-3 text-sm text-amber-900" role="alert" data-testid="taken">{message}</p>
                                    })}
                                    <Suspense fallback=|| view! { <p class="mt-2 text-slate-500">"Finding open times…"</p> }>
                                        {move || Suspend::new(async move {
                                            match openings.await {
                                                Ok(list) if list.is_empty() => view! {
                                                    <p class="mt-2 text-slate-600">"No open times in the coming days. Please contact the business directly."</p>
                                                }.into_any(),
                                                Ok(list) => view! { <Openings days=by_day(list) chosen /> }.into_any(),
                                                Err(e) => view! { <p class="mt-2 text-rose-700" role="alert">{e.to_string()}</p> }.into_any(),
                                            }
                                        })}
                                    </Suspense>
                                </fieldset>
                            </Show>
                            <Show when=move || chosen.with(Option::is_some)>
                                <ActionForm action=book attr:class="space-y-3" attr:novalidate=true>
                                    <h2 class="text-base font-semibold">"3. Your details"</h2>
                                    <input type="hidden" name="org" value=form_keys.with_value(|(org, _)| org.clone()) />
                                    <input type="hidden" name="submission" value=form_keys.with_value(|(_, key)| key.clone()) />
                                    <input type="hidden" name="service_id" value=move || service.get().map(|s| s.id).unwrap_or_default() />
                                    <input type="hidden" name="starts_at" value=move || chosen.get().map(|o| o.starts_at.to_string()).unwrap_or_default() />
                                    <TextField label="Your name" name="name" autocomplete="name" required=true error=field_error("name") />
                                    <div class="grid gap-3 sm:grid-cols-2">
                                        <TextField label="Email" name="email" input_type="email" autocomplete="email" error=field_error("email") />
                                        <TextField label="Phone" name="phone" input_type="tel" autocomplete="tel" error=field_error("phone") />
                                    </div>
                                    <p class="-mt-2 text-xs text-slate-500">"An email address or a phone number, so the business can reach you."</p>
                                    <div class="grid gap-3 sm:grid-cols-3">
                                        <div class="sm:col-span-2">
                                            <TextField label="Street address" name="street" autocomplete="street-address" required=true error=field_error("street") />
                                        </div>
                                        <TextField label="ZIP code" name="zip" autocomplete="postal-code" required=true error=field_error("zip") />
                                    </div>
                                    <label class="block text-sm font-medium text-slate-700" for="note">"Anything we should know? (optional)"</label>
                                    <textarea id="note" name="note" rows="3" maxlength="2000"
                                        class="w-full rounded-lg border border-slate-300 p-3 text-base focus:border-indigo-500 focus:outline-none"
                                        placeholder="For example: the furnace makes a banging noise; the side gate is unlocked."></textarea>
                                    <FieldError id="note-error".to_owned() error=field_error("note") />
                                    {move || general.get().map(|e| view! {
                                        <div class="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert">{e.to_string()}</div>
                                    })}
                                    <button type="submit" data-testid="confirm"
                                        class="w-full rounded-lg bg-indigo-600 px-4 py-3 font-semibold text-white hover:bg-indigo-500 disabled:cursor-wait disabled:opacity-70"
                                        disabled=move || book.pending().get()>
                                        {move || match (book.pending().get(), chosen.get()) {
                                            (true, _) => "Booking…".to_owned(),
                                            (false, Some(o)) => format!("Book {} at {}", o.day, o.time),
                                            (false, None) => "Book".to_owned(),
                                        }}
                                    </button>
                                </ActionForm>
                            </Show>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// How many days of openings show before the customer asks for more (a phone screen's worth).
const FIRST_DAYS: usize = 3;

#[component]
pub(crate) fn Openings(days: Vec<(String, Vec<OpeningView>)>, chosen: RwSignal<Option<OpeningView>>) -> impl IntoView {
    let all = RwSignal::new(false);
    let hidden = days.len().saturating_sub(FIRST_DAYS);
    view! {
        <div class="mt-3 space-y-4" data-testid="openings">
            {days.into_iter().enumerate().map(|(n, (day, times))| view! {
                <div class=("hidden", move || n >= FIRST_DAYS && !all.get())>
                    <h3 class="text-sm font-semibold text-slate-700">{day}</h3>
                    <div class="mt-2 flex flex-wrap gap-2">
                        {times.into_iter().map(|o| {
                            let at = o.starts_at;
                            let picked = Memo::new(move |_| chosen.with(|c| c.as_ref().is_some_and(|c| c.starts_at == at)));
                            let label = o.time.clone();
                            view! {
                                <button type="button" data-testid="time" data-starts-at=at.to_string()
                                    class="rounded-lg border px-3 py-2 text-sm font-medium hover:border-indigo-400"
                                    class=("border-indigo-600", picked) class=("bg-indigo-600", picked) class=("text-white", picked)
                                    class=("border-slate-300", move || !picked.get())
                                    aria-pressed=move || if picked.get() { "true" } else { "false" }
                                    on:click=move |_| chosen.set(Some(o.clone()))>
                                    {label}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                </div>
            }).collect_view()}
            {(hidden > 0).then(|| view! {
                <Show when=move || !all.get()>
                    <button type="button" class="text-sm font-medium text-indigo-700 underline" on:click=move |_| all.set(true)>
                        {format!("Show {hidden} more days")}
                    </button>
                </Show>
            })}
        </div>
    }
}

#[component]
fn Booked(done: BookedView, business: String) -> impl IntoView {
    view! {
        <div class="space-y-4 p-6" data-testid="booked">
            <p class="rounded-lg bg-emerald-50 p-4 font-medium text-emerald-800" role="status">"You're booked."</p>
            <div>
                <p class="text-lg font-medium">{done.service}</p>
                <p class="text-slate-700" data-testid="booked-when">{done.when}</p>
                <p class="text-sm text-slate-600">{business}</p>
            </div>
            {match done.manage_url {
                Some(url) => view! {
                    <p class="text-sm text-slate-700">
                        "Need to change or cancel? "
                        <a class="font-medium text-indigo-700 underline" href=url data-testid="manage-link">"Manage this booking"</a>
                        " — bookmark that private link; it works until the visit."
                    </p>
                }.into_any(),
                None => view! {
                    <p class="text-sm text-slate-700">"This booking was already made. Use the private link shown when you booked it to change or cancel."</p>
                }.into_any(),
            }}
        </div>
    }
}
