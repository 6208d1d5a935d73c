//! Logging: JSON lines in production, readable lines locally; filter from config or `RUST_LOG`.

use tracing::subscriber::set_global_default;
use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::{layer::SubscriberExt, EnvFilter, Registry};

use crate::config::LogFormat;

pub fn get_subscriber<W>(filter: &str, format: LogFormat, sink: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let registry = Registry::default().with(filter);
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
