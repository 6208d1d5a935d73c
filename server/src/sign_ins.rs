//! Signing in with another service from the dashboard (Google for Gmail and technicians'
//! calendars, Stripe for card payments): what is kept in the owner's session while they are on the
//! service's pages, the checks the service's answer must pass — this session's `state`, this org,
//! used once, within ten minutes — and what became of it, left in the session for the page the
//! owner returns to.

use std::future::Future;

use auth::context::AuthCtx;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_sessions::Session;

/// How long the owner has to finish on the service's pages.
const SIGN_IN_FOR_MS: i64 = 10 * 60 * 1000;

/// A service the owner signs in with, as their pages name it.
pub(crate) struct Service {
    /// "Google", "Stripe": whose pages the owner was on.
    pub provider: &'static str,
    /// "Gmail", "the calendar", "Stripe": what they connect again if this one failed.
    pub connects: &'static str,
    /// Where the sign-in in progress is kept in the session.
    pub key: &'static str,
    /// Where what became of it is left, for the page the owner returns to.
    pub outcome_key: &'static str,
}

impl Service {
    /// Leaves what became of a sign-in (`Ok(account)` or the problem, in words) in the owner's
    /// session, for the page they return to.
    pub async fn tell(&self, session: &Session, outcome: Result<String, String>) {
        let at = store::now_ms();
        let value = match outcome {
            Ok(account) => json!({ "connected": account, "at": at }),
            Err(problem) => json!({ "problem": problem, "at": at }),
        };
        if let Err(e) = session.insert(self.outcome_key, value).await {
            tracing::warn!(error = %e, provider = self.provider, "could not keep a sign-in's outcome in the session");
        }
    }

    /// The service's answer came back: the sign-in in progress is used up whatever it says,
    /// `finish` connects what it brought, and the owner returns to the page they started from,
    /// which shows the outcome.
    pub async fn come_back<T, F, Fut>(&self, session: &Session, finish: F) -> Response
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(SignIn<T>) -> Fut,
        Fut: Future<Output = Result<String, String>>,
    {
        let sign_in = match SignIn::<T>::take(session, self).await {
            Ok(sign_in) => sign_in,
            Err(problem) => {
                self.tell(session, Err(problem)).await;
                return Redirect::to(back_to(None)).into_response();
            }
        };
        let back = sign_in.back_to.clone();
        let outcome = finish(sign_in).await;
        if let Err(problem) = &outcome {
            tracing::info!(provider = self.provider, %problem, "a sign-in did not connect");
        }
        self.tell(session, outcome).await;
        Redirect::to(&back).into_response()
    }
}

/// `?from=` on a connect link: the dashboard page the owner started from.
#[derive(Deserialize)]
pub struct ConnectQuery {
    #[serde(default)]
    pub(crate) from: Option<String>,
}

/// The dashboard page an owner started from: the setup wizard or Settings.
pub(crate) fn back_to(from: Option<&str>) -> &'static str {
    match from {
        Some("setup") => "/app/setup",
        _ => "/app/settings",
    }
}

/// A sign-in in progress, with what else the service's answer needs (`more`).
#[derive(Serialize, Deserialize)]
pub(crate) struct SignIn<T> {
    pub state: String,
    org_id: String,
    started_at: i64,
    /// The page the owner started from, to return to.
    pub back_to: String,
    #[serde(flatten)]
    pub more: T,
}

impl<T: Serialize + DeserializeOwned> SignIn<T> {
    /// A fresh sign-in for the signed-in owner, with a new random `state`.
    pub fn new(ctx: &AuthCtx, back_to: &str, more: T) -> Self {
        Self {
            state: integrations::gmail::random_token(),
            org_id: ctx.scope.org_id().to_string(),
            started_at: store::now_ms(),
            back_to: back_to.to_owned(),
            more,
        }
    }

    /// Keeps the sign-in in the session; a 503 for the browser when the session cannot hold it.
    pub async fn keep(&self, session: &Session, service: &Service) -> Result<(), Response> {
        session.insert(service.key, self).await.map_err(|e| {
            tracing::error!(error = %e, provider = service.provider, "could not keep a sign-in in the session");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        })
    }

    /// The sign-in in progress, used up whatever the answer turns out to be; the problem in words
    /// when there is none.
    async fn take(session: &Session, service: &Service) -> Result<Self, String> {
        let sign_in: Option<Self> = session.remove(service.key).await.ok().flatten();
        sign_in.ok_or_else(|| {
            format!(
                "That {} sign-in was not started here, or was already used; connect {} again.",
                service.provider, service.connects
            )
        })
    }

    /// Whether the service's answer, carrying `given_state`, belongs to this sign-in by this org and
    /// came in time; the problem in words otherwise.
    pub fn answered(&self, ctx: &AuthCtx, given_state: Option<&str>, service: &Service) -> Result<(), String> {
        if !same(given_state.unwrap_or_default(), &self.state) || self.org_id != ctx.scope.org_id().to_string() {
            return Err(format!(
                "That answer from {} does not belong to this sign-in; connect {} again.",
                service.provider, service.connects
            ));
        }
        if store::now_ms() - self.started_at > SIGN_IN_FOR_MS {
            return Err(format!(
                "The {} sign-in took more than ten minutes; connect {} again.",
                service.provider, service.connects
            ));
        }
        Ok(())
    }
}

/// Compares in constant time.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn states_compare_whole() {
        assert!(super::same("abc", "abc"));
        assert!(!super::same("abc", "abd") && !super::same("abc", "ab") && !super::same("", "a"));
    }
}
