//! The owner's home: who is logged in, what the squad will do, and what to set up next.

use domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use serde::{Deserialize, Serialize};

use crate::account::LogOut;
use crate::api_keys::ApiKeysCard;
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub org_name: String,
    pub user_email: String,
    pub user_name: Option<String>,
    pub role: Role,
    pub team_size: usize,
    pub customer_count: usize,
}

#[server(prefix = "/api", endpoint = "dashboard/summary", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_dashboard() -> Result<DashboardView, UiError> {
    use store::{customers, orgs, users, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let user_id = ctx.scope.user_id().ok_or(UiError::Unauthenticated)?;
            let mut tx = TenantTx::begin(&state.db, &ctx.scope).await.map_err(internal)?;
            let org = orgs::current(&mut tx).await.map_err(internal)?;
            let user = users::get(&mut tx, user_id).await.map_err(internal)?.ok_or(UiError::Unauthenticated)?;
            let team_size = users::list(&mut tx).await.map_err(internal)?.len();
            let customer_count = customers::list(&mut tx, 1000).await.map_err(internal)?.len();
            tx.commit().await.map_err(internal)?;
            Ok(DashboardView {
                org_name: org.name,
                user_email: user.email,
                user_name: user.name,
                role: user.role,
                team_size,
                customer_count,
            })
        }
        .await,
    )
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| get_dashboard());
    view! {
        <Title text="Dashboard" />
        <Suspense fallback=|| view! { <p class="p-8 text-slate-500">"Loading your dashboard…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(view) => view! { <Dashboard view /> }.into_any(),
                    Err(UiError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(err) => view! {
                        <main class="mx-auto max-w-xl p-8">
                            <div class="rounded-lg border border-rose-200 bg-rose-50 p-4 text-rose-700" role="alert">{err.to_string()}</div>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Dashboard(view: DashboardView) -> impl IntoView {
    let logout = ServerAction::<LogOut>::new();
    let greeting = view.user_name.clone().unwrap_or_else(|| view.user_email.clone());
    let is_owner = view.role == Role::Owner;
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
                <div class="flex items-center gap-3">
                    <A href="/app" attr:class="grid h-9 w-9 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white">"OS"</A>
                    <div>
                        <p class="font-semibold leading-tight" data-testid="org-name">{view.org_name.clone()}</p>
                        <p class="text-xs text-slate-500">{view.user_email.clone()} " · " {view.role.as_str()}</p>
                    </div>
                </div>
                <ActionForm action=logout>
                    <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">"Log out"</button>
                </ActionForm>
            </div>
        </header>
        <main class="mx-auto max-w-6xl space-y-6 px-4 py-6">
            <section>
                <h1 class="text-2xl font-semibold tracking-tight">"Welcome, " {greeting}</h1>
                <p class="mt-1 text-slate-600">"Your squad answers every inquiry, books the job and sends the invoice. Here is where things stand."</p>
            </section>
            <section class="grid gap-4 md:grid-cols-3" aria-label="Your squad">
                <AgentCard name="Lead Response" role_text="Answers each inquiry within seconds, scores it 1–10 and explains why." />
                <AgentCard name="Scheduler" role_text="Finds real openings across your technicians and books without double booking." />
                <AgentCard name="Invoice" role_text="Bills from your price list, sends a payment link and follows up until paid." />
            </section>
            <section class="grid gap-4 lg:grid-cols-3">
                <div class="rounded-xl border border-slate-200 bg-white p-5 lg:col-span-2">
                    <h2 class="font-semibold">"Pipeline"</h2>
                    <div class="mt-4 rounded-lg border border-dashed border-slate-300 p-6 text-center">
                        <p class="font-medium text-slate-800">"No leads yet"</p>
                        <p class="mt-1 text-sm text-slate-600">
                            "When inquiries arrive by email, text, chat or your booking form, they appear here and move from new to booked to paid. "
                            {format!("{} customer record(s) so far.", view.customer_count)}
                        </p>
                    </div>
                </div>
                <div class="rounded-xl border border-slate-200 bg-white p-5">
                    <h2 class="font-semibold">"Before the squad starts"</h2>
                    <ol class="mt-3 list-decimal space-y-2 pl-5 text-sm text-slate-700">
                        <li>"Business hours and holidays"</li>
                        <li>"Service area (ZIP codes)"</li>
                        <li>"Services and prices"</li>
                        <li>"Technicians and their skills"</li>
                        <li>"Connect Gmail, Google Calendar and Stripe"</li>
                    </ol>
                    <p class="mt-3 text-xs text-slate-500">"The set-up wizard for these steps is on its way. Your team: " {view.team_size} " member(s)."</p>
                </div>
            </section>
            {is_owner.then(|| view! { <ApiKeysCard /> })}
        </main>
    }
}

#[component]
fn AgentCard(name: &'static str, role_text: &'static str) -> impl IntoView {
    view! {
        <article class="rounded-xl border border-slate-200 bg-white p-5">
            <div class="flex items-center justify-between">
                <h3 class="font-semibold">{name}</h3>
                <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800">"Waiting for set-up"</span>
            </div>
            <p class="mt-2 text-sm text-slate-600">{role_text}</p>
        </article>
    }
}
