//! `/app/approvals`: everything the squad handed to a person — why, what it proposes, what the
//! customer said — with approve and reject (and a note). A decision resumes or ends the run.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::error::UiError;
use crate::shell::{or_error, AppPage, NavRefresh};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    pub lead_id: String,
    pub customer: String,
    /// How to reach the customer now: the phone and email on file.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub kind: String,
    pub reason: String,
    /// The action the squad wants to take, in words, when it asked for permission.
    pub proposed: Option<String>,
    /// What the customer last wrote.
    pub customer_said: Option<String>,
    pub score: Option<i64>,
    /// "Rejects in 3 h if nobody decides", or that it waits for a person.
    pub timeout: String,
    /// The job is booked (or done): nothing to book, only to handle.
    pub booked: bool,
    /// Approving hands the lead back to the Scheduler.
    pub can_resume: bool,
}

#[cfg(feature = "ssr")]
fn proposed_text(action: &serde_json::Value) -> Option<String> {
    let tool = action["tool"].as_str()?;
    let input = &action["input"];
    let mut words = tool.replace('_', " ");
    if let Some(fields) = input.as_object().filter(|f| !f.is_empty()) {
        let detail: Vec<String> = fields
            .iter()
            .map(|(k, v)| {
                format!("{}: {}", k.replace('_', " "), v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            })
            .collect();
        words = format!("{words} ({})", detail.join(", "));
    }
    Some(words)
}

#[cfg(feature = "ssr")]
fn timeout_text(policy: domain::squad::TimeoutPolicy, at: Option<i64>, now: i64) -> String {
    use domain::squad::TimeoutPolicy;
    let verb = match policy {
        TimeoutPolicy::Approve => "Approves",
        TimeoutPolicy::Reject => "Rejects",
        TimeoutPolicy::Keep => return "Waits for a person".to_owned(),
    };
    match at {
        Some(at) => {
            let hours = ((at - now).max(0) + 3_599_999) / 3_600_000;
            format!("{verb} on its own in {hours} h if nobody decides")
        }
        None => "Waits for a person".to_owned(),
    }
}

#[server(prefix = "/api", endpoint = "approvals", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_approvals() -> Result<Vec<Approval>, UiError> {
    use domain::squad::EscalationStatus;
    use domain::LeadId;
    use store::{customers, escalations, leads, now_ms, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let pending = escalations::list(&mut tx, EscalationStatus::Pending, 200).await.map_err(internal)?;
            let now = now_ms();
            let mut out = Vec::with_capacity(pending.len());
            for e in pending {
                let lead_id = LeadId::parse(&e.lead_id).map_err(internal)?;
                let lead = leads::get(&mut tx, lead_id).await.map_err(internal)?;
                let said = leads::messages(&mut tx, lead_id)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .rev()
                    .find(|m| m.direction == "inbound")
                    .map(|m| m.body);
                let customer = match &lead {
                    Some(lead) => customers::get(&mut tx, lead.customer_id).await.map_err(internal)?,
                    None => None,
                };
                out.push(Approval {
                    phone: customer.as_ref().and_then(|c| c.phone.clone()),
                    email: customer.as_ref().and_then(|c| c.email.as_ref().map(ToString::to_string)),
                    proposed: proposed_text(&e.proposed_action),
                    timeout: timeout_text(e.timeout_policy, e.timeout_at, now),
                    customer: lead.as_ref().map_or_else(|| "Unknown customer".to_owned(), |l| l.customer_name.clone()),
                    booked: lead.as_ref().is_some_and(|l| l.stage.is_booked_or_later()),
                    can_resume: lead.as_ref().is_some_and(ops::escalations::resumes_scheduling),
                    score: lead.and_then(|l| l.score),
                    customer_said: said,
                    id: e.id,
                    lead_id: e.lead_id,
                    kind: e.kind.replace('_', " "),
                    reason: e.reason,
                });
            }
            tx.commit().await.map_err(internal)?;
            Ok(out)
        }
        .await,
    )
}

/// Approves or rejects one escalation; returns what happened to the run in words.
#[server(prefix = "/api", endpoint = "approvals/decide")]
pub async fn decide_approval(id: String, approve: bool, note: Option<String>) -> Result<String, UiError> {
    use ops::escalations::Outcome;

    use crate::state::{caller, respond};

    respond(
        async move {
            let (db, scope) = caller()?;
            let outcome = ops::escalations::decide(&db, &scope, &id, approve, note).await?;
            Ok(match outcome {
                Outcome::Resumed => "Approved. The squad is carrying on.",
                Outcome::Declined => "Rejected. The squad will not do it.",
                Outcome::Closed => "Rejected. The lead is closed.",
                Outcome::Acknowledged => {
                    "Noted: you're handling it. The squad stays out of this conversation until you hand it back on the \
                     lead's page."
                }
            }
            .to_owned())
        }
        .await,
    )
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let decide = ServerAction::<DecideApproval>::new();
    let approvals = Resource::new(move || decide.version().get(), |_| get_approvals());
    NavRefresh::following(move || decide.version().get());
    view! {
        <Title text="Approvals" />
        <AppPage>
            <main class="mx-auto max-w-4xl space-y-4 px-4 py-6">
                <div>
                    <h1 class="text-2xl font-semibold tracking-tight">"Approvals"</h1>
                    <p class="text-sm text-slate-600">"What the squad would not decide alone. Book a job yourself, let the squad carry on, or close the lead."</p>
                </div>
                {move || decide.value().get().map(|result| match result {
                    Ok(done) => view! { <p class="rounded-lg bg-emerald-50 p-3 text-sm text-emerald-800" role="status">{done}</p> }.into_any(),
                    Err(err) => view! { <p class="rounded-lg bg-rose-50 p-3 text-sm text-rose-700" role="alert">{err.to_string()}</p> }.into_any(),
                })}
                <Transition fallback=|| view! { <p class="text-slate-500">"Loading approvals…"</p> }>
                    {move || Suspend::new(async move {
                        or_error(approvals.await, move |list| {
                            if list.is_empty() {
                                view! {
                                    <div class="rounded-xl border border-dashed border-slate-300 bg-white p-8 text-center" data-testid="approvals-empty">
                                        <p class="font-medium text-slate-800">"Nothing waiting for you"</p>
                                        <p class="mt-1 text-sm text-slate-600">"When the squad needs a person — a safety issue, a complaint, a discount, a large invoice — it lands here."</p>
                                    </div>
                                }.into_any()
                            } else {
                                view! {
                                    <ul class="space-y-3">
                                        {list.into_iter().map(|a| view! { <ApprovalCard approval=a decide /> }).collect_view()}
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

/// A `tel:` address: the digits of a phone number as written, with its leading `+`.
pub fn tel_href(phone: &str) -> String {
    let digits: String = phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
    format!("tel:{digits}")
}

/// Call and email links for the customer, so the owner can act from the card.
#[component]
fn ContactLinks(phone: Option<String>, email: Option<String>) -> impl IntoView {
    let link = "rounded-md border border-slate-300 px-2.5 py-1 text-sm font-medium text-indigo-700 hover:bg-slate-50";
    view! {
        <div class="mt-2 flex flex-wrap gap-2 text-sm">
            {phone.map(|p| view! { <a class=link href=tel_href(&p)>{format!("Call {p}")}</a> })}
            {email.map(|e| view! { <a class=format!("{link} max-w-full truncate") href=format!("mailto:{e}")>{format!("Email {e}")}</a> })}
        </div>
    }
}

const PRIMARY: &str =
    "rounded-md bg-emerald-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-emerald-500 disabled:opacity-60";
const QUIET: &str = "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 \
    hover:bg-slate-100 disabled:opacity-60";

#[component]
fn ApprovalCard(approval: Approval, decide: ServerAction<DecideApproval>) -> impl IntoView {
    let note = RwSignal::new(String::new());
    let id = approval.id.clone();
    let send = move |approve: bool| {
        let note = note.get_untracked();
        decide.dispatch(DecideApproval { id: id.clone(), approve, note: (!note.trim().is_empty()).then_some(note) });
    };
    let send_reject = send.clone();
    let needs_reason = RwSignal::new(false);
    let send_close = send.clone();
    let close = move |()| {
        let missing = note.get_untracked().trim().is_empty();
        needs_reason.set(missing);
        if !missing {
            send_close(false);
        }
    };
    let is_approval = approval.kind == "approval";
    let note_id = format!("note-{}", approval.id);
    view! {
        <li class="rounded-xl border border-slate-200 bg-white p-4" data-testid="approval">
            <div class="flex flex-wrap items-start justify-between gap-2">
                <div>
                    <A href=format!("/app/leads/{}", approval.lead_id) attr:class="font-semibold text-indigo-700 hover:text-indigo-500">{approval.customer.clone()}</A>
                    <span class="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800">{approval.kind.clone()}</span>
                    {approval.score.map(|s| view! { <span class="ml-1 text-xs text-slate-500">{format!("score {s}/10")}</span> })}
                </div>
                <span class="text-xs text-slate-500">{approval.timeout.clone()}</span>
            </div>
            <ContactLinks phone=approval.phone.clone() email=approval.email.clone() />
            <p class="mt-2 text-sm text-slate-800">{approval.reason.clone()}</p>
            {approval.proposed.clone().map(|p| view! { <p class="mt-1 text-sm text-slate-700"><span class="font-medium">"Wants to: "</span>{p}</p> })}
            {approval.customer_said.clone().map(|said| view! {
                <blockquote class="mt-2 border-l-4 border-slate-200 pl-3 text-sm italic text-slate-600">{said}</blockquote>
            })}
            <label class="mt-3 block text-sm text-slate-700" for=note_id.clone()>{if is_approval { "Note (optional)" } else { "Note (say why, to close the lead)" }}</label>
            <input id=note_id type="text" maxlength="1000" class="mt-1 block w-full rounded-lg border border-slate-300 px-3 py-2 text-sm"
                prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev)) />
            {if is_approval {
                view! {
                    <div class="mt-3 flex flex-wrap gap-2">
                        <button type="button" class=PRIMARY disabled=move || decide.pending().get() on:click=move |_| send(true)>"Approve"</button>
                        <button type="button" class=QUIET disabled=move || decide.pending().get() on:click=move |_| send_reject(false)>"Reject"</button>
                    </div>
                }.into_any()
            } else if approval.booked {
                view! {
                    <div class="mt-3 flex flex-wrap gap-2">
                        <button type="button" class=PRIMARY disabled=move || decide.pending().get() on:click=move |_| send(true)>"Mark handled"</button>
                    </div>
                }.into_any()
            } else {
                let carry_on = if approval.can_resume { "Let the squad schedule it" } else { "I'll handle it" };
                view! {
                    <div class="mt-3 flex flex-wrap gap-2">
                        <A href=format!("/app/leads/{}#book", approval.lead_id) attr:class=PRIMARY>"Book it myself"</A>
                        <button type="button" class=QUIET disabled=move || decide.pending().get() on:click=move |_| send(true)>{carry_on}</button>
                        <button type="button" class=QUIET disabled=move || decide.pending().get() on:click=move |_| close(())>"Close the lead"</button>
                    </div>
                    <p class="mt-1 min-h-[1.25rem] text-sm text-rose-600" role="alert">{move || needs_reason.get().then_some("Say in the note why you're closing it.")}</p>
                }.into_any()
            }}
        </li>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_phone_number_becomes_a_tel_link() {
        assert_eq!(super::tel_href("(217) 555-0199"), "tel:2175550199");
        assert_eq!(super::tel_href("+1 217 555 0199"), "tel:+12175550199");
    }
}
