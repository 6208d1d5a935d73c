//! Leads (one inquiry's journey through the pipeline) and their messages.

use domain::inbound::SenderProof;
use domain::pipeline::{Channel, Stage, WaitingOn};
use domain::{CustomerId, LeadId, MessageId, ServiceId};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, opt_uuid, stored, text, uuid};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeadRow {
    pub id: LeadId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub channel: Channel,
    pub stage: Stage,
    pub waiting_on: WaitingOn,
    pub score: Option<i64>,
    pub score_reasons: Vec<String>,
    pub urgency: Option<String>,
    pub service_id: Option<ServiceId>,
    pub summary: String,
    pub human_takeover: bool,
    pub first_response_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "l.id, l.customer_id, c.name AS customer_name, l.channel, l.stage, l.waiting_on, l.score,
    l.score_reasons, l.urgency, l.service_id, l.summary, l.human_takeover, l.first_response_at, l.created_at,
    l.updated_at";

fn from_row(row: &AnyRow) -> Result<LeadRow, StoreError> {
    let reasons = text(row, "score_reasons")?;
    Ok(LeadRow {
        id: LeadId::from_uuid(uuid(row, "id")?),
        customer_id: CustomerId::from_uuid(uuid(row, "customer_id")?),
        customer_name: text(row, "customer_name")?,
        channel: stored(row, "channel", Channel::parse)?,
        stage: stored(row, "stage", Stage::parse)?,
        waiting_on: stored(row, "waiting_on", WaitingOn::parse)?,
        score: opt_int(row, "score")?,
        score_reasons: serde_json::from_str(&reasons)
            .map_err(|e| StoreError::corrupt(format!("score_reasons: {e}")))?,
        urgency: opt_text(row, "urgency")?,
        service_id: opt_uuid(row, "service_id")?.map(ServiceId::from_uuid),
        summary: text(row, "summary")?,
        human_takeover: int(row, "human_takeover")? != 0,
        first_response_at: opt_int(row, "first_response_at")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

/// The customer's lead that is still in progress, if any (newest first).
pub async fn find_open_for_customer(tx: &mut TenantTx, customer: CustomerId) -> Result<Option<LeadRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM leads l JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
         WHERE l.org_id = $1 AND l.customer_id = $2 AND l.stage NOT IN ($3, $4)
         ORDER BY l.created_at DESC, l.id DESC LIMIT 1"
    );
    let org = tx.org().to_owned();
    let [first, second] = Stage::CLOSED;
    let row = sqlx::query(&sql)
        .bind(&org)
        .bind(customer.to_string())
        .bind(first.as_str())
        .bind(second.as_str())
        .fetch_optional(tx.conn())
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn insert(tx: &mut TenantTx, customer: CustomerId, channel: Channel) -> Result<LeadId, StoreError> {
    let id = LeadId::from_uuid(new_id());
    let org = tx.org().to_owned();
    sqlx::query(
        "INSERT INTO leads (id, org_id, customer_id, channel, stage, waiting_on, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'new', 'none', $5, $5)",
    )
    .bind(id.to_string())
    .bind(&org)
    .bind(customer.to_string())
    .bind(channel.as_str())
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// What `qualify_lead` decided, written onto the lead.
#[derive(Debug, Clone)]
pub struct QualificationUpdate<'a> {
    pub score: i64,
    pub reasons: &'a [String],
    pub urgency: Option<&'a str>,
    pub service_id: Option<ServiceId>,
    pub stage: Stage,
    pub waiting_on: WaitingOn,
}

pub async fn record_qualification(
    tx: &mut TenantTx,
    id: LeadId,
    q: &QualificationUpdate<'_>,
) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE leads SET score = $3, score_reasons = $4, urgency = $5, service_id = $6, stage = $7, waiting_on = $8,
                updated_at = $9
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id.to_string())
    .bind(q.score)
    .bind(serde_json::to_string(q.reasons).map_err(StoreError::corrupt)?)
    .bind(q.urgency)
    .bind(q.service_id.map(|s| s.to_string()))
    .bind(q.stage.as_str())
    .bind(q.waiting_on.as_str())
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn set_stage(tx: &mut TenantTx, id: LeadId, stage: Stage, waiting_on: WaitingOn) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE leads SET stage = $3, waiting_on = $4, updated_at = $5 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .bind(stage.as_str())
        .bind(waiting_on.as_str())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The service a person chose for the lead (booking it by hand).
pub async fn set_service(tx: &mut TenantTx, id: LeadId, service: domain::ServiceId) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE leads SET service_id = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .bind(service.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn set_waiting_on(tx: &mut TenantTx, id: LeadId, waiting_on: WaitingOn) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE leads SET waiting_on = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .bind(waiting_on.as_str())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The owner takes the conversation over (the squad stays out) or hands it back.
pub async fn set_takeover(tx: &mut TenantTx, id: LeadId, taken_over: bool) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let updated = sqlx::query("UPDATE leads SET human_takeover = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .bind(i64::from(taken_over))
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// Records the first reply's time once (the "first response" figure owners see).
pub async fn mark_first_response(tx: &mut TenantTx, id: LeadId) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE leads SET first_response_at = $3 WHERE org_id = $1 AND id = $2 AND first_response_at IS NULL")
        .bind(&org)
        .bind(id.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Marks activity on a lead (a new message) so lists sort by what moved last.
pub async fn touch(tx: &mut TenantTx, id: LeadId) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE leads SET updated_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, id: LeadId) -> Result<Option<LeadRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM leads l JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
         WHERE l.org_id = $1 AND l.id = $2"
    );
    let org = tx.org().to_owned();
    let row = sqlx::query(&sql).bind(&org).bind(id.to_string()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// One customer's leads, newest first.
pub async fn for_customer(tx: &mut TenantTx, customer: CustomerId) -> Result<Vec<LeadRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM leads l JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
         WHERE l.org_id = $1 AND l.customer_id = $2 ORDER BY l.created_at DESC, l.id DESC"
    );
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).bind(customer.to_string()).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Most recently active first, optionally in one stage.
pub async fn list(tx: &mut TenantTx, stage: Option<Stage>, limit: i64) -> Result<Vec<LeadRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM leads l JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
         WHERE l.org_id = $1 AND ($2 = '' OR l.stage = $2)
         ORDER BY l.updated_at DESC, l.id DESC LIMIT $3"
    );
    let org = tx.org().to_owned();
    let rows =
        sqlx::query(&sql).bind(&org).bind(stage.map_or("", Stage::as_str)).bind(limit).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Customer,
    Agent,
    Human,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub lead_id: LeadId,
    pub direction: Direction,
    pub channel: Channel,
    pub author: Author,
    pub subject: Option<String>,
    pub body: String,
    pub external_id: Option<String>,
    /// Set only when an outbound message goes somewhere other than the customer's contact on file.
    pub recipient: Option<String>,
    /// How an inbound message's sender was verified (`none` for outbound messages).
    pub sender_proof: SenderProof,
    /// The private link an outbound message carries: its body holds [`PrivateLink::MARKER`], which
    /// delivery replaces with a freshly minted link.
    pub private_link: Option<PrivateLink>,
}

/// A private link an outbound message carries (`messages.private_link`). The stored body holds
/// only [`PrivateLink::MARKER`], so the link's token is never at rest in the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrivateLink {
    /// The pay link of this invoice.
    Pay { invoice_id: String },
    /// This manage link (`manage_links.id`).
    Manage { link_id: String },
}

impl PrivateLink {
    /// Where the link goes in a stored body, and what the dashboard shows in its place.
    pub const MARKER: &'static str = "[private link]";

    fn to_stored(&self) -> String {
        match self {
            Self::Pay { invoice_id } => format!("pay:{invoice_id}"),
            Self::Manage { link_id } => format!("manage:{link_id}"),
        }
    }

    fn from_stored(stored: &str) -> Result<Self, StoreError> {
        match stored.split_once(':') {
            Some(("pay", invoice_id)) if !invoice_id.is_empty() => Ok(Self::Pay { invoice_id: invoice_id.to_owned() }),
            Some(("manage", link_id)) if !link_id.is_empty() => Ok(Self::Manage { link_id: link_id.to_owned() }),
            _ => Err(StoreError::corrupt(format!("unknown private link {stored:?}"))),
        }
    }
}

impl NewMessage {
    /// A message from the squad to the lead's customer, on the lead's channel, to the address on file.
    /// The squad's message on a lead that came in through `channel`, sent the way that channel is
    /// answered (a missed call by text).
    pub fn from_agent(lead_id: LeadId, channel: Channel, body: String) -> Self {
        Self {
            lead_id,
            direction: Direction::Outbound,
            channel: channel.answered_by(),
            author: Author::Agent,
            subject: None,
            body,
            external_id: None,
            recipient: None,
            sender_proof: SenderProof::None,
            private_link: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageRow {
    pub id: MessageId,
    pub direction: String,
    pub channel: String,
    pub author: String,
    pub subject: Option<String>,
    pub body: String,
    pub recipient: Option<String>,
    pub sender_proof: SenderProof,
    #[serde(skip)]
    pub private_link: Option<PrivateLink>,
    /// The whole text as it arrived, when what the squad reads (`body`) was shortened from it (an
    /// email's quoted history and signature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_body: Option<String>,
    pub created_at: i64,
}

/// The inbound message an integration already handed in under `external_id` on `channel`: its lead
/// and id, so a retry answers as the first delivery did.
pub async fn find_by_external_id(
    tx: &mut TenantTx,
    channel: Channel,
    external_id: &str,
) -> Result<Option<(LeadId, MessageId)>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT lead_id, id FROM messages WHERE org_id = $1 AND channel = $2 AND external_id = $3")
        .bind(&org)
        .bind(channel.as_str())
        .bind(external_id)
        .fetch_optional(tx.conn())
        .await?;
    row.map(|row| {
        let lead = LeadId::from_uuid(crate::rows::uuid(&row, "lead_id")?);
        let message = MessageId::from_uuid(crate::rows::uuid(&row, "id")?);
        Ok((lead, message))
    })
    .transpose()
}

pub async fn insert_message(tx: &mut TenantTx, new: &NewMessage) -> Result<MessageId, StoreError> {
    let id = MessageId::from_uuid(new_id());
    let org = tx.org().to_owned();
    let direction = match new.direction {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    };
    let author = match new.author {
        Author::Customer => "customer",
        Author::Agent => "agent",
        Author::Human => "human",
    };
    sqlx::query(
        "INSERT INTO messages (id, org_id, lead_id, direction, channel, author, subject, body, external_id, created_at,
                               recipient, sender_proof, private_link)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id.to_string())
    .bind(&org)
    .bind(new.lead_id.to_string())
    .bind(direction)
    .bind(new.channel.as_str())
    .bind(author)
    .bind(new.subject.clone())
    .bind(&new.body)
    .bind(new.external_id.clone())
    .bind(now_ms())
    .bind(new.recipient.clone())
    .bind(new.sender_proof.as_str())
    .bind(new.private_link.as_ref().map(PrivateLink::to_stored))
    .execute(tx.conn())
    .await?;
    if new.direction == Direction::Outbound {
        // Delivery is a side effect: it runs as its own job, after this transaction commits.
        crate::jobs::enqueue(
            tx,
            &crate::jobs::NewJob {
                job: domain::jobs::Job::DeliverMessage(domain::jobs::DeliverMessage { message_id: id }),
                run_at: None,
                max_attempts: 10,
                idempotency_key: format!("deliver:{id}"),
            },
        )
        .await?;
    }
    Ok(id)
}

/// One message with the lead it belongs to.
pub async fn message(tx: &mut TenantTx, id: MessageId) -> Result<Option<(LeadId, MessageRow)>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT id, lead_id, direction, channel, author, subject, body, recipient, sender_proof, private_link,
                original_body, created_at
         FROM messages WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id.to_string())
    .fetch_optional(tx.conn())
    .await?;
    row.map(|row| Ok((LeadId::from_uuid(uuid(&row, "lead_id")?), message_from_row(&row)?))).transpose()
}

fn message_from_row(row: &sqlx::any::AnyRow) -> Result<MessageRow, StoreError> {
    Ok(MessageRow {
        id: MessageId::from_uuid(uuid(row, "id")?),
        direction: text(row, "direction")?,
        channel: text(row, "channel")?,
        author: text(row, "author")?,
        subject: opt_text(row, "subject")?,
        body: text(row, "body")?,
        recipient: opt_text(row, "recipient")?,
        sender_proof: stored(row, "sender_proof", SenderProof::parse)?,
        private_link: opt_text(row, "private_link")?.as_deref().map(PrivateLink::from_stored).transpose()?,
        original_body: opt_text(row, "original_body")?,
        created_at: int(row, "created_at")?,
    })
}

/// Keeps the whole text an inbound message arrived with, beside the shortened `body` the squad
/// reads.
pub async fn keep_original(tx: &mut TenantTx, message: MessageId, original: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE messages SET original_body = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(message.to_string())
        .bind(original)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The conversation, oldest first.
pub async fn messages(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<MessageRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, direction, channel, author, subject, body, recipient, sender_proof, private_link, original_body,
                created_at
         FROM messages WHERE org_id = $1 AND lead_id = $2 ORDER BY created_at, id",
    )
    .bind(&org)
    .bind(lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(message_from_row).collect()
}

/// One recorded step of the lead's agent runs (model call, tool call, handoff, escalation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRow {
    pub run_id: String,
    pub seq: i64,
    pub kind: String,
    pub agent: String,
    pub payload: serde_json::Value,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub cost_micros: i64,
    pub latency_ms: i64,
    pub prompt_version: Option<String>,
    pub created_at: i64,
}

pub async fn steps(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<StepRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT s.run_id, s.seq, s.kind, s.agent, s.payload, s.input_tokens, s.output_tokens, s.cache_read_tokens,
                s.cache_write_tokens, s.cost_micros, s.latency_ms, s.prompt_version, s.created_at
         FROM run_steps s JOIN agent_runs r ON r.org_id = s.org_id AND r.id = s.run_id
         WHERE s.org_id = $1 AND r.lead_id = $2 ORDER BY r.started_at, s.run_id, s.seq",
    )
    .bind(&org)
    .bind(lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            let payload = text(row, "payload")?;
            Ok(StepRow {
                run_id: text(row, "run_id")?,
                seq: int(row, "seq")?,
                kind: text(row, "kind")?,
                agent: text(row, "agent")?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::corrupt(format!("step payload: {e}")))?,
                input_tokens: int(row, "input_tokens")?,
                output_tokens: int(row, "output_tokens")?,
                cache_read_tokens: int(row, "cache_read_tokens")?,
                cache_write_tokens: int(row, "cache_write_tokens")?,
                cost_micros: int(row, "cost_micros")?,
                latency_ms: int(row, "latency_ms")?,
                prompt_version: opt_text(row, "prompt_version")?,
                created_at: int(row, "created_at")?,
            })
        })
        .collect()
}

/// Records the id a provider gave an outbound message it accepted (an email's `Message-ID`), so
/// a reply that names it can be matched to its thread.
pub async fn set_external_id(tx: &mut TenantTx, message: MessageId, external_id: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE messages SET external_id = $3 WHERE org_id = $1 AND id = $2 AND external_id IS NULL")
        .bind(&org)
        .bind(message.to_string())
        .bind(external_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The customer's newest message on `channel`: its subject and the provider's id for it (an
/// email's `Message-ID`) — what a reply on that channel answers.
pub async fn newest_inbound(
    tx: &mut TenantTx,
    lead: LeadId,
    channel: Channel,
) -> Result<Option<(Option<String>, Option<String>)>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT subject, external_id FROM messages
         WHERE org_id = $1 AND lead_id = $2 AND channel = $3 AND direction = 'inbound'
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(&org)
    .bind(lead.to_string())
    .bind(channel.as_str())
    .fetch_optional(tx.conn())
    .await?;
    row.map(|row| Ok((crate::rows::opt_text(&row, "subject")?, crate::rows::opt_text(&row, "external_id")?)))
        .transpose()
}

/// How far each of the lead's outbound messages got: its delivery ledger entry's status (`done`,
/// `failed`, `started`) and the provider's answer, by message; a message without an entry is
/// still waiting to be sent.
pub async fn deliveries(
    tx: &mut TenantTx,
    lead: LeadId,
) -> Result<std::collections::HashMap<MessageId, (String, Option<String>)>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT m.id AS id, s.status AS status, s.response AS response FROM messages m
         JOIN side_effects s ON s.org_id = m.org_id AND s.idempotency_key = 'message:' || m.id
         WHERE m.org_id = $1 AND m.lead_id = $2 AND m.direction = 'outbound'",
    )
    .bind(&org)
    .bind(lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                MessageId::from_uuid(crate::rows::uuid(row, "id")?),
                (crate::rows::text(row, "status")?, crate::rows::opt_text(row, "response")?),
            ))
        })
        .collect()
}
