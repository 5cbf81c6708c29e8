//! `geppetto run` with `--log-format json` and `--otlp-endpoint`, end to end: the span tree of a
//! two-step provider tool loop (`tests/providers_js/openai.mjs` against a fake OpenAI server) as
//! received by an OTLP/HTTP receiver in this test process and as JSON lines on stderr; the API
//! key in neither; and 100 concurrent `start()` runs whose tool calls each hang under their own
//! run (`OBSERVE_RUNS` sets the count).

#[path = "support/child.rs"]
mod child;

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use parking_lot::Mutex;
use prost::Message;
use serde_json::Value;

/// The key `openai.mjs` passes as `apiKey`.
const API_KEY: &str = "sk-fake-openai-e2e-0001";

/// How long a script may run before it is killed and the test fails (a hang, not slowness).
const CHILD_GUARD: Duration = Duration::from_secs(120);

/// A server on its own runtime answering every request with `reply(body)`, and keeping the bodies.
struct Server {
    url: String,
    bodies: Bodies,
    _runtime: tokio::runtime::Runtime,
}

type Reply = Box<dyn Fn() -> Response + Send + Sync>;

/// The request bodies a server received.
type Bodies = Arc<Mutex<Vec<Bytes>>>;

impl Server {
    fn start(reply: Reply) -> Server {
        async fn answer(
            State((bodies, reply)): State<(Bodies, Arc<Reply>)>,
            body: Bytes,
        ) -> Response {
            bodies.lock().push(body);
            reply()
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(answer)
            .with_state((bodies.clone(), Arc::new(reply)));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        Server {
            url,
            bodies,
            _runtime: runtime,
        }
    }

    fn bodies(&self) -> Vec<Bytes> {
        self.bodies.lock().clone()
    }
}

/// The fake OpenAI server: the tool-call round, then the text round.
fn fake_openai() -> Server {
    let fixture = |name: &str| {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/openai")
                .join(name),
        )
        .unwrap()
    };
    let replies = Mutex::new(VecDeque::from([
        fixture("tool_calls.sse"),
        fixture("text.sse"),
    ]));
    Server::start(Box::new(move || {
        let reply = replies.lock().pop_front();
        match reply {
            Some(sse) => Response::builder()
                .status(200)
                .header("content-type", "text/event-stream")
                .body(Body::from(sse))
                .unwrap(),
            None => Response::builder()
                .status(599)
                .body(Body::from("no reply"))
                .unwrap(),
        }
    }))
}

/// The OTLP/HTTP receiver: accepts every export (an empty protobuf answer).
fn otlp_receiver() -> Server {
    Server::start(Box::new(|| {
        Response::builder()
            .status(200)
            .header("content-type", "application/x-protobuf")
            .body(Body::empty())
            .unwrap()
    }))
}

/// Runs `geppetto run <args>` with `env`, killing it after [`CHILD_GUARD`]; asserts success.
fn geppetto(args: &[&str], env: &[(&str, &str)]) -> child::ChildOutput {
    let mut command = Command::new(env!("CARGO_BIN_EXE_geppetto"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .args(args);
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    for name in [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_SERVICE_NAME",
        "OPENAI_API_KEY",
    ] {
        command.env_remove(name);
    }
    command.env("NO_PROXY", "*").envs(env.iter().copied());
    let what = format!("geppetto {args:?}");
    let run = child::run_guarded(command, &what, CHILD_GUARD);
    assert!(
        run.status.success(),
        "{what} exited {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status,
        run.stdout,
        run.stderr
    );
    run
}

/// A span in a form both outputs map to: name, id, parent id, fields.
#[derive(Debug, Clone)]
struct Span {
    name: String,
    id: String,
    parent: Option<String>,
    fields: HashMap<String, Value>,
}

/// Spans from the OTLP exports (ids in hex), and the service names they came with.
fn otlp_spans(bodies: &[Bytes]) -> (Vec<Span>, Vec<String>) {
    let mut spans = Vec::new();
    let mut services = Vec::new();
    for body in bodies {
        let request =
            ExportTraceServiceRequest::decode(body.as_ref()).expect("an OTLP protobuf body");
        for resource_spans in request.resource_spans {
            for attribute in resource_spans
                .resource
                .iter()
                .flat_map(|resource| &resource.attributes)
            {
                if attribute.key == "service.name" {
                    services.push(
                        any_to_json(
                            attribute
                                .value
                                .as_ref()
                                .and_then(|value| value.value.as_ref()),
                        )
                        .to_string(),
                    );
                }
            }
            for span in resource_spans
                .scope_spans
                .into_iter()
                .flat_map(|scope| scope.spans)
            {
                let fields = span
                    .attributes
                    .iter()
                    .map(|kv| {
                        (
                            kv.key.clone(),
                            any_to_json(kv.value.as_ref().and_then(|value| value.value.as_ref())),
                        )
                    })
                    .collect();
                spans.push(Span {
                    name: span.name,
                    id: hex(&span.span_id),
                    parent: (!span.parent_span_id.is_empty()).then(|| hex(&span.parent_span_id)),
                    fields,
                });
            }
        }
    }
    (spans, services)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn any_to_json(value: Option<&AnyValue>) -> Value {
    match value {
        Some(AnyValue::StringValue(text)) => Value::from(text.as_str()),
        Some(AnyValue::IntValue(number)) => Value::from(*number),
        Some(AnyValue::BoolValue(flag)) => Value::from(*flag),
        Some(AnyValue::DoubleValue(number)) => Value::from(*number),
        other => Value::from(format!("{other:?}")),
    }
}

/// Spans from `--log-format json` stderr lines (other lines, such as `console.log` to stderr,
/// are skipped).
fn json_spans(stderr: &str) -> Vec<Span> {
    stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["kind"] == "span")
        .map(|line| Span {
            name: line["name"].as_str().unwrap().to_string(),
            id: line["id"].to_string(),
            parent: line["parents"]
                .as_array()
                .unwrap()
                .last()
                .map(|parent| parent["id"].to_string()),
            fields: line["fields"]
                .as_object()
                .unwrap()
                .clone()
                .into_iter()
                .collect(),
        })
        .collect()
}

/// Checks the tree of the openai.mjs run: session.run → 2 inference.step → middleware → engine →
/// provider.request with the fixture's token counts; both tool.call spans under the first step.
fn check_tool_loop_tree(spans: &[Span], what: &str) {
    let by_id: HashMap<&str, &Span> = spans.iter().map(|span| (span.id.as_str(), span)).collect();
    let parent_of = |span: &Span| span.parent.as_deref().and_then(|id| by_id.get(id).copied());
    let named = |name: &str| {
        spans
            .iter()
            .filter(move |span| span.name == name)
            .collect::<Vec<_>>()
    };

    let runs = named("session.run");
    assert_eq!(runs.len(), 1, "{what}: one run: {spans:#?}");
    let run = runs[0];
    assert_eq!(run.fields["mode"], "start", "{what}");
    assert_eq!(run.fields["outcome"], "ok", "{what}");
    for key in ["session_id", "inference_id", "run_id"] {
        assert!(
            run.fields[key].as_str().is_some_and(|id| id.len() == 36),
            "{what}: {key}"
        );
    }
    let steps = named("inference.step");
    assert_eq!(steps.len(), 2, "{what}");
    for step in &steps {
        assert_eq!(
            parent_of(step).map(|span| span.id.as_str()),
            Some(run.id.as_str()),
            "{what}"
        );
        assert_eq!(
            step.fields["inference_id"], run.fields["inference_id"],
            "{what}"
        );
    }
    let mut requests = named("provider.request");
    assert_eq!(requests.len(), 2, "{what}");
    requests.sort_by_key(|request| request.fields["gen_ai.usage.input_tokens"].as_i64());
    let tokens: Vec<(i64, i64)> = requests
        .iter()
        .map(|request| {
            let engine = parent_of(request).expect("provider.request has a parent");
            assert_eq!(engine.name, "engine", "{what}");
            let middleware = parent_of(engine).unwrap();
            assert_eq!(middleware.name, "middleware", "{what}");
            assert_eq!(
                parent_of(middleware).unwrap().name,
                "inference.step",
                "{what}"
            );
            assert_eq!(request.fields["gen_ai.system"], "openai");
            assert_eq!(
                request.fields["gen_ai.response.model"],
                "gpt-4o-mini-2024-07-18"
            );
            assert_eq!(request.fields["http.response.status_code"], 200);
            (
                request.fields["gen_ai.usage.input_tokens"]
                    .as_i64()
                    .unwrap(),
                request.fields["gen_ai.usage.output_tokens"]
                    .as_i64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(tokens, [(12, 4), (80, 40)], "{what}");
    let calls = named("tool.call");
    assert_eq!(calls.len(), 2, "{what}");
    for call in calls {
        let step = parent_of(call).unwrap();
        assert_eq!(step.name, "inference.step", "{what}");
        assert_eq!(step.fields["iteration"], 0, "{what}");
        assert_eq!(call.fields["outcome"], "ok", "{what}");
    }
}

#[test]
fn otlp_export_and_json_lines_show_the_tool_loop_tree_without_the_key() {
    let provider = fake_openai();
    let receiver = otlp_receiver();
    let script = "tests/providers_js/openai.mjs";
    let output = geppetto(
        &[
            "--otlp-endpoint",
            &receiver.url,
            "--log-format",
            "json",
            script,
        ],
        &[
            ("FAKE_PROVIDER_URL", &provider.url),
            ("OTEL_SERVICE_NAME", "observe-test"),
            ("RUST_LOG", "trace"),
        ],
    );
    assert_eq!(
        output.stdout.lines().last(),
        Some("openai.mjs: ok"),
        "{}",
        output.stderr
    );

    let bodies = receiver.bodies();
    let (spans, services) = otlp_spans(&bodies);
    assert!(
        services.iter().all(|service| service == "\"observe-test\""),
        "{services:?}"
    );
    let geppetto_spans: Vec<Span> = spans
        .into_iter()
        .filter(|span| !span.name.starts_with("owner") && span.name != "script")
        .collect();
    check_tool_loop_tree(&geppetto_spans, "OTLP");
    check_tool_loop_tree(&json_spans(&output.stderr), "JSON lines");

    assert!(!output.stderr.contains(API_KEY), "the key is in stderr");
    assert!(!output.stdout.contains(API_KEY), "the key is in stdout");
    let key = API_KEY.as_bytes();
    for body in &bodies {
        assert!(
            !body.windows(key.len()).any(|window| window == key),
            "the key was exported"
        );
    }
}

#[test]
fn concurrent_start_runs_keep_their_tool_calls() {
    let runs = std::env::var("OBSERVE_RUNS").unwrap_or_else(|_| "100".into());
    let output = geppetto(
        &[
            "--log-format",
            "json",
            "tests/observe_js/concurrent_runs.js",
        ],
        &[("OBSERVE_RUNS", &runs), ("RUST_LOG", "geppetto=info")],
    );
    assert_eq!(
        output.stdout.trim(),
        format!("concurrent_runs.js: ok {runs}")
    );
    let spans = json_spans(&output.stderr);
    let sessions: HashMap<&str, &str> = spans
        .iter()
        .filter(|span| span.name == "session.run")
        .map(|span| {
            (
                span.id.as_str(),
                span.fields["session_id"].as_str().unwrap(),
            )
        })
        .collect();
    let calls: Vec<&Span> = spans
        .iter()
        .filter(|span| span.name == "tool.call")
        .collect();
    assert_eq!(calls.len().to_string(), runs);
    assert_eq!(sessions.len().to_string(), runs);
    for call in calls {
        let run = call.parent.as_deref().and_then(|id| sessions.get(id));
        let expected = format!("call-{}", run.expect("tool.call under a session.run"));
        assert_eq!(call.fields["gen_ai.tool.call.id"], expected.as_str());
    }
}
