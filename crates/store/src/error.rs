use std::fmt;

/// What went wrong in the data layer. Callers match on the variants they can act on
/// (`Conflict`, `NotFound`); everything else is an internal error with its cause chain kept.
#[derive(thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("the record conflicts with an existing one ({constraint})")]
    Conflict { constraint: String },
    #[error("a stored value is corrupt: {0}")]
    Corrupt(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("could not create the database folder {path}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The job's lease ran out and another attempt took it over: this one must stop writing.
    #[error("job {job_id} was taken over by a later attempt after attempt {attempt}'s lease ran out")]
    LeaseLost { job_id: String, attempt: i64 },
    #[error("could not apply database migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            // Unique/exclusion violations are the caller's business ("that email is taken",
            // "that slot is taken"); report them as conflicts with the constraint's name.
            let code = db.code().unwrap_or_default();
            let message = db.message();
            let is_conflict = matches!(code.as_ref(), "23505" | "23P01" | "2067" | "1555")
                || message.contains("UNIQUE constraint failed")
                || message.contains("appointments_no_overlap");
            if is_conflict {
                let constraint = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| message.trim_start_matches("UNIQUE constraint failed: ").to_owned());
                return Self::Conflict { constraint };
            }
        }
        Self::Database(err)
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        error_chain_fmt(self, f)
    }
}

/// Writes an error and every `source()` beneath it, one per line: the `Debug` our error types
/// use so that logs show the whole cause chain.
pub fn error_chain_fmt(err: &dyn std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{err}")?;
    let mut source = err.source();
    while let Some(cause) = source {
        writeln!(f, "Caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}
