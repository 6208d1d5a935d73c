use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::PublicNav;

#[component]
pub fn LandingPage() -> impl IntoView {
    view! {
        <Title text="" />
        <PublicNav />
        <main>
            <section class="mx-auto max-w-5xl px-4 py-14 sm:py-20">
                <p class="text-sm font-semibold uppercase tracking-wide text-indigo-700">"For HVAC, plumbing and electrical shops"</p>
                <h1 class="mt-3 max-w-3xl text-4xl font-bold tracking-tight sm:text-5xl">"An operations squad that answers, books and bills while you're on the job."</h1>
                <p class="mt-4 max-w-2xl text-lg text-slate-600">
                    "Three AI agents answer every inquiry within seconds, book real openings on your technicians' calendars and send the invoice with a payment link. You see every step, what it cost, and you approve anything out of the ordinary."
                </p>
                <div class="mt-8 flex flex-wrap gap-3">
                    <A href="/signup" attr:class="rounded-lg bg-indigo-600 px-5 py-3 font-medium text-white shadow-sm hover:bg-indigo-500">"Create your account"</A>
                    <A href="/login" attr:class="rounded-lg border border-slate-300 bg-white px-5 py-3 font-medium text-slate-800 hover:bg-slate-100">"Log in"</A>
                </div>
            </section>
            <section class="mx-auto grid max-w-5xl gap-4 px-4 pb-16 md:grid-cols-3">
                <Feature title="Lead Response" text="Replies to email, text, chat and form inquiries in seconds and scores each lead 1–10 with the reasons spelled out." />
                <Feature title="Scheduler" text="Knows your hours, holidays, service area and who can do what. Books without double booking and sends reminders." />
                <Feature title="Invoice" text="Prices every job from your own price list, sends a secure payment link and follows up until it's paid." />
            </section>
        </main>
        <footer class="border-t border-slate-200 py-6 text-center text-sm text-slate-500">"Opsquad · runs on your own server or ours"</footer>
    }
}

#[component]
fn Feature(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <article class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm">
            <h2 class="font-semibold">{title}</h2>
            <p class="mt-2 text-sm text-slate-600">{text}</p>
        </article>
    }
}
