//! Prometheus metrics: request counts and latencies per route template (never per raw path, so
//! ids and tenant data never become label values).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder (a recorder is global by nature), installed on first use.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|()| handle)
        })
        .as_ref()
}

pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`. With a token configured, only a caller presenting it as a bearer token reads
/// the metrics; the comparison is of SHA-256 digests, so its timing says nothing about the token.
pub async fn render(headers: http::HeaderMap, token: Option<secrecy::SecretString>) -> Response {
    use secrecy::ExposeSecret;
    if let Some(token) = token {
        let presented = crate::api::bearer(&headers).unwrap_or_default();
        if auth::api_key::hash(presented) != auth::api_key::hash(token.expose_secret()) {
            return crate::api::ApiError::Unauthenticated.into_response();
        }
    }
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}
