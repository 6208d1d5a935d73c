//! The durable job queue: jobs are rows, enqueued in the same transaction as the business write
//! that needs them (outbox), claimed with a lease, retried with exponential backoff on transient
//! errors, and moved to `dead` — never deleted — when they cannot succeed.
//!
//! Claiming is one `UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING`. On PostgreSQL the inner
//! select uses `FOR UPDATE SKIP LOCKED`; on SQLite it runs in a `BEGIN IMMEDIATE` transaction that
//! holds the single write lock. Either way two workers never get the same job.

use domain::jobs::{Job, JobState};
use domain::{OrgId, Role};

use crate::rows::{int, opt_text, stored, text, uuid};
use crate::{new_id, now_ms, Backend, Db, StoreError, TenantScope, TenantTx, WorkerTx};

/// Rung by a request that has just committed a job a customer waits on (a chat message, an
/// inquiry), so this process's worker starts on it at once instead of at its next poll. Only a
/// hint: a worker elsewhere still finds the job by polling.
#[derive(Debug, Default)]
pub struct JobBell(tokio::sync::Notify);

impl JobBell {
    pub fn ring(&self) {
        self.0.notify_one();
    }

    /// Waits for a ring (one rung while nobody waited counts).
    pub async fn rung(&self) {
        self.0.notified().await;
    }
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub job: Job,
    /// Unix ms; `None` runs as soon as possible.
    pub run_at: Option<i64>,
    pub max_attempts: i64,
    /// Unique per org: enqueueing the same key twice yields the first job.
    pub idempotency_key: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: String,
    pub org_id: OrgId,
    pub job: Job,
    /// Including this attempt.
    pub attempts: i64,
    pub max_attempts: i64,
    pub idempotency_key: String,
    /// The trace the job was queued in (a W3C `traceparent`), when traces are exported.
    pub trace_parent: Option<String>,
}

impl ClaimedJob {
    /// The tenant the job belongs to. The job row was written inside that tenant's transaction,
    /// so running it in that scope grants nothing its enqueuer did not have.
    /// Its run's steps commit only while this attempt still holds the job.
    pub fn scope(&self) -> TenantScope {
        TenantScope::from_verified_credential(self.org_id, None, Role::Staff).under_lease(&self.id, self.attempts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub status: JobState,
    pub attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
}

/// How a failed attempt should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Might work later (a timeout, a 503): retry with backoff until attempts run out.
    Transient,
    /// Will never work (bad input, a refused request): dead at once.
    Permanent,
}

/// Where a job queued now learns the trace it belongs to: set once by a process that exports
/// traces (the store knows nothing of OpenTelemetry).
static TRACE_PARENT: std::sync::OnceLock<fn() -> Option<String>> = std::sync::OnceLock::new();

/// Makes every job queued from now on remember `current()`'s answer (the W3C `traceparent` of the
/// span it is queued in), so the span that runs it continues that trace. A second call is ignored.
pub fn remember_traces(current: fn() -> Option<String>) {
    let _ = TRACE_PARENT.set(current);
}

/// Enqueues a job in the caller's tenant transaction; returns the job id (the existing one when
/// the idempotency key was used before).
pub async fn enqueue(tx: &mut TenantTx, job: &NewJob) -> Result<String, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    let id = new_id().to_string();
    let (kind, payload) = stored_form(&job.job)?;
    let inserted = sqlx::query(
        "INSERT INTO jobs (id, org_id, kind, payload, status, attempts, max_attempts, run_at, idempotency_key,
                           created_at, updated_at, trace_parent)
         VALUES ($1, $2, $3, $4, $9, 0, $5, $6, $7, $8, $8, $10)
         ON CONFLICT (org_id, idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(&id)
    .bind(&org)
    .bind(kind)
    .bind(payload)
    .bind(job.max_attempts)
    .bind(job.run_at.unwrap_or(now))
    .bind(&job.idempotency_key)
    .bind(now)
    .bind(JobState::Queued.as_str())
    .bind(TRACE_PARENT.get().and_then(|current| current()))
    .fetch_optional(tx.conn())
    .await?;
    if inserted.is_some() {
        return Ok(id);
    }
    // The key was used before: that job is the one.
    let row = sqlx::query("SELECT id FROM jobs WHERE org_id = $1 AND idempotency_key = $2")
        .bind(&org)
        .bind(&job.idempotency_key)
        .fetch_one(tx.conn())
        .await?;
    text(&row, "id")
}

/// A job as its `kind` and `payload` columns.
fn stored_form(job: &Job) -> Result<(String, String), StoreError> {
    let value = serde_json::to_value(job).map_err(StoreError::corrupt)?;
    let kind = value["kind"].as_str().ok_or_else(|| StoreError::corrupt("a job without a kind"))?.to_owned();
    Ok((kind, value["payload"].to_string()))
}

/// The job a row holds; an unknown kind or a payload that does not fit it is an error naming why.
fn read_job(kind: &str, payload: &str) -> Result<Job, String> {
    let payload: serde_json::Value = serde_json::from_str(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
        .map_err(|e| format!("not a valid `{kind}` job: {e}"))
}

/// Claims the oldest due job, or a running one whose lease expired (its worker died), for
/// `lease_ms`, in the name of `holder` (the instance). A job that already used all its attempts is
/// moved to `dead` instead of returned.
pub async fn claim(db: &Db, lease_ms: i64, holder: &str) -> Result<Option<ClaimedJob>, StoreError> {
    loop {
        let now = now_ms();
        let lock = if db.backend() == Backend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE jobs SET status = $4, attempts = attempts + 1, locked_until = $2, updated_at = $1, claimed_by = $5
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE (status = $3 AND run_at <= $1) OR (status = $4 AND locked_until < $1)
                 ORDER BY run_at, id LIMIT 1 {lock})
             RETURNING id, org_id, kind, payload, attempts, max_attempts, idempotency_key, trace_parent"
        );
        let mut tx = WorkerTx::begin(db).await?;
        let row = sqlx::query(&sql)
            .bind(now)
            .bind(now + lease_ms)
            .bind(JobState::Queued.as_str())
            .bind(JobState::Running.as_str())
            .bind(holder)
            .fetch_optional(tx.conn())
            .await?;
        tx.commit().await?;
        let Some(row) = row else { return Ok(None) };
        let id = text(&row, "id")?;
        let attempt = int(&row, "attempts")?;
        let job = match read_job(&text(&row, "kind")?, &text(&row, "payload")?) {
            Ok(job) => ClaimedJob {
                id,
                org_id: OrgId::from_uuid(uuid(&row, "org_id")?),
                job,
                attempts: attempt,
                max_attempts: int(&row, "max_attempts")?,
                idempotency_key: text(&row, "idempotency_key")?,
                trace_parent: opt_text(&row, "trace_parent")?,
            },
            Err(why) => {
                tracing::error!(job_id = %id, reason = %why, "unreadable job moved to dead");
                let error = format!("unreadable job {id}: {why}");
                finish(db, &id, attempt, JobState::Dead, None, Some(&error)).await?;
                continue;
            }
        };
        if job.attempts <= job.max_attempts {
            return Ok(Some(job));
        }
        let error = "gave up: the job's lease expired on its last attempt";
        finish(db, &job.id, job.attempts, JobState::Dead, None, Some(error)).await?;
    }
}

/// Ends attempt `attempt` of a job; whether that attempt still held it (a later attempt that took
/// the job over after the lease ran out is left alone).
async fn finish(
    db: &Db,
    id: &str,
    attempt: i64,
    status: JobState,
    run_at: Option<i64>,
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let now = now_ms();
    let mut tx = WorkerTx::begin(db).await?;
    let done = sqlx::query(
        "UPDATE jobs SET status = $2, run_at = COALESCE($3, run_at), locked_until = NULL,
                last_error = COALESCE($4, last_error), updated_at = $5
         WHERE id = $1 AND attempts = $6 AND status = $7",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(run_at)
    .bind(error.map(|e| e.chars().take(2000).collect::<String>()))
    .bind(now)
    .bind(attempt)
    .bind(JobState::Running.as_str())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the job done; whether this attempt still held it (see [`finish`]).
pub async fn complete(db: &Db, job: &ClaimedJob) -> Result<bool, StoreError> {
    finish(db, &job.id, job.attempts, JobState::Done, None, None).await
}

/// Extends this attempt's lease on a job it is still running by `lease_ms` from now; `false` when
/// the job is no longer this attempt's (the lease ran out and another attempt took it over).
pub async fn renew(db: &Db, job: &ClaimedJob, lease_ms: i64) -> Result<bool, StoreError> {
    let now = now_ms();
    let mut tx = WorkerTx::begin(db).await?;
    let kept = sqlx::query(
        "UPDATE jobs SET locked_until = $2, updated_at = $3 WHERE id = $1 AND attempts = $4 AND status = $5",
    )
    .bind(&job.id)
    .bind(now + lease_ms)
    .bind(now)
    .bind(job.attempts)
    .bind(JobState::Running.as_str())
    .execute(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(kept.rows_affected() == 1)
}

/// Records a failed attempt: transient failures are retried after `backoff_ms(attempts)` until
/// attempts run out; permanent ones and exhausted jobs go to `dead`. Whether this attempt still
/// held the job (see [`finish`]).
pub async fn fail(db: &Db, job: &ClaimedJob, failure: Failure, error: &str) -> Result<bool, StoreError> {
    if failure == Failure::Transient && job.attempts < job.max_attempts {
        let run_at = now_ms() + backoff_ms(job.attempts, &job.id);
        finish(db, &job.id, job.attempts, JobState::Queued, Some(run_at), Some(error)).await
    } else {
        finish(db, &job.id, job.attempts, JobState::Dead, None, Some(error)).await
    }
}

/// 2^attempts seconds (capped at one hour) plus up to 25 % jitter derived from the job id, so
/// retries of many jobs that failed together spread out.
pub fn backoff_ms(attempts: i64, job_id: &str) -> i64 {
    let base = 1000_i64.saturating_mul(1_i64 << attempts.clamp(0, 12)).min(3_600_000);
    let seed = job_id.bytes().fold(0_i64, |acc, b| (acc.wrapping_mul(31) + i64::from(b)).rem_euclid(1_000_003));
    base + (base / 4) * (seed % 1000) / 1000
}

/// The current org's jobs, newest first (for operators and tests).
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<JobRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT id, kind, status, attempts, run_at, last_error FROM jobs WHERE org_id = $1
         ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(&org)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(JobRow {
                id: text(row, "id")?,
                kind: text(row, "kind")?,
                status: stored(row, "status", JobState::parse)?,
                attempts: int(row, "attempts")?,
                run_at: int(row, "run_at")?,
                last_error: opt_text(row, "last_error")?,
            })
        })
        .collect()
}

/// Whether the org has a job of `kind` waiting to run (a recurring check queues its next only
/// when none is).
pub async fn is_queued(tx: &mut TenantTx, kind: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE org_id = $1 AND kind = $2 AND status = 'queued'")
        .bind(&org)
        .bind(kind)
        .fetch_one(tx.conn())
        .await?;
    Ok(int(&row, "n")? > 0)
}

/// Messages whose delivery waits for a later time (the quiet hours), with when it is due: from
/// the `deliver_message` jobs queued to run after `now`.
pub async fn deliveries_waiting(
    tx: &mut TenantTx,
    now: i64,
) -> Result<std::collections::HashMap<domain::MessageId, i64>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT payload, run_at FROM jobs WHERE org_id = $1 AND kind = 'deliver_message' AND status = 'queued'
           AND run_at > $2",
    )
    .bind(&org)
    .bind(now)
    .fetch_all(tx.conn())
    .await?;
    let mut waiting = std::collections::HashMap::new();
    for row in &rows {
        let payload: domain::jobs::DeliverMessage = serde_json::from_str(&text(row, "payload")?)
            .map_err(|e| StoreError::corrupt(format!("a job's payload: {e}")))?;
        waiting.insert(payload.message_id, int(row, "run_at")?);
    }
    Ok(waiting)
}

/// The worker's door: every org with no job of `kind` queued or running (a daily chain that
/// has not started yet, or was broken), each with a scope to act for it.
pub async fn orgs_without(db: &Db, kind: &str) -> Result<Vec<TenantScope>, StoreError> {
    let mut tx = WorkerTx::begin(db).await?;
    let rows = sqlx::query(
        "SELECT o.id FROM orgs o WHERE NOT EXISTS
           (SELECT 1 FROM jobs j WHERE j.org_id = o.id AND j.kind = $1 AND j.status IN ('queued', 'running'))
         ORDER BY o.id",
    )
    .bind(kind)
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    rows.iter()
        .map(|row| {
            let org = OrgId::parse(&text(row, "id")?).map_err(StoreError::corrupt)?;
            Ok(TenantScope::from_verified_credential(org, None, Role::Owner))
        })
        .collect()
}

/// Brings the org's queued job of `kind` forward to now (something it waits for happened);
/// whether there was one.
pub async fn make_due(tx: &mut TenantTx, kind: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    let done = sqlx::query(
        "UPDATE jobs SET run_at = $3 WHERE org_id = $1 AND kind = $2 AND status = 'queued' AND run_at > $3",
    )
    .bind(&org)
    .bind(kind)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_grows_exponentially_with_bounded_jitter_and_a_cap() {
        let first = backoff_ms(1, "job-a");
        assert!((2000..=2500).contains(&first), "{first}");
        let fifth = backoff_ms(5, "job-a");
        assert!((32_000..=40_000).contains(&fifth), "{fifth}");
        assert!(backoff_ms(40, "job-a") <= 4_500_000);
        assert_ne!(backoff_ms(3, "job-a"), backoff_ms(3, "job-b"), "jitter spreads jobs apart");
    }
}
