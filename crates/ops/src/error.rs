use domain::catalog::FieldError;
use store::StoreError;

/// Why an operation did not happen. The adapters map each variant to their own error shape; only
/// `Store` carries an internal cause, which they log and never show.
#[derive(thiserror::Error)]
pub enum OpsError {
    #[error("this role cannot do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// An input is wrong; `field` names it as the operation's input calls it.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// The request is fine but the state forbids it (already decided, a duplicate name, …).
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("database error")]
    Store(#[from] StoreError),
}

impl OpsError {
    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::Validation { field: field.to_owned(), message: message.to_string() }
    }

    pub fn conflict(message: impl std::fmt::Display) -> Self {
        Self::Conflict { field: None, message: message.to_string() }
    }

    pub fn conflict_on(field: &str, message: impl std::fmt::Display) -> Self {
        Self::Conflict { field: Some(field.to_owned()), message: message.to_string() }
    }
}

impl From<FieldError> for OpsError {
    fn from(err: FieldError) -> Self {
        Self::Validation { field: err.field, message: err.message }
    }
}

impl std::fmt::Debug for OpsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        store::error_chain_fmt(self, f)
    }
}
