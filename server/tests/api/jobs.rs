//! The job queue on both backends: outbox enqueue, idempotency, claiming under concurrency,
//! retries with backoff, the dead state and expired leases.

use std::collections::HashSet;

use domain::jobs::{Job, JobState, SendReminder};
use store::jobs::{self, Failure, NewJob};
use store::{now_ms, TenantScope, TenantTx};

use crate::helpers::{Org, TestApp};
use crate::on_both_backends;

on_both_backends!(
    jobs_are_enqueued_with_the_business_write_or_not_at_all,
    concurrent_workers_never_claim_the_same_job,
    failures_retry_with_backoff_then_die,
    a_dead_worker_s_job_is_claimed_again_after_its_lease,
    an_unreadable_job_row_goes_dead_naming_its_id,
);

fn scope(org: &Org) -> TenantScope {
    store::Operator::new("test").act_for(org.id, None, domain::Role::Staff)
}

fn job(key: &str) -> NewJob {
    NewJob {
        job: Job::SendReminder(SendReminder { appointment_id: key.into(), minutes_before: 60 }),
        run_at: None,
        max_attempts: 3,
        idempotency_key: key.into(),
    }
}

async fn jobs_are_enqueued_with_the_business_write_or_not_at_all(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    jobs::enqueue(&mut tx, &job("rolled-back")).await.unwrap();
    drop(tx);
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs").await, 0, "a rolled-back write leaves no job");

    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    let first = jobs::enqueue(&mut tx, &job("once")).await.unwrap();
    let second = jobs::enqueue(&mut tx, &job("once")).await.unwrap();
    let mut later = job("later");
    later.run_at = Some(now_ms() + 3_600_000);
    jobs::enqueue(&mut tx, &later).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first, second, "the same idempotency key yields the same job");

    let claimed = jobs::claim(&app.db, 30_000, "test").await.unwrap().expect("a due job");
    assert_eq!(claimed.id, first);
    assert_eq!(claimed.org_id, org.id);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.job, job("once").job, "the job comes back as it was enqueued");
    assert!(jobs::claim(&app.db, 30_000, "test").await.unwrap().is_none(), "the other job is not due yet");
    jobs::complete(&app.db, &claimed).await.unwrap();
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE status = 'done'").await, 1);
}

async fn concurrent_workers_never_claim_the_same_job(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    for n in 0..40 {
        jobs::enqueue(&mut tx, &job(&format!("job-{n}"))).await.unwrap();
    }
    tx.commit().await.unwrap();

    let workers = (0..4).map(|_| {
        let db = app.db.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = jobs::claim(&db, 30_000, "test").await.unwrap() {
                jobs::complete(&db, &job).await.unwrap();
                mine.push(job.id);
            }
            mine
        })
    });
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 40, "every job ran");
    assert_eq!(unique.len(), 40, "no job ran twice");
}

async fn failures_retry_with_backoff_then_die(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    jobs::enqueue(&mut tx, &job("flaky")).await.unwrap();
    jobs::enqueue(&mut tx, &job("broken")).await.unwrap();
    tx.commit().await.unwrap();

    let first = jobs::claim(&app.db, 30_000, "test").await.unwrap().unwrap();
    let second = jobs::claim(&app.db, 30_000, "test").await.unwrap().unwrap();
    let (flaky, broken) = if first.idempotency_key == "flaky" { (first, second) } else { (second, first) };
    jobs::fail(&app.db, &broken, Failure::Permanent, "the request was refused").await.unwrap();
    jobs::fail(&app.db, &flaky, Failure::Transient, "timed out").await.unwrap();

    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    let rows = jobs::list(&mut tx, 10).await.unwrap();
    tx.commit().await.unwrap();
    let broken_row = rows.iter().find(|r| r.id == broken.id).unwrap();
    assert_eq!(broken_row.status, JobState::Dead);
    assert_eq!(broken_row.last_error.as_deref(), Some("the request was refused"));
    let flaky_row = rows.iter().find(|r| r.id == flaky.id).unwrap();
    assert_eq!(flaky_row.status, JobState::Queued);
    assert!(flaky_row.run_at >= now_ms() + 1_500, "retried later, not at once");
    assert!(jobs::claim(&app.db, 30_000, "test").await.unwrap().is_none(), "not due during its backoff");

    // Make it due, then exhaust its attempts.
    for attempt in 2..=3 {
        app.admin_execute(&format!("UPDATE jobs SET run_at = 0 WHERE id = '{}'", flaky.id)).await;
        let again = jobs::claim(&app.db, 30_000, "test").await.unwrap().unwrap();
        assert_eq!(again.attempts, attempt);
        jobs::fail(&app.db, &again, Failure::Transient, "timed out again").await.unwrap();
    }
    assert_eq!(
        app.admin_count(&format!("SELECT COUNT(*) FROM jobs WHERE id = '{}' AND status = 'dead'", flaky.id)).await,
        1
    );
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs").await, 2, "failed jobs are kept, never deleted");
}

async fn a_dead_worker_s_job_is_claimed_again_after_its_lease(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    jobs::enqueue(&mut tx, &job("crashy")).await.unwrap();
    tx.commit().await.unwrap();

    let first = jobs::claim(&app.db, 60_000, "test").await.unwrap().unwrap();
    assert!(jobs::claim(&app.db, 60_000, "test").await.unwrap().is_none(), "leased to the first worker");
    // The worker dies without a word; its lease runs out.
    app.admin_execute(&format!("UPDATE jobs SET locked_until = 1 WHERE id = '{}'", first.id)).await;
    let retaken = jobs::claim(&app.db, 60_000, "test").await.unwrap().expect("claimed again");
    assert_eq!(retaken.id, first.id);
    assert_eq!(retaken.attempts, 2);

    // On its last attempt the lease runs out again: it goes dead instead of looping forever.
    app.admin_execute(&format!("UPDATE jobs SET attempts = 3, locked_until = 1 WHERE id = '{}'", first.id)).await;
    assert!(jobs::claim(&app.db, 60_000, "test").await.unwrap().is_none());
    assert_eq!(app.admin_count("SELECT COUNT(*) FROM jobs WHERE status = 'dead'").await, 1);
}

async fn an_unreadable_job_row_goes_dead_naming_its_id(app: TestApp) {
    let org = app.create_org("Acme Heating").await;
    let mut tx = TenantTx::begin(&app.db, &scope(&org)).await.unwrap();
    let unknown = jobs::enqueue(&mut tx, &job("unknown-kind")).await.unwrap();
    let malformed = jobs::enqueue(&mut tx, &job("malformed")).await.unwrap();
    let fine = jobs::enqueue(&mut tx, &job("fine")).await.unwrap();
    tx.commit().await.unwrap();
    app.admin_execute(&format!("UPDATE jobs SET kind = 'launch_rocket' WHERE id = '{unknown}'")).await;
    app.admin_execute(&format!("UPDATE jobs SET payload = '{{\"appointment\": 1}}' WHERE id = '{malformed}'")).await;

    let claimed = jobs::claim(&app.db, 30_000, "test").await.unwrap().expect("the readable job");
    assert_eq!(claimed.id, fine, "unreadable rows are set aside, never run with defaults");
    for id in [&unknown, &malformed] {
        let sql = format!("SELECT COUNT(*) FROM jobs WHERE id = '{id}' AND status = 'dead' AND last_error LIKE 'unreadable job {id}:%'");
        assert_eq!(app.admin_count(&sql).await, 1, "{id} is dead and its error names it");
    }
}
