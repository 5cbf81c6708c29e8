//! The span tree of one two-step tool-loop run against an in-process fake OpenAI server, captured
//! in process through [`SpanLogLayer`] JSON lines: every span with its fields, the parent/child
//! structure of `docs/observability.md`, the run's ids and the fake provider's token counts; the
//! API key in no line at any level; fail-open hook errors and deadlines as events in their spans.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use futures_util::future::BoxFuture;
use geppetto::inference::hooks::{
    BeforeDecision, BeforeToolCallPayload, HookPhase, HookPolicy, ToolHooks,
};
use geppetto::inference::middlewares::host_middleware;
use geppetto::inference::tools::{HostTool, ToolRegistry, default_host_tools};
use geppetto::inference::{
    Block, BlockKind, Engine, InferenceError, RunContext, RunOptions, Session, SessionConfig, Turn,
};
use geppetto::providers::{Env, ProviderConfig, ProviderEngine};
use geppetto::telemetry::{LineFormat, SpanLogLayer};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tracing_subscriber::prelude::*;

/// The API key the runs use; no output line may contain it.
const API_KEY: &str = "sk-observe-secret-0042";

/// Lines written by the process-wide subscriber (every level of every target).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().clone()).unwrap()
    }

    fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect()
    }
}

/// Installs the capturing subscriber once for this test binary (tests run on several threads;
/// spans hop between tokio workers).
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("trace"))
            .with(SpanLogLayer::new(LineFormat::Json, move || writer.clone()))
            .try_init()
            .unwrap();
        captured
    })
}

/// Scripted answers: status and body, in order.
type Replies = Arc<Mutex<VecDeque<(u16, String)>>>;

/// A fake OpenAI server answering each request with the next `(status, body)`.
async fn fake_openai(replies: Vec<(u16, String)>) -> String {
    async fn answer(State(replies): State<Replies>) -> Response {
        let (status, body) = replies
            .lock()
            .pop_front()
            .unwrap_or((599, "no reply".into()));
        let kind = if status == 200 {
            "text/event-stream"
        } else {
            "application/json"
        };
        Response::builder()
            .status(status)
            .header("content-type", kind)
            .body(Body::from(Bytes::from(body)))
            .unwrap()
    }
    let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
    let app = axum::Router::new().fallback(answer).with_state(replies);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn engine(url: &str) -> ProviderEngine {
    let options = geppetto::providers::profiles::profile_options(&json!({
        "provider": "openai",
        "model": "gpt-4o-mini",
        "baseURL": format!("{url}/v1"),
        "apiKey": API_KEY,
    }))
    .unwrap();
    let config = ProviderConfig::resolve(options, &Env::new()).unwrap();
    ProviderEngine::new("config", config).unwrap()
}

/// A `beforeToolCall` hook that lets every call through.
struct AllowAll;

impl ToolHooks for AllowAll {
    fn handles(&self, phase: HookPhase) -> bool {
        phase == HookPhase::BeforeToolCall
    }

    fn before_tool_call(
        &self,
        _payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        Box::pin(async { Ok(BeforeDecision::Continue) })
    }
}

fn tools() -> ToolRegistry {
    let registry = ToolRegistry::new();
    registry.register(Arc::new(HostTool::new(
        "get_weather",
        "Current weather",
        |args: Value| Ok::<_, Infallible>(json!({"location": args["location"], "temperature": 18})),
    )));
    registry.register(Arc::new(HostTool::new(
        "go_double",
        "Double",
        |args: Value| Ok::<_, Infallible>(json!({"value": args["n"].as_i64().unwrap_or(0) * 2})),
    )));
    registry
}

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// Span lines, by layer id.
struct Spans(Vec<Value>);

impl Spans {
    fn named(&self, name: &str) -> Vec<&Value> {
        self.0.iter().filter(|span| span["name"] == name).collect()
    }

    /// The single span `name` whose direct parent is `parent`.
    fn children<'a>(&'a self, parent: &Value, name: &str) -> Vec<&'a Value> {
        self.0
            .iter()
            .filter(|span| span["name"] == name && parent_id(span) == parent["id"].as_u64())
            .collect()
    }
}

fn parent_id(span: &Value) -> Option<u64> {
    span["parents"].as_array()?.last()?["id"].as_u64()
}

/// The `session.run` spans of `session_id`, and the spans under them.
fn spans_of_session(lines: &[Value], session_id: &str) -> (Vec<Value>, Spans) {
    let spans: Vec<&Value> = lines.iter().filter(|line| line["kind"] == "span").collect();
    let runs: Vec<Value> = spans
        .iter()
        .filter(|span| span["name"] == "session.run" && span["fields"]["session_id"] == session_id)
        .map(|span| (*span).clone())
        .collect();
    assert!(!runs.is_empty(), "no session.run span for the session");
    let run_ids: Vec<Option<u64>> = runs.iter().map(|run| run["id"].as_u64()).collect();
    let below = spans
        .iter()
        .filter(|span| {
            span["parents"].as_array().is_some_and(|parents| {
                parents
                    .iter()
                    .any(|parent| run_ids.contains(&parent["id"].as_u64()))
            })
        })
        .map(|span| (*span).clone())
        .collect();
    (runs, Spans(below))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_loop_run_produces_the_documented_span_tree() {
    let captured = captured();
    let url = fake_openai(vec![
        (200, fixture("openai/tool_calls.sse")),
        (200, fixture("openai/text.sse")),
    ])
    .await;
    let session = Session::new(SessionConfig {
        middlewares: vec![
            host_middleware("systemPrompt", Some(&json!({"prompt": "be exact"}))).unwrap(),
        ],
        tools: Some(tools()),
        hooks: Some(Arc::new(AllowAll)),
        ..SessionConfig::new(Arc::new(engine(&url)))
    });
    let seed = Turn::new().with_block(Block::user("weather in Paris, and double 21"));
    let out = session
        .run(Some(seed), RunOptions::default())
        .await
        .unwrap();
    assert_eq!(out.last_assistant_text(), Some("Hello, world!"));
    let inference_id = out.metadata["inference_id"].as_str().unwrap().to_string();

    let (runs, spans) = spans_of_session(&captured.lines(), session.id());
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let fields = &run["fields"];
    assert_eq!(fields["inference_id"], inference_id.as_str());
    assert_eq!(fields["mode"], "run");
    assert_eq!(fields["outcome"], "ok");
    assert!(fields["run_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(run["level"], "INFO");

    let steps = spans.children(run, "inference.step");
    assert_eq!(steps.len(), 2, "two steps: {steps:#?}");
    for (iteration, step) in steps.iter().enumerate() {
        let fields = &step["fields"];
        assert_eq!(fields["iteration"], iteration as u64);
        assert_eq!(fields["session_id"], session.id());
        assert_eq!(fields["inference_id"], inference_id.as_str());
    }
    let step_ids: Vec<u64> = steps
        .iter()
        .map(|step| step["id"].as_u64().unwrap())
        .collect();
    let first_step = steps
        .iter()
        .find(|step| step["fields"]["iteration"] == 0)
        .unwrap();

    // step → middleware → engine → provider.request, once per step.
    let expected_tokens = [(80, 40, "tool_calls"), (12, 4, "stop")];
    for (step, (input, output, reason)) in steps.iter().zip(expected_tokens) {
        let middlewares = spans.children(step, "middleware");
        assert_eq!(middlewares.len(), 1);
        assert_eq!(middlewares[0]["fields"]["name"], "systemPrompt");
        let engines = spans.children(middlewares[0], "engine");
        assert_eq!(engines.len(), 1);
        assert_eq!(engines[0]["fields"]["engine"], "config");
        let requests = spans.children(engines[0], "provider.request");
        assert_eq!(requests.len(), 1);
        let request = &requests[0]["fields"];
        assert_eq!(request["gen_ai.system"], "openai");
        assert_eq!(request["gen_ai.operation.name"], "chat");
        assert_eq!(request["gen_ai.request.model"], "gpt-4o-mini");
        assert_eq!(request["gen_ai.response.model"], "gpt-4o-mini-2024-07-18");
        assert_eq!(request["gen_ai.usage.input_tokens"], input);
        assert_eq!(request["gen_ai.usage.output_tokens"], output);
        assert_eq!(request["gen_ai.response.finish_reasons"], reason);
        assert_eq!(request["server.address"], "127.0.0.1");
        assert_eq!(request["http.response.status_code"], 200);
        assert_eq!(request["attempt"], 1);
        assert!(request["time_to_first_token_ms"].is_i64(), "{request}");
        assert!(request.get("error.type").is_none());
    }

    // Both tool calls under the first step, each with its beforeToolCall hook.
    let calls = spans.children(first_step, "tool.call");
    let mut names: Vec<(&str, &str)> = calls
        .iter()
        .map(|call| {
            let fields = &call["fields"];
            assert_eq!(fields["outcome"], "ok");
            let hooks = spans.children(call, "tool.hook");
            assert_eq!(hooks.len(), 1, "{call}");
            assert_eq!(hooks[0]["fields"]["hook"], "beforeToolCall");
            assert_eq!(hooks[0]["fields"]["action"], "continue");
            (
                fields["gen_ai.tool.name"].as_str().unwrap(),
                fields["gen_ai.tool.call.id"].as_str().unwrap(),
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("get_weather", "call_weather"),
            ("go_double", "call_double")
        ]
    );
    assert_eq!(spans.named("tool.call").len(), 2);
    assert!(
        spans
            .named("provider.request")
            .iter()
            .all(|request| request["parents"]
                .as_array()
                .unwrap()
                .iter()
                .any(|parent| step_ids.contains(&parent["id"].as_u64().unwrap()))),
        "every request is under a step"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_is_in_no_line() {
    let captured = captured();
    let echo = json!({"error": {"message": format!("Incorrect API key provided: {API_KEY}")}});
    let url = fake_openai(vec![
        (200, fixture("openai/text.sse")),
        (401, echo.to_string()),
    ])
    .await;
    let session = Session::new(SessionConfig::new(Arc::new(engine(&url))));
    let seed = Turn::new().with_block(Block::user("hi"));
    session
        .run(Some(seed), RunOptions::default())
        .await
        .unwrap();
    let again = Turn::new().with_block(Block::user("again"));
    let error = session
        .run(Some(again), RunOptions::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("[redacted]"), "{error}");

    let lines = captured.lines();
    let (runs, spans) = spans_of_session(&lines, session.id());
    let outcomes: Vec<&Value> = runs.iter().map(|run| &run["fields"]["outcome"]).collect();
    assert_eq!(outcomes, [&json!("ok"), &json!("error")]);
    let failed = spans
        .named("provider.request")
        .into_iter()
        .find(|request| request["fields"]["http.response.status_code"] == 401)
        .expect("the failed request's span");
    assert_eq!(failed["fields"]["error.type"], "401");
    assert!(captured.text().contains("provider inference failed"));
    assert!(!captured.text().contains(API_KEY), "the key leaked");
}

/// Asks for `go_double {n: 21}` once, then answers; or waits for cancellation when `hang`.
struct Scripted {
    hang: bool,
}

impl Engine for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn run_inference<'a>(
        &'a self,
        ctx: &'a RunContext,
        turn: Turn,
    ) -> BoxFuture<'a, Result<Turn, InferenceError>> {
        Box::pin(async move {
            if self.hang {
                ctx.cancel.cancelled().await;
                return Err(ctx.cancellation_error());
            }
            let answered = turn
                .blocks
                .iter()
                .any(|block| block.kind == BlockKind::ToolUse);
            Ok(if answered {
                turn.with_block(Block::assistant("done"))
            } else {
                turn.with_block(Block::tool_call("c1", "go_double", json!({"n": 21})))
            })
        })
    }
}

/// A fail-open `beforeToolCall` hook that always fails.
struct FailingOpen;

impl ToolHooks for FailingOpen {
    fn handles(&self, phase: HookPhase) -> bool {
        phase == HookPhase::BeforeToolCall
    }

    fn policy(&self) -> HookPolicy {
        HookPolicy {
            fail_open: true,
            ..HookPolicy::default()
        }
    }

    fn before_tool_call(
        &self,
        _payload: BeforeToolCallPayload,
    ) -> BoxFuture<'static, Result<BeforeDecision, String>> {
        Box::pin(async { Err("hook exploded".to_string()) })
    }
}

/// The event lines whose message is `message` and whose innermost span has the layer id `span`.
fn events_in<'a>(lines: &'a [Value], message: &str, span: &Value) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|line| line["kind"] == "event" && line["message"] == message)
        .filter(|line| parent_id(line) == span["id"].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hook_failures_and_deadlines_are_events_in_their_spans() {
    let captured = captured();
    let session = Session::new(SessionConfig {
        tools: Some(default_host_tools()),
        hooks: Some(Arc::new(FailingOpen)),
        ..SessionConfig::new(Arc::new(Scripted { hang: false }))
    });
    let seed = Turn::new().with_block(Block::user("double"));
    session
        .run(Some(seed), RunOptions::default())
        .await
        .unwrap();
    let lines = captured.lines();
    let (_, spans) = spans_of_session(&lines, session.id());
    let hooks = spans.named("tool.hook");
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["fields"]["action"], "error");
    let ignored = events_in(&lines, "js tool hook error ignored (fail-open)", hooks[0]);
    assert_eq!(ignored.len(), 1, "the fail-open event inside tool.hook");
    assert_eq!(ignored[0]["fields"]["error"], "hook exploded");
    assert_eq!(spans.named("tool.call")[0]["fields"]["outcome"], "ok");

    let hanging = Session::new(SessionConfig::new(Arc::new(Scripted { hang: true })));
    let options = RunOptions {
        timeout_ms: Some(20),
        ..RunOptions::default()
    };
    let seed = Turn::new().with_block(Block::user("wait"));
    let error = hanging.run(Some(seed), options).await.unwrap_err();
    assert_eq!(error, InferenceError::DeadlineExceeded);
    let lines = captured.lines();
    let (runs, _) = spans_of_session(&lines, hanging.id());
    assert_eq!(runs[0]["fields"]["outcome"], "deadline");
    assert_eq!(
        events_in(&lines, "run deadline exceeded", &runs[0]).len(),
        1
    );
}
