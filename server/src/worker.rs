//! The job worker: claims due jobs and runs them. `serve` runs it beside the HTTP server; tests
//! call [`drain`] to run everything that is due, synchronously.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument;

use domain::jobs::Job;
use squad::model::Model;
use squad::runtime::{run_squad, Limits, Squad};
use store::jobs::{self, ClaimedJob, Failure};
use store::Db;

/// How this instance's worker works the shared queue.
#[derive(Debug, Clone)]
pub struct Shift {
    /// This instance's name on the jobs it claims (`jobs.claimed_by`).
    pub instance: Arc<str>,
    /// How long a claimed job is ours before another instance may take it over.
    pub lease_ms: i64,
    /// How many jobs this instance runs at once.
    pub concurrency: usize,
}

impl Default for Shift {
    fn default() -> Self {
        Self { instance: instance_name().into(), lease_ms: 5 * 60_000, concurrency: 1 }
    }
}

/// A name that tells this process from the others on the same database: host, process id and a
/// random suffix (tests run several instances in one process).
pub fn instance_name() -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}:{}", process_name(), &suffix[..6])
}

/// This process: its host and process id.
pub fn process_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "opsquad".to_owned());
    format!("{host}:{}", std::process::id())
}

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
    /// The shops' own accounts (a connected mailbox), used instead of `channel` where connected.
    pub own_channels: Arc<dyn squad::channels::OwnChannels>,
    /// Opens the shops' sealed credentials and reaches Google (to read a connected mailbox).
    pub mail_access: ops::integrations::MailAccess,
    /// IDLE watchers on the inboxes this worker checks.
    pub mail_watchers: Arc<crate::mail_watch::MailWatchers>,
    /// Where customers reach this server; the manage links in messages are built on it.
    pub public_url: squad::link_tokens::PublicUrl,
    /// Replies being written to chat visitors, shared with this server's chat streams.
    pub live: Arc<squad::live::LiveText>,
    /// Rung by this server's requests when they queue work a customer waits on.
    pub bell: Arc<store::jobs::JobBell>,
    /// Opsquad's own mail (alerts to the owners).
    pub account_mail: Arc<ops::account_mail::AccountMail>,
    /// The Stripe platform shops take card payments through, when this Opsquad has one.
    pub stripe: Option<Arc<integrations::stripe::Stripe>>,
    /// Technicians' own calendars: read before openings are offered, written as visits are booked.
    pub calendars: Arc<ops::calendars::CalendarAccess>,
    pub shift: Shift,
}

impl Worker {
    /// Runs one claimed job, keeping its lease while it runs, and records how it ended.
    async fn handle(&self, job: &ClaimedJob) -> Result<(), store::StoreError> {
        let span = tracing::info_span!(
            "job",
            job_id = %job.id,
            kind = job.job.kind(),
            org_id = %job.org_id,
            attempt = job.attempts,
            instance = %self.shift.instance,
        );
        if let Some(queued_in) = &job.trace_parent {
            crate::telemetry::continue_trace(&span, queued_in);
        }
        let outcome = tokio::select! {
            outcome = self.work(job).instrument(span) => outcome,
            () = self.keep_lease(job) => {
                tracing::warn!(job_id = %job.id, attempt = job.attempts, "job taken over by a later attempt: this one stopped");
                return Ok(());
            }
        };
        let held = match outcome {
            Ok(what) => {
                tracing::info!(job_id = %job.id, org_id = %job.org_id, outcome = %what, "job done");
                jobs::complete(&self.db, job).await?
            }
            Err((failure, error)) => {
                tracing::warn!(job_id = %job.id, org_id = %job.org_id, attempt = job.attempts, ?failure, %error, "job failed");
                jobs::fail(&self.db, job, failure, &error).await?
            }
        };
        if !held {
            tracing::warn!(job_id = %job.id, attempt = job.attempts, "job taken over by a later attempt: its outcome is that attempt's");
        }
        Ok(())
    }

    /// Renews the job's lease every third of it; returns only when the job is no longer this
    /// attempt's (the lease ran out anyway — a stalled process — and another attempt took it).
    /// A renewal the database refuses is retried at the next tick: the job's own writes would
    /// fail the same way meanwhile.
    async fn keep_lease(&self, job: &ClaimedJob) {
        let every = Duration::from_millis(u64::try_from(self.shift.lease_ms / 3).unwrap_or(1).max(1));
        loop {
            tokio::time::sleep(every).await;
            match jobs::renew(&self.db, job, self.shift.lease_ms).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(err) => tracing::warn!(job_id = %job.id, error = ?err, "could not renew a job's lease"),
            }
        }
    }

    /// Does one claimed job's work: the one place every job kind is dispatched.
    async fn work(&self, job: &ClaimedJob) -> Result<String, (Failure, String)> {
        match &job.job {
            Job::RunSquad(payload) => {
                let squad = Squad {
                    db: &self.db,
                    model: self.model.as_ref(),
                    payments: self.payments.as_ref(),
                    models: &self.models,
                    limits: self.limits.clone(),
                    live: Some(&self.live),
                    calendars: self.calendars.as_ref(),
                };
                run_squad(&squad, job, payload).await.map(|status| format!("run {status}")).map_err(|err| {
                    let failure = if err.is_transient() { Failure::Transient } else { Failure::Permanent };
                    (failure, err.to_string())
                })
            }
            Job::SendReminder(payload) => squad::runtime::send_reminder(&self.db, &job.scope(), payload)
                .await
                .map(|sent| if sent { "reminder sent" } else { "no reminder needed" }.to_owned())
                .map_err(|err| (Failure::Transient, err.to_string())),
            Job::DeliverMessage(payload) => {
                use squad::channels::{deliver_message, DeliverError, DeliveryError};
                deliver_message(
                    &self.db,
                    &job.scope(),
                    self.channel.as_ref(),
                    self.own_channels.as_ref(),
                    self.payments.as_ref(),
                    &self.public_url,
                    payload,
                    job.attempts >= job.max_attempts,
                )
                .await
                .map(|outcome| format!("delivery {outcome:?}"))
                .map_err(|err| {
                    let failure = match err {
                        DeliverError::Store(_) | DeliverError::Delivery(DeliveryError::Transient(_)) => {
                            Failure::Transient
                        }
                        DeliverError::Payload(_) | DeliverError::Delivery(DeliveryError::Permanent(_)) => {
                            Failure::Permanent
                        }
                    };
                    (failure, err.to_string())
                })
            }
            Job::CheckMailbox(_) => match ops::mail_inbox::check(&self.db, &job.scope(), &self.mail_access).await {
                Ok(checked) => {
                    if let Some(imap) = checked.imap {
                        self.mail_watchers.ensure(&self.db, &job.scope(), imap, self.bell.clone());
                    }
                    Ok(format!("mailbox checked: {} taken in, {} passed over", checked.taken, checked.passed_over))
                }
                // Retried with backoff: a failed check queues no next one, its retry is the next.
                Err(err) => Err((Failure::Transient, format!("{err:?}"))),
            },
            Job::OwnerSummary(payload) => {
                let (scope, mail) = (job.scope(), self.account_mail.as_ref());
                match ops::owner_summary::send(&self.db, &scope, mail, &self.public_url, &payload.day).await {
                    Ok(ops::owner_summary::Summarized::Sent(n)) => Ok(format!("morning summary emailed to {n} owners")),
                    Ok(ops::owner_summary::Summarized::Quiet) => Ok("a quiet day: no summary".into()),
                    Ok(ops::owner_summary::Summarized::Nobody(why)) => Ok(format!("no summary email: {why}")),
                    Err(err) => Err((Failure::Transient, err.to_string())),
                }
            }
            Job::StripeEvent(payload) => ops::stripe::process(&self.db, &job.scope(), &payload.event_id)
                .await
                .map_err(|err| (Failure::Transient, format!("{err:?}"))),
            Job::ReconcileStripe(_) => match self.stripe.as_deref() {
                Some(stripe) => match ops::stripe::reconcile(&self.db, stripe, &job.scope()).await {
                    Ok(found) => Ok(format!(
                        "Stripe reconciled: {} sessions asked about, {} payments repaired, {} expired",
                        found.asked, found.repaired, found.expired
                    )),
                    Err(err) => Err((Failure::Transient, format!("{err:?}"))),
                },
                None => Ok("this Opsquad has no Stripe platform: nothing to reconcile".into()),
            },
            Job::SyncCalendarEvent(payload) => {
                use ops::calendars::{sync_event, Synced};
                let last = job.attempts >= job.max_attempts;
                match sync_event(&self.db, &job.scope(), &self.calendars, &payload.appointment_id, last).await {
                    Ok(Synced::Written) => Ok("visit written into the technician's calendar".into()),
                    Ok(Synced::Deleted) => Ok("visit taken out of the technician's calendar".into()),
                    Ok(Synced::Nothing(why)) => Ok(format!("calendar untouched: {why}")),
                    Ok(Synced::Refused(why)) => Ok(format!("the calendar refused (the owner was told): {why}")),
                    Err(err) => Err((Failure::Transient, err.to_string())),
                }
            }
            Job::CheckCalendars(_) => match ops::calendars::check(&self.db, &job.scope(), &self.calendars).await {
                Ok(checked) => Ok(format!(
                    "{} calendars read; {} visits found deleted from them",
                    checked.calendars, checked.missing
                )),
                Err(err) => Err((Failure::Transient, err.to_string())),
            },
            Job::AlertOwners(payload) => {
                let (scope, mail) = (job.scope(), self.account_mail.as_ref());
                match ops::owner_alerts::alert(&self.db, &scope, mail, &self.public_url, &payload.escalation_id).await {
                    Ok(ops::owner_alerts::Alerted::Sent(n)) => Ok(format!("{n} owners alerted by email")),
                    Ok(ops::owner_alerts::Alerted::Nobody(why)) => Ok(format!("no alert email: {why}")),
                    Err(err) => Err((Failure::Transient, err.to_string())),
                }
            }
        }
    }

    /// Applies due escalation timeouts, then runs every job that is due now; returns how many
    /// jobs ran.
    pub async fn drain(&self) -> Result<usize, store::StoreError> {
        let expired = ops::escalations::expire_due(&self.db).await?;
        if expired > 0 {
            tracing::info!(expired, "escalation timeouts applied");
        }
        let mut ran = 0;
        while let Some(job) = jobs::claim(&self.db, self.shift.lease_ms, &self.shift.instance).await? {
            self.handle(&job).await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// Works the queue until the process stops, with `shift.concurrency` jobs at a time.
    pub async fn run(self, poll: Duration) {
        let lanes = (0..self.shift.concurrency.max(1)).map(|_| self.clone().lane(poll));
        futures::future::join_all(lanes).await;
    }

    /// Polls for work until the process stops. Database hiccups are logged and retried.
    async fn lane(self, poll: Duration) {
        loop {
            match self.drain().await {
                Ok(_) => {
                    tokio::select! {
                        () = tokio::time::sleep(poll) => {}
                        () = self.bell.rung() => {}
                    }
                }
                Err(err) => {
                    tracing::error!(error = ?err, "the worker could not reach the job queue");
                    tokio::time::sleep(poll * 10).await;
                }
            }
        }
    }
}
