//! The error type every server function returns. It travels to the browser, so it carries only
//! words meant for the shop owner, never internal causes (those are logged on the server).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UiError {
    /// A form field is wrong; `field` is the input's name so the page can show it next to it.
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{message}")]
    Conflict { field: String, message: String },
    /// Several form fields are wrong at once, each with its message.
    #[error("Fix the fields marked below.")]
    Fields { problems: Vec<FieldProblem> },
    #[error("The email or password is wrong.")]
    InvalidCredentials,
    #[error("Please log in to continue.")]
    Unauthenticated,
    #[error("Your role doesn't allow this. Ask the account owner.")]
    Forbidden,
    #[error("We couldn't find that. It may have been removed.")]
    NotFound,
    #[error("Too many attempts. Please try again in {}.", wait(*retry_after_seconds))]
    RateLimited { retry_after_seconds: u64 },
    #[error("We couldn't reach Opsquad. Check your connection and try again.")]
    Network,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
}

/// One field's problem in a [`UiError::Fields`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// Collects every field problem of a form before giving up, so the person sees them all at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    /// The value, or `None` with its field problem noted; an error that is not about a field is
    /// returned at once.
    pub fn check<T>(&mut self, result: Result<T, UiError>) -> Result<Option<T>, UiError> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(UiError::Validation { field, message } | UiError::Conflict { field, message }) if !field.is_empty() => {
                self.0.push(FieldProblem { field, message });
                Ok(None)
            }
            Err(UiError::Fields { problems }) => {
                self.0.extend(problems);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    /// Notes a problem found without a `Result`.
    pub fn note(&mut self, field: &str, message: impl std::fmt::Display) {
        self.0.push(FieldProblem { field: field.to_owned(), message: message.to_string() });
    }

    /// Every problem noted, as one error; `Ok` when there were none.
    pub fn finish(self) -> Result<(), UiError> {
        match self.0.len() {
            0 => Ok(()),
            1 => {
                let FieldProblem { field, message } = self.0.into_iter().next().unwrap_or_else(|| unreachable!());
                Err(UiError::Validation { field, message })
            }
            _ => Err(UiError::Fields { problems: self.0 }),
        }
    }
}

/// How long to wait, in words: "a minute", "5 minutes", "2 hours".
fn wait(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        0 | 1 => "a minute".to_owned(),
        minutes @ 2..=90 => format!("{minutes} minutes"),
        minutes => format!("{} hours", minutes.div_ceil(60)),
    }
}

impl UiError {
    /// Refused by a throttle until its window ends.
    #[cfg(feature = "ssr")]
    pub fn rate_limited(retry: auth::throttle::RetryAfter) -> Self {
        Self::RateLimited { retry_after_seconds: retry.seconds() }
    }

    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::Validation { field: field.to_owned(), message: message.to_string() }
    }

    /// The message to show beside `field`, if this error is about it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { field: f, message } | Self::Conflict { field: f, message } if f == field => {
                Some(message.clone())
            }
            Self::Fields { problems } => problems.iter().find(|p| p.field == field).map(|p| p.message.clone()),
            _ => None,
        }
    }

    /// Whether the page should show this error as a banner rather than beside a field.
    pub fn is_general(&self) -> bool {
        !matches!(self, Self::Validation { .. } | Self::Conflict { .. } | Self::Fields { .. })
    }
}

#[cfg(feature = "ssr")]
impl UiError {
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::Validation { .. } | Self::Fields { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::InvalidCredentials | Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Network | Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Network,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => Self::Validation {
                field: String::new(),
                message: "The form was incomplete. Reload the page and try again.".to_owned(),
            },
            _ => Self::Internal,
        };
        // On the server a request whose form could not be read never reaches the function (and
        // its `respond`): give it the status its error deserves here instead of a bare 500.
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(error.status());
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_a_stable_code_and_no_cause() {
        let json = serde_json::to_string(&UiError::Internal).unwrap();
        assert_eq!(json, r#"{"code":"internal"}"#);
        let v = UiError::validation("email", "enter an email address");
        assert_eq!(v.for_field("email").as_deref(), Some("enter an email address"));
        assert_eq!(v.for_field("password"), None);
        assert!(!v.is_general());
    }

    #[test]
    fn a_form_reports_every_field_problem_at_once() {
        let mut problems = Problems::default();
        assert_eq!(problems.check(Ok::<_, UiError>(1)).unwrap(), Some(1));
        assert_eq!(problems.check(Err::<(), _>(UiError::validation("email", "enter an email"))).unwrap(), None);
        assert_eq!(problems.check(Err::<(), _>(UiError::validation("password", "too short"))).unwrap(), None);
        assert_eq!(problems.check(Err::<(), _>(UiError::Internal)), Err(UiError::Internal), "not about a field");
        let err = problems.finish().unwrap_err();
        assert_eq!(
            (err.for_field("email").as_deref(), err.for_field("password").as_deref()),
            (Some("enter an email"), Some("too short"))
        );
        assert!(!err.is_general());
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["code"], "fields");
        assert_eq!(Problems::default().finish(), Ok(()));
    }

    #[test]
    fn a_wait_reads_in_minutes_or_hours() {
        let says = |seconds| UiError::RateLimited { retry_after_seconds: seconds }.to_string();
        assert_eq!(says(40), "Too many attempts. Please try again in a minute.");
        assert_eq!(says(61), "Too many attempts. Please try again in 2 minutes.");
        assert_eq!(says(3600), "Too many attempts. Please try again in 60 minutes.");
        assert_eq!(says(3 * 3600), "Too many attempts. Please try again in 3 hours.");
    }
}
