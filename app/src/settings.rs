//! `/app/settings`: everything the wizard set up, editable, plus booking, tax and budget rules and
//! the audit log of who changed what.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::ai_models::ModelsSection;
use crate::setup::{get_setup, SetupView};
use crate::setup_forms::{
    AreaForm, HoursForm, OperationsForm, PoliciesForm, ProfileForm, ServicesForm, TechniciansForm,
};
use crate::shell::{or_error, AppPage};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let setup = Resource::new(move || version.get(), |_| get_setup());
    let refresh = Callback::new(move |()| version.update(|v| *v += 1));
    view! {
        <Title text="Settings" />
        <AppPage>
            <main class="mx-auto max-w-3xl space-y-4 px-4 py-6">
                <h1 class="text-2xl font-semibold tracking-tight">"Settings"</h1>
                <crate::your_account::YourAccount />
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading settings…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(setup.await, move |setup| view! { <Sections setup refresh /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn Section(title: &'static str, intro: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="rounded-2xl border border-slate-200 bg-white p-5" aria-label=title>
            <h2 class="font-semibold">{title}</h2>
            <p class="mb-3 text-sm text-slate-600">{intro}</p>
            {children()}
        </section>
    }
}

#[component]
fn Sections(setup: SetupView, refresh: Callback<()>) -> impl IntoView {
    let audit = setup.audit.clone();
    let owner = setup.can_change_budgets;
    let (profile, hours, area, services, technicians, operations) =
        (setup.clone(), setup.clone(), setup.clone(), setup.clone(), setup.clone(), setup.clone());
    view! {
        <Section title="Business" intro="Your name as customers see it, and the time zone every booking is in.">
            <ProfileForm setup=profile on_saved=refresh button="Save" />
        </Section>
        <Section title="Hours and holidays" intro="When jobs can be booked.">
            <HoursForm setup=hours on_saved=refresh button="Save" />
        </Section>
        <Section title="Service area" intro="ZIP codes and/or a radius.">
            <AreaForm setup=area on_saved=refresh button="Save" />
        </Section>
        <Section title="Services and prices" intro="The only prices the squad quotes and bills.">
            <ServicesForm setup=services on_saved=refresh />
        </Section>
        <Section title="Technicians" intro="Who can be booked, and for which skills.">
            <TechniciansForm setup=technicians on_saved=refresh />
        </Section>
        <Section title="Technicians' calendars" intro="The calendar each technician already uses: what is on it is never offered, and every visit booked for them is added to it.">
            <crate::calendar_settings::CalendarsSection on_saved=refresh from="settings" />
        </Section>
        <Section title="Email" intro="Your shop's mailbox: the squad reads inquiries sent to it and replies from your own address.">
            <crate::email_settings::EmailSection on_saved=refresh from="settings" />
        </Section>
        <Section title="Text messages" intro="Your Twilio number: customers text it and the squad answers, confirms and reminds by text.">
            <crate::sms_settings::TextingSection on_saved=refresh />
        </Section>
        <Section title="Card payments" intro="Your Stripe account: customers pay invoices by card, straight into it.">
            <crate::stripe_settings::StripeSection on_saved=refresh from="settings" />
        </Section>
        <Section title="Booking page" intro="A page where customers pick one of your open times and book it themselves.">
            <crate::booking_settings::BookingPageSection on_saved=refresh />
        </Section>
        <Section title="Chat widget" intro="A chat on your own website: the squad answers visitors while they watch.">
            <crate::widget_settings::WidgetSection on_saved=refresh />
        </Section>
        <Section title="Booking, billing and budgets" intro="Gaps between jobs, reminders, tax, when invoices need you, and what the squad may spend.">
            <OperationsForm setup=operations on_saved=refresh />
        </Section>
        <Section title="Approvals and guardrails" intro="What the squad must ask you about, and what happens when you don't answer in time.">
            <PoliciesForm setup on_saved=refresh />
        </Section>
        // Model settings are for the curious; an owner running the shop never needs them.
        <section class="rounded-2xl border border-slate-200 bg-white p-5" aria-label="Advanced: AI models">
            <details>
                <summary class="cursor-pointer font-semibold">"Advanced: AI models"</summary>
                <p class="mb-3 mt-1 text-sm text-slate-600">"Which model each agent thinks with, and how. You rarely need to change these: blank fields keep the default, and only models this server can bill are offered."</p>
                <ModelsSection on_saved=refresh />
            </details>
        </section>
        <Section title="Recent changes" intro="Every change made in the dashboard or through the API, newest first.">
            {if !owner {
                view! { <p class="text-sm text-slate-500">"Only the owner can see who changed what."</p> }.into_any()
            } else if audit.is_empty() {
                view! { <p class="text-sm text-slate-500">"No changes yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100 text-sm" data-testid="audit-log">
                        {audit.into_iter().map(|a| view! {
                            <li class="flex flex-wrap justify-between gap-2 py-2"><span>{a.what}</span><span class="text-slate-500">{a.who}" · "{a.at}</span></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </Section>
    }
}
