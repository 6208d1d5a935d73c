//! Keeps the job worker alive: runs it as a task, and when the task ends — a panic, an abort, or a
//! return that should never happen — logs why, counts it in `/metrics`, marks the instance
//! unready, waits (doubling on quick deaths, up to a minute) and starts it again.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::state::{WorkerHealth, WorkerState};
use tokio::task::AbortHandle;

const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A worker that ran this long before dying starts the backoff over.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// A handle on the supervised task, for operators' tooling and tests: `kill` ends the current
/// worker task as a crash would.
#[derive(Clone, Debug, Default)]
pub struct WorkerControl(Arc<Mutex<Option<AbortHandle>>>);

impl WorkerControl {
    /// Aborts the running worker task; returns whether one was running.
    pub fn kill(&self) -> bool {
        let current = self.0.lock().map(|mut slot| slot.take()).unwrap_or_default();
        current.map(|task| task.abort()).is_some()
    }

    fn set(&self, task: Option<AbortHandle>) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = task;
        }
    }
}

/// Why a supervised task ended, in words for the log.
fn cause(result: Result<(), tokio::task::JoinError>) -> String {
    match result {
        Ok(()) => "the worker loop returned".to_owned(),
        Err(err) if err.is_cancelled() => "the worker task was aborted".to_owned(),
        Err(err) => match err.try_into_panic() {
            Ok(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                format!("panicked: {message}")
            }
            Err(err) => format!("failed: {err}"),
        },
    }
}

/// Runs `start()` as a task forever, restarting it after it dies.
pub async fn supervise<F, Fut>(health: WorkerHealth, control: WorkerControl, first_backoff: Duration, start: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let first_backoff = first_backoff.max(Duration::from_millis(10));
    let mut backoff = first_backoff;
    loop {
        let task = tokio::spawn(start());
        control.set(Some(task.abort_handle()));
        health.set(WorkerState::Running);
        metrics::gauge!("opsquad_worker_running").set(1.0);
        let started = Instant::now();
        let ended = task.await;
        control.set(None);
        health.set(WorkerState::Restarting);
        metrics::gauge!("opsquad_worker_running").set(0.0);
        metrics::counter!("opsquad_worker_deaths_total").increment(1);
        if started.elapsed() >= HEALTHY_RUN {
            backoff = first_backoff;
        }
        tracing::error!(cause = %cause(ended), restart_in_ms = backoff.as_millis() as u64, "the job worker died; restarting it");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_panicking_worker_is_restarted_and_marked_unready_meanwhile() {
        let health = WorkerHealth::new(WorkerState::Disabled);
        let control = WorkerControl::default();
        let starts = Arc::new(AtomicUsize::new(0));
        let counted = starts.clone();
        let supervisor =
            tokio::spawn(supervise(health.clone(), control.clone(), Duration::from_millis(200), move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        panic!("the first run dies");
                    }
                    std::future::pending::<()>().await;
                }
            }));
        let mut saw_restarting = false;
        for _ in 0..200 {
            saw_restarting |= health.get() == WorkerState::Restarting;
            if starts.load(Ordering::SeqCst) >= 2 && health.get() == WorkerState::Running {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(saw_restarting, "unready while waiting to restart");
        assert_eq!(starts.load(Ordering::SeqCst), 2, "started again after the panic");
        assert_eq!(health.get(), WorkerState::Running);
        assert!(control.kill(), "the restarted task can be killed too");
        supervisor.abort();
    }

    #[test]
    fn a_death_is_explained() {
        assert_eq!(cause(Ok(())), "the worker loop returned");
    }
}
