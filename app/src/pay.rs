//! The customer's pay page, `/pay/{token}`: the itemised invoice behind a pay link. The token is
//! the only credential (256 random bits; the database keeps its hash), and it shows one invoice
//! while that invoice takes payments (and for a day after it is paid) until the link expires.
//!
//! Where the shop has connected Stripe, "Pay by card" links to `/pay/{token}/card`, which sends
//! the customer to a Stripe Checkout page for the balance; Stripe sends them back here with
//! `?card=done`, and the page checks every few seconds until Stripe's confirmation has marked the
//! invoice paid. Without Stripe the page says how to pay the business directly — and, in test mode
//! only, records a test payment so the whole pipeline can be tried end to end.

use domain::billing::InvoiceStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

use crate::components::LinkProblem;
use crate::error::UiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayLine {
    pub description: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayView {
    pub business: String,
    pub number: String,
    /// `sent` (payable) or `paid`.
    pub status: InvoiceStatus,
    pub lines: Vec<PayLine>,
    pub discount: Option<String>,
    pub tax: Option<String>,
    pub total: String,
    pub balance: String,
    pub due: Option<String>,
    pub test_mode: bool,
    /// The business takes card payments through its Stripe account.
    pub card: bool,
}

#[cfg(feature = "ssr")]
mod server {
    use store::{orgs, payments, settings, TenantTx};

    use super::{PayLine, PayView};
    use crate::error::UiError;
    use crate::state::{internal, server_state};

    pub async fn view(token: &str) -> Result<PayView, UiError> {
        let state = server_state()?;
        let (link, invoice) = ops::payments::open_pay_link(&state.db, token).await?;
        let mut tx = TenantTx::read(&state.db, &link.scope).await.map_err(internal)?;
        let business = orgs::current(&mut tx).await.map_err(internal)?.name;
        let org = settings::get(&mut tx).await.map_err(internal)?;
        let paid = payments::paid_cents(&mut tx, &invoice.id).await.map_err(internal)?;
        let card = state.stripe.is_some() && ops::stripe::takes_cards(&mut tx).await.map_err(internal)?;
        tx.commit().await.map_err(internal)?;
        let money = |c: i64| squad::tools::invoice::format_money(c, &invoice.currency);
        let due = invoice.due_at.and_then(|ms| squad::tools::invoice::format_date(&org.time_zone, ms));
        Ok(PayView {
            business,
            number: invoice.number.clone(),
            status: invoice.status,
            lines: invoice
                .lines
                .iter()
                .map(|l| PayLine { description: l.description.clone(), amount: money(l.amount_cents) })
                .collect(),
            discount: (invoice.discount_cents > 0).then(|| money(invoice.discount_cents)),
            tax: (invoice.tax_cents > 0).then(|| money(invoice.tax_cents)),
            total: money(invoice.total_cents),
            balance: money(invoice.total_cents - paid),
            due,
            test_mode: state.payments_test_mode,
            card,
        })
    }
}

#[server(prefix = "/api", endpoint = "pay/view", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_pay_page(token: String) -> Result<PayView, UiError> {
    crate::state::respond(server::view(&token).await)
}

/// Test mode only: records a test payment of the balance. Idempotent per invoice.
#[server(prefix = "/api", endpoint = "pay/test")]
pub async fn pay_test(token: String) -> Result<(), UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let state = server_state()?;
            if !state.payments_test_mode {
                return Err(UiError::Forbidden);
            }
            let (link, _) = ops::payments::open_pay_link(&state.db, &token).await?;
            Ok(ops::payments::record_test_payment(&state.db, &link).await?)
        }
        .await,
    )
}

#[component]
pub fn PayPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let query = use_query_map();
    let card = move || query.read().get("card");
    let pay = ServerAction::<PayTest>::new();
    // Back from Stripe, the page looks again every few seconds until the payment is confirmed.
    let tick = RwSignal::new(0_u32);
    let settled = RwSignal::new(false);
    Effect::new(move |_| {
        if card().as_deref() == Some("done") {
            if let Ok(handle) = set_interval_with_handle(
                move || {
                    if !settled.get_untracked() {
                        tick.update(|t| *t += 1);
                    }
                },
                std::time::Duration::from_secs(2),
            ) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    let invoice =
        Resource::new(move || (token(), pay.version().get(), tick.get()), |(token, _, _)| get_pay_page(token));
    view! {
        <Title text="Pay your invoice" />
        <main class="min-h-screen bg-slate-50 px-4 py-10">
            <Suspense fallback=|| view! { <p class="text-center text-slate-500">"Loading your invoice…"</p> }>
                {move || Suspend::new(async move {
                    match invoice.await {
                        Ok(view) => {
                            if view.status == InvoiceStatus::Paid {
                                settled.set(true);
                            }
                            view! { <Invoice view pay token=token() card=card() /> }.into_any()
                        }
                        Err(error) => view! {
                            <LinkProblem
                                error
                                heading="We couldn't find this invoice"
                                text="The link may be incomplete. Please use the link from your invoice message, or reply to that message and we'll help."
                            />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Invoice(view: PayView, pay: ServerAction<PayTest>, token: String, card: Option<String>) -> impl IntoView {
    let paid = view.status == InvoiceStatus::Paid;
    let failed = move || pay.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <section class="mx-auto max-w-md rounded-xl border border-slate-200 bg-white shadow-sm">
            <header class="border-b border-slate-100 p-6">
                <p class="text-sm font-medium text-indigo-700">{view.business.clone()}</p>
                <h1 class="mt-1 text-2xl font-bold tracking-tight">"Invoice " {view.number.clone()}</h1>
                {view.due.clone().filter(|_| !paid).map(|due| view! { <p class="mt-1 text-sm text-slate-600">"Due by " {due}</p> })}
            </header>
            <table class="w-full text-sm">
                <tbody>
                    {view.lines.iter().map(|l| view! {
                        <tr class="border-b border-slate-100">
                            <td class="px-6 py-3">{l.description.clone()}</td>
                            <td class="px-6 py-3 text-right tabular-nums">{l.amount.clone()}</td>
                        </tr>
                    }).collect_view()}
                    {view.discount.clone().map(|d| view! {
                        <tr class="border-b border-slate-100 text-emerald-700">
                            <td class="px-6 py-3">"Discount"</td>
                            <td class="px-6 py-3 text-right tabular-nums">"−" {d}</td>
                        </tr>
                    })}
                    {view.tax.clone().map(|t| view! {
                        <tr class="border-b border-slate-100 text-slate-600">
                            <td class="px-6 py-3">"Tax"</td>
                            <td class="px-6 py-3 text-right tabular-nums">{t}</td>
                        </tr>
                    })}
                    <tr class="font-semibold">
                        <td class="px-6 py-4">"Total"</td>
                        <td class="px-6 py-4 text-right tabular-nums" data-testid="total">{view.total.clone()}</td>
                    </tr>
                </tbody>
            </table>
            <footer class="border-t border-slate-100 p-6">
                {if paid {
                    view! {
                        <p class="rounded-lg bg-emerald-50 p-4 text-center font-medium text-emerald-800" data-testid="paid">"Paid in full — thank you!"</p>
                    }.into_any()
                } else if card.as_deref() == Some("done") {
                    view! {
                        <p class="rounded-lg bg-indigo-50 p-4 text-center text-sm font-medium text-indigo-900" role="status" data-testid="confirming">
                            "Thank you! Stripe is confirming your card payment. This page updates by itself in a few seconds."
                        </p>
                    }.into_any()
                } else if view.card {
                    let problem = match card.as_deref() {
                        Some("failed") => Some("We couldn't reach the card payment service just now. Please try again in a minute."),
                        Some("unavailable") => Some("Card payment isn't available for this invoice right now. Please reply to your invoice message."),
                        _ => None,
                    };
                    view! {
                        {problem.map(|p| view! { <p class="mb-3 rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{p}</p> })}
                        // A full page load: the server answers with a redirect to Stripe's payment page.
                        <a rel="external" href=format!("/pay/{token}/card") data-testid="pay-by-card" class="block w-full rounded-lg bg-indigo-600 px-4 py-3 text-center font-semibold text-white hover:bg-indigo-500">
                            "Pay " {view.balance.clone()} " by card"
                        </a>
                        <p class="mt-2 text-center text-xs text-slate-500">"You'll pay on Stripe's secure page. " {view.business.clone()} " never sees your card number."</p>
                    }.into_any()
                } else if view.test_mode {
                    view! {
                        <ActionForm action=pay>
                            <input type="hidden" name="token" value=token />
                            <button type="submit" class="w-full rounded-lg bg-indigo-600 px-4 py-3 font-semibold text-white hover:bg-indigo-500 disabled:opacity-60" disabled=move || pay.pending().get()>
                                "Pay " {view.balance.clone()} " (test mode)"
                            </button>
                        </ActionForm>
                        <p class="mt-2 text-center text-xs text-slate-500">"Test mode: no card is charged. This records a test payment."</p>
                        {move || failed().map(|e| view! { <p class="mt-3 text-sm text-rose-700" role="alert">{e}</p> })}
                    }.into_any()
                } else {
                    view! {
                        <p class="text-sm text-slate-700">
                            "Balance due: " <span class="font-semibold">{view.balance.clone()}</span>
                            ". Online card payment isn't available yet. Reply to your invoice message and "
                            {view.business.clone()} " will arrange payment with you."
                        </p>
                    }.into_any()
                }}
            </footer>
        </section>
    }
}
