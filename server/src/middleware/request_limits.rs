//! What one request may cost, decided here before any handler runs. Its headers may add up to
//! `header_bytes` (431 past it). Its body is read once against a deliberate limit: small for the
//! site's forms and server functions, larger for the REST API; past the limit the answer is 413,
//! and a body that trickles in slower than the time allowed is 408. Handlers then see a body
//! already in memory, so no extractor's own limit (or lack of one) decides the answer.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api::ApiError;
use crate::config::RequestLimits;

pub async fn enforce(State(limits): State<RequestLimits>, request: Request, next: Next) -> Response {
    let header_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if header_bytes > limits.header_bytes {
        return ApiError::HeadersTooLarge { limit: limits.header_bytes }.into_response();
    }
    let limit =
        if request.uri().path().starts_with("/api/v1/") { limits.api_body_bytes } else { limits.form_body_bytes };
    let declared = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return ApiError::TooLarge { limit }.into_response();
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(Duration::from_secs(limits.body_seconds), axum::body::to_bytes(body, limit));
    match read.await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(err)) if past_limit(&err) => ApiError::TooLarge { limit }.into_response(),
        Ok(Err(err)) => ApiError::BadRequest(format!("the request body could not be read: {err}")).into_response(),
        Err(_) => ApiError::SlowBody.into_response(),
    }
}

fn past_limit(err: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        cause = e.source();
    }
    false
}
