//! Logging: JSON lines in production, readable lines locally; filter from config or `RUST_LOG`.
//! Traces: when `telemetry.otlp_endpoint` names a collector, every span (a request, a job, a run's
//! model and tool calls) is also sent there over OTLP/HTTP, in batches, off the request path.

use std::time::Duration;

use std::collections::HashMap;

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing::subscriber::set_global_default;
use tracing::Subscriber;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{layer::SubscriberExt, EnvFilter, Registry};

use crate::config::LogFormat;

pub fn get_subscriber<W>(
    filter: &str,
    format: LogFormat,
    sink: W,
    traces: Option<&Traces>,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let exported = traces.map(|t| tracing_opentelemetry::layer().with_tracer(t.provider.tracer("opsquad")));
    let registry = Registry::default().with(filter).with(exported);
    match format {
        LogFormat::Json => Box::new(registry.with(
            tracing_subscriber::fmt::layer().json().flatten_event(true).with_current_span(true).with_writer(sink),
        )),
        LogFormat::Pretty => Box::new(registry.with(tracing_subscriber::fmt::layer().compact().with_writer(sink))),
    }
}

/// Installs the subscriber for the whole process. A second call is ignored (tests call it once per app).
pub fn init_subscriber(subscriber: Box<dyn Subscriber + Send + Sync>) {
    let _ = set_global_default(subscriber);
}

#[derive(Debug, thiserror::Error)]
pub enum TracesError {
    #[error("telemetry.otlp_endpoint must be an http:// or https:// address, not `{0}`")]
    Endpoint(String),
    #[error("could not set up the OTLP exporter")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// Spans on their way to an OpenTelemetry collector.
pub struct Traces {
    provider: SdkTracerProvider,
}

impl Traces {
    /// Exports to the collector at `endpoint` (its OTLP/HTTP base address; spans go to
    /// `/v1/traces` under it), naming this process `instance`. Call inside the tokio runtime:
    /// the exports are sent on it.
    pub fn start(endpoint: &str, instance: &str) -> Result<Self, TracesError> {
        let url = traces_url(endpoint)?;
        let client = OnTokio { client: reqwest::Client::new(), runtime: tokio::runtime::Handle::current() };
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(url)
            .with_timeout(Duration::from_secs(10))
            .with_http_client(client)
            .build()?;
        let resource = Resource::builder()
            .with_service_name("opsquad")
            .with_attributes([
                KeyValue::new("service.instance.id", instance.to_owned()),
                KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            ])
            .build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        Ok(Self { provider })
    }

    /// Sends what is not sent yet and stops. Blocks: call from a blocking thread.
    pub fn shutdown(&self) {
        if let Err(err) = self.provider.shutdown() {
            eprintln!("opsquad: the last spans could not be sent to the collector: {err}");
        }
    }
}

/// The W3C `traceparent` of the span being recorded now, when traces are exported: a job queued
/// here keeps it, so its run continues this trace wherever it runs.
pub fn current_traceparent() -> Option<String> {
    let mut carrier = HashMap::new();
    TraceContextPropagator::new().inject_context(&tracing::Span::current().context(), &mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` continue the trace `traceparent` names (where its job was queued, perhaps on
/// another instance). A malformed value starts a trace of its own instead.
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
    let _ = span.set_parent(TraceContextPropagator::new().extract(&carrier));
}

/// The collector's traces address from its base address (or the traces address itself).
fn traces_url(endpoint: &str) -> Result<String, TracesError> {
    let base = endpoint.trim().trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() <= "https://".len() {
        return Err(TracesError::Endpoint(endpoint.to_owned()));
    }
    Ok(if base.ends_with("/v1/traces") { base.to_owned() } else { format!("{base}/v1/traces") })
}

/// The exporter sends from its own thread, which has no tokio runtime; the request runs on ours.
#[derive(Debug)]
struct OnTokio {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OnTokio {
    async fn send_bytes(
        &self,
        request: http::Request<opentelemetry_http::Bytes>,
    ) -> Result<http::Response<opentelemetry_http::Bytes>, opentelemetry_http::HttpError> {
        let client = self.client.clone();
        let sent = self.runtime.spawn(async move {
            let request = reqwest::Request::try_from(request)?;
            let response = client.execute(request).await?;
            let mut answer = http::Response::builder().status(response.status());
            if let Some(headers) = answer.headers_mut() {
                *headers = response.headers().clone();
            }
            let body = response.bytes().await?;
            Ok::<_, opentelemetry_http::HttpError>(answer.body(body)?)
        });
        sent.await?
    }
}

#[cfg(test)]
mod tests {
    use super::traces_url;

    #[test]
    fn the_collector_address_gets_the_traces_path_once() {
        assert_eq!(traces_url("http://127.0.0.1:4318").unwrap(), "http://127.0.0.1:4318/v1/traces");
        assert_eq!(traces_url("https://otel.example.com/").unwrap(), "https://otel.example.com/v1/traces");
        assert_eq!(traces_url("http://c:4318/v1/traces").unwrap(), "http://c:4318/v1/traces");
        assert!(traces_url("collector:4318").is_err());
        assert!(traces_url("http://").is_err());
    }
}
