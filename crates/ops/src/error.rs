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
    /// Several inputs are wrong at once, each `(field, message)`, in the input's order.
    #[error("{} inputs are wrong", .0.len())]
    Invalid(Vec<(String, String)>),
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

    /// Every problem collected while checking an input: `Ok` when none, one as a plain
    /// validation error, more as [`OpsError::Invalid`].
    pub fn from_problems(mut problems: Vec<(String, String)>) -> Result<(), Self> {
        match problems.len() {
            0 => Ok(()),
            1 => {
                let (field, message) = problems.remove(0);
                Err(Self::Validation { field, message })
            }
            _ => Err(Self::Invalid(problems)),
        }
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
