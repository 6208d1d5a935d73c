//! Tool execution: checked against the agent's tool set, run in the tenant's transaction together
//! with the step that records it.

use domain::billing::InvoiceStatus;
use domain::jobs::{Job, RunSquad, SendReminder};
use domain::pipeline::{Stage, WaitingOn};
use domain::schedule::AppointmentStatus;
use domain::squad::{EscalationStatus, RunStatus};
use domain::TechnicianId;
use serde_json::{json, Value};
use store::leads::{self, LeadRow, NewMessage, PrivateLink, QualificationUpdate};
use store::runs::{self, NewStep, RunUpdate};
use store::{appointments, escalations, invoices, services, settings, technicians, StoreError, TenantScope, TenantTx};

use super::{RunError, Squad};
use crate::agents::{self, AgentName, Task};
use crate::bookings::{BookingError, Rule};
use crate::conversation::NOTE_CHARS;
use crate::facts::{InquiryFacts, PreferredTime, VisitDay};
use crate::steps::{ApprovalAsked, RecordedStep, StepPayload, ToolStep};
use crate::tools::availability::Slot;
use crate::tools::inputs::{
    AvailabilityInput, CancelInput, EscalateInput, HandoffInput, InvoiceInput, OfferInput, PreferenceInput,
    SearchInput, SendInvoiceInput, SlotInput, ToolInput,
};
use crate::tools::invoice::{bill, format_date, format_money, BillInput};
use crate::tools::qualify::{lacks_address, qualify_lead, Escalation, OrgContext};
use crate::tools::service_area::check_service_area;
use domain::policy::GuardAction;
use store::memories::{self, Layer, NewMemory};

/// A tool failure the agent should see (and may recover from), as opposed to a `RunError`.
enum ToolError {
    /// Bad input, a rule says no, or the database refused a write (a slot was just taken). Every
    /// write the call made is rolled back; only its step, with the reason, is recorded.
    Refused(String),
    /// A booking's time was not (or no longer) free: refused like the above, and answered with
    /// the openings there are now, so the agent can book one without asking again.
    Taken(String),
    Store(StoreError),
}

impl From<StoreError> for ToolError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

type ToolResult = Result<Value, ToolError>;

#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "tool_call", skip_all, fields(agent = agent.as_str(), tool = name, refused = tracing::field::Empty))]
pub(super) async fn execute(
    squad: &Squad<'_>,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    tool_use_id: &str,
    name: &str,
    input: &Value,
    searched: Option<&Value>,
) -> Result<Executed, RunError> {
    let started = std::time::Instant::now();
    // Calendars are read before the transaction, which then takes what they said from their rows.
    if let Some(freshness) = calendar_freshness(name, input) {
        squad.calendars.refresh(squad.db, scope, freshness).await?;
    }
    let mut tx = TenantTx::begin(squad.db, scope).await?;
    let tool = if agents::holds(agent, name) {
        ToolInput::parse(name, input).map_err(ToolError::Refused)
    } else {
        Err(ToolError::Refused(format!("the tool `{name}` is not available to {}", agent.as_str())))
    };
    let gate = match &tool {
        Ok(tool) => guardrail(&mut tx, run_id, lead, name, tool_use_id, input, tool).await,
        Err(_) => Ok(Gate::Allow),
    };
    let outcome = match gate {
        Err(err) => Err(err),
        Ok(Gate::Park { escalation_id }) => {
            let step = StepPayload::ApprovalAsked(ApprovalAsked {
                approval_for: tool_use_id.to_owned(),
                tool: name.to_owned(),
                escalation_id,
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
                &RunUpdate { status: Some(RunStatus::WaitingApproval), ..RunUpdate::default() },
            )
            .await?;
            tx.commit().await?;
            tracing::info!(tool = name, agent = agent.as_str(), "tool call waits for approval");
            return Ok(Executed::Parked);
        }
        Ok(Gate::Declined(note)) => Err(ToolError::Refused(format!("the owner declined this action: {note}"))),
        Ok(Gate::Blocked(reason)) => {
            Err(ToolError::Refused(format!("the business's policy does not allow this: {reason}")))
        }
        Ok(gate @ (Gate::Allow | Gate::Approved)) => match tool {
            Ok(tool) => {
                let call = Call { agent, lead, approved: matches!(gate, Gate::Approved) };
                run_tool(squad, &mut tx, run_id, &tool, &call).await
            }
            Err(refused) => Err(refused),
        },
    };
    let (output, is_error) = match outcome {
        Ok(output) => (output, false),
        Err(ToolError::Refused(message)) => {
            // A refusal may come after some of the call's writes (`reschedule` cancels the old
            // appointment before the new slot is checked): none of them may outlive it.
            drop(tx);
            tx = TenantTx::begin(squad.db, scope).await?;
            (json!({ "error": message }), true)
        }
        Err(ToolError::Taken(message)) => {
            drop(tx);
            tx = TenantTx::begin(squad.db, scope).await?;
            // Searched as the agent last searched: the day and time the customer asked for.
            let search: AvailabilityInput =
                searched.and_then(|input| serde_json::from_value(input.clone()).ok()).unwrap_or_default();
            let openings = match availability(&mut tx, lead, &search).await {
                Ok(openings) => openings,
                Err(ToolError::Store(err)) => return Err(RunError::Store(err)),
                Err(ToolError::Refused(why) | ToolError::Taken(why)) => json!({ "error": why }),
            };
            (json!({ "error": message, "openings": openings }), true)
        }
        Err(ToolError::Store(err)) => return Err(RunError::Store(err)),
    };
    tracing::Span::current().record("refused", is_error);
    tracing::info!(tool = name, agent = agent.as_str(), is_error, "tool call");
    let step = StepPayload::Tool(ToolStep {
        tool_use_id: tool_use_id.to_owned(),
        tool: name.to_owned(),
        input: input.clone(),
        output,
        is_error,
    });
    let seq = runs::append_step(
        &mut tx,
        run_id,
        &NewStep {
            kind: step.kind(),
            agent: agent.as_str(),
            payload: step.to_value(),
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            ..NewStep::default()
        },
    )
    .await?;
    // What the call changed is read before it commits: one transaction for the step and the read.
    let changed = super::Changed::read(&mut tx, lead, run_id, step.kind() == "handoff").await?;
    if let Some(live) = squad.live {
        live.settle(lead.id, tool_use_id, !is_error);
    }
    tx.commit().await?;
    if let Some(live) = squad.live {
        live.sent(lead.id, tool_use_id);
    }
    let step = RecordedStep { seq, agent: agent.as_str().to_owned(), payload: step };
    Ok(Executed::Done(Box::new((step, changed))))
}

/// How fresh technicians' calendars must be for the tool `name`: recent before openings are
/// offered, read again for the chosen technician right before a booking is committed.
fn calendar_freshness(name: &str, input: &Value) -> Option<crate::calendars::Freshness> {
    use crate::calendars::Freshness;
    match name {
        "check_availability" | "offer_times" => Some(Freshness::Recent),
        "book_appointment" | "reschedule" => Some(
            input["technician_id"]
                .as_str()
                .and_then(|id| TechnicianId::parse(id).ok())
                .map_or(Freshness::Recent, Freshness::Now),
        ),
        _ => None,
    }
}

/// Whether a tool call ran (with the step that records it and what it changed) or the run parked
/// waiting for a person.
pub(super) enum Executed {
    Done(Box<(RecordedStep, super::Changed)>),
    Parked,
}

enum Gate {
    Allow,
    /// A person approved this very call.
    Approved,
    /// A person must approve first; the run parks until they decide.
    Park {
        escalation_id: String,
    },
    /// A person said no; the agent sees why.
    Declined(String),
    /// The org's policy forbids it outright.
    Blocked(String),
}

/// What an org policy says about a tool call: why it needs a person, and what is proposed.
struct Concern {
    action: GuardAction,
    reasons: Vec<String>,
    proposed: Value,
}

impl Concern {
    fn add(&mut self, action: GuardAction, reason: String) {
        if action == GuardAction::Block {
            self.action = GuardAction::Block;
        }
        self.reasons.push(reason);
    }
}

/// The org's guardrail policies, checked before every tool call: discounts, invoices above the
/// approval threshold, payment requests to an address that is not on file, and bookings the
/// availability check did not offer. A call that needs approval parks the run until the owner
/// decides; the decision is looked up by the call's id when the run resumes.
async fn guardrail(
    tx: &mut TenantTx,
    run_id: &str,
    lead: &LeadRow,
    name: &str,
    tool_use_id: &str,
    input: &Value,
    tool: &ToolInput,
) -> Result<Gate, ToolError> {
    let Some(concern) = concerns(tx, lead, tool).await? else { return Ok(Gate::Allow) };
    let reason = concern.reasons.join(" ");
    if concern.action == GuardAction::Block {
        return Ok(Gate::Blocked(reason));
    }
    let decided = escalations::for_run(tx, run_id)
        .await?
        .into_iter()
        .find(|e| e.kind == "approval" && e.proposed_action["tool_use_id"] == json!(tool_use_id));
    match decided {
        Some(e) if e.is_approved() => Ok(Gate::Approved),
        Some(e) if e.status == EscalationStatus::Pending => Ok(Gate::Park { escalation_id: e.id }),
        Some(e) => Ok(Gate::Declined(e.decision_note.unwrap_or_else(|| e.status.to_string()))),
        None => {
            let mut proposed = concern.proposed;
            proposed["tool"] = json!(name);
            proposed["tool_use_id"] = json!(tool_use_id);
            proposed["input"] = input.clone();
            let escalation_id = escalations::insert(
                tx,
                &escalations::NewEscalation {
                    lead_id: lead.id,
                    run_id: Some(run_id),
                    kind: "approval",
                    reason: &reason,
                    proposed_action: proposed,
                },
            )
            .await?;
            leads::set_waiting_on(tx, lead.id, WaitingOn::Owner).await?;
            Ok(Gate::Park { escalation_id })
        }
    }
}

async fn concerns(tx: &mut TenantTx, lead: &LeadRow, tool: &ToolInput) -> Result<Option<Concern>, ToolError> {
    if !matches!(
        tool,
        ToolInput::GenerateInvoice(_)
            | ToolInput::SendInvoice(_)
            | ToolInput::BookAppointment(_)
            | ToolInput::Reschedule(_)
    ) {
        return Ok(None);
    }
    let org = settings::get(tx).await?;
    let rules = org.policies.guardrails;
    let mut concern = Concern { action: GuardAction::RequireApproval, reasons: Vec::new(), proposed: json!({}) };
    match tool {
        ToolInput::GenerateInvoice(input) => {
            let percent = discount_percent(input)?;
            if percent > 0 {
                concern.add(rules.discounts, format!("A {percent}% discount on the invoice."));
                concern.proposed = json!({ "discount_percent": percent });
            }
        }
        ToolInput::SendInvoice(input) => {
            let Some(invoice) = latest_draft(tx, lead).await? else { return Ok(None) };
            let money = |c: i64| format_money(c, &invoice.currency);
            if let Some(to) = new_billing_address(tx, lead, input).await? {
                concern.add(
                    rules.new_payment_address,
                    format!("The invoice would go to {to}, which is not the customer's address on file."),
                );
            }
            if invoice.total_cents > org.invoice_approval_above_cents {
                concern.add(
                    GuardAction::RequireApproval,
                    format!(
                        "Invoice {} for {} is above the {} approval threshold.",
                        invoice.number,
                        money(invoice.total_cents),
                        money(org.invoice_approval_above_cents)
                    ),
                );
            }
            concern.proposed =
                json!({ "invoice_id": invoice.id, "number": invoice.number, "total_cents": invoice.total_cents });
        }
        // A booking the availability check did not offer is refused by `book` itself unless the
        // owner lets such bookings through with approval.
        ToolInput::BookAppointment(slot) | ToolInput::Reschedule(slot)
            if rules.booking_outside_rules == GuardAction::RequireApproval =>
        {
            let (technician, starts_at) = (slot.technician_id.clone(), slot.starts_at);
            let (slots, _) = openings(tx, lead).await?;
            if !slots.iter().any(|s| s.technician_id == technician && s.starts_at == starts_at) {
                concern.add(
                    GuardAction::RequireApproval,
                    format!(
                        "{} is not one of the openings (business hours, holidays, buffers, the technician's hours).",
                        local_time(&org, starts_at)
                    ),
                );
                concern.proposed = json!({ "technician_id": technician, "starts_at": starts_at });
            }
        }
        _ => {}
    }
    Ok((!concern.reasons.is_empty()).then_some(concern))
}

fn discount_percent(input: &InvoiceInput) -> Result<i64, ToolError> {
    match input.discount_percent {
        None => Ok(0),
        Some(p) if (0..=100).contains(&p) => Ok(p),
        Some(_) => Err(ToolError::Refused("discount_percent is a whole number from 0 to 100".into())),
    }
}

/// The address in `send_invoice`'s `email` when it differs from the customer's on file.
async fn new_billing_address(
    tx: &mut TenantTx,
    lead: &LeadRow,
    input: &SendInvoiceInput,
) -> Result<Option<String>, ToolError> {
    let Some(raw) = input.email.as_deref() else { return Ok(None) };
    let to = domain::Email::parse(raw).map_err(|e| ToolError::Refused(format!("`email`: {e}")))?;
    let on_file = store::customers::get(tx, lead.customer_id).await?.and_then(|c| c.email);
    let same =
        on_file.as_deref().and_then(|e| domain::Email::parse(e).ok()).is_some_and(|e| e.canonical() == to.canonical());
    Ok((!same).then(|| to.as_str().to_owned()))
}

async fn latest_draft(tx: &mut TenantTx, lead: &LeadRow) -> Result<Option<invoices::InvoiceRow>, StoreError> {
    Ok(invoices::for_lead(tx, lead.id).await?.into_iter().rev().find(|i| i.status == InvoiceStatus::Draft))
}

/// One tool call's context.
struct Call<'a> {
    agent: AgentName,
    lead: &'a LeadRow,
    /// A person approved this call (a guardrail asked them).
    approved: bool,
}

async fn run_tool(squad: &Squad<'_>, tx: &mut TenantTx, run_id: &str, tool: &ToolInput, call: &Call<'_>) -> ToolResult {
    let lead = call.lead;
    match tool {
        ToolInput::LookupCustomer(_) => lookup_customer(tx, lead).await,
        ToolInput::QualifyLead(facts) => qualify(tx, lead, facts).await,
        ToolInput::CheckServiceArea(input) => {
            let org = settings::get(tx).await?;
            let zip = input.postal_code.as_deref();
            Ok(serde_json::to_value(check_service_area(&org.service_area, zip)).unwrap_or(Value::Null))
        }
        ToolInput::QuotePrice(_) => quote_price(tx, lead).await,
        ToolInput::SendReply(input) | ToolInput::RequestDetails(input) => {
            let text = input.text.trim();
            if text.is_empty() || text.chars().count() > 2000 {
                return Err(ToolError::Refused("a reply needs 1 to 2000 characters of text".into()));
            }
            let sent = send(tx, lead, text).await?;
            if matches!(tool, ToolInput::RequestDetails(_)) {
                leads::set_waiting_on(tx, lead.id, WaitingOn::Customer).await?;
            }
            Ok(sent)
        }
        ToolInput::Escalate(input) => escalate(tx, run_id, lead, input).await,
        ToolInput::HandoffToAgent(input) => handoff(squad, tx, run_id, call.agent, lead, input).await,
        ToolInput::CheckAvailability(input) => availability(tx, lead, input).await,
        ToolInput::BookAppointment(slot) => book(tx, lead, slot, call.approved).await,
        ToolInput::OfferTimes(input) => offer_times(tx, lead, input).await,
        ToolInput::Reschedule(slot) => reschedule(tx, lead, slot, call.approved).await,
        ToolInput::Cancel(input) => cancel(tx, lead, input).await,
        ToolInput::SendConfirmation(_) => confirm(tx, lead).await,
        ToolInput::GenerateInvoice(input) => generate_invoice(tx, lead, input).await,
        ToolInput::SendInvoice(input) => send_invoice(squad, tx, lead, input).await,
        ToolInput::CheckPayment(_) => check_payment(tx, lead).await,
        ToolInput::SendPaymentReminder(_) => send_payment_reminder(tx, lead).await,
        ToolInput::SavePreference(input) => save_preference(tx, lead, input).await,
        ToolInput::SearchMemory(input) => search_memory(tx, lead, input).await,
        ToolInput::LogIssue(input) => {
            let description = input.description.trim();
            if description.is_empty() || description.chars().count() > 500 {
                return Err(ToolError::Refused("an issue needs a description of up to 500 characters".into()));
            }
            let id = memories::remember(
                tx,
                &NewMemory {
                    layer: Layer::Issue,
                    customer_id: Some(lead.customer_id),
                    lead_id: Some(lead.id),
                    key: None,
                    content: description,
                },
            )
            .await?;
            Ok(json!({ "memory_id": id }))
        }
    }
}

async fn qualify(tx: &mut TenantTx, lead: &LeadRow, facts: &InquiryFacts) -> ToolResult {
    let facts = &with_service_address(tx, lead, facts).await?;
    let org = settings::get(tx).await?;
    let catalog = services::list(tx).await?;
    let active: Vec<_> = catalog.iter().filter(|s| s.active).collect();
    let ctx = OrgContext { area: org.service_area.clone(), price_list: super::price_list(tx).await? };
    let q = qualify_lead(facts, &ctx);
    let service = facts.service.as_ref().and_then(|skill| active.iter().find(|s| s.skill.as_deref() == Some(skill)));
    let stage = if q.qualified || q.waits_for_details() { Stage::Qualifying } else { Stage::Disqualified };
    leads::record_qualification(
        tx,
        lead.id,
        &QualificationUpdate {
            score: i64::from(q.score),
            reasons: &q.reasons,
            urgency: facts.urgency.map(|u| u.as_str()),
            service_id: service.map(|s| s.id),
            stage,
            waiting_on: WaitingOn::None,
        },
    )
    .await?;
    // In words the owner reads on the customer's page, and the agents read back later.
    let learned = format!(
        "Asked about {}{}: scored {}/10, {}.",
        service.map_or("work not on the price list", |s| s.name.as_str()),
        facts.urgency.map(|u| format!(" ({})", u.as_str())).unwrap_or_default(),
        q.score,
        if q.qualified { "qualified" } else { "not qualified" }
    );
    memories::remember(
        tx,
        &NewMemory {
            layer: Layer::History,
            customer_id: Some(lead.customer_id),
            lead_id: Some(lead.id),
            key: None,
            content: &learned,
        },
    )
    .await?;
    let escalate = q.escalate.map(|e| match e {
        Escalation::Safety => "safety",
        Escalation::Complaint => "complaint",
        Escalation::Language => "language",
        Escalation::Manipulation => "manipulation",
    });
    Ok(json!({
        "score": q.score,
        "qualified": q.qualified,
        "reasons": q.reasons,
        "escalate": escalate,
        "service_name": service.map(|s| s.name.to_lowercase()),
    }))
}

/// The facts with the street the technician goes to. A street the model read must be in the
/// customer's own words (a model cannot invent an address) and is kept on their record when the
/// record has none; without one, the street on file counts.
async fn with_service_address(
    tx: &mut TenantTx,
    lead: &LeadRow,
    facts: &InquiryFacts,
) -> Result<InquiryFacts, ToolError> {
    let customer = store::customers::get(tx, lead.customer_id)
        .await?
        .ok_or_else(|| ToolError::Refused("the customer record is gone".into()))?;
    let on_file = customer.address.as_deref().and_then(domain::address::street_line);
    let mut facts = facts.clone();
    let Some(street) = facts.street.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned) else {
        facts.street = on_file;
        return Ok(facts);
    };
    if street.chars().count() > domain::address::STREET_MAX_CHARS || street.contains(char::is_control) {
        return Err(ToolError::Refused(format!(
            "`street` is one line of at most {} characters",
            domain::address::STREET_MAX_CHARS
        )));
    }
    let squashed =
        |text: &str| text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let wanted = squashed(&street);
    let messages = leads::messages(tx, lead.id).await?;
    let written = messages.iter().filter(|m| m.direction == "inbound").map(|m| m.body.as_str());
    if !written.chain(customer.address.as_deref()).any(|text| squashed(text).contains(&wanted)) {
        return Err(ToolError::Refused(
            "`street` must be the street address exactly as the customer wrote it; null when they gave none".into(),
        ));
    }
    if on_file.is_none() {
        let patch = store::customers::CustomerPatch {
            address: Some(Some(street.clone())),
            postal_code: customer.postal_code.is_none().then(|| facts.postal_code.clone()),
            ..Default::default()
        };
        store::customers::update(tx, lead.customer_id, &patch).await?;
    }
    facts.street = Some(street);
    Ok(facts)
}

async fn send(tx: &mut TenantTx, lead: &LeadRow, text: &str) -> ToolResult {
    let message_id = leads::insert_message(tx, &NewMessage::from_agent(lead.id, lead.channel, text.to_owned())).await?;
    leads::mark_first_response(tx, lead.id).await?;
    Ok(json!({ "message_id": message_id, "channel": lead.channel }))
}

async fn escalate(tx: &mut TenantTx, run_id: &str, lead: &LeadRow, input: &EscalateInput) -> ToolResult {
    let kind = input.kind.as_deref().unwrap_or("other");
    let reason = input.reason.as_str();
    if kind.len() > 40 || reason.is_empty() || reason.chars().count() > 500 {
        return Err(ToolError::Refused("an escalation needs a short kind and a reason of up to 500 characters".into()));
    }
    let id = escalations::insert(
        tx,
        &escalations::NewEscalation {
            lead_id: lead.id,
            run_id: Some(run_id),
            kind,
            reason,
            proposed_action: json!({}),
        },
    )
    .await?;
    // A booked (or later) lead keeps its stage: the job is still on; the owner is asked a question.
    let current = leads::get(tx, lead.id).await?.map_or(lead.stage, |l| l.stage);
    if current.is_booked_or_later() {
        leads::set_waiting_on(tx, lead.id, WaitingOn::Owner).await?;
    } else {
        leads::set_stage(tx, lead.id, Stage::Escalated, WaitingOn::Owner).await?;
    }
    Ok(json!({ "escalation_id": id }))
}

async fn handoff(
    squad: &Squad<'_>,
    tx: &mut TenantTx,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    input: &HandoffInput,
) -> ToolResult {
    if input.target != Some(AgentName::Scheduler) || agent != AgentName::LeadResponse {
        return Err(ToolError::Refused("Lead Response can hand off only to the scheduler".into()));
    }
    let current = leads::get(tx, lead.id).await?.ok_or_else(|| ToolError::Refused("the lead is gone".into()))?;
    if current.stage != Stage::Qualifying {
        return Err(ToolError::Refused(format!(
            "only a qualified lead can be scheduled (the lead is {})",
            current.stage
        )));
    }
    // Never book blind: a technician needs to know where to go, and the area rule must have been
    // checked against the address.
    if lacks_address(&current.score_reasons) {
        return Err(ToolError::Refused(
            "the lead has no service address yet (street and ZIP code): ask the customer for it with \
             request_details; the squad runs again when they reply"
                .into(),
        ));
    }
    let reason = input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > NOTE_CHARS) {
        return Err(ToolError::Refused(format!("a handoff reason is at most {NOTE_CHARS} characters")));
    }
    let run = runs::get(tx, run_id).await?.ok_or_else(|| ToolError::Refused("the run is gone".into()))?;
    if run.handoffs >= squad.limits.max_handoffs {
        return Err(ToolError::Refused("the run has used all its handoffs".into()));
    }
    leads::set_stage(tx, lead.id, Stage::Scheduling, WaitingOn::None).await?;
    runs::update(
        tx,
        run_id,
        &RunUpdate { current_agent: Some(AgentName::Scheduler), add_handoffs: 1, ..RunUpdate::default() },
    )
    .await?;
    let context = json!({
        "service_id": current.service_id,
        "urgency": current.urgency,
        "score": current.score,
        "score_reasons": current.score_reasons,
        "reason": reason,
    });
    Ok(json!({ "to": AgentName::Scheduler.as_str(), "context": context }))
}

/// Why a service has no opening, in the owner's words: nobody on the crew does that work, a
/// calendar could not be read, or everyone who does it is busy (or it falls outside the hours)
/// for the next two weeks.
async fn why_no_opening(tx: &mut TenantTx, service: &services::ServiceRow) -> Result<String, StoreError> {
    let crew = technicians::list(tx).await?;
    let skilled: Vec<_> =
        crew.iter().filter(|t| t.active && service.skill.as_ref().is_none_or(|k| t.skills.contains(k))).collect();
    if skilled.is_empty() {
        return Ok(format!(
            "Nobody on your crew is set up to do {}: give an active technician that kind of work in their skills.",
            service.name
        ));
    }
    let now = store::now_ms();
    let unread: Vec<String> = store::calendars::list(tx)
        .await?
        .into_iter()
        .filter(|c| c.known_until(now, crate::calendars::RELY_MS).is_none())
        .filter_map(|c| {
            let who = skilled.iter().find(|t| t.id.to_string() == c.technician_id)?;
            let why = c.last_error.unwrap_or_else(|| "it has not been read lately".into());
            Some(format!("{}'s calendar could not be read ({why})", who.name))
        })
        .collect();
    Ok(if unread.is_empty() {
        format!(
            "No opening for {} in the next two weeks: everyone who does this work is booked, or the time falls outside \
             your hours and holidays.",
            service.name
        )
    } else {
        format!(
            "No opening for {} that we can confirm: {}, so their times are not offered until it can be. Book by hand \
             once you know when they are free.",
            service.name,
            unread.join("; ")
        )
    })
}

/// The openings for the lead's service that fit what the customer asked for (a day, a time of
/// day), ten at most. The first is kept for this lead for a couple of minutes, and checks take
/// turns: leads being scheduled at the same moment are offered different first times.
async fn availability(tx: &mut TenantTx, lead: &LeadRow, input: &AvailabilityInput) -> ToolResult {
    let preference = match input.preferred_time.as_deref() {
        None => None,
        Some(p) => Some(PreferredTime::parse(p).ok_or_else(|| {
            ToolError::Refused("preferred_time is mornings, afternoons, evenings or weekends".into())
        })?),
    };
    let day = match input.day.as_deref() {
        None => None,
        Some(d) => Some(VisitDay::parse(d).ok_or_else(|| {
            ToolError::Refused("day is today, tomorrow or a day of the week (monday … sunday)".into())
        })?),
    };
    let service = lead_service(tx, lead).await?;
    store::slot_holds::take_turns(tx).await?;
    let slots = crate::bookings::openings(tx, &service, lead.id).await?;
    let org = settings::get(tx).await?;
    let today = org.time_zone.format_local(store::now_ms(), "%Y-%m-%d").unwrap_or_default();
    let today = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").ok();
    let mut date = day.zip(today).map(|(d, t)| d.date(t));
    let at_time = |s: &Slot| preference.is_none_or(|p| p.suits(&s.local_start));
    // One opening per start time, so ten of them span the days ahead.
    let mut starts = std::collections::HashSet::new();
    let distinct: Vec<&Slot> = slots.iter().filter(|s| starts.insert(s.starts_at)).collect();
    // "Thursday afternoon", written on a Thursday once that afternoon has no opening left, means
    // next week's: a day of the week names the next one that still can be.
    let falls_on = |date: chrono::NaiveDate, s: &Slot| s.local_start.starts_with(&date.to_string());
    let named_weekday = day.is_some_and(|d| !matches!(d, VisitDay::Today | VisitDay::Tomorrow));
    if let Some(asked) = date.filter(|d| named_weekday && Some(*d) == today) {
        if !distinct.iter().any(|s| falls_on(asked, s) && at_time(s)) {
            date = Some(asked + chrono::Duration::days(7));
        }
    }
    let on_day = |s: &Slot| date.is_none_or(|date| falls_on(date, s));
    // What the customer asked for filters: the day and the time of day, else the day, else the
    // time of day.
    let fitting = |fits: &dyn Fn(&Slot) -> bool| distinct.iter().copied().filter(|s| fits(s)).collect::<Vec<_>>();
    let both = fitting(&|s| on_day(s) && at_time(s));
    let preference_met = (date.is_some() || preference.is_some()) && !both.is_empty();
    let offered = [both, fitting(&on_day), fitting(&at_time)]
        .into_iter()
        .find(|fits| !fits.is_empty())
        .unwrap_or_else(|| distinct.clone());
    let why_none = match offered.first() {
        Some(first) => {
            crate::bookings::keep(tx, lead.id, first).await?;
            None
        }
        None => Some(why_no_opening(tx, &service).await?),
    };
    let service = json!({ "id": service.id, "name": service.name, "duration_minutes": service.duration_minutes });
    let current = booked(tx, lead).await?.map(|a| {
        json!({ "appointment_id": a.id, "technician_id": a.technician_id, "starts_at": a.starts_at,
                "local_start": local_iso(&org, a.starts_at) })
    });
    Ok(json!({ "service": service, "current_appointment": current, "preference_met": preference_met,
               "requested_day": date.map(|d| d.to_string()), "why_none": why_none,
               "slots": offered.into_iter().take(10).collect::<Vec<_>>() }))
}

/// The lead's service and the openings for it.
async fn openings(tx: &mut TenantTx, lead: &LeadRow) -> Result<(Vec<Slot>, services::ServiceRow), ToolError> {
    let service = lead_service(tx, lead).await?;
    let slots = crate::bookings::openings(tx, &service, lead.id).await?;
    Ok((slots, service))
}

/// The service the lead was qualified for.
async fn lead_service(tx: &mut TenantTx, lead: &LeadRow) -> Result<services::ServiceRow, ToolError> {
    let current = leads::get(tx, lead.id).await?.ok_or_else(|| ToolError::Refused("the lead is gone".into()))?;
    let service_id =
        current.service_id.ok_or_else(|| ToolError::Refused("the lead has no service to schedule".into()))?;
    services::get(tx, service_id).await?.ok_or_else(|| ToolError::Refused("the service was removed".into()))
}

/// The lead's live (scheduled or confirmed) appointment.
async fn booked(tx: &mut TenantTx, lead: &LeadRow) -> Result<Option<appointments::AppointmentRow>, StoreError> {
    crate::bookings::live(tx, lead.id).await
}

/// What a booking tool asks for: the lead's service, the technician and time the model chose.
fn visit_of<'a>(
    service: &'a services::ServiceRow,
    input: &SlotInput,
    approved: bool,
) -> Result<crate::bookings::Visit<'a>, ToolError> {
    let technician_id = TechnicianId::parse(&input.technician_id).map_err(|e| ToolError::Refused(e.to_string()))?;
    let rule = if approved { Rule::AnyFreeTime } else { Rule::Opening };
    Ok(crate::bookings::Visit { service, technician_id, starts_at: input.starts_at, rule })
}

impl From<BookingError> for ToolError {
    fn from(err: BookingError) -> Self {
        match err {
            BookingError::Store(e) => Self::Store(e),
            BookingError::NotAnOpening => {
                Self::Taken("that is not one of the current openings; pick one of `openings`".into())
            }
            BookingError::Taken => Self::Taken("that opening was just taken; pick one of `openings`".into()),
            BookingError::AlreadyBooked => {
                Self::Refused("the lead already has a booked appointment; use reschedule".into())
            }
            other => Self::Refused(other.to_string()),
        }
    }
}

async fn book(tx: &mut TenantTx, lead: &LeadRow, input: &SlotInput, approved: bool) -> ToolResult {
    let service = lead_service(tx, lead).await?;
    let visit = visit_of(&service, input, approved)?;
    let placed = crate::bookings::book(tx, lead.id, &visit).await?;
    Ok(json!({
        "appointment_id": placed.appointment_id,
        "starts_at": placed.slot.starts_at,
        "ends_at": placed.slot.ends_at,
        "local_start": placed.slot.local_start,
        "technician_id": placed.slot.technician_id,
        "reminders_minutes_before": placed.reminders_minutes_before,
    }))
}

/// Shows a chat visitor up to four openings as buttons on one line of their chat; they book by
/// tapping one (`crate::chat_offers::take`). Only openings, only in a chat, only before a booking.
async fn offer_times(tx: &mut TenantTx, lead: &LeadRow, input: &OfferInput) -> ToolResult {
    use crate::chat_offers::MAX_OFFERED;
    if !store::widgets::lead_has_session(tx, lead.id).await? {
        return Err(ToolError::Refused("times can be offered as buttons only in a live chat; book an opening".into()));
    }
    if booked(tx, lead).await?.is_some() {
        return Err(ToolError::Refused("the lead is already booked; reschedule to move it".into()));
    }
    if input.slots.is_empty() || input.slots.len() > MAX_OFFERED {
        return Err(ToolError::Refused(format!("offer 1 to {MAX_OFFERED} openings")));
    }
    let (slots, service) = openings(tx, lead).await?;
    let mut offered: Vec<&Slot> = Vec::new();
    for wanted in &input.slots {
        let slot = slots
            .iter()
            .find(|s| s.technician_id == wanted.technician_id && s.starts_at == wanted.starts_at)
            .ok_or_else(|| ToolError::Refused(format!("{} is not one of the current openings", wanted.starts_at)))?;
        if !offered.iter().any(|o| o.starts_at == slot.starts_at) {
            offered.push(slot);
        }
    }
    let text = format!(
        "Here are the first times we can come for {}. Tap the one that suits you, or tell me another day or time.",
        service.name
    );
    let message_id = crate::chat_offers::offer(tx, lead, &offered, text.clone()).await?;
    let offered: Vec<Value> =
        offered.iter().map(|s| json!({ "starts_at": s.starts_at, "local_start": s.local_start })).collect();
    Ok(json!({ "message_id": message_id, "text": text, "offered": offered }))
}

/// Moves the lead's booking: the old appointment is cancelled (its reminders then skip) and the
/// new one booked with fresh reminders, in one transaction.
async fn reschedule(tx: &mut TenantTx, lead: &LeadRow, input: &SlotInput, approved: bool) -> ToolResult {
    let service = lead_service(tx, lead).await?;
    let visit = visit_of(&service, input, approved)?;
    let (placed, previous) = crate::bookings::reschedule(tx, lead.id, &visit).await?;
    Ok(json!({
        "appointment_id": placed.appointment_id,
        "previous_appointment_id": previous,
        "starts_at": placed.slot.starts_at,
        "ends_at": placed.slot.ends_at,
        "local_start": placed.slot.local_start,
        "technician_id": placed.slot.technician_id,
        "reminders_minutes_before": placed.reminders_minutes_before,
    }))
}

/// Cancels the lead's booking at the customer's request; the lead is closed.
async fn cancel(tx: &mut TenantTx, lead: &LeadRow, input: &CancelInput) -> ToolResult {
    let reason =
        input.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()).unwrap_or("cancelled by the customer");
    if reason.chars().count() > NOTE_CHARS {
        return Err(ToolError::Refused(format!("a cancel reason is at most {NOTE_CHARS} characters")));
    }
    let cancelled = crate::bookings::cancel(tx, lead, reason)
        .await?
        .ok_or_else(|| ToolError::Refused("there is no booked appointment to cancel".into()))?;
    Ok(json!({ "appointment_id": cancelled, "cancelled": true }))
}

/// `send_reminder` jobs: reminds the customer of a still-booked appointment. Cancelled or
/// completed appointments get no reminder. Returns whether a reminder was sent.
pub async fn send_reminder(db: &store::Db, scope: &TenantScope, job: &SendReminder) -> Result<bool, StoreError> {
    let appointment_id = job.appointment_id.as_str();
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(appointment) = appointments::get(&mut tx, appointment_id).await? else { return Ok(false) };
    if !appointment.status.is_live() {
        return Ok(false);
    }
    let lead_id = domain::LeadId::parse(&appointment.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let Some(lead) = leads::get(&mut tx, lead_id).await? else { return Ok(false) };
    let org = settings::get(&mut tx).await?;
    let when = local_time(&org, appointment.starts_at);
    let text = format!("Reminder: your appointment is {when}. Reply here if you need to change the time.");
    leads::insert_message(&mut tx, &NewMessage::from_agent(lead.id, lead.channel, text)).await?;
    tx.commit().await?;
    Ok(true)
}

/// Confirms the lead's booking — or, when its last booking was cancelled, the cancellation.
async fn confirm(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let Some(appointment) = booked(tx, lead).await? else {
        let cancelled = appointments::for_lead(tx, lead.id)
            .await?
            .into_iter()
            .rev()
            .find(|a| a.status == AppointmentStatus::Cancelled);
        let Some(cancelled) = cancelled else {
            return Err(ToolError::Refused("there is no booked appointment to confirm".into()));
        };
        let text = crate::bookings::cancellation_text(tx, &cancelled).await?;
        let sent = send(tx, lead, &text).await?;
        return Ok(json!({ "message_id": sent["message_id"], "text": text }));
    };
    let text = crate::bookings::confirmation_text(tx, &appointment).await?;
    let sent = send(tx, lead, &text).await?;
    Ok(json!({ "message_id": sent["message_id"], "text": text }))
}

/// Prices the lead's completed appointment. Idempotent: an appointment is invoiced once.
async fn generate_invoice(tx: &mut TenantTx, lead: &LeadRow, input: &InvoiceInput) -> ToolResult {
    let discount = discount_percent(input)?;
    let done = appointments::for_lead(tx, lead.id)
        .await?
        .into_iter()
        .rev()
        .find(|a| a.status == AppointmentStatus::Completed)
        .ok_or_else(|| ToolError::Refused("the lead has no completed appointment to invoice".into()))?;
    let existing = invoices::for_lead(tx, lead.id)
        .await?
        .into_iter()
        .find(|i| i.appointment_id.as_deref() == Some(done.id.as_str()));
    let invoice = match existing {
        Some(invoice) => invoice,
        None => {
            let service_id = done
                .service_id
                .as_deref()
                .and_then(|s| domain::ServiceId::parse(s).ok())
                .ok_or_else(|| ToolError::Refused("the appointment has no service on the price list".into()))?;
            let service = services::get(tx, service_id)
                .await?
                .ok_or_else(|| ToolError::Refused("the service was removed from the price list".into()))?;
            let org = settings::get(tx).await?;
            let current =
                leads::get(tx, lead.id).await?.ok_or_else(|| ToolError::Refused("the lead is gone".into()))?;
            let priced = bill(&BillInput {
                service_name: &service.name,
                pricing: service.pricing,
                price_cents: service.price_cents,
                taxable: service.taxable,
                minutes: (done.ends_at - done.starts_at) / 60_000,
                emergency_fee_cents: (current.urgency.as_deref() == Some("emergency"))
                    .then_some(service.emergency_fee_cents),
                tax_rate_bps: org.tax_rate_bps,
                discount_bps: discount * 100,
            });
            invoices::create(
                tx,
                &invoices::NewInvoice {
                    lead_id: lead.id,
                    appointment_id: Some(done.id.clone()),
                    currency: org.currency.clone(),
                    lines: priced
                        .lines
                        .iter()
                        .map(|l| invoices::NewLine {
                            description: l.description.clone(),
                            quantity_milli: l.quantity_milli,
                            unit_price_cents: l.unit_price_cents,
                            amount_cents: l.amount_cents,
                        })
                        .collect(),
                    subtotal_cents: priced.subtotal_cents,
                    discount_cents: priced.discount_cents,
                    tax_cents: priced.tax_cents,
                    total_cents: priced.total_cents,
                    due_at: Some(store::now_ms() + org.payment_terms_days * 86_400_000),
                },
            )
            .await?
        }
    };
    Ok(serde_json::to_value(&invoice).unwrap_or(Value::Null))
}

/// The invoice as the customer reads it: lines, discount, tax, total and due date.
fn invoice_text(org: &domain::catalog::BusinessSettings, invoice: &invoices::InvoiceRow) -> String {
    let money = |cents: i64| format_money(cents, &invoice.currency);
    let mut text = format!("Invoice {} for your completed job:\n", invoice.number);
    for line in &invoice.lines {
        text.push_str(&format!("- {}: {}\n", line.description, money(line.amount_cents)));
    }
    if invoice.discount_cents > 0 {
        text.push_str(&format!("Discount: -{}\n", money(invoice.discount_cents)));
    }
    if invoice.tax_cents > 0 {
        text.push_str(&format!("Tax: {}\n", money(invoice.tax_cents)));
    }
    text.push_str(&format!("Total due{}: {}.", due_phrase(org, invoice.due_at), money(invoice.total_cents)));
    text
}

fn due_phrase(org: &domain::catalog::BusinessSettings, due_at: Option<i64>) -> String {
    due_at.and_then(|ms| format_date(&org.time_zone, ms)).map(|d| format!(" by {d}")).unwrap_or_default()
}

/// Payment follow-ups: an Invoice run on the due date and a week after it. Each checks the payment
/// first, so a paid invoice gets no reminder.
const PAYMENT_FOLLOW_UP_DAYS_AFTER_DUE: [i64; 2] = [0, 7];

/// Sends the itemised invoice with its pay link, to the customer's address on file or — when the
/// owner approved it — to the address in `email`.
async fn send_invoice(squad: &Squad<'_>, tx: &mut TenantTx, lead: &LeadRow, input: &SendInvoiceInput) -> ToolResult {
    let invoice = latest_draft(tx, lead)
        .await?
        .ok_or_else(|| ToolError::Refused("there is no unsent invoice for this lead".into()))?;
    let recipient = new_billing_address(tx, lead, input).await?;
    let org = settings::get(tx).await?;
    let text = format!(
        "{}\nPay online: {}\nReply here with any questions.",
        invoice_text(&org, &invoice),
        PrivateLink::MARKER
    );
    let message = NewMessage {
        subject: Some(format!("Invoice {}", invoice.number)),
        recipient: recipient.clone(),
        private_link: Some(PrivateLink::Pay { invoice_id: invoice.id.clone() }),
        ..NewMessage::from_agent(lead.id, lead.channel, text)
    };
    let message_id = leads::insert_message(tx, &message).await?;
    invoices::mark_sent(tx, &invoice.id).await?;
    leads::set_stage(tx, lead.id, Stage::Invoiced, WaitingOn::Customer).await?;
    let due = invoice.due_at.unwrap_or_else(store::now_ms);
    for (n, days) in PAYMENT_FOLLOW_UP_DAYS_AFTER_DUE.iter().enumerate() {
        store::jobs::enqueue(
            tx,
            &store::jobs::NewJob {
                job: Job::RunSquad(RunSquad { task: Some(Task::PaymentFollowUp), ..RunSquad::for_lead(lead.id) }),
                run_at: Some(due + days * 86_400_000),
                max_attempts: 8,
                idempotency_key: format!("payment_follow_up:{}:{n}", invoice.id),
            },
        )
        .await?;
    }
    Ok(json!({
        "invoice_id": invoice.id, "number": invoice.number, "total_cents": invoice.total_cents,
        "message_id": message_id, "pay_link": "minted when the message is delivered",
        "provider": squad.payments.provider(), "recipient": recipient,
    }))
}

/// The newest invoice that was sent (paid or not).
async fn latest_sent(tx: &mut TenantTx, lead: &LeadRow) -> Result<Option<invoices::InvoiceRow>, StoreError> {
    Ok(invoices::for_lead(tx, lead.id).await?.into_iter().rev().find(|i| i.status.is_issued()))
}

async fn check_payment(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let invoice = latest_sent(tx, lead)
        .await?
        .ok_or_else(|| ToolError::Refused("no invoice has been sent for this lead".into()))?;
    let paid = store::payments::paid_cents(tx, &invoice.id).await?;
    let overdue = invoice.status == InvoiceStatus::Sent && invoice.due_at.is_some_and(|d| d < store::now_ms());
    Ok(json!({
        "invoice_id": invoice.id, "number": invoice.number, "status": invoice.status,
        "total_cents": invoice.total_cents, "paid_cents": paid, "balance_cents": invoice.total_cents - paid,
        "due_at": invoice.due_at, "overdue": overdue,
    }))
}

async fn send_payment_reminder(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let invoice = latest_sent(tx, lead)
        .await?
        .ok_or_else(|| ToolError::Refused("no invoice has been sent for this lead".into()))?;
    if invoice.status != InvoiceStatus::Sent {
        return Err(ToolError::Refused(format!("invoice {} is already {}", invoice.number, invoice.status)));
    }
    let org = settings::get(tx).await?;
    let paid = store::payments::paid_cents(tx, &invoice.id).await?;
    let balance = format_money(invoice.total_cents - paid, &invoice.currency);
    let due = due_phrase(&org, invoice.due_at);
    let text = format!(
        "A friendly reminder: invoice {} has {balance} to pay{}. You can pay online: {} Reply here if you have any \
         questions.",
        invoice.number,
        if due.is_empty() { String::new() } else { format!(", due{due}") },
        PrivateLink::MARKER,
    );
    let message = NewMessage {
        private_link: Some(PrivateLink::Pay { invoice_id: invoice.id.clone() }),
        ..NewMessage::from_agent(lead.id, lead.channel, text)
    };
    let message_id = leads::insert_message(tx, &message).await?;
    Ok(json!({ "invoice_id": invoice.id, "message_id": message_id, "balance": balance }))
}

/// What the customer record says, for Lead Response before it replies.
async fn lookup_customer(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let customer = store::customers::get(tx, lead.customer_id)
        .await?
        .ok_or_else(|| ToolError::Refused("the customer record is gone".into()))?;
    let history = memories::for_customer(tx, lead.customer_id, 5).await?;
    let has_street = customer.address.as_deref().and_then(domain::address::street_line).is_some();
    Ok(json!({
        "name": customer.name, "has_email": customer.email.is_some(), "has_phone": customer.phone.is_some(),
        "postal_code": customer.postal_code, "has_street_address": has_street, "customer_since": customer.created_at,
        "remembered": history.iter().map(|m| format!("{}: {}", m.layer, m.content)).collect::<Vec<_>>(),
    }))
}

/// The price list's terms for the lead's service: read-only, so no one can change a price here.
async fn quote_price(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let current = leads::get(tx, lead.id).await?.ok_or_else(|| ToolError::Refused("the lead is gone".into()))?;
    let service_id = current
        .service_id
        .ok_or_else(|| ToolError::Refused("the lead has no recognised service to quote; qualify it first".into()))?;
    let service =
        services::get(tx, service_id).await?.ok_or_else(|| ToolError::Refused("the service was removed".into()))?;
    let org = settings::get(tx).await?;
    let money = |c: i64| format_money(c, &org.currency);
    let basis = match service.pricing {
        domain::catalog::Pricing::Flat => format!("{} flat", money(service.price_cents)),
        domain::catalog::Pricing::Hourly => {
            format!("{} per hour, typically {} minutes", money(service.price_cents), service.duration_minutes)
        }
    };
    let emergency = if service.emergency_fee_cents > 0 {
        format!("; emergencies add a {} call-out fee", money(service.emergency_fee_cents))
    } else {
        String::new()
    };
    Ok(json!({
        "service": service.name, "pricing": service.pricing, "price_cents": service.price_cents,
        "duration_minutes": service.duration_minutes, "emergency_fee_cents": service.emergency_fee_cents,
        "summary": format!("{}: {basis}{emergency}.", service.name),
    }))
}

/// Remembers an allow-listed customer preference (never free text from the customer).
async fn save_preference(tx: &mut TenantTx, lead: &LeadRow, input: &PreferenceInput) -> ToolResult {
    if input.key != "preferred_time" {
        return Err(ToolError::Refused("the only preference kept is preferred_time".into()));
    }
    let value = input
        .value
        .as_deref()
        .and_then(PreferredTime::parse)
        .ok_or_else(|| ToolError::Refused("preferred_time is mornings, afternoons, evenings or weekends".into()))?;
    let id = memories::remember(
        tx,
        &NewMemory {
            layer: Layer::Preference,
            customer_id: Some(lead.customer_id),
            lead_id: Some(lead.id),
            key: Some("preferred_time"),
            content: value.as_str(),
        },
    )
    .await?;
    Ok(json!({ "memory_id": id, "preferred_time": value.as_str() }))
}

/// Searches what the squad remembers about this run's customer (and the business's preferences).
async fn search_memory(tx: &mut TenantTx, lead: &LeadRow, input: &SearchInput) -> ToolResult {
    let query = input.query.as_deref().map(str::trim).unwrap_or_default();
    if query.chars().count() > 100 {
        return Err(ToolError::Refused("a search is at most 100 characters".into()));
    }
    let layer = match input.layer.as_deref() {
        Some(l) => Some(Layer::parse(l).ok_or_else(|| ToolError::Refused(format!("`{l}` is not a memory layer")))?),
        None => None,
    };
    let found = memories::search(tx, memories::Reach::Customer(lead.customer_id), layer, Some(query), 10).await?;
    Ok(json!({ "entries": found }))
}

/// "2026-11-03T08:00" in the business's time zone, the form availability's openings use.
fn local_iso(org: &domain::catalog::BusinessSettings, ms: i64) -> String {
    org.time_zone.format_local(ms, "%Y-%m-%dT%H:%M").unwrap_or_default()
}

/// "Tuesday, November 3 at 8:00 AM" in the business's time zone.
fn local_time(org: &domain::catalog::BusinessSettings, ms: i64) -> String {
    crate::tools::invoice::format_visit(&org.time_zone, ms).unwrap_or_default()
}
