//! The customer's manage page, `/manage/{token}`: their booking behind a private link that was
//! sent to the contact on file (see `ops::manage`). The link is the only credential; it works
//! once — to cancel the booking, move it to another opening, or write to the shop — and for a week.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::booking_page::{by_day, OpeningView, Openings};
use crate::components::LinkProblem;
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingView {
    pub when: String,
    pub service: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagePageView {
    pub business: String,
    pub customer_name: String,
    pub booking: Option<BookingView>,
}

#[server(prefix = "/api", endpoint = "manage/view", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_manage_page(token: String) -> Result<ManagePageView, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let link = ops::manage::resolve(&state.db, &token).await?;
            let view = ops::manage::view(&state.db, &link).await?;
            Ok(ManagePageView {
                business: view.business,
                customer_name: view.customer_name,
                booking: view.booking.map(|b| BookingView { when: b.when, service: b.service }),
            })
        }
        .await,
    )
}

/// Cancels the booking behind the link; the link is used up.
#[server(prefix = "/api", endpoint = "manage/cancel")]
pub async fn cancel_booking(token: String) -> Result<(), UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let link = ops::manage::resolve(&state.db, &token).await?;
            Ok(ops::manage::cancel(&state.db, &link).await?)
        }
        .await,
    )
}

/// The openings the booking may move to.
#[server(prefix = "/api", endpoint = "manage/openings", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_move_openings(token: String) -> Result<Vec<OpeningView>, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let link = ops::manage::resolve(&state.db, &token).await?;
            let openings = ops::manage::openings(&state.db, state.calendars.as_ref(), &link).await?;
            Ok(openings.into_iter().map(|o| OpeningView { starts_at: o.starts_at, day: o.day, time: o.time }).collect())
        }
        .await,
    )
}

/// Moves the booking to the opening at `starts_at`; the link is used up. Answers the new time.
#[server(prefix = "/api", endpoint = "manage/move")]
pub async fn move_booking(token: String, starts_at: i64) -> Result<String, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let link = ops::manage::resolve(&state.db, &token).await?;
            Ok(ops::manage::reschedule(&state.db, state.calendars.as_ref(), &link, starts_at).await?)
        }
        .await,
    )
}

/// A message to the shop through the link (to ask for another time); the link is used up.
#[server(prefix = "/api", endpoint = "manage/write")]
pub async fn write_to_shop(token: String, body: String) -> Result<(), UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            let link = ops::manage::resolve(&state.db, &token).await?;
            ops::manage::write(&state.db, &link, &body).await?;
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn ManagePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let page = Resource::new(token, get_manage_page);
    let cancel = ServerAction::<CancelBooking>::new();
    let write = ServerAction::<WriteToShop>::new();
    let move_to = ServerAction::<MoveBooking>::new();
    view! {
        <Title text="Your booking" />
        <main class="min-h-screen bg-slate-50 px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading your booking…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(view) => view! { <Manage view cancel write move_to token=token() /> }.into_any(),
                        Err(error) => view! {
                            <LinkProblem
                                error
                                heading="This link no longer works"
                                text="Links to manage a booking work once, and only for a while. To change your booking, contact the business directly or write to them again to get a new link."
                            />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Manage(
    view: ManagePageView,
    cancel: ServerAction<CancelBooking>,
    write: ServerAction<WriteToShop>,
    move_to: ServerAction<MoveBooking>,
    token: String,
) -> impl IntoView {
    let cancelled = move || matches!(cancel.value().get(), Some(Ok(())));
    let written = move || matches!(write.value().get(), Some(Ok(())));
    let moved = move || move_to.value().get().and_then(Result::ok);
    let cancel_error = move || cancel.value().get().and_then(Result::err).map(|e| e.to_string());
    let write_error = move || write.value().get().and_then(Result::err);
    let move_error = move || move_to.value().get().and_then(Result::err).map(|e| e.to_string());
    let busy = move || cancel.pending().get() || write.pending().get() || move_to.pending().get();
    let (cancel_token, write_token, move_token) = (token.clone(), token.clone(), token);
    view! {
        <section class="mx-auto max-w-md rounded-xl border border-slate-200 bg-white shadow-sm">
            <header class="border-b border-slate-100 p-6">
                <p class="text-sm font-medium text-indigo-700">{view.business.clone()}</p>
                <h1 class="mt-1 text-2xl font-bold tracking-tight">"Hello " {view.customer_name.clone()}</h1>
            </header>
            <div class="space-y-6 p-6">
                {move || if cancelled() {
                    view! { <p class="rounded-lg bg-emerald-50 p-4 font-medium text-emerald-800" role="status" data-testid="done">"Your booking is cancelled."</p> }.into_any()
                } else if let Some(when) = moved() {
                    view! { <p class="rounded-lg bg-emerald-50 p-4 font-medium text-emerald-800" role="status" data-testid="done">"Your booking is moved to " {when} "."</p> }.into_any()
                } else if written() {
                    view! { <p class="rounded-lg bg-emerald-50 p-4 font-medium text-emerald-800" role="status" data-testid="done">"Thanks — your message was received."</p> }.into_any()
                } else {
                    let booking = view.booking.clone();
                    let has_booking = booking.is_some();
                    let cancel_token = cancel_token.clone();
                    let write_token = write_token.clone();
                    let move_token = move_token.clone();
                    view! {
                        {match booking {
                            Some(b) => view! {
                                <div data-testid="booking">
                                    <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500">"Your booking"</h2>
                                    <p class="mt-1 text-lg font-medium">{b.service.unwrap_or_else(|| "Service visit".to_owned())}</p>
                                    <p class="text-slate-700">{b.when}</p>
                                </div>
                            }.into_any(),
                            None => view! { <p class="text-slate-700">"You have no upcoming booking with us."</p> }.into_any(),
                        }}
                        {has_booking.then(|| view! { <MovePicker action=move_to token=move_token error=Signal::derive(move_error) busy=Signal::derive(busy) /> })}
                        <ActionForm action=write attr:class="space-y-2">
                            <input type="hidden" name="token" value=write_token />
                            <label for="manage-body" class="block text-sm font-medium">"Need another time, or anything else? Write to us"</label>
                            <textarea id="manage-body" name="body" rows="3" required maxlength="2000"
                                class="w-full rounded-lg border border-slate-300 p-3 text-base focus:border-indigo-500 focus:outline-none"
                                placeholder="For example: could you come Thursday afternoon instead?"></textarea>
                            {move || write_error().and_then(|e| e.for_field("body").or_else(|| Some(e.to_string()))).map(|e| view! { <p class="text-sm text-rose-700" role="alert">{e}</p> })}
                            <button type="submit" class="w-full rounded-lg bg-indigo-600 px-4 py-3 font-semibold text-white hover:bg-indigo-500 disabled:opacity-60" disabled=busy>"Send"</button>
                        </ActionForm>
                        {has_booking.then(|| view! {
                            <ActionForm action=cancel attr:class="border-t border-slate-100 pt-6">
                                <input type="hidden" name="token" value=cancel_token />
                                <button type="submit" class="w-full rounded-lg border border-rose-300 px-4 py-3 font-semibold text-rose-700 hover:bg-rose-50 disabled:opacity-60" disabled=busy>"Cancel my booking"</button>
                                {move || cancel_error().map(|e| view! { <p class="mt-2 text-sm text-rose-700" role="alert">{e}</p> })}
                            </ActionForm>
                        })}
                        <p class="text-xs text-slate-500">"This private link works once: to cancel, to move the booking, or for one message."</p>
                    }.into_any()
                }}
            </div>
        </section>
    }
}

/// Picking another opening for the booking, and moving it there.
#[component]
fn MovePicker(
    action: ServerAction<MoveBooking>,
    token: String,
    error: Signal<Option<String>>,
    busy: Signal<bool>,
) -> impl IntoView {
    let picking = RwSignal::new(false);
    let chosen = RwSignal::new(None::<OpeningView>);
    let token = StoredValue::new(token);
    let openings = Resource::new(
        move || picking.get(),
        move |open| async move {
            if open {
                get_move_openings(token.get_value()).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    view! {
        <section class="space-y-2 border-t border-slate-100 pt-6" data-testid="move">
            <h2 class="text-sm font-medium">"Another time suits you better?"</h2>
            <Show when=move || !picking.get()>
                <button type="button" class="w-full rounded-lg border border-indigo-300 px-4 py-3 font-semibold text-indigo-700 hover:bg-indigo-50"
                    on:click=move |_| picking.set(true)>"See other times"</button>
            </Show>
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Finding open times…"</p> }>
                {move || Suspend::new(async move {
                    match openings.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(list)) if list.is_empty() => view! { <p class="text-sm text-slate-600">"No other openings in the next two weeks. Write to us below and we'll find a time."</p> }.into_any(),
                        Ok(Some(list)) => view! { <Openings days=by_day(list) chosen /> }.into_any(),
                        Err(e) => view! { <p class="text-sm text-rose-700" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <Show when=move || chosen.with(Option::is_some)>
                <ActionForm action attr:class="space-y-2">
                    <input type="hidden" name="token" value=token.get_value() />
                    <input type="hidden" name="starts_at" prop:value=move || chosen.get().map(|o| o.starts_at.to_string()).unwrap_or_default() />
                    <button type="submit" data-testid="move-confirm"
                        class="w-full rounded-lg bg-indigo-600 px-4 py-3 font-semibold text-white hover:bg-indigo-500 disabled:opacity-60"
                        disabled=busy>
                        {move || chosen.get().map(|o| format!("Move my booking to {} at {}", o.day, o.time)).unwrap_or_default()}
                    </button>
                </ActionForm>
            </Show>
            {move || error.get().map(|e| view! { <p class="text-sm text-rose-700" role="alert">{e}</p> })}
        </section>
    }
}
