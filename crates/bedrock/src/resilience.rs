//! Retries with exponential backoff and full jitter for transient failures, and a circuit
//! breaker per model so a failing endpoint is left alone for a while and runs escalate instead
//! of queueing behind it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls per model before moving on to the fallback (the first call included).
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 3, base_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

impl RetryPolicy {
    /// The ceiling before retry number `retry` (0 for the first retry): base × 2^retry, capped.
    pub fn ceiling(&self, retry: u32) -> Duration {
        self.base_delay.saturating_mul(2_u32.saturating_pow(retry.min(16))).min(self.max_delay)
    }

    /// A random wait in [0, ceiling]: "full jitter", so many runs throttled at once spread out.
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive transient failures that open the circuit.
    pub failures_to_open: u32,
    /// How long an open circuit refuses calls before letting one through to test the model.
    pub open_for: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self { failures_to_open: 5, open_for: Duration::from_secs(30) }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

/// One circuit per model id.
#[derive(Debug, Default)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    models: Mutex<HashMap<String, State>>,
}

impl CircuitBreaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Self { policy, models: Mutex::new(HashMap::new()) }
    }

    fn with<T>(&self, model: &str, f: impl FnOnce(&mut State) -> T) -> T {
        let mut models = self.models.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(models.entry(model.to_owned()).or_default())
    }

    /// Whether a call to `model` may go out now. After the open period one call is let through;
    /// its outcome closes the circuit or opens it again.
    pub fn allows(&self, model: &str, now: Instant) -> bool {
        self.with(model, |s| s.open_until.is_none_or(|until| now >= until))
    }

    pub fn succeeded(&self, model: &str) {
        self.with(model, |s| *s = State::default());
    }

    /// Records a transient failure; returns whether the circuit is now open.
    pub fn failed(&self, model: &str, now: Instant) -> bool {
        let policy = self.policy;
        self.with(model, |s| {
            s.consecutive_failures += 1;
            if s.consecutive_failures >= policy.failures_to_open {
                s.open_until = Some(now + policy.open_for);
                true
            } else {
                false
            }
        })
    }
}

/// How a failed call should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Throttling, 5xx, timeouts, a dropped connection: retry, then fall back.
    Transient,
    /// Validation, access denied, an unknown model: the same request will fail again.
    Deterministic,
}

/// Classifies a Bedrock error by its code, falling back to the HTTP status when the peer sent
/// no code.
pub fn classify(code: Option<&str>, status: Option<u16>) -> Failure {
    const TRANSIENT: &[&str] = &[
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerException",
        "ModelTimeoutException",
        "ModelNotReadyException",
        "ServiceQuotaExceededException",
        "ModelStreamErrorException",
    ];
    match (code, status) {
        (Some(code), _) if TRANSIENT.contains(&code) => Failure::Transient,
        (Some(_), Some(429 | 500..=599)) => Failure::Transient,
        (Some(_), _) => Failure::Deterministic,
        (None, Some(408 | 429 | 500..=599) | None) => Failure::Transient,
        (None, Some(_)) => Failure::Deterministic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_under_it() {
        let policy =
            RetryPolicy { attempts: 5, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
        assert_eq!(policy.ceiling(0), Duration::from_millis(100));
        assert_eq!(policy.ceiling(2), Duration::from_millis(400));
        assert_eq!(policy.ceiling(10), Duration::from_secs(1));
        for retry in 0..6 {
            assert!(policy.delay(retry) <= policy.ceiling(retry));
        }
    }

    #[test]
    fn the_breaker_opens_after_repeated_failures_and_tests_the_model_after_a_while() {
        let breaker = CircuitBreaker::new(BreakerPolicy { failures_to_open: 2, open_for: Duration::from_secs(10) });
        let now = Instant::now();
        assert!(breaker.allows("m", now));
        assert!(!breaker.failed("m", now));
        assert!(breaker.failed("m", now), "the second failure opens it");
        assert!(!breaker.allows("m", now + Duration::from_secs(5)));
        assert!(breaker.allows("other", now), "one circuit per model");
        assert!(breaker.allows("m", now + Duration::from_secs(10)), "half-open: one call goes through");
        breaker.succeeded("m");
        assert!(breaker.allows("m", now + Duration::from_secs(10)));
    }

    #[test]
    fn throttling_and_server_errors_are_transient_validation_is_not() {
        assert_eq!(classify(Some("ThrottlingException"), Some(429)), Failure::Transient);
        assert_eq!(classify(Some("ValidationException"), Some(400)), Failure::Deterministic);
        assert_eq!(classify(Some("AccessDeniedException"), Some(403)), Failure::Deterministic);
        assert_eq!(classify(None, Some(503)), Failure::Transient);
        assert_eq!(classify(None, Some(400)), Failure::Deterministic);
        assert_eq!(classify(None, None), Failure::Transient, "no answer at all: a network failure");
    }
}
