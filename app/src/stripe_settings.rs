//! The shop's Stripe account, in Settings → Card payments and the wizard's Connections step. The
//! owner signs in to Stripe and connects the account the shop already has; from then on every
//! invoice's pay page offers card payment, and the money goes straight to that account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::ErrorBanner;
use crate::error::UiError;
use crate::setup_forms::{failed, when_saved};
use crate::shell::or_error;

/// Where the server leaves what became of a Stripe sign-in, for this page to show.
pub const STRIPE_OUTCOME_KEY: &str = "stripe_outcome";
/// How long after the sign-in its outcome is shown.
#[cfg(feature = "ssr")]
const OUTCOME_SHOWN_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeView {
    /// The connected account (`acct_…`), if any.
    pub account: Option<String>,
    /// The connection works; false once Stripe said it was disconnected on their side.
    pub healthy: bool,
    pub last_error: Option<String>,
    pub livemode: bool,
    pub can_change: bool,
    /// Whether this Opsquad can connect Stripe at all.
    pub available: bool,
    /// What became of the owner's Stripe sign-in, shown just after it: `Ok(account)` or the problem.
    pub outcome: Option<Result<String, String>>,
}

#[server(prefix = "/api", endpoint = "settings/stripe", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_stripe() -> Result<StripeView, UiError> {
    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            // Read before anything awaits: while the page renders on the server, the request's
            // parts are in reach only until then.
            let session = leptos_axum::extract::<tower_sessions::Session>().await.map_err(internal)?;
            let connection = ops::integrations::list(&state.db, &ctx.scope)
                .await?
                .into_iter()
                .find(|c| c.provider == store::stripe::PROVIDER);
            let outcome: Option<serde_json::Value> = session.get(STRIPE_OUTCOME_KEY).await.map_err(internal)?;
            let outcome =
                outcome.filter(|v| store::now_ms() - v["at"].as_i64().unwrap_or(0) < OUTCOME_SHOWN_MS).map(|v| match v
                    ["connected"]
                    .as_str()
                {
                    Some(account) => Ok(account.to_owned()),
                    None => Err(v["problem"].as_str().unwrap_or("Stripe was not connected.").to_owned()),
                });
            Ok(StripeView {
                healthy: connection.as_ref().is_some_and(|c| c.status == "connected"),
                livemode: connection.as_ref().is_some_and(|c| c.config["livemode"].as_bool() == Some(true)),
                last_error: connection.as_ref().and_then(|c| c.last_error.clone()),
                account: connection.and_then(|c| c.account),
                can_change: ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_ok(),
                available: state.stripe.is_some(),
                outcome,
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "settings/stripe/disconnect")]
pub async fn disconnect_stripe() -> Result<(), UiError> {
    use crate::state::{auth_ctx, respond, server_state};

    respond(
        async move {
            let (ctx, state) = (auth_ctx()?, server_state()?);
            let stripe = state.stripe.as_deref().ok_or(UiError::NotFound)?;
            ops::stripe::disconnect(&state.db, stripe, &ctx.scope).await?;
            Ok(())
        }
        .await,
    )
}

/// `from` names the page, so a Stripe sign-in returns to it: `setup` or `settings`.
#[component]
pub fn StripeSection(on_saved: Callback<()>, from: &'static str) -> impl IntoView {
    let version = RwSignal::new(0_u32);
    let current = Resource::new(move || version.get(), |_| get_stripe());
    let saved = Callback::new(move |()| {
        version.update(|v| *v += 1);
        on_saved.run(());
    });
    view! {
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                or_error(current.await, move |view| {
                    let outcome = view.outcome.clone().map(|o| view! { <Outcome outcome=o /> });
                    let body = match (&view.account, view.available, view.can_change) {
                        (Some(_), _, _) => view! { <Connected view=view.clone() on_saved=saved /> }.into_any(),
                        (None, false, _) => view! {
                            <p class="text-sm text-slate-600">"Card payments are not set up on this Opsquad. Customers see the invoice and pay you directly."</p>
                        }.into_any(),
                        (None, true, true) => view! { <ConnectButton from /> }.into_any(),
                        (None, true, false) => view! { <p class="text-sm text-slate-500">"Stripe is not connected. Only the owner can connect it."</p> }.into_any(),
                    };
                    view! { {outcome} {body} }.into_any()
                })
            })}
        </Transition>
    }
}

#[component]
fn Connected(view: StripeView, on_saved: Callback<()>) -> impl IntoView {
    let disconnect = ServerAction::<DisconnectStripe>::new();
    when_saved(disconnect, on_saved);
    let account = view.account.clone().unwrap_or_default();
    view! {
        <div class="space-y-2" data-testid="stripe-connected">
            <p class="flex flex-wrap items-center gap-2 text-sm">
                <crate::components::HealthBadge healthy=view.healthy />
                "Stripe account " <strong class="break-all">{account}</strong>
                {(!view.livemode).then(|| view! { <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs text-amber-800">"Test mode"</span> })}
            </p>
            {view.last_error.clone().map(|e| view! { <p class="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert">{e}</p> })}
            <p class="text-sm text-slate-600">"Every invoice's pay page offers card payment through Stripe. The money goes straight to your Stripe account, and the invoice is marked paid when Stripe confirms it. Refunds and disputes are handled in your Stripe dashboard."</p>
            {view.can_change.then(|| view! {
                <ActionForm action=disconnect>
                    <button type="submit" class="rounded-lg border border-slate-300 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50">"Disconnect Stripe"</button>
                </ActionForm>
            })}
            <ErrorBanner error=failed(disconnect) />
        </div>
    }
}

#[component]
fn Outcome(outcome: Result<String, String>) -> impl IntoView {
    match outcome {
        Ok(_) => view! {
            <p class="mb-3 rounded-lg bg-emerald-50 px-3 py-2 text-sm text-emerald-800" role="status" data-testid="stripe-outcome">
                "Stripe is connected: customers can now pay invoices by card, into your Stripe account."
            </p>
        }.into_any(),
        Err(problem) => view! {
            <p class="mb-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700" role="alert" data-testid="stripe-outcome">{problem}</p>
        }.into_any(),
    }
}

#[component]
fn ConnectButton(from: &'static str) -> impl IntoView {
    view! {
        <div class="space-y-2">
            <p class="text-sm text-slate-600">"Sign in to Stripe and connect your shop's account (or create one). Customers then pay invoices by card, straight into it."</p>
            // A full page load: the server sends the browser on to Stripe.
            <a rel="external" href=format!("/app/integrations/stripe/connect?from={from}") data-testid="connect-stripe"
                class="inline-block rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-indigo-500">
                "Connect Stripe"
            </a>
        </div>
    }
}
