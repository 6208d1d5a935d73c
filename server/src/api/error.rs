use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use serde_json::json;

/// Every API failure, with a stable machine-readable `code`. Bodies never carry internal causes:
/// those are logged here, once, inside the request's span.
#[derive(thiserror::Error)]
pub enum ApiError {
    #[error("a valid API key or access token is required")]
    Unauthenticated,
    #[error("this credential cannot do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Validation { field: Option<String>, message: String },
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("send the body as JSON with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("the request body is larger than the {limit} bytes this address accepts")]
    TooLarge { limit: usize },
    #[error("the request body arrived too slowly")]
    SlowBody,
    #[error("the request's headers are larger than the {limit} bytes this server accepts")]
    HeadersTooLarge { limit: usize },
    #[error("{what}; try again in {retry_after_seconds} seconds")]
    RateLimited { what: &'static str, retry_after_seconds: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: &str, message: impl std::fmt::Display) -> Self {
        Self::Validation { field: Some(field.to_owned()), message: message.to_string() }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation"),
            Self::Conflict { .. } => (StatusCode::CONFLICT, "conflict"),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::SlowBody => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            Self::HeadersTooLarge { .. } => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        store::error_chain_fmt(self, f)
    }
}

impl From<store::StoreError> for ApiError {
    fn from(err: store::StoreError) -> Self {
        Self::internal(err)
    }
}

impl From<ops::OpsError> for ApiError {
    fn from(err: ops::OpsError) -> Self {
        use ops::OpsError;
        match err {
            OpsError::Forbidden => Self::Forbidden,
            OpsError::NotFound => Self::NotFound,
            OpsError::Validation { field, message } => Self::Validation { field: Some(field), message },
            // The API answers one field at a time: the first, as its error shape has always been.
            OpsError::Invalid(mut problems) if !problems.is_empty() => {
                let (field, message) = problems.remove(0);
                Self::Validation { field: Some(field), message }
            }
            OpsError::Invalid(_) => Self::Validation { field: None, message: "the input is invalid".into() },
            OpsError::Conflict { field, message } => Self::Conflict { field, message },
            OpsError::Store(cause) => Self::internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut error = json!({ "code": code, "message": self.to_string() });
        if let Self::Validation { field: Some(field), .. } | Self::Conflict { field: Some(field), .. } = &self {
            error["field"] = json!(field);
        }
        let mut response = (status, axum::Json(json!({ "error": error }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let Self::RateLimited { retry_after_seconds, .. } = self {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after_seconds));
        }
        response
    }
}
