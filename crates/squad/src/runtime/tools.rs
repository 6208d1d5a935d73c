//! Tool execution: checked against the agent's tool set, run in the tenant's transaction together
//! with the step that records it.

use chrono::TimeZone as _;
use domain::pipeline::{Stage, WaitingOn};
use domain::TechnicianId;
use serde_json::{json, Value};
use store::leads::{self, Author, Direction, LeadRow, NewMessage, QualificationUpdate};
use store::runs::{self, NewStep, RunUpdate};
use store::{appointments, escalations, invoices, services, settings, technicians, StoreError, TenantScope, TenantTx};

use super::{RunError, Squad};
use crate::agents::{self, AgentName};
use crate::facts::{InquiryFacts, PreferredTime};
use crate::tools::availability::{check_availability, AvailabilityQuery, Slot, Technician};
use crate::tools::invoice::{bill, format_money, BillInput};
use crate::tools::qualify::{qualify_lead, Escalation, OrgContext};
use store::memories::{self, Layer, NewMemory};

/// A tool failure the agent should see (and may recover from), as opposed to a `RunError`.
enum ToolError {
    /// Bad input or a rule says no: recorded as an error result.
    Refused(String),
    /// The database refused a write (a slot was just taken): the transaction is rolled back and the
    /// error result recorded in a fresh one.
    Conflict(String),
    Store(StoreError),
}

impl From<StoreError> for ToolError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

type ToolResult = Result<Value, ToolError>;

const SEARCH_DAYS: i64 = 14;
const LEAD_TIME_MS: i64 = 60 * 60_000;

#[allow(clippy::too_many_arguments)]
pub(super) async fn execute(
    squad: &Squad<'_>,
    scope: &TenantScope,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    tool_use_id: &str,
    name: &str,
    input: &Value,
) -> Result<Executed, RunError> {
    let started = std::time::Instant::now();
    let mut tx = TenantTx::begin(squad.db, scope).await?;
    let allowed = agents::tools(agent).iter().any(|t| t.name == name);
    let gate = if allowed { guardrail(&mut tx, run_id, lead, name, tool_use_id).await } else { Ok(Gate::Allow) };
    let outcome = match gate {
        Err(err) => Err(err),
        Ok(Gate::Park { escalation_id }) => {
            runs::append_step(
                &mut tx,
                run_id,
                &NewStep {
                    kind: "escalation",
                    agent: agent.as_str(),
                    payload: json!({ "approval_for": tool_use_id, "tool": name, "escalation_id": escalation_id }),
                    ..NewStep::default()
                },
            )
            .await?;
            runs::update(&mut tx, run_id, &RunUpdate { status: Some("waiting_approval"), ..RunUpdate::default() })
                .await?;
            tx.commit().await?;
            tracing::info!(tool = name, agent = agent.as_str(), "tool call waits for approval");
            return Ok(Executed::Parked);
        }
        Ok(Gate::Declined(note)) => Err(ToolError::Refused(format!("the owner declined this action: {note}"))),
        Ok(Gate::Allow) if allowed => run_tool(squad, &mut tx, run_id, agent, lead, name, input).await,
        Ok(Gate::Allow) => Err(ToolError::Refused(format!("the tool `{name}` is not available to {}", agent.as_str()))),
    };
    let (output, is_error) = match outcome {
        Ok(output) => (output, false),
        Err(ToolError::Refused(message)) => (json!({ "error": message }), true),
        Err(ToolError::Conflict(message)) => {
            drop(tx);
            tx = TenantTx::begin(squad.db, scope).await?;
            (json!({ "error": message }), true)
        }
        Err(ToolError::Store(err)) => return Err(RunError::Store(err)),
    };
    let kind = match (name, is_error) {
        ("handoff_to_agent", false) => "handoff",
        ("escalate", false) => "escalation",
        _ => "tool_call",
    };
    tracing::info!(tool = name, agent = agent.as_str(), is_error, "tool call");
    runs::append_step(
        &mut tx,
        run_id,
        &NewStep {
            kind,
            agent: agent.as_str(),
            payload: json!({ "tool_use_id": tool_use_id, "tool": name, "input": input, "output": output, "is_error": is_error }),
            latency_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            ..NewStep::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Executed::Done)
}

/// Whether a tool call ran or the run parked waiting for a person.
pub(super) enum Executed {
    Done,
    Parked,
}

enum Gate {
    Allow,
    /// A person must approve first; the run parks until they decide.
    Park {
        escalation_id: String,
    },
    /// A person said no; the agent sees why.
    Declined(String),
}

/// The org's guardrail policies, checked before a tool runs. Today: an invoice above the
/// approval threshold is not sent until the owner approves it.
async fn guardrail(
    tx: &mut TenantTx,
    run_id: &str,
    lead: &LeadRow,
    name: &str,
    tool_use_id: &str,
) -> Result<Gate, ToolError> {
    if name != "send_invoice" {
        return Ok(Gate::Allow);
    }
    let Some(invoice) = invoices::for_lead(tx, lead.id).await?.into_iter().rev().find(|i| i.status == "draft") else {
        return Ok(Gate::Allow);
    };
    let threshold = settings::get(tx).await?.invoice_approval_above_cents;
    if invoice.total_cents <= threshold {
        return Ok(Gate::Allow);
    }
    let decided = escalations::for_run(tx, run_id)
        .await?
        .into_iter()
        .find(|e| e.kind == "approval" && e.proposed_action["tool_use_id"] == json!(tool_use_id));
    match decided {
        Some(e) if e.status == "approved" => Ok(Gate::Allow),
        Some(e) if e.status == "pending" => Ok(Gate::Park { escalation_id: e.id }),
        Some(e) => Ok(Gate::Declined(e.decision_note.unwrap_or_else(|| e.status.clone()))),
        None => {
            let money = |c: i64| format_money(c, &invoice.currency);
            let reason = format!(
                "Invoice {} for {} is above the {} approval threshold.",
                invoice.number,
                money(invoice.total_cents),
                money(threshold)
            );
            let escalation_id = escalations::insert(
                tx,
                &escalations::NewEscalation {
                    lead_id: lead.id,
                    run_id: Some(run_id),
                    kind: "approval",
                    reason: &reason,
                    proposed_action: json!({
                        "tool": name, "tool_use_id": tool_use_id, "invoice_id": invoice.id,
                        "number": invoice.number, "total_cents": invoice.total_cents,
                    }),
                },
            )
            .await?;
            leads::set_waiting_on(tx, lead.id, WaitingOn::Owner).await?;
            Ok(Gate::Park { escalation_id })
        }
    }
}

async fn run_tool(
    squad: &Squad<'_>,
    tx: &mut TenantTx,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    name: &str,
    input: &Value,
) -> ToolResult {
    match name {
        "qualify_lead" => qualify(tx, lead, input).await,
        "send_reply" => {
            let text = input["text"].as_str().map(str::trim).unwrap_or_default();
            if text.is_empty() || text.chars().count() > 2000 {
                return Err(ToolError::Refused("a reply needs 1 to 2000 characters of text".into()));
            }
            send(tx, lead, text).await
        }
        "escalate" => escalate(tx, run_id, lead, input).await,
        "handoff_to_agent" => handoff(squad, tx, run_id, agent, lead, input).await,
        "check_availability" => {
            let (slots, service) = openings(tx, lead).await?;
            let service =
                json!({ "id": service.id, "name": service.name, "duration_minutes": service.duration_minutes });
            Ok(json!({ "service": service, "slots": slots.iter().take(10).collect::<Vec<_>>() }))
        }
        "book_appointment" => book(tx, lead, input).await,
        "send_confirmation" => confirm(tx, lead).await,
        "generate_invoice" => generate_invoice(tx, lead).await,
        "save_preference" => save_preference(tx, lead, input).await,
        "search_memory" => search_memory(tx, input).await,
        "log_issue" => {
            let description = input["description"].as_str().map(str::trim).unwrap_or_default();
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
        "send_invoice" => send_invoice(tx, lead).await,
        other => Err(ToolError::Refused(format!("unknown tool `{other}`"))),
    }
}

async fn qualify(tx: &mut TenantTx, lead: &LeadRow, input: &Value) -> ToolResult {
    let facts: InquiryFacts = serde_json::from_value(input.clone())
        .map_err(|e| ToolError::Refused(format!("the facts do not match the schema: {e}")))?;
    let org = settings::get(tx).await?;
    let catalog = services::list(tx).await?;
    let active: Vec<_> = catalog.iter().filter(|s| s.active).collect();
    let ctx = OrgContext {
        service_zips: org.service_area.zip_codes.clone(),
        offered_skills: active.iter().filter_map(|s| s.skill.clone()).collect(),
    };
    let q = qualify_lead(&facts, &ctx);
    let service = facts.service.as_ref().and_then(|skill| active.iter().find(|s| s.skill.as_deref() == Some(skill)));
    let stage = if q.qualified { Stage::Qualifying } else { Stage::Disqualified };
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
    let learned = format!(
        "Qualified {} for {} ({}): score {}, {}.",
        facts.intent.as_str(),
        facts.service.as_deref().unwrap_or("no recognised service"),
        facts.urgency.map_or("no urgency", |u| u.as_str()),
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

async fn send(tx: &mut TenantTx, lead: &LeadRow, text: &str) -> ToolResult {
    let message_id = leads::insert_message(
        tx,
        &NewMessage {
            lead_id: lead.id,
            direction: Direction::Outbound,
            channel: lead.channel,
            author: Author::Agent,
            subject: None,
            body: text.to_owned(),
            external_id: None,
        },
    )
    .await?;
    leads::mark_first_response(tx, lead.id).await?;
    Ok(json!({ "message_id": message_id, "channel": lead.channel }))
}

async fn escalate(tx: &mut TenantTx, run_id: &str, lead: &LeadRow, input: &Value) -> ToolResult {
    let kind = input["kind"].as_str().unwrap_or("other");
    let reason = input["reason"].as_str().unwrap_or_default();
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
    leads::set_stage(tx, lead.id, Stage::Escalated, WaitingOn::Owner).await?;
    Ok(json!({ "escalation_id": id }))
}

async fn handoff(
    squad: &Squad<'_>,
    tx: &mut TenantTx,
    run_id: &str,
    agent: AgentName,
    lead: &LeadRow,
    input: &Value,
) -> ToolResult {
    if input["target"] != json!("scheduler") || agent != AgentName::LeadResponse {
        return Err(ToolError::Refused("Lead Response can hand off only to the scheduler".into()));
    }
    let current = leads::get(tx, lead.id).await?.ok_or_else(|| ToolError::Refused("the lead is gone".into()))?;
    if current.stage != Stage::Qualifying {
        return Err(ToolError::Refused(format!(
            "only a qualified lead can be scheduled (the lead is {})",
            current.stage
        )));
    }
    let run = runs::get_or_start(tx, run_id, lead.id, agent.as_str()).await?;
    if run.handoffs >= squad.limits.max_handoffs {
        return Err(ToolError::Refused("the run has used all its handoffs".into()));
    }
    leads::set_stage(tx, lead.id, Stage::Scheduling, WaitingOn::None).await?;
    runs::update(
        tx,
        run_id,
        &RunUpdate { current_agent: Some(AgentName::Scheduler.as_str()), add_handoffs: 1, ..RunUpdate::default() },
    )
    .await?;
    let context = json!({
        "service_id": current.service_id,
        "urgency": current.urgency,
        "score": current.score,
        "score_reasons": current.score_reasons,
        "reason": input["reason"],
    });
    Ok(json!({ "to": AgentName::Scheduler.as_str(), "context": context }))
}

/// The lead's service and the openings for it.
async fn openings(tx: &mut TenantTx, lead: &LeadRow) -> Result<(Vec<Slot>, services::ServiceRow), ToolError> {
    let current = leads::get(tx, lead.id).await?.ok_or_else(|| ToolError::Refused("the lead is gone".into()))?;
    let service_id =
        current.service_id.ok_or_else(|| ToolError::Refused("the lead has no service to schedule".into()))?;
    let service =
        services::get(tx, service_id).await?.ok_or_else(|| ToolError::Refused("the service was removed".into()))?;
    let org = settings::get(tx).await?;
    let now = store::now_ms();
    let busy = appointments::busy_since(tx, now).await?;
    let crew: Vec<Technician> = technicians::list(tx)
        .await?
        .into_iter()
        .filter(|t| t.active)
        .map(|t| {
            let id = t.id.to_string();
            Technician {
                busy: busy.iter().filter(|(tech, _, _)| *tech == id).map(|(_, s, e)| (*s, *e)).collect(),
                id,
                skills: t.skills,
                working_hours: t.working_hours,
            }
        })
        .collect();
    let slots = check_availability(&AvailabilityQuery {
        tz: org.time_zone.tz(),
        business_hours: &org.weekly_hours,
        holidays: &org.holidays,
        buffer_minutes: org.booking_buffer_minutes,
        technicians: &crew,
        skill: service.skill.as_deref(),
        duration_minutes: service.duration_minutes,
        not_before: now + LEAD_TIME_MS,
        until: now + SEARCH_DAYS * 86_400_000,
        step_minutes: 60,
        max_slots: 200,
    });
    Ok((slots, service))
}

async fn book(tx: &mut TenantTx, lead: &LeadRow, input: &Value) -> ToolResult {
    let technician = input["technician_id"].as_str().unwrap_or_default().to_owned();
    let starts_at =
        input["starts_at"].as_i64().ok_or_else(|| ToolError::Refused("starts_at must be a Unix time in ms".into()))?;
    let (slots, service) = openings(tx, lead).await?;
    let slot = slots
        .iter()
        .find(|s| s.technician_id == technician && s.starts_at == starts_at)
        .ok_or_else(|| ToolError::Refused("that is not one of the current openings; check availability again".into()))?
        .clone();
    let technician_id = TechnicianId::parse(&technician).map_err(|e| ToolError::Refused(e.to_string()))?;
    let booked = appointments::book(
        tx,
        &appointments::NewAppointment {
            lead_id: lead.id,
            technician_id,
            service_id: Some(service.id),
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
        },
    )
    .await;
    let appointment_id = match booked {
        Ok(id) => id,
        Err(StoreError::Conflict { .. }) => {
            return Err(ToolError::Conflict("that opening was just taken; check availability again".into()))
        }
        Err(other) => return Err(other.into()),
    };
    leads::set_stage(tx, lead.id, Stage::Booked, WaitingOn::None).await?;
    let reminders = schedule_reminders(tx, &appointment_id, slot.starts_at).await?;
    Ok(json!({
        "appointment_id": appointment_id,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "local_start": slot.local_start,
        "technician_id": slot.technician_id,
        "reminders_minutes_before": reminders,
    }))
}

/// Queues the org's reminders (24 h and 1 h before by default) as jobs in the booking's own
/// transaction; a reminder whose time has already passed is skipped.
async fn schedule_reminders(tx: &mut TenantTx, appointment_id: &str, starts_at: i64) -> Result<Vec<i64>, ToolError> {
    let org = settings::get(tx).await?;
    let now = store::now_ms();
    let mut queued = Vec::new();
    for minutes in org.reminder_offsets_minutes {
        let run_at = starts_at - minutes * 60_000;
        if run_at <= now {
            continue;
        }
        store::jobs::enqueue(
            tx,
            &store::jobs::NewJob {
                kind: "send_reminder".to_owned(),
                payload: json!({ "appointment_id": appointment_id, "minutes_before": minutes }),
                run_at: Some(run_at),
                max_attempts: 5,
                idempotency_key: format!("reminder:{appointment_id}:{minutes}"),
            },
        )
        .await?;
        queued.push(minutes);
    }
    Ok(queued)
}

/// `send_reminder` jobs: reminds the customer of a still-booked appointment. Cancelled or
/// completed appointments get no reminder. Returns whether a reminder was sent.
pub async fn send_reminder(db: &store::Db, scope: &TenantScope, payload: &Value) -> Result<bool, StoreError> {
    let Some(appointment_id) = payload["appointment_id"].as_str() else {
        return Err(StoreError::Corrupt("a reminder job without an appointment".into()));
    };
    let mut tx = TenantTx::begin(db, scope).await?;
    let Some(appointment) = appointments::get(&mut tx, appointment_id).await? else { return Ok(false) };
    if !matches!(appointment.status.as_str(), "scheduled" | "confirmed") {
        return Ok(false);
    }
    let lead_id = domain::LeadId::parse(&appointment.lead_id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let Some(lead) = leads::get(&mut tx, lead_id).await? else { return Ok(false) };
    let org = settings::get(&mut tx).await?;
    let when = local_time(&org, appointment.starts_at);
    let text = format!("Reminder: your appointment is {when}. Reply here if you need to change the time.");
    leads::insert_message(
        &mut tx,
        &NewMessage {
            lead_id: lead.id,
            direction: Direction::Outbound,
            channel: lead.channel,
            author: Author::Agent,
            subject: None,
            body: text,
            external_id: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn confirm(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let booked = appointments::for_lead(tx, lead.id).await?;
    let appointment = booked
        .iter()
        .rev()
        .find(|a| a.status == "scheduled" || a.status == "confirmed")
        .ok_or_else(|| ToolError::Refused("there is no booked appointment to confirm".into()))?;
    let org = settings::get(tx).await?;
    let tech_name = match TechnicianId::parse(&appointment.technician_id) {
        Ok(id) => technicians::get(tx, id).await?.map(|t| t.name),
        Err(_) => None,
    };
    let when = local_time(&org, appointment.starts_at);
    let with = tech_name.map(|n| format!(" with {n}")).unwrap_or_default();
    let text = format!(
        "You're booked for {when}{with}. We'll send you a reminder before the visit. Reply here if you need to change the time."
    );
    let sent = send(tx, lead, &text).await?;
    Ok(json!({ "message_id": sent["message_id"], "text": text }))
}

/// Prices the lead's completed appointment. Idempotent: an appointment is invoiced once.
async fn generate_invoice(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let done = appointments::for_lead(tx, lead.id)
        .await?
        .into_iter()
        .rev()
        .find(|a| a.status == "completed")
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

/// Sends the itemised invoice as a message. There is no online payment link yet: the message
/// says how to arrange payment instead of pointing at a page that cannot take it.
async fn send_invoice(tx: &mut TenantTx, lead: &LeadRow) -> ToolResult {
    let invoice = invoices::for_lead(tx, lead.id)
        .await?
        .into_iter()
        .rev()
        .find(|i| i.status == "draft")
        .ok_or_else(|| ToolError::Refused("there is no unsent invoice for this lead".into()))?;
    let org = settings::get(tx).await?;
    let money = |cents: i64| format_money(cents, &invoice.currency);
    let mut text = format!("Invoice {} for your completed job:\n", invoice.number);
    for line in &invoice.lines {
        text.push_str(&format!("- {}: {}\n", line.description, money(line.amount_cents)));
    }
    if invoice.tax_cents > 0 {
        text.push_str(&format!("Tax: {}\n", money(invoice.tax_cents)));
    }
    let due = invoice
        .due_at
        .and_then(|ms| org.time_zone.tz().timestamp_millis_opt(ms).single())
        .map(|t| format!(" by {}", t.format("%B %-d, %Y")))
        .unwrap_or_default();
    text.push_str(&format!("Total due{due}: {}. Reply here to arrange payment.", money(invoice.total_cents)));
    let sent = send(tx, lead, &text).await?;
    invoices::mark_sent(tx, &invoice.id).await?;
    leads::set_stage(tx, lead.id, Stage::Invoiced, WaitingOn::Customer).await?;
    Ok(
        json!({ "invoice_id": invoice.id, "number": invoice.number, "total_cents": invoice.total_cents, "message_id": sent["message_id"] }),
    )
}

/// Remembers an allow-listed customer preference (never free text from the customer).
async fn save_preference(tx: &mut TenantTx, lead: &LeadRow, input: &Value) -> ToolResult {
    if input["key"] != json!("preferred_time") {
        return Err(ToolError::Refused("the only preference kept is preferred_time".into()));
    }
    let value = input["value"]
        .as_str()
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

async fn search_memory(tx: &mut TenantTx, input: &Value) -> ToolResult {
    let query = input["query"].as_str().map(str::trim).unwrap_or_default();
    if query.chars().count() > 100 {
        return Err(ToolError::Refused("a search is at most 100 characters".into()));
    }
    let layer = match input["layer"].as_str() {
        Some(l) => Some(Layer::parse(l).ok_or_else(|| ToolError::Refused(format!("`{l}` is not a memory layer")))?),
        None => None,
    };
    let found = memories::search(tx, layer, Some(query), 10).await?;
    Ok(json!({ "entries": found }))
}

/// "Tuesday, November 3 at 8:00 AM" in the business's time zone.
fn local_time(org: &domain::catalog::BusinessSettings, ms: i64) -> String {
    org.time_zone
        .tz()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%A, %B %-d at %-I:%M %p").to_string())
        .unwrap_or_default()
}
