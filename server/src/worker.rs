//! The job worker: claims due jobs and runs them. `serve` runs it beside the HTTP server; tests
//! call [`drain`] to run everything that is due, synchronously.

use std::sync::Arc;
use std::time::Duration;

use squad::model::Model;
use squad::runtime::{run_squad, Limits, Squad};
use store::jobs::{self, ClaimedJob, Failure};
use store::Db;

/// How long a claimed job is ours before another worker may take it over.
const LEASE_MS: i64 = 5 * 60_000;

#[derive(Clone)]
pub struct Worker {
    pub db: Db,
    pub model: Arc<dyn Model>,
    /// Each agent's model and settings (the org's overrides are applied per run).
    pub models: squad::agents::AgentModels,
    pub limits: Limits,
    pub payments: Arc<dyn squad::payments::PaymentLinks>,
    /// Where outbound messages go (record-only until email and SMS are connected).
    pub channel: Arc<dyn squad::channels::Channel>,
}

impl Worker {
    async fn handle(&self, job: &ClaimedJob) -> Result<(), store::StoreError> {
        match job.kind.as_str() {
            "run_squad" => {
                let squad = Squad {
                    db: &self.db,
                    model: self.model.as_ref(),
                    payments: self.payments.as_ref(),
                    models: &self.models,
                    limits: self.limits.clone(),
                };
                match run_squad(&squad, job).await {
                    Ok(status) => {
                        tracing::info!(job_id = %job.id, org_id = %job.org_id, status, "run finished or parked");
                        jobs::complete(&self.db, job).await
                    }
                    Err(err) => {
                        let failure = if err.is_transient() { Failure::Transient } else { Failure::Permanent };
                        tracing::warn!(job_id = %job.id, org_id = %job.org_id, attempt = job.attempts, error = ?err, "run failed");
                        jobs::fail(&self.db, job, failure, &err.to_string()).await
                    }
                }
            }
            "send_reminder" => match squad::runtime::send_reminder(&self.db, &job.scope(), &job.payload).await {
                Ok(sent) => {
                    tracing::info!(job_id = %job.id, org_id = %job.org_id, sent, "reminder handled");
                    jobs::complete(&self.db, job).await
                }
                Err(err) => {
                    tracing::warn!(job_id = %job.id, org_id = %job.org_id, error = ?err, "reminder failed");
                    jobs::fail(&self.db, job, Failure::Transient, &err.to_string()).await
                }
            },
            "deliver_message" => {
                use squad::channels::{deliver_message, DeliverError, DeliveryError};
                match deliver_message(&self.db, &job.scope(), self.channel.as_ref(), &job.payload).await {
                    Ok(outcome) => {
                        tracing::info!(job_id = %job.id, org_id = %job.org_id, ?outcome, "message delivery handled");
                        jobs::complete(&self.db, job).await
                    }
                    Err(err) => {
                        let failure = match err {
                            DeliverError::Store(_) | DeliverError::Delivery(DeliveryError::Transient(_)) => {
                                Failure::Transient
                            }
                            DeliverError::Payload(_) | DeliverError::Delivery(DeliveryError::Permanent(_)) => {
                                Failure::Permanent
                            }
                        };
                        tracing::warn!(job_id = %job.id, org_id = %job.org_id, error = ?err, "message delivery failed");
                        jobs::fail(&self.db, job, failure, &err.to_string()).await
                    }
                }
            }
            other => {
                let message = format!("no handler for job kind `{other}`");
                tracing::error!(job_id = %job.id, kind = other, "unknown job kind");
                jobs::fail(&self.db, job, Failure::Permanent, &message).await
            }
        }
    }

    /// Applies due escalation timeouts, then runs every job that is due now; returns how many
    /// jobs ran.
    pub async fn drain(&self) -> Result<usize, store::StoreError> {
        let expired = squad::decisions::expire_due(&self.db).await?;
        if expired > 0 {
            tracing::info!(expired, "escalation timeouts applied");
        }
        let mut ran = 0;
        while let Some(job) = jobs::claim(&self.db, LEASE_MS).await? {
            self.handle(&job).await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// Polls for work until the process stops. Database hiccups are logged and retried.
    pub async fn run(self, poll: Duration) {
        loop {
            match self.drain().await {
                Ok(_) => tokio::time::sleep(poll).await,
                Err(err) => {
                    tracing::error!(error = ?err, "the worker could not reach the job queue");
                    tokio::time::sleep(poll * 10).await;
                }
            }
        }
    }
}
