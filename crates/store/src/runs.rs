//! Agent runs and their steps. Each step is committed before the next starts: it is the run's
//! checkpoint, its audit log and the owner's live view in one row.

use domain::squad::{AgentName, RunStatus, Task};
use domain::LeadId;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, stored, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunRow {
    pub id: String,
    pub lead_id: String,
    pub current_agent: AgentName,
    pub task: Task,
    pub status: RunStatus,
    pub handoffs: i64,
    pub turns: i64,
    pub cost_micros: i64,
    pub started_at: i64,
}

/// A stored name read back into its type; an unknown name is corrupt data, named with its run.
fn run_from_row(row: &AnyRow) -> Result<RunRow, StoreError> {
    Ok(RunRow {
        id: text(row, "id")?,
        lead_id: text(row, "lead_id")?,
        current_agent: stored(row, "current_agent", AgentName::parse)?,
        task: stored(row, "task", Task::parse)?,
        status: stored(row, "status", RunStatus::parse)?,
        handoffs: int(row, "handoffs")?,
        turns: int(row, "turns")?,
        cost_micros: int(row, "cost_micros")?,
        started_at: int(row, "started_at")?,
    })
}

/// The run with this id, created (running `task`, with `agent`) if it does not exist yet.
pub async fn get_or_start(
    tx: &mut TenantTx,
    id: &str,
    lead: LeadId,
    agent: AgentName,
    task: Task,
) -> Result<RunRow, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO agent_runs (id, org_id, lead_id, current_agent, status, started_at, updated_at, task)
         VALUES ($1, $2, $3, $4, $7, $5, $5, $6) ON CONFLICT (id) DO NOTHING",
    )
    .bind(id)
    .bind(&org)
    .bind(lead.to_string())
    .bind(agent.as_str())
    .bind(now)
    .bind(task.as_str())
    .bind(RunStatus::Running.as_str())
    .execute(tx.conn())
    .await?;
    get(tx, id).await?.ok_or_else(|| StoreError::corrupt("a started run vanished"))
}

pub async fn get(tx: &mut TenantTx, id: &str) -> Result<Option<RunRow>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT id, lead_id, current_agent, task, status, handoffs, turns, cost_micros, started_at
         FROM agent_runs WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    row.as_ref().map(run_from_row).transpose()
}

#[derive(Debug, Clone, Default)]
pub struct RunUpdate {
    pub current_agent: Option<AgentName>,
    pub status: Option<RunStatus>,
    pub add_handoffs: i64,
    pub add_turns: i64,
    pub add_input_tokens: i64,
    pub add_output_tokens: i64,
    pub add_cost_micros: i64,
    pub finished: bool,
}

pub async fn update(tx: &mut TenantTx, id: &str, change: &RunUpdate) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "UPDATE agent_runs SET current_agent = COALESCE($3, current_agent), status = COALESCE($4, status),
                handoffs = handoffs + $5, turns = turns + $6, input_tokens = input_tokens + $7,
                output_tokens = output_tokens + $8, cost_micros = cost_micros + $9, updated_at = $10,
                finished_at = CASE WHEN $11 = 1 THEN $10 ELSE finished_at END
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id)
    .bind(change.current_agent.map(AgentName::as_str))
    .bind(change.status.map(RunStatus::as_str))
    .bind(change.add_handoffs)
    .bind(change.add_turns)
    .bind(change.add_input_tokens)
    .bind(change.add_output_tokens)
    .bind(change.add_cost_micros)
    .bind(now)
    .bind(i64::from(change.finished))
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct NewStep<'a> {
    pub kind: &'a str,
    pub agent: &'a str,
    pub payload: serde_json::Value,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
    pub cost_micros: i64,
    pub latency_ms: i64,
    pub prompt_version: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub seq: i64,
    pub kind: String,
    pub agent: String,
    pub payload: serde_json::Value,
}

/// Appends a step with the next sequence number. The unique (org, run, seq) key makes two
/// writers racing on one run fail instead of interleaving. Under a job's lease the step commits
/// only while that attempt still holds the job, so an attempt whose lease ran out (a stalled
/// instance) cannot add a step — nor the business write in its transaction — beside the attempt
/// that took over.
pub async fn append_step(tx: &mut TenantTx, run_id: &str, step: &NewStep<'_>) -> Result<i64, StoreError> {
    let org = tx.org().to_owned();
    let lease = tx.scope().lease().cloned();
    // The step's number, the lease check and the step in one statement: one round trip per step.
    let held = if lease.is_some() {
        "WHERE EXISTS (SELECT 1 FROM jobs WHERE org_id = $2 AND id = $15 AND attempts = $16 AND status = 'running')"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO run_steps (id, org_id, run_id, seq, kind, agent, payload, input_tokens, output_tokens,
                                cache_read_tokens, cache_write_tokens, cost_micros, latency_ms, prompt_version, created_at)
         SELECT $1, $2, $3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM run_steps WHERE org_id = $2 AND run_id = $3),
                $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 {held}
         RETURNING seq"
    );
    let mut query = sqlx::query(&sql)
        .bind(new_id().to_string())
        .bind(&org)
        .bind(run_id)
        .bind(step.kind)
        .bind(step.agent)
        .bind(serde_json::to_string(&step.payload).map_err(StoreError::corrupt)?)
        .bind(step.input_tokens)
        .bind(step.output_tokens)
        .bind(step.cache_read_tokens)
        .bind(step.cache_write_tokens)
        .bind(step.cost_micros)
        .bind(step.latency_ms)
        .bind(step.prompt_version)
        .bind(now_ms());
    if let Some(lease) = &lease {
        query = query.bind(lease.job_id.to_string()).bind(lease.attempt);
    }
    match (query.fetch_optional(tx.conn()).await?, lease) {
        (Some(row), _) => int(&row, "seq"),
        (None, Some(lease)) => Err(StoreError::LeaseLost { job_id: lease.job_id.to_string(), attempt: lease.attempt }),
        (None, None) => Err(StoreError::corrupt(format!("run {run_id}: a step insert returned no row"))),
    }
}

pub async fn steps(tx: &mut TenantTx, run_id: &str) -> Result<Vec<Step>, StoreError> {
    let org = tx.org().to_owned();
    let rows =
        sqlx::query("SELECT seq, kind, agent, payload FROM run_steps WHERE org_id = $1 AND run_id = $2 ORDER BY seq")
            .bind(&org)
            .bind(run_id)
            .fetch_all(tx.conn())
            .await?;
    rows.iter()
        .map(|row| {
            Ok(Step {
                seq: int(row, "seq")?,
                kind: text(row, "kind")?,
                agent: text(row, "agent")?,
                payload: serde_json::from_str(&text(row, "payload")?)
                    .map_err(|e| StoreError::corrupt(format!("step: {e}")))?,
            })
        })
        .collect()
}

/// Whether another run of this lead is still running (runs of one lead must not interleave).
pub async fn another_running(tx: &mut TenantTx, lead: LeadId, except: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT 1 AS one FROM agent_runs WHERE org_id = $1 AND lead_id = $2 AND id <> $3 AND status = $4 LIMIT 1",
    )
    .bind(&org)
    .bind(lead.to_string())
    .bind(except)
    .bind(RunStatus::Running.as_str())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.is_some())
}

/// Adds one model call to the org's usage for `day` (UTC `YYYY-MM-DD`).
pub async fn record_usage(
    tx: &mut TenantTx,
    day: &str,
    input_tokens: i64,
    output_tokens: i64,
    cost_micros: i64,
) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "INSERT INTO usage (org_id, day, model_calls, input_tokens, output_tokens, cost_micros) VALUES ($1, $2, 1, $3, $4, $5)
         ON CONFLICT (org_id, day) DO UPDATE SET model_calls = usage.model_calls + 1,
             input_tokens = usage.input_tokens + excluded.input_tokens,
             output_tokens = usage.output_tokens + excluded.output_tokens,
             cost_micros = usage.cost_micros + excluded.cost_micros",
    )
    .bind(&org)
    .bind(day)
    .bind(input_tokens)
    .bind(output_tokens)
    .bind(cost_micros)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What the org spent on models on `day`, in micro-dollars.
pub async fn spent_on(tx: &mut TenantTx, day: &str) -> Result<i64, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT cost_micros FROM usage WHERE org_id = $1 AND day = $2")
        .bind(&org)
        .bind(day)
        .fetch_optional(tx.conn())
        .await?;
    row.map_or(Ok(0), |r| int(&r, "cost_micros"))
}
