//! The owner's home: who is logged in, what the squad will do, and what to set up next.

use domain::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::api_keys::ApiKeysCard;
use crate::error::UiError;
use crate::shell::{or_error, AppPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub org_name: String,
    pub user_email: String,
    pub user_name: Option<String>,
    pub role: Role,
    pub team_size: usize,
    pub customer_count: usize,
    /// The squad can work once there is a price list and someone to send.
    pub services: usize,
    pub technicians: usize,
    /// Leads per stage, in pipeline order, only stages that have any.
    pub stages: Vec<(String, usize)>,
    pub recent: Vec<RecentLead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentLead {
    pub id: String,
    pub customer: String,
    pub stage: String,
    pub score: Option<i64>,
    pub waiting_on: String,
}

#[server(prefix = "/api", endpoint = "dashboard/summary", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_dashboard() -> Result<DashboardView, UiError> {
    use store::{customers, leads, orgs, services, technicians, users, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let user_id = ctx.scope.user_id().ok_or(UiError::Unauthenticated)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let org = orgs::current(&mut tx).await.map_err(internal)?;
            let user = users::get(&mut tx, user_id).await.map_err(internal)?.ok_or(UiError::Unauthenticated)?;
            let team_size = users::list(&mut tx).await.map_err(internal)?.len();
            let customer_count = customers::list(&mut tx, 1000).await.map_err(internal)?.len();
            let services = services::list(&mut tx).await.map_err(internal)?.iter().filter(|s| s.active).count();
            let technicians = technicians::list(&mut tx).await.map_err(internal)?.iter().filter(|t| t.active).count();
            let pipeline = leads::list(&mut tx, None, 500).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let stages = domain::pipeline::Stage::ALL
                .iter()
                .map(|stage| (stage.to_string(), pipeline.iter().filter(|l| l.stage == *stage).count()))
                .filter(|(_, n)| *n > 0)
                .collect();
            let recent = pipeline
                .iter()
                .take(8)
                .map(|l| RecentLead {
                    id: l.id.to_string(),
                    customer: l.customer_name.clone(),
                    stage: l.stage.to_string(),
                    score: l.score,
                    waiting_on: l.waiting_on.to_string(),
                })
                .collect();
            Ok(DashboardView {
                org_name: org.name,
                user_email: user.email,
                user_name: user.name,
                role: user.role,
                team_size,
                customer_count,
                services,
                technicians,
                stages,
                recent,
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
        <AppPage>
        <Suspense fallback=|| view! { <p class="p-8 text-slate-500">"Loading your dashboard…"</p> }>
            {move || Suspend::new(async move {
                or_error(summary.await, |view| view! { <Dashboard view /> }.into_any())
            })}
        </Suspense>
        </AppPage>
    }
}

#[component]
fn Dashboard(view: DashboardView) -> impl IntoView {
    let greeting = view.user_name.clone().unwrap_or_else(|| view.user_email.clone());
    let is_owner = view.role == Role::Owner;
    let ready = view.services > 0 && view.technicians > 0;
    let has_leads = !view.recent.is_empty();
    view! {
        <main class="mx-auto max-w-6xl space-y-6 px-4 py-6">
            <section>
                <h1 class="text-2xl font-semibold tracking-tight">"Welcome, " {greeting}</h1>
                <p class="mt-1 text-slate-600">"Your squad answers every inquiry, books the job and sends the invoice. Here is where things stand."</p>
            </section>
            <section class="grid gap-4 md:grid-cols-3" aria-label="Your squad">
                <AgentCard name="Lead Response" ready role_text="Answers each inquiry within seconds, scores it 1–10 and explains why." />
                <AgentCard name="Scheduler" ready role_text="Finds real openings across your technicians and books without double booking." />
                <AgentCard name="Invoice" ready role_text="Bills each finished job from your price list and sends the invoice." />
            </section>
            <section class="grid gap-4 lg:grid-cols-3">
                <div class="rounded-xl border border-slate-200 bg-white p-5 lg:col-span-2">
                    <h2 class="font-semibold">"Pipeline"</h2>
                    {if has_leads {
                        view! {
                            <div>
                                <ul class="mt-3 flex flex-wrap gap-2" aria-label="Leads by stage">
                                    {view.stages.iter().map(|(stage, n)| view! {
                                        <li class="rounded-full bg-slate-100 px-3 py-1 text-sm text-slate-700">{stage.clone()} ": " <span class="font-semibold">{*n}</span></li>
                                    }).collect_view()}
                                </ul>
                                <ul class="mt-3 divide-y divide-slate-100 text-sm" data-testid="recent-leads">
                                    {view.recent.clone().into_iter().map(|lead| view! {
                                        <li class="flex flex-wrap items-center justify-between gap-2 py-2">
                                            <A href=format!("/app/leads/{}", lead.id) attr:class="font-medium text-indigo-700 hover:text-indigo-500">{lead.customer.clone()}</A>
                                            <span class="text-slate-600">
                                                {lead.stage.clone()}
                                                {lead.score.map(|s| format!(" · score {s}"))}
                                                {(lead.waiting_on == "owner").then_some(" · needs you")}
                                            </span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div class="mt-4 rounded-lg border border-dashed border-slate-300 p-6 text-center">
                                <p class="font-medium text-slate-800">"No leads yet"</p>
                                <p class="mt-1 text-sm text-slate-600">
                                    "When inquiries arrive by email, text, chat or your booking form, they appear here and move from new to booked to paid. "
                                    {format!("{} customer record(s) so far.", view.customer_count)}
                                </p>
                            </div>
                        }.into_any()
                    }}
                </div>
                <div class="rounded-xl border border-slate-200 bg-white p-5">
                    {if ready {
                        view! {
                            <div>
                                <h2 class="font-semibold">"Your set-up"</h2>
                                <ul class="mt-3 space-y-2 text-sm text-slate-700">
                                    <li>{format!("{} service(s) on the price list", view.services)}</li>
                                    <li>{format!("{} active technician(s)", view.technicians)}</li>
                                    <li>{format!("{} team member(s)", view.team_size)}</li>
                                </ul>
                                <p class="mt-3 text-xs text-slate-500">"Email, texting, card payments and technicians' calendars are connected in Settings."</p>
                            </div>
                        }.into_any()
                    } else {
                        view! {
                            <div>
                                <h2 class="font-semibold">"Before the squad starts"</h2>
                                <ol class="mt-3 list-decimal space-y-2 pl-5 text-sm text-slate-700">
                                    <li>"Business hours and holidays"</li>
                                    <li>"Service area (ZIP codes)"</li>
                                    <li>"Services and prices"</li>
                                    <li>"Technicians and their skills"</li>
                                    <li>"Connect email, texting, Stripe and technicians' calendars"</li>
                                </ol>
                                <A href="/app/setup" attr:class="mt-3 inline-block rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500">"Open the set-up wizard"</A>
                            </div>
                        }.into_any()
                    }}
                </div>
            </section>
            {is_owner.then(|| view! { <ApiKeysCard /> })}
        </main>
    }
}

#[component]
fn AgentCard(name: &'static str, role_text: &'static str, ready: bool) -> impl IntoView {
    view! {
        <article class="rounded-xl border border-slate-200 bg-white p-5">
            <div class="flex items-center justify-between">
                <h3 class="font-semibold">{name}</h3>
                {if ready {
                    view! { <span class="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-medium text-emerald-800">"Working"</span> }.into_any()
                } else {
                    view! { <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800">"Waiting for set-up"</span> }.into_any()
                }}
            </div>
            <p class="mt-2 text-sm text-slate-600">{role_text}</p>
        </article>
    }
}
