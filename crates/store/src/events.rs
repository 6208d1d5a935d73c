//! What changed in an org since a moment: committed run steps and lead snapshots, for the live
//! event stream. Read-only; built from the rows themselves, so every instance sees every change.

use domain::pipeline::{BoardCard, Stage, WaitingOn};
use serde::Serialize;

use crate::rows::{int, opt_int, opt_text, stored, text};
use crate::{StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepEvent {
    pub id: String,
    pub lead_id: String,
    pub run_id: String,
    pub seq: i64,
    pub kind: String,
    pub agent: String,
    /// The step's record, read by the squad's step type (the store does not know its shape).
    #[serde(skip)]
    pub payload: serde_json::Value,
    pub latency_ms: i64,
    pub created_at: i64,
}

pub async fn steps_since(tx: &mut TenantTx, since_ms: i64, limit: i64) -> Result<Vec<StepEvent>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT s.id, r.lead_id, s.run_id, s.seq, s.kind, s.agent, s.payload, s.latency_ms, s.created_at
         FROM run_steps s JOIN agent_runs r ON r.org_id = s.org_id AND r.id = s.run_id
         WHERE s.org_id = $1 AND s.created_at >= $2 ORDER BY s.created_at, s.id LIMIT $3",
    )
    .bind(&org)
    .bind(since_ms)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            let payload: serde_json::Value = serde_json::from_str(&text(row, "payload")?).map_err(|e| {
                StoreError::corrupt(format!("step {}: payload: {e}", text(row, "id").unwrap_or_default()))
            })?;
            Ok(StepEvent {
                id: text(row, "id")?,
                lead_id: text(row, "lead_id")?,
                run_id: text(row, "run_id")?,
                seq: int(row, "seq")?,
                kind: text(row, "kind")?,
                agent: text(row, "agent")?,
                payload,
                latency_ms: int(row, "latency_ms")?,
                created_at: int(row, "created_at")?,
            })
        })
        .collect()
}

/// A lead as the board shows it: with its customer's name and its service's.
const LEAD_EVENTS: &str =
    "SELECT l.id, c.name, l.stage, l.waiting_on, l.score, l.urgency, s.name AS service, l.human_takeover,
            l.first_response_at, l.created_at, l.updated_at
     FROM leads l JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
     LEFT JOIN services s ON s.org_id = l.org_id AND s.id = l.service_id";

pub async fn leads_since(tx: &mut TenantTx, since_ms: i64, limit: i64) -> Result<Vec<BoardCard>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("{LEAD_EVENTS} WHERE l.org_id = $1 AND l.updated_at >= $2 ORDER BY l.updated_at, l.id LIMIT $3");
    let rows = sqlx::query(&sql).bind(&org).bind(since_ms).bind(limit).fetch_all(tx.conn()).await?;
    rows.iter().map(lead_event).collect()
}

/// The org's pipeline as the board shows it: the most recently changed leads, newest first.
pub async fn board(tx: &mut TenantTx, limit: i64) -> Result<Vec<BoardCard>, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!("{LEAD_EVENTS} WHERE l.org_id = $1 ORDER BY l.updated_at DESC, l.id DESC LIMIT $2");
    let rows = sqlx::query(&sql).bind(&org).bind(limit).fetch_all(tx.conn()).await?;
    rows.iter().map(lead_event).collect()
}

fn lead_event(row: &sqlx::any::AnyRow) -> Result<BoardCard, StoreError> {
    Ok(BoardCard {
        lead_id: text(row, "id")?,
        customer_name: text(row, "name")?,
        stage: stored(row, "stage", Stage::parse)?,
        waiting_on: stored(row, "waiting_on", WaitingOn::parse)?,
        score: opt_int(row, "score")?,
        urgency: opt_text(row, "urgency")?,
        service: opt_text(row, "service")?,
        human_takeover: int(row, "human_takeover")? != 0,
        first_response_at: opt_int(row, "first_response_at")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}
