//! Traces: `opsquad serve` with `telemetry.otlp_endpoint` sends its spans to an OTLP/HTTP
//! collector — here a receiver on a free port that decodes what it is sent, as a collector would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use serde_json::Value;

use crate::binary::{run, Binary};

/// Every export a collector received, as sent.
#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Vec<Vec<u8>>>>);

impl Collector {
    /// Listens on a free port; its OTLP/HTTP address.
    async fn start(&self) -> String {
        let received = self.0.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |body: axum::body::Bytes| async move {
                received.lock().unwrap().push(body.to_vec());
                ([("content-type", "application/x-protobuf")], Vec::<u8>::new())
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn raw(&self) -> Vec<Vec<u8>> {
        self.0.lock().unwrap().clone()
    }

    /// Every span received, with its service's attributes.
    fn spans(&self) -> Vec<(Vec<(String, String)>, Span)> {
        let mut spans = Vec::new();
        for export in self.raw() {
            let request = ExportTraceServiceRequest::decode(export.as_slice()).expect("an OTLP protobuf export");
            for resource in request.resource_spans {
                let service = resource.resource.map(|r| attributes(&r.attributes)).unwrap_or_default();
                for scope in resource.scope_spans {
                    spans.extend(scope.spans.into_iter().map(|span| (service.clone(), span)));
                }
            }
        }
        spans
    }
}

fn attributes(list: &[opentelemetry_proto::tonic::common::v1::KeyValue]) -> Vec<(String, String)> {
    list.iter()
        .map(|kv| {
            let value = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Any::StringValue(s)) => s.clone(),
                Some(Any::IntValue(n)) => n.to_string(),
                Some(Any::BoolValue(b)) => b.to_string(),
                Some(Any::DoubleValue(d)) => d.to_string(),
                other => format!("{other:?}"),
            };
            (kv.key.clone(), value)
        })
        .collect()
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    attributes(&span.attributes).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

#[tokio::test]
async fn a_lead_can_be_followed_in_any_otlp_collector_without_its_customer_s_words() {
    let collector = Collector::default();
    let endpoint = collector.start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("opsquad.db").display());
    let demo: Value = serde_json::from_str(&run(&url, &["demo"]).unwrap()).unwrap();
    let key = demo["api_key"].as_str().unwrap().to_owned();
    let server = Binary::on(
        &url,
        &[
            ("OPSQUAD_TELEMETRY__OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OPSQUAD_WORKER__ENABLED", "true"),
        ],
    );

    let client = reqwest::Client::new();
    let inquiry = serde_json::json!({
        "channel": "email", "from": { "name": "Jordan Miles", "email": "jordan.traced@example.com" },
        "subject": "No heat",
        "body": "Our furnace stopped working last night and the house is 55 degrees. We have a newborn. Can someone come today? 1420 Walnut St, Springfield IL 62704"
    });
    let accepted: Value = client
        .post(format!("http://{}/api/v1/inbound", server.addr))
        .bearer_auth(&key)
        .json(&inquiry)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lead = accepted["lead_id"].as_str().expect("an accepted inquiry").to_owned();

    // The squad books the lead; its spans arrive in batches shortly after.
    let mut spans = Vec::new();
    for _ in 0..200 {
        spans = collector.spans();
        let booked = spans
            .iter()
            .any(|(_, s)| s.name == "tool_call" && attribute(s, "tool").as_deref() == Some("book_appointment"));
        let ended =
            spans.iter().any(|(_, s)| s.name == "run" && attribute(s, "lead_id").as_deref() == Some(lead.as_str()));
        let delivered =
            spans.iter().any(|(_, s)| s.name == "job" && attribute(s, "kind").as_deref() == Some("deliver_message"));
        if booked && ended && delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let named = |name: &str| spans.iter().filter(move |(_, s)| s.name == name).map(|(_, s)| s).collect::<Vec<_>>();

    let (service, _) = spans.first().expect("spans reached the collector");
    assert!(service.contains(&("service.name".into(), "opsquad".into())), "{service:?}");
    assert!(service.iter().any(|(k, _)| k == "service.instance.id"), "{service:?}");

    let request = named("request")
        .into_iter()
        .find(|s| attribute(s, "route").as_deref() == Some("/api/v1/inbound"))
        .expect("a span for the inquiry's request");
    assert_eq!(attribute(request, "org_id").as_deref(), demo["org_id"].as_str(), "the request names its org");

    // The lead's run, its job, and every model and tool call inside it, in one trace.
    let run = named("run")
        .into_iter()
        .find(|s| attribute(s, "lead_id").as_deref() == Some(lead.as_str()))
        .unwrap_or_else(|| {
            panic!(
                "the lead's run span: {:?}",
                spans.iter().map(|(_, s)| (&s.name, attributes(&s.attributes))).collect::<Vec<_>>()
            )
        });
    let job = named("job").into_iter().find(|s| s.span_id == run.parent_span_id).expect("the run's job span");
    assert_eq!(attribute(job, "kind").as_deref(), Some("run_squad"));
    assert_eq!(job.trace_id, request.trace_id, "the run continues the trace of the request that queued it");
    assert!(!job.parent_span_id.is_empty());
    let deliveries = named("job").into_iter().filter(|s| attribute(s, "kind").as_deref() == Some("deliver_message"));
    assert!(
        deliveries.into_iter().any(|s| s.trace_id == run.trace_id),
        "the reply's delivery, queued by the run, is in the same trace"
    );
    assert_eq!(attribute(job, "attempt").as_deref(), Some("1"));
    assert!(attribute(job, "instance").is_some());
    let inside: Vec<&Span> = spans.iter().map(|(_, s)| s).filter(|s| s.trace_id == run.trace_id).collect();
    let models: Vec<&&Span> = inside.iter().filter(|s| s.name == "model_call").collect();
    let tools: Vec<&&Span> = inside.iter().filter(|s| s.name == "tool_call").collect();
    assert!(models.len() >= 4, "every model call has a span: {}", models.len());
    for call in &models {
        assert_eq!(call.parent_span_id, run.span_id);
        for field in ["agent", "provider", "model", "input_tokens", "output_tokens", "cost_micros"] {
            assert!(attribute(call, field).is_some(), "a model call's {field}: {:?}", call.attributes);
        }
    }
    let agents: Vec<String> = models.iter().filter_map(|s| attribute(s, "agent")).collect();
    assert!(agents.contains(&"lead_response".into()) && agents.contains(&"scheduler".into()), "{agents:?}");
    let used: Vec<String> = tools.iter().filter_map(|s| attribute(s, "tool")).collect();
    for tool in ["qualify_lead", "send_reply", "handoff_to_agent", "check_availability", "book_appointment"] {
        assert!(used.contains(&tool.to_owned()), "a span for {tool}: {used:?}");
    }
    assert!(tools.iter().all(|s| attribute(s, "refused").is_some()));

    // What the customer wrote, who they are and where they live never leave for the collector.
    for export in collector.raw() {
        let text = String::from_utf8_lossy(&export);
        for private in ["newborn", "furnace stopped", "Walnut", "jordan.traced", "Jordan Miles"] {
            assert!(!text.contains(private), "`{private}` was sent to the collector: {text}");
        }
    }
}
