//! The frame around every owner page: who is logged in, the navigation with the approvals badge,
//! and a reminder to finish the set-up wizard.

use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

use crate::account::LogOut;
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavView {
    pub org_name: String,
    pub user_email: String,
    pub role: domain::Role,
    pub pending_approvals: usize,
    /// The wizard's next step, or `done`.
    pub onboarding_step: String,
}

#[server(prefix = "/api", endpoint = "nav", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_nav() -> Result<NavView, UiError> {
    use domain::squad::EscalationStatus;
    use store::{escalations, orgs, users, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let user_id = ctx.scope.user_id().ok_or(UiError::Unauthenticated)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let org = orgs::current(&mut tx).await.map_err(internal)?;
            let user = users::get(&mut tx, user_id).await.map_err(internal)?.ok_or(UiError::Unauthenticated)?;
            let pending = escalations::list(&mut tx, EscalationStatus::Pending, 200).await.map_err(internal)?.len();
            tx.commit().await.map_err(internal)?;
            Ok(NavView {
                org_name: org.name,
                user_email: user.email,
                role: user.role,
                pending_approvals: pending,
                onboarding_step: org.onboarding_step,
            })
        }
        .await,
    )
}

/// Bumped by pages that change what the navigation shows (a decision, a finished wizard step).
/// A page that bumps it provides it before rendering [`AppPage`].
#[derive(Clone, Copy)]
pub struct NavRefresh(pub RwSignal<u32>);

impl NavRefresh {
    /// Provides a refresh for this page that fires each time `changes` moves past zero (an
    /// action's version: a decision, a booking by hand).
    pub fn following(changes: impl Fn() -> usize + 'static) -> Self {
        let nav = Self(RwSignal::new(0));
        provide_context(nav);
        Effect::new(move |_| {
            if changes() > 0 {
                nav.0.update(|n| *n += 1);
            }
        });
        nav
    }
}

/// The header above an owner page. The header and the page load independently (the page's own
/// data does not wait for the header's); the session middleware has already sent a logged-out
/// visitor to log in, and the pages send one there if the session ends meanwhile.
#[component]
pub fn AppPage(children: Children) -> impl IntoView {
    let refresh = use_context::<NavRefresh>().unwrap_or_else(|| {
        let fresh = NavRefresh(RwSignal::new(0));
        provide_context(fresh);
        fresh
    });
    let nav = Resource::new(move || refresh.0.get(), |_| get_nav());
    let leads = crate::live::LiveLeads::here();
    let alerts = crate::live::follow_alerts(leads);
    // A lead that starts or stops needing the owner changes the approvals count.
    leads.on_lead(move |card| {
        if card.waiting_on == domain::pipeline::WaitingOn::Owner {
            refresh.0.update(|n| *n += 1);
        }
    });
    view! {
        <Transition fallback=|| view! { <header class="h-[6.5rem] border-b border-slate-200 bg-white"></header> }>
            {move || Suspend::new(async move {
                match nav.await {
                    Ok(nav) => view! { <AppHeader nav /> }.into_any(),
                    Err(UiError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(err) => view! { <div class="mx-auto max-w-xl p-4"><ErrorBox error=err /></div> }.into_any(),
                }
            })}
        </Transition>
        <LiveAlerts alerts />
        <crate::confirm_email::ConfirmEmailReminder />
        {children()}
    }
}

/// Leads that started needing the owner while this page was open, newest first.
#[component]
fn LiveAlerts(alerts: RwSignal<Vec<crate::live::Alert>>) -> impl IntoView {
    view! {
        <div class="mx-auto max-w-6xl space-y-2 px-4 empty:hidden" aria-live="assertive">
            <For each=move || alerts.get() key=|a| a.lead_id.clone() let:alert>
                {
                    let dismissed = alert.lead_id.clone();
                    view! {
                        <div class="mt-2 flex flex-wrap items-center justify-between gap-2 rounded-lg bg-rose-600 px-3 py-2 text-sm text-white shadow" role="alert" data-testid="live-alert">
                            <span class="min-w-0 break-words font-medium">{alert.text.clone()}</span>
                            <span class="flex gap-2">
                                <A href=format!("/app/leads/{}", alert.lead_id) attr:class="rounded-md bg-white px-2.5 py-1 font-medium text-rose-700 hover:bg-rose-50">"Open"</A>
                                <button type="button" class="rounded-md border border-white/60 px-2.5 py-1 font-medium hover:bg-rose-500"
                                    on:click=move |_| alerts.update(|all| all.retain(|a| a.lead_id != dismissed))>"Dismiss"</button>
                            </span>
                        </div>
                    }
                }
            </For>
        </div>
    }
}

#[component]
fn AppHeader(nav: NavView) -> impl IntoView {
    let logout = ServerAction::<LogOut>::new();
    let path = use_location().pathname;
    // `counted` marks the badge tests and screen readers look for; the phone menu repeats the
    // links without it.
    let link = move |href: &'static str, label: &'static str, badge: Option<usize>, counted: bool| {
        let active = move || {
            let here = path.get();
            if href == "/app" {
                here == "/app"
            } else {
                here.starts_with(href)
            }
        };
        view! {
            <A
                href=href
                attr:class=move || {
                    if active() {
                        "flex items-center gap-1.5 whitespace-nowrap rounded-md bg-indigo-50 px-3 py-1.5 text-sm font-medium text-indigo-700"
                    } else {
                        "flex items-center gap-1.5 whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100"
                    }
                }
            >
                {label}
                {badge.filter(|n| *n > 0).map(|n| view! {
                    <span class="rounded-full bg-rose-600 px-1.5 text-xs font-semibold text-white" data-testid=counted.then_some("approvals-badge")>{n}</span>
                })}
            </A>
        }
    };
    let setting_up = nav.onboarding_step != "done";
    let pending = nav.pending_approvals;
    let links = move |counted: bool| {
        view! {
            {link("/app", "Home", None, counted)}
            {link("/app/board", "Pipeline", None, counted)}
            {link("/app/approvals", "Approvals", Some(pending), counted)}
            {link("/app/calendar", "Jobs", None, counted)}
            {link("/app/invoices", "Invoices", None, counted)}
            {link("/app/customers", "Customers", None, counted)}
            {link("/app/usage", "Usage", None, counted)}
            {link("/app/team", "Team", None, counted)}
            {link("/app/settings", "Settings", None, counted)}
            {setting_up.then(|| link("/app/setup", "Finish set-up", None, counted))}
        }
        // Type-erased: the header holds the links twice, and their full type is too deep to lay out.
        .into_any()
    };
    view! {
        <header class="relative border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 pt-3 max-sm:pb-3">
                <div class="flex min-w-0 items-center gap-3">
                    <A href="/app" attr:class="grid h-9 w-9 shrink-0 place-items-center rounded-lg bg-indigo-600 text-sm font-bold text-white">"OS"</A>
                    <div class="min-w-0">
                        <p class="truncate font-semibold leading-tight" data-testid="org-name">{nav.org_name.clone()}</p>
                        <p class="truncate text-xs text-slate-500">{nav.user_email.clone()} " · " {nav.role.as_str()}</p>
                    </div>
                </div>
                <div class="flex items-center gap-2">
                    // On a phone the navigation folds into a menu (a native disclosure: it opens
                    // before the page's script has loaded).
                    <details class="sm:hidden" data-testid="phone-menu">
                        <summary class="flex cursor-pointer list-none items-center gap-1.5 rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">
                            "Menu"
                            {(pending > 0).then(|| view! { <span class="rounded-full bg-rose-600 px-1.5 text-xs font-semibold text-white">{pending}</span> })}
                        </summary>
                        <nav class="absolute inset-x-4 z-20 mt-2 flex flex-col gap-1 rounded-xl border border-slate-200 bg-white p-2 shadow-lg" aria-label="Menu">
                            {links(false)}
                        </nav>
                    </details>
                    <ActionForm action=logout>
                        <button type="submit" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100">"Log out"</button>
                    </ActionForm>
                </div>
            </div>
            <nav class="mx-auto hidden max-w-6xl flex-wrap gap-1 px-4 py-2 sm:flex" aria-label="Main">
                {links(true)}
            </nav>
        </header>
    }
}

/// A failure shown in words, in a box that screen readers announce.
#[component]
pub fn ErrorBox(error: UiError) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-rose-200 bg-rose-50 p-4 text-sm text-rose-700" role="alert">{error.to_string()}</div>
    }
}

/// A server-function result as a view: the page's content, or what went wrong.
pub fn or_error<T>(result: Result<T, UiError>, page: impl FnOnce(T) -> AnyView) -> AnyView {
    match result {
        Ok(value) => page(value),
        Err(UiError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
        Err(error) => view! { <ErrorBox error /> }.into_any(),
    }
}
