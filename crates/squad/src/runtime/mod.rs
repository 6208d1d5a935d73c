//! The durable run loop behind a `run_squad` job.
//!
//! Every step — a model call, a tool call, a handoff, an escalation — is a `run_steps` row
//! committed before the next step starts. A tool's business writes (a reply, a booking) commit in
//! the same transaction as its step row, so a crash either loses both or keeps both: a retried job
//! replays the committed steps, runs only the tool calls that have no result yet, and never sends a
//! reply or books a slot twice. Hitting any limit escalates to a person; nothing stops silently.

mod tools;

pub use tools::send_reminder;

use std::collections::HashSet;
use std::time::Instant;

use tracing::Instrument;

use domain::jobs::RunSquad;
use domain::pipeline::{Stage, WaitingOn};
use domain::squad::RunStatus;
use serde_json::{json, Value};
use store::jobs::ClaimedJob;
use store::leads::{self, LeadRow};
use store::memories::{self, Layer, NewMemory};
use store::runs::{self, NewStep, RunUpdate};
use store::{escalations, now_ms, Db, StoreError, TenantScope, TenantTx};

use crate::agents::{self, AgentName, Task};
use crate::conversation::{bounded_thread, Contact, CustomerMessage, Opening, Shortened};
use crate::model::{Content, InferenceSettings, Message, Model, ModelError, ModelRequest, Role, StopReason};
use crate::price_list::PriceList;
use crate::steps::{read_steps, EscalationCause, ModelCall, Note, RecordedStep, RunEscalated, StepPayload};

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_turns_per_agent: usize,
    pub max_handoffs: i64,
    pub run_timeout_ms: i64,
    /// Prices per model id; the run and daily budgets come from the org's settings.
    pub prices: crate::pricing::PriceTable,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_turns_per_agent: 12,
            max_handoffs: 10,
            run_timeout_ms: 300_000,
            prices: crate::pricing::PriceTable::default(),
        }
    }
}

/// Today's date in UTC, the key of the org's daily usage.
fn utc_day() -> String {
    chrono::DateTime::from_timestamp_millis(now_ms()).map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("the run cannot go on: {0}")]
    Payload(String),
    #[error("database error")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("another run of this lead is in progress")]
    LeadBusy,
}

impl RunError {
    /// Worth retrying the job later.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Store(_) | Self::Model(ModelError::Transient(_)) | Self::LeadBusy)
    }
}

pub struct Squad<'a> {
    pub db: &'a Db,
    pub model: &'a dyn Model,
    /// Where invoices' pay links come from.
    pub payments: &'a dyn crate::payments::PaymentLinks,
    /// Each agent's model and settings before the org's overrides.
    pub models: &'a agents::AgentModels,
    pub limits: Limits,
    /// Where a chat visitor's replies are shown while they are written (`None`: nowhere).
    pub live: Option<&'a crate::live::LiveText>,
    /// Reads technicians' calendars before openings are offered or a booking is committed.
    pub calendars: &'a dyn crate::calendars::Calendars,
}

/// Which agent starts a new run, and for what; `None` when the lead's stage is one only a person
/// should act on (the owner gets a follow-up escalation instead).
fn route(payload: &RunSquad, stage: Stage) -> Option<(AgentName, Task)> {
    match (payload.task, payload.start_with) {
        (Some(Task::PaymentFollowUp), _) => {
            matches!(stage, Stage::Invoiced | Stage::Paid).then_some((AgentName::Invoice, Task::PaymentFollowUp))
        }
        (_, Some(AgentName::Scheduler)) => {
            matches!(stage, Stage::Qualifying | Stage::Scheduling).then_some((AgentName::Scheduler, Task::Inquiry))
        }
        (_, Some(AgentName::Invoice)) => (stage == Stage::Completed).then_some((AgentName::Invoice, Task::Billing)),
        _ => match stage {
            Stage::New | Stage::Qualifying | Stage::Scheduling => Some((AgentName::LeadResponse, Task::Inquiry)),
            Stage::Booked => Some((AgentName::Scheduler, Task::CustomerFollowUp)),
            _ => None,
        },
    }
}

/// What a run works from. Read in one transaction when the run starts (or resumes), then kept:
/// each step the loop commits is added to it as it commits, and after a tool call — which may move
/// the lead, hand the run to another agent or remember something — the lead, the run and the
/// customer's memory are read again, in the tool's own transaction ([`Changed`]). The
/// conversation, the shop's settings and price list are the run's for its whole length; a message
/// that arrives meanwhile starts a run of its own.
struct Snapshot {
    lead: LeadRow,
    run: runs::RunRow,
    steps: Vec<RecordedStep>,
    conversation: Vec<store::leads::MessageRow>,
    memory: Remembered,
    contact: Contact,
    live_chat: bool,
    spent_today: i64,
    org: domain::catalog::BusinessSettings,
    price_list: PriceList,
    /// Another run of this lead is in progress (only asked before this run's first step).
    busy: bool,
}

impl Snapshot {
    async fn read(
        squad: &Squad<'_>,
        scope: &TenantScope,
        run_id: &str,
        payload: &RunSquad,
    ) -> Result<(Self, Option<(AgentName, Task)>), RunError> {
        let mut tx = TenantTx::begin(squad.db, scope).await?;
        let lead = leads::get(&mut tx, payload.lead_id)
            .await?
            .ok_or_else(|| RunError::Payload("the lead no longer exists".into()))?;
        let route = route(payload, lead.stage);
        let (first_agent, task) = route.unwrap_or((AgentName::LeadResponse, Task::Inquiry));
        let run = runs::get_or_start(&mut tx, run_id, payload.lead_id, first_agent, task).await?;
        let steps = read_steps(run_id, runs::steps(&mut tx, run_id).await?)?;
        let conversation = leads::messages(&mut tx, payload.lead_id).await?;
        let memory = Remembered::from_rows(memories::for_customer(&mut tx, lead.customer_id, 10).await?);
        let busy = steps.is_empty() && runs::another_running(&mut tx, payload.lead_id, run_id).await?;
        let contact = store::customers::get(&mut tx, lead.customer_id)
            .await?
            .map_or(Contact::default(), |c| Contact { has_phone: c.phone.is_some(), has_email: c.email.is_some() });
        let live_chat = store::widgets::lead_has_session(&mut tx, lead.id).await?;
        let spent_today = runs::spent_on(&mut tx, &utc_day()).await?;
        let org = store::settings::get(&mut tx).await?;
        let price_list = price_list(&mut tx).await?;
        tx.commit().await?;
        let snapshot =
            Self { lead, run, steps, conversation, memory, contact, live_chat, spent_today, org, price_list, busy };
        Ok((snapshot, route))
    }

    /// After a tool call: its step, and what it changed.
    fn after_tool(&mut self, step: RecordedStep, changed: Changed) {
        self.steps.push(step);
        self.lead = changed.lead;
        if let Some((run, memory)) = changed.handoff {
            self.run = run;
            self.memory = memory;
        }
    }
}

/// What a tool call may have changed, read in its own transaction before it commits: the lead (its
/// stage, or the owner taking over); after a handoff also the run (its agent) and the customer's
/// memory, which the next agent's opening shows. An agent's own opening stays as its turns began.
struct Changed {
    lead: LeadRow,
    handoff: Option<(runs::RunRow, Remembered)>,
}

impl Changed {
    async fn read(tx: &mut TenantTx, lead: &LeadRow, run_id: &str, handed_off: bool) -> Result<Self, RunError> {
        let lead =
            leads::get(tx, lead.id).await?.ok_or_else(|| RunError::Payload("the lead no longer exists".into()))?;
        let handoff = if handed_off {
            let run =
                runs::get(tx, run_id).await?.ok_or_else(|| RunError::Payload("the run no longer exists".into()))?;
            Some((run, Remembered::from_rows(memories::for_customer(tx, lead.customer_id, 10).await?)))
        } else {
            None
        };
        Ok(Self { lead, handoff })
    }
}

/// Runs (or resumes) the squad for the job's lead; returns the run's final or parked status.
#[tracing::instrument(name = "run", skip_all, fields(job_id = %job.id, org_id = %job.org_id, lead_id = %payload.lead_id))]
pub async fn run_squad(squad: &Squad<'_>, job: &ClaimedJob, payload: &RunSquad) -> Result<RunStatus, RunError> {
    let scope = job.scope();
    let run_id = payload.resume_run.as_deref().unwrap_or(job.id.as_str());
    let _unsent = squad.live.map(|live| UnsentDrafts { live, lead: payload.lead_id });
    let (mut now, route) = Snapshot::read(squad, &scope, run_id, payload).await?;
    if now.run.status == RunStatus::WaitingApproval && payload.resume_run.is_some() {
        let mut tx = TenantTx::begin(squad.db, &scope).await?;
        runs::update(&mut tx, run_id, &RunUpdate { status: Some(RunStatus::Running), ..RunUpdate::default() }).await?;
        tx.commit().await?;
        now.run.status = RunStatus::Running;
    }
    if now.run.status != RunStatus::Running {
        return Ok(now.run.status);
    }
    if now.busy {
        return Err(RunError::LeadBusy);
    }
    if now.steps.is_empty() && route.is_none() {
        return follow_up(squad.db, &scope, run_id, &now.lead).await;
    }
    let first_agent = route.map_or(AgentName::LeadResponse, |(agent, _)| agent);
    if now.steps.is_empty() && first_agent == AgentName::Scheduler && now.lead.stage == Stage::Qualifying {
        let mut tx = TenantTx::begin(squad.db, &scope).await?;
        leads::set_stage(&mut tx, now.lead.id, Stage::Scheduling, WaitingOn::None).await?;
        tx.commit().await?;
        now.lead.stage = Stage::Scheduling;
    }
    let task = now.run.task;
    loop {
        let lead = &now.lead;
        let agent = now.run.current_agent;
        if now.run.status != RunStatus::Running {
            return Ok(now.run.status);
        }
        if lead.human_takeover {
            return finish(
                squad.db,
                &scope,
                run_id,
                agent,
                lead,
                RunStatus::Done,
                Note { note: "the owner took over this conversation".into(), tools: Vec::new() },
            )
            .await;
        }
        let mine: Vec<&RecordedStep> = now.steps.iter().filter(|s| s.agent == agent.as_str()).collect();
        let last_call = mine.iter().rev().find_map(|s| match &s.payload {
            StepPayload::ModelCall(call) => Some(&call.response),
            _ => None,
        });
        if let Some(response) = last_call {
            let answered: HashSet<&str> =
                mine.iter().filter_map(|s| s.payload.as_tool()).map(|t| t.tool_use_id.as_str()).collect();
            let unanswered = response.tool_uses().find(|(id, _, _)| !answered.contains(id));
            if let Some((id, name, input)) = unanswered {
                // What the agent last searched for, should this call be a booking that lost its time.
                let searched = mine
                    .iter()
                    .rev()
                    .filter_map(|s| s.payload.as_tool())
                    .find(|t| t.tool == "check_availability")
                    .map(|t| &t.input);
                match tools::execute(squad, &scope, run_id, agent, lead, id, name, input, searched).await? {
                    tools::Executed::Parked => return Ok(RunStatus::WaitingApproval),
                    tools::Executed::Done(done) => {
                        let (step, changed) = *done;
                        now.after_tool(step, changed);
                    }
                }
                continue;
            }
            match response.stop_reason {
                StopReason::EndTurn => {
                    return end_of_turn(squad.db, &scope, run_id, agent, task, lead, &now.steps).await
                }
                StopReason::MaxTokens => {
                    return escalate_limit(
                        squad.db,
                        &scope,
                        run_id,
                        agent,
                        lead,
                        "truncated",
                        "The model's answer was cut off.",
                    )
                    .await
                }
                StopReason::ToolUse => {}
            }
        }
        let turns = mine.iter().filter(|s| matches!(s.payload, StepPayload::ModelCall(_))).count();
        let limit = if turns >= squad.limits.max_turns_per_agent {
            Some(("max_turns", "The agent used all its turns without finishing."))
        } else if now.run.cost_micros >= now.org.run_budget_micros {
            Some(("run_budget", "The run spent its model budget."))
        } else if now.spent_today >= now.org.daily_budget_micros {
            Some(("daily_budget", "The business's daily model budget is spent."))
        } else if now_ms() - now.run.started_at > squad.limits.run_timeout_ms {
            Some(("timeout", "The run took longer than its time limit."))
        } else {
            None
        };
        if let Some((limit, reason)) = limit {
            return escalate_limit(squad.db, &scope, run_id, agent, lead, limit, reason).await;
        }

        // A turn right after one of the agent's tool calls was refused is a hard case.
        let hard_case = mine
            .iter()
            .rev()
            .take_while(|s| !matches!(s.payload, StepPayload::ModelCall(_)))
            .any(|s| s.payload.as_tool().is_some_and(|t| t.is_error));
        let settings =
            squad.models.for_turn(agent, &now.org.policies.models, |id| squad.limits.prices.has(id), hard_case);
        let (request, shortened) = build_request(
            agent,
            task,
            &now.steps,
            &now.conversation,
            now.contact,
            now.live_chat,
            &now.memory,
            &now.price_list,
            settings,
        );
        // What the agent does not read in full is on the timeline, once per agent and run.
        if let Some(words) = shortened.describe() {
            let note = format!("{} {words}", agent.as_str());
            let recorded = mine.iter().any(|s| matches!(&s.payload, StepPayload::Note(n) if n.note == note));
            if !recorded {
                let step = StepPayload::Note(Note { note, tools: Vec::new() });
                let mut tx = TenantTx::begin(squad.db, &scope).await?;
                let new = NewStep {
                    kind: step.kind(),
                    agent: agent.as_str(),
                    payload: step.to_value(),
                    ..NewStep::default()
                };
                let seq = runs::append_step(&mut tx, run_id, &new).await?;
                tx.commit().await?;
                now.steps.push(RecordedStep { seq, agent: agent.as_str().to_owned(), payload: step });
            }
        }
        let started = Instant::now();
        let span = tracing::info_span!(
            "model_call",
            agent = agent.as_str(),
            provider = squad.model.provider(),
            model = %request.settings.model_id,
            input_tokens = tracing::field::Empty,
            output_tokens = tracing::field::Empty,
            cost_micros = tracing::field::Empty,
        );
        // A chat visitor watches the reply being written; nobody else waits on it.
        let call = match squad.live.filter(|_| lead.channel == domain::pipeline::Channel::Chat) {
            Some(live) => squad.model.converse_watched(&request, &live.watcher(lead.id)).instrument(span.clone()).await,
            None => squad.model.converse(&request).instrument(span.clone()).await,
        };
        let response = match call {
            Ok(response) => response,
            // The same request would be refused again (validation, access, a content filter):
            // a person takes the lead instead of the job retrying it.
            Err(ModelError::Refused(refusal)) => {
                return escalate_refusal(squad.db, &scope, run_id, agent, lead, &refusal).await;
            }
            Err(err) => return Err(err.into()),
        };
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let prompt = agents::prompt(agent);
        let usage = response.usage;
        let tokens = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        // A provider that fell back answers with another model, billed at that model's price.
        let model_id = response.model_id.clone().unwrap_or_else(|| request.settings.model_id.clone());
        let cost = i64::try_from(squad.limits.prices.cost_micros(&model_id, &usage)).unwrap_or(i64::MAX);
        span.record("model", model_id.as_str());
        span.record("input_tokens", usage.input_tokens);
        span.record("output_tokens", usage.output_tokens);
        span.record("cost_micros", cost);
        let step =
            StepPayload::ModelCall(ModelCall { provider: squad.model.provider().to_owned(), model_id, response });
        let mut tx = TenantTx::begin(squad.db, &scope).await?;
        runs::record_usage(&mut tx, &utc_day(), tokens(usage.input_tokens), tokens(usage.output_tokens), cost).await?;
        let seq = runs::append_step(
            &mut tx,
            run_id,
            &NewStep {
                kind: step.kind(),
                agent: agent.as_str(),
                payload: step.to_value(),
                input_tokens: tokens(usage.input_tokens),
                output_tokens: tokens(usage.output_tokens),
                cache_read_tokens: tokens(usage.cache_read_tokens),
                cache_write_tokens: tokens(usage.cache_write_tokens),
                cost_micros: cost,
                latency_ms,
                prompt_version: Some(&prompt.version),
            },
        )
        .await?;
        runs::update(
            &mut tx,
            run_id,
            &RunUpdate {
                add_turns: 1,
                add_input_tokens: tokens(usage.input_tokens),
                add_output_tokens: tokens(usage.output_tokens),
                add_cost_micros: cost,
                ..RunUpdate::default()
            },
        )
        .await?;
        tx.commit().await?;
        now.run.turns += 1;
        now.run.cost_micros = now.run.cost_micros.saturating_add(cost);
        now.spent_today = now.spent_today.saturating_add(cost);
        now.steps.push(RecordedStep { seq, agent: agent.as_str().to_owned(), payload: step });
    }
}

/// However a run ends, a reply it was writing and did not send is not left on the visitor's screen.
struct UnsentDrafts<'a> {
    live: &'a crate::live::LiveText,
    lead: domain::LeadId,
}

impl Drop for UnsentDrafts<'_> {
    fn drop(&mut self) {
        self.live.drop_unsent(self.lead);
    }
}

/// What the squad remembers about a customer, sorted by who wrote it: a preference code parsed
/// from an allow-list is a fact; anything else (history, issues, cancel reasons) is a note a
/// model wrote from customer text, shown only as data.
struct Remembered {
    facts: Vec<String>,
    notes: Vec<String>,
}

impl Remembered {
    fn from_rows(rows: Vec<memories::MemoryRow>) -> Self {
        let mut remembered = Self { facts: Vec::new(), notes: Vec::new() };
        for m in rows {
            let preferred = (m.key.as_deref() == Some("preferred_time"))
                .then(|| crate::facts::PreferredTime::parse(&m.content))
                .flatten();
            match preferred {
                Some(time) => remembered.facts.push(format!("preference preferred_time={}", time.as_str())),
                None => remembered.notes.push(format!("{}: {}", m.layer, m.content)),
            }
        }
        remembered
    }
}

/// The kinds of work the shop's active services are for: what the agents may match an inquiry to.
/// What the shop sells, as the agents are told it: its active services by kind of work.
pub(crate) async fn price_list(tx: &mut TenantTx) -> Result<PriceList, StoreError> {
    let services = store::services::list(tx).await?;
    let own = store::work_kinds::list(tx).await?;
    let active = services.iter().filter(|s| s.active);
    Ok(PriceList::new(active.filter_map(|s| s.skill.as_deref().map(|key| (s.name.as_str(), key))), &own))
}

#[allow(clippy::too_many_arguments)]
fn build_request(
    agent: AgentName,
    task: Task,
    steps: &[RecordedStep],
    conversation: &[store::leads::MessageRow],
    contact: Contact,
    live_chat: bool,
    memory: &Remembered,
    price_list: &PriceList,
    settings: InferenceSettings,
) -> (ModelRequest, Shortened) {
    let customer: Vec<CustomerMessage> = conversation
        .iter()
        .filter(|m| m.author == "customer")
        .map(|m| CustomerMessage { subject: m.subject.clone(), address: None, body: m.body.clone() })
        .collect();
    let (customer, shortened) = bounded_thread(customer);
    let mut handoff = steps
        .iter()
        .rev()
        .filter_map(|s| s.payload.as_tool())
        .find(|t| !t.is_error && t.tool == "handoff_to_agent" && t.output["to"] == json!(agent.as_str()))
        .map(|t| t.output["context"].clone());
    // The handing-off model's reason is its own words about customer text: a note, not a fact.
    let reason = handoff.as_mut().and_then(|c| c.as_object_mut()).and_then(|c| c.remove("reason"));
    let mut notes: Vec<String> =
        reason.as_ref().and_then(Value::as_str).map(|r| format!("handoff reason: {r}")).into_iter().collect();
    notes.extend(memory.notes.iter().cloned());
    let opening =
        Opening { task, contact, live_chat, messages: customer, handoff, memory: memory.facts.clone(), notes };
    let mut messages = vec![opening.to_message()];
    for step in steps.iter().filter(|s| s.agent == agent.as_str()) {
        if let StepPayload::ModelCall(call) = &step.payload {
            messages.push(Message { role: Role::Assistant, content: call.response.content.clone() });
        } else if let Some(tool) = step.payload.as_tool() {
            let result = Content::ToolResult {
                tool_use_id: tool.tool_use_id.clone(),
                content: tool.output.clone(),
                is_error: tool.is_error,
            };
            match messages.last_mut() {
                Some(last)
                    if last.role == Role::User
                        && last.content.iter().all(|c| matches!(c, Content::ToolResult { .. })) =>
                {
                    last.content.push(result);
                }
                _ => messages.push(Message { role: Role::User, content: vec![result] }),
            }
        }
    }
    let request = ModelRequest {
        system: agents::system(agent, price_list),
        messages,
        tools: agents::tools(agent, price_list),
        settings,
    };
    (request, shortened)
}

async fn end_of_turn(
    db: &Db,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    task: Task,
    lead: &LeadRow,
    steps: &[RecordedStep],
) -> Result<RunStatus, RunError> {
    // An approval that was asked for and granted is not an escalation of the run's outcome.
    let escalated = steps.iter().any(|s| {
        matches!(&s.payload, StepPayload::RunEscalated(_))
            || s.payload.as_tool().is_some_and(|t| t.tool == "escalate" && !t.is_error)
    });
    let succeeded =
        |tool: &str| steps.iter().filter_map(|s| s.payload.as_tool()).any(|t| t.tool == tool && !t.is_error);
    let status = match (agent, task) {
        _ if escalated => RunStatus::Escalated,
        (AgentName::LeadResponse, _) => RunStatus::Done,
        (AgentName::Scheduler, _) if succeeded("cancel") => RunStatus::Done,
        (AgentName::Scheduler, _) if succeeded("book_appointment") || succeeded("reschedule") => {
            RunStatus::WaitingCompletion
        }
        // The visitor books by tapping a time; the run's part is done.
        (AgentName::Scheduler, _) if succeeded("offer_times") => RunStatus::Done,
        (AgentName::Invoice, Task::PaymentFollowUp) if succeeded("check_payment") => RunStatus::Done,
        (AgentName::Invoice, _) if succeeded("send_invoice") => RunStatus::WaitingCustomer,
        (AgentName::Scheduler | AgentName::Invoice, _) => RunStatus::Escalated,
    };
    let tools: Vec<String> = steps
        .iter()
        .filter(|s| s.agent == agent.as_str())
        .filter_map(|s| s.payload.as_tool())
        .filter(|t| !t.is_error)
        .map(|t| t.tool.clone())
        .collect();
    let note = Note { note: format!("{} finished its turn", agent.as_str()), tools };
    finish(db, scope, run_id, agent, lead, status, note).await
}

async fn finish(
    db: &Db,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    status: RunStatus,
    note: Note,
) -> Result<RunStatus, RunError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let current = leads::get(&mut tx, lead.id).await?;
    let summary = format!(
        "{} ended a run as {status}; the lead is {}. Tools used: {}.",
        agent.as_str(),
        current.as_ref().map_or("gone".to_owned(), |l| l.stage.to_string()),
        if note.tools.is_empty() { "none".to_owned() } else { note.tools.join(", ") },
    );
    memories::remember(
        &mut tx,
        &NewMemory {
            layer: Layer::SessionSummary,
            customer_id: Some(lead.customer_id),
            lead_id: Some(lead.id),
            key: None,
            content: &summary,
        },
    )
    .await?;
    let step = StepPayload::Note(note);
    runs::append_step(
        &mut tx,
        run_id,
        &NewStep { kind: step.kind(), agent: agent.as_str(), payload: step.to_value(), ..NewStep::default() },
    )
    .await?;
    let terminal = status.is_finished();
    runs::update(&mut tx, run_id, &RunUpdate { status: Some(status), finished: terminal, ..RunUpdate::default() })
        .await?;
    tx.commit().await?;
    Ok(status)
}

/// How a run ends in a person's hands.
struct RunEscalation<'a> {
    kind: &'a str,
    reason: &'a str,
    /// What the issue log remembers about it.
    issue: &'a str,
    proposed_action: Value,
    /// Why, as the run's escalation step records it.
    cause: EscalationCause,
    /// The lead's new stage; `None` keeps it (a booked lead stays booked).
    stage: Option<Stage>,
}

/// Ends a run by handing it to a person, in one transaction: a pending escalation, the lead
/// waiting on the owner, an issue in memory, the escalation step and the run's final status.
async fn escalate_run(
    db: &Db,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    escalation: RunEscalation<'_>,
) -> Result<RunStatus, RunError> {
    let mut tx = TenantTx::begin(db, scope).await?;
    let id = escalations::insert(
        &mut tx,
        &escalations::NewEscalation {
            lead_id: lead.id,
            run_id: Some(run_id),
            kind: escalation.kind,
            reason: escalation.reason,
            proposed_action: escalation.proposed_action,
        },
    )
    .await?;
    match escalation.stage {
        Some(stage) => leads::set_stage(&mut tx, lead.id, stage, WaitingOn::Owner).await?,
        None => leads::set_waiting_on(&mut tx, lead.id, WaitingOn::Owner).await?,
    }
    let memory = NewMemory {
        layer: Layer::Issue,
        customer_id: Some(lead.customer_id),
        lead_id: Some(lead.id),
        key: None,
        content: escalation.issue,
    };
    memories::remember(&mut tx, &memory).await?;
    let step = StepPayload::RunEscalated(RunEscalated {
        cause: escalation.cause,
        reason: escalation.reason.to_owned(),
        escalation_id: id,
    });
    runs::append_step(
        &mut tx,
        run_id,
        &NewStep { kind: step.kind(), agent: agent.as_str(), payload: step.to_value(), ..NewStep::default() },
    )
    .await?;
    runs::update(
        &mut tx,
        run_id,
        &RunUpdate { status: Some(RunStatus::Escalated), finished: true, ..RunUpdate::default() },
    )
    .await?;
    tx.commit().await?;
    tracing::warn!(kind = escalation.kind, agent = agent.as_str(), "run handed to a person");
    Ok(RunStatus::Escalated)
}

/// A new message on a lead that is already booked (or further along, or with a person): the
/// squad does not start over; the owner reads it and decides.
async fn follow_up(db: &Db, scope: &TenantScope, run_id: &str, lead: &LeadRow) -> Result<RunStatus, RunError> {
    let reason = format!("The customer wrote again about a lead that is {}.", lead.stage);
    let escalation = RunEscalation {
        kind: "follow_up",
        reason: &reason,
        issue: &reason,
        proposed_action: json!({}),
        cause: EscalationCause::FollowUp(lead.stage),
        stage: None,
    };
    escalate_run(db, scope, run_id, AgentName::LeadResponse, lead, escalation).await
}

async fn escalate_refusal(
    db: &Db,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    refusal: &str,
) -> Result<RunStatus, RunError> {
    let reason = format!("The AI model refused the request, so this lead needs a person: {refusal}");
    let escalation = RunEscalation {
        kind: "model",
        reason: &reason,
        issue: &reason,
        proposed_action: json!({ "agent": agent.as_str() }),
        cause: EscalationCause::ModelRefused(refusal.to_owned()),
        stage: Some(Stage::Escalated),
    };
    escalate_run(db, scope, run_id, agent, lead, escalation).await
}

async fn escalate_limit(
    db: &Db,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    limit: &str,
    reason: &str,
) -> Result<RunStatus, RunError> {
    let issue = format!("{} hit the {limit} limit: {reason}", agent.as_str());
    let escalation = RunEscalation {
        kind: "limit",
        reason,
        issue: &issue,
        proposed_action: json!({ "limit": limit, "agent": agent.as_str() }),
        cause: EscalationCause::Limit(limit.to_owned()),
        stage: Some(Stage::Escalated),
    };
    escalate_run(db, scope, run_id, agent, lead, escalation).await
}
