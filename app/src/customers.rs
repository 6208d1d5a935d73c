//! `/app/customers`: the people the shop serves, searchable by name, email or phone; and
//! `/app/customers/{id}`: one customer's contact details (editable), their leads, jobs, invoices
//! and what the squad remembers about them.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::error::UiError;
use crate::shell::{or_error, AppPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerListRow {
    pub id: String,
    pub name: String,
    pub contact: String,
}

#[server(prefix = "/api", endpoint = "customers", input = leptos::server_fn::codec::GetUrl)]
pub async fn find_customers(query: Option<String>) -> Result<Vec<CustomerListRow>, UiError> {
    use store::{customers, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let query = query.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
            if query.as_ref().is_some_and(|q| q.chars().count() > 100) {
                return Err(UiError::validation("query", "Search for at most 100 characters."));
            }
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let rows = match &query {
                Some(q) => customers::search(&mut tx, q, 200).await,
                None => customers::list(&mut tx, 200).await,
            }
            .map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            Ok(rows
                .into_iter()
                .map(|c| CustomerListRow {
                    id: c.id.to_string(),
                    name: c.name,
                    contact: [c.email, c.phone].into_iter().flatten().collect::<Vec<_>>().join(" · "),
                })
                .collect())
        }
        .await,
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLead {
    pub id: String,
    pub stage: String,
    pub service: String,
    pub started: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub postal_code: String,
    pub leads: Vec<CustomerLead>,
    /// "Thursday, December 3 at 10:00 AM · completed".
    pub jobs: Vec<String>,
    /// (invoice id, "INV-0001 · $349.00 · paid").
    pub invoices: Vec<(String, String)>,
    /// What the squad remembers, newest first.
    pub remembered: Vec<String>,
}

#[server(prefix = "/api", endpoint = "customers/view", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_customer(id: String) -> Result<CustomerView, UiError> {
    use squad::tools::invoice::{format_money, format_visit};
    use store::{appointments, customers, invoices, leads, memories, services, settings, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let customer_id = domain::CustomerId::parse(&id).map_err(|_| UiError::NotFound)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let customer = customers::get(&mut tx, customer_id).await.map_err(internal)?.ok_or(UiError::NotFound)?;
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let menu = services::list(&mut tx).await.map_err(internal)?;
            let their_leads = leads::for_customer(&mut tx, customer_id).await.map_err(internal)?;
            let mut jobs = Vec::new();
            let mut bills = Vec::new();
            for lead in &their_leads {
                for a in appointments::for_lead(&mut tx, lead.id).await.map_err(internal)? {
                    jobs.push(format!(
                        "{} · {}",
                        format_visit(&org.time_zone, a.starts_at).unwrap_or_default(),
                        a.status
                    ));
                }
                for i in invoices::for_lead(&mut tx, lead.id).await.map_err(internal)? {
                    bills.push((
                        i.id.clone(),
                        format!("{} · {} · {}", i.number, format_money(i.total_cents, &i.currency), i.status),
                    ));
                }
            }
            let remembered = memories::for_customer(&mut tx, customer_id, 20).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let service_name = |id: Option<domain::ServiceId>| {
                id.and_then(|id| menu.iter().find(|s| s.id == id))
                    .map_or_else(|| "Not known yet".to_owned(), |s| s.name.clone())
            };
            Ok(CustomerView {
                id: customer.id.to_string(),
                name: customer.name,
                email: customer.email.unwrap_or_default(),
                phone: customer.phone.unwrap_or_default(),
                address: customer.address.unwrap_or_default(),
                postal_code: customer.postal_code.unwrap_or_default(),
                leads: their_leads
                    .iter()
                    .map(|l| CustomerLead {
                        id: l.id.to_string(),
                        stage: l.stage.to_string(),
                        service: service_name(l.service_id),
                        started: org.time_zone.format_local(l.created_at, "%b %-d, %Y").unwrap_or_default(),
                    })
                    .collect(),
                jobs,
                invoices: bills,
                // Run summaries are the squad's own log (the lead's timeline tells that story).
                remembered: remembered
                    .into_iter()
                    .filter(|m| m.layer != memories::Layer::SessionSummary.as_str())
                    .map(|m| m.content)
                    .collect(),
            })
        }
        .await,
    )
}

/// A person corrects a customer's contact details; a blank optional field is cleared.
#[server(prefix = "/api", endpoint = "customers/save")]
pub async fn save_customer(
    id: String,
    name: String,
    email: String,
    phone: String,
    address: String,
    postal_code: String,
) -> Result<String, UiError> {
    use crate::error::Problems;
    use crate::state::{caller, respond, sentence};

    respond(
        async move {
            use ops::customers::{parse_email, parse_phone, parse_text, ADDRESS_CHARS, POSTAL_CODE_CHARS};

            let customer_id = domain::CustomerId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            // Every field checked, so all their problems show at once.
            let mut problems = Problems::default();
            let name = problems.check(
                domain::PersonName::parse(&name).map_err(|e| UiError::validation("name", sentence(&e.to_string()))),
            )?;
            let email = problems.check(parse_email(Some(email)).map_err(UiError::from))?;
            let phone = problems.check(parse_phone(Some(phone)).map_err(UiError::from))?;
            let address = problems.check(parse_text("address", Some(address), ADDRESS_CHARS).map_err(UiError::from))?;
            let postal_code = problems
                .check(parse_text("postal_code", Some(postal_code), POSTAL_CODE_CHARS).map_err(UiError::from))?;
            problems.finish()?;
            let patch = store::customers::CustomerPatch { name, email, phone, address, postal_code, notes: None };
            ops::customers::update(&db, &scope, customer_id, &patch).await?;
            Ok("Saved.".to_owned())
        }
        .await,
    )
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").filter(|q| !q.trim().is_empty());
    let found = Resource::new(search, find_customers);
    view! {
        <Title text="Customers" />
        <AppPage>
            <main class="mx-auto max-w-4xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Customers"</h1>
                    <p class="text-sm text-slate-600">"Everyone who has contacted the shop. Search by name, email or phone."</p>
                </div>
                <form method="get" action="/app/customers" class="flex gap-2" role="search">
                    <label class="sr-only" for="q">"Search customers"</label>
                    <input id="q" name="q" type="search" maxlength="100" placeholder="Name, email or phone"
                        class="min-w-0 flex-1 rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm" value=search().unwrap_or_default() />
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-2 text-sm font-medium text-white hover:bg-indigo-500">"Search"</button>
                </form>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading customers…"</p> }>
                    {move || Suspend::new(async move {
                        let searching = search().is_some();
                        or_error(found.await, move |rows| {
                            if rows.is_empty() {
                                let text = if searching { "Nobody matches that search." } else { "No customers yet. Each inquiry the squad answers adds its customer here." };
                                view! { <p class="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-center text-sm text-slate-600" data-testid="customers-empty">{text}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white">
                                        {rows.into_iter().map(|c| view! {
                                            <li class="p-3" data-testid="customer-row">
                                                <A href=format!("/app/customers/{}", c.id) attr:class="font-medium text-indigo-700 hover:text-indigo-500">{c.name.clone()}</A>
                                                <p class="break-all text-sm text-slate-600">{c.contact.clone()}</p>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }
                        })
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveCustomer>::new();
    let customer = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), save.version().get()),
        |(id, _)| get_customer(id),
    );
    view! {
        <Title text="Customer" />
        <AppPage>
            <main class="mx-auto max-w-4xl space-y-4 px-4 py-6">
                <A href="/app/customers" attr:class="text-sm font-medium text-indigo-700 hover:text-indigo-500">"← Customers"</A>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading the customer…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(customer.await, move |customer| view! { <CustomerDetail customer save /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn CustomerDetail(customer: CustomerView, save: ServerAction<SaveCustomer>) -> impl IntoView {
    let error =
        move |field: &'static str| move || save.value().get().and_then(Result::err).and_then(|e| e.for_field(field));
    let input = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";
    let field = move |label: &'static str, name: &'static str, value: String, kind: &'static str| {
        view! {
            <label class="block text-sm font-medium text-slate-700">{label}
                <input type=kind name=name class=input value=value />
                <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error(name)}</span>
            </label>
        }
    };
    view! {
        <h1 class="break-words text-2xl font-semibold tracking-tight" data-testid="customer-name">{customer.name.clone()}</h1>
        <section class="rounded-xl border border-slate-200 bg-white p-4">
            <h2 class="font-semibold">"Contact details"</h2>
            {move || save.value().get().and_then(Result::ok).map(|done| view! { <p class="mt-2 rounded-lg bg-emerald-50 p-2 text-sm text-emerald-800" role="status">{done}</p> })}
            <ActionForm action=save attr:class="mt-3 grid gap-3 sm:grid-cols-2">
                <input type="hidden" name="id" value=customer.id.clone() />
                {field("Name", "name", customer.name.clone(), "text")}
                {field("Email", "email", customer.email.clone(), "email")}
                {field("Phone", "phone", customer.phone.clone(), "tel")}
                {field("Service address", "address", customer.address.clone(), "text")}
                {field("ZIP / postal code", "postal_code", customer.postal_code.clone(), "text")}
                <div class="self-end pb-6">
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60" disabled=move || save.pending().get()>"Save details"</button>
                </div>
            </ActionForm>
        </section>
        <section class="grid gap-4 md:grid-cols-2">
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="font-semibold">"Leads"</h2>
                <ul class="mt-2 space-y-1 text-sm" data-testid="customer-leads">
                    {customer.leads.into_iter().map(|l| view! {
                        <li><A href=format!("/app/leads/{}", l.id) attr:class="text-indigo-700 hover:text-indigo-500">{l.service}</A>
                            " · " {l.stage} " · " {l.started}</li>
                    }).collect_view()}
                </ul>
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="font-semibold">"Jobs"</h2>
                {if customer.jobs.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600">"No jobs booked yet."</p> }.into_any()
                } else {
                    view! { <ul class="mt-2 space-y-1 text-sm">{customer.jobs.iter().map(|j| view! { <li>{j.clone()}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="font-semibold">"Invoices"</h2>
                {if customer.invoices.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600">"No invoices yet."</p> }.into_any()
                } else {
                    view! { <ul class="mt-2 space-y-1 text-sm">{customer.invoices.clone().into_iter().map(|(id, text)| view! {
                        <li><A href=format!("/app/invoices/{id}") attr:class="text-indigo-700 hover:text-indigo-500">{text}</A></li>
                    }).collect_view()}</ul> }.into_any()
                }}
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="font-semibold">"What the squad remembers"</h2>
                {if customer.remembered.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600">"Nothing yet."</p> }.into_any()
                } else {
                    view! { <ul class="mt-2 space-y-1 text-sm text-slate-700">{customer.remembered.iter().map(|m| view! { <li class="break-words">{m.clone()}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
        </section>
    }
}
