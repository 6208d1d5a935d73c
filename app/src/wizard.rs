//! `/app/setup`: the onboarding wizard a new owner lands on after signing up — business, hours,
//! service area, price list, technicians, connections, then a test inquiry to watch on the live
//! board. The step is saved on the server, so leaving and coming back resumes where they left.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::board::{get_board, LiveBoard};
use crate::components::ErrorBanner;
use crate::error::UiError;
use crate::setup::{get_setup, step_index, GoToStep, SetupView, STEPS};
use crate::setup_forms::{AreaForm, HoursForm, ProfileForm, ServicesForm, TechniciansForm};
use crate::shell::{or_error, AppPage, NavRefresh};

#[component]
pub fn WizardPage() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let nav = NavRefresh(RwSignal::new(0));
    provide_context(nav);
    let setup = Resource::new(move || version.get(), |_| get_setup());
    let refresh = Callback::new(move |()| {
        version.update(|v| *v += 1);
        nav.0.update(|n| *n += 1);
    });
    view! {
        <Title text="Set up" />
        <AppPage>
            <main class="mx-auto max-w-3xl space-y-4 px-4 py-6">
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading your set-up…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(setup.await, move |setup| view! { <Wizard setup refresh /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn Wizard(setup: SetupView, refresh: Callback<()>) -> impl IntoView {
    let step = setup.step.clone();
    let Some(index) = step_index(&step) else {
        return view! { <Finished /> }.into_any();
    };
    let move_to = ServerAction::<GoToStep>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = move_to.value().get() {
            refresh.run(());
        }
    });
    let step_error = Signal::derive(move || move_to.value().get().and_then(Result::err));
    let (_, title) = STEPS[index];
    let back = (index > 0).then(|| STEPS[index - 1].0);
    let from = step.clone();
    let go = move |to: &'static str| {
        move_to.dispatch(GoToStep { from: from.clone(), to: to.to_owned() });
    };
    let go_back = go.clone();
    let next = STEPS.get(index + 1).map_or("done", |(s, _)| s);
    let body = match step.as_str() {
        "profile" => view! {
            <Intro text="What customers call you and where you are. The squad signs its messages with your name and books in your local time." />
            <ProfileForm setup next="hours" on_saved=refresh button="Save and continue" />
        }.into_any(),
        "hours" => view! {
            <Intro text="When your technicians can be booked. The Scheduler never offers a time outside these hours or on a holiday." />
            <HoursForm setup next="area" on_saved=refresh button="Save and continue" />
        }.into_any(),
        "area" => view! {
            <Intro text="Where you work. Inquiries from outside are politely declined; unknown places come to you." />
            <AreaForm setup next="services" on_saved=refresh button="Save and continue" />
        }.into_any(),
        "services" => view! {
            <Intro text="What you sell and for how much. The squad quotes and bills only from this list; code computes every amount." />
            <ServicesForm setup on_saved=refresh />
            <Continue label="Continue" go=go.clone() to=next />
        }.into_any(),
        "technicians" => view! {
            <Intro text="Who goes out on jobs. Skills decide who can take which service." />
            <TechniciansForm setup on_saved=refresh />
            <Continue label="Continue" go=go.clone() to=next />
        }.into_any(),
        "integrations" => view! {
            <Intro text="Connect your shop's mailbox, texting number and Stripe account, so the squad answers customers from your own address and number and takes card payments into your account." />
            <Integrations on_saved=refresh />
            <Continue label="Continue" go=go.clone() to=next />
        }.into_any(),
        _ => view! {
            <Intro text="Send a sample inquiry and watch it go from New to Booked on your live pipeline. It comes from a sample customer, so no real customer is contacted." />
            <TestStep />
            <Continue label="Finish set-up" go=go.clone() to="done" />
        }.into_any(),
    };
    view! {
        <Progress index />
        <section class="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm sm:p-6">
            <h1 class="text-xl font-semibold tracking-tight" data-testid="wizard-step">{title}</h1>
            <div class="mt-3 space-y-4">{body}</div>
            <div class="mt-3"><ErrorBanner error=Signal::derive(move || step_error.get().filter(UiError::is_general)) /></div>
            <p class="mt-3 min-h-[1.25rem] text-sm text-rose-600" role="alert">{move || step_error.get().and_then(|e| e.for_field("step"))}</p>
            {back.map(|to| view! {
                <button type="button" class="mt-2 text-sm text-slate-600 hover:underline" on:click=move |_| go_back(to)>"← Back"</button>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn Intro(text: &'static str) -> impl IntoView {
    view! { <p class="text-sm text-slate-600">{text}</p> }
}

#[component]
fn Continue<F>(label: &'static str, go: F, to: &'static str) -> impl IntoView
where
    F: Fn(&'static str) + Clone + Send + Sync + 'static,
{
    view! {
        <div class="flex justify-end border-t border-slate-100 pt-4">
            <button type="button" class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500" on:click=move |_| go(to)>{label}</button>
        </div>
    }
}

#[component]
fn Progress(index: usize) -> impl IntoView {
    view! {
        <nav aria-label="Set-up progress">
            <p class="text-sm font-medium text-slate-600">{format!("Step {} of {}", index + 1, STEPS.len())}</p>
            <ol class="mt-2 grid grid-cols-7 gap-1">
                {STEPS.iter().enumerate().map(|(i, (_, name))| view! {
                    <li class=if i <= index { "h-1.5 rounded-full bg-indigo-600" } else { "h-1.5 rounded-full bg-slate-200" } title=*name>
                        <span class="sr-only">{*name}{if i < index { " (done)" } else if i == index { " (current)" } else { "" }}</span>
                    </li>
                }).collect_view()}
            </ol>
        </nav>
    }
}

#[component]
fn Integrations(on_saved: Callback<()>) -> impl IntoView {
    view! {
        <article class="rounded-xl border border-slate-200 p-4" aria-label="Email">
            <h2 class="font-semibold">"Email"</h2>
            <p class="mb-3 mt-1 text-sm text-slate-600">"Inquiries sent to your shop's address reach the squad, and replies go out from it."</p>
            <crate::email_settings::EmailSection on_saved from="setup" />
        </article>
        <article class="rounded-xl border border-slate-200 p-4" aria-label="Text messages">
            <h2 class="font-semibold">"Text messages"</h2>
            <p class="mb-3 mt-1 text-sm text-slate-600">"Customers text your Twilio number and the squad answers, confirms bookings and sends reminders by text."</p>
            <crate::sms_settings::TextingSection on_saved />
        </article>
        <article class="rounded-xl border border-slate-200 p-4" aria-label="Card payments">
            <h2 class="font-semibold">"Card payments"</h2>
            <p class="mb-3 mt-1 text-sm text-slate-600">"Customers pay invoices by card through Stripe, straight into your own Stripe account."</p>
            <crate::stripe_settings::StripeSection on_saved from="setup" />
        </article>
        <article class="rounded-xl border border-slate-200 p-4" aria-label="Technicians' calendars">
            <h2 class="font-semibold">"Technicians' calendars"</h2>
            <p class="mb-3 mt-1 text-sm text-slate-600">"The Scheduler never offers a time a technician has something on in their own calendar, and adds every visit booked for them to it."</p>
            <crate::calendar_settings::CalendarsSection on_saved from="setup" />
        </article>
        <p class="text-xs text-slate-500">"Without a calendar, a technician's bookings live in Opsquad only. You can connect or change email, texting, Stripe and calendars later in Settings."</p>
    }
}

#[component]
fn TestStep() -> impl IntoView {
    let board = Resource::new(|| (), |_| get_board());
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the pipeline…"</p> }>
            {move || Suspend::new(async move { or_error(board.await, |board| view! { <LiveBoard board open_test=true /> }.into_any()) })}
        </Suspense>
    }
}

#[component]
fn Finished() -> impl IntoView {
    view! {
        <section class="rounded-2xl border border-emerald-200 bg-emerald-50 p-6" data-testid="setup-done">
            <h1 class="text-xl font-semibold text-emerald-900">"You're set up"</h1>
            <p class="mt-1 text-sm text-emerald-900">"The squad is answering inquiries. Change anything later in Settings."</p>
            <div class="mt-4 flex flex-wrap gap-2">
                <A href="/app/board" attr:class="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">"Open the pipeline"</A>
                <A href="/app/settings" attr:class="rounded-lg border border-slate-300 bg-white px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100">"Settings"</A>
            </div>
        </section>
    }
}
