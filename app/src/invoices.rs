//! `/app/invoices`: every invoice — draft, sent, overdue, paid — with the totals of each, and
//! `/app/invoices/{id}`: one invoice's lines, payments and pay link, where a person records a cash,
//! check or transfer payment.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::approvals::DecideApproval;
use crate::error::UiError;
use crate::shell::{or_error, AppPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceListRow {
    pub id: String,
    pub lead_id: String,
    pub number: String,
    pub customer: String,
    pub total: String,
    /// draft, sent, overdue or paid.
    pub standing: String,
    /// "Due Dec 30, 2026", "Paid", "Not sent yet".
    pub when: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingTotal {
    pub standing: String,
    pub count: usize,
    pub total: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceList {
    pub totals: Vec<StandingTotal>,
    pub invoices: Vec<InvoiceListRow>,
}

/// Where an invoice stands for the owner: a sent invoice past its due date is overdue.
#[cfg(feature = "ssr")]
fn standing(status: domain::billing::InvoiceStatus, due_at: Option<i64>, now: i64) -> &'static str {
    use domain::billing::InvoiceStatus;
    match status {
        InvoiceStatus::Draft => "draft",
        InvoiceStatus::Sent if due_at.is_some_and(|d| d < now) => "overdue",
        InvoiceStatus::Sent => "sent",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Void => "void",
    }
}

#[cfg(feature = "ssr")]
const STANDINGS: [&str; 5] = ["draft", "sent", "overdue", "paid", "void"];

#[server(prefix = "/api", endpoint = "invoices", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_invoices() -> Result<InvoiceList, UiError> {
    use squad::tools::invoice::{format_date, format_money};
    use store::{invoices, now_ms, settings, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let list = invoices::list(&mut tx, 500).await.map_err(internal)?;
            tx.commit().await.map_err(internal)?;
            let now = now_ms();
            let rows: Vec<(i64, InvoiceListRow)> = list
                .into_iter()
                .map(|i| {
                    let standing = standing(i.status, i.due_at, now);
                    let when = match (standing, i.due_at) {
                        ("paid", _) => "Paid".to_owned(),
                        ("void", _) => "Voided".to_owned(),
                        ("draft", _) => "Not sent yet".to_owned(),
                        (_, Some(due)) => format!("Due {}", format_date(&org.time_zone, due).unwrap_or_default()),
                        _ => "Sent".to_owned(),
                    };
                    let row = InvoiceListRow {
                        total: format_money(i.total_cents, &i.currency),
                        id: i.id,
                        lead_id: i.lead_id,
                        number: i.number,
                        customer: i.customer_name,
                        standing: standing.to_owned(),
                        when,
                    };
                    (i.total_cents, row)
                })
                .collect();
            let totals = STANDINGS
                .iter()
                .map(|s| {
                    let matching: Vec<i64> = rows.iter().filter(|(_, r)| r.standing == *s).map(|(c, _)| *c).collect();
                    StandingTotal {
                        standing: (*s).to_owned(),
                        count: matching.len(),
                        total: format_money(matching.iter().sum(), &org.currency),
                    }
                })
                .collect();
            Ok(InvoiceList { totals, invoices: rows.into_iter().map(|(_, r)| r).collect() })
        }
        .await,
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: String,
    pub amount: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentLine {
    pub when: String,
    pub amount: String,
    pub method: String,
    pub reference: String,
    /// A card payment taken through the shop's Stripe account.
    pub stripe: Option<StripeLine>,
}

/// What Stripe says about a card payment, and where the owner opens it in their Stripe dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeLine {
    pub dashboard_url: String,
    /// "$50.00 refunded", when any was.
    pub refunded: Option<String>,
    /// The dispute's state in words, when the customer disputed the charge.
    pub dispute: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub id: String,
    pub lead_id: String,
    pub number: String,
    pub customer: String,
    pub standing: String,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: String,
    pub discount: Option<String>,
    pub tax: Option<String>,
    pub total: String,
    pub paid: String,
    pub balance: String,
    /// The balance as a form's amount field holds it ("349.00").
    pub balance_input: String,
    pub due: Option<String>,
    pub payments: Vec<PaymentLine>,
    /// Takes payment: sent and not yet paid.
    pub payable: bool,
    /// Can be withdrawn: a draft or sent invoice with no payment on it.
    pub voidable: bool,
    /// A draft waiting for the owner's OK to send: that approval's id.
    pub send_approval: Option<String>,
}

#[server(prefix = "/api", endpoint = "invoices/view", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_invoice(id: String) -> Result<InvoiceView, UiError> {
    use squad::tools::invoice::{format_date, format_money};
    use store::{invoices, leads, now_ms, payments, settings, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let invoice = invoices::get(&mut tx, &id).await.map_err(internal)?.ok_or(UiError::NotFound)?;
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let lead_id = domain::LeadId::parse(&invoice.lead_id).map_err(internal)?;
            let customer = leads::get(&mut tx, lead_id).await.map_err(internal)?.map(|l| l.customer_name);
            let paid_rows = payments::for_invoice(&mut tx, &invoice.id).await.map_err(internal)?;
            let cards =
                ops::stripe::card_payments(&mut tx, state.stripe.as_deref(), &invoice.id).await.map_err(internal)?;
            let send_approval = if invoice.status == domain::billing::InvoiceStatus::Draft {
                ops::invoices::send_approval(&mut tx, lead_id).await.map_err(internal)?.map(|e| e.id)
            } else {
                None
            };
            tx.commit().await.map_err(internal)?;
            let money = |cents: i64| format_money(cents, &invoice.currency);
            let paid: i64 = paid_rows.iter().map(|p| p.amount_cents).sum();
            let balance = (invoice.total_cents - paid).max(0);
            let standing = standing(invoice.status, invoice.due_at, now_ms());
            Ok(InvoiceView {
                lines: invoice
                    .lines
                    .iter()
                    .map(|l| InvoiceLine {
                        description: l.description.clone(),
                        quantity: trim_quantity(l.quantity_milli),
                        amount: money(l.amount_cents),
                    })
                    .collect(),
                subtotal: money(invoice.subtotal_cents),
                discount: (invoice.discount_cents > 0).then(|| format!("-{}", money(invoice.discount_cents))),
                tax: (invoice.tax_cents > 0).then(|| money(invoice.tax_cents)),
                total: money(invoice.total_cents),
                paid: money(paid),
                balance: money(balance),
                balance_input: format!("{}.{:02}", balance / 100, balance % 100),
                due: invoice.due_at.and_then(|d| format_date(&org.time_zone, d)),
                payments: paid_rows
                    .iter()
                    .map(|p| PaymentLine {
                        when: format_date(&org.time_zone, p.created_at).unwrap_or_default(),
                        amount: money(p.amount_cents),
                        method: p.method.replace('_', " "),
                        reference: p.reference.clone(),
                        stripe: cards.iter().find(|c| p.provider == "stripe" && c.payment_intent == p.reference).map(
                            |c| StripeLine {
                                dashboard_url: c.dashboard_url.clone(),
                                refunded: (c.refunded_cents > 0)
                                    .then(|| format!("{} refunded", money(c.refunded_cents))),
                                dispute: c.dispute_status.as_deref().map(dispute_in_words),
                            },
                        ),
                    })
                    .collect(),
                payable: invoice.status == domain::billing::InvoiceStatus::Sent,
                voidable: matches!(
                    invoice.status,
                    domain::billing::InvoiceStatus::Draft | domain::billing::InvoiceStatus::Sent
                ) && paid == 0,
                send_approval,
                standing: standing.to_owned(),
                customer: customer.unwrap_or_default(),
                number: invoice.number,
                lead_id: invoice.lead_id,
                id: invoice.id,
            })
        }
        .await,
    )
}

/// A Stripe dispute's status as the owner reads it.
#[cfg(feature = "ssr")]
fn dispute_in_words(status: &str) -> String {
    match status {
        "warning_needs_response" | "needs_response" => "Disputed: Stripe needs your evidence".to_owned(),
        "warning_under_review" | "under_review" => "Disputed: under review by the card issuer".to_owned(),
        "won" | "warning_closed" => "Dispute closed in your favor".to_owned(),
        "lost" => "Dispute lost: the money went back to the customer".to_owned(),
        other => format!("Disputed ({})", other.replace('_', " ")),
    }
}

/// Thousandths as a quantity: "1", "1.5", "0.25".
#[cfg(feature = "ssr")]
fn trim_quantity(milli: i64) -> String {
    let whole = milli / 1000;
    let frac = milli % 1000;
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{:03}", frac).trim_end_matches('0').to_owned()
    }
}

/// A person records money taken outside the pay page.
#[server(prefix = "/api", endpoint = "invoices/payment")]
pub async fn record_invoice_payment(
    invoice_id: String,
    amount: String,
    method: String,
    reference: String,
) -> Result<String, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            let amount_cents = crate::setup::parse_money("amount", &amount)?;
            if amount_cents <= 0 {
                return Err(UiError::validation("amount", "Enter the amount received."));
            }
            let input = ops::payments::ManualPayment { amount_cents, method, reference };
            let outcome = ops::payments::record(&db, &scope, &invoice_id, &input).await?;
            Ok(match (outcome.recorded, outcome.settled) {
                (false, _) => "That payment was already recorded.".to_owned(),
                (true, true) => "Payment recorded. The invoice is paid.".to_owned(),
                (true, false) => "Payment recorded. Part of the invoice is still owed.".to_owned(),
            })
        }
        .await,
    )
}

/// The owner withdraws an invoice nobody has paid anything on; the lead is closed.
#[server(prefix = "/api", endpoint = "invoices/void")]
pub async fn void_invoice(invoice_id: String, reason: String) -> Result<String, UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            ops::invoices::void(&db, &scope, &invoice_id, &reason).await?;
            Ok("Invoice voided. Its pay link no longer opens and the lead is closed.".to_owned())
        }
        .await,
    )
}

/// A fresh pay link for a sent invoice, for the owner to pass on themselves.
#[server(prefix = "/api", endpoint = "invoices/pay-link")]
pub async fn make_pay_link(invoice_id: String) -> Result<String, UiError> {
    use crate::state::{respond, server_state};

    respond(
        async move {
            let (db, scope) = crate::state::caller()?;
            let state = server_state()?;
            let link = ops::payments::share_pay_link(&db, &scope, state.payments.as_ref(), &invoice_id).await?;
            Ok(link.url)
        }
        .await,
    )
}

fn standing_tone(standing: &str) -> &'static str {
    match standing {
        "paid" => "bg-emerald-100 text-emerald-800",
        "overdue" => "bg-rose-100 text-rose-800",
        "sent" => "bg-indigo-100 text-indigo-800",
        "void" => "bg-slate-100 text-slate-500 line-through",
        _ => "bg-slate-100 text-slate-700",
    }
}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    let list = Resource::new(|| (), |()| get_invoices());
    view! {
        <Title text="Invoices" />
        <AppPage>
            <main class="mx-auto max-w-5xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Invoices"</h1>
                    <p class="text-sm text-slate-600">"The Invoice agent bills each job you mark done, from your price list. Open one to record a cash, check or transfer payment."</p>
                </div>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading invoices…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(list.await, |list| view! {
                            <ul class="grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="invoice-totals">
                                {list.totals.into_iter().map(|t| view! {
                                    <li class="rounded-xl border border-slate-200 bg-white p-3">
                                        <p class="text-xs font-medium uppercase tracking-wide text-slate-500">{t.standing.clone()}</p>
                                        <p class="text-lg font-semibold">{t.total}</p>
                                        <p class="text-xs text-slate-500">{format!("{} invoice{}", t.count, if t.count == 1 { "" } else { "s" })}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {if list.invoices.is_empty() {
                                view! {
                                    <div class="rounded-xl border border-dashed border-slate-300 bg-white p-6 text-center" data-testid="invoices-empty">
                                        <p class="font-medium text-slate-800">"No invoices yet"</p>
                                        <p class="mt-1 text-sm text-slate-600">"Mark a job done on the Jobs page and its invoice appears here."</p>
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white">
                                        {list.invoices.into_iter().map(|i| view! {
                                            <li class="flex flex-wrap items-center justify-between gap-2 p-3" data-testid="invoice-row">
                                                <div class="min-w-0">
                                                    <A href=format!("/app/invoices/{}", i.id) attr:class="font-medium text-indigo-700 hover:text-indigo-500">{i.number.clone()}</A>
                                                    <span class="ml-2 break-words text-sm text-slate-700">{i.customer.clone()}</span>
                                                    <p class="text-xs text-slate-500">{i.when.clone()}</p>
                                                </div>
                                                <div class="flex items-center gap-2">
                                                    <span class="font-medium">{i.total.clone()}</span>
                                                    <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {}", standing_tone(&i.standing))>{i.standing.clone()}</span>
                                                </div>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
pub fn InvoicePage() -> impl IntoView {
    let params = use_params_map();
    let pay = ServerAction::<RecordInvoicePayment>::new();
    let link = ServerAction::<MakePayLink>::new();
    let void = ServerAction::<VoidInvoice>::new();
    let send = ServerAction::<DecideApproval>::new();
    let invoice = Resource::new(
        move || {
            let changes = pay.version().get() + void.version().get() + send.version().get();
            (params.read().get("id").unwrap_or_default(), changes)
        },
        |(id, _)| get_invoice(id),
    );
    view! {
        <Title text="Invoice" />
        <AppPage>
            <main class="mx-auto max-w-3xl space-y-4 px-4 py-6">
                <A href="/app/invoices" attr:class="text-sm font-medium text-indigo-700 hover:text-indigo-500">"← Invoices"</A>
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading the invoice…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(invoice.await, move |invoice| view! { <InvoiceDetail invoice pay link void send /> }.into_any())
                    })}
                </Transition>
            </main>
        </AppPage>
    }
}

#[component]
fn InvoiceDetail(
    invoice: InvoiceView,
    pay: ServerAction<RecordInvoicePayment>,
    link: ServerAction<MakePayLink>,
    void: ServerAction<VoidInvoice>,
    send: ServerAction<DecideApproval>,
) -> impl IntoView {
    let void_id = invoice.id.clone();
    let void_error = move || {
        void.value().get().and_then(Result::err).map(|e| e.for_field("reason").unwrap_or_else(|| e.to_string()))
    };
    let error =
        move |field: &'static str| move || pay.value().get().and_then(Result::err).and_then(|e| e.for_field(field));
    let general = move || pay.value().get().and_then(Result::err).filter(UiError::is_general).map(|e| e.to_string());
    let id = invoice.id.clone();
    let input = "mt-1 block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm";
    view! {
        <header class="flex flex-wrap items-start justify-between gap-2">
            <div class="min-w-0">
                <h1 class="text-2xl font-semibold tracking-tight" data-testid="invoice-number">{invoice.number.clone()}</h1>
                <A href=format!("/app/leads/{}", invoice.lead_id) attr:class="break-words text-sm text-indigo-700 hover:text-indigo-500">{invoice.customer.clone()}</A>
            </div>
            <span class=format!("rounded-full px-3 py-1 text-sm font-medium {}", standing_tone(&invoice.standing)) data-testid="invoice-standing">{invoice.standing.clone()}</span>
        </header>
        <section class="rounded-xl border border-slate-200 bg-white p-4">
            <table class="w-full text-sm">
                <thead><tr class="text-left text-slate-500"><th class="pb-2 font-medium">"Item"</th><th class="pb-2 text-right font-medium">"Qty"</th><th class="pb-2 text-right font-medium">"Amount"</th></tr></thead>
                <tbody>
                    {invoice.lines.iter().map(|l| view! {
                        <tr class="border-t border-slate-100"><td class="py-1.5 pr-2">{l.description.clone()}</td><td class="py-1.5 text-right">{l.quantity.clone()}</td><td class="py-1.5 text-right">{l.amount.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <dl class="mt-3 space-y-1 border-t border-slate-200 pt-3 text-sm">
                <div class="flex justify-between"><dt>"Subtotal"</dt><dd>{invoice.subtotal.clone()}</dd></div>
                {invoice.discount.clone().map(|d| view! { <div class="flex justify-between"><dt>"Discount"</dt><dd>{d}</dd></div> })}
                {invoice.tax.clone().map(|t| view! { <div class="flex justify-between"><dt>"Tax"</dt><dd>{t}</dd></div> })}
                <div class="flex justify-between font-semibold"><dt>"Total"</dt><dd>{invoice.total.clone()}</dd></div>
                <div class="flex justify-between text-slate-600"><dt>"Paid"</dt><dd>{invoice.paid.clone()}</dd></div>
                <div class="flex justify-between font-semibold"><dt>"Still owed"</dt><dd data-testid="invoice-balance">{invoice.balance.clone()}</dd></div>
                {invoice.due.clone().map(|d| view! { <div class="flex justify-between text-slate-600"><dt>"Due"</dt><dd>{d}</dd></div> })}
            </dl>
        </section>
        <section class="rounded-xl border border-slate-200 bg-white p-4">
            <h2 class="font-semibold">"Payments"</h2>
            {if invoice.payments.is_empty() {
                view! { <p class="mt-1 text-sm text-slate-600">"No payments yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-2 space-y-1 text-sm" data-testid="payments">
                        {invoice.payments.iter().map(|p| view! { <PaymentItem payment=p.clone() /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {move || pay.value().get().and_then(Result::ok).map(|done| view! { <p class="rounded-lg bg-emerald-50 p-3 text-sm text-emerald-800" role="status">{done}</p> })}
        {general().map(|e| view! { <p class="rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{e}</p> })}
        {if invoice.payable {
            let link_id = id.clone();
            view! {
                <section class="rounded-xl border border-slate-200 bg-white p-4">
                    <h2 class="font-semibold">"Record a payment"</h2>
                    <p class="text-sm text-slate-600">"Money you took yourself: cash, a check or a bank transfer."</p>
                    <ActionForm action=pay attr:class="mt-3 grid gap-3 sm:grid-cols-3">
                        <input type="hidden" name="invoice_id" value=id.clone() />
                        <label class="block text-sm font-medium text-slate-700">"Amount"
                            <input type="text" inputmode="decimal" name="amount" class=input value=invoice.balance_input.clone() />
                            <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error("amount_cents")}{error("amount")}</span>
                        </label>
                        <label class="block text-sm font-medium text-slate-700">"How"
                            <select name="method" class=input>
                                <option value="cash">"Cash"</option>
                                <option value="check">"Check"</option>
                                <option value="bank_transfer">"Bank transfer"</option>
                                <option value="card">"Card (your own terminal)"</option>
                                <option value="other">"Other"</option>
                            </select>
                            <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error("method")}</span>
                        </label>
                        <label class="block text-sm font-medium text-slate-700">"Receipt or check number"
                            <input type="text" name="reference" maxlength="100" class=input />
                            <span class="mt-1 block min-h-[1.25rem] text-sm text-rose-600" role="alert">{error("reference")}</span>
                        </label>
                        <div class="sm:col-span-3">
                            <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60" disabled=move || pay.pending().get()>"Record payment"</button>
                        </div>
                    </ActionForm>
                </section>
                <section class="rounded-xl border border-slate-200 bg-white p-4">
                    <h2 class="font-semibold">"Pay link"</h2>
                    <p class="text-sm text-slate-600">"A fresh link to the payment page, to send the customer yourself."</p>
                    <button type="button" class="mt-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100"
                        on:click=move |_| { link.dispatch(MakePayLink { invoice_id: link_id.clone() }); }>"Make a pay link"</button>
                    {move || link.value().get().map(|made| match made {
                        Ok(url) => view! { <p class="mt-2 break-all rounded bg-slate-50 p-2 font-mono text-xs" data-testid="pay-link">{url}</p> }.into_any(),
                        Err(err) => view! { <p class="mt-2 text-sm text-rose-700" role="alert">{err.to_string()}</p> }.into_any(),
                    })}
                </section>
            }.into_any()
        } else {
            ().into_any()
        }}
        {invoice.send_approval.clone().map(|id| view! {
            <section class="rounded-xl border border-amber-200 bg-amber-50 p-4" data-testid="send-approval">
                <p class="text-sm text-amber-900">"This invoice is above your approval amount, so the Invoice agent is waiting for your OK before it goes to the customer."</p>
                <button type="button" class="mt-2 rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
                    disabled=move || send.pending().get()
                    on:click=move |_| { send.dispatch(DecideApproval { id: id.clone(), approve: true, note: None }); }>"Send it to the customer"</button>
            </section>
        })}
        {move || send.value().get().map(|result| match result {
            Ok(_) => view! { <p class="rounded-lg bg-emerald-50 p-3 text-sm text-emerald-800" role="status">"Approved. The Invoice agent is sending it now."</p> }.into_any(),
            Err(err) => view! { <p class="rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{err.to_string()}</p> }.into_any(),
        })}
        {move || void.value().get().and_then(Result::ok).map(|done| view! { <p class="rounded-lg bg-slate-100 p-3 text-sm text-slate-800" role="status">{done}</p> })}
        {invoice.voidable.then(|| view! {
            <details class="rounded-xl border border-slate-200 bg-white p-4" data-testid="void-invoice">
                <summary class="cursor-pointer text-sm font-medium text-rose-700">"Void this invoice"</summary>
                <p class="mt-2 text-sm text-slate-600">"Withdraw it when the job will not be billed: its pay link stops working, the Invoice agent stops following up, and the lead is closed. Only the owner can do this."</p>
                <ActionForm action=void attr:class="mt-2 space-y-2">
                    <input type="hidden" name="invoice_id" value=void_id.clone() />
                    <label class="block text-sm font-medium text-slate-700">"Why?"
                        <input type="text" name="reason" maxlength="500" class=input />
                    </label>
                    <p class="min-h-[1.25rem] text-sm text-rose-600" role="alert">{void_error}</p>
                    <button type="submit" class="rounded-md bg-rose-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-rose-500 disabled:opacity-60" disabled=move || void.pending().get()>"Void invoice"</button>
                </ActionForm>
            </details>
        })}
    }
}

/// One payment on the invoice; a card payment links to the shop's Stripe dashboard.
#[component]
fn PaymentItem(payment: PaymentLine) -> impl IntoView {
    let PaymentLine { when, amount, method, reference, stripe } = payment;
    view! {
        <li class="break-words">
            {format!("{when} · {amount} · {method}")}
            {(!reference.is_empty()).then(|| view! { " · " <span class="break-all font-mono text-xs">{reference}</span> })}
            {stripe.map(|s| view! {
                " · " <a href=s.dashboard_url rel="external noopener" target="_blank" class="text-indigo-700 hover:underline" data-testid="stripe-dashboard-link">"Open in Stripe"</a>
                {s.refunded.map(|r| view! { <span class="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs text-amber-800">{r}</span> })}
                {s.dispute.map(|d| view! { <span class="ml-2 rounded-full bg-rose-100 px-2 py-0.5 text-xs text-rose-800" role="status">{d}</span> })}
            })}
        </li>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn quantities_read_without_trailing_zeros() {
        assert_eq!(super::trim_quantity(1000), "1");
        assert_eq!(super::trim_quantity(1500), "1.5");
        assert_eq!(super::trim_quantity(250), "0.25");
    }

    #[test]
    fn dispute_states_read_as_words() {
        assert_eq!(super::dispute_in_words("needs_response"), "Disputed: Stripe needs your evidence");
        assert_eq!(super::dispute_in_words("lost"), "Dispute lost: the money went back to the customer");
        assert_eq!(super::dispute_in_words("charge_refunded"), "Disputed (charge refunded)");
    }
}
