//! `/app/leads/{id}`: one lead's whole story for the owner — the conversation, the score and its
//! reasons, the appointment, the invoice, and every step the squad took (agent, handoff, tool with
//! its input and output, model, prompt version, latency, tokens, cost), in order.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::booking::JobPanel;
use crate::error::UiError;
use crate::shell::{or_error, AppPage};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineMessage {
    pub author: String,
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    /// The whole email as it arrived, when the squad read it without its quoted history.
    pub original: Option<String>,
    pub recipient: Option<String>,
    pub at: String,
    /// How far an outbound message got, in words ("Sent from your mailbox", "Not sent: …").
    pub delivery: Option<Delivery>,
}

/// What became of an outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// `sent`, `recorded`, `waiting` or `failed`.
    pub state: String,
    pub words: String,
}

/// The ledger's entry for a message (`None`: not attempted yet) in the owner's words.
#[cfg(feature = "ssr")]
fn delivery_of(entry: Option<&(String, Option<String>)>) -> Delivery {
    let state = |state: &str, words: String| Delivery { state: state.to_owned(), words };
    let Some((status, response)) = entry else { return state("waiting", "Waiting to be sent".to_owned()) };
    let response: serde_json::Value =
        response.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
    match (status.as_str(), response["provider"].as_str(), response["sent"].as_bool()) {
        ("done", Some("chat"), _) => state("sent", "Shown in the chat".to_owned()),
        ("done", Some("imap_smtp"), Some(true)) => state("sent", "Sent from your mailbox".to_owned()),
        ("done", Some("twilio"), Some(true)) => state("sent", "Texted from your Twilio number".to_owned()),
        ("done", _, Some(true)) => state("sent", "Sent".to_owned()),
        ("done", Some("folder"), _) => state("recorded", "Not sent: written to the local outbox".to_owned()),
        ("done", _, _) => state("recorded", "Not sent: no mailbox or SMS number is connected".to_owned()),
        ("failed", _, _) => state(
            "failed",
            format!("Not delivered: {}", response["error"].as_str().unwrap_or("the provider refused it")),
        ),
        _ => state("waiting", "Sending… (retrying)".to_owned()),
    }
}

/// A call in the owner's words, after its time.
#[cfg(feature = "ssr")]
fn call_words(call: &store::calls::CallRow) -> String {
    let from = call.from.as_deref().unwrap_or("a withheld number");
    match (call.outcome.as_str(), call.duration_seconds) {
        ("answered", Some(seconds)) if seconds >= 60 => format!("call from {from}, answered ({} min)", seconds / 60),
        ("answered", Some(_)) => format!("call from {from}, answered (under a minute)"),
        ("answered", None) => format!("call from {from}, answered"),
        _ if call.texted_back => format!("missed call from {from}; texted back"),
        _ if call.from.is_some() => format!("missed call from {from}; not texted back (the number asked for no texts)"),
        _ => format!("missed call from {from}"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineStep {
    pub seq: i64,
    pub agent: String,
    /// What happened, in the owner's words ("Booked Tue Nov 3, 10:00 AM with Ana Ortiz.").
    pub story: String,
    pub kind: String,
    /// The tool, for tool calls and handoffs; the model id for model calls.
    pub title: String,
    pub is_error: bool,
    /// Pretty JSON of what went in and what came out (tool calls), or the model's tool choices.
    pub input: Option<String>,
    pub output: Option<String>,
    pub prompt_version: Option<String>,
    pub latency_ms: i64,
    pub tokens: i64,
    /// Prompt tokens read from the model's cache (billed at the cache-read price).
    pub cached_tokens: i64,
    pub cost: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadTimeline {
    pub id: String,
    /// The owner is handling the conversation; the squad stays out until handed back.
    pub taken_over: bool,
    pub customer: String,
    pub contact: String,
    pub stage: String,
    pub waiting_on: String,
    pub score: Option<i64>,
    /// The score's reasons as short phrases ("urgent", "in your area").
    pub reasons: Vec<String>,
    pub urgency: Option<String>,
    pub appointments: Vec<String>,
    pub invoices: Vec<String>,
    pub messages: Vec<TimelineMessage>,
    /// Calls to the shop's number that opened this lead or came from its customer's number, in
    /// words ("Dec 3, 9:12 AM: missed call from +12175550151; texted back").
    pub calls: Vec<String>,
    pub steps: Vec<TimelineStep>,
    pub total_cost: String,
}

/// One recorded step in the owner's words; a step that does not fit its type is an error naming it.
#[cfg(feature = "ssr")]
fn summarize(
    step: &store::leads::StepRow,
    at: String,
    technician: &dyn Fn(&str) -> Option<String>,
) -> Result<TimelineStep, UiError> {
    use squad::steps::{EscalationCause, StepPayload};

    use crate::story::{agent_name, tool_story, tool_words};

    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let payload = StepPayload::read(&step.kind, &step.payload)
        .map_err(|why| crate::state::internal(format!("run {} step {}: {why}", step.run_id, step.seq)))?;
    let (title, input, output, is_error, story) = match &payload {
        StepPayload::ModelCall(call) => {
            let choices: Vec<&str> = call.response.tool_uses().map(|(_, name, _)| name).collect();
            let (chose, story) = if choices.is_empty() {
                ("finished its turn".to_owned(), "Had nothing more to do.".to_owned())
            } else {
                let words: Vec<String> = choices.iter().map(|c| tool_words(c)).collect();
                (format!("chose {}", choices.join(", ")), format!("Decided to {}.", words.join(", then ")))
            };
            (format!("{} {chose}", call.model_id), None, None, false, story)
        }
        StepPayload::Note(note) => {
            // Notes name their agent first ("scheduler finished its turn"); the step shows it already.
            let said = note.note.strip_prefix(step.agent.as_str()).unwrap_or(&note.note).trim();
            let mut chars = said.chars();
            let story = chars.next().map_or_else(String::new, |c| format!("{}{}.", c.to_uppercase(), chars.as_str()));
            (note.note.clone(), None, None, false, story)
        }
        StepPayload::Tool(tool) => (
            tool.tool.clone(),
            Some(pretty(&tool.input)),
            Some(pretty(&tool.output)),
            tool.is_error,
            tool_story(&tool.tool, &tool.output, tool.is_error, technician),
        ),
        StepPayload::ApprovalAsked(asked) => {
            (asked.tool.clone(), None, None, false, format!("Asked you before it would {}.", tool_words(&asked.tool)))
        }
        StepPayload::RunEscalated(escalated) => {
            let title = match &escalated.cause {
                EscalationCause::FollowUp(_) => "follow up",
                EscalationCause::ModelRefused(_) => "model refused",
                EscalationCause::Limit(_) => "limit",
            };
            let story = format!("Handed this to you: {}", escalated.reason);
            (title.to_owned(), None, Some(pretty(&serde_json::json!(escalated.reason))), false, story)
        }
    };
    Ok(TimelineStep {
        seq: step.seq,
        agent: agent_name(&step.agent).to_owned(),
        story,
        kind: step.kind.replace('_', " "),
        title,
        is_error,
        input,
        output,
        prompt_version: step.prompt_version.clone(),
        latency_ms: step.latency_ms,
        tokens: step.input_tokens + step.output_tokens + step.cache_read_tokens + step.cache_write_tokens,
        cached_tokens: step.cache_read_tokens,
        cost: dollars(step.cost_micros),
        at,
    })
}

/// Micro-dollars as "$0.0042".
#[cfg(feature = "ssr")]
fn dollars(micros: i64) -> String {
    format!("${}.{:04}", micros / 1_000_000, (micros % 1_000_000) / 100)
}

#[server(prefix = "/api", endpoint = "leads/timeline", input = leptos::server_fn::codec::GetUrl)]
pub async fn get_lead_timeline(id: String) -> Result<LeadTimeline, UiError> {
    use squad::tools::invoice::format_money;
    use store::{appointments, customers, invoices, leads, settings, technicians, TenantTx};

    use crate::state::{auth_ctx, internal, respond, server_state};

    respond(
        async move {
            let ctx = auth_ctx()?;
            let state = server_state()?;
            let lead_id = domain::LeadId::parse(&id).map_err(|_| UiError::NotFound)?;
            let mut tx = TenantTx::read(&state.db, &ctx.scope).await.map_err(internal)?;
            let lead = leads::get(&mut tx, lead_id).await.map_err(internal)?.ok_or(UiError::NotFound)?;
            let customer = customers::get(&mut tx, lead.customer_id).await.map_err(internal)?;
            let org = settings::get(&mut tx).await.map_err(internal)?;
            let messages = leads::messages(&mut tx, lead_id).await.map_err(internal)?;
            let deliveries = leads::deliveries(&mut tx, lead_id).await.map_err(internal)?;
            let steps = leads::steps(&mut tx, lead_id).await.map_err(internal)?;
            let crew = technicians::list(&mut tx).await.map_err(internal)?;
            let booked = appointments::for_lead(&mut tx, lead_id).await.map_err(internal)?;
            let billed = invoices::for_lead(&mut tx, lead_id).await.map_err(internal)?;
            let held = store::jobs::deliveries_waiting(&mut tx, store::now_ms()).await.map_err(internal)?;
            let phone = customer.as_ref().and_then(|c| c.phone.clone());
            let calls = store::calls::for_lead(&mut tx, lead_id, phone.as_deref()).await.map_err(internal)?;
            let mut in_calendars = std::collections::HashMap::new();
            for a in &booked {
                if let Some(event) = store::calendars::event(&mut tx, &a.id).await.map_err(internal)? {
                    in_calendars.insert(a.id.clone(), event.status);
                }
            }
            tx.commit().await.map_err(internal)?;

            let at = |ms: i64| org.time_zone.format_local(ms, "%b %-d, %-I:%M %p").unwrap_or_default();
            let contact = customer
                .map(|c| [c.email, c.phone].into_iter().flatten().collect::<Vec<_>>().join(" · "))
                .unwrap_or_default();
            let appointments = booked
                .iter()
                .map(|a| {
                    let tech = crew
                        .iter()
                        .find(|t| t.id.to_string() == a.technician_id)
                        .map_or("a technician", |t| t.name.as_str());
                    // Where the visit stands in the technician's own calendar, if it was written there.
                    let calendar = match in_calendars.get(&a.id).map(String::as_str) {
                        Some("written") => format!(" · in {tech}'s calendar"),
                        Some("missing") => format!(" · deleted from {tech}'s calendar"),
                        Some("deleted") => format!(" · taken out of {tech}'s calendar"),
                        _ => String::new(),
                    };
                    format!("{} with {tech} — {}{calendar}", at(a.starts_at), a.status)
                })
                .collect();
            let invoices = billed
                .iter()
                .map(|i| format!("{} · {} · {}", i.number, format_money(i.total_cents, &i.currency), i.status))
                .collect();
            let total: i64 = steps.iter().map(|s| s.cost_micros).sum();
            Ok(LeadTimeline {
                id: lead.id.to_string(),
                taken_over: lead.human_takeover,
                customer: lead.customer_name.clone(),
                contact,
                stage: lead.stage.to_string(),
                waiting_on: lead.waiting_on.to_string(),
                score: lead.score,
                reasons: lead.score_reasons.iter().map(|r| crate::story::reason_words(r)).collect(),
                urgency: lead.urgency.clone(),
                appointments,
                invoices,
                messages: messages
                    .into_iter()
                    .map(|m| TimelineMessage {
                        delivery: (m.direction == "outbound").then(|| match (deliveries.get(&m.id), held.get(&m.id)) {
                            (None, Some(until)) => Delivery {
                                state: "waiting".to_owned(),
                                words: format!(
                                    "Waits until {}: it is night where the customer is",
                                    org.time_zone.format_local(*until, "%-I:%M %p").unwrap_or_default()
                                ),
                            },
                            (entry, _) => delivery_of(entry),
                        }),
                        author: m.author,
                        channel: domain::pipeline::Channel::parse(&m.channel)
                            .map_or(m.channel.clone(), |c| c.describe().to_owned()),
                        subject: m.subject,
                        body: m.body,
                        original: m.original_body,
                        recipient: m.recipient,
                        at: at(m.created_at),
                    })
                    .collect(),
                calls: calls.iter().map(|c| format!("{}: {}", at(c.created_at), call_words(c))).collect(),
                steps: steps
                    .iter()
                    .map(|s| {
                        let technician =
                            |id: &str| crew.iter().find(|t| t.id.to_string() == id).map(|t| t.name.clone());
                        summarize(s, at(s.created_at), &technician)
                    })
                    .collect::<Result<_, _>>()?,
                total_cost: dollars(total),
            })
        }
        .await,
    )
}

/// The owner takes the conversation over (the squad stops replying to this lead) or hands it back.
#[server(prefix = "/api", endpoint = "leads/takeover")]
pub async fn set_takeover(id: String, take_over: bool) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let lead_id = domain::LeadId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            Ok(ops::conversations::set_takeover(&db, &scope, lead_id, take_over).await?)
        }
        .await,
    )
}

/// The owner writes to the customer on the lead's channel. Writing takes the conversation over.
#[server(prefix = "/api", endpoint = "leads/reply")]
pub async fn send_owner_reply(id: String, body: String) -> Result<(), UiError> {
    use crate::state::{caller, respond};

    respond(
        async move {
            let lead_id = domain::LeadId::parse(&id).map_err(|_| UiError::NotFound)?;
            let (db, scope) = caller()?;
            Ok(ops::conversations::reply(&db, &scope, lead_id, &body).await?)
        }
        .await,
    )
}

#[component]
pub fn LeadPage() -> impl IntoView {
    let params = use_params_map();
    let takeover = ServerAction::<SetTakeover>::new();
    let reply = ServerAction::<SendOwnerReply>::new();
    provide_context((takeover, reply));
    let jobs = crate::booking::JobActions::new();
    provide_context(jobs);
    // Booking or closing by hand settles escalations: the header's approvals count follows.
    crate::shell::NavRefresh::following(move || jobs.version());
    let timeline = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                takeover.version().get() + reply.version().get() + jobs.version(),
            )
        },
        |(id, _)| get_lead_timeline(id),
    );
    view! {
        <Title text="Lead timeline" />
        <AppPage>
        <main class="mx-auto max-w-5xl px-4 py-6">
            <A href="/app/board" attr:class="text-sm font-medium text-indigo-700 hover:text-indigo-500">"← Pipeline"</A>
            <Transition fallback=|| view! { <p class="mt-6 text-slate-500">"Loading the lead…"</p> }>
                {move || Suspend::new(async move {
                    or_error(timeline.await, |lead| view! { <Timeline lead /> }.into_any())
                })}
            </Transition>
        </main>
        </AppPage>
    }
}

#[component]
fn Timeline(lead: LeadTimeline) -> impl IntoView {
    let needs_you = lead.waiting_on == "owner";
    view! {
        <header class="mt-4 flex flex-wrap items-start justify-between gap-3">
            <div class="min-w-0">
                <h1 class="text-2xl font-bold tracking-tight" data-testid="lead-customer">{lead.customer.clone()}</h1>
                <p class="break-all text-sm text-slate-600">{lead.contact.clone()}</p>
            </div>
            <div class="flex flex-wrap items-center gap-2 text-sm">
                <span class="rounded-full bg-indigo-100 px-3 py-1 font-medium text-indigo-800" data-testid="lead-stage">{lead.stage.clone()}</span>
                {lead.urgency.clone().map(|u| view! { <span class="rounded-full bg-slate-100 px-3 py-1 text-slate-700">{u}</span> })}
                {needs_you.then(|| view! { <span class="rounded-full bg-amber-100 px-3 py-1 font-medium text-amber-800">"Needs you"</span> })}
            </div>
        </header>

        <section class="mt-6 grid gap-4 md:grid-cols-3">
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="text-sm font-semibold text-slate-500">"Score"</h2>
                <p class="mt-1 text-3xl font-bold" data-testid="lead-score">{lead.score.map_or("—".to_owned(), |s| format!("{s}/10"))}</p>
                <ul class="mt-2 flex flex-wrap gap-1">
                    {lead.reasons.iter().map(|r| view! { <li class="rounded bg-slate-100 px-2 py-0.5 text-xs text-slate-700">{r.clone()}</li> }).collect_view()}
                </ul>
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="text-sm font-semibold text-slate-500">"Appointment"</h2>
                {if lead.appointments.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600">"Not booked yet."</p> }.into_any()
                } else {
                    view! { <ul class="mt-1 space-y-1 text-sm">{lead.appointments.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
            <div class="rounded-xl border border-slate-200 bg-white p-4">
                <h2 class="text-sm font-semibold text-slate-500">"Invoice"</h2>
                {if lead.invoices.is_empty() {
                    view! { <p class="mt-1 text-sm text-slate-600">"Billed after the job is completed."</p> }.into_any()
                } else {
                    view! { <ul class="mt-1 space-y-1 text-sm">{lead.invoices.iter().map(|i| view! { <li>{i.clone()}</li> }).collect_view()}</ul> }.into_any()
                }}
            </div>
        </section>

        <JobPanel lead_id=lead.id.clone() />

        <section class="mt-6 grid gap-4 lg:grid-cols-5">
            <div class="min-w-0 rounded-xl border border-slate-200 bg-white p-4 lg:col-span-2">
                <h2 class="font-semibold">"Conversation"</h2>
                {(!lead.calls.is_empty()).then(|| view! {
                    <div class="mt-3 rounded-lg border border-slate-200 p-3 text-sm" data-testid="calls">
                        <h3 class="text-xs font-semibold text-slate-500">"Calls to your Twilio number"</h3>
                        <ul class="mt-1 space-y-1">{lead.calls.iter().map(|c| view! { <li class="break-words">{c.clone()}</li> }).collect_view()}</ul>
                        <p class="mt-1 text-xs text-slate-500">"Matched by caller ID, which shows a number, not who called."</p>
                    </div>
                })}
                <ol class="mt-3 space-y-3" data-testid="conversation">
                    {lead.messages.iter().map(|m| {
                        let mine = m.author != "customer";
                        let bubble = if mine { "ml-6 bg-indigo-50 border-indigo-100" } else { "mr-6 bg-slate-50 border-slate-200" };
                        let who = match m.author.as_str() { "customer" => "Customer", "agent" => "Squad", _ => "You" };
                        view! {
                            <li class=format!("rounded-lg border p-3 text-sm {bubble}")>
                                <p class="text-xs text-slate-500">
                                    {who} " · " {m.channel.clone()} " · " {m.at.clone()}
                                    {m.recipient.clone().map(|r| format!(" · to {r}"))}
                                </p>
                                {m.subject.clone().map(|s| view! { <p class="mt-1 font-medium">{s}</p> })}
                                <p class="mt-1 whitespace-pre-line break-words">{m.body.clone()}</p>
                                {m.original.clone().map(|whole| view! {
                                    <details class="mt-1 text-xs text-slate-500" data-testid="whole-email">
                                        <summary class="cursor-pointer">"The whole email (the squad read it without the quoted earlier messages and signature)"</summary>
                                        <p class="mt-1 whitespace-pre-line break-words">{whole}</p>
                                    </details>
                                })}
                                {m.delivery.clone().map(|d| {
                                    let tone = match d.state.as_str() {
                                        "sent" => "text-emerald-700",
                                        "failed" => "text-rose-700 font-medium",
                                        "waiting" => "text-amber-700",
                                        _ => "text-slate-500",
                                    };
                                    view! { <p class=format!("mt-1 text-xs {tone}") data-testid="delivery" data-state=d.state.clone()>{d.words}</p> }
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
                <OwnerReply id=lead.id.clone() taken_over=lead.taken_over />
            </div>
            <div class="min-w-0 rounded-xl border border-slate-200 bg-white p-4 lg:col-span-3">
                <div class="flex items-baseline justify-between">
                    <h2 class="font-semibold">"What the squad did"</h2>
                    <p class="text-xs text-slate-500">{lead.steps.len()} " steps · model cost " {lead.total_cost.clone()}</p>
                </div>
                {if lead.steps.is_empty() {
                    view! { <p class="mt-3 text-sm text-slate-600">"The squad hasn't started on this lead yet. Steps appear here as they happen."</p> }.into_any()
                } else {
                    view! {
                        <ol class="mt-3 space-y-2" data-testid="steps">
                            {lead.steps.iter().map(|s| view! { <Step step=s.clone() /> }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </div>
        </section>
    }
}

#[component]
fn Step(step: TimelineStep) -> impl IntoView {
    let tone = match (step.kind.as_str(), step.is_error) {
        (_, true) => "border-rose-200 bg-rose-50",
        ("handoff", _) => "border-violet-200 bg-violet-50",
        ("escalation", _) => "border-amber-200 bg-amber-50",
        ("model call", _) => "border-slate-100 bg-slate-50",
        _ => "border-slate-200 bg-white",
    };
    view! {
        <li class=format!("rounded-lg border p-3 text-sm {tone}")>
            <div class="flex flex-wrap items-baseline justify-between gap-2">
                <p class="min-w-0 break-words">
                    <span class="font-medium">{step.agent.clone()}</span>": " {step.story.clone()}
                </p>
                <p class="text-xs text-slate-500">{step.at.clone()}</p>
            </div>
            // The technical record, for whoever wants it: what ran, how long, what it cost, the data.
            <details class="mt-1">
                <summary class="cursor-pointer text-xs text-indigo-700">"Details"</summary>
                <p class="mt-1 break-all text-xs text-slate-500">
                    {step.kind.clone()} " · " <span class="font-mono">{step.title.clone()}</span> " · " {step.latency_ms} " ms"
                    {(step.tokens > 0).then(|| format!(" · {} tokens · {}", step.tokens, step.cost))}
                    {(step.cached_tokens > 0).then(|| format!(" · {} from cache", step.cached_tokens))}
                    {step.prompt_version.clone().map(|v| format!(" · prompt {v}"))}
                </p>
                {step.input.clone().map(|i| view! { <pre class="mt-1 overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{i}</pre> })}
                {step.output.clone().map(|o| view! { <pre class="mt-1 overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{o}</pre> })}
            </details>
        </li>
    }
}

/// Taking over and writing to the customer, under the conversation.
#[component]
fn OwnerReply(id: String, taken_over: bool) -> impl IntoView {
    let Some((takeover, reply)) = use_context::<(ServerAction<SetTakeover>, ServerAction<SendOwnerReply>)>() else {
        return ().into_any();
    };
    let error =
        move || reply.value().get().and_then(Result::err).or_else(|| takeover.value().get().and_then(Result::err));
    let toggle_id = id.clone();
    let toggle = move |_| {
        takeover.dispatch(SetTakeover { id: toggle_id.clone(), take_over: !taken_over });
    };
    view! {
        <div class="mt-4 border-t border-slate-100 pt-4" data-testid="owner-reply">
            {if taken_over {
                view! { <p class="text-sm text-indigo-800">"You're handling this conversation. The squad won't reply to this customer until you hand it back."</p> }.into_any()
            } else {
                view! { <p class="text-sm text-slate-600">"The squad is handling this conversation. Take over to answer the customer yourself."</p> }.into_any()
            }}
            <ActionForm action=reply attr:class="mt-2 space-y-2">
                <input type="hidden" name="id" value=id.clone() />
                <label class="block text-sm font-medium text-slate-700" for="owner-reply-body">"Your reply to the customer"</label>
                <textarea id="owner-reply-body" name="body" rows="3" class="block w-full rounded-lg border border-slate-300 p-2 text-sm"></textarea>
                <p class="min-h-[1.25rem] text-sm text-rose-600" role="alert">{move || error().map(|e| e.for_field("body").unwrap_or_else(|| e.to_string()))}</p>
                <div class="flex flex-wrap gap-2">
                    <button type="submit" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60" disabled=move || reply.pending().get()>"Send reply"</button>
                    <button type="button" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100" on:click=toggle>
                        {if taken_over { "Hand back to the squad" } else { "Take over" }}
                    </button>
                </div>
            </ActionForm>
        </div>
    }
    .into_any()
}
