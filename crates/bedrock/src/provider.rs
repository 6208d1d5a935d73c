//! The `bedrock` model provider: Converse for tool-using turns, ConverseStream when someone
//! watches a reply being written (a chat visitor), behind retries, a fallback model and a circuit
//! breaker per model.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_bedrockruntime::config::http::HttpResponse;
use aws_sdk_bedrockruntime::config::{BehaviorVersion, Region};
use aws_sdk_bedrockruntime::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types::{ContentBlockDelta, ContentBlockStart, ConverseStreamOutput};
use aws_sdk_bedrockruntime::Client;
use squad_core::model::{Content, Model, ModelError, ModelRequest, ModelResponse, StopReason, Usage, Watcher};

use crate::convert::{self, ConverseParts};
use crate::resilience::{classify, BreakerPolicy, CircuitBreaker, Failure, RetryPolicy};

/// Where and how to call Bedrock. Credentials are never part of it: they come from the standard
/// AWS chain (environment, profile, instance role).
#[derive(Debug, Clone)]
pub struct BedrockSettings {
    pub region: String,
    /// An endpoint override: a private endpoint, or a local peer in tests.
    pub endpoint_url: Option<String>,
    /// Used when the requested model keeps failing or its circuit is open.
    pub fallback_model_id: Option<String>,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
    /// The longest one call may take, attempts not included.
    pub call_timeout: Duration,
}

impl Default for BedrockSettings {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            endpoint_url: None,
            fallback_model_id: None,
            retry: RetryPolicy::default(),
            breaker: BreakerPolicy::default(),
            call_timeout: Duration::from_secs(60),
        }
    }
}

pub struct BedrockModel {
    client: Client,
    settings: BedrockSettings,
    breaker: CircuitBreaker,
}

impl std::fmt::Debug for BedrockModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BedrockModel").field("settings", &self.settings).finish_non_exhaustive()
    }
}

/// Whether the standard AWS chain (environment, profile, instance role) finds credentials, without
/// calling Bedrock; the error says why not.
pub async fn credentials_available(region: &str) -> Result<(), String> {
    use aws_credential_types::provider::ProvideCredentials;
    let shared = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned())).load().await;
    let provider = shared.credentials_provider().ok_or("no credential provider is configured")?;
    provider.provide_credentials().await.map(|_| ()).map_err(|e| e.to_string())
}

/// One failed call, classified.
#[derive(Debug)]
struct CallFailure {
    failure: Failure,
    message: String,
    /// Part of an answer already reached the customer: trying again would repeat it.
    partial: bool,
}

/// A failed call, by the error's code or, when the peer sent none, its HTTP status.
fn sdk_failure<E>(err: &SdkError<E, HttpResponse>) -> CallFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (failure, message) = match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code();
            let status = service.raw().status().as_u16();
            let message = format!(
                "{} (HTTP {status}): {}",
                code.unwrap_or("error"),
                service.err().message().unwrap_or("no message")
            );
            (classify(code, Some(status)), message)
        }
        other => transport_failure(other),
    };
    CallFailure { failure, message, partial: false }
}

/// Failures before or after the service answered: building the request, the network, reading.
fn transport_failure<E, R>(err: &SdkError<E, R>) -> (Failure, String)
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = aws_sdk_bedrockruntime::error::DisplayErrorContext(err);
    match err {
        SdkError::ConstructionFailure(_) => {
            (Failure::Deterministic, format!("the request could not be built: {detail}"))
        }
        SdkError::TimeoutError(_) => (Failure::Transient, "the call timed out".to_owned()),
        SdkError::DispatchFailure(_) => (Failure::Transient, format!("the endpoint could not be reached: {detail}")),
        _ => (Failure::Transient, format!("the response could not be read: {detail}")),
    }
}

/// A failure while reading the event stream: the model stopped mid-answer.
fn stream_failure<E, R>(err: &SdkError<E, R>, partial: bool) -> CallFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (failure, message) = match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code();
            (classify(code, None), format!("the stream failed: {}", code.unwrap_or("error")))
        }
        other => transport_failure(other),
    };
    CallFailure { failure, message, partial }
}

fn from_model_error(err: ModelError) -> CallFailure {
    match err {
        ModelError::Transient(message) => CallFailure { failure: Failure::Transient, message, partial: false },
        ModelError::Refused(message) => CallFailure { failure: Failure::Deterministic, message, partial: false },
    }
}

impl BedrockModel {
    /// A client on the standard AWS credential chain.
    pub async fn from_environment(settings: BedrockSettings) -> Self {
        let shared =
            aws_config::defaults(BehaviorVersion::latest()).region(Region::new(settings.region.clone())).load().await;
        let mut config = aws_sdk_bedrockruntime::config::Builder::from(&shared);
        Self::tune(&mut config, &settings);
        Self::with_config(config.build(), settings)
    }

    /// A client with the given static credentials (tests against a local peer).
    pub fn with_static_credentials(settings: BedrockSettings, access_key: &str, secret_key: &str) -> Self {
        let credentials = aws_credential_types::Credentials::new(access_key, secret_key, None, None, "static");
        let mut config = aws_sdk_bedrockruntime::config::Builder::new()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .credentials_provider(credentials);
        Self::tune(&mut config, &settings);
        Self::with_config(config.build(), settings)
    }

    fn tune(config: &mut aws_sdk_bedrockruntime::config::Builder, settings: &BedrockSettings) {
        // Retries are ours (with fallback and the breaker), so the SDK must not retry as well.
        config.set_retry_config(Some(aws_sdk_bedrockruntime::config::retry::RetryConfig::disabled()));
        config.set_timeout_config(Some(
            aws_sdk_bedrockruntime::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(settings.call_timeout)
                .build(),
        ));
        if let Some(url) = &settings.endpoint_url {
            config.set_endpoint_url(Some(url.clone()));
        }
    }

    fn with_config(config: aws_sdk_bedrockruntime::Config, settings: BedrockSettings) -> Self {
        let breaker = CircuitBreaker::new(settings.breaker);
        Self { client: Client::from_conf(config), settings, breaker }
    }

    /// The requested model, then the fallback.
    fn candidates(&self, request: &ModelRequest) -> Vec<String> {
        let mut models = vec![request.settings.model_id.clone()];
        if let Some(fallback) = self.settings.fallback_model_id.as_ref().filter(|f| **f != request.settings.model_id) {
            models.push(fallback.clone());
        }
        models
    }

    /// Runs `call` against each candidate model: transient failures retry with backoff until the
    /// model's attempts are spent or its circuit opens, then the fallback gets its turn; a
    /// deterministic failure ends it at once.
    async fn resilient<F, Fut>(&self, request: &ModelRequest, mut call: F) -> Result<ModelResponse, ModelError>
    where
        F: FnMut(String, ConverseParts) -> Fut,
        Fut: Future<Output = Result<ModelResponse, CallFailure>>,
    {
        let mut failures = Vec::new();
        for model in self.candidates(request) {
            let parts = convert::request_parts(request, &model)?;
            for attempt in 0..self.settings.retry.attempts.max(1) {
                if !self.breaker.allows(&model, Instant::now()) {
                    failures.push(format!("{model}: circuit open after repeated failures"));
                    break;
                }
                match call(model.clone(), parts.clone()).await {
                    Ok(response) => {
                        self.breaker.succeeded(&model);
                        return Ok(response);
                    }
                    Err(err) if err.failure == Failure::Deterministic => {
                        tracing::warn!(model = %model, error = %err.message, "model refused the request");
                        return Err(ModelError::Refused(format!("{model}: {}", err.message)));
                    }
                    Err(err) => {
                        tracing::warn!(model = %model, attempt, error = %err.message, "model call failed");
                        let open = self.breaker.failed(&model, Instant::now());
                        failures.push(format!("{model}: {}", err.message));
                        if err.partial {
                            return Err(ModelError::Transient(failures.join("; ")));
                        }
                        if open {
                            break;
                        }
                        if attempt + 1 < self.settings.retry.attempts {
                            tokio::time::sleep(self.settings.retry.delay(attempt)).await;
                        }
                    }
                }
            }
        }
        Err(ModelError::Transient(failures.join("; ")))
    }

    async fn converse_once(&self, model: String, parts: ConverseParts) -> Result<ModelResponse, CallFailure> {
        let output = self
            .client
            .converse()
            .model_id(&model)
            .set_system(Some(parts.system))
            .set_messages(Some(parts.messages))
            .set_tool_config(parts.tool_config)
            .inference_config(parts.inference)
            .send()
            .await
            .map_err(|e| sdk_failure(&e))?;
        convert::response(&model, output.output(), output.stop_reason(), output.usage()).map_err(from_model_error)
    }

    async fn stream_once(
        &self,
        model: String,
        parts: ConverseParts,
        watcher: &dyn Watcher,
    ) -> Result<ModelResponse, CallFailure> {
        let mut output = self
            .client
            .converse_stream()
            .model_id(&model)
            .set_system(Some(parts.system))
            .set_messages(Some(parts.messages))
            .set_tool_config(parts.tool_config)
            .inference_config(parts.inference)
            .send()
            .await
            .map_err(|e| sdk_failure(&e))?;
        let mut assembly = StreamAssembly::default();
        loop {
            let event = output.stream.recv().await.map_err(|e| stream_failure(&e, assembly.streamed))?;
            let Some(event) = event else { break };
            assembly.push(event, watcher);
        }
        assembly.finish(model)
    }
}

/// A streamed answer put back together from its events.
#[derive(Default)]
struct StreamAssembly {
    blocks: BTreeMap<i32, Partial>,
    stop: Option<aws_sdk_bedrockruntime::types::StopReason>,
    usage: Usage,
    /// Part of a watched tool input has been told (a customer may have seen it).
    streamed: bool,
}

impl StreamAssembly {
    /// Folds one event in, telling `watcher` a watched tool call's input so far.
    fn push(&mut self, event: ConverseStreamOutput, watcher: &dyn Watcher) {
        match event {
            ConverseStreamOutput::ContentBlockStart(start) => {
                if let Some(ContentBlockStart::ToolUse(tool)) = start.start() {
                    let partial = Partial::Tool {
                        id: tool.tool_use_id().to_owned(),
                        name: tool.name().to_owned(),
                        input: String::new(),
                    };
                    self.blocks.insert(start.content_block_index(), partial);
                }
            }
            ConverseStreamOutput::ContentBlockDelta(delta) => {
                let block = self.blocks.entry(delta.content_block_index());
                match (delta.delta(), block.or_insert_with(|| Partial::Text(String::new()))) {
                    (Some(ContentBlockDelta::Text(text)), Partial::Text(all)) => all.push_str(text),
                    (Some(ContentBlockDelta::ToolUse(tool)), Partial::Tool { id, name, input }) => {
                        input.push_str(tool.input());
                        if watcher.watches(name) {
                            watcher.tool_input(id, name, input);
                            self.streamed = true;
                        }
                    }
                    _ => {}
                }
            }
            ConverseStreamOutput::MessageStop(end) => self.stop = Some(end.stop_reason().clone()),
            ConverseStreamOutput::Metadata(meta) => self.usage = convert::usage(meta.usage()),
            _ => {}
        }
    }

    /// The whole answer. A stream that ended before the model's stop event is an error, never a
    /// shorter answer.
    fn finish(self, model: String) -> Result<ModelResponse, CallFailure> {
        let cut_short = |message: String| CallFailure { failure: Failure::Transient, message, partial: self.streamed };
        let stop = self.stop.as_ref().ok_or_else(|| cut_short("the stream ended before the model finished".into()))?;
        let stop_reason = convert::stop_reason(stop).map_err(from_model_error)?;
        let mut content = Vec::with_capacity(self.blocks.len());
        for block in self.blocks.into_values() {
            content.push(block.finish().map_err(|e| CallFailure {
                failure: Failure::Transient,
                message: e,
                partial: self.streamed,
            })?);
        }
        Ok(ModelResponse { content, stop_reason, usage: self.usage, model_id: Some(model) })
    }
}

/// A content block while its deltas arrive.
enum Partial {
    Text(String),
    Tool { id: String, name: String, input: String },
}

impl Partial {
    fn finish(self) -> Result<Content, String> {
        match self {
            Self::Text(text) => Ok(Content::Text { text }),
            Self::Tool { id, name, input } => {
                let input = if input.trim().is_empty() {
                    serde_json::json!({})
                } else {
                    serde_json::from_str(&input).map_err(|e| format!("tool input for `{name}` is not JSON: {e}"))?
                };
                Ok(Content::ToolUse { id, name, input })
            }
        }
    }
}

#[async_trait]
impl Model for BedrockModel {
    fn provider(&self) -> &'static str {
        "bedrock"
    }

    async fn converse(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let response = self.resilient(request, |model, parts| self.converse_once(model, parts)).await?;
        if response.stop_reason == StopReason::MaxTokens {
            tracing::warn!(model = ?response.model_id, "the answer was cut off at max tokens");
        }
        Ok(response)
    }

    /// Streamed with ConverseStream: a watched tool's input is told as its pieces arrive. A stream
    /// cut short is an error (never a shorter answer), and once a piece has been told the call is
    /// not retried here (the run's own retry starts a fresh draft).
    async fn converse_watched(
        &self,
        request: &ModelRequest,
        watcher: &dyn Watcher,
    ) -> Result<ModelResponse, ModelError> {
        let response = self.resilient(request, |model, parts| self.stream_once(model, parts, watcher)).await?;
        if response.stop_reason == StopReason::MaxTokens {
            tracing::warn!(model = ?response.model_id, "the answer was cut off at max tokens");
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_bedrockruntime::types::{
        ContentBlockDeltaEvent, ContentBlockStartEvent, MessageStopEvent, StopReason as WireStop, ToolUseBlockDelta,
        ToolUseBlockStart,
    };
    use serde_json::json;

    use super::*;

    fn text(index: i32, piece: &str) -> ConverseStreamOutput {
        ConverseStreamOutput::ContentBlockDelta(
            ContentBlockDeltaEvent::builder()
                .content_block_index(index)
                .delta(ContentBlockDelta::Text(piece.to_owned()))
                .build()
                .unwrap(),
        )
    }

    fn stop(reason: WireStop) -> ConverseStreamOutput {
        ConverseStreamOutput::MessageStop(MessageStopEvent::builder().stop_reason(reason).build().unwrap())
    }

    /// Records what it is told of `send_reply`'s input.
    #[derive(Default)]
    struct Told(std::sync::Mutex<Vec<String>>);

    impl Watcher for Told {
        fn watches(&self, tool: &str) -> bool {
            tool == "send_reply"
        }

        fn tool_input(&self, _: &str, _: &str, json_so_far: &str) {
            self.0.lock().unwrap().push(json_so_far.to_owned());
        }
    }

    #[test]
    fn text_and_tool_input_are_assembled_from_their_pieces() {
        let mut assembly = StreamAssembly::default();
        let told = Told::default();
        let start = ToolUseBlockStart::builder().tool_use_id("t9").name("send_reply").build().unwrap();
        let tool_piece = |piece: &str| {
            ConverseStreamOutput::ContentBlockDelta(
                ContentBlockDeltaEvent::builder()
                    .content_block_index(1)
                    .delta(ContentBlockDelta::ToolUse(ToolUseBlockDelta::builder().input(piece).build().unwrap()))
                    .build()
                    .unwrap(),
            )
        };
        let events = [
            text(0, "We can come "),
            text(0, "tomorrow at 8."),
            ConverseStreamOutput::ContentBlockStart(
                ContentBlockStartEvent::builder()
                    .content_block_index(1)
                    .start(ContentBlockStart::ToolUse(start))
                    .build()
                    .unwrap(),
            ),
            tool_piece("{\"text\": \"See you"),
            tool_piece(" then\"}"),
            stop(WireStop::ToolUse),
        ];
        for event in events {
            assembly.push(event, &told);
        }
        assert_eq!(*told.0.lock().unwrap(), ["{\"text\": \"See you", "{\"text\": \"See you then\"}"]);
        let response = assembly.finish("m".to_owned()).unwrap();
        assert_eq!(response.stop_reason, StopReason::ToolUse);
        assert_eq!(
            response.content,
            vec![
                Content::Text { text: "We can come tomorrow at 8.".to_owned() },
                Content::ToolUse {
                    id: "t9".to_owned(),
                    name: "send_reply".to_owned(),
                    input: json!({ "text": "See you then" })
                },
            ]
        );
    }

    #[test]
    fn a_stream_cut_off_before_its_stop_event_is_an_error_not_a_short_answer() {
        let mut assembly = StreamAssembly::default();
        assembly.push(text(0, "We can come tomor"), &Told::default());
        let err = assembly.finish("m".to_owned()).unwrap_err();
        assert_eq!(err.failure, Failure::Transient);
        assert!(!err.partial, "nothing was told, so it may be retried");
    }

    #[test]
    fn a_truncated_stream_is_marked_as_such() {
        let mut assembly = StreamAssembly::default();
        assembly.push(text(0, "We can come tomor"), &Told::default());
        assembly.push(stop(WireStop::MaxTokens), &Told::default());
        assert_eq!(assembly.finish("m".to_owned()).unwrap().stop_reason, StopReason::MaxTokens);
    }
}
